import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { signedIn } from "../support/accounts";
import { createTestDatabase } from "../support/db";
import { startNats, type NatsServer } from "../support/nats";
import { freePort, startNode, stopAllNodes, type PlatformNode } from "../support/node-process";
import { callApi, poll as pollUntil, type Reply } from "../support/http";

/**
 * Module schedules across a cluster: two real nodes, as separate OS processes, on a real
 * nats-server and one fresh database, both serving the gateway and the gated stand-in plugins:
 *   A: SERVICES=gateway,etrading,legacy   (the node an admin changes a schedule on)
 *   B: SERVICES=gateway,etrading,legacy   (the node a purchaser works on)
 * A PUT on A writes the schedule, reloads A and has every other node (B) re-read before it
 * answers. The registry prefers local services, so a call through B's gateway is decided
 * by B's own module gate, with B's own copy of the schedules and B's clock.
 *
 * The clock is the real one (2026): in the seed, Guangzhou's e-trading is off with no date.
 */

// Process start-up (tsx compiles on the fly) takes seconds.
jest.setTimeout(180_000);

const PLUGINS_DIR = path.resolve(__dirname, "../fixtures/rollout-plugins");
const REQUEST_TIMEOUT_MS = 3000;
/** How soon after a change's `from` instant another node must let the call through. */
const OPEN_WITHIN_MS = 1000;
/** Time between two attempts while waiting for node B to open. */
const POLL_STEP_MS = 20;

let nats: NatsServer;
let db: { url: string; name: string; drop(): Promise<void> };
let knex: Knex;
let nodeA: PlatformNode;
let nodeB: PlatformNode;
const ports: { A: number; B: number } = { A: 0, B: 0 };
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

/** What test 1 put, for the audit test. */
let rollout: { from: string; note: string } | undefined;

const users = {
  guangzhouAdmin: { username: "gz.admin", tenantCode: "440100", roles: ["tenant-admin"] },
  guangzhouPurchaser: { username: "gz.buyer", tenantCode: "440100", roles: ["purchaser"], unitCode: "440100001" },
  huizhouAdmin: { username: "hz.admin", tenantCode: "441300", roles: ["tenant-admin"] },
  shenzhenAdmin: { username: "sz.admin", tenantCode: "440300", roles: ["tenant-admin"] },
  platformAdmin: { username: "ops.admin", tenantCode: "440000", roles: ["platform-admin"] },
} as const;
type Who = keyof typeof users;

const api = (node: "A" | "B", url: string, init: { method?: string; who?: Who; body?: unknown } = {}): Promise<Reply> =>
  callApi(`http://127.0.0.1:${ports[node]}`, url, { method: init.method, body: init.body, token: init.who ? tokens[init.who] : undefined, headers: { "accept-language": "en" } });

const putSchedule = (node: "A" | "B", who: Who, tenant: string, module: string, body: unknown) =>
  api(node, `/api/tenants/${tenant}/modules/${module}`, { method: "PUT", who, body });
const startTender = (node: "A" | "B", who: Who = "guangzhouPurchaser") =>
  api(node, "/api/etrading/tenders", { method: "POST", who, body: {} });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** An instant `ms` from now, as ISO with Z (milliseconds included). */
const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();
const nodesOutput = () => `--- node A output:\n${nodeA?.output()}\n--- node B output:\n${nodeB?.output()}`;

const poll = <T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs?: number) => pollUntil(what, fn, ok, timeoutMs, nodesOutput);

function start(nodeId: string, port: number): Promise<PlatformNode> {
  return startNode({
    nodeId,
    services: "gateway,etrading,legacy",
    port,
    databaseUrl: db.url,
    natsUrl: nats.url,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    env: { PLUGINS_DIR },
  });
}

beforeAll(async () => {
  nats = await startNats();
  db = await createTestDatabase();
  ports.A = await freePort();
  ports.B = await freePort();
  // Together, as a process manager would start them: both run the migrations and the seed, which
  // queue on their locks; the schedules are seeded once.
  [nodeA, nodeB] = await Promise.all([start("rollout-a", ports.A), start("rollout-b", ports.B)]);
  // Tokens signed with the key the nodes created in the shared database, read as a node does.
  knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 2 } });
  for (const [who, user] of Object.entries(users)) {
    const account = await signedIn(knex, user);
    tokens[who] = account.token;
    ids[who] = account.id;
  }
  // Each node sees the other (so that A can have B re-read).
  for (const node of ["A", "B"] as const) {
    await poll(
      `node ${node} sees both nodes`,
      () => api(node, "/api/health"),
      (h) => h.status === 200 && ["rollout-a", "rollout-b"].every((id) => h.body.nodes?.includes(id)),
    );
  }
});

afterAll(async () => {
  await stopAllNodes("SIGKILL");
  await knex?.destroy();
  await nats?.stop();
  await db?.drop();
});

test("a schedule change made on one node gates calls on another node from its from instant", async () => {
  // Before: off on both nodes, with no date to open.
  for (const node of ["A", "B"] as const) {
    const before = await startTender(node);
    expect({ status: before.status, body: before.body }).toEqual({
      status: 403,
      body: { error: { code: "MODULE_NOT_ENABLED", message: expect.any(String), details: { module: "etrading", tenant: "440100", state: "off", opensAt: null, reason: "until the city's finance department sets a date" } } },
    });
  }

  const fromMs = Date.now() + 3000;
  const from = new Date(fromMs).toISOString();
  const note = "Guangzhou finance department sets the date";
  const put = await putSchedule("A", "guangzhouAdmin", "440100", "etrading", { state: "live", from, note });
  expect(put.status).toBe(200);
  expect(put.body.now).toMatchObject({ state: "off", next: { at: from, state: "live" } });
  rollout = { from, note };

  // The PUT answers once every node has read the change: at once, on the other node, the call is
  // still refused, and B already knows when it opens.
  expect(put.body.unconfirmed).toEqual([]);
  const refused = await startTender("B");
  expect(refused.sentAt).toBeLessThan(fromMs);
  expect({ status: refused.status, body: refused.body }).toEqual({
    status: 403,
    body: {
      error: {
        code: "MODULE_NOT_ENABLED",
        message: expect.any(String),
        details: { module: "etrading", tenant: "440100", state: "off", opensAt: from, reason: "until the city's finance department sets a date" },
      },
    },
  });

  // Then keep asking B, in short steps, until it lets the call through.
  const refusals: Reply[] = [];
  let allowed: Reply | undefined;
  while (Date.now() < fromMs + OPEN_WITHIN_MS + 5000) {
    const r = await startTender("B");
    if (r.status === 200) {
      allowed = r;
      break;
    }
    expect({ status: r.status, code: r.body?.error?.code, details: r.body?.error?.details }).toEqual({
      status: 403,
      code: "MODULE_NOT_ENABLED",
      details: { module: "etrading", tenant: "440100", state: "off", opensAt: from, reason: "until the city's finance department sets a date" },
    });
    refusals.push(r);
    await sleep(POLL_STEP_MS);
  }
  const lastRefusal = refusals[refusals.length - 1];
  const figures = {
    from,
    refusalsOnB: refusals.length,
    lastRefusalSent: lastRefusal ? `${lastRefusal.sentAt - fromMs} ms after from` : null,
    firstAllowedSent: allowed ? `${allowed.sentAt - fromMs} ms after from` : null,
    firstAllowedAnswered: allowed ? `${allowed.receivedAt - fromMs} ms after from` : null,
  };
  console.log(`[schedule-rollout] node B opened: ${JSON.stringify(figures)}`);

  if (!allowed) throw new Error(`node B never allowed the call: ${JSON.stringify(figures)}\n${nodesOutput()}`);
  expect(allowed.body).toEqual({ module: "etrading", kind: "create", tenant: "440100" });
  // B's gate decided somewhere between sending and answering: not before `from` ...
  expect(allowed.receivedAt).toBeGreaterThanOrEqual(fromMs);
  // ... and no later than a second after it.
  expect(allowed.sentAt).toBeLessThanOrEqual(fromMs + OPEN_WITHIN_MS);

  // It stays open, on both nodes.
  expect((await startTender("B")).status).toBe(200);
  expect((await startTender("A")).status).toBe(200);
});

test("a tenant admin of Huizhou cannot change Maoming's schedule, and nobody can change Shenzhen's", async () => {
  const body = { state: "off", from: inFuture(24 * 3600_000), note: "system upgrade" };
  const maomingBefore = (await api("B", "/api/tenants/440900/modules/etrading/timeline")).body;

  const maoming = await putSchedule("A", "huizhouAdmin", "440900", "etrading", body);
  expect({ status: maoming.status, body: maoming.body }).toEqual({
    status: 403,
    body: { error: { code: "FORBIDDEN", message: "You are not allowed to do this" } },
  });

  // Shenzhen runs its own platform: not even the platform admin (nor an admin of Shenzhen) may.
  for (const who of ["platformAdmin", "shenzhenAdmin"] as const) {
    const shenzhen = await putSchedule("A", who, "440300", "etrading", body);
    expect({ who, status: shenzhen.status, body: shenzhen.body }).toEqual({
      who,
      status: 403,
      body: { error: { code: "FORBIDDEN", message: "Shenzhen runs its own platform; its modules are not managed here" } },
    });
  }

  // A county of Huizhou is the Huizhou admin's to change.
  const boluo = await putSchedule("A", "huizhouAdmin", "441322", "etrading", body);
  expect(boluo.status).toBe(200);
  expect(boluo.body).toMatchObject({
    tenant: { code: "441322" },
    module: "etrading",
    own: [{ state: "off", from: body.from, until: null, units: null, note: "system upgrade" }],
  });
  // ... and node B hears of it.
  await poll(
    "node B shows Boluo's change",
    () => api("B", "/api/tenants/441322/modules/etrading/timeline"),
    (r) => r.status === 200 && r.body.own.some((e: { from: string }) => e.from === body.from),
  );

  // The refused changes changed nothing.
  expect((await api("B", "/api/tenants/440900/modules/etrading/timeline")).body).toEqual(maomingBefore);
  const refusedAudit = await knex("core_audit_log").whereIn("object", ["440900/etrading", "440300/etrading"]);
  expect(refusedAudit).toEqual([]);
  expect(await knex("tenancy_schedule_entries").where({ tenant_code: "440300" })).toEqual([]);
});

test("bad schedule input is refused with the field", async () => {
  const timeline = async () => {
    const [a, b] = await Promise.all([
      api("A", "/api/tenants/440100/modules/etrading/timeline"),
      api("B", "/api/tenants/440100/modules/etrading/timeline"),
    ]);
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
    return a.body;
  };
  const counts = async () => ({
    entries: (await knex("tenancy_schedule_entries").count<{ count: string }[]>("* as count"))[0].count,
    audit: (await knex("core_audit_log").count<{ count: string }[]>("* as count"))[0].count,
  });
  const before = { timeline: await timeline(), counts: await counts() };

  const later = inFuture(2 * 24 * 3600_000);
  const evenLater = inFuture(3 * 24 * 3600_000);
  const cases: Array<{ what: string; tenant?: string; module?: string; body: unknown; path: string; rule?: string }> = [
    { what: "unknown module", module: "no-such-module", body: { state: "live", from: later }, path: "/module", rule: "module" },
    { what: "unknown state", body: { state: "paused", from: later }, path: "/state", rule: "enum" },
    { what: "until before from", body: { state: "live", from: evenLater, until: later }, path: "/until", rule: "after-from" },
    { what: "malformed date", body: { state: "live", from: "2026-02-30" }, path: "/from", rule: "format:schedule-time" },
    { what: "a from in the past", body: { state: "live", from: "2021-01-01" }, path: "/from", rule: "not-before-now" },
    { what: "pilot without units", body: { state: "pilot", from: later }, path: "/units", rule: "required" },
    { what: "unknown tenant", tenant: "999999", body: { state: "live", from: later }, path: "/tenant", rule: "tenant" },
  ];
  for (const c of cases) {
    const r = await putSchedule("A", "guangzhouAdmin", c.tenant ?? "440100", c.module ?? "etrading", c.body);
    expect({ what: c.what, status: r.status, code: r.body?.error?.code }).toEqual({ what: c.what, status: 400, code: "VALIDATION_FAILED" });
    expect({ what: c.what, details: r.body.error.details }).toEqual({
      what: c.what,
      details: expect.arrayContaining([expect.objectContaining({ path: c.path, ...(c.rule ? { rule: c.rule } : {}) })]),
    });
  }

  // Nothing changed, on either node or in the database.
  expect({ timeline: await timeline(), counts: await counts() }).toEqual(before);
});

test("the change is audited", async () => {
  expect(rollout).toBeDefined();
  const rows = await knex("core_audit_log").where({ action: "tenancy.schedule.put", object: "440100/etrading" });
  expect(rows).toHaveLength(1);
  const [row] = rows;
  expect(row.tenant_code).toBe("440100");
  expect(row.actor).toEqual({ id: ids.guangzhouAdmin, username: users.guangzhouAdmin.username });
  expect(row.at).toBeInstanceOf(Date);
  // Seed: off since 2021-01-01 (local), with no end. After: off until `from`, then live.
  const seedFrom = new Date("2021-01-01T00:00:00+08:00").toISOString();
  expect(row.before).toEqual([
    expect.objectContaining({ tenant: "440100", module: "etrading", state: "off", from: seedFrom, until: null, units: null }),
  ]);
  expect(row.after).toEqual([
    expect.objectContaining({ tenant: "440100", module: "etrading", state: "off", from: seedFrom, until: rollout!.from, units: null }),
    { tenant: "440100", module: "etrading", state: "live", from: rollout!.from, until: null, units: null, note: rollout!.note },
  ]);
  // The before's note is the seed's, carried over into the cut entry.
  expect(row.after[0].note).toBe(row.before[0].note);
});
