import crypto from "node:crypto";
import fs from "node:fs";
import ExcelJS from "exceljs";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

/**
 * An export is the list the caller may see, not more: the workspace's projects (supervision) as CSV
 * and Excel, scoped by the caller's role and region as their list is, with its search applied, and
 * never a purchasing unit's budget code. Only registries and supervision are loaded.
 */
describe("exporting a scoped list", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  let regulator: string;
  let buyer: string;

  const download = async (url: string, token: string) => {
    const res = await fetch(platform.baseUrl + url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };
  const csvRows = (body: Buffer) => body.toString("utf8").replace(/^\uFEFF/, "").split("\r\n").filter(Boolean);

  beforeAll(async () => {
    pluginsDir = linkPlugins(["registries", "supervision"], "export-plugins");
    platform = await startTestPlatform({ pluginsDir });
    regulator = await platform.token({ roles: ["regulator"], tenantCode: "440900" });
    buyer = await platform.token({ roles: ["purchaser"], tenantCode: "440900", unitCode: "440900001" });
    const rows = Array.from({ length: 30 }, (_, i) => ({
      id: crypto.randomUUID(),
      tenant_code: i < 24 ? "440900" : "441300",
      owner_unit: i < 24 ? `44090000${i % 3}` : "441300401",
      unit_name: i < 24 ? ["茂名市交通运输局", "茂名市人民医院", "茂名市教育局"][i % 3] : "惠州市交通运输局",
      name: `${["道路养护工程", "医疗设备采购", "课桌椅采购"][i % 3]}第${i + 1}期`,
      stage: "intention",
      budget: "100000.00",
      intention_id: crypto.randomUUID(),
      created_at: new Date(Date.UTC(2026, 2, 1, 0, i)),
      updated_at: new Date(Date.UTC(2026, 2, 1, 0, i)),
    }));
    await platform.kernel.db.knex("supervision_projects").insert(rows);
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  test("a regulator's export holds their region's projects, the search applied, newest first, and no unit codes", async () => {
    const all = await download("/api/supervision/projects/export?format=csv", regulator);
    expect(all.status).toBe(200);
    const rows = csvRows(all.body);
    expect(rows[0]).toBe("项目名称,采购单位,区划代码,阶段,采购方式,预算（元）,计划金额（元）,成交供应商,成交金额（元）,合同金额（元）,已支付（元）,提示,更新时间");
    expect(rows).toHaveLength(1 + 24);
    expect(rows[1].startsWith("课桌椅采购第24期,茂名市教育局,440900,采购意向,")).toBe(true);
    expect(rows.some((r) => r.includes("惠州"))).toBe(false);
    expect(all.body.toString("utf8")).not.toMatch(/44090000\d/);
    const searched = csvRows((await download(`/api/supervision/projects/export?format=csv&q=${encodeURIComponent("医院")}`, regulator)).body);
    expect(searched).toHaveLength(1 + 8);
  });

  test("a purchaser's export in Excel holds its own unit's projects only", async () => {
    const res = await download("/api/supervision/projects/export?format=xlsx&lang=en", buyer);
    expect(res.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.body as unknown as ArrayBuffer);
    const sheet = book.getWorksheet("Projects")!;
    expect(sheet.getRow(1).getCell(1).value).toBe("Project");
    expect(sheet.rowCount).toBe(1 + 8);
    const units = new Set<string>();
    sheet.eachRow((row, n) => {
      if (n > 1) units.add(String(row.getCell(2).value));
    });
    expect([...units]).toEqual(["茂名市人民医院"]);
  });

  test("without a session the export is refused as the list is; a bad stage is 400 at its field", async () => {
    expect((await fetch(`${platform.baseUrl}/api/supervision/projects/export`)).status).toBe(401);
    const bad = await platform.api("/api/supervision/projects/export?stage=done&format=doc", { token: regulator });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { details: Array<{ path: string }> } }).error.details.map((d) => d.path).sort()).toEqual(["/format", "/stage"]);
  });
});
