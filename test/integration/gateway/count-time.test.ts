import knexFactory, { type Knex } from "knex";
import { COUNT_MAX_COST, COUNT_WITHIN_MS, countUpTo, listPage, type ListOrder } from "../../../core/gateway/list-query";
import { createTestDatabase } from "../../support/db";

/**
 * A list's total (core/gateway/list-query.ts): exact while counting is cheap; a count the plan
 * expects to be large gives way to PostgreSQL's estimate after COUNT_WITHIN_MS, so that the total
 * never costs more than the page beside it; an export's count stays exact however long it takes.
 * An md5 of a long string in the filter makes a count slow on purpose, row by row (about 50 µs a
 * row; pg_sleep sleeps a millisecond at least).
 */
describe("a list's total within its time", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let knex: Knex;
  const ORDER: ListOrder = { name: "counted", keys: [{ column: "id", kind: "integer" }], direction: "asc" };
  /** the rows with n below `under`, each costing an md5 of a string `work` times n's digits long */
  const slow = (under: number, work = 20_000) => knex("counted").where("n", "<", under).whereRaw("md5(repeat(n::text, ?)) is not null", [work]);

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 4 } });
    await knex.raw("create table counted (id integer primary key, n integer not null)");
    await knex.raw("insert into counted select i, i from generate_series(1, 20000) as i");
    await knex.raw("create index counted_n on counted (n)");
    // a filter the planner knows to be costly (COST), and that tells whether it ran (the sequence)
    await knex.raw("create sequence costly_calls");
    // (plpgsql: a SQL function would be inlined, and its COST with it)
    await knex.raw("create function costly(n integer) returns boolean language plpgsql volatile cost 1000 as $$ begin return nextval('costly_calls') > 0; end $$");
    await knex.raw("analyze counted");
  });
  afterAll(async () => {
    await knex?.destroy();
    await db?.drop();
  });

  test("a count the plan expects in thousands that runs over its time answers with the estimate, marked as one", async () => {
    const t0 = Date.now();
    // 4,999 rows: about a quarter of a second to count
    const counted = await countUpTo(knex, slow(5000), 10_000, COUNT_WITHIN_MS);
    const took = Date.now() - t0;
    expect(counted.totalIsEstimate).toBe(true);
    // the planner's estimate of n < 5000 (the md5 filter keeps nearly every row in its eyes)
    expect(counted.total).toBeGreaterThan(2_000);
    expect(counted.total).toBeLessThan(10_000);
    expect(took).toBeLessThan(200);
    // nothing was left running: the connection answers at once
    expect((await knex.raw("select 1 as one")).rows[0].one).toBe(1);
  });

  test(`a count the plan expects in thousands whose plan costs over COUNT_MAX_COST (${COUNT_MAX_COST}) is not started: the estimate answers`, async () => {
    const costly = () => knex("counted").where("n", "<", 5000).whereRaw("costly(n)");
    expect(await countUpTo(knex, costly(), 10_000, COUNT_WITHIN_MS)).toEqual({ total: expect.any(Number), totalIsEstimate: true });
    // not one row was read
    expect((await knex.raw("select is_called from costly_calls")).rows[0].is_called).toBe(false);
    // an export's count is exact all the same
    expect(await countUpTo(knex, costly(), 10_000)).toEqual({ total: 4_999, totalIsEstimate: false });
  });

  test("the same count without a time limit (an export's) is exact, however long it takes", async () => {
    expect(await countUpTo(knex, slow(1500), 10_000)).toEqual({ total: 1_499, totalIsEstimate: false });
  });

  test("a count the plan expects to be small is exact even when slow: small totals stay exact on a busy machine", async () => {
    // 799 rows, twice the work each: over the time, but expected below 1,000 rows
    expect(await countUpTo(knex, slow(800, 40_000), 10_000, COUNT_WITHIN_MS)).toEqual({ total: 799, totalIsEstimate: false });
  });

  test("a fast count in thousands is exact", async () => {
    expect(await countUpTo(knex, knex("counted").where("n", "<", 2000), 10_000, COUNT_WITHIN_MS)).toEqual({ total: 1_999, totalIsEstimate: false });
  });

  test("a list page whose count ran out shows an estimate no smaller than the rows up to the one after the page", async () => {
    const page = await listPage<{ id: number }>(knex, slow(5000).select("id"), ORDER, { page: 3, pageSize: 20, after: undefined });
    expect(page.rows.map((r) => r.id)).toEqual(Array.from({ length: 20 }, (_, i) => 41 + i));
    expect(page.totalIsEstimate).toBe(true);
    expect(page.total).toBeGreaterThanOrEqual(61);
  });
});
