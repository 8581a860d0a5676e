import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { enqueue } from "../../core/events/outbox";
import { createTestDatabase } from "../support/db";
import { startNats, type NatsServer } from "../support/nats";
import { freePort, startNode, stopAllNodes, type PlatformNode } from "../support/node-process";
import { callApi, poll as pollUntil } from "../support/http";

/**
 * The outbox across real processes on a real nats-server and one database
 * (fixtures in test/fixtures/outbox-plugins):
 *   consumers  SERVICES=outbox-consumers: two services in two event groups, each recording every
 *              order once (receiveOnce) and every delivery it got (duplicates included)
 *   writer     SERVICES=gateway,outbox-writer[,outbox-relay]: places orders over HTTP, committing
 *              the order and its outbox row together
 *   relays     SERVICES=outbox-relay: the relay, started against the node's broker and pool
 * OUTBOX_RELAY=off is passed to every node so that, once the kernel starts a relay of its own,
 * only the fixture's relay (where the test puts it) publishes.
 */
jest.setTimeout(300_000);

const PLUGINS_DIR = path.resolve(__dirname, "../fixtures/outbox-plugins");
const CONSUMERS = ["outbox-consumers.ledger", "outbox-consumers.mailer"];

let nats: NatsServer;
let db: { url: string; drop(): Promise<void> };
let knex: Knex;
const nodes = new Map<string, PlatformNode>();
let writerPort = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const output = () => [...nodes.values()].map((n) => `--- ${n.nodeId}:\n${n.output()}`).join("\n");
const poll = <T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000) => pollUntil(what, fn, ok, timeoutMs, output);

async function start(nodeId: string, services: string, env: Record<string, string> = {}, port?: number): Promise<PlatformNode> {
  const node = await startNode({ nodeId, services, databaseUrl: db.url, natsUrl: nats.url, port, env: { PLUGINS_DIR, OUTBOX_RELAY: "off", ...env } });
  nodes.set(nodeId, node);
  return node;
}

async function stop(nodeId: string, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null | undefined> {
  return nodes.get(nodeId)?.stop(signal);
}

/** Per consumer, how many effects (once each) and deliveries (every time) an event had. */
async function seenBy(eventId: string): Promise<Record<string, { effects: number; deliveries: number }>> {
  const out: Record<string, { effects: number; deliveries: number }> = {};
  for (const c of CONSUMERS) out[c] = { effects: 0, deliveries: 0 };
  for (const r of await knex("outbox_fixture_effects").where({ event_id: eventId }).select("consumer")) out[r.consumer].effects++;
  for (const r of await knex("outbox_fixture_deliveries").where({ event_id: eventId }).select("consumer")) out[r.consumer].deliveries++;
  return out;
}
const each = (effects: number, deliveries: number) => Object.fromEntries(CONSUMERS.map((c) => [c, { effects, deliveries }]));
const isSent = async (eventId: string) => (await knex("core_outbox").where({ event_id: eventId }).first())?.sent_at != null;

beforeAll(async () => {
  nats = await startNats();
  db = await createTestDatabase();
  knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 4 } });
  writerPort = await freePort();
  // The consumers run for the whole file; the first node also runs the core migrations.
  await start("outbox-consumers", "outbox-consumers");
});

afterAll(async () => {
  await stopAllNodes("SIGKILL");
  await knex?.destroy();
  await nats?.stop();
  await db?.drop();
});

test("Outbox: crash between commit and publish (kill the process) → the event is delivered after restart, once per consumer", async () => {
  // The writer's relay would start an hour after the node: the node is killed before it publishes.
  await start("outbox-writer", "gateway,outbox-writer,outbox-relay", { OUTBOX_FIXTURE_RELAY_DELAY_MS: "3600000" }, writerPort);
  const placed = await callApi(`http://127.0.0.1:${writerPort}`, "/api/outbox-writer/orders", { method: "POST", body: { ref: "PO-2026-0001" } });
  expect(placed.status).toBe(200);
  const { orderId, eventId } = placed.body as { orderId: string; eventId: string };

  // Committed: the order and its event, which nobody has announced.
  expect(await knex("outbox_fixture_orders").where({ id: orderId }).first()).toMatchObject({ ref: "PO-2026-0001" });
  await sleep(1500);
  expect(await isSent(eventId)).toBe(false);
  expect(await seenBy(eventId)).toEqual(each(0, 0));

  expect(await stop("outbox-writer", "SIGKILL")).toBeNull();
  expect(await seenBy(eventId)).toEqual(each(0, 0));

  // The same node again, its relay starting with it.
  await start("outbox-writer", "gateway,outbox-writer,outbox-relay", {}, writerPort);
  await poll("each consumer records the order", () => seenBy(eventId), (s) => Object.values(s).every((c) => c.effects >= 1));
  await poll("the row is marked sent", () => isSent(eventId), (sent) => sent);
  // Past several polls of the relay: nothing more comes.
  await sleep(2000);
  expect(await seenBy(eventId)).toEqual(each(1, 1));
  const [effect] = await knex("outbox_fixture_effects").where({ event_id: eventId, consumer: CONSUMERS[0] });
  expect(effect).toMatchObject({ ref: "PO-2026-0001", stream: "PO-2026-0001", seq: 1 });
});

test("a relay killed after publishing but before marking the row sent: the next relay publishes it again, and each consumer still records it once", async () => {
  await stop("outbox-writer");
  // No relay runs now: the order is committed straight from here.
  const eventId = await knex.transaction(async (trx) => {
    await trx("outbox_fixture_orders").insert({ ref: "PO-2026-0002", stream: "PO-2026-0002", seq: 1 });
    return (await enqueue(trx, { event: "outbox-writer.order.placed", payload: { orderId: null, ref: "PO-2026-0002", seq: 1 }, key: "PO-2026-0002" })).eventId;
  });
  // Its relay starts 3 s after the node (so that the node is reported ready first) and dies after its first emit.
  const doomed = await start("outbox-relay-1", "outbox-relay", { OUTBOX_FIXTURE_CRASH_AFTER_EMIT: "1", OUTBOX_FIXTURE_RELAY_DELAY_MS: "3000" });
  await poll("the relay kills itself after publishing", async () => doomed.exited(), (gone) => gone);
  expect(doomed.output()).toContain("published; killing the process before it is marked sent");
  await poll("each consumer records the order", () => seenBy(eventId), (s) => Object.values(s).every((c) => c.effects >= 1));
  expect(await isSent(eventId)).toBe(false);
  await stop("outbox-relay-1", "SIGKILL");

  await start("outbox-relay-2", "outbox-relay");
  await poll("each consumer gets it a second time", () => seenBy(eventId), (s) => Object.values(s).every((c) => c.deliveries >= 2));
  await poll("the row is marked sent", () => isSent(eventId), (sent) => sent);
  await sleep(1500);
  expect(await seenBy(eventId)).toEqual(each(1, 2));
  const receipts = await knex("core_event_receipts").where({ event_id: eventId }).orderBy("consumer").pluck("consumer");
  expect(receipts).toEqual(CONSUMERS);
});

test("two relay nodes and a burst of 300 orders on 5 streams: each consumer records every order once, in order per stream", async () => {
  await start("outbox-relay-3", "outbox-relay");
  await start("outbox-writer", "gateway,outbox-writer", {}, writerPort);
  const burst = await callApi(`http://127.0.0.1:${writerPort}`, "/api/outbox-writer/orders/burst", { method: "POST", body: { count: 300, streams: 5 } });
  expect(burst.status).toBe(200);
  const ids: string[] = burst.body.placed.map((p: { eventId: string }) => p.eventId);
  expect(new Set(ids).size).toBe(300);

  const counts = () => knex("outbox_fixture_effects").whereIn("event_id", ids).count<{ n: string }[]>("* as n").then((r) => Number(r[0].n));
  await poll("every order recorded by both consumers", counts, (n) => n >= 600, 60_000);
  await sleep(1500);
  expect(await counts()).toBe(600);
  for (const consumer of CONSUMERS) {
    const deliveries = await knex("outbox_fixture_deliveries").whereIn("event_id", ids).where({ consumer }).count<{ n: string }[]>("* as n");
    expect(Number(deliveries[0].n)).toBe(300);
    // In the order the events arrived at the consumer's node, each stream's steps only go up.
    const effects = await knex("outbox_fixture_effects").whereIn("event_id", ids).where({ consumer }).orderBy("arrival").select("stream", "seq");
    const last = new Map<string, number>();
    for (const e of effects) {
      expect(e.seq).toBeGreaterThan(last.get(e.stream) ?? 0);
      last.set(e.stream, e.seq);
    }
    expect([...last.values()]).toEqual([60, 60, 60, 60, 60]);
  }
});

test("from commit to the consumers' node over NATS, one order at a time, takes milliseconds", async () => {
  // Two relays (relay-2, relay-3) and the writer are running from the test before.
  const lags: number[] = [];
  for (let i = 0; i < 40; i++) {
    const placed = await callApi(`http://127.0.0.1:${writerPort}`, "/api/outbox-writer/orders", { method: "POST", body: { ref: `LAT-${i}`, stream: "latency" } });
    expect(placed.status).toBe(200);
    await poll("delivered", () => seenBy(placed.body.eventId), (s) => Object.values(s).every((c) => c.deliveries >= 1), 10_000);
  }
  // Both clocks are the database's: the delivery's insert time minus the business transaction's start.
  const rows = await knex.raw(`
    select extract(epoch from (d.at - o.created_at)) * 1000 as ms
      from outbox_fixture_deliveries d join core_outbox o on o.event_id = d.event_id
     where o.stream_key = 'latency'`);
  for (const r of rows.rows) lags.push(Number(r.ms));
  lags.sort((a, b) => a - b);
  const p = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))].toFixed(1);
  console.log(`[outbox] NATS, business transaction start → delivery recorded on the consumers' node (${lags.length} deliveries): p50 ${p(0.5)} ms, p95 ${p(0.95)} ms, max ${lags[lags.length - 1].toFixed(1)} ms`);
  expect(lags).toHaveLength(80);
  expect(Number(p(0.5))).toBeLessThan(500);
});

const BACKLOG = Number(process.env.OUTBOX_BACKLOG || 2000);
test(`a backlog of ${BACKLOG} events over NATS: how fast the relay publishes it and the consumers' node records it`, async () => {
  // No relay runs while the backlog is written.
  await Promise.all([...nodes.keys()].filter((id) => id !== "outbox-consumers").map((id) => stop(id)));
  const n = BACKLOG;
  await knex.raw(
    `insert into core_outbox (event, payload, stream_key)
     select 'outbox-writer.order.placed', jsonb_build_object('ref', 'BL-' || g, 'seq', (g - 1) / 20 + 1), 'backlog-' || ((g - 1) % 20)
       from generate_series(1, ?) g`,
    [n],
  );
  const t0 = Date.now();
  await start("outbox-relay-4", "outbox-relay");
  const started = Date.now();
  const unsent = () => knex("core_outbox").whereNull("sent_at").count<{ n: string }[]>("* as n").then((r) => Number(r[0].n));
  await poll("the backlog is published", unsent, (u) => u === 0, 60_000);
  const published = Date.now();
  const effects = () => knex("outbox_fixture_effects").where("ref", "like", "BL-%").count<{ n: string }[]>("* as n").then((r) => Number(r[0].n));
  await poll("both consumers recorded all of it", effects, (e) => e >= 2 * n, 120_000).catch((err) => {
    console.log(nodes.get("outbox-consumers")!.output().slice(0, 5000));
    throw err;
  });
  const recorded = Date.now();
  console.log(
    `[outbox] NATS backlog of ${n}: node start ${started - t0} ms; published (incl. relay start) ${published - started} ms ≈ ${Math.round(n / ((published - started) / 1000))} events/s; ` +
      `both consumers done ${recorded - started} ms ≈ ${Math.round((2 * n) / ((recorded - started) / 1000))} receipts/s`,
  );
  expect(await effects()).toBe(2 * n);
});
