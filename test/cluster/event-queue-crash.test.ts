import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { enqueue } from "../../core/events/outbox";
import { createTestDatabase } from "../support/db";
import { startNats, type NatsServer } from "../support/nats";
import { freePort, startNode, stopAllNodes, type PlatformNode } from "../support/node-process";
import { poll as pollUntil } from "../support/http";

/**
 * A durable subscriber's node killed in the middle of its handlers loses nothing: the tries it had
 * taken expire and another node, started afterwards, handles each event once. The relay runs on a
 * node of its own (a gateway), as in a cluster: it has marked the events sent before the kill
 * (fixture: test/fixtures/queue-plugins/flaky; FLAKY_SLOW=1 makes its handler hang).
 */
jest.setTimeout(180_000);

const PLUGINS_DIR = path.resolve(__dirname, "../fixtures/queue-plugins");
const N = 6;

let nats: NatsServer;
let db: { url: string; drop(): Promise<void> };
let knex: Knex;
const nodes: PlatformNode[] = [];
const output = () => nodes.map((n) => `--- ${n.nodeId}:\n${n.output()}`).join("\n");

async function start(nodeId: string, env: Record<string, string> = {}, services = "flaky", port?: number): Promise<PlatformNode> {
  const node = await startNode({
    nodeId,
    services,
    port,
    databaseUrl: db.url,
    natsUrl: nats.url,
    env: { PLUGINS_DIR, EVENT_EXPIRE_S: "3", QUEUE_MAINTENANCE_S: "1", OUTBOX_RELAY: services === "flaky" ? "off" : "on", ...env },
  });
  nodes.push(node);
  return node;
}

beforeAll(async () => {
  nats = await startNats();
  db = await createTestDatabase();
  knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 2 } });
});

afterAll(async () => {
  await stopAllNodes("SIGKILL");
  await knex?.destroy();
  await nats?.stop();
  await db?.drop();
});

test("a subscriber's node killed mid-handler: every event is handled once, by the next node", async () => {
  const a = await start("queue-slow", { FLAKY_SLOW: "1" });
  await start("queue-relay", {}, "gateway", await freePort());
  const ids: string[] = [];
  for (let i = 0; i < N; i++) {
    ids.push(await knex.transaction(async (trx) => (await enqueue(trx, { event: "flaky.order.placed", payload: { ref: `KILL-${i}`, hangOnSlowNode: true }, key: `KILL-${i}` })).eventId));
  }
  // Its handlers have begun (each hangs in its transaction, the receipt written but not committed).
  await pollUntil("the slow node's handlers begun", () => knex("flaky_tries").count<{ n: string }[]>("* as n"), (r) => Number(r[0].n) >= 4, 30_000, output);
  const sent = await knex("core_outbox").whereIn("event_id", ids).whereNotNull("sent_at");
  expect(sent).toHaveLength(N);
  await a.stop("SIGKILL");
  expect(await knex("flaky_effects").whereIn("event_id", ids)).toHaveLength(0);

  await start("queue-next");
  const effects = await pollUntil(
    "every event handled by the next node",
    () => knex("flaky_effects").whereIn("event_id", ids).select("event_id", "node"),
    (rows) => new Set(rows.map((r) => r.event_id)).size === N,
    60_000,
    output,
  );
  await new Promise((r) => setTimeout(r, 2000));
  const after = await knex("flaky_effects").whereIn("event_id", ids).select("event_id", "node");
  expect(after).toHaveLength(N);
  expect(after.every((r) => r.node === "queue-next")).toBe(true);
  expect(effects.length).toBe(N);
  expect(await knex("core_event_receipts").where({ consumer: "flaky" }).whereIn("event_id", ids)).toHaveLength(N);
  expect(await knex("core_dead_letters").whereIn("event_id", ids)).toHaveLength(0);
});
