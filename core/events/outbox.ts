import type { Knex } from "knex";

/** The channel relays LISTEN on; core_outbox's insert trigger notifies it (delivered at commit). */
export const OUTBOX_CHANNEL = "core_outbox";

/**
 * First half of the advisory lock taken per stream key while a transaction enqueues (the second
 * half is hashtext(key)). Two-int advisory locks never collide with single-bigint ones such as
 * the relay's or the migrations'.
 */
export const STREAM_LOCK_CLASS = 7243;

/** What a business transaction announces. */
export interface OutboxMessage<T = unknown> {
  /** the Moleculer event name, "<plugin>.<thing>.<happened>" */
  event: string;
  /** the event's data: anything JSON can hold */
  payload?: T;
  /**
   * Events with the same key are published in the order their transactions enqueued them (e.g. a
   * workflow instance's id); events without one come in id order with no promise between them.
   */
  key?: string | null;
}

/** The params of every event the relay emits. */
export interface OutboxEvent<T = unknown> {
  /** unique per event, the same on every delivery of it: what consumers de-duplicate by */
  eventId: string;
  event: string;
  key: string | null;
  /** when the transaction that enqueued it began (ISO 8601) */
  at: string;
  data: T;
}

/**
 * Writes an event to the outbox inside the business transaction, so that the change and its
 * announcement commit together or not at all. Nothing is published before the commit: the relay
 * (relay.ts) sees the row only once it is committed, and every relay is woken at that moment
 * (the table's insert trigger issues pg_notify, which PostgreSQL delivers on commit).
 *
 * With a key, the transaction holds an advisory lock on that key until it ends: another
 * transaction enqueueing for the same key waits, so per key the ids follow commit order and the
 * relay, publishing in id order, never overtakes a row that is still being committed. (Enqueue a
 * transaction's keys in one order everywhere, as with row locks, or two may deadlock.)
 */
export async function enqueue<T>(trx: Knex.Transaction, message: OutboxMessage<T>): Promise<{ eventId: string }> {
  checkEnqueue(trx, [message]);
  const key = message.key ?? null;
  const payload = JSON.stringify(message.payload === undefined ? null : message.payload);
  if (key === null) {
    const [row] = await trx("core_outbox").insert({ event: message.event, payload, stream_key: null }).returning(["event_id"]);
    return { eventId: row.event_id as string };
  }
  // The lock and the row in one statement (one round trip less in every keyed transaction): the
  // insert's row is made from the materialised CTE's, so the lock is held before the id is taken
  // from the sequence.
  const { rows } = await trx.raw(
    "with locked as materialized (select pg_advisory_xact_lock(?, hashtext(?))) insert into core_outbox (event, payload, stream_key) select ?, ?::jsonb, ? from locked returning event_id",
    [STREAM_LOCK_CLASS, key, message.event, payload, key],
  );
  return { eventId: rows[0].event_id as string };
}

function checkEnqueue(trx: Knex.Transaction, messages: OutboxMessage[]): void {
  if (!trx || (trx as { isTransaction?: boolean }).isTransaction !== true) {
    throw new Error("enqueue: must be called with the business transaction (knex.transaction(async (trx) => ...)), so that the event commits with the change");
  }
  for (const message of messages) {
    if (typeof message.event !== "string" || !message.event.trim()) throw new Error(`enqueue: event must be a non-empty name, got ${JSON.stringify(message.event)}`);
  }
}

/**
 * Several events in one statement, in the order given (as that many enqueue() calls would write
 * them): what a transaction that records many steps at once announces. The keys' locks are taken
 * first, each once and in sorted order (two such transactions never wait on each other in a
 * circle), before any id is taken from the sequence.
 */
export async function enqueueAll(trx: Knex.Transaction, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 1) {
    await enqueue(trx, messages[0]);
    return;
  }
  checkEnqueue(trx, messages);
  if (!messages.length) return;
  const rows = messages.map((m) => ({ event: m.event, payload: m.payload === undefined ? null : m.payload, key: m.key ?? null }));
  // the locks' CTE is materialised and read by an InitPlan, which runs before the first row is
  // inserted; a subquery with DISTINCT and ORDER BY is not flattened, so the locks follow its order
  await trx.raw(
    `with given as materialized (select m.value as v, m.ordinality as n from jsonb_array_elements(?::jsonb) with ordinality m),
          locked as materialized (select pg_advisory_xact_lock(?, hashtext(k)) from (select distinct v->>'key' as k from given where v->>'key' is not null order by 1) keys)
     insert into core_outbox (event, payload, stream_key)
     select v->>'event', v->'payload', v->>'key' from given where (select count(*) from locked) >= 0 order by n`,
    [JSON.stringify(rows), STREAM_LOCK_CLASS],
  );
}
