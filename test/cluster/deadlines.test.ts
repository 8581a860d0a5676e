import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { createTestDatabase } from "../support/db";
import { startNats, type NatsServer } from "../support/nats";
import { freePort, startNode, stopAllNodes, type PlatformNode } from "../support/node-process";
import { callApi, poll as pollUntil } from "../support/http";
import { signedIn } from "../support/accounts";

/**
 * Workflow deadlines with two real nodes on one database, both looking for due timers every
 * 100 ms: each deadline fires exactly once; and what came due while every node was down fires
 * when one starts again.
 */
jest.setTimeout(180_000);

const FIXTURES = path.resolve(__dirname, "../fixtures");
let nats: NatsServer;
let db: { url: string; drop(): Promise<void> };
let knex: Knex;
const ports = { A: 0, B: 0 };
let token: string;

const output = (nodes: PlatformNode[]) => () => nodes.map((n) => `--- ${n.nodeId}:\n${n.output()}`).join("\n");
const start = (id: string, port: number) =>
  startNode({
    nodeId: id,
    services: "gateway,etrading",
    port,
    databaseUrl: db.url,
    natsUrl: nats.url,
    env: { PLUGINS_DIR: path.join(FIXTURES, "workflow-plugins"), FORMS_DIR: path.join(FIXTURES, "workflow-forms"), DEADLINE_CHECK_MS: "100" },
  });

async function tenders(port: number, n: number, closesInMs: number): Promise<string[]> {
  const endDate = new Date(Date.now() + closesInMs).toISOString();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const created = await callApi(`http://127.0.0.1:${port}`, "/api/workflows/etrading.tender/instances", {
      method: "POST",
      token,
      body: { data: { projectName: `截止测试项目${i}`, budget: "1000.00", tenderPeriod: { endDate } } },
    });
    expect(created.status).toBe(201);
    const published = await callApi(`http://127.0.0.1:${port}`, `/api/instances/${created.body.id}/transitions/publish`, { method: "POST", token, body: {} });
    expect(published.status).toBe(200);
    ids.push(created.body.id);
  }
  return ids;
}

async function openedOnce(ids: string[]): Promise<Array<{ id: string; opens: number; state: string }>> {
  const rows = await knex("core_workflow_instances as i")
    .whereIn("i.id", ids)
    .select("i.id", "i.state", knex.raw(`(select count(*) from core_workflow_history h where h.instance_id = i.id and h.transition = 'open')::int as opens`));
  return rows as Array<{ id: string; opens: number; state: string }>;
}

beforeAll(async () => {
  nats = await startNats();
  db = await createTestDatabase();
  ports.A = await freePort();
  ports.B = await freePort();
});

afterAll(async () => {
  await stopAllNodes("SIGKILL");
  await knex?.destroy();
  await nats?.stop();
  await db?.drop();
});

test("two nodes: every deadline fires exactly once", async () => {
  const nodes = await Promise.all([start("deadlines-a", ports.A), start("deadlines-b", ports.B)]);
  knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 2 } });
  token = (await signedIn(knex, { username: "deadline.buyer", tenantCode: "441300", roles: ["purchaser"], unitCode: "441300401" })).token;
  const ids = await tenders(ports.A, 12, 3000);
  const rows = await pollUntil("every tender opened", () => openedOnce(ids), (r) => r.every((x) => x.state === "opening"), 20_000, output(nodes));
  // Both nodes kept looking for a while after: still once each.
  await new Promise((r) => setTimeout(r, 1000));
  expect((await openedOnce(ids)).map((r) => r.opens)).toEqual(ids.map(() => 1));
  expect(rows).toHaveLength(12);
  const timers = await knex("core_workflow_timers").whereIn("instance_id", ids).whereNotNull("fired_at");
  expect(timers).toHaveLength(12);
  expect(timers.every((t) => t.outcome === "fired" && ["deadlines-a", "deadlines-b"].includes(t.fired_by))).toBe(true);
  await stopAllNodes("SIGTERM");
});

test("what came due while every node was down fires once one starts again", async () => {
  const a = await start("deadlines-a2", ports.A);
  const ids = await tenders(ports.A, 5, 2500);
  await a.stop("SIGKILL");
  await new Promise((r) => setTimeout(r, 3500));
  expect((await openedOnce(ids)).every((r) => r.state === "published")).toBe(true);
  const b = await start("deadlines-b2", ports.B);
  await pollUntil("the overdue tenders opened", () => openedOnce(ids), (r) => r.every((x) => x.state === "opening"), 20_000, output([b]));
  expect((await openedOnce(ids)).map((r) => r.opens)).toEqual(ids.map(() => 1));
});
