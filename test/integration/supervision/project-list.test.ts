import crypto from "node:crypto";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";

/**
 * The workspace's project list through core's list-query helper: words of the project's or the
 * unit's name by the search indexes, cursor pages, bounded totals. Rows are written straight into
 * the table: what is under test is reading them (the stages' rules have their own tests).
 */
describe("the project list", () => {
  let platform: TestPlatform;
  let regulator: string;
  const list = (query: string) => platform.api(`/api/supervision/projects${query}`, { token: regulator });

  beforeAll(async () => {
    platform = await startTestPlatform();
    regulator = await platform.token({ roles: ["regulator"], tenantCode: "440900" });
    const rows = Array.from({ length: 25 }, (_, i) => ({
      id: crypto.randomUUID(),
      tenant_code: i % 5 === 0 ? "440981" : "440900",
      owner_unit: `44090000${i % 3}`,
      unit_name: ["茂名市交通运输局", "茂名市人民医院", "高州市教育局"][i % 3],
      name: `${["道路养护工程", "医疗设备采购", "课桌椅采购"][i % 3]}第${i + 1}期`,
      stage: "intention",
      budget: "100000.00",
      intention_id: crypto.randomUUID(),
      // five projects share one time: the id orders them, and pages must neither skip nor repeat one
      created_at: new Date(Date.UTC(2026, 2, 1, 0, i < 5 ? 0 : i)),
      updated_at: new Date(Date.UTC(2026, 2, 1, 0, i < 5 ? 0 : i)),
    }));
    await platform.kernel.db.knex("supervision_projects").insert(rows);
  });
  afterAll(() => platform?.stop());

  const names = (body: { items: Array<{ name: string }> }) => body.items.map((p) => p.name).sort();

  test("by a two-character word of the unit's name or the project's, several words at once", async () => {
    const hospital = await list(`?q=${encodeURIComponent("医院")}&pageSize=100`);
    expect(hospital.status).toBe(200);
    expect(hospital.body.total).toBe(8);
    expect(names(hospital.body).every((n) => n.startsWith("医疗设备采购"))).toBe(true);
    expect((await list(`?q=${encodeURIComponent("高州 课桌椅")}&pageSize=100`)).body.total).toBe(8);
    expect((await list(`?q=${encodeURIComponent("养护工程第1期")}`)).body.items.map((p: { name: string }) => p.name)).toEqual(["道路养护工程第1期"]);
    const plan = await platform.kernel.db.knex.raw("explain select 1 from supervision_projects where supervision_bigrams(search) @> array['医院']");
    expect(JSON.stringify(plan.rows)).toContain("supervision_projects_search_bigrams");
  });

  test("page after page by cursor in the list's order, as by page number, and a tampered cursor is 400", async () => {
    const byPage: string[] = [];
    for (let page = 1; page <= 4; page++) byPage.push(...(await list(`?page=${page}&pageSize=7`)).body.items.map((p: { id: string }) => p.id));
    expect(byPage).toHaveLength(25);
    const byCursor: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await list(`?pageSize=7${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.body).toMatchObject({ total: 25, totalIsEstimate: false });
      byCursor.push(...res.body.items.map((p: { id: string }) => p.id));
      cursor = res.body.nextCursor;
    } while (cursor && byCursor.length <= 25);
    expect(byCursor).toEqual(byPage);
    const bad = await list(`?cursor=${Buffer.from(JSON.stringify(["supervision.projects", "yesterday", crypto.randomUUID()])).toString("base64url")}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ path: "/cursor", rule: "cursor" })]);
  });
});
