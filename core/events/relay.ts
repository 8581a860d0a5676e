import type { Knex } from "knex";
import type { ServiceBroker } from "moleculer";
import { Client, type ClientConfig } from "pg";
import { OUTBOX_CHANNEL, type OutboxEvent } from "./outbox";
import { platform } from "../platform";

/**
 * The advisory lock a relay holds while it publishes a batch (any fixed number; the migrations use
 * another). Only its holder publishes, so rows go out in id order even with a relay on every node.
 */
export const RELAY_LOCK_KEY = 7_243_100_031;

export interface OutboxRow {
  id: string;
  event_id: string;
  event: string;
  payload: unknown;
  stream_key: string | null;
  created_at: Date;
}

export interface OutboxRelayOptions {
  /** the node's pool: batches run in its transactions */
  knex: Knex;
  broker: ServiceBroker;
  /** for the LISTEN connection; otherwise `connection`, otherwise knex's own connection settings */
  databaseUrl?: string;
  connection?: ClientConfig;
  log?: (line: string) => void;
  /** how often to look for rows even without a notification (a lost LISTEN connection, a missed wake-up) */
  pollMs?: number;
  /** rows per transaction */
  batchSize?: number;
  /** keys published side by side within a batch (each key's rows one after the other) */
  parallelKeys?: number;
  /** an emit (and the transporter's flush) that takes longer counts as failed and is retried */
  emitTimeoutMs?: number;
  /**
   * For this long after start, an event that no service the broker knows of listens to is held back
   * rather than published into the void: a node that drains a backlog at start-up may not have
   * discovered the other nodes yet. 0 (the default) publishes at once.
   */
  settleMs?: number;
  /**
   * The job queue of durable subscribers (queue.ts): each published row is also queued for them, in
   * the transaction that marks it sent, and this node's workers are woken after the commit.
   */
  queue?: { fanOut(trx: Knex.Transaction, rows: OutboxRow[]): Promise<number>; wake(): void; subscribed(event: string): boolean };
  /** back-off after a failure: from retryMinMs, doubling, at most retryMaxMs */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export interface RelayStats {
  /** events this relay published and marked sent */
  published: number;
  /** batches it ran (holding the lock) */
  batches: number;
  /** failed emits or batches */
  failures: number;
  /** whether its LISTEN connection is up */
  listening: boolean;
  lastError?: string;
}

/** How long one batch may spend emitting before it commits what it sent (and goes on in a new one). */
const BATCH_TIME_LIMIT_MS = 10_000;

export type DrainResult = "idle" | "more" | "busy" | "held" | "failed";

/** The params of the Moleculer event for an outbox row. */
export function toEventParams(row: OutboxRow): OutboxEvent {
  return {
    eventId: row.event_id,
    event: row.event,
    key: row.stream_key,
    at: (row.created_at instanceof Date ? row.created_at : new Date(row.created_at)).toISOString(),
    data: row.payload,
  };
}

export interface PublishOutcome<R> {
  /** the rows that went out, in the order given */
  sent: R[];
  /** per key, the row that failed (the key's later rows were not tried) */
  failed: Array<{ row: R; error: Error }>;
  /** per key, the row held back (`publish` resolved false; the key's later rows were not tried) */
  held: R[];
}

/**
 * Publishes rows in the order given within each key, and the keys side by side (at most
 * `concurrency` at once): an in-process emit waits for the local handlers, and one key's slow
 * consumer need not hold up the others. Within a key, the first row that fails or is held back
 * stops that key: a later row of it must not overtake. Rows without a key are each on their own.
 */
export async function publishPerKey<R>(
  rows: R[],
  keyOf: (row: R) => string | null,
  publish: (row: R) => Promise<boolean>,
  concurrency = 16,
): Promise<PublishOutcome<R>> {
  const chains = new Map<string | number, R[]>();
  rows.forEach((row, i) => {
    const key = keyOf(row);
    const chain = chains.get(key ?? i);
    if (chain) chain.push(row);
    else chains.set(key ?? i, [row]);
  });
  const sent = new Set<R>();
  const out: PublishOutcome<R> = { sent: [], failed: [], held: [] };
  const queue = [...chains.values()];
  const worker = async () => {
    for (let chain = queue.shift(); chain; chain = queue.shift()) {
      for (const row of chain) {
        let ok: boolean;
        try {
          ok = await publish(row);
        } catch (err) {
          out.failed.push({ row, error: err instanceof Error ? err : new Error(String(err)) });
          break;
        }
        if (!ok) {
          out.held.push(row);
          break;
        }
        sent.add(row);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker));
  out.sent = rows.filter((r) => sent.has(r));
  return out;
}

/** Back-off after `failures` failures in a row. */
export function retryDelay(failures: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.max(0, Math.min(failures - 1, 20)));
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Settings for the LISTEN connection: what was given, else what the knex pool connects with. */
export function listenConnection(opts: Pick<OutboxRelayOptions, "knex" | "databaseUrl" | "connection">): ClientConfig {
  let base: ClientConfig;
  if (opts.connection) base = { ...opts.connection };
  else if (opts.databaseUrl) base = { connectionString: opts.databaseUrl };
  else {
    const c = (opts.knex.client as { config?: { connection?: unknown } }).config?.connection;
    if (typeof c === "string") base = { connectionString: c };
    else if (c && typeof c === "object") base = { ...(c as ClientConfig) };
    else throw new Error("outbox relay: pass databaseUrl or connection (the knex pool's connection settings are not a plain object)");
  }
  return {
    connectionTimeoutMillis: 5000,
    ...base,
    application_name: `${platform.id} outbox relay`,
    // A connection cut without a FIN (a network partition) is noticed in seconds, not hours.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

/**
 * Publishes committed outbox rows as Moleculer events, in id order, and marks them sent
 * (core/events/README.md has the guarantees). Wakes on NOTIFY from a dedicated connection
 * (re-opened when it drops), on `kick()`, and every `pollMs` in any case.
 *
 * A batch is one transaction: take the relay lock (or leave: another node's relay is publishing),
 * read up to `batchSize` unsent rows in id order, emit them one by one, flush the transporter, stamp
 * the ones that went out, commit. A crash anywhere before the commit leaves the rows unsent, and the
 * next holder of the lock publishes them again: at least once.
 */
export class OutboxRelay {
  readonly pollMs: number;
  readonly batchSize: number;
  private readonly parallelKeys: number;
  private readonly emitTimeoutMs: number;
  private readonly settleMs: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly log: (line: string) => void;
  private readonly listenConfig: ClientConfig;
  private startedAt = 0;
  private stopped = false;
  private running: Promise<void> | undefined;
  private again = false;
  private failuresInARow = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private listener: Client | undefined;
  private listenTimer: NodeJS.Timeout | undefined;
  private listenFailures = 0;
  private readonly counters: RelayStats = { published: 0, batches: 0, failures: 0, listening: false };
  private queued = 0;

  constructor(private readonly opts: OutboxRelayOptions) {
    this.pollMs = opts.pollMs ?? 1000;
    this.batchSize = opts.batchSize ?? 100;
    this.parallelKeys = opts.parallelKeys ?? 16;
    this.emitTimeoutMs = opts.emitTimeoutMs ?? 30_000;
    this.settleMs = opts.settleMs ?? 0;
    this.retryMinMs = opts.retryMinMs ?? 500;
    this.retryMaxMs = opts.retryMaxMs ?? 30_000;
    this.log = opts.log ?? (() => {});
    this.listenConfig = listenConnection(opts);
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new Error(`outbox relay: batchSize must be a whole number ≥ 1, got ${opts.batchSize}`);
    if (!(this.pollMs > 0)) throw new Error(`outbox relay: pollMs must be > 0, got ${opts.pollMs}`);
  }

  /** Opens the LISTEN connection (in the background: polling covers until it is up) and drains what is waiting. */
  start(): this {
    if (this.startedAt) return this;
    this.startedAt = Date.now();
    this.pollTimer = setInterval(() => this.kick(), this.pollMs);
    this.pollTimer.unref();
    void this.listen();
    this.kick();
    return this;
  }

  /** Looks for unsent rows now (or right after the batch in progress). */
  kick(): void {
    if (this.stopped || !this.startedAt) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Stops waking up, closes the LISTEN connection and waits for the batch in progress. Call before the broker and the pool stop. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.listenTimer);
    const listener = this.listener;
    this.listener = undefined;
    this.counters.listening = false;
    await listener?.end().catch(() => {});
    await this.running;
  }

  stats(): RelayStats {
    return { ...this.counters };
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const result = await this.drainOnce();
      if (result === "more") this.again = true;
      // Another node's relay holds the lock: it was woken by the same notification and publishes
      // these rows; trying again at every commit would only cost every other node a transaction.
      // (If it dies, its lock goes with its connection, and the next poll here takes over.)
      else if (result === "busy") this.again = false;
      else if (result === "failed" || result === "held") {
        // Never spin: wait, then try again (new wake-ups meanwhile change nothing).
        this.again = false;
        clearTimeout(this.retryTimer);
        const delay = result === "held" ? Math.min(250, this.pollMs) : retryDelay(this.failuresInARow, this.retryMinMs, this.retryMaxMs);
        this.retryTimer = setTimeout(() => this.kick(), delay);
        this.retryTimer.unref();
      }
    } while (this.again && !this.stopped);
  }

  /** One batch. Exposed for tests and benchmarks; normal use goes through kick(). */
  async drainOnce(): Promise<DrainResult> {
    let result: DrainResult;
    try {
      this.queued = 0;
      result = await this.opts.knex.transaction(async (trx) => this.batch(trx));
      if (this.queued) this.opts.queue?.wake();
    } catch (err) {
      this.failed(`publishing outbox rows failed; they stay unsent and are retried: ${(err as Error).message}`);
      return "failed";
    }
    if (result !== "failed" && result !== "busy" && this.failuresInARow > 0) {
      this.log(`[events] outbox relay recovered after ${this.failuresInARow} failure(s)`);
      this.failuresInARow = 0;
    }
    return result;
  }

  private async batch(trx: Knex.Transaction): Promise<DrainResult> {
    // A frozen holder (a stopped VM, a debugger) must not keep the lock for ever: the server ends
    // its session after this long idle in the transaction, and another relay takes over.
    const idleLimit = Math.max(60_000, 2 * this.emitTimeoutMs);
    // The sent marks need not wait for the disk: losing them in a server crash only means those
    // rows go out again, which consumers tolerate anyway.
    const lock = await trx.raw(
      "select set_config('idle_in_transaction_session_timeout', ?, true), set_config('synchronous_commit', 'off', true), pg_try_advisory_xact_lock(?) as locked",
      [String(idleLimit), RELAY_LOCK_KEY],
    );
    if (!lock.rows[0].locked) return "busy";
    const { rows } = (await trx.raw(
      "select id, event_id, event, payload, stream_key, created_at from core_outbox where sent_at is null order by id limit ?",
      [this.batchSize],
    )) as { rows: OutboxRow[] };
    if (!rows.length) return "idle";
    this.counters.batches++;
    // Slow local handlers (an in-process emit waits for them) must not keep the transaction open
    // past the idle limit, or the batch would be rolled back and sent again for ever: stop early
    // and commit what went out.
    const timeEnds = Date.now() + BATCH_TIME_LIMIT_MS;
    let overTime = false;
    const out = await publishPerKey(
      rows,
      (row) => row.stream_key,
      async (row) => {
        if (Date.now() > timeEnds) return !(overTime = true);
        return this.publish(row);
      },
      this.parallelKeys,
    );
    if (out.sent.length) {
      // Over NATS an emit resolves once the message is in the client's buffer; the flush waits for
      // the server to have it. Only then is it "sent" (and the next lock holder's messages follow it).
      await this.flushTransporter();
      if (this.opts.queue) this.queued += await this.opts.queue.fanOut(trx, out.sent);
      await trx.raw("update core_outbox set sent_at = now() where id = any(?::bigint[])", [out.sent.map((r) => r.id)]);
      this.counters.published += out.sent.length;
    }
    if (out.failed.length) {
      for (const { row, error } of out.failed) {
        await trx.raw("update core_outbox set attempts = attempts + 1, last_error = ? where id = ?", [error.message.slice(0, 2000), row.id]);
      }
      const { row, error } = out.failed[0];
      this.failed(
        `event ${row.event} (${row.event_id}${row.stream_key ? `, key ${row.stream_key}` : ""}) could not be published; it and the later rows of its key are retried: ${error.message}` +
          (out.failed.length > 1 ? ` (and ${out.failed.length - 1} more key(s))` : ""),
      );
      return "failed";
    }
    if (overTime) return "more";
    if (out.held.length) return "held";
    return rows.length === this.batchSize ? "more" : "idle";
  }

  private async publish(row: OutboxRow): Promise<boolean> {
    const { broker } = this.opts;
    // (A durable subscriber is never missed: its copy waits in the queue for it.)
    if (this.settleMs > 0 && Date.now() - this.startedAt < this.settleMs && !broker.hasEventListener(row.event) && !this.opts.queue?.subscribed(row.event)) return false;
    // emit may also throw synchronously (a broken transporter): the same failure.
    await withTimeout(Promise.resolve().then(() => broker.emit(row.event, toEventParams(row))), this.emitTimeoutMs, `emit of ${row.event}`);
    return true;
  }

  private async flushTransporter(): Promise<void> {
    const client = (this.opts.broker as unknown as { transit?: { tx?: { client?: { flush?: () => Promise<void> } } } }).transit?.tx?.client;
    if (client && typeof client.flush === "function") await withTimeout(client.flush(), this.emitTimeoutMs, "flushing the transporter");
  }

  private failed(line: string): void {
    this.failuresInARow++;
    this.counters.failures++;
    this.counters.lastError = line;
    // The first failure, then now and then: a database down for an hour should not fill the log.
    if (this.failuresInARow === 1 || this.failuresInARow % 20 === 0) this.log(`[events] ${line}${this.failuresInARow > 1 ? ` (${this.failuresInARow} failures in a row)` : ""}`);
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new Client(this.listenConfig);
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      client.removeAllListeners("notification");
      void client.end().catch(() => {});
      if (this.listener === client) {
        this.listener = undefined;
        this.counters.listening = false;
      }
      if (this.stopped) return;
      this.listenFailures++;
      if (this.listenFailures === 1 || this.listenFailures % 20 === 0) {
        this.log(`[events] outbox relay: LISTEN connection ${err ? `failed: ${err.message}` : "closed"}; polling every ${this.pollMs} ms until it is back`);
      }
      this.listenTimer = setTimeout(() => void this.listen(), retryDelay(this.listenFailures, this.retryMinMs, this.retryMaxMs));
      this.listenTimer.unref();
    };
    client.on("error", onLost);
    client.on("end", () => onLost());
    client.on("notification", () => this.kick());
    try {
      await client.connect();
      await client.query(`listen ${OUTBOX_CHANNEL}`);
    } catch (err) {
      onLost(err as Error);
      return;
    }
    if (lost) return;
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    if (this.listenFailures > 0) this.log("[events] outbox relay: LISTEN connection back");
    this.listenFailures = 0;
    this.listener = client;
    this.counters.listening = true;
    // Whatever was committed while nobody listened.
    this.kick();
  }
}

/** Starts a relay (see OutboxRelay); `stop()` it before the broker and the pool. */
export function startOutboxRelay(opts: OutboxRelayOptions): OutboxRelay {
  return new OutboxRelay(opts).start();
}
