import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { io, type Socket } from "socket.io-client";
import crypto from "node:crypto";
import { ServiceBroker } from "moleculer";
import { enqueue } from "../../core/events/outbox";
import { writeDrafts } from "../../core/events/notifications";
import { createTestDatabase } from "../support/db";
import { startNats, type NatsServer } from "../support/nats";
import { freePort } from "../support/node-process";
import { callApi, poll } from "../support/http";
import { signedIn } from "../support/accounts";
import { startNotificationsNode, type FixtureNode } from "./notifications-node";
import { readyTab, sleep, until, type Tab } from "../integration/notifications/support";

/**
 * Live notifications across two gateway processes on a real nats-server and one database. Node B
 * runs the notifications service and the outbox relay; node A only serves HTTP and sockets. A
 * client on A gets what was raised on B: B writes the inbox and broadcasts the push over NATS,
 * and A emits it to its sockets.
 */
jest.setTimeout(180_000);

const FIXTURES = path.resolve(__dirname, "../fixtures");
let nats: NatsServer;
let db: { url: string; drop(): Promise<void> };
let knex: Knex;
const nodes: Record<"A" | "B", FixtureNode | undefined> = { A: undefined, B: undefined };
const url = (n: "A" | "B") => `http://127.0.0.1:${nodes[n]!.port}`;
const output = () => Object.values(nodes).map((n) => `--- ${n?.nodeId}:\n${n?.output()}`).join("\n");
const opened: Array<{ close(): void }> = [];
let buyer: { id: string; token: string };

async function inboxCount(accountId: string): Promise<number> {
  return Number((await knex("core_inbox").where({ account_id: accountId }).count({ n: "*" }))[0].n);
}

beforeAll(async () => {
  nats = await startNats();
  db = await createTestDatabase();
  const env = { PLUGINS_DIR: path.join(FIXTURES, "workflow-plugins"), FORMS_DIR: path.join(FIXTURES, "workflow-forms") };
  const [portA, portB] = [await freePort(), await freePort()];
  const common = { databaseUrl: db.url, natsUrl: nats.url };
  // One after the other: the first creates the schema, the second finds it.
  nodes.B = await startNotificationsNode({ ...common, nodeId: "notify-b", port: portB, services: "gateway,etrading,portal", env });
  nodes.A = await startNotificationsNode({ ...common, nodeId: "notify-a", port: portA, services: "gateway", env: { ...env, OUTBOX_RELAY: "off", NOTIFY_FIXTURE_CONSUMER: "0" } });
  for (const n of ["A", "B"] as const) {
    await poll(`node ${n} sees both nodes`, () => callApi(url(n), "/api/health"), (h) => h.status === 200 && h.body.nodes?.length === 2, 30_000, output);
  }
  knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 2 } });
  buyer = await signedIn(knex, { username: "notify.buyer", tenantCode: "441300", roles: ["purchaser"], unitCode: "441300401" });
});

afterEach(() => opened.splice(0).forEach((t) => t.close()));

afterAll(async () => {
  if (process.env.SHOW_NODE_OUTPUT) console.log(output());
  await Promise.all(Object.values(nodes).map((n) => n?.stop("SIGKILL")));
  await knex?.destroy();
  await nats?.stop();
  await db?.drop();
});

test("a client on node A gets the notification raised on node B, and A's public feed the notice", async () => {
  const regulator = await signedIn(knex, { username: "notify.regulator", tenantCode: "441300", roles: ["regulator"] });
  const onA = await readyTab(url("A"), { token: regulator.token });
  const visitor: Socket = io(`${url("A")}/public`, { transports: ["websocket"], reconnection: false, forceNew: true });
  const notices: Array<{ instanceId: string }> = [];
  visitor.on("notice", (n: { instanceId: string }) => notices.push(n));
  opened.push(onA, visitor);
  expect(await visitor.timeout(5000).emitWithAck("subscribe", { tenants: ["441300"] })).toEqual({ feeds: ["441300"] });

  // The business happens on B: a purchaser publishes a tender (the workflow's effects notify the
  // region's regulators and publish the notice).
  const endDate = new Date(Date.now() + 20 * 86_400_000).toISOString();
  const created = await callApi(url("B"), "/api/workflows/etrading.tender/instances", { method: "POST", token: buyer.token, body: { data: { projectName: "跨节点通知", budget: "1000.00", tenderPeriod: { endDate } } } });
  expect(created.status).toBe(201);
  const t0 = Date.now();
  expect((await callApi(url("B"), `/api/instances/${created.body.id}/transitions/publish`, { method: "POST", token: buyer.token, body: {} })).status).toBe(200);
  await until("the notification on A", () => onA.got.length === 1 && notices.length === 1, 10_000, output);
  const ms = Date.now() - t0;
  expect(onA.got[0]).toMatchObject({ kind: "etrading.tender.publish", instanceId: created.body.id, title: { en: "A new tender notice" } });
  expect(notices[0]).toMatchObject({ instanceId: created.body.id });
  expect(ms).toBeLessThan(2000);
  // A wrote nothing: B's consumer did, and its push crossed NATS.
  expect(nodes.A!.output()).toContain("consumer elsewhere; relay elsewhere");
  expect(nodes.B!.output()).toContain("consumer here; relay here");
});

test("a client that drops off node A catches up on node B: exactly what it missed, in order, then live ones", async () => {
  const regulator = await signedIn(knex, { username: "notify.regulator2", tenantCode: "441302", roles: ["regulator"] });
  const raise = (title: string) =>
    knex.transaction((trx) => enqueue(trx, { event: "notifications.requested", payload: { tenantCode: "441302", roles: ["regulator"], title: { "zh-CN": title, en: title } } }));
  const onA = await readyTab(url("A"), { token: regulator.token });
  opened.push(onA);
  await raise("first");
  await until("first on A", () => onA.got.length === 1, 10_000, output);
  onA.close();
  for (const t of ["away 1", "away 2", "away 3"]) await raise(t);
  await poll("in the inbox", () => inboxCount(regulator.id), (n) => n === 4, 10_000, output);

  const onB: Tab = await readyTab(url("B"), { token: regulator.token, lastId: onA.lastId() });
  opened.push(onB);
  expect(onB.got.map((n) => n.title.en)).toEqual(["away 1", "away 2", "away 3"]);
  await raise("live");
  await until("live on B", () => onB.got.length === 4, 10_000, output);
  await sleep(300);
  expect(onB.got.map((n) => n.title.en)).toEqual(["away 1", "away 2", "away 3", "live"]);
  const ids = onB.got.map((n) => n.id);
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
});

test("signing out on node B disconnects the session's socket on node A at once", async () => {
  const regulator = await signedIn(knex, { username: "notify.regulator3", tenantCode: "441300", roles: ["regulator"] });
  const onA = await readyTab(url("A"), { token: regulator.token });
  opened.push(onA);
  const t0 = Date.now();
  expect((await callApi(url("B"), "/api/auth/logout", { method: "POST", token: regulator.token })).status).toBe(200);
  await until("disconnected on A", () => onA.disconnects.length > 0, 5000, output);
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(onA.ended[0]).toMatchObject({ reason: "revoked" });
});

test("pushes from two writers that cross NATS out of commit order reach a client on node A in commit order", async () => {
  const regulator = await signedIn(knex, { username: "notify.regulator4", tenantCode: "441303", roles: ["regulator"] });
  const onA = await readyTab(url("A"), { token: regulator.token });
  opened.push(onA);
  await knex.transaction((trx) => enqueue(trx, { event: "notifications.requested", payload: { tenantCode: "441303", roles: ["regulator"], title: { "zh-CN": "起点", en: "start" } } }));
  await until("the first on A", () => onA.got.length === 1, 10_000, output);
  // Two notifications committed one after the other (as by two nodes), whose pushes cross NATS the
  // other way round: a third node (this process) sends the later one first.
  const draft = (title: string) => ({
    eventId: crypto.randomUUID(),
    kind: "test.order",
    title: { "zh-CN": title, en: title },
    link: null,
    instanceId: null,
    audience: { tenantCode: "441303", lineage: ["441303"], roles: ["regulator"], ownerUnit: null, accounts: [], followersOf: null },
  });
  const first = (await writeDrafts(knex, [draft("first")]))!;
  const second = (await writeDrafts(knex, [draft("second")]))!;
  const writer = new ServiceBroker({ namespace: "gd-procurement", nodeID: "order-writer", transporter: { type: "NATS", options: { url: nats.url } }, serializer: "JSON", logger: false });
  await writer.start();
  try {
    const knowsA = () => writer.registry.events.getAllEndpoints("notifications.push").some((ep: { id: string }) => ep.id === "notify-a");
    await until("the writer knows node A", knowsA, 10_000);
    await writer.broadcast("notifications.push", second);
    await writer.broadcast("notifications.push", first);
    await until("both on A", () => onA.got.length === 3, 10_000, output);
    expect(onA.got.map((n) => n.title.en)).toEqual(["start", "first", "second"]);
  } finally {
    await writer.stop();
  }
});
