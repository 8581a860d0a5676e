import ExcelJS from "exceljs";
import { exportList, PlatformError } from "../../../core/sdk";
import type { TestPlatform } from "../../support/kernel";
import { startPortalPlatform } from "../portal/support";

/**
 * Lists as CSV and Excel files (core/gateway/export.ts), through the portal's notices, the first list
 * that uses it: the list's filters apply, rows come newest first as on the list's pages, past
 * several batches, and what a spreadsheet would run as a formula stays text.
 */
describe("exporting a list", () => {
  let platform: TestPlatform;
  const knex = () => platform.kernel.db.knex;
  const ROWS = 2_345; // more than two of the export's batches of 1,000

  const download = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(platform.baseUrl + url, { headers, signal: AbortSignal.timeout(60_000) });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };
  const csvLines = (body: Buffer) => body.toString("utf8").replace(/^\uFEFF/, "").split("\r\n").filter(Boolean);

  beforeAll(async () => {
    platform = await startPortalPlatform();
    await knex().raw(
      `insert into portal_notices (instance_id, type, tenant_code, plugin, workflow_id, title, unit_name, version, published_at)
       select gen_random_uuid(), (array['intention','tender','result','contract'])[1 + i % 4], '440981', 'etrading', 'etrading.tender',
              '高州市导出测试公告第' || i || '号', '高州市财政局', 1, '2026-03-01T00:00:00Z'::timestamptz + (i || ' minutes')::interval
       from generate_series(1, ?) as i`,
      [ROWS],
    );
    // a title a spreadsheet would run as a formula, and one with the CSV's own separators
    await knex()("portal_notices").insert([
      { instance_id: knex().raw("gen_random_uuid()"), type: "tender", tenant_code: "440981", plugin: "etrading", workflow_id: "etrading.tender", title: '=HYPERLINK("http://evil.example","点我")', unit_name: "高州市财政局", version: 1, published_at: "2026-01-01T00:00:00Z" },
      { instance_id: knex().raw("gen_random_uuid()"), type: "tender", tenant_code: "440981", plugin: "etrading", workflow_id: "etrading.tender", title: '含逗号,与"引号"的标题', unit_name: "高州市财政局", version: 1, published_at: "2026-01-01T00:00:01Z" },
      { instance_id: knex().raw("gen_random_uuid()"), type: "tender", tenant_code: "440100", plugin: "etrading", workflow_id: "etrading.tender", title: "广州市公告不在高州", unit_name: "广州市教育局", version: 1, published_at: "2026-01-01T00:00:02Z" },
    ]);
  }, 120_000);
  afterAll(() => platform?.stop());

  test("CSV: every row the filters match, newest first as the list pages them, Chinese intact for Excel, formulas neutralised", async () => {
    const res = await download("/api/portal/notices/export?tenant=440981&format=csv");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    expect(res.headers.get("content-disposition")).toContain("filename*=UTF-8''%E5%85%AC%E5%91%8A.csv");
    expect(res.headers.get("x-export-rows")).toBe(String(ROWS + 2));
    expect(res.body.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf])); // the BOM Excel needs for UTF-8
    const lines = csvLines(res.body);
    expect(lines[0]).toBe("类型,标题,采购单位,地区,发布时间,更正时间");
    expect(lines).toHaveLength(1 + ROWS + 2);
    expect(lines[1]).toBe(`采购公告,高州市导出测试公告第${ROWS}号,高州市财政局,高州市,2026-03-02T15:05:00.000Z,`);
    expect(lines.some((l) => l.includes("广州市公告"))).toBe(false);
    expect(lines).toContain(`采购公告,"'=HYPERLINK(""http://evil.example"",""点我"")",高州市财政局,高州市,2026-01-01T00:00:00.000Z,`);
    expect(lines).toContain('采购公告,"含逗号,与""引号""的标题",高州市财政局,高州市,2026-01-01T00:00:01.000Z,');
    // the same order as the list's own pages
    const page = await platform.api("/api/portal/notices?tenant=440981&pageSize=100");
    const titles = (page.body as { items: Array<{ title: string }> }).items.map((i) => i.title);
    expect(lines.slice(1, 101).map((l) => l.split(",")[1])).toEqual(titles);
  });

  test("Excel in English: the list's type filter applies, every row a row of the sheet", async () => {
    const res = await download("/api/portal/notices/export?tenant=440981&type=result&format=xlsx&lang=en");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    expect(res.headers.get("content-disposition")).toContain('filename="notices.xlsx"');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.body as unknown as ArrayBuffer);
    const sheet = book.getWorksheet("Notices")!;
    expect(sheet.getRow(1).values).toEqual([undefined, "Type", "Title", "Purchasing unit", "Region", "Published", "Amended"]);
    const results = Math.floor((ROWS + 2) / 4); // i % 4 == 2 of 1..ROWS
    expect(sheet.rowCount).toBe(1 + results);
    expect(sheet.getRow(2).getCell(1).value).toBe("Result notice");
    expect(sheet.getRow(2).getCell(4).value).toBe("Gaozhou");
  });

  test("bad parameters are 400 at once, each at its field, and nothing is sent", async () => {
    const res = await platform.api("/api/portal/notices/export?format=pdf&type=poster", { headers: { "accept-language": "en" } });
    expect(res.status).toBe(400);
    const body = res.body as { error: { code: string; details: Array<{ path: string; rule: string }> } };
    expect(body.error.code).toBe("VALIDATION_FAILED");
    expect(body.error.details.map((d) => `${d.path} ${d.rule}`).sort()).toEqual(["/format enum", "/type enum"]);
  });

  test("above the row limit the export is refused before a byte is sent, with a hint to narrow", async () => {
    const ctx = { meta: {} as Record<string, unknown> };
    const refused = await exportList(ctx, {
      db: knex(),
      query: knex()("portal_notices").where({ tenant_code: "440981" }).select("id", "title", "published_at"),
      order: { name: "t", keys: [{ column: "published_at", kind: "timestamp" }, { column: "id", kind: "uuid" }], direction: "desc" },
      columns: [{ title: { "zh-CN": "标题", en: "Title" }, value: (r: { title: string }) => r.title }],
      format: "csv",
      lang: "zh-CN",
      filename: "x",
      limit: 1000,
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PlatformError);
    expect(refused).toMatchObject({ code: 400, type: "VALIDATION_FAILED", data: { details: [expect.objectContaining({ path: "/", rule: "rowLimit", limit: 1000, total: expect.any(Number) })] } });
    expect((refused as PlatformError).data.details[0].message["zh-CN"]).toContain("缩小筛选范围");
    expect((refused as PlatformError).data.details[0].total).toBeGreaterThan(1000);
    expect(ctx.meta.$responseHeaders).toBeUndefined();
  });
});
