export { enqueue, OUTBOX_CHANNEL, type OutboxEvent, type OutboxMessage } from "./outbox";
export { OutboxRelay, startOutboxRelay, type OutboxRelayOptions, type RelayStats } from "./relay";
export { receiveOnce, onceHandler, KeyedQueue, type KnexSource, type OnceHandlerOptions } from "./receipts";
export { purgeEvents, type PurgeOptions } from "./cleanup";
