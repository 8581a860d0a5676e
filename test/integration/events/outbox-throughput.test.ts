import { performance } from "node:perf_hooks";
import type { ServiceSchema } from "moleculer";
import { enqueue } from "../../../core/events/outbox";
import { onceHandler } from "../../../core/events/receipts";
import { assertOrderPerKey, outboxDatabase, recorder, sleep, startTestNode, unsentCount, until, type Delivery, type TestDb, type TestNode } from "./harness";

/**
 * What the outbox costs, measured on the test database with an in-process broker (where an emit
 * waits for the local handlers): how fast a backlog drains, and how long from a commit to a
 * consumer's handler. The figures are printed and quoted in core/events/README.md; the bounds
 * asserted here are loose, to catch a regression by an order of magnitude, not a slow machine.
 */
jest.setTimeout(180_000);

let db: TestDb;
let node: TestNode | undefined;
const figures: string[] = [];

beforeAll(async () => {
  db = await outboxDatabase();
  await db.knex.schema.createTable("test_effects", (t) => {
    t.bigIncrements("id");
    t.uuid("event_id").notNullable();
  });
});

afterEach(async () => {
  await node?.stop();
  node = undefined;
  await db.knex.raw("truncate core_outbox, core_event_receipts, test_effects");
});

afterAll(async () => {
  console.log(`[outbox] figures\n${figures.join("\n")}`);
  await db?.drop();
});

/** A backlog of `n` committed rows over `keys` keys, as if written while no relay ran. */
async function backlog(n: number, keys: number): Promise<void> {
  await db.knex.raw(
    `insert into core_outbox (event, payload, stream_key)
     select 'test.step.done', jsonb_build_object('seq', (g - 1) / ? + 1), 'key-' || ((g - 1) % ?)
       from generate_series(1, ?) g`,
    [keys, keys, n],
  );
}

async function drain(label: string, services: ServiceSchema[], seen: () => number, batchSize: number, n = 10_000): Promise<number> {
  await backlog(n, 50);
  node = await startTestNode(db.url, `bench-${batchSize}`, services);
  const t0 = performance.now();
  node.startRelay({ batchSize, pollMs: 1000 });
  await until("the backlog drains", async () => seen() >= n && (await unsentCount(db.knex)) === 0, 120_000);
  const ms = performance.now() - t0;
  const rate = Math.round(n / (ms / 1000));
  figures.push(`  ${label}, batch ${batchSize}: ${n} events in ${Math.round(ms)} ms = ${rate} events/s`);
  return rate;
}

test("a backlog of 10,000 events drains in order, to a consumer that does nothing, at thousands per second", async () => {
  for (const batchSize of [100, 500]) {
    const seen: Delivery[] = [];
    const rate = await drain("backlog drain, no-op consumer", [recorder("watcher", ["test.step.done"], seen)], () => seen.length, batchSize);
    expect(seen).toHaveLength(10_000);
    assertOrderPerKey(seen);
    expect(rate).toBeGreaterThan(1000);
    await node!.stop();
    node = undefined;
    await db.knex.raw("truncate core_outbox");
  }
});

test("a backlog of 10,000 events drains to a consumer that records each with receiveOnce in its own transaction", async () => {
  const consumer: ServiceSchema = {
    name: "ledger",
    events: {
      "test.step.done": onceHandler("ledger", db.knex, async (ctx, trx) => {
        await trx("test_effects").insert({ event_id: ctx.params.eventId });
      }),
    },
  };
  let effects = 0;
  const counting: ServiceSchema = { name: "count", events: { "test.step.done": () => void effects++ } };
  const rate = await drain("backlog drain, receiveOnce consumer", [consumer, counting], () => effects, 100);
  await until("every effect committed", async () => Number((await db.knex("test_effects").count("* as n"))[0].n) === 10_000);
  expect(rate).toBeGreaterThan(100);
});

test("from commit to a consumer's handler takes a few milliseconds (LISTEN/NOTIFY, not the poll)", async () => {
  let arrived: ((at: number) => void) | undefined;
  const consumer: ServiceSchema = { name: "watcher", events: { "test.step.done": () => arrived?.(performance.now()) } };
  node = await startTestNode(db.url, "latency", [consumer]);
  const relay = node.startRelay({ pollMs: 60_000 });
  await until("listening", () => relay.stats().listening);
  const samples: number[] = [];
  for (let i = 0; i < 300; i++) {
    const got = new Promise<number>((r) => (arrived = r));
    await db.knex.transaction((trx) => enqueue(trx, { event: "test.step.done", payload: { seq: i + 1 }, key: "latency" }));
    const committed = performance.now();
    samples.push((await got) - committed);
    if (i % 50 === 0) await sleep(5);
  }
  samples.sort((a, b) => a - b);
  const p = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))].toFixed(1);
  figures.push(`  commit → handler (in-process, 300 sequential commits): p50 ${p(0.5)} ms, p95 ${p(0.95)} ms, p99 ${p(0.99)} ms, max ${samples[samples.length - 1].toFixed(1)} ms`);
  expect(Number(p(0.95))).toBeLessThan(100);
});
