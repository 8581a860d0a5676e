import type { Knex } from "knex";
import { MERGE_MIN_MATCHES } from "../../../core/gateway/list-query";
import type { TestPlatform } from "../../support/kernel";
import { startPortalPlatform } from "./support";

/**
 * A region's notices with a search (issue 16's four-filter query): read county by county and merged
 * when the words are frequent, as one query when they are rare (core's listPage asks the planner).
 * Either way the pages are the ones a single ordered query gives.
 */
const HUIZHOU = ["441300", "441302", "441303", "441322", "441323", "441324"];
const FREQUENT = MERGE_MIN_MATCHES + 5000;

let platform: TestPlatform;
let knex: Knex;

beforeAll(async () => {
  platform = await startPortalPlatform();
  knex = platform.kernel.db.knex;
  // every notice says 采购 (frequent); one in 500 also 殡葬 (rare); Huizhou's six tenants and Guangzhou
  await knex.raw(
    `insert into portal_notices (instance_id, type, tenant_code, plugin, workflow_id, title, unit_name, version, published_at)
     select gen_random_uuid(), (array['tender','result'])[1 + n % 2], (array[${[...HUIZHOU, "440100"].map(() => "?").join(",")}])[1 + n % 7],
            'etrading', 'etrading.tender', '医院' || n || '号采购项目' || case when n % 500 = 0 then '殡葬服务' else '' end, '某单位', 1,
            timestamptz '2026-06-01 00:00:00+08' - (n % 997) * interval '1 hour'
     from generate_series(1, ?) n`,
    [...HUIZHOU, "440100", FREQUENT],
  );
  await knex.raw("vacuum analyze portal_notices");
}, 120_000);
afterAll(() => platform?.stop());

async function pages(query: string): Promise<{ ids: string[]; sqls: string[] }> {
  const sqls: string[] = [];
  const spy = (q: { sql: string }) => sqls.push(q.sql);
  knex.on("query", spy);
  const ids: string[] = [];
  try {
    let cursor: string | null = null;
    for (let i = 0; i < 3; i++) {
      const res = await platform.api(`/api/portal/notices?${query}&pageSize=7${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      ids.push(...res.body.items.map((n: { id: string }) => n.id));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
  } finally {
    knex.off("query", spy);
  }
  return { ids, sqls };
}

/** The same filter as one ordered query, straight from the table: what every page must agree with. */
async function expected(word: string, limit: number): Promise<string[]> {
  return knex("portal_notices")
    .whereNull("withdrawn_at")
    .whereIn("tenant_code", HUIZHOU)
    .where("type", "tender")
    .whereRaw("strpos(title, ?) > 0", [word])
    .orderBy([{ column: "published_at", order: "desc" }, { column: "id", order: "desc" }])
    .limit(limit)
    .pluck("id");
}

test(`a word in over ${MERGE_MIN_MATCHES.toLocaleString("en")} notices (采购), Huizhou and its counties, tenders: merged county by county, the same pages as one ordered query`, async () => {
  const { ids, sqls } = await pages("tenant=441300&type=tender&q=采购");
  expect(ids).toHaveLength(21);
  expect(ids).toEqual(await expected("采购", 21));
  // the walks test the word on the rows they pass (strpos), never through the pair index, whose bitmap of every match is what they avoid
  const walks = sqls.filter((s) => s.includes("union all") && s.includes("portal_notices"));
  // one merged read per page
  expect(walks).toHaveLength(3);
  expect(walks.map((w) => [w.includes("strpos"), w.includes("portal_pairs")])).toEqual(walks.map(() => [true, false]));
});

test("a rare word (殡葬, one notice in 500) in the same region: one query by its index, no walks, the same pages", async () => {
  const { ids, sqls } = await pages("tenant=441300&type=tender&q=殡葬");
  const all = await expected("殡葬", 1000);
  expect(all.length).toBeGreaterThan(0);
  expect(ids).toEqual(all.slice(0, 21));
  expect(sqls.some((s) => s.includes("union all"))).toBe(false);
});

test("no word: Huizhou's newest notices merged county by county, in the order of one query", async () => {
  const { ids, sqls } = await pages("tenant=441300");
  const one = await knex("portal_notices")
    .whereNull("withdrawn_at")
    .whereIn("tenant_code", HUIZHOU)
    .orderBy([{ column: "published_at", order: "desc" }, { column: "id", order: "desc" }])
    .limit(21)
    .pluck("id");
  expect(ids).toEqual(one);
  expect(sqls.some((s) => s.includes("union all"))).toBe(true);
});

test("a frequent word in one county, type and dates (no merge): page and exact total test the word on the filters' rows (strpos), never through the pair index", async () => {
  const sqls: string[] = [];
  const spy = (q: { sql: string }) => sqls.push(q.sql);
  knex.on("query", spy);
  let res: Awaited<ReturnType<TestPlatform["api"]>>;
  try {
    res = await platform.api(`/api/portal/notices?tenant=441302&type=tender&from=2026-05-01&to=2026-05-31&q=${encodeURIComponent("医院")}&pageSize=7`);
  } finally {
    knex.off("query", spy);
  }
  expect(res.status).toBe(200);
  const matching = () =>
    knex("portal_notices")
      .whereNull("withdrawn_at")
      .where({ tenant_code: "441302", type: "tender" })
      .where("published_at", ">=", "2026-05-01T00:00:00+08:00")
      .where("published_at", "<", "2026-06-01T00:00:00+08:00")
      .whereRaw("strpos(title, '医院') > 0");
  const total = Number((await matching().count({ n: "*" }))[0].n);
  expect(total).toBeGreaterThan(1000);
  expect(res.body).toMatchObject({ total, totalIsEstimate: false });
  expect(res.body.items.map((n: { id: string }) => n.id)).toEqual(
    await matching().orderBy([{ column: "published_at", order: "desc" }, { column: "id", order: "desc" }]).limit(7).pluck("id"),
  );
  const reads = sqls.filter((s) => !s.startsWith("explain") && s.includes("portal_notices"));
  expect(reads.some((s) => s.includes("count(*)"))).toBe(true);
  expect(reads.map((s) => [s.includes("strpos"), s.includes("portal_pairs")])).toEqual(reads.map(() => [true, false]));
});
