import { readConfig } from "../../../core/config";
import { openDatabase } from "../../../core/db";
import { createTestDatabase } from "../../support/db";

/** The pool is sized from configuration (issue 16: measured with the transitions bench, test/bench/transitions.ts). */
describe("the database pool's size comes from DB_POOL_MAX", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  const poolMax = async (env: Record<string, string>) => {
    const opened = await openDatabase({ ...readConfig(env), databaseUrl: db.url }, () => {});
    try {
      return (opened.knex.client as { pool: { max: number } }).pool.max;
    } finally {
      await opened.close();
    }
  };

  test("10 connections unless told, as many as DB_POOL_MAX says otherwise", async () => {
    expect(await poolMax({})).toBe(10);
    expect(await poolMax({ DB_POOL_MAX: "32" })).toBe(32);
  });
});
