import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import ExcelJS from "exceljs";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

const ROOT = path.resolve(__dirname, "../../..");
const [S1, S2, AGENCY, OTHER_AGENCY, BANK, INSURER] = ["91441300MA5S000011", "91441300MA5S000022", "91441300MA5A000033", "91441300MA5A000044", "91440000MA5B000055", "91440000MA5I000066"];

/**
 * The finance lists (deposits, guarantees, contract financing) on core's list helper: keyset pages
 * that return each row once, the filters and `q`, and their CSV/xlsx exports with the same filters
 * and the same visibility (a supplier its own rows, an institution its own inbox, a regulator its
 * region's, an agency its tenders'). Rows are written straight into the tables: the lists read rows.
 */
describe("finance lists and their exports", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  const t: Record<string, string> = {};
  const TA = randomUUID();
  const knex = () => platform.kernel.db.knex;
  const api = (who: string, p: string, headers: Record<string, string> = {}) => platform.api(p, { token: t[who], headers });
  const download = async (url: string, who: string) => {
    const res = await fetch(platform.baseUrl + url, { headers: { authorization: `Bearer ${t[who]}` }, signal: AbortSignal.timeout(30_000) });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };
  const csvRows = (body: Buffer) => body.toString("utf8").replace(/^\uFEFF/, "").split("\r\n").filter(Boolean);
  /** Every id of a list, page after page by its cursor. */
  const walk = async (who: string, url: string) => {
    const ids: string[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const res = await api(who, `${url}${url.includes("?") ? "&" : "?"}pageSize=4${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      ids.push(...res.body.items.map((r: { id: string }) => r.id));
      cursor = res.body.nextCursor;
    }
    return ids;
  };

  beforeAll(async () => {
    pluginsDir = linkPlugins(["registries", "supervision", "etrading", "finance"], "finance-lists");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms") });
    const tok = (tenantCode: string, roles: string[], unitCode?: string) => platform.token({ tenantCode, roles, unitCode });
    t.city = await tok("441300", ["regulator"]);
    t.S1 = await tok("441300", ["supplier"], S1);
    t.S2 = await tok("441300", ["supplier"], S2);
    t.agency = await tok("441300", ["agency"], AGENCY);
    t.bank = await tok("440000", ["institution"], BANK);
    t.insurer = await tok("440000", ["institution"], INSURER);
    const at = (i: number) => new Date(Date.UTC(2026, 9, 1, 0, i));
    await knex()("finance_institutions").insert([
      { code: BANK, name: "中国建设银行惠州分行", kind: "bank", regions: ["441300"], public_key: "-", private_key: "-", admitted_by: "test", admitted_at: at(0) },
      { code: INSURER, name: "中国人民财产保险股份有限公司广东省分公司", kind: "insurer", regions: ["440000"], public_key: "-", private_key: "-", admitted_by: "test", admitted_at: at(0) },
    ]);
    // deposits: tender TA (Huizhou, AGENCY) has S1's and S2's; S1 has 18 more on tenders of its own, half
    // AGENCY's, half another's, some in Huicheng (below Huizhou); S2 has 2 in Maoming
    const deposit = (i: number, tenderId: string, supplier: string, tenant: string, agency: string, title: string) => ({
      id: randomUUID(), tender_id: tenderId, tenant_code: tenant, title, agency_code: agency, unit: null, supplier_code: supplier, amount: `${10000 + i}.00`, form: "cheque",
      reference: `CHQ-${String(i).padStart(4, "0")}`, status: ["refunded", "confirmed", "declared"][i % 3], declared_at: at(i), confirmed_at: null,
      refund_rule: null, refund_from: null, refund_due: null, refunded_on: i % 3 === 0 ? "2026-10-20" : null, late_interest: null,
    });
    await knex()("finance_deposits").insert([
      deposit(1, TA, S1, "441300", AGENCY, "惠州市城区道路照明设备采购"),
      deposit(2, TA, S2, "441300", AGENCY, "惠州市城区道路照明设备采购"),
      ...Array.from({ length: 18 }, (_, k) => deposit(3 + k, randomUUID(), S1, k % 4 === 0 ? "441302" : "441300", k % 2 === 0 ? AGENCY : OTHER_AGENCY, k % 3 === 0 ? `惠城区学校课桌椅采购第${k}期` : `道路照明设备采购第${k}期`)),
      deposit(30, randomUUID(), S2, "440900", OTHER_AGENCY, "茂名市医疗设备采购"),
      deposit(31, randomUUID(), S2, "440900", OTHER_AGENCY, "茂名市医疗设备采购二期"),
    ]);
    // guarantees: 10 of S1 to the bank (bid and performance), 5 of S2 to the insurer
    await knex()("finance_guarantees").insert(Array.from({ length: 15 }, (_, i) => ({
      id: randomUUID(), purpose: i % 4 === 3 ? "performance" : "bid", tender_id: i % 4 === 3 ? null : randomUUID(), contract_ref: i % 4 === 3 ? randomUUID() : null, tenant_code: "441300",
      title: i < 10 ? `惠州市道路照明设备采购第${i}期` : `惠州市课桌椅采购第${i}期`, beneficiary: "惠州市交通运输局", beneficiary_unit: "441300401",
      supplier_code: i < 10 ? S1 : S2, institution_code: i < 10 ? BANK : INSURER, amount: `${20000 + i}.00`, valid_until: new Date(Date.UTC(2027, 0, 1)),
      status: i % 2 === 0 ? "issued" : "pending", decline_reason: null, verification_code: i % 2 === 0 ? `CODE-${i}` : null, letter: null, signature: null, claim: null,
      created_at: at(i), decided_at: null,
    })));
    // contract financing: 6 of S1 at the bank, 2 of S2 at the insurer
    await knex()("finance_financings").insert(Array.from({ length: 8 }, (_, i) => ({
      id: randomUUID(), project_id: randomUUID(), tenant_code: "441300", supplier_code: i < 6 ? S1 : S2, institution_code: i < 6 ? BANK : INSURER,
      contract: JSON.stringify({ name: i % 2 === 0 ? `路灯维护服务合同${i}` : `办公家具采购合同${i}`, unitName: "惠州市交通运输局", supplierName: i < 6 ? "惠州市绿源照明科技有限公司" : "惠州市明途光电科技有限公司", sme: true, amount: "500000.00", signedOn: "2026-09-01", filedOn: "2026-09-05", paidTotal: null }),
      requested_amount: `${100000 + i}.00`, requested_days: 180, consent_at: at(i), consent_text: "同意", status: i % 2 === 0 ? "approved" : "pending",
      approved_amount: i % 2 === 0 ? `${100000 + i}.00` : null, approved_days: i % 2 === 0 ? 180 : null, due_on: i % 2 === 0 ? "2027-03-01" : null, collection_account: null,
      decline_reason: null, created_at: at(i), decided_at: null, repaid_at: null,
    })));
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  test("deposits: pages by cursor return each once, newest first; each party's list is its own; filters and search apply", async () => {
    const mine = await walk("S1", "/api/finance/deposits");
    const inDb = await knex()("finance_deposits").where({ supplier_code: S1 }).orderBy([{ column: "declared_at", order: "desc" }, { column: "id", order: "desc" }]).pluck("id");
    expect(mine).toEqual(inDb);
    expect(mine).toHaveLength(19);
    const first = await api("S1", "/api/finance/deposits?pageSize=4");
    expect(first.body).toMatchObject({ total: 19, totalIsEstimate: false, page: 1, pageSize: 4 });
    // the city regulator reads Huizhou and Huicheng, not Maoming; the agency its own tenders'
    expect((await api("city", "/api/finance/deposits")).body.total).toBe(20);
    expect((await api("agency", "/api/finance/deposits")).body.total).toBe(11);
    expect((await api("S2", "/api/finance/deposits")).body.total).toBe(3);
    const ta = await api("city", `/api/finance/deposits?tenderId=${TA}`);
    expect(ta.body.items.map((d: { supplierCode: string }) => d.supplierCode).sort()).toEqual([S1, S2].sort());
    const refunded = await api("S1", "/api/finance/deposits?status=refunded&pageSize=100");
    expect(refunded.body.items.every((d: { status: string }) => d.status === "refunded")).toBe(true);
    expect(refunded.body.total).toBe(6);
    const desks = await api("city", `/api/finance/deposits?q=${encodeURIComponent("课桌")}`);
    expect(desks.body.total).toBe(6);
    expect((await api("city", "/api/finance/deposits?q=chq-0002")).body.items.map((d: { reference: string }) => d.reference)).toEqual(["CHQ-0002"]);
  });

  test("deposits: the CSV export has the list's rows with its filters, in Chinese and English; a supplier's has its own only", async () => {
    const zh = await download(`/api/finance/deposits/export?q=${encodeURIComponent("照明")}&status=confirmed`, "city");
    expect(zh.status).toBe(200);
    expect(zh.body.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows = csvRows(zh.body);
    expect(rows[0]).toBe("提交时间,采购项目,区划代码,供应商,金额（元）,形式,票据号,状态,退还起算事由,应退还日期,退还日期,逾期天数,逾期利息（元）");
    const listed = await api("city", `/api/finance/deposits?q=${encodeURIComponent("照明")}&status=confirmed&pageSize=100`);
    expect(listed.body.total).toBeGreaterThan(0);
    expect(rows.slice(1).map((r) => r.split(",")[6])).toEqual(listed.body.items.map((d: { reference: string }) => d.reference));
    expect(rows.slice(1).every((r) => r.includes("照明") && r.includes(",支票,") && r.includes(",已确认,"))).toBe(true);
    const en = csvRows((await download("/api/finance/deposits/export?lang=en&format=csv", "S2")).body);
    expect(en[0]).toBe("Declared,Tender,Division code,Supplier,Amount (CNY),Form,Reference,Status,Refund clock,Refund due,Refunded on,Days late,Interest (CNY)");
    expect(en).toHaveLength(1 + 3);
    expect(en.slice(1).every((r) => r.split(",")[3] === S2)).toBe(true);
  });

  test("deposits: a bad tender id, status, format or cursor is a 400 naming each field", async () => {
    const bad = await api("city", "/api/finance/deposits/export?tenderId=abc&status=lost&format=doc");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/format", "/status", "/tenderId"]);
    const cursor = await api("S1", "/api/finance/deposits?cursor=bm9wZQ", { "accept-language": "en" });
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.details[0].path).toBe("/cursor");
    expect(cursor.body.error.message).not.toMatch(/[\u4e00-\u9fff]/);
  });

  test("guarantees: an institution's inbox by cursor, and its Excel export with the institution's name; a supplier's export has its own only", async () => {
    const inbox = await walk("bank", "/api/finance/guarantees");
    expect(new Set(inbox).size).toBe(10);
    expect(inbox).toEqual(await knex()("finance_guarantees").where({ institution_code: BANK }).orderBy([{ column: "created_at", order: "desc" }, { column: "id", order: "desc" }]).pluck("id"));
    expect((await api("bank", "/api/finance/guarantees?purpose=performance")).body.total).toBe(2);
    expect((await api("bank", "/api/finance/guarantees?status=pending&purpose=bid")).body.total).toBe(3);

    const res = await download("/api/finance/guarantees/export?format=xlsx&status=issued", "insurer");
    expect(res.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.body as unknown as ArrayBuffer);
    const sheet = book.getWorksheet("电子保函")!;
    expect(sheet.getRow(1).getCell(6).value).toBe("金融机构");
    // S2's 5 at the insurer, issued: 10, 12, 14
    expect(sheet.rowCount).toBe(1 + 3);
    const cells = new Set<string>();
    sheet.eachRow((row, n) => {
      if (n > 1) cells.add(`${row.getCell(6).value}|${row.getCell(9).value}`);
    });
    expect([...cells]).toEqual(["中国人民财产保险股份有限公司广东省分公司|已出具"]);

    const own = csvRows((await download(`/api/finance/guarantees/export?lang=en&q=${encodeURIComponent("照明")}`, "S2")).body);
    expect(own[0].split(",").slice(0, 3)).toEqual(["Applied", "Purpose", "Tender (contract)"]);
    expect(own).toHaveLength(1);
    expect(csvRows((await download("/api/finance/guarantees/export", "S1")).body)).toHaveLength(1 + 10);
    const bad = await api("bank", "/api/finance/guarantees?purpose=loan&status=gone&pageSize=0");
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/pageSize", "/purpose", "/status"]);
    expect((await api("city", "/api/finance/guarantees/export")).status).toBe(403);
  });

  test("contract financing: pages, search by the contract, and the export of the institution's applications only", async () => {
    expect(await walk("bank", "/api/finance/financing")).toHaveLength(6);
    const lamps = await api("bank", `/api/finance/financing?q=${encodeURIComponent("路灯")}`);
    expect(lamps.body.total).toBe(3);
    expect(lamps.body.items[0]).toMatchObject({ institutionName: "中国建设银行惠州分行" });
    const file = csvRows((await download(`/api/finance/financing/export?status=pending`, "bank")).body);
    expect(file[0]).toBe("申请时间,合同,采购单位,供应商,合同金额（元）,金融机构,申请金额（元）,申请期限（天）,状态,批准金额（元）,到期日,拒绝理由");
    expect(file).toHaveLength(1 + 3);
    expect(file.slice(1).every((r) => r.includes("办公家具采购合同") && r.includes(",待审核,") && r.includes("惠州市绿源照明科技有限公司"))).toBe(true);
    const theirs = csvRows((await download("/api/finance/financing/export?lang=en", "S2")).body);
    expect(theirs).toHaveLength(1 + 2);
    expect(theirs.some((r) => r.includes("绿源"))).toBe(false);
    expect((await api("S1", "/api/finance/financing/export?status=overdue")).body.error.details[0]).toMatchObject({ path: "/status" });
  });
});
