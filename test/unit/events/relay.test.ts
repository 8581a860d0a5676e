import knexFactory, { type Knex } from "knex";
import type { Context } from "moleculer";
import { listenConnection, publishPerKey, retryDelay, toEventParams, type OutboxRow } from "../../../core/events/relay";
import { enqueue } from "../../../core/events/outbox";
import { KeyedQueue, onceHandler, receiveOnce } from "../../../core/events/receipts";

interface Row {
  id: number;
  key: string | null;
}
const rows = (spec: Array<[number, string | null]>): Row[] => spec.map(([id, key]) => ({ id, key }));
const tick = () => new Promise((r) => setImmediate(r));

describe("publishing a batch", () => {
  test("rows of one key go out one after the other, in the order given", async () => {
    const log: string[] = [];
    const batch = rows([[1, "a"], [2, "b"], [3, "a"], [4, "a"], [5, "b"]]);
    const out = await publishPerKey(batch, (r) => r.key, async (r) => {
      log.push(`start ${r.id}`);
      await tick();
      log.push(`end ${r.id}`);
      return true;
    });
    expect(out.sent.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    for (const [before, after] of [[1, 3], [3, 4], [2, 5]]) {
      expect(log.indexOf(`end ${before}`)).toBeLessThan(log.indexOf(`start ${after}`));
    }
  });

  test("different keys go out side by side, at most `concurrency` at once", async () => {
    let inFlight = 0;
    let most = 0;
    const batch = rows(Array.from({ length: 40 }, (_, i) => [i + 1, `k${i % 10}`] as [number, string]));
    await publishPerKey(batch, (r) => r.key, async () => {
      most = Math.max(most, ++inFlight);
      await tick();
      inFlight--;
      return true;
    }, 4);
    expect(most).toBe(4);
  });

  test("rows without a key are each on their own", async () => {
    let inFlight = 0;
    let most = 0;
    await publishPerKey(rows([[1, null], [2, null], [3, null]]), (r) => r.key, async () => {
      most = Math.max(most, ++inFlight);
      await tick();
      inFlight--;
      return true;
    });
    expect(most).toBe(3);
  });

  test("a failure stops its key (later rows of it are not tried) and no other", async () => {
    const tried: number[] = [];
    const batch = rows([[1, "a"], [2, "b"], [3, "a"], [4, "b"], [5, "a"]]);
    const out = await publishPerKey(batch, (r) => r.key, async (r) => {
      tried.push(r.id);
      if (r.id === 3) throw new Error("transporter down");
      return true;
    });
    expect(out.sent.map((r) => r.id)).toEqual([1, 2, 4]);
    expect(out.failed.map((f) => [f.row.id, f.error.message])).toEqual([[3, "transporter down"]]);
    expect(tried).not.toContain(5);
  });

  test("a row held back stops its key the same way, without counting as a failure", async () => {
    const out = await publishPerKey(rows([[1, "a"], [2, "a"], [3, "b"]]), (r) => r.key, async (r) => r.id !== 1);
    expect(out.sent.map((r) => r.id)).toEqual([3]);
    expect(out.held.map((r) => r.id)).toEqual([1]);
    expect(out.failed).toEqual([]);
  });

  test("a thrown non-Error still counts as a failure with a message", async () => {
    const out = await publishPerKey(rows([[1, "a"]]), (r) => r.key, () => Promise.reject("plain string"));
    expect(out.failed[0].error.message).toBe("plain string");
  });
});

describe("the event a row becomes", () => {
  test("carries the event id, name, key, commit-side time and data", () => {
    const row: OutboxRow = {
      id: "42",
      event_id: "8d1f3a2c-1111-4c4c-9c9c-000000000042",
      event: "etrading.tender.published",
      payload: { tender: "T-42" },
      stream_key: "T-42",
      created_at: new Date("2026-03-01T02:03:04.005Z"),
    };
    expect(toEventParams(row)).toEqual({
      eventId: "8d1f3a2c-1111-4c4c-9c9c-000000000042",
      event: "etrading.tender.published",
      key: "T-42",
      at: "2026-03-01T02:03:04.005Z",
      data: { tender: "T-42" },
    });
  });
});

describe("retrying", () => {
  test("backs off by doubling, within bounds", () => {
    expect([1, 2, 3, 4, 10, 1000].map((n) => retryDelay(n, 500, 30_000))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000]);
  });
});

describe("the LISTEN connection", () => {
  let knex: Knex;
  beforeAll(() => {
    knex = knexFactory({ client: "pg", connection: { connectionString: "postgres://u:p@db.example:5433/procurement", application_name: "gd-procurement" } });
  });
  afterAll(() => knex.destroy());

  test("uses what the knex pool connects with unless told otherwise, under its own name and with keep-alive", () => {
    expect(listenConnection({ knex })).toMatchObject({
      connectionString: "postgres://u:p@db.example:5433/procurement",
      application_name: "gd-procurement outbox relay",
      keepAlive: true,
    });
    expect(listenConnection({ knex, databaseUrl: "postgres://x@other/db" }).connectionString).toBe("postgres://x@other/db");
    expect(listenConnection({ knex, connection: { host: "h", port: 1 } })).toMatchObject({ host: "h", port: 1 });
  });
});

describe("misuse is refused before touching the database", () => {
  const knex = {} as Knex;

  test("enqueue needs the business transaction and an event name", async () => {
    await expect(enqueue(knex as Knex.Transaction, { event: "x.y" })).rejects.toThrow(/business transaction/);
    const trx = { isTransaction: true } as unknown as Knex.Transaction;
    await expect(enqueue(trx, { event: "  " })).rejects.toThrow(/non-empty name/);
  });

  test("receiveOnce needs a consumer and a uuid", async () => {
    await expect(receiveOnce(knex, "", "8d1f3a2c-1111-4c4c-9c9c-000000000042")).rejects.toThrow(/named/);
    await expect(receiveOnce(knex, "ledger", "42")).rejects.toThrow(/not a uuid/);
  });

  test("onceHandler takes outbox events only", async () => {
    const handler = onceHandler("ledger", () => knex, async () => {});
    const ctx = { params: { some: "thing" }, eventName: "x.y" } as unknown as Context;
    await expect(handler.call({} as never, ctx)).rejects.toThrow(/has no eventId/);
  });
});

describe("a consumer's queue on one node", () => {
  test("runs one job at a time per key, in the order they came, and at most `limit` jobs at once", async () => {
    const q = new KeyedQueue(3);
    const log: string[] = [];
    let inFlight = 0;
    let most = 0;
    const job = (name: string, ms: number) => async () => {
      most = Math.max(most, ++inFlight);
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
      inFlight--;
      return name;
    };
    const results = await Promise.all([
      q.run("a", job("a1", 20)),
      q.run("b", job("b1", 1)),
      q.run("a", job("a2", 1)),
      q.run(null, job("x", 1)),
      q.run("c", job("c1", 5)),
      q.run("d", job("d1", 5)),
      q.run("a", job("a3", 1)),
    ]);
    expect(results).toEqual(["a1", "b1", "a2", "x", "c1", "d1", "a3"]);
    expect(most).toBeLessThanOrEqual(3);
    expect(log.indexOf("end a1")).toBeLessThan(log.indexOf("start a2"));
    expect(log.indexOf("end a2")).toBeLessThan(log.indexOf("start a3"));
    // b1 did not wait for key a
    expect(log.indexOf("start b1")).toBeLessThan(log.indexOf("end a1"));
    expect(q.size).toEqual({ active: 0, waiting: 0, keys: 0 });
  });

  test("a job that fails does not stop the next one of its key", async () => {
    const q = new KeyedQueue(1);
    const first = q.run("a", () => Promise.reject(new Error("mail server down")));
    const second = q.run("a", async () => "handled");
    await expect(first).rejects.toThrow("mail server down");
    await expect(second).resolves.toBe("handled");
  });
});
