import crypto from "node:crypto";
import fs from "node:fs";
import ExcelJS from "exceljs";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The e-trading tenders list, the evaluations list and the challenges and complaints lists on core's
 * list helper: keyset pages that hold every row once, `q` by substring, filters checked (400 in the
 * envelope), and each list's export (CSV with its BOM, Excel) holding what the list shows the caller
 * and nothing of another party's. Rows are written straight into the tables: the lists read them.
 */
describe("procurement lists and their exports", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  const tokens: Record<string, string> = {};
  const HZ = "441300";
  const MM = "440900";
  const BUYER = "441300401";
  const OTHER_BUYER = "441300402";
  const AGENCY = "91441300MA4X0AGE01";
  const SUPPLIER = "91441300MA4X0SUP01";
  const OTHER_SUPPLIER = "91441300MA4X0SUP02";
  const TOPICS = ["道路照明采购", "医疗设备采购", "课桌椅采购"];

  const download = async (url: string, who: string, lang?: string) => {
    const headers: Record<string, string> = { authorization: `Bearer ${tokens[who]}` };
    if (lang) headers["accept-language"] = lang;
    const res = await fetch(platform.baseUrl + url, { headers, signal: AbortSignal.timeout(30_000) });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };
  /** the CSV's lines (no field here holds a comma or a line break) */
  const csvLines = (body: Buffer) => {
    const text = body.toString("utf8");
    expect(text.startsWith("\uFEFF")).toBe(true);
    return text.slice(1).split("\r\n").filter(Boolean);
  };
  const api = (url: string, who: string, lang?: string) => platform.api(url, { token: tokens[who], ...(lang ? { headers: { "accept-language": lang } } : {}) });
  /** every page by cursor: each item's id, in order */
  const walk = async (url: string, who: string) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await api(`${url}${url.includes("?") ? "&" : "?"}pageSize=7${cursor ? `&cursor=${cursor}` : ""}`, who);
      expect(r.status).toBe(200);
      ids.push(...(r.body as Any).items.map((x: Any) => x.id));
      cursor = (r.body as Any).nextCursor;
      pages++;
    } while (cursor && pages < 50);
    return { ids, pages };
  };
  const sheetOf = async (body: Buffer, name: string) => {
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(body as unknown as ArrayBuffer);
    const sheet = book.getWorksheet(name)!;
    const rows: unknown[][] = [];
    sheet.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    return rows;
  };

  const tenders: Any[] = [];
  const evaluations: Any[] = [];
  let expertId: string;
  const challenges: Any[] = [];
  const complaints: Any[] = [];

  beforeAll(async () => {
    pluginsDir = linkPlugins(["registries", "supervision", "etrading", "experts", "evaluation", "complaints"], "lists-plugins");
    platform = await startTestPlatform({ pluginsDir });
    const users: Record<string, { roles: string[]; tenantCode: string; unitCode?: string }> = {
      regulator: { roles: ["regulator"], tenantCode: HZ },
      maomingRegulator: { roles: ["regulator"], tenantCode: MM },
      buyer: { roles: ["purchaser"], tenantCode: HZ, unitCode: BUYER },
      otherBuyer: { roles: ["purchaser"], tenantCode: HZ, unitCode: OTHER_BUYER },
      agency: { roles: ["agency"], tenantCode: HZ, unitCode: AGENCY },
      supplier: { roles: ["supplier"], tenantCode: HZ, unitCode: SUPPLIER },
      otherSupplier: { roles: ["supplier"], tenantCode: HZ, unitCode: OTHER_SUPPLIER },
      expert: { roles: ["expert"], tenantCode: HZ, username: "lists-expert" } as never,
    };
    for (const [who, u] of Object.entries(users)) tokens[who] = await platform.token(u);
    const db = platform.kernel.db.knex;
    expertId = (await db("core_accounts").where({ username: "lists-expert" }).first()).id;
    // 24 Huizhou tenders (8 per topic; every third the other buyer's; the buyer's first half through the agency), 6 in Maoming;
    // statuses: published open tenders, drafts, invited tenders (the supplier invited to some), opened ones
    for (let i = 0; i < 30; i++) {
      const huizhou = i < 24;
      const status = i % 6 === 1 ? "draft" : i % 6 === 3 ? "opened" : "published";
      const invited = i % 6 === 4;
      const unit = !huizhou ? "440900101" : i % 3 === 2 ? OTHER_BUYER : BUYER;
      tenders.push({
        id: crypto.randomUUID(), instance_id: crypto.randomUUID(), tenant_code: huizhou ? HZ : MM, unit,
        unit_name: huizhou ? (unit === BUYER ? "惠州市交通运输局" : "惠州市人民医院") : "茂名市教育局",
        agency_code: huizhou && unit === BUYER && i < 12 ? AGENCY : null,
        method: invited ? "invited-tender" : "public-tender",
        title: `${TOPICS[i % 3]}第${i + 1}期`, max_price: "100000.00",
        published_at: status === "draft" ? null : new Date(Date.UTC(2026, 2, 1)),
        // deadlines out of insertion order, two sharing one instant (the id orders them)
        bid_deadline: new Date(Date.UTC(2026, 3, 1 + ((i * 7) % 30), 1, i === 5 ? 0 : i % 2)),
        status,
        config: JSON.stringify({ invitation: invited ? "draw" : "notice", agencyName: null }),
        created_at: new Date(Date.UTC(2026, 2, 1)), updated_at: new Date(Date.UTC(2026, 2, 1)),
      });
      tenders[i].opening_at = tenders[i].bid_deadline;
    }
    tenders[11].bid_deadline = tenders[11].opening_at = tenders[5].bid_deadline;
    await db("etrading_tenders").insert(tenders);
    // the supplier was invited to the Huizhou invited tenders 4 and 10; registered for open tender 0
    await db("etrading_registrations").insert([
      { tender_id: tenders[4].id, supplier_code: SUPPLIER, supplier_name: "惠州市绿源照明科技有限公司", invited: true },
      { tender_id: tenders[10].id, supplier_code: SUPPLIER, supplier_name: "惠州市绿源照明科技有限公司", invited: true, registered_at: new Date() },
      { tender_id: tenders[0].id, supplier_code: SUPPLIER, supplier_name: "惠州市绿源照明科技有限公司", registered_at: new Date() },
      { tender_id: tenders[16].id, supplier_code: OTHER_SUPPLIER, supplier_name: "惠州市明途光电科技有限公司", invited: true },
    ]);
    // 12 Huizhou evaluations (the buyer's even ones, the first four through the agency; the expert on every third), 3 in Maoming
    const STATUSES = ["qualification", "scoring", "signing", "signed", "awarded"];
    for (let i = 0; i < 15; i++) {
      const huizhou = i < 12;
      const unit = !huizhou ? "440900101" : i % 2 === 0 ? BUYER : OTHER_BUYER;
      evaluations.push({
        id: crypto.randomUUID(), tender_id: tenders[i].id, tender_instance_id: tenders[i].instance_id, tenant_code: huizhou ? HZ : MM,
        unit_code: unit, agency_code: huizhou && i < 4 && unit === BUYER ? AGENCY : null, title: `${TOPICS[i % 3]}评标第${i + 1}号`,
        unit_name: huizhou ? (unit === BUYER ? "惠州市交通运输局" : "惠州市人民医院") : "茂名市教育局",
        method: i % 2 ? "comprehensive" : "lowest-price", category: "goods", criteria: "[]", members: i % 3 === 0 ? [expertId] : [], bids: "[]",
        status: STATUSES[i % 5], confirm_by: i % 5 === 4 ? "2026-04-20" : null,
        // two started at the same instant: the id orders them
        created_at: new Date(Date.UTC(2026, 3, 1, 0, i === 7 ? 6 : i)), updated_at: new Date(Date.UTC(2026, 3, 1)),
      });
    }
    await db("evaluation_evaluations").insert(evaluations);
    // 10 Huizhou challenges (three on the buyer's tender 0, from both suppliers), 2 in Maoming; a complaint of every other one
    const ON = [0, 0, 0, 2, 3, 4, 5, 6, 8, 9, 24, 25];
    ON.forEach((ti, i) => {
      const t = tenders[ti];
      challenges.push({
        id: crypto.randomUUID(), tenant_code: t.tenant_code, tender_id: t.id, tender_title: t.title, supplier_code: i % 2 === 0 ? SUPPLIER : OTHER_SUPPLIER,
        target: ["documents", "process", "result"][i % 3], known_on: "2026-04-01", window_end: "2026-04-10", reply_due: "2026-04-13", affects_result: true,
        status: i % 3 === 0 ? "replied" : "awaiting-reply", replied_at: i % 3 === 0 ? new Date(Date.UTC(2026, 3, 3)) : null,
        filed_at: new Date(Date.UTC(2026, 3, 2, 0, i === 5 ? 4 : i)),
      });
    });
    await db("complaints_challenges").insert(challenges);
    challenges.filter((_, i) => i % 2 === 0).forEach((c, k) => {
      const status = ["intake", "accepted", "decided"][k % 3];
      complaints.push({
        id: crypto.randomUUID(), challenge_id: c.id, tenant_code: c.tenant_code, tender_id: c.tender_id, supplier_code: c.supplier_code, matters: "[1]", statement: "评分标准指向特定品牌",
        filed_at: new Date(Date.UTC(2026, 3, 10, 0, k)), status, intake_due: status === "intake" ? "2026-04-17" : null, decision_due: status === "accepted" ? "2026-05-22" : null, respondent_due: status === "accepted" ? "2026-04-17" : null,
        outcome: status === "decided" ? "founded" : null, decided_at: status === "decided" ? new Date(Date.UTC(2026, 4, 1)) : null,
      });
    });
    await db("complaints_complaints").insert(complaints);
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  const byDeadline = (rows: Any[]) => [...rows].sort((a, b) => a.bid_deadline - b.bid_deadline || (a.id < b.id ? -1 : 1)).map((r) => r.id);
  const hz = () => tenders.filter((t) => t.tenant_code === HZ);
  /** what a supplier may see: published open tenders anywhere, and those it was invited to or registered for (never a draft) */
  const supplierSees = (code: string, regs: Record<string, string[]>) => tenders.filter((t) => t.status !== "draft" && ((JSON.parse(t.config).invitation === "notice" && t.status === "published") || regs[code]?.includes(t.id)));

  describe("GET /api/etrading/tenders", () => {
    test("paging by cursor returns each of the region's tenders once, deadline first; the total is exact; page numbers still serve the web's pager", async () => {
      const { ids, pages } = await walk("/api/etrading/tenders", "regulator");
      expect(ids).toEqual(byDeadline(hz()));
      expect(pages).toBe(4);
      const first = (await api("/api/etrading/tenders?pageSize=10&page=3", "regulator")).body as Any;
      expect(first).toMatchObject({ total: 24, totalIsEstimate: false, page: 3, pageSize: 10, nextCursor: null });
      expect(first.items.map((x: Any) => x.id)).toEqual(byDeadline(hz()).slice(20));
      expect(typeof first.serverTime).toBe("string");
      // Maoming's regulator sees only Maoming's
      expect((await walk("/api/etrading/tenders", "maomingRegulator")).ids).toEqual(byDeadline(tenders.slice(24)));
    });

    test("a supplier sees the published open tenders and the ones it was invited to, never a draft, with mine=1 too; registered and invited flags are its own", async () => {
      const regs = { [SUPPLIER]: [tenders[4].id, tenders[10].id, tenders[0].id] };
      const expected = byDeadline(supplierSees(SUPPLIER, regs));
      expect((await walk("/api/etrading/tenders", "supplier")).ids).toEqual(expected);
      expect((await walk("/api/etrading/tenders?mine=1", "supplier")).ids).toEqual(expected);
      const items = ((await api("/api/etrading/tenders", "supplier")).body as Any).items as Any[];
      expect(items.find((x) => x.id === tenders[10].id)).toMatchObject({ registered: true, invited: true });
      expect(items.find((x) => x.id === tenders[4].id)).toMatchObject({ registered: false, invited: true });
      expect(items.some((x) => x.id === tenders[16].id)).toBe(false);
    });

    test("q finds any substring of the title or the purchaser (2-character Chinese words too); status and method filter; a purchaser and an agency see their own", async () => {
      const medical = ((await api(`/api/etrading/tenders?q=${encodeURIComponent("医疗")}`, "regulator")).body as Any).items.map((x: Any) => x.title);
      expect(medical).toHaveLength(8);
      expect(medical.every((t: string) => t.startsWith("医疗设备采购"))).toBe(true);
      expect(((await api(`/api/etrading/tenders?q=${encodeURIComponent("人民医院")}`, "regulator")).body as Any).total).toBe(8);
      expect(((await api(`/api/etrading/tenders?q=${encodeURIComponent("第1期")}`, "regulator")).body as Any).total).toBe(1);
      const opened = ((await api("/api/etrading/tenders?status=opened&method=public-tender", "regulator")).body as Any).items as Any[];
      expect(opened.map((x) => x.id).sort()).toEqual(hz().filter((t) => t.status === "opened").map((t) => t.id).sort());
      expect(((await api("/api/etrading/tenders?mine=1", "buyer")).body as Any).items.map((x: Any) => x.id)).toEqual(byDeadline(hz().filter((t) => t.unit === BUYER)));
      expect(((await api("/api/etrading/tenders", "agency")).body as Any).items.map((x: Any) => x.id)).toEqual(byDeadline(hz().filter((t) => t.agency_code === AGENCY)));
    });

    test("bad filters are 400 in the envelope, each at its field, in zh-CN and en", async () => {
      const bad = await api("/api/etrading/tenders?status=closed&method=auction&mine=2&pageSize=500&cursor=xyz", "regulator");
      expect(bad.status).toBe(400);
      expect((bad.body as Any).error.code).toBe("VALIDATION_FAILED");
      expect((bad.body as Any).error.details.map((d: Any) => d.path).sort()).toEqual(["/cursor", "/method", "/mine", "/pageSize", "/status"]);
      const status = (bad.body as Any).error.details.find((d: Any) => d.path === "/status");
      expect(status.message["zh-CN"]).toMatch(/^应为 draft、published/);
      expect(status.message.en).toMatch(/^must be one of draft, published/);
      const zh = await api("/api/etrading/tenders?status=closed", "regulator");
      const en = await api("/api/etrading/tenders?status=closed", "regulator", "en");
      expect((zh.body as Any).error.message).toMatch(/[\u4e00-\u9fff]/);
      expect((en.body as Any).error.message).not.toMatch(/[\u4e00-\u9fff]/);
      // a cursor of another list is refused
      const projects = await api("/api/etrading/tenders?cursor=" + Buffer.from(JSON.stringify(["supervision.projects", "2026-01-01T00:00:00.000000Z", crypto.randomUUID()])).toString("base64url"), "regulator");
      expect(projects.status).toBe(400);
    });

    test("the export holds the list's rows with its filters (CSV: BOM, zh-CN and en headers), and an xlsx that opens with them", async () => {
      const csv = await download(`/api/etrading/tenders/export?format=csv&q=${encodeURIComponent("医疗")}&status=published`, "regulator");
      expect(csv.status).toBe(200);
      expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
      const lines = csvLines(csv.body);
      expect(lines[0]).toBe("项目名称,采购方式,采购人,代理机构,区划代码,最高限价（元）,状态,发布时间,文件获取截止日,投标截止时间");
      const expected = hz().filter((t) => t.title.startsWith("医疗") && t.status === "published");
      expect(expected.length).toBeGreaterThan(0);
      expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(byDeadline(expected).map((id) => tenders.find((t) => t.id === id)!.title));
      const top = tenders.find((t) => t.id === byDeadline(expected)[0])!;
      expect(lines[1].split(",").slice(1, 7)).toEqual([top.method === "public-tender" ? "公开招标" : "邀请招标", top.unit_name, "", HZ, "100000.00", "接受投标"]);
      const en = csvLines((await download(`/api/etrading/tenders/export?format=csv&lang=en&status=draft`, "regulator")).body);
      expect(en[0]).toBe("Title,Method,Purchaser,Agency,Division code,Maximum price (CNY),Status,Published,Documents until,Bid deadline");
      expect(en).toHaveLength(1 + hz().filter((t) => t.status === "draft").length);
      expect(en.slice(1).every((l) => l.split(",")[6] === "Draft")).toBe(true);
      const xlsx = await download("/api/etrading/tenders/export?format=xlsx", "regulator");
      expect(xlsx.headers.get("content-type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
      const rows = await sheetOf(xlsx.body, "采购项目");
      expect(rows[0][0]).toBe("项目名称");
      expect(rows.slice(1).map((r) => r[0])).toEqual(byDeadline(hz()).map((id) => tenders.find((t) => t.id === id)!.title));
    });

    test("another party's tenders are not in an export: the other buyer's, a supplier's drafts and invitations to others; a bad format is 400", async () => {
      const mine = csvLines((await download("/api/etrading/tenders/export", "buyer")).body);
      expect(mine).toHaveLength(1 + hz().filter((t) => t.unit === BUYER).length);
      expect(mine.some((l) => l.includes("人民医院"))).toBe(false);
      const supplier = csvLines((await download("/api/etrading/tenders/export?mine=1", "otherSupplier")).body);
      const sees = supplierSees(OTHER_SUPPLIER, { [OTHER_SUPPLIER]: [tenders[16].id] });
      expect(supplier.slice(1).map((l) => l.split(",")[0]).sort()).toEqual(sees.map((t) => t.title).sort());
      expect(supplier.some((l) => l.startsWith(tenders[4].title + ","))).toBe(false);
      expect(supplier.some((l) => l.startsWith(tenders[1].title + ","))).toBe(false);
      const bad = await api("/api/etrading/tenders/export?format=pdf&status=x", "regulator");
      expect(bad.status).toBe(400);
      expect((bad.body as Any).error.details.map((d: Any) => d.path).sort()).toEqual(["/format", "/status"]);
      expect((await fetch(`${platform.baseUrl}/api/etrading/tenders/export`)).status).toBe(401);
    });
  });

  describe("GET /api/evaluation/evaluations", () => {
    const newest = (rows: Any[]) => [...rows].sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1)).map((r) => r.id);
    const hzEvals = () => evaluations.filter((e) => e.tenant_code === HZ);

    test("paging by cursor returns each evaluation the caller may see once, newest first: a regulator its region's, a purchaser its own, an expert its committees'", async () => {
      expect((await walk("/api/evaluation/evaluations", "regulator")).ids).toEqual(newest(hzEvals()));
      expect((await walk("/api/evaluation/evaluations", "buyer")).ids).toEqual(newest(hzEvals().filter((e) => e.unit_code === BUYER)));
      expect((await walk("/api/evaluation/evaluations", "expert")).ids).toEqual(newest(evaluations.filter((e) => e.members.includes(expertId))));
      expect(((await api("/api/evaluation/evaluations", "supplier")).body as Any)).toMatchObject({ items: [], total: 0 });
      const page = (await api("/api/evaluation/evaluations?pageSize=5&page=2", "regulator")).body as Any;
      expect(page).toMatchObject({ total: 12, totalIsEstimate: false, page: 2, pageSize: 5 });
      expect(page.items[0]).toMatchObject({ id: newest(hzEvals())[5], tenderId: expect.any(String), method: expect.any(String), round: 1, createdAt: expect.any(String) });
    });

    test("q and status filter the list and its export alike (CSV: BOM, zh-CN and en headers); an xlsx opens with the rows", async () => {
      const medical = hzEvals().filter((e) => e.title.startsWith("医疗"));
      const listed = (await api(`/api/evaluation/evaluations?q=${encodeURIComponent("医疗")}`, "regulator")).body as Any;
      expect(listed.items.map((x: Any) => x.id)).toEqual(newest(medical));
      const csv = await download(`/api/evaluation/evaluations/export?q=${encodeURIComponent("医疗")}&status=awarded`, "regulator");
      expect(csv.status).toBe(200);
      const lines = csvLines(csv.body);
      expect(lines[0]).toBe("项目名称,采购人,评标方法,状态,评审轮次,确认中标人期限,开始时间");
      const awarded = medical.filter((e) => e.status === "awarded");
      expect(awarded.length).toBeGreaterThan(0);
      expect(lines.slice(1).map((l) => l.split(",").slice(0, 6))).toEqual(
        newest(awarded).map((id) => evaluations.find((e) => e.id === id)!).map((e) => [e.title, e.unit_name, e.method === "comprehensive" ? "综合评分法" : "最低评标价法", "已定标", "1", "2026-04-20"]),
      );
      const en = csvLines((await download("/api/evaluation/evaluations/export?lang=en&status=signing", "regulator")).body);
      expect(en[0]).toBe("Title,Purchaser,Method,Status,Round,Award due,Started");
      expect(en.slice(1).map((l) => l.split(",")[3])).toEqual(hzEvals().filter((e) => e.status === "signing").map(() => "Report to sign"));
      const rows = await sheetOf((await download("/api/evaluation/evaluations/export?format=xlsx", "expert")).body, "评标项目");
      expect(rows[0][0]).toBe("项目名称");
      expect(rows.slice(1).map((r) => r[0])).toEqual(newest(evaluations.filter((e) => e.members.includes(expertId))).map((id) => evaluations.find((e) => e.id === id)!.title));
    });

    test("another purchaser's evaluations are not in an export; bad filters and format are 400 in the envelope", async () => {
      const other = csvLines((await download("/api/evaluation/evaluations/export", "otherBuyer")).body);
      expect(other.slice(1).map((l) => l.split(",")[0]).sort()).toEqual(hzEvals().filter((e) => e.unit_code === OTHER_BUYER).map((e) => e.title).sort());
      expect(other.some((l) => l.includes("交通运输局"))).toBe(false);
      const bad = await api("/api/evaluation/evaluations/export?format=docx&status=done&cursor=zzz", "regulator", "en");
      expect(bad.status).toBe(400);
      expect((bad.body as Any).error.code).toBe("VALIDATION_FAILED");
      expect((bad.body as Any).error.details.map((d: Any) => d.path).sort()).toEqual(["/cursor", "/format", "/status"]);
      expect((await api("/api/evaluation/evaluations?pageSize=0", "regulator")).status).toBe(400);
    });
  });

  describe("GET /api/complaints/challenges and /complaints", () => {
    const newest = (rows: Any[]) => [...rows].sort((a, b) => b.filed_at - a.filed_at || (a.id < b.id ? 1 : -1)).map((r) => r.id);
    const title = (id: string) => challenges.find((c) => c.id === id)!.tender_title;

    test("paging by cursor returns each challenge the caller may read once, newest first; a tender's for its buyer; a supplier only its own", async () => {
      const hzChallenges = challenges.filter((c) => c.tenant_code === HZ);
      expect((await walk("/api/complaints/challenges", "regulator")).ids).toEqual(newest(hzChallenges));
      expect((await walk("/api/complaints/challenges", "supplier")).ids).toEqual(newest(challenges.filter((c) => c.supplier_code === SUPPLIER)));
      const onTender = challenges.filter((c) => c.tender_id === tenders[0].id);
      expect(((await api(`/api/complaints/challenges?tenderId=${tenders[0].id}`, "buyer")).body as Any).items.map((x: Any) => x.id)).toEqual(newest(onTender));
      expect(((await api(`/api/complaints/challenges?tenderId=${tenders[0].id}`, "otherSupplier")).body as Any).items.map((x: Any) => x.id)).toEqual(newest(onTender.filter((c) => c.supplier_code === OTHER_SUPPLIER)));
      const page = (await api("/api/complaints/challenges?pageSize=4&page=3", "regulator")).body as Any;
      expect(page).toMatchObject({ total: 10, totalIsEstimate: false, page: 3, pageSize: 4, nextCursor: null });
      expect(page.items[0]).toMatchObject({ tenderTitle: expect.any(String), status: expect.any(String), clocks: expect.any(Array) });
      expect(page.items[0]).toHaveProperty("complaintId");
    });

    test("the challenges export holds the list's rows with q and status (CSV: BOM, zh-CN and en headers), in xlsx too; another supplier's are not in a supplier's", async () => {
      const awaiting = challenges.filter((c) => c.tenant_code === HZ && c.status === "awaiting-reply" && c.tender_title.startsWith("道路"));
      expect(awaiting.length).toBeGreaterThan(0);
      const lines = csvLines((await download(`/api/complaints/challenges/export?q=${encodeURIComponent("道路")}&status=awaiting-reply`, "regulator")).body);
      expect(lines[0]).toBe("采购项目,质疑供应商,质疑对象,知道之日,提出时间,答复期限,状态,答复时间,已投诉");
      expect(lines.slice(1).map((l) => l.split(","))).toEqual(newest(awaiting).map((id) => {
        const c = challenges.find((x) => x.id === id)!;
        return [c.tender_title, c.supplier_code, { documents: "采购文件", process: "采购过程", result: "中标（成交）结果" }[c.target as string], "2026-04-01", c.filed_at.toISOString(), "2026-04-13", "待答复", "", complaints.some((p) => p.challenge_id === c.id) ? "是" : "否"];
      }));
      const en = csvLines((await download("/api/complaints/challenges/export?lang=en&status=replied", "regulator")).body);
      expect(en[0]).toBe("Procurement,Challenger,Challenged,Known on,Filed,Reply due,Status,Replied,Complained of");
      expect(en).toHaveLength(1 + challenges.filter((c) => c.tenant_code === HZ && c.status === "replied").length);
      const rows = await sheetOf((await download("/api/complaints/challenges/export?format=xlsx", "otherSupplier")).body, "质疑");
      expect(rows.slice(1).map((r) => r[0])).toEqual(newest(challenges.filter((c) => c.supplier_code === OTHER_SUPPLIER)).map(title));
      expect(rows.slice(1).every((r) => r[1] === OTHER_SUPPLIER)).toBe(true);
    });

    test("the complaints list pages by cursor and its export keeps to the caller's: a regulator's region, a supplier its own; status filters both", async () => {
      const hzComplaints = complaints.filter((p) => p.tenant_code === HZ);
      const walked = await walk("/api/complaints/complaints", "regulator");
      expect(walked.ids).toEqual(newest(hzComplaints));
      const first = ((await api("/api/complaints/complaints?pageSize=2", "regulator")).body as Any);
      expect(first).toMatchObject({ total: hzComplaints.length, pageSize: 2, nextCursor: expect.any(String) });
      expect(first.items[0]).toMatchObject({ tenderTitle: expect.any(String), status: expect.any(String), clocks: expect.any(Array) });
      const decided = csvLines((await download("/api/complaints/complaints/export?status=decided", "regulator")).body);
      expect(decided[0]).toBe("采购项目,投诉人,投诉时间,状态,受理审查期限,处理决定期限,处理结果,决定时间");
      expect(decided.slice(1).map((l) => l.split(",").slice(3, 7))).toEqual(hzComplaints.filter((p) => p.status === "decided").map(() => ["已作出处理决定", "", "", "投诉成立"]));
      const en = csvLines((await download(`/api/complaints/complaints/export?lang=en&q=${encodeURIComponent("照明")}`, "supplier")).body);
      expect(en[0]).toBe("Procurement,Complainant,Filed,Status,Intake due,Decision due,Outcome,Decided");
      const own = complaints.filter((p) => p.supplier_code === SUPPLIER && challenges.find((c) => c.id === p.challenge_id)!.tender_title.includes("照明"));
      expect(own.length).toBeGreaterThan(0);
      expect(en.slice(1).map((l) => l.split(",")[0])).toEqual(newest(own).map((id) => title(complaints.find((p) => p.id === id)!.challenge_id)));
      // the other supplier filed none: its export is the header alone
      expect(csvLines((await download("/api/complaints/complaints/export", "otherSupplier")).body)).toHaveLength(1);
      const rows = await sheetOf((await download("/api/complaints/complaints/export?format=xlsx&lang=en", "regulator")).body, "Complaints");
      expect(rows).toHaveLength(1 + hzComplaints.length);
    });

    test("bad filters and formats are 400 in the envelope at their fields", async () => {
      const bad = await api(`/api/complaints/challenges/export?format=txt&status=open&tenderId=42`, "regulator");
      expect(bad.status).toBe(400);
      expect((bad.body as Any).error.details.map((d: Any) => d.path).sort()).toEqual(["/format", "/status", "/tenderId"]);
      const list = await api("/api/complaints/complaints?status=open&cursor=abc", "regulator", "en");
      expect(list.status).toBe(400);
      expect((list.body as Any).error.code).toBe("VALIDATION_FAILED");
      expect((list.body as Any).error.details.map((d: Any) => d.path).sort()).toEqual(["/cursor", "/status"]);
      // a challenges cursor is not the complaints list's
      const next = ((await api("/api/complaints/challenges?pageSize=1", "regulator")).body as Any).nextCursor;
      expect((await api(`/api/complaints/complaints?cursor=${next}`, "regulator")).status).toBe(400);
    });
  });
});
