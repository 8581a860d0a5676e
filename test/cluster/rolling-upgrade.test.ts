import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { createTestDatabase } from "../support/db";
import { startNats, type NatsServer } from "../support/nats";
import { freePort, startNode, stopAllNodes, type PlatformNode } from "../support/node-process";
import { poll as pollUntil } from "../support/http";

/**
 * A rolling upgrade as docs/operations.md ("Upgrades") tells an operator to do it: three nodes
 * (SERVICES=gateway,rolling-records) on a real nats-server and one database, a steady load through
 * a client that balances over the nodes that answer /health/ready, and each node in turn stopped
 * with SIGTERM and started again on release 2 of the plugin (test/fixtures/upgrade: v2 adds an
 * expand migration), the next one only once it is ready again.
 *
 * The client may retry only what the platform says is safe: a 503 with Retry-After (nothing was
 * written), or a read. Everything else that is not a 200 counts as a failed request.
 */
jest.setTimeout(240_000);

const RELEASES = path.resolve(__dirname, "../fixtures/upgrade");
const NODE_IDS = ["upgrade-1", "upgrade-2", "upgrade-3"];
const V2_MIGRATION = "20261207010000_written_by";
// About 20 records a second, each read back at once: ~40 requests a second over the three gateways.
const CREATE_EVERY_MS = 50;
const MAX_READ_TRIES = 5;
// A balancer's health check every second, as a real one would (they tend to be slower still); the
// nodes keep serving past it after SIGTERM (SHUTDOWN_DELAY_MS, docs/operations.md "Upgrades").
const CHECK_EVERY_MS = 1000;
const SHUTDOWN_DELAY_MS = 2500;

let nats: NatsServer;
let db: { url: string; drop(): Promise<void> };
let knex: Knex;
const ports = new Map<string, number>();
const nodes = new Map<string, PlatformNode>();
/** what every node printed, across restarts */
const printed = new Map<string, string[]>();

const output = () => [...printed].map(([id, outs]) => outs.map((o, i) => `--- ${id} (start ${i + 1}):\n${o.slice(-4000)}`).join("\n")).join("\n");
const poll = <T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000) => pollUntil(what, fn, ok, timeoutMs, output);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start(nodeId: string, release: "v1" | "v2"): Promise<PlatformNode> {
  const node = await startNode({
    nodeId,
    services: "gateway,rolling-records",
    databaseUrl: db.url,
    natsUrl: nats.url,
    port: ports.get(nodeId),
    env: { PLUGIN_PATHS: path.join(RELEASES, release), SHUTDOWN_TIMEOUT_MS: "10000", SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS) },
  });
  nodes.set(nodeId, node);
  return node;
}

/** nodes sent SIGTERM and not yet gone */
const stopping = new Set<string>();

async function stop(nodeId: string): Promise<number | null> {
  const node = nodes.get(nodeId)!;
  stopping.add(nodeId);
  const code = await node.stop("SIGTERM");
  stopping.delete(nodeId);
  printed.set(nodeId, [...(printed.get(nodeId) ?? []), node.output()]);
  return code;
}

interface Answer {
  status: number;
  retryAfter: string | null;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One request; a connection that fails is status 0 with the reason in the body. */
async function request(nodeId: string, urlPath: string, init: { method?: string; body?: unknown } = {}): Promise<Answer> {
  try {
    const res = await fetch(`http://127.0.0.1:${ports.get(nodeId)}${urlPath}`, {
      method: init.method ?? "GET",
      headers: init.body === undefined ? {} : { "content-type": "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, retryAfter: res.headers.get("retry-after"), body };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { status: 0, retryAfter: null, body: cause ?? (err as Error).message };
  }
}

/**
 * The load balancer: asks each node's /health/ready every CHECK_EVERY_MS, as an operator's balancer would,
 * and hands out the ready ones in turn.
 */
class Balancer {
  private ready = new Set<string>();
  private next = 0;
  private timer?: NodeJS.Timeout;
  start(): void {
    const check = async () => {
      await Promise.all(
        NODE_IDS.map(async (id) => {
          const r = await request(id, "/health/ready");
          if (r.status === 200) this.ready.add(id);
          else this.ready.delete(id);
        }),
      );
      if (this.timer) this.timer = setTimeout(() => void check(), CHECK_EVERY_MS);
    };
    this.timer = setTimeout(() => void check(), 0);
  }
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
  pick(besides?: string): string | undefined {
    const pool = NODE_IDS.filter((id) => this.ready.has(id) && id !== besides);
    const from = pool.length ? pool : NODE_IDS.filter((id) => this.ready.has(id));
    return from.length ? from[this.next++ % from.length] : undefined;
  }
}

interface Failure {
  what: "create" | "read";
  node: string;
  status: number;
  retryAfter: string | null;
  body: unknown;
  at: number;
}

/** The steady load: a record created every CREATE_EVERY_MS and read back through another node. */
class Load {
  created: Array<{ id: string; ref: string; version: string; at: number }> = [];
  reads: Array<{ id: string; version: string; at: number }> = [];
  failures: Failure[] = [];
  retried = { create: 0, read: 0 };
  requests = 0;
  /** requests the balancer sent to a node after its SIGTERM (it had not noticed yet) that it answered with 200 */
  servedWhileStopping = 0;
  private inFlight = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private n = 0;
  constructor(private lb: Balancer) {}

  start(): void {
    this.timer = setInterval(() => {
      const p = this.flow(`R-${++this.n}`).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }, CREATE_EVERY_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.inFlight]);
  }

  private async send(what: "create" | "read", urlPath: string, init: { method?: string; body?: unknown }, besides?: string): Promise<Answer & { node: string }> {
    for (let attempt = 0; ; attempt++) {
      const node = this.lb.pick(besides);
      if (!node) {
        // Nothing ready: a client waits for its balancer; nothing was sent.
        await sleep(50);
        continue;
      }
      this.requests++;
      const wasStopping = stopping.has(node);
      const r = await request(node, urlPath, init);
      if (r.status === 200) {
        if (wasStopping) this.servedWhileStopping++;
        return { ...r, node };
      }
      const safe = (r.status === 503 && r.retryAfter !== null) || (what === "read" && attempt + 1 < MAX_READ_TRIES);
      if (!safe || attempt >= 20) {
        this.failures.push({ what, node, status: r.status, retryAfter: r.retryAfter, body: r.body, at: Date.now() });
        return { ...r, node };
      }
      this.retried[what]++;
      await sleep(r.retryAfter !== null ? Math.min(1000, Number(r.retryAfter) * 1000 || 100) : 100);
    }
  }

  private async flow(ref: string): Promise<void> {
    const made = await this.send("create", "/api/rolling-records/records", { method: "POST", body: { ref } });
    if (made.status !== 200) return;
    this.created.push({ id: made.body.id, ref, version: made.body.version, at: Date.now() });
    const read = await this.send("read", `/api/rolling-records/records/${made.body.id}`, {}, made.node);
    if (read.status === 200) this.reads.push({ id: made.body.id, version: read.body.version, at: Date.now() });
  }
}

beforeAll(async () => {
  nats = await startNats();
  db = await createTestDatabase();
  knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 2 } });
  for (const id of NODE_IDS) ports.set(id, await freePort());
});

afterAll(async () => {
  await stopAllNodes("SIGKILL");
  await knex?.destroy();
  await nats?.stop();
  await db?.drop();
});

test("3 nodes on NATS under steady load, upgraded one at a time onto a release with an expand migration: no failed request, no lost event, one migration", async () => {
  const t0 = Date.now();
  // The first node runs the core and v1 migrations; the other two find them done.
  await start(NODE_IDS[0], "v1");
  await Promise.all(NODE_IDS.slice(1).map((id) => start(id, "v1")));
  const lb = new Balancer();
  lb.start();
  await poll("every node ready", async () => Promise.all(NODE_IDS.map((id) => request(id, "/health/ready"))), (rs) => rs.every((r) => r.status === 200));
  const load = new Load(lb);
  load.start();
  await sleep(3000);
  const steps: string[] = [];

  for (const id of NODE_IDS) {
    const s0 = Date.now();
    expect(await stop(id)).toBe(0);
    const drained = Date.now();
    await start(id, "v2");
    await poll(`${id} ready on v2`, () => request(id, "/health/ready"), (r) => r.status === 200);
    steps.push(`${id}: drained in ${drained - s0} ms, ready on v2 ${Date.now() - drained} ms later`);
    // Under load on the new release before the next node goes.
    await sleep(2000);
  }
  await load.stop();
  lb.stop();
  for (const id of NODE_IDS) printed.set(id, [...(printed.get(id) ?? []), nodes.get(id)!.output()]);

  console.log(
    `[rolling-upgrade] ${((Date.now() - t0) / 1000).toFixed(1)} s; ${load.requests} requests (${load.created.length} records created, ${load.reads.length} read back), ` +
      `${load.servedWhileStopping} sent to a node after its SIGTERM and served; retried as allowed: ${load.retried.create} creates (503 + Retry-After), ${load.retried.read} reads; failed: ${load.failures.length}\n  ${steps.join("\n  ")}`,
  );
  expect(load.failures).toEqual([]);
  // The drain was put to work: the balancer, a check behind, still sent to stopping nodes.
  expect(load.servedWhileStopping).toBeGreaterThan(0);

  // Every record the client was told about is there and was read back; nothing else was written.
  const ids = load.created.map((c) => c.id);
  expect(load.reads.map((r) => r.id).sort()).toEqual([...ids].sort());
  const rows = await knex("rolling_records").select("id", "ref", "written_by");
  expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());

  // Every record's event handled once.
  const handled = () => knex("rolling_record_events").countDistinct<{ n: string }[]>("record_id as n").then((r) => Number(r[0].n));
  await poll("every record's event handled", handled, (n) => n >= ids.length, 60_000);
  const perRecord = await knex("rolling_record_events").select("record_id").count<{ record_id: string; n: string }[]>("* as n").groupBy("record_id");
  expect(perRecord.filter((r) => Number(r.n) !== 1)).toEqual([]);
  expect(perRecord.map((r) => r.record_id).sort()).toEqual([...ids].sort());

  // The expand migration ran once, on the first node upgraded.
  const ran = await knex("knex_migrations_rolling_records").where("name", "like", `${V2_MIGRATION}%`).select("migration_time");
  expect(ran).toHaveLength(1);
  const ranOn = NODE_IDS.filter((id) => printed.get(id)!.some((o) => o.includes(V2_MIGRATION)));
  expect(ranOn).toEqual([NODE_IDS[0]]);

  // Both releases served on the expanded schema: v1 wrote (without the new column) and read after it
  // was added, v2 wrote it.
  const expandedAt = new Date(ran[0].migration_time).getTime();
  const afterExpand = await knex("rolling_records").where("created_at", ">", ran[0].migration_time).select("written_by");
  expect(afterExpand.some((r) => r.written_by === null)).toBe(true);
  expect(afterExpand.some((r) => r.written_by === "v2")).toBe(true);
  expect(load.reads.some((r) => r.version === "v1" && r.at > expandedAt)).toBe(true);
  expect(load.created.some((c) => c.version === "v1" && c.at > expandedAt)).toBe(true);
});
