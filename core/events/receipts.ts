import type { Knex } from "knex";
import type { Context, Service } from "moleculer";
import { isConnectionError, isUuid } from "../db";
import type { OutboxEvent } from "./outbox";


/**
 * Records that `consumer` has received event `eventId`; true only the first time. Call it in the
 * transaction that does the consumer's work, first thing: the work and the receipt commit together,
 * a second delivery finds the receipt and does nothing, and if the work fails the receipt is rolled
 * back with it. (Two deliveries handled at once: the second insert waits for the first transaction
 * and then finds its receipt, or takes over if it rolled back.)
 */
export async function receiveOnce(db: Knex | Knex.Transaction, consumer: string, eventId: string): Promise<boolean> {
  if (!consumer) throw new Error("receiveOnce: consumer must be named");
  if (!isUuid(eventId)) throw new Error(`receiveOnce: ${consumer} got an event id that is not a uuid: ${JSON.stringify(eventId)}`);
  const result = await db.raw(
    "insert into core_event_receipts (consumer, event_id) values (?, ?) on conflict do nothing returning 1 as fresh",
    [consumer, eventId],
  );
  return (result.rows as unknown[]).length === 1;
}

/** A Knex, or how to find it from the service the handler runs in (e.g. `(svc) => svc.db` in a plugin). */
export type KnexSource = Knex | ((service: Service) => Knex);

/** tries of a handler that meets a lost connection: over about 6 s */
const CONNECTION_ATTEMPTS = 6;

const isKnex = (x: KnexSource): x is Knex => typeof (x as Knex).transaction === "function" && "client" in x;

/**
 * At most `limit` jobs at a time, first come first served, and one at a time per key, in the order
 * they came. Waiting happens here, in memory, not in the pool's queue (which gives up after its
 * acquire timeout): Moleculer hands a node its events as fast as they arrive, with no back-pressure.
 */
export class KeyedQueue {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`KeyedQueue: limit must be a whole number ≥ 1, got ${limit}`);
  }

  run<T>(key: string | null | undefined, job: () => Promise<T>): Promise<T> {
    const before = key != null ? this.tails.get(key) : undefined;
    const result = (before ?? Promise.resolve()).then(async () => {
      await this.acquire();
      try {
        return await job();
      } finally {
        this.release();
      }
    });
    if (key != null) {
      const tail = result.then(
        () => {},
        () => {},
      );
      this.tails.set(key, tail);
      void tail.then(() => {
        if (this.tails.get(key) === tail) this.tails.delete(key);
      });
    }
    return result;
  }

  /** jobs running and waiting (for tests and metrics) */
  get size(): { active: number; waiting: number; keys: number } {
    return { active: this.active, waiting: this.waiting.length, keys: this.tails.size };
  }

  private acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    // The slot passes straight to the next in line, so that nobody overtakes it.
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

export interface OnceHandlerOptions {
  /** events of this consumer handled at once on a node (each a transaction, so a connection); 4 by default */
  concurrency?: number;
}

/**
 * A Moleculer event handler for outbox events that handles each event once per consumer, however
 * often it is delivered: `handle` runs in a transaction that also records the receipt, and is
 * skipped when the receipt exists.
 *
 *   events: { "etrading.tender.published": onceHandler("analytics.tenders", (svc) => svc.db, async (ctx, trx) => { ... }) }
 *
 * `consumer` names the receiving side (use the service name: one receipt per group that gets the
 * event). On a node, events of one key are handled one after the other in the order they arrived,
 * and at most `concurrency` events at once; the rest wait in memory.
 *
 * In a platform node the kernel delivers these events through its job queue (core/events/queue.ts),
 * not Moleculer: an error in `handle` rolls the receipt back and the event comes again with back-off,
 * and after the last try it is a dead letter an administrator can replay. On a bare broker (no
 * kernel) the handler is an ordinary Moleculer one, and Moleculer does not send an event again.
 * A lost connection is tried again a few times first (the transaction had not committed).
 */
export function onceHandler<T = unknown, S extends Service = Service>(
  consumer: string,
  db: KnexSource,
  handle: (this: S, ctx: Context<OutboxEvent<T>>, trx: Knex.Transaction) => unknown | Promise<unknown>,
  options: OnceHandlerOptions = {},
): OnceEventHandler<S> {
  const concurrency = options.concurrency ?? 4;
  const queue = new KeyedQueue(concurrency);
  // The parameter is called ctx on purpose: Moleculer 0.14 reads it to pass the context (not the params).
  const handler = function onceEventHandler(this: S, ctx: Context): Promise<void> {
    const event = ctx as Context<OutboxEvent<T>>;
    const eventId = event.params?.eventId;
    if (typeof eventId !== "string") return Promise.reject(new Error(`${consumer}: event "${ctx.eventName}" has no eventId: onceHandler takes outbox events only`));
    const knex = isKnex(db) ? db : db(this);
    return queue.run(event.params.key, async () => {
      await handleOnce(knex, consumer, eventId, (trx) => handle.call(this, event, trx));
    });
  } as OnceEventHandler<S>;
  // What the kernel reads to take this subscriber off the fire-and-forget path and deliver its
  // events through the job queue instead (core/events/queue.ts): retried, dead-lettered, replayable.
  handler.durable = { consumer, db, handle: handle as DurableSubscriber["handle"], concurrency };
  return handler;
}

/** What `onceHandler` leaves on its handler for the kernel's event queue. */
export interface DurableSubscriber {
  consumer: string;
  db: KnexSource;
  handle: (this: Service, ctx: Context<OutboxEvent>, trx: Knex.Transaction) => unknown | Promise<unknown>;
  concurrency: number;
}

export type OnceEventHandler<S extends Service = Service> = ((this: S, ctx: Context) => Promise<void>) & { durable: DurableSubscriber };

/** The durable subscriber behind a Moleculer event handler, if `onceHandler` made it. */
export function durableOf(handler: unknown): DurableSubscriber | undefined {
  const h = (typeof handler === "function" ? handler : (handler as { handler?: unknown } | null)?.handler) as unknown;
  return typeof h === "function" ? (h as { durable?: DurableSubscriber }).durable : undefined;
}

/**
 * Runs `work` in a transaction that first records `consumer`'s receipt of `eventId`, and skips it
 * when the receipt exists; a lost connection is tried again (nothing had committed). Returns
 * whether the work ran.
 */
export async function handleOnce(knex: Knex, consumer: string, eventId: string, work: (trx: Knex.Transaction) => unknown | Promise<unknown>): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await knex.transaction(async (trx) => {
        if (!(await receiveOnce(trx, consumer, eventId))) return false;
        await work(trx);
        return true;
      });
    } catch (err) {
      if (attempt >= CONNECTION_ATTEMPTS || !isConnectionError(err)) throw err;
      await new Promise((r) => setTimeout(r, 200 * 2 ** (attempt - 1)));
    }
  }
}
