import type { Knex } from "knex";
import type { ServiceSchema } from "moleculer";
import { enqueue, enqueueAll } from "../../../core/events/outbox";
import { onceHandler, receiveOnce } from "../../../core/events/receipts";
import { purgeEvents } from "../../../core/events/cleanup";
import { assertOrderPerKey, outboxDatabase, recorder, sleep, startTestNode, unsentCount, until, type Delivery, type TestDb, type TestNode } from "./harness";

/**
 * The transactional outbox on a real PostgreSQL with in-process brokers: what a business
 * transaction enqueues is announced after it commits, never before and never if it rolls back;
 * at least once, in order per key, once per consumer thanks to receipts.
 */
jest.setTimeout(60_000);

let db: TestDb;
const nodes: TestNode[] = [];

beforeAll(async () => {
  db = await outboxDatabase();
  await db.knex.schema.createTable("test_counters", (t) => {
    t.text("key").primary();
    t.integer("n").notNullable();
  });
  await db.knex.schema.createTable("test_effects", (t) => {
    t.bigIncrements("id");
    t.text("consumer").notNullable();
    t.uuid("event_id").notNullable();
  });
});

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
  await db.knex.raw("truncate core_outbox, core_event_receipts, test_counters, test_effects");
});

afterAll(async () => {
  await db?.drop();
});

async function node(id: string, services: ServiceSchema[] = []): Promise<TestNode> {
  const n = await startTestNode(db.url, id, services);
  nodes.push(n);
  return n;
}

/** One business transaction: the next step of `key` (a row lock on its counter, as a workflow instance has) and its event. */
function step(knex: Knex, key: string, event = "test.step.done", jitterMs = 0): Promise<{ eventId: string; seq: number }> {
  return knex.transaction(async (trx) => {
    const { rows } = await trx.raw("insert into test_counters (key, n) values (?, 1) on conflict (key) do update set n = test_counters.n + 1 returning n", [key]);
    const seq = rows[0].n as number;
    if (jitterMs) await sleep(jitterMs);
    const { eventId } = await enqueue(trx, { event, payload: { seq }, key });
    return { eventId, seq };
  });
}

describe("announcing what was committed", () => {
  test("an event enqueued in a transaction that rolls back is never emitted", async () => {
    const seen: Delivery[] = [];
    const n = await node("rb", [recorder("watcher", ["test.tender.published"], seen)]);
    const relay = n.startRelay({ pollMs: 50 });
    await expect(
      db.knex.transaction(async (trx) => {
        await enqueue(trx, { event: "test.tender.published", payload: { tender: "T-1" }, key: "T-1" });
        // The relay looks while the transaction is still open: the row is not there for it.
        expect(await relay.drainOnce()).toBe("idle");
        throw new Error("the business rule refused");
      }),
    ).rejects.toThrow("the business rule refused");
    await sleep(300);
    expect(seen).toEqual([]);
    expect(await db.knex("core_outbox").count("* as n")).toEqual([{ n: "0" }]);
  });

  test("a committed event is emitted once, after the commit, with its id, name, key, time and data", async () => {
    const seen: Delivery[] = [];
    const n = await node("ok", [recorder("watcher", ["test.tender.published"], seen)]);
    n.startRelay({ pollMs: 200 });
    let eventId = "";
    let committedAt = 0;
    await db.knex.transaction(async (trx) => {
      ({ eventId } = await enqueue(trx, { event: "test.tender.published", payload: { tender: "T-2", amount: "1200000.00" }, key: "T-2" }));
      // Still uncommitted: nothing may be announced yet.
      await sleep(250);
      expect(seen).toEqual([]);
      committedAt = Date.now() + 1;
    });
    await until("the event arrives", () => seen.length === 1);
    const [{ params, at }] = seen;
    expect(at).toBeGreaterThanOrEqual(committedAt - 1);
    expect(params).toEqual({ eventId, event: "test.tender.published", key: "T-2", at: expect.any(String), data: { tender: "T-2", amount: "1200000.00" } });
    expect(new Date(params.at).getTime()).toBeLessThanOrEqual(Date.now());
    // Past several polls: still once, and the row is marked sent.
    await sleep(700);
    expect(seen).toHaveLength(1);
    const row = await db.knex("core_outbox").where({ event_id: eventId }).first();
    expect(row.sent_at).not.toBeNull();
    expect(row.attempts).toBe(0);
  });

  test("rows committed while no relay ran are published when one starts", async () => {
    const first = await step(db.knex, "K-1");
    const second = await step(db.knex, "K-1");
    const seen: Delivery[] = [];
    const n = await node("late", [recorder("watcher", ["test.step.done"], seen)]);
    n.startRelay();
    await until("both arrive", () => seen.length === 2);
    expect(seen.map((d) => d.params.eventId)).toEqual([first.eventId, second.eventId]);
  });

  test("enqueue outside a transaction is refused: the event must commit with the change", async () => {
    await expect(enqueue(db.knex as unknown as Knex.Transaction, { event: "test.x" })).rejects.toThrow(/business transaction/);
  });
});

describe("order", () => {
  test("1,000 events over 8 keys, written by 16 concurrent writers, arrive in order per key, each once", async () => {
    const seen: Delivery[] = [];
    const n = await node("order", [recorder("watcher", ["test.step.done"], seen)]);
    n.startRelay({ pollMs: 100 });
    const keys = Array.from({ length: 8 }, (_, i) => `instance-${i}`);
    let next = 0;
    const written: string[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        while (next < 1000) {
          next++;
          const key = keys[(next * 7 + w) % keys.length];
          written.push((await step(db.knex, key, "test.step.done", next % 13 === 0 ? 3 : 0)).eventId);
        }
      }),
    );
    await until("all 1,000 arrive", () => seen.length >= 1000, 30_000);
    await sleep(300);
    expect(seen).toHaveLength(1000);
    expect(new Set(seen.map((d) => d.params.eventId))).toEqual(new Set(written));
    expect(assertOrderPerKey(seen).sort()).toEqual([...keys].sort());
    expect(await unsentCount(db.knex)).toBe(0);
  });

  test("a second transaction enqueueing for the same key waits for the first to commit; other keys do not", async () => {
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((r) => (releaseFirst = r));
    let firstEnqueued!: () => void;
    const enqueued = new Promise<void>((r) => (firstEnqueued = r));
    const first = db.knex.transaction(async (trx) => {
      await enqueue(trx, { event: "test.step.done", payload: { seq: 1 }, key: "inst-A" });
      firstEnqueued();
      await firstHolds;
    });
    await enqueued;
    let secondDone = false;
    const second = db.knex
      .transaction((trx) => enqueue(trx, { event: "test.step.done", payload: { seq: 2 }, key: "inst-A" }))
      .then(() => (secondDone = true));
    const otherKey = await db.knex.transaction((trx) => enqueue(trx, { event: "test.step.done", payload: { seq: 1 }, key: "inst-B" }));
    expect(otherKey.eventId).toEqual(expect.any(String));
    await sleep(300);
    expect(secondDone).toBe(false);
    releaseFirst();
    await Promise.all([first, second]);
    const rows = await db.knex("core_outbox").where({ stream_key: "inst-A" }).orderBy("id");
    expect(rows.map((r) => r.payload.seq)).toEqual([1, 2]);
  });

  test("enqueueAll: many events in one statement, in the order given, each key's lock held to the commit", async () => {
    let release!: () => void;
    const holds = new Promise<void>((r) => (release = r));
    let enqueued!: () => void;
    const done = new Promise<void>((r) => (enqueued = r));
    const group = db.knex.transaction(async (trx) => {
      await enqueueAll(trx, [
        { event: "test.step.done", payload: { seq: 1 }, key: "inst-C" },
        { event: "test.other", key: null },
        { event: "test.step.done", payload: { seq: 1 }, key: "inst-D" },
        { event: "test.step.done", payload: { seq: 2 }, key: "inst-C" },
      ]);
      enqueued();
      await holds;
    });
    await done;
    let laterDone = false;
    const later = db.knex.transaction((trx) => enqueue(trx, { event: "test.step.done", payload: { seq: 3 }, key: "inst-D" })).then(() => (laterDone = true));
    await sleep(300);
    expect(laterDone).toBe(false); // inst-D's lock is the group's until it commits
    release();
    await Promise.all([group, later]);
    const rows = await db.knex("core_outbox").whereIn("event", ["test.step.done", "test.other"]).whereRaw("coalesce(stream_key, '') in ('inst-C', 'inst-D', '')").orderBy("id");
    expect(rows.map((r) => [r.event, r.stream_key, r.payload])).toEqual([
      ["test.step.done", "inst-C", { seq: 1 }],
      ["test.other", null, null],
      ["test.step.done", "inst-D", { seq: 1 }],
      ["test.step.done", "inst-C", { seq: 2 }],
      ["test.step.done", "inst-D", { seq: 3 }],
    ]);
    await expect(db.knex.transaction((trx) => enqueueAll(trx, [{ event: "ok" }, { event: " " }]))).rejects.toThrow(/non-empty name/);
  });
});

describe("at least once", () => {
  test("an emit that fails leaves the row unsent; it is retried and delivered, and the rows after it wait for it", async () => {
    const seen: Delivery[] = [];
    const n = await node("flaky", [recorder("watcher", ["test.step.done"], seen)]);
    const realEmit = n.broker.emit.bind(n.broker);
    let calls = 0;
    jest.spyOn(n.broker, "emit").mockImplementation(((name: string, payload: unknown) => {
      calls++;
      if (calls === 2) return Promise.reject(new Error("NATS connection lost"));
      return realEmit(name, payload);
    }) as typeof n.broker.emit);
    const written = [await step(db.knex, "K"), await step(db.knex, "K"), await step(db.knex, "K")];
    n.startRelay({ retryMinMs: 100, pollMs: 5000 });
    await until("all three arrive", () => seen.length === 3);
    // a delivery can reach the watcher before the relay has marked its row sent
    await until("all three marked sent", async () => (await unsentCount(db.knex)) === 0);
    expect(seen.map((d) => d.params.data.seq)).toEqual([1, 2, 3]);
    expect(calls).toBe(4);
    const rows = await db.knex("core_outbox").orderBy("id");
    expect(rows.map((r) => [r.event_id, r.attempts, r.last_error, r.sent_at !== null])).toEqual([
      [written[0].eventId, 0, null, true],
      [written[1].eventId, 1, expect.stringContaining("NATS connection lost"), true],
      [written[2].eventId, 0, null, true],
    ]);
    expect(n.relay!.stats()).toMatchObject({ published: 3, failures: 1 });
  });

  test("an event delivered twice (its sent mark lost) has its effect once per consumer", async () => {
    const consumer = (name: string): ServiceSchema => ({
      name,
      events: {
        "test.award.made": onceHandler(name, db.knex, async (ctx, trx) => {
          await trx("test_effects").insert({ consumer: name, event_id: ctx.params.eventId });
        }),
      },
    });
    // every delivery, handled or not
    const deliveries: Delivery[] = [];
    const n = await node("dup", [consumer("ledger"), consumer("mailer"), recorder("counter", ["test.award.made"], deliveries)]);
    n.startRelay({ pollMs: 5000 });
    const { eventId } = await db.knex.transaction((trx) => enqueue(trx, { event: "test.award.made", payload: { award: "A-1" }, key: "A-1" }));
    await until("first delivery", async () => Number((await db.knex("test_effects").count("* as n"))[0].n) === 2);
    await until("marked sent", async () => (await unsentCount(db.knex)) === 0);
    // The relay published but its mark did not survive (a crash before commit): it goes again.
    await db.knex("core_outbox").where({ event_id: eventId }).update({ sent_at: null });
    n.relay!.kick();
    await until("second delivery", () => deliveries.length === 2);
    await until("marked sent again", async () => (await unsentCount(db.knex)) === 0);
    const effects = await db.knex("test_effects").select("consumer", "event_id").orderBy("consumer");
    expect(effects).toEqual([
      { consumer: "ledger", event_id: eventId },
      { consumer: "mailer", event_id: eventId },
    ]);
    const receipts = await db.knex("core_event_receipts").select("consumer", "event_id").orderBy("consumer");
    expect(receipts).toEqual(effects);
  });

  test("a consumer whose work fails keeps no receipt, so a later delivery is handled", async () => {
    let fail = true;
    const svc: ServiceSchema = {
      name: "picky",
      events: {
        "test.award.made": onceHandler("picky", db.knex, async (ctx, trx) => {
          await trx("test_effects").insert({ consumer: "picky", event_id: ctx.params.eventId });
          if (fail) throw new Error("the mail server is down");
        }),
      },
    };
    const n = await node("picky", [svc]);
    const handler = n.broker.getLocalService("picky")!;
    const params = { eventId: "3f1c6a55-3d39-4a43-9b52-4c0c36e1b0a1", event: "test.award.made", key: null, at: new Date().toISOString(), data: {} };
    await expect(handler.emitLocalEventHandler("test.award.made", params)).rejects.toThrow("the mail server is down");
    expect(await db.knex("core_event_receipts").count("* as n")).toEqual([{ n: "0" }]);
    fail = false;
    await handler.emitLocalEventHandler("test.award.made", params);
    expect(await db.knex("test_effects").count("* as n")).toEqual([{ n: "1" }]);
    await handler.emitLocalEventHandler("test.award.made", params);
    expect(await db.knex("test_effects").count("* as n")).toEqual([{ n: "1" }]);
    expect(await db.knex("core_event_receipts").count("* as n")).toEqual([{ n: "1" }]);
  });

  test("receiveOnce: true the first time only; a concurrent second receipt waits for the first and then says false", async () => {
    const id = "0b8e3f4e-6a0b-4a43-8d1b-91c9d6a2f0c7";
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let firstSaid: boolean | undefined;
    const first = db.knex.transaction(async (trx) => {
      firstSaid = await receiveOnce(trx, "ledger", id);
      await held;
    });
    await until("first receipt written", () => firstSaid !== undefined);
    let secondSaid: boolean | undefined;
    const second = db.knex.transaction(async (trx) => {
      secondSaid = await receiveOnce(trx, "ledger", id);
    });
    await sleep(200);
    expect(secondSaid).toBeUndefined();
    release();
    await Promise.all([first, second]);
    expect([firstSaid, secondSaid]).toEqual([true, false]);
    // Another consumer is another receipt.
    expect(await receiveOnce(db.knex, "mailer", id)).toBe(true);
    await expect(receiveOnce(db.knex, "ledger", "not-a-uuid")).rejects.toThrow(/not a uuid/);
  });
});

describe("several nodes", () => {
  test("two relays on two brokers and pools: each row is published exactly once, in order per key", async () => {
    const seen: Delivery[] = [];
    const a = await node("node-a", [recorder("watcher", ["test.step.done"], seen, "node-a")]);
    const b = await node("node-b", [recorder("watcher", ["test.step.done"], seen, "node-b")]);
    a.startRelay({ pollMs: 20 });
    b.startRelay({ pollMs: 20 });
    const keys = ["P-1", "P-2", "P-3", "P-4", "P-5"];
    const written: string[] = [];
    // Written in waves, so that both relays wake up many times and compete for the lock.
    for (let wave = 0; wave < 20; wave++) {
      await Promise.all(
        Array.from({ length: 25 }, async (_, i) => written.push((await step(db.knex, keys[(wave + i) % keys.length])).eventId)),
      );
      await sleep(wave % 3 === 0 ? 30 : 0);
    }
    await until("all 500 arrive", () => seen.length >= 500, 30_000);
    await sleep(300);
    expect(seen).toHaveLength(500);
    expect(new Set(seen.map((d) => d.params.eventId)).size).toBe(500);
    expect(new Set(seen.map((d) => d.params.eventId))).toEqual(new Set(written));
    assertOrderPerKey(seen);
    const byNode = { a: a.relay!.stats().published, b: b.relay!.stats().published };
    expect(byNode.a + byNode.b).toBe(500);
    // (Which relay published what depends on who wakes first; both together exactly 500.)
    console.log(`[outbox] two relays: node-a published ${byNode.a}, node-b ${byNode.b}`);
  });
});

describe("waking up", () => {
  test("a LISTEN connection that drops is re-opened, and commits wake the relay again without polling", async () => {
    const seen: Delivery[] = [];
    const n = await node("listen", [recorder("watcher", ["test.step.done"], seen)]);
    const relay = n.startRelay({ pollMs: 600_000, retryMinMs: 100 });
    await until("listening", () => relay.stats().listening);
    await step(db.knex, "L");
    await until("first event, by notification", () => seen.length === 1, 2000);
    await db.knex.raw("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'gd-procurement outbox relay' and datname = current_database()");
    await until("noticed the loss", () => !relay.stats().listening, 5000);
    await until("listening again", () => relay.stats().listening, 5000);
    const t0 = Date.now();
    await step(db.knex, "L");
    await until("second event, by notification", () => seen.length === 2, 2000);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  test("without a LISTEN connection at all, polling still delivers", async () => {
    const seen: Delivery[] = [];
    const n = await node("poll", [recorder("watcher", ["test.step.done"], seen)]);
    const bad = new URL(db.url);
    bad.port = "1";
    const relay = n.startRelay({ pollMs: 200, connection: { connectionString: bad.toString(), connectionTimeoutMillis: 500 } });
    await step(db.knex, "P");
    await until("delivered by polling", () => seen.length === 1, 3000);
    expect(relay.stats().listening).toBe(false);
  });

  test("right after start, an event nobody listens to yet is held until a listener appears (settleMs)", async () => {
    const n = await node("settle");
    n.startRelay({ settleMs: 3000, pollMs: 100 });
    await step(db.knex, "S", "test.late.heard");
    await sleep(500);
    expect(await unsentCount(db.knex)).toBe(1);
    const seen: Delivery[] = [];
    await n.broker.createService(recorder("late-comer", ["test.late.heard"], seen));
    await until("delivered to the late-comer", () => seen.length === 1, 3000);
    // After the settling time, an event with no listener is published all the same (to nobody).
    await step(db.knex, "S", "test.nobody.listens");
    await until("marked sent once settled", async () => (await unsentCount(db.knex)) === 0, 5000);
  });
});

describe("clean-up", () => {
  test("sent rows and settled receipts older than N days go; unsent rows and their receipts stay", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await step(db.knex, "C")).eventId);
    // 0, 1: sent 40 days ago; 2: sent yesterday; 3: unsent, 40 days old; 4: unsent, new
    await db.knex("core_outbox").whereIn("event_id", ids.slice(0, 2)).update({ sent_at: db.knex.raw("now() - interval '40 days'") });
    await db.knex("core_outbox").where({ event_id: ids[2] }).update({ sent_at: db.knex.raw("now() - interval '1 day'") });
    await db.knex("core_outbox").where({ event_id: ids[3] }).update({ created_at: db.knex.raw("now() - interval '40 days'") });
    for (const id of ids) await receiveOnce(db.knex, "ledger", id);
    await db.knex("core_event_receipts").update({ received_at: db.knex.raw("now() - interval '40 days'") });
    const purged = await purgeEvents(db.knex, { olderThanDays: 30, batchSize: 1 });
    expect(purged).toEqual({ outbox: 2, receipts: 3 });
    expect((await db.knex("core_outbox").orderBy("id")).map((r) => r.event_id)).toEqual(ids.slice(2));
    expect((await db.knex("core_event_receipts").select("event_id")).map((r) => r.event_id).sort()).toEqual([ids[3], ids[4]].sort());
  });
});
