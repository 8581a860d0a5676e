export { enqueue, OUTBOX_CHANNEL, type OutboxEvent, type OutboxMessage } from "./outbox";
export { OutboxRelay, startOutboxRelay, type OutboxRelayOptions, type RelayStats } from "./relay";
export { receiveOnce, onceHandler, type KnexSource } from "./receipts";
export { purgeEvents, type PurgeOptions } from "./cleanup";
