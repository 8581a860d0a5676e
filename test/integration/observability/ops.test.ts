import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { createTestDatabase } from "../../support/db";
import { startTcpProxy } from "../../support/tcp-proxy";

const PROBE = path.resolve(__dirname, "../../fixtures/plugins/probe");
const FIXTURE_PLUGINS = path.resolve(__dirname, "../../fixtures/plugins");
const ADMIN_PASSWORD = "Sturdy-Observer-Passphrase-2026";
const NEW_PASSWORD = "Lychee-Harbour-Lantern-4417";
const METRICS_TOKEN = "scrape-" + crypto.randomBytes(12).toString("hex");
const HEADER = "username,display_name,role,tenant_code,unit_code,budget_code";

/** The value of the sample of `name` whose labels include `labels` (Prometheus' text format), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^([a-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const has = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => has[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Everything the node logs, as pino wrote it: one JSON object a line. */
const lines: string[] = [];
const logged = () => lines.map((l) => JSON.parse(l) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any

describe("operations of one node over HTTP: /metrics, trace ids, structured logs, health", () => {
  let platform: TestPlatform;
  let admin: string;
  const get = (p: string, headers: Record<string, string> = {}) => fetch(platform.baseUrl + p, { headers, signal: AbortSignal.timeout(15_000) });

  beforeAll(async () => {
    // debug: every request's params are logged (moleculer-web), which is where secrets would leak
    platform = await startTestPlatform(
      { pluginPaths: [PROBE], initAdminPassword: ADMIN_PASSWORD, metricsToken: METRICS_TOKEN, logLevel: "debug" },
      { logDestination: { write: (line: string) => void lines.push(line) } },
    );
    const signedIn = await platform.api("/api/auth/login", { method: "POST", body: { username: "admin", password: ADMIN_PASSWORD } });
    expect(signedIn.status).toBe(200);
    admin = signedIn.body.token;
  });
  afterAll(() => platform?.stop());

  test("/metrics answers only with METRICS_TOKEN, in Prometheus' text format", async () => {
    expect((await get("/metrics")).status).toBe(401);
    expect((await get("/metrics", { authorization: "Bearer wrong-token" })).status).toBe(401);
    const res = await get("/metrics", { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toMatch(/^# HELP /m);
  });

  test("/metrics has request rate, latency and errors per route and action, per tenant, and the pool, queues, outbox, timers and sockets", async () => {
    expect((await platform.api("/api/probe/echo", { method: "POST", token: admin, body: { text: "x" } })).status).toBe(200);
    expect((await platform.api("/api/probe/boom")).status).toBe(500);
    const text = await (await get("/metrics", { authorization: `Bearer ${METRICS_TOKEN}` })).text();
    const node = platform.kernel.broker.nodeID;
    expect(sample(text, "platform_http_request_duration_seconds_count", { method: "POST", route: "/api/probe/echo", status: "200", node })).toBe(1);
    expect(sample(text, "platform_http_request_duration_seconds_count", { method: "GET", route: "/api/probe/boom", status: "500", node })).toBe(1);
    expect(sample(text, "platform_action_duration_seconds_count", { action: "probe.echo" })).toBe(1);
    expect(sample(text, "platform_action_errors_total", { action: "probe.boom", code: "INTERNAL_ERROR" })).toBe(1);
    // the admin is of the province (440000): calls are counted per tenant of the tree
    expect(sample(text, "platform_tenant_calls_total", { tenant: "440000" })).toBeGreaterThanOrEqual(1);
    for (const state of ["used", "free", "pending_acquire", "pending_create"]) expect(sample(text, "platform_db_pool_connections", { state })).toBeGreaterThanOrEqual(0);
    expect(sample(text, "platform_db_pool_acquire_seconds_count")).toBeGreaterThan(0);
    expect(sample(text, "platform_outbox_unsent")).toBeGreaterThanOrEqual(0);
    expect(sample(text, "platform_outbox_lag_seconds")).toBeGreaterThanOrEqual(0);
    expect(sample(text, "platform_workflow_timers", { state: "due" })).toBeGreaterThanOrEqual(0);
    expect(sample(text, "platform_workflow_timers", { state: "late" })).toBeGreaterThanOrEqual(0);
    expect(sample(text, "platform_websocket_connections", { namespace: "users" })).toBe(0);
    expect(text).toMatch(/# TYPE platform_queue_jobs gauge/);
    expect(text).toMatch(/# TYPE platform_dead_letters gauge/);
    expect(sample(text, "platform_process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  test("every metric the sample Grafana dashboard (docs/grafana-dashboard.json) queries is one this node exports", async () => {
    const text = await (await get("/metrics", { authorization: `Bearer ${METRICS_TOKEN}` })).text();
    const exported = new Set([...text.matchAll(/^# TYPE (\S+) (\w+)/gm)].map((m) => m[1]));
    const dashboard = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../../docs/grafana-dashboard.json"), "utf8")) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    const queried = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\bplatform_\w+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, "")))));
    expect(queried.size).toBeGreaterThanOrEqual(10);
    expect([...queried].filter((name) => !exported.has(name))).toEqual([]);
  });

  test("an error's answer carries the request's trace id (X-Request-ID, the envelope unchanged), which is on every log line of the request", async () => {
    const res = await get("/api/probe/boom", { "accept-language": "en" });
    expect(res.status).toBe(500);
    const body = await res.json();
    const traceId = res.headers.get("x-request-id");
    expect(traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body).toEqual({ error: { code: "INTERNAL_ERROR", message: "Internal server error" } });
    const mine = logged().filter((l) => l.traceId === traceId);
    // the crash, with its stack, where it happened; and the request's own line
    expect(mine.find((l) => l.level === "error" && /probe\.boom failed/.test(l.msg))?.err?.stack).toMatch(/secret_table/);
    expect(mine.find((l) => l.msg === "request")).toMatchObject({ http: { method: "GET", route: "/api/probe/boom", status: 500 } });
  });

  test("an X-Request-Id from a proxy is kept when it is a plausible id, replaced when it is not", async () => {
    const kept = await get("/api/health/live-probe-missing", { "x-request-id": "lb-7f3a9c21d4" });
    expect(kept.status).toBe(404);
    expect(kept.headers.get("x-request-id")).toBe("lb-7f3a9c21d4");
    expect(logged().find((l) => l.traceId === "lb-7f3a9c21d4" && l.msg === "request")).toMatchObject({ http: { status: 404 } });
    const forged = await get("/api/no/such", { "x-request-id": 'x" level=fatal msg=forged' });
    expect(forged.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("a signed-in request's log lines say its tenant and user", async () => {
    const res = await fetch(platform.baseUrl + "/api/me", { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    const traceId = res.headers.get("x-request-id");
    const line = logged().find((l) => l.traceId === traceId && l.msg === "request");
    expect(line).toMatchObject({ tenant: "440000", userId: expect.any(String), http: { route: "/api/me", status: 200 } });
  });

  test("no password, token or budget code reaches the logs (sign-in, budget-code sign-in, password change, refresh), although params are logged", async () => {
    const budget = `4413009${crypto.randomInt(100, 999)}`;
    await platform.kernel.db.knex("registries_purchasers").insert({ name: "惠州市日志测试单位", budget_code: budget, tenant_code: "441300", unit_type: "government-agency" });
    const username = `hz-log-${crypto.randomBytes(3).toString("hex")}`;
    const imported = await platform.api("/api/accounts/import", { method: "POST", token: admin, raw: `${HEADER}\n${username},日志测试,purchaser,441300,${budget},${budget}\n`, headers: { "content-type": "text/csv" } });
    expect(imported.status).toBe(200);
    const name: string = imported.body.renamed?.[0]?.username ?? username;
    const first = await platform.api("/api/auth/login", { method: "POST", body: { username: name, password: budget } });
    expect(first.status).toBe(200);
    const changed = await platform.api("/api/auth/change-password", { method: "POST", token: first.body.token, body: { currentPassword: budget, newPassword: NEW_PASSWORD } });
    expect(changed.status).toBe(200);
    const refreshed = await platform.api("/api/auth/refresh", { method: "POST", body: { refreshToken: changed.body.refreshToken } });
    expect(refreshed.status).toBe(200);
    const wrong = await platform.api("/api/auth/login", { method: "POST", body: { username: name, password: `${NEW_PASSWORD}-wrong` } });
    expect(wrong.status).toBe(401);

    const all = lines.join("\n");
    // the requests were logged with their params (so this is not an empty log passing)...
    expect(all).toContain("[redacted]");
    expect(all).toContain("/api/auth/change-password");
    // ...and none of the secrets
    for (const secret of [ADMIN_PASSWORD, budget, NEW_PASSWORD, admin, first.body.token, first.body.refreshToken, changed.body.token, changed.body.refreshToken, refreshed.body.token, METRICS_TOKEN]) {
      expect(typeof secret).toBe("string");
      expect(all).not.toContain(secret);
    }
  });

  test("/health/live answers while the process runs; /health/ready says which checks pass", async () => {
    const live = await get("/health/live");
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "live" });
    const ready = await get("/health/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { started: true, migrations: true, database: true, transporter: true } });
  });
});

test("a node whose database cannot be reached is live but not ready, and ready again when it comes back", async () => {
  const db = await createTestDatabase();
  const target = new URL(db.url);
  const proxy = await startTcpProxy(Number(target.port), target.hostname);
  const viaProxy = new URL(db.url);
  viaProxy.port = String(proxy.port);
  const platform = await startTestPlatform({ pluginsDir: FIXTURE_PLUGINS, databaseUrl: viaProxy.toString() });
  try {
    const ready = () => fetch(platform.baseUrl + "/health/ready").then(async (r) => ({ status: r.status, body: await r.json() }));
    expect((await ready()).status).toBe(200);
    proxy.cut();
    expect(await ready()).toEqual({ status: 503, body: { status: "not-ready", checks: { started: true, migrations: true, database: false, transporter: true } } });
    expect((await fetch(platform.baseUrl + "/health/live")).status).toBe(200);
    proxy.restore();
    expect((await ready()).status).toBe(200);
  } finally {
    await platform.stop();
    await proxy.close();
    await db.drop();
  }
});
