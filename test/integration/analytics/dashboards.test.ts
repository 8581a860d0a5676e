import ExcelJS from "exceljs";
import fs from "node:fs";
import { randomUUID } from "node:crypto";
import { enqueue } from "../../../core/events/outbox";
import { percentiles } from "../../../plugins/analytics/services/dashboards";
import { poll } from "../../support/http";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

/**
 * The regulator's dashboards: aggregates kept current from `analytics.fact` (in any order, once
 * however often delivered), read through GET /api/analytics/dashboard by a province regulator, a
 * city regulator, a purchasing unit and a supplier. One platform (registries for the unit's name,
 * supervision for the regulator's role) for the file.
 */
describe("the analytics dashboards", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  const knex = () => platform.kernel.db.knex;
  const tokens: Record<string, string> = {};
  const UNIT = "广州市越秀区测试学校";
  const COUNTY_UNIT = "茂南区人民医院";
  const a = randomUUID();
  const b = randomUUID();
  const pay1 = randomUUID();

  /** Writes a fact as a workflow's emit does; waits until both the feed and the aggregates handled it. */
  async function announce(p: { projectId: string; tenantCode: string; stage: string; data: Record<string, unknown>; instanceId?: string; version?: number }) {
    const payload = { instanceId: p.instanceId ?? randomUUID(), workflowId: "test.fact", plugin: "test", tenantCode: p.tenantCode, version: p.version ?? 1, stage: p.stage, data: { projectId: p.projectId, ...p.data } };
    const { eventId } = await knex().transaction((trx) => enqueue(trx, { event: "analytics.fact", payload, key: payload.instanceId }));
    await poll(`aggregates receipt of ${eventId}`, () => knex()("core_event_receipts").where({ consumer: "analytics.aggregates", event_id: eventId }).first(), (row) => !!row);
    return payload;
  }
  const dash = (who: string, query = "", lang?: string) =>
    platform.api(`/api/analytics/dashboard${query ? `?${query}` : ""}`, { token: tokens[who], headers: lang ? { "accept-language": lang } : {} });

  beforeAll(async () => {
    pluginsDir = linkPlugins(["registries", "supervision", "analytics"], "analytics-dash");
    platform = await startTestPlatform({ pluginsDir });
    await knex()("registries_purchasers").insert({ tenant_code: "440100", name: UNIT, budget_code: "440100777", unit_type: "school" });
    tokens.province = await platform.token({ roles: ["regulator"], tenantCode: "440000" });
    tokens.guangzhou = await platform.token({ roles: ["regulator"], tenantCode: "440100" });
    tokens.unit = await platform.token({ roles: ["purchaser"], tenantCode: "440100", unitCode: "440100777" });
    tokens.supplier = await platform.token({ roles: ["supplier"], tenantCode: "440100", unitCode: "91440100MA5TEST001" });

    // project A (Guangzhou): an SME wins below 2,000,000; the contract is published late, one payment is late
    await announce({ projectId: a, tenantCode: "440100", stage: "planning", data: { projectName: "教学设备", purchaserName: UNIT, budget: "1000000.00", publishedAt: "2026-01-05T10:00:00+08:00" } });
    await announce({ projectId: a, tenantCode: "440100", stage: "plan", data: { projectName: "教学设备", purchaserName: UNIT, method: "public-tender", total: "1000000.00", category: "A02" } });
    await announce({ projectId: a, tenantCode: "440100", stage: "award", data: { method: "public-tender", purchaserName: UNIT, supplierName: "广州小微科技有限公司", supplierSme: true, amount: "900000.00", awardDate: "2026-02-26" } });
    await announce({ projectId: a, tenantCode: "440100", stage: "contract", data: { purchaserName: UNIT, supplierName: "广州小微科技有限公司", amount: "900000.00", signedOn: "2026-03-02", filedOn: "2026-03-09" } });
    await announce({ projectId: a, tenantCode: "440100", instanceId: pay1, stage: "payment", data: { supplierName: "广州小微科技有限公司", amount: "400000.00", paidOn: "2026-04-10", invoicedOn: "2026-03-01" } });
    await announce({ projectId: a, tenantCode: "440100", stage: "payment", data: { supplierName: "广州小微科技有限公司", amount: "500000.00", paidOn: "2026-04-20", invoicedOn: "2026-04-01" } });
    // project B (a county of Maoming): its contract heard before its intention
    await announce({ projectId: b, tenantCode: "440902", stage: "plan", data: { purchaserName: COUNTY_UNIT, method: "inquiry", total: "3000000.00", category: "A03" } });
    await announce({ projectId: b, tenantCode: "440902", stage: "award", data: { method: "inquiry", purchaserName: COUNTY_UNIT, supplierName: "茂名大型设备集团", amount: "2500000.00", awardDate: "2026-06-01" } });
    await announce({ projectId: b, tenantCode: "440902", stage: "contract", data: { purchaserName: COUNTY_UNIT, amount: "2500000.00", signedOn: "2026-06-08", filedOn: "2026-06-09" } });
    await announce({ projectId: b, tenantCode: "440902", stage: "planning", data: { purchaserName: COUNTY_UNIT, budget: "3000000.00", publishedAt: "2026-02-01T09:00:00+08:00" } });
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  test("the province regulator sees its cities' spend, planned vs contracted vs paid, by month, method and category", async () => {
    const res = await dash("province");
    expect(res.status).toBe(200);
    const d = res.body;
    expect(d.region).toMatchObject({ code: "440000", level: "province" });
    expect(d.totals).toMatchObject({ planned: 4000000, awarded: 3400000, contracted: 3400000, paid: 900000, awards: 2, contracts: 2, payments: 2 });
    const city = (code: string) => d.byRegion.find((r: { code: string }) => r.code === code);
    expect(city("440100")).toMatchObject({ planned: 1000000, contracted: 900000, paid: 900000 });
    // the county's spend is its city's
    expect(city("440900")).toMatchObject({ planned: 3000000, contracted: 2500000, paid: 0 });
    expect(d.byMonth.find((m: { month: string }) => m.month === "2026-03")).toMatchObject({ contracted: 900000, paid: 0 });
    expect(d.byMonth.find((m: { month: string }) => m.month === "2026-04")).toMatchObject({ paid: 900000 });
    expect(d.byMethod).toEqual(expect.arrayContaining([expect.objectContaining({ method: "public-tender", contracted: 900000 }), expect.objectContaining({ method: "inquiry", contracted: 2500000 })]));
    expect(d.byCategory).toEqual(expect.arrayContaining([expect.objectContaining({ category: "A02", planned: 1000000 }), expect.objectContaining({ category: "A03", planned: 3000000 })]));
  });

  test("SME share of awards against sme.reservedShare (30%) and of awards below sme.reservedSmall (2,000,000)", async () => {
    const { sme } = (await dash("province")).body;
    expect(sme.goal).toEqual({ rule: "sme.reservedShare", percent: 30 });
    // 900,000 of 3,400,000 awarded went to an SME: 26.5%, under the 30% goal
    expect(sme).toMatchObject({ awards: 2, smeAwards: 1, awardedShare: 26.5 });
    // only project A's award is below 2,000,000, and an SME won it
    expect(sme.small).toEqual({ rule: "sme.reservedSmall", atMost: 2000000, awards: 1, smeAwards: 1, share: 100 });
  });

  test("breaches of contract.publish (2 working days) and payment.invoice30days (30 days) are listed with a link to the case", async () => {
    const { breaches } = (await dash("province")).body;
    expect(breaches).toHaveLength(2);
    expect(breaches).toEqual(
      expect.arrayContaining([
        // signed Monday 2026-03-02, published the next Monday: 5 working days
        expect.objectContaining({ projectId: a, rule: "contract.publish", from: "2026-03-02", done: "2026-03-09", days: 5, allowed: 2, unitOfDays: "working-days", link: `/supervision/projects/${a}` }),
        expect.objectContaining({ projectId: a, rule: "payment.invoice30days", from: "2026-03-01", done: "2026-04-10", days: 40, allowed: 30, unitOfDays: "calendar-days" }),
      ]),
    );
  });

  test("cycle times intention→contract and contract→payment by method, whatever order the facts came in", async () => {
    const { cycles } = (await dash("province")).body;
    expect(cycles).toEqual([
      { kind: "contract-payment", method: "public-tender", n: 1, median: 39, p90: 39 },
      // B's contract was heard before its intention: counted when the intention came
      { kind: "intention-contract", method: "inquiry", n: 1, median: 127, p90: 127 },
      { kind: "intention-contract", method: "public-tender", n: 1, median: 56, p90: 56 },
    ]);
    // nearest rank: the 5th of 10 is a 3, the 9th a 10
    expect(percentiles([{ days: 10, n: 3 }, { days: 3, n: 6 }, { days: 40, n: 1 }])).toEqual({ n: 10, median: 3, p90: 10 });
    expect(percentiles([])).toEqual({ n: 0, median: null, p90: null });
  });

  test("a fact delivered again, under another event id, adds nothing", async () => {
    const before = (await dash("province")).body.totals.paid;
    await announce({ projectId: a, tenantCode: "440100", instanceId: pay1, stage: "payment", data: { supplierName: "广州小微科技有限公司", amount: "400000.00", paidOn: "2026-04-10", invoicedOn: "2026-03-01" } });
    const after = (await dash("province")).body;
    expect(after.totals.paid).toBe(before);
    expect(after.breaches).toHaveLength(2);
  });

  test("drill-down: a city to its counties, a county to its units; a date range by month", async () => {
    const city = (await dash("province", "region=440900")).body;
    expect(city.region.code).toBe("440900");
    expect(city.byRegion.find((r: { code: string }) => r.code === "440902")).toMatchObject({ contracted: 2500000 });
    const county = (await dash("province", "region=440902")).body;
    expect(county.byRegion).toEqual([]);
    expect(county.byUnit).toEqual([expect.objectContaining({ unit: COUNTY_UNIT, planned: 3000000, contracted: 2500000 })]);
    const range = (await dash("province", "from=2026-04-01&to=2026-11-30")).body;
    expect(range.totals).toMatchObject({ contracted: 2500000, paid: 900000 });
    expect(range).toMatchObject({ from: "2026-04", to: "2026-11" });
  });

  test("a unit sees itself only; a supplier is refused", async () => {
    const unit = await dash("unit");
    expect(unit.status).toBe(200);
    expect(unit.body).toMatchObject({ unit: UNIT, totals: { planned: 1000000, contracted: 900000, paid: 900000 } });
    expect(unit.body.byUnit).toEqual([expect.objectContaining({ unit: UNIT })]);
    const wider = await dash("unit", "region=440000");
    expect(wider.status).toBe(400);
    expect(wider.body.error.details).toEqual([expect.objectContaining({ path: "/region", rule: "scope" })]);
    const supplier = await dash("supplier", "", "en");
    expect(supplier.status).toBe(403);
    expect(supplier.body.error).toMatchObject({ code: "FORBIDDEN", message: "The procurement dashboards are for regulators and purchasing units" });
    expect((await platform.api("/api/analytics/dashboard")).status).toBe(401);
  });

  test("bad input: a region outside one's own, reversed or absurd dates, all at once, in zh-CN and en", async () => {
    const outside = await dash("guangzhou", "region=440900");
    expect(outside.status).toBe(400);
    expect(outside.body.error.code).toBe("VALIDATION_FAILED");
    expect(outside.body.error.details).toEqual([expect.objectContaining({ path: "/region", rule: "scope", allowed: "440100" })]);
    expect(outside.body.error.details[0].message["zh-CN"]).toContain("不在您监管的区域");
    expect(outside.body.error.message).toMatch(/[\u4e00-\u9fff]/);
    const en = await dash("guangzhou", "region=999999&from=2026-05-01&to=2026-04-01", "en");
    expect(en.status).toBe(400);
    expect(en.body.error.details.map((e: { path: string; rule: string }) => `${e.path} ${e.rule}`).sort()).toEqual(["/region tenant", "/to range"]);
    expect(en.body.error.details.find((e: { path: string }) => e.path === "/to").message.en).toBe("to (2026-04-01) is before from (2026-05-01)");
    expect(en.body.error.message).not.toMatch(/[\u4e00-\u9fff]/);
    const absurd = await dash("province", "from=1999-01-01&to=2026-13-01");
    expect(absurd.body.error.details.map((e: { path: string; rule: string }) => `${e.path} ${e.rule}`)).toEqual(["/from range", "/to format"]);
  });

  test("the public data page's figures: a region's sums for anybody, no unit and no breach", async () => {
    const res = await platform.api("/api/analytics/public");
    expect(res.status).toBe(200);
    expect(res.body.region.code).toBe("440000");
    expect(res.body.totals).toMatchObject({ planned: 4000000, contracted: 3400000 });
    expect(res.body.byUnit).toBeUndefined();
    expect(res.body.breaches).toBeUndefined();
    const bad = await platform.api("/api/analytics/public?region=123&from=2026-05-01&to=2026-01-01", { headers: { "accept-language": "en" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((e: { path: string }) => e.path).sort()).toEqual(["/region", "/to"]);
  });
  test("the breaches export: every breach in the reader's scope and range, as CSV or Excel, streamed by core's exportList", async () => {
    const download = async (who: string, query: string) => {
      const res = await fetch(`${platform.baseUrl}/api/analytics/breaches/export?${query}`, { headers: { authorization: `Bearer ${tokens[who]}` } });
      return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
    };
    const lines = (body: Buffer) => body.subarray(3).toString("utf8").trimEnd().split("\r\n");
    const csv = await download("province", "format=csv");
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect(csv.headers.get("x-export-rows")).toBe("2");
    expect(csv.body.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(lines(csv.body)[0]).toBe("规则,地区,采购单位,起算日,完成日,用时,时限,项目");
    expect(lines(csv.body).slice(1).sort()).toEqual([
      `contract.publish,广州市,${UNIT},2026-03-02,2026-03-09,5 个工作日,2 个工作日,${a}`,
      `payment.invoice30days,广州市,${UNIT},2026-03-01,2026-04-10,40 日,30 日,${a}`,
    ]);
    // the page's filters: March only (a breach counts in the month it was done)
    const march = await download("province", "format=csv&from=2026-03-01&to=2026-03-31");
    expect(lines(march.body).slice(1)).toEqual([`contract.publish,广州市,${UNIT},2026-03-02,2026-03-09,5 个工作日,2 个工作日,${a}`]);
    // a unit exports its own; another city's regulator nothing of Guangzhou's
    expect(lines((await download("unit", "format=csv")).body)).toHaveLength(3);
    const maoming = await download("province", "format=csv&region=440900");
    expect(lines(maoming.body)).toHaveLength(1);

    const xlsx = await download("guangzhou", "format=xlsx&lang=en");
    expect(xlsx.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.body as unknown as ArrayBuffer);
    const sheet = book.getWorksheet("Deadlines missed")!;
    expect(sheet.getRow(1).values).toEqual([undefined, "Rule", "Region", "Purchasing unit", "Counted from", "Done on", "Took", "Limit", "Project"]);
    expect(sheet.rowCount).toBe(3);
    expect(sheet.getRow(2).getCell(2).value).toBe("Guangzhou");

    // bad input all at once; a supplier is refused
    const bad = await download("province", "format=pdf&from=2026-05-01&to=2026-04-01");
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body.toString()).error.details.map((e: { path: string; rule: string }) => `${e.path} ${e.rule}`).sort()).toEqual(["/format enum", "/to range"]);
    expect((await download("supplier", "format=csv")).status).toBe(403);
  });

  test("calc.inclusiveTerms: an award of exactly 2,000,000 is one of sme.reservedSmall's \"200万元以下\"; a fen more is not", async () => {
    // two projects of Shaoguan, on their own so that the figures above stay as they are (this test runs last)
    const unit = "韶关市测试医院";
    await announce({ projectId: randomUUID(), tenantCode: "440200", stage: "award", data: { method: "inquiry", purchaserName: unit, supplierName: "韶关小微科技有限公司", supplierSme: true, amount: "2000000.00", awardDate: "2026-07-01" } });
    await announce({ projectId: randomUUID(), tenantCode: "440200", stage: "award", data: { method: "inquiry", purchaserName: unit, supplierName: "韶关大型设备集团", amount: "2000000.01", awardDate: "2026-07-02" } });
    const { sme } = (await dash("province", "region=440200")).body;
    expect(sme).toMatchObject({ awards: 2, smeAwards: 1 });
    expect(sme.small).toEqual({ rule: "sme.reservedSmall", atMost: 2000000, awards: 1, smeAwards: 1, share: 100 });
  });
});
