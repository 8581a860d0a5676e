import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import ExcelJS from "exceljs";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";
import { MALL_PLUGINS } from "./support";

/**
 * The e-mall's orders list on core's list helper: keyset pages that return every order once, `q`
 * over the parties' and the products' names, and the export with the list's filters and the list's
 * visibility (a supplier its own orders, a purchaser its unit's, a regulator its region's). Orders
 * are written straight into the table: the list reads rows, not how they were made.
 */
describe("e-mall orders: list, pages, export", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  const tokens: Record<string, string> = {};

  const SUPPLIER_A = "91441300MA4UA0001X";
  const SUPPLIER_B = "91441300MA4UB0002Y";
  const download = async (url: string, token: string) => {
    const res = await fetch(platform.baseUrl + url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };
  const csvRows = (body: Buffer) => body.toString("utf8").replace(/^\uFEFF/, "").split("\r\n").filter(Boolean);

  beforeAll(async () => {
    pluginsDir = linkPlugins(MALL_PLUGINS, "emall-list");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.resolve(__dirname, "../../../forms") });
    tokens.supplierA = await platform.token({ roles: ["supplier"], tenantCode: "441300", unitCode: SUPPLIER_A });
    tokens.supplierB = await platform.token({ roles: ["supplier"], tenantCode: "441300", unitCode: SUPPLIER_B });
    tokens.buyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
    tokens.regulator = await platform.token({ roles: ["regulator"], tenantCode: "441300" });
    tokens.expert = await platform.token({ roles: ["expert"], tenantCode: "441300" });
    // 30 orders: 25 of supplier A (every third one paper, the rest chairs), 5 of B, the last 2 of them for Guangzhou
    const rows = Array.from({ length: 30 }, (_, i) => {
      const product = i % 3 === 0 ? "A4复印纸" : "人体工学办公椅";
      const huizhou = i < 28;
      return {
        id: crypto.randomUUID(),
        tenant_code: huizhou ? "441300" : "440100",
        unit_code: huizhou ? "441300401" : "440100401",
        unit_name: huizhou ? "惠州市交通运输局" : "广州市教育局",
        project_id: crypto.randomUUID(),
        plan_line: 0,
        supplier_code: i < 25 ? SUPPLIER_A : SUPPLIER_B,
        supplier_name: i < 25 ? "惠州市恒信办公设备有限公司" : "惠州市绿源照明科技有限公司",
        total: `${1000 + i}.00`,
        lines: JSON.stringify([{ offerId: null, productId: crypto.randomUUID(), productName: product, brand: "得力", model: "X", quantity: 2, unitPrice: `${(1000 + i) / 2}`, amount: `${1000 + i}.00` }]),
        status: i % 5 === 0 ? "paid" : "placed",
        kind: "order",
        confirm_by: new Date(Date.UTC(2026, 10, 1, 0, i)),
        paid_on: i % 5 === 0 ? "2026-11-20" : null,
        // two orders at the same instant: the id breaks the tie, and the keyset must not skip either
        created_at: new Date(Date.UTC(2026, 9, 1, 0, i === 7 ? 6 : i)),
        updated_at: new Date(Date.UTC(2026, 9, 1, 0, i)),
      };
    });
    await platform.kernel.db.knex("emall_orders").insert(rows);
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  test("paging by cursor returns each of a supplier's orders once, newest first, with the total", async () => {
    const seen: string[] = [];
    let cursor: string | null = "";
    let pages = 0;
    while (cursor !== null) {
      const res = await platform.api(`/api/emall/orders?pageSize=7${cursor ? `&cursor=${cursor}` : ""}`, { token: tokens.supplierA });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ total: 25, totalIsEstimate: false, pageSize: 7 });
      seen.push(...res.body.items.map((o: { id: string }) => o.id));
      cursor = res.body.nextCursor;
      pages++;
    }
    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(25);
    const db = await platform.kernel.db.knex("emall_orders").where({ supplier_code: SUPPLIER_A }).orderBy([{ column: "created_at", order: "desc" }, { column: "id", order: "desc" }]).pluck("id");
    expect(seen).toEqual(db);
    // page 2 by number is the second page by cursor
    const second = await platform.api("/api/emall/orders?pageSize=7&page=2", { token: tokens.supplierA });
    expect(second.body.items.map((o: { id: string }) => o.id)).toEqual(db.slice(7, 14));
  });

  test("the filters and the search apply; each party sees its own orders only", async () => {
    const paid = await platform.api("/api/emall/orders?status=paid&pageSize=100", { token: tokens.supplierA });
    expect(paid.body.items).toHaveLength(5);
    const paper = await platform.api(`/api/emall/orders?q=${encodeURIComponent("复印")}&pageSize=100`, { token: tokens.buyer });
    expect(paper.body.total).toBe(10);
    expect(paper.body.items.every((o: { lines: Array<{ productName: string }> }) => o.lines[0].productName === "A4复印纸")).toBe(true);
    const bySupplier = await platform.api(`/api/emall/orders?q=${encodeURIComponent("绿源")}`, { token: tokens.regulator });
    expect(bySupplier.body.total).toBe(3);
    expect((await platform.api("/api/emall/orders", { token: tokens.supplierB })).body.total).toBe(5);
    // the regulator's region: not Guangzhou's two
    expect((await platform.api("/api/emall/orders", { token: tokens.regulator })).body.total).toBe(28);
    expect((await platform.api("/api/emall/orders", { token: tokens.expert })).status).toBe(403);
  });

  test("the CSV export holds the list's rows with its filters, in Chinese or English, and a supplier's holds its own only", async () => {
    const zh = await download(`/api/emall/orders/export?status=placed&q=${encodeURIComponent("办公椅")}`, tokens.supplierA);
    expect(zh.status).toBe(200);
    expect(zh.headers.get("content-type")).toContain("text/csv");
    expect(zh.body.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows = csvRows(zh.body);
    expect(rows[0]).toBe("下单时间,方式,采购单位,供应商,商品,金额（元）,状态,确认日期,验收日期,付款期限,付款日期");
    const listed = await platform.api(`/api/emall/orders?status=placed&q=${encodeURIComponent("办公椅")}&pageSize=100`, { token: tokens.supplierA });
    expect(rows).toHaveLength(1 + listed.body.total);
    expect(listed.body.total).toBe(13);
    expect(zh.headers.get("x-export-rows")).toBe("13");
    expect(rows.slice(1).every((r) => r.includes(",直接订购,惠州市交通运输局,惠州市恒信办公设备有限公司,人体工学办公椅 × 2,") && r.includes(",待确认,"))).toBe(true);
    expect(rows.slice(1).map((r) => r.split(",")[0])).toEqual(listed.body.items.map((o: { createdAt: string }) => o.createdAt));

    const en = csvRows((await download("/api/emall/orders/export?format=csv&lang=en", tokens.supplierB)).body);
    expect(en[0]).toBe("Placed,Kind,Purchasing unit,Supplier,Products,Total (CNY),Status,Confirmed on,Accepted on,Payment due,Paid on");
    expect(en).toHaveLength(1 + 5);
    expect(en.slice(1).every((r) => r.includes("惠州市绿源照明科技有限公司"))).toBe(true);
    expect(en.some((r) => r.includes("恒信"))).toBe(false);
  });

  test("the Excel export opens and has the regulator's region's rows", async () => {
    const res = await download("/api/emall/orders/export?format=xlsx&status=paid", tokens.regulator);
    expect(res.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.body as unknown as ArrayBuffer);
    const sheet = book.getWorksheet("电子卖场订单")!;
    expect(sheet.getRow(1).getCell(1).value).toBe("下单时间");
    // paid: every fifth of the first 28 (0, 5, 10, 15, 20, 25)
    expect(sheet.rowCount).toBe(1 + 6);
    const statuses = new Set<string>();
    sheet.eachRow((row, n) => {
      if (n > 1) statuses.add(String(row.getCell(7).value));
    });
    expect([...statuses]).toEqual(["已付款"]);
  });

  test("a bad format, status, page size or cursor is a 400 naming each field, in the caller's language", async () => {
    const bad = await platform.api("/api/emall/orders/export?format=pdf&status=done", { token: tokens.buyer });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/format", "/status"]);
    const list = await platform.api("/api/emall/orders?pageSize=500&cursor=nonsense", { token: tokens.buyer, headers: { "accept-language": "en" } });
    expect(list.status).toBe(400);
    expect(list.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/cursor", "/pageSize"]);
    expect(bad.body.error.message).toMatch(/[\u4e00-\u9fff]/);
    expect(list.body.error.message).not.toMatch(/[\u4e00-\u9fff]/);
    expect(list.body.error.details.find((d: { path: string }) => d.path === "/cursor").message.en).toMatch(/cursor/);
    // a cursor of another list is refused too
    const projects = Buffer.from(JSON.stringify(["supervision.projects", "2026-10-01T00:00:00.000000Z", crypto.randomUUID()])).toString("base64url");
    expect((await platform.api(`/api/emall/orders?cursor=${projects}`, { token: tokens.buyer })).status).toBe(400);
    expect((await fetch(`${platform.baseUrl}/api/emall/orders/export`)).status).toBe(401);
  });

  test("a project's contract records export: every contract the page shows, a supplier its own, a stranger none", async () => {
    const knex = platform.kernel.db.knex;
    const projectId = crypto.randomUUID();
    await knex("supervision_projects").insert({
      id: projectId, tenant_code: "441300", owner_unit: "441300401", unit_name: "惠州市交通运输局", name: "惠州市交通运输局办公用品采购", stage: "execution", budget: "300000.00",
      intention_id: crypto.randomUUID(), supplier_code: SUPPLIER_A, created_at: new Date(), updated_at: new Date(),
    });
    const order = (n: number, supplier: string, status: string) => ({
      id: crypto.randomUUID(), tenant_code: "441300", unit_code: "441300401", unit_name: "惠州市交通运输局", project_id: projectId, plan_line: n % 2, supplier_code: supplier,
      supplier_name: supplier === SUPPLIER_A ? "惠州市恒信办公设备有限公司" : "惠州市绿源照明科技有限公司", total: `${2000 + n}.00`, lines: "[]", status, kind: n === 3 ? "auction" : "order",
      confirm_by: new Date(Date.UTC(2026, 10, 2)), confirmed_on: status === "placed" ? null : "2026-11-02", accepted_on: status === "accepted" || status === "paid" ? "2026-11-05" : null,
      payment_due: status === "accepted" || status === "paid" ? "2026-12-05" : null, paid_on: status === "paid" ? "2026-12-20" : null, paid_late: status === "paid",
      created_at: new Date(Date.UTC(2026, 10, 1, 0, n)), updated_at: new Date(Date.UTC(2026, 10, 1, 0, n)),
    });
    await knex("emall_orders").insert([order(1, SUPPLIER_A, "confirmed"), order(2, SUPPLIER_A, "accepted"), order(3, SUPPLIER_A, "paid"), order(4, SUPPLIER_B, "confirmed"), order(5, SUPPLIER_A, "placed")]);
    const url = `/api/emall/projects/${projectId}/contracts/export`;
    const buyer = csvRows((await download(url, tokens.buyer)).body);
    expect(buyer[0]).toBe("方式,计划明细行,供应商,统一社会信用代码,金额（元）,签订日期,状态,验收日期,付款期限,付款日期,逾期付款");
    expect(buyer.slice(1)).toEqual([
      `直接订购,2,惠州市恒信办公设备有限公司,${SUPPLIER_A},2001.00,2026-11-02,已签订,,,,`,
      `直接订购,1,惠州市恒信办公设备有限公司,${SUPPLIER_A},2002.00,2026-11-02,已验收,2026-11-05,2026-12-05,,`,
      `网上竞价,2,惠州市恒信办公设备有限公司,${SUPPLIER_A},2003.00,2026-11-02,已付款,2026-11-05,2026-12-05,2026-12-20,是`,
      `直接订购,1,惠州市绿源照明科技有限公司,${SUPPLIER_B},2004.00,2026-11-02,已签订,,,,`,
    ]);
    // the same records the project's page shows
    const page = await platform.api(`/api/supervision/projects/${projectId}`, { token: tokens.buyer });
    expect(page.body.contractRecords.map((r: { amount: string }) => r.amount)).toEqual(["2001.00", "2002.00", "2003.00", "2004.00"]);
    const en = csvRows((await download(`${url}?lang=en&status=paid`, tokens.regulator)).body);
    expect(en).toEqual(["Kind,Plan line,Supplier,Credit code,Amount (CNY),Signed on,Status,Accepted on,Payment due,Paid on,Paid late", `Reverse auction,2,惠州市恒信办公设备有限公司,${SUPPLIER_A},2003.00,2026-11-02,Paid,2026-11-05,2026-12-05,2026-12-20,yes`]);
    // the project's supplier exports its own contracts; another supplier cannot read the project at all
    const own = await download(`${url}?format=xlsx`, tokens.supplierA);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(own.body as unknown as ArrayBuffer);
    const sheet = book.getWorksheet("合同记录")!;
    expect(sheet.rowCount).toBe(1 + 3);
    expect(sheet.getColumn(4).values.slice(2)).toEqual([SUPPLIER_A, SUPPLIER_A, SUPPLIER_A]);
    expect((await platform.api(url, { token: tokens.supplierB })).status).toBe(404);
    const bad = await platform.api(`${url}?status=placed&format=doc`, { token: tokens.buyer });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/format", "/status"]);
  });
});
