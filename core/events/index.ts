export { enqueue, enqueueAll, OUTBOX_CHANNEL, type OutboxEvent, type OutboxMessage } from "./outbox";
export { OutboxRelay, startOutboxRelay, type OutboxRelayOptions, type RelayStats } from "./relay";
export { receiveOnce, onceHandler, handleOnce, durableOf, KeyedQueue, type KnexSource, type OnceHandlerOptions, type DurableSubscriber } from "./receipts";
export { purgeEvents, type PurgeOptions } from "./cleanup";
