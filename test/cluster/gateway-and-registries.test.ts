import knexFactory, { type Knex } from "knex";
import { signedIn } from "../support/accounts";
import { usccCheckChar } from "../../core/forms/formats";
import { createTestDatabase } from "../support/db";
import { startNats, type NatsServer } from "../support/nats";
import { freePort, startNode, stopAllNodes, type PlatformNode } from "../support/node-process";
import { callApi, poll as pollUntil } from "../support/http";

/**
 * Two real nodes, as separate OS processes, on a real nats-server and one database:
 *   A: SERVICES=gateway     (HTTP on a free port; runs only the core migrations)
 *   B: SERVICES=registries  (runs the core and the registries migrations)
 * Calls go browser → A → NATS → B. The point is what A answers while B is gone.
 */

// Process start-up (tsx compiles on the fly) takes seconds; each scenario waits for discovery.
jest.setTimeout(180_000);

const REQUEST_TIMEOUT_MS = 3000;
// Slack for HTTP, NATS round trips and a loaded CI machine; well below a second timeout period.
const MARGIN_MS = 2000;
const GATEWAY = "cluster-a-gateway";
const REGISTRIES = "cluster-b-registries";

let nats: NatsServer;
let db: { url: string; drop(): Promise<void> };
let knex: Knex;
let port: number;
let gateway: PlatformNode;
let registries: PlatformNode | undefined;
let token: string;
let created: { id: string } & Record<string, unknown>;

/** 17 characters + the GB 32100 check character computed here, so the example is always valid. */
const creditCode = (first17: string) => first17 + usccCheckChar(first17);

const purchaser = {
  name: "惠州市财政局",
  budgetCode: "441300001",
  tenantCode: "441300",
  unitType: "government-agency",
  creditCode: creditCode("11441300007208517"),
};

const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
  const reply = await callApi(`http://127.0.0.1:${port}`, path, { ...init, token, headers: { "accept-language": "en" } });
  return { ...reply, ms: reply.receivedAt - reply.sentAt };
};
const poll = <T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs?: number) =>
  pollUntil(what, fn, ok, timeoutMs, () => `--- gateway output:\n${gateway?.output()}\n--- registries output:\n${registries?.output()}`);

const registriesAvailable = (h: { status: number; body: any }) => // eslint-disable-line @typescript-eslint/no-explicit-any
  h.status === 200 && h.body.plugins?.some((p: { name: string; available: boolean }) => p.name === "registries" && p.available);

function startRegistries(): Promise<PlatformNode> {
  return startNode({ nodeId: REGISTRIES, services: "registries", databaseUrl: db.url, natsUrl: nats.url, requestTimeoutMs: REQUEST_TIMEOUT_MS });
}

/** Both routes the gateway serves for registries: a read (retried by the kernel) and a create (never retried). */
async function expectUnavailable(): Promise<void> {
  const [read, create] = await Promise.all([
    api(`/api/registries/purchasers/${created.id}`),
    api("/api/registries/purchasers", { method: "POST", body: { ...purchaser, budgetCode: "441300002", creditCode: creditCode("11441300007208518") } }),
  ]);
  for (const r of [read, create]) {
    // It names what is missing (core/broker/middlewares.ts UNAVAILABLE): the registries, never the database.
    expect({ status: r.status, body: r.body }).toEqual({ status: 503, body: { error: { code: "UNAVAILABLE", message: expect.stringContaining('"registries"'), details: { reason: expect.stringMatching(/^(no-live-node|node-lost|timeout)$/), service: "registries" } } } });
    expect(r.ms).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS);
  }
}

beforeAll(async () => {
  nats = await startNats();
  db = await createTestDatabase();
  port = await freePort();
  // Started together, as an operator's process manager would: both run the core migrations
  // (every node does, see core/kernel.ts) and wait on the kernel's migration lock.
  [gateway, registries] = await Promise.all([
    startNode({ nodeId: GATEWAY, services: "gateway", port, databaseUrl: db.url, natsUrl: nats.url, requestTimeoutMs: REQUEST_TIMEOUT_MS }),
    startRegistries(),
  ]);
  // Tokens: the signing key the nodes created in the shared database (core_settings), read the
  // same way a node does, rather than an AUTH_SECRET; so this also checks that a token issued
  // anywhere is honoured by the gateway node. (Tokens.load honours AUTH_SECRET if the
  // environment has one; the nodes inherit the same environment, so both sides still agree.)
  knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 2 } });
  token = (await signedIn(knex, { username: "cluster-admin", tenantCode: "440000", roles: ["platform-admin"] })).token;
});

afterAll(async () => {
  await stopAllNodes("SIGKILL");
  await knex?.destroy();
  await nats?.stop();
  await db?.drop();
});

test("a purchaser created through the gateway node is stored by the registries node", async () => {
  const health = await poll("registries available on the gateway", () => api("/api/health"), registriesAvailable);
  expect(health.body).toMatchObject({
    status: "ok",
    node: GATEWAY,
    transporter: { type: "NATS", connected: true },
    database: { status: "up" },
  });
  expect(health.body.nodes).toEqual(expect.arrayContaining([GATEWAY, REGISTRIES]));

  const post = await api("/api/registries/purchasers", { method: "POST", body: purchaser });
  expect(post.status).toBe(201);
  expect(post.body).toMatchObject(purchaser);
  created = post.body;

  const got = await api(`/api/registries/purchasers/${created.id}`);
  expect(got.status).toBe(200);
  expect(got.body).toEqual(created);

  // The gateway runs no registries service: the row reached the database through node B.
  const rows = await knex("registries_purchasers").where({ budget_code: purchaser.budgetCode });
  expect(rows).toHaveLength(1);
  expect(rows[0].credit_code).toBe(purchaser.creditCode);
});

test("when the registries node is stopped gracefully, the gateway answers 503 UNAVAILABLE within the request timeout", async () => {
  expect(await registries!.stop("SIGTERM")).toBe(0);
  expect(registries!.output()).not.toMatch(/\[stop\] .*(error|failed)/i);
  registries = undefined;

  await expectUnavailable();
  const health = await api("/api/health");
  expect(health.status).toBe(200);
  expect(health.body.nodes).toEqual([GATEWAY]);
  expect(health.body.plugins).toContainEqual({ name: "registries", available: false });
});

test("when the registries node is started again, calls succeed again", async () => {
  registries = await startRegistries();
  const got = await poll("GET purchaser answers 200", () => api(`/api/registries/purchasers/${created.id}`), (r) => r.status === 200);
  expect(got.body).toEqual(created);
});

test("when the registries node is killed (SIGKILL), the gateway still answers 503 UNAVAILABLE within the request timeout instead of hanging", async () => {
  // Not announced: the gateway still believes B is there until B's heartbeats are missed.
  await registries!.stop("SIGKILL");
  registries = undefined;
  await expectUnavailable();
});

test("when the killed registries node is started again, calls succeed again", async () => {
  registries = await startRegistries();
  const got = await poll("GET purchaser answers 200", () => api(`/api/registries/purchasers/${created.id}`), (r) => r.status === 200);
  expect(got.body).toEqual(created);
  const post = await api("/api/registries/purchasers", { method: "POST", body: { ...purchaser, budgetCode: "441300003", creditCode: creditCode("11441300007208519") } });
  expect(post.status).toBe(201);
});
