import type { Knex } from "knex";
import crypto from "node:crypto";
import type { Context, Service, ServiceBroker } from "moleculer";
import "./pg-boss-delay";
import PgBoss from "pg-boss";
import type { ClientConfig } from "pg";
import { conflict, notFound } from "../errors";
import type { OutboxEvent } from "./outbox";
import { durableOf, handleOnce, KeyedQueue, type DurableSubscriber } from "./receipts";
import { toEventParams, type OutboxRow } from "./relay";
import { platform } from "../platform";

/** pg-boss's own schema in the platform's database (it creates and migrates it at start). */
export const QUEUE_SCHEMA = "pgboss";
/** Where pg-boss copies a job whose last try failed, a killed node's included (see recordDeadLetter). */
export const DEAD_LETTER_QUEUE = "event-dead-letter";
/** Held while a node creates or updates its queues: nodes starting together take turns. */
export const QUEUE_SETUP_LOCK_KEY = 7_243_100_051;
/** Workflow deadlines: one job per timer, starting when it is due (core/workflow/engine.ts). */
export const DEADLINE_QUEUE = "workflow-deadline";
/** One queue per subscriber: each gets its own copy of an event, retried on its own. */
export const queueOf = (consumer: string): string => `event.${consumer}`;

/** A subscriber of one event, as a service declares it with `onceHandler`. */
export interface Subscription {
  /** the service it runs in */
  service: string;
  event: string;
  durable: DurableSubscriber;
}

/** What a queued copy of an outbox event carries. */
export interface EventJob extends OutboxEvent {
  consumer: string;
}

/**
 * The durable subscribers (`onceHandler`) among these service schemas. The relay fans each event out
 * to every subscriber of every plugin installed, served on this node or not, so a subscriber whose
 * nodes are all down still finds its copy waiting when one starts.
 */
export function collectSubscriptions(schemas: object[]): Subscription[] {
  const out: Subscription[] = [];
  for (const schema of schemas as Array<{ name?: string; events?: unknown }>) {
    for (const [event, handler] of Object.entries((schema.events ?? {}) as Record<string, unknown>)) {
      const durable = durableOf(handler);
      if (durable) out.push({ service: String(schema.name), event, durable });
    }
  }
  const owners = new Map<string, string>();
  for (const s of out) {
    const owner = owners.get(s.durable.consumer);
    if (owner && owner !== s.service) throw new Error(`event consumer "${s.durable.consumer}" is named by two services (${owner} and ${s.service}): name it after its service`);
    owners.set(s.durable.consumer, s.service);
  }
  return out;
}

/** A schema without its durable subscribers: those are served by the queue, not by Moleculer events. */
export function withoutDurableEvents<S extends object>(schema: S): S {
  const declared = (schema as { events?: Record<string, unknown> }).events;
  if (!declared) return schema;
  const events = Object.fromEntries(Object.entries(declared).filter(([, h]) => !durableOf(h)));
  return { ...schema, events };
}

const statementNames = new Map<string, string>();
/** A prepared statement's name for a text: the same on every connection, different for another text. */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) statementNames.set(text, (name = `pgboss_${crypto.createHash("sha256").update(text).digest("hex").slice(0, 24)}`));
  return name;
}

/** A pg-boss `db` that runs its statements on the connection of a knex transaction. */
export function inTransaction(trx: Knex.Transaction): PgBoss.Db {
  return {
    async executeSql(text, values) {
      // A transaction's client hands out the transaction's own connection (and never releases it).
      const connection = (await trx.client.acquireConnection()) as { query(q: { name: string; text: string; values?: unknown[] }): Promise<{ rows: unknown[] }> };
      // Named, so each connection parses and plans pg-boss's few statements once (its insert's plan
      // took as long as its run, 0.24 ms, in every transition that makes a deadline).
      return connection.query({ name: statementName(text), text, values });
    },
  };
}

export interface EventQueueOptions {
  knex: Knex;
  /** how pg-boss connects (its own small pool); the relay's LISTEN settings do */
  connection: ClientConfig;
  subscriptions: Subscription[];
  log?: (line: string) => void;
  /** tries after the first; then the event is a dead letter */
  retryLimit?: number;
  /** seconds before the first retry; doubled (with jitter) for each next one */
  retryDelaySeconds?: number;
  /** a try that has not finished after this long (its node died) is counted failed and retried */
  expireInSeconds?: number;
  /** how often an idle worker looks for jobs another node queued (this node's are woken at once) */
  pollingIntervalSeconds?: number;
  /** how often pg-boss looks for expired tries */
  maintenanceIntervalSeconds?: number;
}

export interface DeadLetterView {
  id: string;
  consumer: string;
  event: string;
  eventId: string;
  key: string | null;
  eventAt: string;
  payload: unknown;
  error: string;
  attempts: number;
  failedAt: string;
  replayedAt: string | null;
  replayedBy: unknown;
}

export interface DeadLetterRow {
  id: string;
  consumer: string;
  event_id: string;
  event: string;
  stream_key: string | null;
  event_at: Date;
  payload: unknown;
  error: string;
  attempts: number;
  failed_at: Date;
  replayed_at: Date | null;
  replayed_by: unknown;
}

export const deadLetterView = (r: DeadLetterRow): DeadLetterView => ({
  id: String(r.id),
  consumer: r.consumer,
  event: r.event,
  eventId: r.event_id,
  key: r.stream_key,
  eventAt: new Date(r.event_at).toISOString(),
  payload: r.payload,
  error: r.error,
  attempts: r.attempts,
  failedAt: new Date(r.failed_at).toISOString(),
  replayedAt: r.replayed_at ? new Date(r.replayed_at).toISOString() : null,
  replayedBy: r.replayed_by ?? null,
});

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err)).slice(0, 2000);

/**
 * Delivers outbox events to their durable subscribers through pg-boss (core/events/README.md):
 * the relay queues one job per subscriber in the transaction that marks the event sent; each node
 * works the queues of the subscribers it serves, handling a job in a transaction with the receipt
 * (once per event id); a failure is retried with back-off, and the last one leaves a dead letter
 * that an administrator can replay.
 */
export class EventQueue {
  readonly boss: PgBoss;
  readonly retryLimit: number;
  private readonly log: (line: string) => void;
  private readonly byEvent = new Map<string, Subscription[]>();
  private readonly consumers: string[];
  private readonly workers = new Map<string, string>();
  private broker: ServiceBroker | undefined;
  private started = false;

  constructor(private readonly o: EventQueueOptions) {
    this.log = o.log ?? (() => {});
    this.retryLimit = o.retryLimit ?? 5;
    for (const s of o.subscriptions) this.byEvent.set(s.event, [...(this.byEvent.get(s.event) ?? []), s]);
    this.consumers = [...new Set(o.subscriptions.map((s) => s.durable.consumer))];
    this.boss = new PgBoss({
      ...(o.connection as PgBoss.DatabaseOptions),
      application_name: `${platform.id} event queue`,
      schema: QUEUE_SCHEMA,
      max: 3,
      pollingIntervalSeconds: o.pollingIntervalSeconds ?? 0.5,
      maintenanceIntervalSeconds: o.maintenanceIntervalSeconds ?? 30,
      // Cron schedules are not used: the timers of workflows are jobs with a start time.
      schedule: false,
    });
    this.boss.on("error", (err: Error) => this.log(`[events] queue: ${err.message}`));
  }

  /** Creates pg-boss's schema (once, under its own lock) and a queue per subscriber. */
  async start(): Promise<this> {
    // pg-boss makes its schema, and a table per queue; two nodes doing so at once fail or deadlock
    // in PostgreSQL. The lock is held by a transaction of the node's pool while pg-boss works on
    // its own connections.
    await this.o.knex.transaction(async (trx) => {
      await trx.raw("select pg_advisory_xact_lock(?)", [QUEUE_SETUP_LOCK_KEY]);
      await this.boss.start();
      this.started = true;
      await this.setUpQueues();
    });
    return this;
  }

  private async setUpQueues(): Promise<void> {
    await this.boss.createQueue(DEAD_LETTER_QUEUE, { name: DEAD_LETTER_QUEUE });
    const options: PgBoss.Queue = {
      name: "",
      retryLimit: this.retryLimit,
      retryDelay: this.o.retryDelaySeconds ?? 2,
      retryBackoff: true,
      expireInSeconds: this.o.expireInSeconds ?? 300,
      deadLetter: DEAD_LETTER_QUEUE,
    };
    // A timer whose job fails for good is still fired by the sweep: no dead letter for it.
    const { deadLetter: _none, ...timerOptions } = options;
    await this.boss.createQueue(DEADLINE_QUEUE, { ...timerOptions, name: DEADLINE_QUEUE });
    for (const consumer of this.consumers) {
      const name = queueOf(consumer);
      await this.boss.createQueue(name, { ...options, name });
      // A queue made by an earlier start keeps its settings unless told: these are the node's now.
      await this.boss.updateQueue(name, { ...options, name });
    }
  }

  /** Whether any subscriber takes this event. */
  subscribed(event: string): boolean {
    return this.byEvent.has(event);
  }

  /**
   * Queues a copy of each row for each of its subscribers, in the relay's transaction: committed
   * with the rows' sent marks, or not at all. Returns how many jobs it queued.
   */
  async fanOut(trx: Knex.Transaction, rows: OutboxRow[]): Promise<number> {
    const jobs: PgBoss.JobInsert<EventJob>[] = [];
    for (const row of rows) {
      for (const s of this.byEvent.get(row.event) ?? []) {
        jobs.push({ name: queueOf(s.durable.consumer), data: { consumer: s.durable.consumer, ...toEventParams(row) } });
      }
    }
    if (jobs.length) await this.boss.insert(jobs, { db: inTransaction(trx) });
    return jobs.length;
  }

  /** Works the queues of the subscribers this broker's local services hold. Call after `broker.start()`. */
  async work(broker: ServiceBroker): Promise<void> {
    this.broker = broker;
    for (const consumer of this.consumers) {
      const subs = this.o.subscriptions.filter((s) => s.durable.consumer === consumer);
      const service = broker.getLocalService(subs[0].service) as Service | undefined;
      if (!service) continue;
      const handlers = new Map(subs.map((s) => [s.event, s.durable]));
      const keyed = new KeyedQueue(subs[0].durable.concurrency);
      const name = queueOf(consumer);
      const id = await this.boss.work<EventJob>(name, { batchSize: subs[0].durable.concurrency, includeMetadata: true }, (jobs) =>
        Promise.all(jobs.map((job) => keyed.run(job.data.key, () => this.handle(service, handlers, job)))),
      );
      this.workers.set(consumer, id);
    }
    const dl = await this.boss.work<EventJob>(DEAD_LETTER_QUEUE, { batchSize: 20, includeMetadata: true }, async (jobs) => {
      for (const job of jobs) {
        const output = (job as { output?: unknown }).output as { message?: unknown; recorded?: boolean } | null | undefined;
        // The worker recorded it already (and it may have been replayed since): only what it could
        // not record comes through here, a last try whose node died.
        if (output?.recorded) continue;
        const error = output && typeof output.message === "string" ? output.message : "the handler did not finish in time (its node may have stopped)";
        await this.recordDeadLetter(job.data, error, job.retryLimit + 1);
      }
    });
    this.workers.set(DEAD_LETTER_QUEUE, dl);
  }

  /** Queues a job per timer, in the transaction that makes the timers. */
  async scheduleTimers(trx: Knex.Transaction, timers: Array<{ id: number; startAfter: Date }>): Promise<void> {
    if (timers.length) await this.boss.insert(timers.map((t) => ({ name: DEADLINE_QUEUE, data: { timerId: t.id }, startAfter: t.startAfter })), { db: inTransaction(trx) });
  }

  /** Works the deadline queue on this node: `fire` fires one timer (WorkflowEngine.fireTimer). */
  async workTimers(fire: (timerId: number) => Promise<boolean>): Promise<void> {
    const id = await this.boss.work<{ timerId: number }>(DEADLINE_QUEUE, { batchSize: 4 }, async (jobs) => {
      for (const job of jobs) await fire(Number(job.data.timerId));
    });
    this.workers.set(DEADLINE_QUEUE, id);
  }

  /** Looks for jobs now on this node's workers (the relay calls it after queuing some). */
  wake(): void {
    for (const id of this.workers.values()) this.boss.notifyWorker(id);
  }

  private async handle(service: Service, handlers: Map<string, DurableSubscriber>, job: PgBoss.JobWithMetadata<EventJob>): Promise<void> {
    const { consumer, ...params } = job.data;
    const durable = handlers.get(params.event);
    try {
      if (!durable) throw new Error(`${consumer} has no handler for "${params.event}" on this node`);
      const knex = typeof durable.db === "function" && !("client" in durable.db) ? (durable.db as (s: Service) => Knex)(service) : (durable.db as Knex);
      const ctx = this.context(params);
      await handleOnce(knex, consumer, params.eventId, (trx) => durable.handle.call(service, ctx, trx));
    } catch (err) {
      const attempts = job.retryCount + 1;
      const last = job.retryCount >= job.retryLimit;
      this.log(`[events] ${consumer} failed on ${params.event} ${params.eventId} (try ${attempts} of ${job.retryLimit + 1})${last ? ", now a dead letter" : ", retried later"}: ${errorText(err)}`);
      // Recorded before pg-boss hears of it; its dead-letter copy says so and adds nothing.
      let recorded = false;
      if (last) {
        recorded = await this.recordDeadLetter(job.data, errorText(err), attempts).then(
          () => true,
          (e: Error) => (this.log(`[events] recording a dead letter: ${e.message}`), false),
        );
      }
      // Failed one by one, so the rest of the batch completes.
      await this.boss.fail(job.name, job.id, { message: errorText(err), recorded });
    }
  }

  private context(params: OutboxEvent): Context<OutboxEvent> {
    const broker = this.broker!;
    const ctx = broker.ContextFactory.create(broker, null as never, params, {}) as Context<OutboxEvent>;
    ctx.eventName = params.event;
    ctx.eventType = "emit";
    return ctx;
  }

  private async recordDeadLetter(job: EventJob, error: string, attempts: number): Promise<void> {
    await this.o.knex.raw(
      `insert into core_dead_letters (consumer, event_id, event, stream_key, event_at, payload, error, attempts)
       values (?, ?, ?, ?, ?, ?::jsonb, ?, ?)
       on conflict (consumer, event_id) where replayed_at is null do nothing`,
      [job.consumer, job.eventId, job.event, job.key ?? null, job.at, JSON.stringify(job.data ?? null), error, attempts],
    );
  }

  /**
   * Queues a dead letter's event for its subscriber again, with a fresh set of tries, and marks it
   * replayed, in `trx` (the caller's, with its audit entry): both or neither.
   */
  async replay(trx: Knex.Transaction, id: string, by: unknown): Promise<DeadLetterView> {
    const row = (await trx("core_dead_letters").where({ id }).forUpdate().first()) as DeadLetterRow | undefined;
    if (!row) throw notFound({ "zh-CN": "死信", en: "dead letter" });
    if (row.replayed_at) throw conflict({ "zh-CN": "该死信已重放", en: "This dead letter has already been replayed" }, { replayedAt: new Date(row.replayed_at).toISOString() });
    if (!this.consumers.includes(row.consumer)) {
      throw conflict({ "zh-CN": `订阅者「${row.consumer}」已不存在，无法重放`, en: `Subscriber "${row.consumer}" no longer exists; it cannot be replayed` }, { consumer: row.consumer });
    }
    const data: EventJob = { consumer: row.consumer, eventId: row.event_id, event: row.event, key: row.stream_key, at: new Date(row.event_at).toISOString(), data: row.payload };
    await this.boss.insert([{ name: queueOf(row.consumer), data }], { db: inTransaction(trx) });
    const [updated] = (await trx("core_dead_letters").where({ id }).update({ replayed_at: trx.fn.now(), replayed_by: JSON.stringify(by) }).returning("*")) as DeadLetterRow[];
    return deadLetterView(updated);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    // Tries in progress finish (or, past the timeout, are retried by another node once they expire).
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}
