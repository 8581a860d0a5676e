import type { Knex } from "knex";
import type { Context, Service } from "moleculer";
import { isConnectionError } from "../db";
import type { OutboxEvent } from "./outbox";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Records that `consumer` has received event `eventId`; true only the first time. Call it in the
 * transaction that does the consumer's work, first thing: the work and the receipt commit together,
 * a second delivery finds the receipt and does nothing, and if the work fails the receipt is rolled
 * back with it. (Two deliveries handled at once: the second insert waits for the first transaction
 * and then finds its receipt, or takes over if it rolled back.)
 */
export async function receiveOnce(db: Knex | Knex.Transaction, consumer: string, eventId: string): Promise<boolean> {
  if (!consumer) throw new Error("receiveOnce: consumer must be named");
  if (typeof eventId !== "string" || !UUID.test(eventId)) throw new Error(`receiveOnce: ${consumer} got an event id that is not a uuid: ${JSON.stringify(eventId)}`);
  const result = await db.raw(
    "insert into core_event_receipts (consumer, event_id) values (?, ?) on conflict do nothing returning 1 as fresh",
    [consumer, eventId],
  );
  return (result.rows as unknown[]).length === 1;
}

/** A Knex, or how to find it from the service the handler runs in (e.g. `(svc) => svc.db` in a plugin). */
export type KnexSource = Knex | ((service: Service) => Knex);

/** tries of a handler that meets a lost connection or a full pool: over about 6 s */
const CONNECTION_ATTEMPTS = 6;

const isKnex = (x: KnexSource): x is Knex => typeof (x as Knex).transaction === "function" && "client" in x;

/**
 * A Moleculer event handler for outbox events that handles each event once per consumer, however
 * often it is delivered: `handle` runs in a transaction that also records the receipt, and is
 * skipped when the receipt exists.
 *
 *   events: { "etrading.tender.published": onceHandler("analytics.tenders", (svc) => svc.db, async (ctx, trx) => { ... }) }
 *
 * `consumer` names the receiving side (use the service name: one receipt per group that gets the event).
 * An error in `handle` rolls the receipt back and is logged by the broker; Moleculer does not send
 * the event again by itself (core/events/README.md). A lost connection or a full pool is tried
 * again a few times first (the transaction had not committed, so that is safe).
 */
export function onceHandler<T = unknown, S extends Service = Service>(
  consumer: string,
  db: KnexSource,
  handle: (this: S, ctx: Context<OutboxEvent<T>>, trx: Knex.Transaction) => unknown | Promise<unknown>,
): (this: S, ctx: Context) => Promise<void> {
  // The parameter is called ctx on purpose: Moleculer 0.14 reads it to pass the context (not the params).
  return async function onceEventHandler(this: S, ctx: Context): Promise<void> {
    const event = ctx as Context<OutboxEvent<T>>;
    const eventId = event.params?.eventId;
    if (typeof eventId !== "string") throw new Error(`${consumer}: event "${ctx.eventName}" has no eventId: onceHandler takes outbox events only`);
    const knex = isKnex(db) ? db : db(this);
    // A burst of events can outrun the pool, and the database can blink: nothing was committed
    // then, so trying again is safe, and better than losing the event (it is not sent again).
    for (let attempt = 1; ; attempt++) {
      try {
        await knex.transaction(async (trx) => {
          if (await receiveOnce(trx, consumer, eventId)) await handle.call(this, event, trx);
        });
        return;
      } catch (err) {
        if (attempt >= CONNECTION_ATTEMPTS || !isConnectionError(err)) throw err;
        await new Promise((r) => setTimeout(r, 200 * 2 ** (attempt - 1)));
      }
    }
  };
}
