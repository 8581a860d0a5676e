import type { TestPlatform } from "../../support/kernel";
import { get, startPortalPlatform } from "./support";

/**
 * Keyset pages, bounded totals and date filters of the portal's list (core/gateway/list-query.ts).
 * Rows are written straight into the table (generate_series), as the scale seed does: what is
 * under test is reading them, and 10,000 events would take minutes.
 */
describe("the portal's list at depth", () => {
  let platform: TestPlatform;
  const list = (query: string) => get(platform, `/api/portal/notices${query}`);
  const knex = () => platform.kernel.db.knex;

  // Maoming (440900) and its Gaozhou (440981), in this file's own platform and database.
  const insert = (n: number, tenant: string, title: string, from: string) =>
    knex().raw(
      `insert into portal_notices (instance_id, type, tenant_code, plugin, workflow_id, title, unit_name, version, published_at)
       select gen_random_uuid(), (array['intention','tender','result','contract'])[1 + i % 4], ?, 'etrading', 'etrading.tender',
              ? || i || '号', '茂名市财政局', 1, ?::timestamptz + (i || ' minutes')::interval
       from generate_series(1, ?) as i`,
      [tenant, title, from, n],
    );

  beforeAll(async () => {
    platform = await startPortalPlatform();
    await insert(45, "440981", "高州市游标测试公告第", "2026-03-01T00:00:00Z");
    // a clock tie: the id decides, and no row may be skipped or repeated across a page boundary
    await knex().raw("update portal_notices set published_at = '2026-03-01T00:30:00Z' where tenant_code = '440981' and title like '%第2_号'");
    // PostgreSQL keeps microseconds, a JavaScript Date milliseconds: times one millisecond apart
    // only in their microseconds must still page in order, none skipped (the cursor keeps them exact)
    await knex().raw("update portal_notices set published_at = '2026-03-01T00:40:00.000100Z'::timestamptz + ((right(title, 2)::text = '5号')::int || ' microseconds')::interval * 300 where tenant_code = '440981' and title like '%第3_号'");
    await insert(10_050, "440900", "茂名市大量公告第", "2025-01-01T00:00:00Z");
    await knex().raw("analyze portal_notices");
  }, 120_000);
  afterAll(() => platform?.stop());

  test("a cursor walks the list page after page in the same order as page numbers, without gaps or repeats, and says where it ends", async () => {
    const byPage = [];
    for (let page = 1; page <= 5; page++) byPage.push(...(await list(`?tenant=440981&page=${page}&pageSize=10`)).body.items.map((i: { id: string }) => i.id));
    expect(byPage).toHaveLength(45);

    const byCursor: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list(`?tenant=440981&pageSize=10${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      byCursor.push(...res.body.items.map((i: { id: string }) => i.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(5);
    expect(byCursor).toEqual(byPage);
    expect(new Set(byCursor).size).toBe(45);
  });

  test("a cursor keeps the filters' meaning: search and type narrow every page", async () => {
    const first = await list(`?tenant=440981&type=tender&q=${encodeURIComponent("公告")}&pageSize=5`);
    const second = await list(`?tenant=440981&type=tender&q=${encodeURIComponent("公告")}&pageSize=5&cursor=${first.body.nextCursor}`);
    const items = [...first.body.items, ...second.body.items];
    expect(items).toHaveLength(10);
    expect(items.every((i: { type: string }) => i.type === "tender")).toBe(true);
    expect(second.body.items[0].publishedAt <= first.body.items[4].publishedAt).toBe(true);
  });

  test.each([
    ["not base64", "%%%"],
    ["base64 of no JSON", Buffer.from("hello").toString("base64url")],
    ["another list's cursor", Buffer.from(JSON.stringify(["registries.suppliers", "甲", "91440000000000000X"])).toString("base64url")],
    ["a time edited into no time", Buffer.from(JSON.stringify(["portal.notices", "2026-13-45T99:00:00Z", "6f1c1f3e-0000-4000-8000-000000000000"])).toString("base64url")],
    ["an id edited into SQL", Buffer.from(JSON.stringify(["portal.notices", "2026-03-01T00:00:00.000Z", "1' or '1'='1"])).toString("base64url")],
    ["a key missing", Buffer.from(JSON.stringify(["portal.notices", "2026-03-01T00:00:00.000Z"])).toString("base64url")],
  ])("a tampered cursor (%s) is 400 in the envelope, in Chinese or English", async (_case, cursor) => {
    const res = await list(`?cursor=${cursor}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "VALIDATION_FAILED" });
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: "/cursor", rule: "cursor", message: { "zh-CN": expect.stringContaining("翻页标记"), en: expect.stringContaining("cursor") } })]);
  });

  test("totals are exact up to 10,000 and an estimate beyond, said so in the answer", async () => {
    const small = await list("?tenant=440981");
    expect(small.body).toMatchObject({ total: 45, totalIsEstimate: false, page: 1, pageSize: 20 });
    const large = await list("?tenant=440900");
    expect(large.status).toBe(200);
    expect(large.body.totalIsEstimate).toBe(true);
    expect(large.body.total).toBeGreaterThan(10_000);
    // the estimate is PostgreSQL's plan after ANALYZE: near the truth, not a made-up number
    expect(Math.abs(large.body.total - 10_095) / 10_095).toBeLessThan(0.2);
    expect(large.body.items).toHaveLength(20);
  });

  test("from and to narrow to publication days (UTC+8), inclusive; a bad date is 400", async () => {
    // 2026-03-01T00:00Z + i minutes: all on 2026-03-01 in China (08:01 to 08:45)
    const day = await list("?tenant=440981&from=2026-03-01&to=2026-03-01&pageSize=100");
    expect(day.body.total).toBe(45);
    expect((await list("?tenant=440981&from=2026-03-02")).body.total).toBe(0);
    expect((await list("?tenant=440981&to=2026-02-28")).body.total).toBe(0);
    const bad = await list("?from=2026-02-30&to=yesterday");
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(["/from", "/to"]);
  });
});
