import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import ExcelJS from "exceljs";
import { usccCheckChar } from "../../../core/forms/formats";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

const ROOT = path.resolve(__dirname, "../../..");
const code = (n: number) => {
  const first17 = `91441300MA${String(n).padStart(7, "0")}`;
  return first17 + usccCheckChar(first17);
};

/**
 * The public credit page's lists (credit.blacklists: what the law publishes) on core's list helper:
 * keyset pages of the published lists' current entries and of the published penalties, `q` by name
 * or credit code, and their exports with the same filters. What is not published (the enterprise
 * registrations, a superseded entry, an unpublished or overturned penalty) is in no page and no file.
 * Rows are written straight into the tables: the lists read rows, imports are credit.test.ts's.
 */
describe("public credit lists and their exports", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  const knex = () => platform.kernel.db.knex;
  const api = (p: string, headers: Record<string, string> = {}) => platform.api(p, { headers });
  const download = async (url: string) => {
    const res = await fetch(platform.baseUrl + url, { signal: AbortSignal.timeout(30_000) });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };
  const csvRows = (body: Buffer) => body.toString("utf8").replace(/^\uFEFF/, "").split("\r\n").filter(Boolean);

  beforeAll(async () => {
    pluginsDir = linkPlugins(["registries", "supervision", "etrading", "credit"], "credit-public");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms") });
    const entry = (list: string, n: number, name: string, listedOn: string | null, validTo: number | null = null) => ({
      list, code: code(n), name, reason: "拒不履行生效法律文书确定的义务", authority: "惠州市中级人民法院", case_number: `(2026)粤13执${n}号`, listed_on: listedOn,
      until: null, legal_representative: null, controller: null, row_hash: `h${n}`, valid_from: 1, valid_to: validTo,
    });
    await knex()("credit_list_entries").insert([
      // 20 dishonest debtors, three listed on the same day each (ties the keyset must not skip), two undated
      ...Array.from({ length: 20 }, (_, i) => entry("dishonest-debtors", 100 + i, i % 2 ? `惠州市第${i}照明工程有限公司` : `惠州市第${i}建筑劳务有限公司`, i >= 18 ? null : `2026-0${1 + Math.floor(i / 3)}-15`)),
      { ...entry("procurement-violations", 200, "惠州市违法采购有限公司", "2026-01-01"), until: "2028-12-31", reason: "提供虚假材料谋取中标" },
      { ...entry("tax-violations", 201, "惠州市偷税照明有限公司", "2026-02-01"), reason: "虚开增值税专用发票" },
      // no longer listed (a later version removed it), and a registration: neither is published
      entry("dishonest-debtors", 300, "惠州市已移出照明有限公司", "2025-12-01", 2),
      { ...entry("enterprise-registrations", 301, "惠州市登记照明有限公司", null), reason: null, legal_representative: "张三" },
    ]);
    const fact = (n: number, kind: string, published: boolean, appeal: string, occurredOn: string, title: string) => ({
      id: randomUUID(), subject_code: code(n), subject_kind: "supplier", subject_name: `惠州市第${n}供应商有限公司`, kind, rule: null, title_zh: title, title_en: `Penalty ${n}`,
      source: "regulator", reference: `惠财采罚〔2026〕${n}号`, occurred_on: occurredOn, starts_on: occurredOn, ends_on: null, bars: true, appeal_state: appeal, published,
      tenant_code: "441300", event_id: null, created_by: "test", created_at: new Date(),
    });
    await knex()("credit_facts").insert([
      ...Array.from({ length: 12 }, (_, i) => fact(400 + i, "penalty", true, "none", `2026-0${1 + (i % 9)}-0${1 + (i % 3)}`, i % 3 ? "罚款并列入不良行为记录名单" : "禁止参加政府采购活动一年")),
      fact(420, "penalty", false, "none", "2026-05-05", "未公开的处罚"),
      fact(421, "penalty", true, "overturned", "2026-05-06", "复议撤销的处罚"),
      fact(422, "late-deposit-refund", true, "none", "2026-05-07", "保证金逾期退还"),
    ]);
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  test("entries by cursor: each current published entry once, the latest listing first and the undated last; nothing unpublished", async () => {
    const seen: Array<{ code: string; listedOn: string | null }> = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const res = await api(`/api/credit/public/entries?pageSize=7${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ total: 22, totalIsEstimate: false });
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    }
    expect(new Set(seen.map((e) => e.code)).size).toBe(22);
    expect(seen.map((e) => e.code)).not.toEqual(expect.arrayContaining([code(300)]));
    expect(seen.map((e) => e.code)).not.toContain(code(301));
    const days = seen.map((e) => e.listedOn ?? "");
    expect(days.slice(0, 20)).toEqual([...days.slice(0, 20)].sort().reverse());
    expect(days.slice(20)).toEqual(["", ""]);
    // page 3 by number is the third page by cursor
    const third = await api("/api/credit/public/entries?pageSize=7&page=3");
    expect(third.body.items.map((e: { code: string }) => e.code)).toEqual(seen.slice(14, 21).map((e) => e.code));
  });

  test("q finds by any part of the name or the credit code; list narrows; /public keeps its shape (credit.blacklists)", async () => {
    const lamps = await api(`/api/credit/public/entries?q=${encodeURIComponent("照明")}`);
    expect(lamps.body.total).toBe(11);
    expect(lamps.body.items.every((e: { name: string }) => e.name.includes("照明"))).toBe(true);
    expect((await api(`/api/credit/public/entries?q=${code(105).toLowerCase()}`)).body.items.map((e: { code: string }) => e.code)).toEqual([code(105)]);
    expect((await api(`/api/credit/public/entries?list=tax-violations&q=${encodeURIComponent("照明")}`)).body.items.map((e: { code: string }) => e.code)).toEqual([code(201)]);
    const all = await api(`/api/credit/public?q=${encodeURIComponent("违法采购")}`);
    expect(all.body.entries).toEqual([expect.objectContaining({ code: code(200), list: "procurement-violations", until: "2028-12-31" })]);
    expect(all.body.penalties).toEqual([]);
    const onlyPenalties = await api("/api/credit/public?kind=penalty");
    expect(onlyPenalties.body.entries).toEqual([]);
    expect(onlyPenalties.body.penalties).toHaveLength(12);
  });

  test("the entries export holds the list's rows with its search, in Chinese and English, and nothing unpublished", async () => {
    const zh = await download(`/api/credit/public/entries/export?q=${encodeURIComponent("照明")}`);
    expect(zh.status).toBe(200);
    expect(zh.body.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows = csvRows(zh.body);
    expect(rows[0]).toBe("名称,统一社会信用代码,名单,列入事由,认定机关,文书编号,列入日期,截止日期");
    const listed = await api(`/api/credit/public/entries?q=${encodeURIComponent("照明")}&pageSize=100`);
    expect(rows.slice(1).map((r) => r.split(",")[1])).toEqual(listed.body.items.map((e: { code: string }) => e.code));
    expect(rows).toHaveLength(1 + 11);
    expect(zh.body.toString("utf8")).not.toContain(code(300));
    expect(zh.body.toString("utf8")).not.toContain(code(301));
    const en = csvRows((await download("/api/credit/public/entries/export?lang=en&list=procurement-violations")).body);
    expect(en).toEqual(["Name,Credit code,List,Reason,Authority,Case number,Listed on,Until", `惠州市违法采购有限公司,${code(200)},Serious violations in government procurement,提供虚假材料谋取中标,惠州市中级人民法院,(2026)粤13执200号,2026-01-01,2028-12-31`]);
  });

  test("the penalties page and its Excel export: published and not overturned only", async () => {
    const pages: string[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const res = await api(`/api/credit/public/penalties?pageSize=5${cursor ? `&cursor=${cursor}` : ""}`);
      pages.push(...res.body.items.map((p: { id: string }) => p.id));
      cursor = res.body.nextCursor;
    }
    expect(new Set(pages).size).toBe(12);
    const res = await download(`/api/credit/public/penalties/export?format=xlsx&q=${encodeURIComponent("禁止参加")}`);
    expect(res.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.body as unknown as ArrayBuffer);
    const sheet = book.getWorksheet("行政处罚")!;
    expect(sheet.getRow(1).getCell(3).value).toBe("处罚");
    expect(sheet.rowCount).toBe(1 + 4);
    const titles = new Set<string>();
    sheet.eachRow((row, n) => {
      if (n > 1) titles.add(String(row.getCell(3).value));
    });
    expect([...titles]).toEqual(["禁止参加政府采购活动一年"]);
    const all = (await download("/api/credit/public/penalties/export")).body.toString("utf8");
    expect(all).not.toMatch(/未公开的处罚|复议撤销的处罚|保证金逾期退还/);
  });

  test("a bad list, kind, format, page size or cursor is a 400 naming each field", async () => {
    const bad = await api("/api/credit/public/entries/export?list=enterprise-registrations&format=pdf&pageSize=9999");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/format", "/list", "/pageSize"]);
    const kind = await api("/api/credit/public?kind=registrations", { "accept-language": "en" });
    expect(kind.status).toBe(400);
    expect(kind.body.error.details[0]).toMatchObject({ path: "/kind" });
    expect(kind.body.error.message).not.toMatch(/[\u4e00-\u9fff]/);
    const entriesCursor = (await api("/api/credit/public/entries?pageSize=2")).body.nextCursor;
    expect((await api(`/api/credit/public/penalties?cursor=${entriesCursor}`)).status).toBe(400);
    expect((await api(`/api/credit/public/entries?q=${"长".repeat(101)}`)).body.error.details[0]).toMatchObject({ path: "/q" });
  });
});
