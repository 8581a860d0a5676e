import { createTestDatabase } from "../support/db";
import { startNats, type NatsServer } from "../support/nats";
import { freePort, startNode, stopAllNodes, type PlatformNode } from "../support/node-process";
import { callApi, poll as pollUntil, type Reply } from "../support/http";

/**
 * Two gateway nodes, as separate processes, on a real nats-server and one database: what one
 * node does to a session (sign-out, password change) holds on the other at once, not after the
 * other node's cache expires; failed sign-ins count across nodes.
 */
jest.setTimeout(180_000);

const PASSWORD = "Cluster-Keeper-Passphrase-2026";
let nats: NatsServer;
let db: { url: string; drop(): Promise<void> };
const ports = { A: 0, B: 0 };
let nodes: PlatformNode[] = [];

const api = (node: "A" | "B", path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<Reply> =>
  callApi(`http://127.0.0.1:${ports[node]}`, path, { ...init, headers: { "accept-language": "en" } });
const output = () => nodes.map((n) => `--- ${n.nodeId}:\n${n.output()}`).join("\n");
const login = (node: "A" | "B", username = "admin", password = PASSWORD) => api(node, "/api/auth/login", { method: "POST", body: { username, password } });

/** How long after `since` the other node first refuses the token (polling every 20 ms). */
async function refusedWithin(node: "A" | "B", token: string, since: number): Promise<number> {
  for (;;) {
    const r = await api(node, "/api/me", { token });
    if (r.status === 401) return Date.now() - since;
    if (Date.now() - since > 10_000) throw new Error(`node ${node} still accepts the token after 10 s: ${JSON.stringify(r.body)}\n${output()}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

beforeAll(async () => {
  nats = await startNats();
  db = await createTestDatabase();
  ports.A = await freePort();
  ports.B = await freePort();
  const env = { INIT_ADMIN_PASSWORD: PASSWORD };
  nodes = await Promise.all([
    startNode({ nodeId: "sessions-a", services: "gateway", port: ports.A, databaseUrl: db.url, natsUrl: nats.url, env }),
    startNode({ nodeId: "sessions-b", services: "gateway", port: ports.B, databaseUrl: db.url, natsUrl: nats.url, env }),
  ]);
  for (const node of ["A", "B"] as const) {
    await pollUntil(`node ${node} sees both nodes`, () => api(node, "/api/health"), (h) => h.status === 200 && h.body.nodes?.length === 2, 30_000, output);
  }
});

afterAll(async () => {
  await stopAllNodes("SIGKILL");
  await nats?.stop();
  await db?.drop();
});

test("both nodes starting together create one first administrator", async () => {
  const a = await login("A");
  const b = await login("B");
  expect([a.status, b.status]).toEqual([200, 200]);
  expect(a.body.user.id).toBe(b.body.user.id);
});

test("signing out on node A ends the session on node B at once", async () => {
  const { body } = await login("A");
  // B has checked the session and trusts it (for up to its cache's few seconds).
  expect((await api("B", "/api/me", { token: body.token })).status).toBe(200);
  const t0 = Date.now();
  expect((await api("A", "/api/auth/logout", { method: "POST", token: body.token })).status).toBe(200);
  const ms = await refusedWithin("B", body.token, t0);
  // The revocation travels as an event over NATS; the cache alone would take 5 s.
  expect(ms).toBeLessThan(1000);
});

test("a password change on node B ends the sessions held on node A", async () => {
  const onA = await login("A");
  const onB = await login("B");
  expect((await api("A", "/api/me", { token: onA.body.token })).status).toBe(200);
  const t0 = Date.now();
  const changed = await api("B", "/api/auth/change-password", { method: "POST", token: onB.body.token, body: { currentPassword: PASSWORD, newPassword: PASSWORD + "-Renewed" } });
  expect(changed.status).toBe(200);
  expect(await refusedWithin("A", onA.body.token, t0)).toBeLessThan(1000);
  expect((await api("A", "/api/me", { token: changed.body.token })).status).toBe(200);
});

test("failed sign-ins on either node count towards one lock", async () => {
  const outcomes: number[] = [];
  for (let i = 0; i < 5; i++) outcomes.push((await login(i % 2 ? "B" : "A", "nobody-here", `wrong-${i}`)).status);
  outcomes.push((await login("B", "nobody-here", "wrong-5")).status);
  expect(outcomes).toEqual([401, 401, 401, 401, 401, 429]);
});
