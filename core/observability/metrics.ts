import type { IncomingMessage, ServerResponse } from "node:http";
import type { Knex } from "knex";
import type { Middleware } from "moleculer";
import { isConnectionError } from "../db";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** What the collectors read when Prometheus scrapes; each is optional (a node without a gateway has no sockets). */
export interface MetricsSources {
  knex: Knex;
  /** the platform's clock (tests travel in time): when a workflow timer is due */
  nowMs: () => number;
  /** tenant codes of the tree: the only values the tenant label takes ("other" for anything else) */
  tenants: ReadonlySet<string>;
  sockets?: () => { users: number; visitors: number } | undefined;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** a timer this much past due counts as late: the sweep runs every second, a job at once */
const LATE_AFTER_S = 60;

/**
 * One node's metrics, in its own registry (a test runs several kernels in one process). Names are
 * `platform_*`; labels are bounded: routes are alias patterns, actions are declared names, tenants
 * are codes of the tenant tree, queues are the subscriptions plugins declare.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<"method" | "route" | "status">;
  private readonly actionDuration: Histogram<"action">;
  private readonly actionErrors: Counter<"action" | "code">;
  private readonly tenantCalls: Counter<"tenant">;
  private readonly poolWait: Histogram;
  private readonly sources: Partial<MetricsSources> = {};

  constructor(node: string) {
    this.registry.setDefaultLabels({ node });
    collectDefaultMetrics({ register: this.registry, prefix: "platform_" });
    const r = [this.registry];
    this.httpDuration = new Histogram({ name: "platform_http_request_duration_seconds", help: "HTTP requests by route pattern and status, and how long they took", labelNames: ["method", "route", "status"], buckets: SECONDS, registers: r });
    this.actionDuration = new Histogram({ name: "platform_action_duration_seconds", help: "Actions served on this node and how long they took", labelNames: ["action"], buckets: SECONDS, registers: r });
    this.actionErrors = new Counter({ name: "platform_action_errors_total", help: "Actions that failed, by error code (DESIGN.md §7)", labelNames: ["action", "code"], registers: r });
    this.tenantCalls = new Counter({ name: "platform_tenant_calls_total", help: "Actions called by signed-in users, by the user's tenant", labelNames: ["tenant"], registers: r });
    this.poolWait = new Histogram({ name: "platform_db_pool_acquire_seconds", help: "How long a query waited for a connection of this node's pool", buckets: SECONDS, registers: r });
    const self = this;
    const pool = () => (self.sources.knex?.client as { pool?: PoolLike } | undefined)?.pool;
    new Gauge({ name: "platform_db_pool_connections", help: "Connections of this node's pool, by state (used, free, pending acquires, pending creates)", labelNames: ["state"], registers: r,
      collect() {
        const p = pool();
        if (!p) return;
        this.set({ state: "used" }, p.numUsed());
        this.set({ state: "free" }, p.numFree());
        this.set({ state: "pending_acquire" }, p.numPendingAcquires());
        this.set({ state: "pending_create" }, p.numPendingCreates());
      } });
    new Gauge({ name: "platform_websocket_connections", help: "socket.io clients connected to this node", labelNames: ["namespace"], registers: r,
      collect() {
        const s = self.sources.sockets?.();
        this.set({ namespace: "users" }, s?.users ?? 0);
        this.set({ namespace: "public" }, s?.visitors ?? 0);
      } });
    // The rest is the cluster's, read from the shared database: every node reports the same values.
    new Gauge({ name: "platform_outbox_unsent", help: "Outbox events not yet published", registers: r,
      async collect() { const row = await self.one<{ n: string }>("select count(*) as n from core_outbox where sent_at is null"); this.set(Number(row?.n ?? 0)); } });
    new Gauge({ name: "platform_outbox_lag_seconds", help: "Age of the oldest unpublished outbox event (0 when none)", registers: r,
      async collect() { const row = await self.one<{ s: string | null }>("select extract(epoch from now() - min(created_at)) as s from core_outbox where sent_at is null"); this.set(Number(row?.s ?? 0)); } });
    new Gauge({ name: "platform_queue_jobs", help: "Event deliveries waiting in the job queue (pg-boss), by queue and state", labelNames: ["queue", "state"], registers: r,
      async collect() {
        this.reset();
        const rows = await self.all<{ name: string; state: string; n: string }>("select name, state::text as state, count(*) as n from pgboss.job where state in ('created','retry','active') group by name, state");
        for (const row of rows) this.set({ queue: row.name, state: row.state }, Number(row.n));
      } });
    new Gauge({ name: "platform_dead_letters", help: "Events a subscriber failed for good, not yet replayed, by subscriber", labelNames: ["consumer"], registers: r,
      async collect() {
        this.reset();
        for (const row of await self.all<{ consumer: string; n: string }>("select consumer, count(*) as n from core_dead_letters where replayed_at is null group by consumer")) this.set({ consumer: row.consumer }, Number(row.n));
      } });
    new Gauge({ name: "platform_workflow_timers", help: `Workflow timers not fired: due now, and late (due more than ${LATE_AFTER_S} s ago)`, labelNames: ["state"], registers: r,
      async collect() {
        const now = new Date(self.sources.nowMs?.() ?? Date.now());
        const row = await self.one<{ due: string; late: string }>(
          "select count(*) filter (where due_at <= ?) as due, count(*) filter (where due_at <= ?) as late from core_workflow_timers where fired_at is null and cancelled_at is null",
          [now, new Date(now.getTime() - LATE_AFTER_S * 1000)],
        );
        this.set({ state: "due" }, Number(row?.due ?? 0));
        this.set({ state: "late" }, Number(row?.late ?? 0));
      } });
  }

  /** Once the database is open: the pool's gauges and its wait times. */
  attach(sources: Partial<MetricsSources>): void {
    Object.assign(this.sources, sources);
    const pool = (sources.knex?.client as { pool?: PoolLike } | undefined)?.pool;
    if (sources.knex && pool?.on) {
      const asked = new Map<number, bigint>();
      pool.on("acquireRequest", (id: number) => asked.set(id, process.hrtime.bigint()));
      const done = (id: number) => {
        const t0 = asked.get(id);
        if (t0 === undefined) return;
        asked.delete(id);
        this.poolWait.observe(Number(process.hrtime.bigint() - t0) / 1e9);
      };
      pool.on("acquireSuccess", done);
      pool.on("acquireFail", (id: number) => asked.delete(id));
    }
  }

  /** A scrape: the text Prometheus reads. A source that fails (the database down) leaves its gauges out, not the rest. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Times an HTTP request, labelled with its route pattern once the router has found it. */
  observeHttp(req: IncomingMessage & { $alias?: { fullPath?: string; path?: string }; $route?: { path?: string } }, res: ServerResponse): void {
    const end = this.httpDuration.startTimer();
    res.once("finish", () => {
      const alias = req.$alias;
      const route = alias ? (alias.fullPath ?? `${req.$route?.path ?? ""}${alias.path ?? ""}`) : routeKind(req.url ?? "/");
      end({ method: req.method ?? "GET", route, status: String(res.statusCode) });
    });
  }

  /** Times every action served here, and counts failures by their envelope code. */
  middleware(): Middleware {
    const m = this;
    return {
      name: "PlatformMetrics",
      localAction(next: (ctx: CallCtx) => Promise<unknown>, action: { name: string }) {
        const name = action.name;
        return function measured(ctx: CallCtx) {
          const end = m.actionDuration.startTimer({ action: name });
          const tenant = ctx.meta?.user?.tenantCode;
          if (tenant) m.tenantCalls.inc({ tenant: m.sources.tenants?.has(tenant) ? tenant : "other" });
          return next(ctx).then(
            (v) => { end(); return v; },
            (err: { type?: string }) => { end(); m.actionErrors.inc({ action: name, code: codeOf(err) }); throw err; },
          );
        };
      },
    } as unknown as Middleware;
  }

  private async all<T>(sql: string, bindings: unknown[] = []): Promise<T[]> {
    if (!this.sources.knex) return [];
    try {
      return ((await this.sources.knex.raw(sql, bindings as Knex.RawBinding[])) as { rows: T[] }).rows;
    } catch {
      return [];
    }
  }

  private async one<T>(sql: string, bindings: unknown[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, bindings))[0];
  }
}

interface PoolLike {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
  on?(event: string, fn: (...a: any[]) => void): void;
}

type CallCtx = { meta?: { user?: { tenantCode?: string } | null } };

/**
 * The code the caller will see: the broker's error handler (outside this middleware) turns a lost
 * database into UNAVAILABLE and anything else unexpected into INTERNAL_ERROR.
 */
function codeOf(err: { type?: string } | undefined): string {
  if (typeof err?.type === "string") return err.type;
  return isConnectionError(err) ? "UNAVAILABLE" : "INTERNAL_ERROR";
}

/** Requests no API route matched: a bounded label, never the URL. */
function routeKind(url: string): string {
  if (url.startsWith("/socket.io")) return "socket.io";
  if (url.startsWith("/api/")) return "api-unmatched";
  if (url === "/metrics" || url.startsWith("/health/")) return url.split("?")[0];
  return "static";
}
