import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { usccCheckChar } from "../../../core/forms/formats";
import { enqueue } from "../../../core/sdk";
import { poll } from "../../support/http";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";
import RULES from "../../../plugins/credit/statutory-rules.json";

const ROOT = path.resolve(__dirname, "../../..");
const code = (n: number) => {
  const first17 = `91441300MA${String(n).padStart(7, "0")}`;
  return first17 + usccCheckChar(first17);
};
const [LISTED, CLEAN, LEAD, MEMBER, REL_A, REL_B, LATER, BARRED] = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => code(100 + i));
// a credit code whose check character is wrong
const BAD_CHECK = code(150).slice(0, 17) + (code(150)[17] === "0" ? "1" : "0");
const UNITS = { purchaser: "441300401", agency: code(900), otherAgency: code(901) };
const HOUR = 3600_000;

/**
 * Credit management (issue 20): external lists with provenance and diffs, screening at the cutoff
 * through e-trading's eligibility point, credit files and their readers, the public credit page.
 * One platform with registries, supervision, e-trading and credit for the whole file.
 */
describe("credit", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  const t: Record<string, string> = {};
  const T0 = Date.parse("2026-11-02T10:00:00+08:00");

  beforeAll(async () => {
    pluginsDir = linkPlugins(["registries", "supervision", "etrading", "credit"], "credit-plugins");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms") });
    const tok = (tenantCode: string, roles: string[], unitCode?: string) => platform.token({ tenantCode, roles, unitCode });
    t.province = await tok("440000", ["regulator"]);
    t.city = await tok("441300", ["regulator"]);
    t.otherCity = await tok("440100", ["regulator"]);
    t.maoming = await tok("440900", ["regulator"]);
    t.purchaser = await tok("441300", ["purchaser"], UNITS.purchaser);
    t.agency = await tok("441300", ["agency"], UNITS.agency);
    t.otherAgency = await tok("441300", ["agency"], UNITS.otherAgency);
    for (const [k, c] of Object.entries({ LISTED, CLEAN, LEAD, MEMBER, REL_A, REL_B, LATER, BARRED })) t[k] = await tok("441300", ["supplier"], c);
  });
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  const at = (ms: number) => platform.kernel.clock.travelTo(new Date(ms).toISOString());
  const api = (who: string, p: string, init: { method?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) => platform.api(p, { ...init, token: t[who] });

  /** Creates the job with its provenance, streams the file, answers the upload's reply. */
  async function importFile(list: string, version: string, file: string, format = "csv", who = "province") {
    const job = await api(who, "/api/credit/imports", { method: "POST", body: { list, version, source: "https://www.creditchina.gov.cn/", fetchedAt: new Date(platform.kernel.clock.now().getTime() - HOUR).toISOString(), format, bytes: Buffer.byteLength(file) } });
    if (job.status !== 201) return job;
    return api(who, `/api/credit/imports/${job.body.id}/file`, { method: "PUT", raw: file, headers: { "content-type": format === "csv" ? "text/csv" : "application/json" } });
  }
  const csv = (rows: string[][]) => ["code,name,reason,authority,listed_on,until,legal_representative,controller", ...rows.map((r) => r.join(","))].join("\n");

  /** A tender closed at `deadline` with these bidders' last versions submitted (the opening's state), its documents naming `cutoff`. */
  async function closedTender(tenantCode: string, cutoff: number | null, deadline: number, bidders: string[]): Promise<string> {
    const knex = platform.kernel.db.knex;
    const id = randomUUID();
    const now = new Date(deadline - 20 * 86_400_000);
    await knex("etrading_tenders").insert({
      id, instance_id: randomUUID(), tenant_code: tenantCode, unit: UNITS.purchaser, unit_name: "惠州市交通运输局", agency_code: UNITS.agency,
      method: "public-tender", title: "惠州市某路段照明采购", max_price: "500000.00", published_at: now, bid_deadline: new Date(deadline), opening_at: new Date(deadline),
      status: "opening", custodians: "[]", config: JSON.stringify({ invitation: "notice", bidderListConfidential: true }), docs_version: 1, created_at: now, updated_at: now,
      documents: JSON.stringify(cutoff === null ? {} : { creditQueryCutoff: new Date(cutoff).toISOString() }),
    });
    await knex("etrading_registrations").insert(bidders.map((c, i) => ({ tender_id: id, supplier_code: c, supplier_name: `惠州市第${i + 1}照明科技有限公司`, registered_at: now })));
    await knex("etrading_bids").insert(bidders.map((c) => ({
      id: randomUUID(), tender_id: id, supplier_code: c, version: 1, action: "submitted", docs_version: 1, hash: "0".repeat(64), receipt: "{}", received_at: now,
    })));
    return id;
  }

  test("an import is all or nothing: every malformed row reported by line, nothing kept; a city regulator may not import; a version twice is refused", async () => {
    at(T0 - 48 * HOUR);
    const bad = await importFile("dishonest-debtors", "2026-10-31", csv([
      [LISTED, "惠州市失信照明有限公司", "拒不履行生效判决", "惠州市中级人民法院", "2025-03-01", "", "", ""],
      [BAD_CHECK, "无效代码公司", "拒不履行", "法院", "2025-01-01", "", "", ""],
      [CLEAN, "", "拒不履行", "法院", "2025-13-01", "", "", ""],
      [REL_A, "重复公司", "拒不履行", "法院", "", "", "", ""],
      [REL_A, "重复公司", "拒不履行", "法院", "", "", "", ""],
    ]), "csv", "province");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
    const paths = bad.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["/rows/3/code", "/rows/4/name", "/rows/4/listed_on"]));
    // a duplicate is only known once every row is in: the good rows were not the problem, and nothing was kept
    const lists = await api("province", "/api/credit/lists");
    expect(lists.body.lists.find((l: { key: string }) => l.key === "dishonest-debtors").versions).toEqual([]);
    expect(Number((await platform.kernel.db.knex("credit_list_entries").count("* as n"))[0].n)).toBe(0);

    const duplicate = await importFile("dishonest-debtors", "2026-10-31", csv([[REL_A, "重复公司", "拒不履行", "法院", "", "", "", ""], [REL_A, "重复公司", "拒不履行", "法院", "", "", "", ""]]));
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.error.details[0]).toMatchObject({ path: "/rows/3/code", rule: "unique" });

    const city = await importFile("dishonest-debtors", "x", csv([[LISTED, "某公司", "拒不履行", "法院", "", "", "", ""]]), "csv", "city");
    expect(city.status).toBe(403);
    const en = await api("province", "/api/credit/imports", { method: "POST", body: { list: "nope", source: "", fetchedAt: "yesterday", version: "" }, headers: { "accept-language": "en" } });
    expect(en.status).toBe(400);
    expect(en.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/fetchedAt", "/list", "/source", "/version"]);
  });

  test("credit.blacklists: lists imported with provenance, each import diffed against the last (added, removed, changed), progress readable by GET", async () => {
    at(T0);
    const v1 = await importFile("dishonest-debtors", "2026-11-01", csv([
      [LISTED, "惠州市失信照明有限公司", "拒不履行生效判决", "惠州市中级人民法院", "2025-03-01", "", "", ""],
      [MEMBER, "惠州市联合成员有限公司", "拒不履行生效判决", "惠城区人民法院", "2025-06-01", "", "", ""],
      [CLEAN, "惠州市已履行有限公司", "拒不履行生效判决", "惠城区人民法院", "2025-06-01", "", "", ""],
    ]));
    expect(v1.status).toBe(200);
    expect(v1.body).toMatchObject({ status: "done", progress: 1, rowsRead: 3, result: { seq: 1, added: 3, removed: 0, changed: 0 } });
    const job = await api("city", `/api/credit/imports/${v1.body.id}`);
    expect(job.body).toMatchObject({ status: "done", bytesRead: job.body.bytesTotal, rowsRead: 3, source: "https://www.creditchina.gov.cn/" });

    const json = JSON.stringify([{ code: BARRED, name: "惠州市违法采购有限公司", reason: "提供虚假材料谋取中标", authority: "惠州市财政局", listedOn: "2026-01-01", until: "2028-12-31" }]);
    expect((await importFile("procurement-violations", "2026-11", json, "json")).body.result).toMatchObject({ added: 1 });
    const lines = [{ code: REL_A, name: "惠州市关联甲有限公司", legalRepresentative: "张三" }, { code: REL_B, name: "惠州市关联乙有限公司", legalRepresentative: "张三" }, { code: CLEAN, name: "惠州市已履行有限公司", legalRepresentative: "李四" }]
      .map((r) => JSON.stringify(r)).join("\n");
    expect((await importFile("enterprise-registrations", "2026-11", lines, "json")).body.result).toMatchObject({ added: 3 });

    // the next day's list: CLEAN paid and is off, LATER is on, MEMBER's entry changed
    at(T0 + 30 * HOUR);
    const v2 = await importFile("dishonest-debtors", "2026-11-03", csv([
      [LISTED, "惠州市失信照明有限公司", "拒不履行生效判决", "惠州市中级人民法院", "2025-03-01", "", "", ""],
      [MEMBER, "惠州市联合成员有限公司", "有履行能力而拒不履行", "惠城区人民法院", "2025-06-01", "", "", ""],
      [LATER, "惠州市新失信有限公司", "拒不履行生效判决", "惠阳区人民法院", "2026-11-02", "", "", ""],
    ]));
    expect(v2.body.result).toMatchObject({ seq: 2, added: 1, removed: 1, changed: 1, samples: { added: [LATER], removed: [CLEAN], changed: [MEMBER] } });
    const versions = (await api("city", "/api/credit/lists")).body.lists.find((l: { key: string }) => l.key === "dishonest-debtors").versions;
    expect(versions.map((v: { version: string }) => v.version)).toEqual(["2026-11-03", "2026-11-01"]);
    expect(versions[0]).toMatchObject({ source: "https://www.creditchina.gov.cn/", added: 1, removed: 1, changed: 1, entries: 3 });

    const again = await importFile("dishonest-debtors", "2026-11-03", csv([[LISTED, "某公司", "拒不履行", "法院", "", "", "", ""]]));
    expect(again.status).toBe(409);
  });

  test("credit.cutoffDeclared, credit.consortium, supplier.relatedParties, credit.noSupplierUpload: the snapshot at the declared cutoff uses the lists as they stood then", async () => {
    // a penalty barring BARRED2 from procurement, recorded by the city's regulator
    at(T0 + 31 * HOUR);
    // the cutoff is a day after the first imports, before the next day's list
    const cutoff = T0 + 24 * HOUR;
    const deadline = T0 + 32 * HOUR;
    const tender = await closedTender("441300", cutoff, deadline, [LISTED, CLEAN, LEAD, REL_A, REL_B, LATER, BARRED]);
    // a consortium is declared with codes only, before the deadline; credit evidence is refused (credit.noSupplierUpload)
    const upload = await api("LEAD", `/api/etrading/tenders/${tender}/consortium`, { method: "PUT", body: { members: [{ code: MEMBER, name: "惠州市联合成员有限公司", creditReport: "信用报告.pdf" }] } });
    expect(upload.status).toBe(400);
    expect(upload.body.error.details[0]).toMatchObject({ path: "/members/0/creditReport", rule: "credit.noSupplierUpload" });
    expect((await api("LEAD", `/api/etrading/tenders/${tender}/consortium`, { method: "PUT", body: { members: [{ code: MEMBER, name: "惠州市联合成员有限公司" }] } })).status).toBe(200);

    // before the deadline nothing is screened
    const early = await api("agency", `/api/etrading/tenders/${tender}/screening`, { method: "POST" });
    expect(early.status).toBe(409);
    expect(early.body.error.details.rule).toBe("credit.cutoffDeclared");

    at(deadline + 60_000);
    const run = await api("agency", `/api/etrading/tenders/${tender}/screening`, { method: "POST" });
    expect(run.status).toBe(200);
    const s = run.body;
    expect(s).toMatchObject({ status: "screened", provider: "credit", cutoffDeclared: true, cutoff: new Date(cutoff).toISOString() });
    // the versions in force at the cutoff: the first dishonest-debtor list, not the one imported after it
    expect(s.lists.find((l: { list: string }) => l.list === "dishonest-debtors")).toMatchObject({ seq: 1, version: "2026-11-01", source: "https://www.creditchina.gov.cn/" });
    const of = (c: string) => s.bidders.find((b: { code: string }) => b.code === c);
    // credit.blacklists: listed then, excluded with the reason; CLEAN was still listed at the cutoff; LATER was not yet
    expect(of(LISTED)).toMatchObject({ eligible: false, reasons: [expect.objectContaining({ rule: "credit.blacklists", source: "dishonest-debtors", version: "2026-11-01" })] });
    expect(of(CLEAN).eligible).toBe(false);
    expect(of(LATER)).toMatchObject({ eligible: true, reasons: [] });
    // a procurement ban within its period excludes
    expect(of(BARRED).reasons[0]).toMatchObject({ rule: "credit.blacklists", source: "procurement-violations" });
    // credit.consortium: the member's record is the consortium's
    expect(of(LEAD)).toMatchObject({ eligible: false, members: [{ code: MEMBER, name: "惠州市联合成员有限公司" }] });
    expect(of(LEAD).reasons[0]).toMatchObject({ rule: "credit.consortium", party: MEMBER, detail: expect.objectContaining({ listRule: "credit.blacklists" }) });
    // supplier.relatedParties: the same legal representative, flagged for the committee, not excluded
    expect(of(REL_A)).toMatchObject({ eligible: true, flags: [expect.objectContaining({ rule: "supplier.relatedParties", detail: expect.objectContaining({ with: REL_B, legalRepresentative: "张三" }) })] });
    expect(of(REL_B).flags[0].rule).toBe("supplier.relatedParties");

    // the snapshot is kept: asked again later, after the lists changed, it says the same
    at(deadline + 5 * HOUR);
    const again = await api("purchaser", `/api/etrading/tenders/${tender}/screening`);
    expect(again.body).toEqual({ ...s });
    expect((await api("city", `/api/etrading/tenders/${tender}/screening`)).status).toBe(200);
    const own = await api("LISTED", `/api/etrading/tenders/${tender}/screening`);
    expect(own.body.bidders.map((b: { code: string }) => b.code)).toEqual([LISTED]);
    expect((await api("otherAgency", `/api/etrading/tenders/${tender}/screening`)).status).toBe(403);

    // the facts come from the rule list as the plugin copied them
    for (const id of ["credit.blacklists", "credit.cutoffDeclared", "credit.consortium", "credit.noSupplierUpload", "supplier.relatedParties"]) expect(RULES.rules).toHaveProperty([id]);
  });

  test("credit.cutoffDeclared: documents that name no cutoff are screened at the deadline, and say so; with credit off in the tenant the snapshot says no provider screened", async () => {
    const deadline = T0 + 40 * HOUR;
    const undeclared = await closedTender("441300", null, deadline, [LATER]);
    at(deadline + 60_000);
    const s = (await api("agency", `/api/etrading/tenders/${undeclared}/screening`, { method: "POST" })).body;
    expect(s).toMatchObject({ cutoffDeclared: false, cutoff: new Date(deadline).toISOString(), status: "screened" });
    // LATER was listed by the second import, in force at this deadline
    expect(s.bidders[0]).toMatchObject({ code: LATER, eligible: false });

    // Maoming switches credit off (from a minute ahead): its tenders are screened by no provider
    const admin = await platform.token({ tenantCode: "440000", roles: ["platform-admin"] });
    const from = new Date(platform.kernel.clock.now().getTime() + 60_000);
    expect((await platform.api("/api/tenants/440900/modules/credit", { method: "PUT", token: admin, body: { state: "off", from: from.toISOString() } })).status).toBe(200);
    at(from.getTime() + 60_000);
    const maoming = await closedTender("440900", null, from.getTime(), [LATER]);
    const none = (await api("maoming", `/api/etrading/tenders/${maoming}/screening`, { method: "POST" })).body;
    expect(none).toMatchObject({ status: "no-provider", provider: null, lists: [], bidders: [{ code: LATER, eligible: true, reasons: [] }] });
    expect(none.note.en).toMatch(/not screened/);
  });

  test("credit files: penalties with their period, credit.fact events (complaint.frivolousRecord), list hits; read by the party, regulators and the committee only", async () => {
    const penalty = await api("city", "/api/credit/penalties", {
      method: "POST",
      body: { subjectCode: LATER, subjectKind: "supplier", subjectName: "惠州市新失信有限公司", title: { "zh-CN": "提供虚假材料，禁止参加政府采购活动一年", en: "False documents: barred from procurement for a year" }, reference: "惠财采罚〔2026〕3号", occurredOn: "2026-10-20", startsOn: "2026-10-20", endsOn: "2027-10-19", bars: true, published: true },
    });
    expect(penalty.status).toBe(201);
    expect(penalty.body).toMatchObject({ kind: "penalty", source: "regulator:441300", bars: true, appealState: "none", rule: "credit.blacklists" });
    const noPeriod = await api("city", "/api/credit/penalties", { method: "POST", body: { subjectCode: LATER, subjectKind: "supplier", title: { "zh-CN": "禁止参加", en: "barred" }, reference: "x", occurredOn: "2026-10-20", bars: true }, headers: { "accept-language": "en" } });
    expect(noPeriod.status).toBe(400);
    expect(noPeriod.body.error.details.map((d: { path: string }) => d.path)).toContain("/endsOn");
    expect((await api("LATER", "/api/credit/penalties", { method: "POST", body: {} })).status).toBe(403);

    // complaints (a later plugin) announce a frivolous-complaint record (complaint.frivolousRecord: 3 unfounded in 12 months)
    await platform.kernel.db.knex.transaction((trx) => enqueue(trx, {
      event: "credit.fact", key: "complaints:demo",
      payload: { subjectCode: LATER, subjectKind: "supplier", kind: "complaint", rule: "complaint.frivolousRecord", title: { "zh-CN": "12个月内三次投诉查无实据，列入不良行为记录", en: "Three unfounded complaints in 12 months: bad-conduct record" }, occurredOn: "2026-11-01", tenantCode: "441300" },
    }));
    expect(RULES.rules["complaint.frivolousRecord"].value).toBe(3);
    const file = await poll("the event's fact in the file", () => api("LATER", `/api/credit/files/${LATER}`), (r) => r.status === 200 && r.body.facts.length === 2);
    expect(file.body.facts.map((f: { kind: string }) => f.kind).sort()).toEqual(["complaint", "penalty"]);
    expect(file.body.facts.find((f: { kind: string }) => f.kind === "complaint")).toMatchObject({ source: "complaints", rule: "complaint.frivolousRecord" });
    expect(file.body.listEntries).toEqual([expect.objectContaining({ list: "dishonest-debtors", reason: "拒不履行生效判决" })]);

    // another supplier may not read it; the committee (the agency of a tender LATER bid in) and a regulator may
    const refused = await api("CLEAN", `/api/credit/files/${LATER}`, { headers: { "accept-language": "en" } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("FORBIDDEN");
    expect((await api("agency", `/api/credit/files/${LATER}`)).status).toBe(200);
    expect((await api("otherAgency", `/api/credit/files/${LATER}`)).status).toBe(403);
    // a regulator elsewhere too (Maoming switched credit off in the test before: the province's)
    expect((await api("province", `/api/credit/files/${LATER}`)).status).toBe(200);

    // an appeal's state is for the regulators of the record's region: Guangzhou's may not touch Huizhou's penalty (nothing changes)
    const elsewhere = await api("otherCity", `/api/credit/facts/${penalty.body.id}/appeal`, { method: "PATCH", body: { appealState: "overturned" } });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error.code).toBe("FORBIDDEN");
    expect((await api("city", `/api/credit/files/${LATER}`)).body.facts.find((f: { id: string }) => f.id === penalty.body.id).appealState).toBe("none");
    // the province's regulators oversee every city's
    expect((await api("province", `/api/credit/facts/${penalty.body.id}/appeal`, { method: "PATCH", body: { appealState: "pending" } })).body.appealState).toBe("pending");

    // an overturned penalty no longer counts
    expect((await api("city", `/api/credit/facts/${penalty.body.id}/appeal`, { method: "PATCH", body: { appealState: "overturned" } })).body.appealState).toBe("overturned");
  });

  test("the public credit page: published list entries and penalties, searchable, without login; registrations and unpublished facts are not there", async () => {
    await api("city", "/api/credit/penalties", {
      method: "POST",
      body: { subjectCode: REL_B, subjectKind: "supplier", subjectName: "惠州市关联乙有限公司", title: { "zh-CN": "警告", en: "Warning" }, reference: "惠财采罚〔2026〕4号", occurredOn: "2026-10-21", published: false },
    });
    const all = await platform.api("/api/credit/public");
    expect(all.status).toBe(200);
    expect(all.body.entries.map((e: { code: string }) => e.code)).toEqual(expect.arrayContaining([LISTED, MEMBER, LATER, BARRED]));
    expect(all.body.entries.map((e: { list: string }) => e.list)).not.toContain("enterprise-registrations");
    expect(all.body.penalties.map((p: { code: string }) => p.code)).not.toContain(REL_B);
    const found = await platform.api(`/api/credit/public?q=${encodeURIComponent("违法采购")}`);
    expect(found.body.entries).toEqual([expect.objectContaining({ code: BARRED, list: "procurement-violations", until: "2028-12-31" })]);
    expect((await platform.api(`/api/credit/public?q=${LISTED}`)).body.entries.map((e: { code: string }) => e.code)).toEqual([LISTED]);
  });

  test("credit.noMajorViolation3y: a major violation in the 3 years before the cutoff excludes the supplier; calc.inclusiveTerms: the day exactly 3 years back is within, the day before is not", async () => {
    const [EDGE, BEFORE, MINOR, OVERTURNED] = [111, 112, 113, 114].map(code);
    expect(RULES.rules["credit.noMajorViolation3y"].value).toBe(3);
    const cutoff = Date.parse("2026-11-10T09:00:00+08:00");
    const deadline = cutoff + HOUR;
    at(cutoff - HOUR);
    const record = (subjectCode: string, occurredOn: string, extra: Record<string, unknown>) => api("city", "/api/credit/penalties", {
      method: "POST",
      body: { subjectCode, subjectKind: "supplier", title: { "zh-CN": "违法经营，处以较大数额罚款", en: "Unlawful business: a large fine" }, reference: `惠市监罚〔${occurredOn.slice(0, 4)}〕${subjectCode.slice(-4)}号`, occurredOn, ...extra },
    });
    // "major" is a yes or no; nothing is written for a wrong one
    const bad = await record(EDGE, "2023-11-10", { major: "yes" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ path: "/major" })]);
    expect(await platform.kernel.db.knex("credit_facts").where({ subject_code: EDGE }).count("* as n")).toEqual([{ n: "0" }]);
    // a large fine (no bar of its own) on 2023-11-10: exactly 3 years before the cutoff's day
    const edge = await record(EDGE, "2023-11-10", { major: true });
    expect(edge.status).toBe(201);
    expect(edge.body).toMatchObject({ major: true, bars: false });
    // one day earlier: past the lookback
    expect((await record(BEFORE, "2023-11-09", { major: true })).status).toBe(201);
    // a penalty that is not a major violation, last month
    expect((await record(MINOR, "2026-10-01", {})).body.major).toBe(false);
    // a major violation overturned on appeal no longer counts
    const overturned = await record(OVERTURNED, "2025-06-01", { major: true });
    expect((await api("city", `/api/credit/facts/${overturned.body.id}/appeal`, { method: "PATCH", body: { appealState: "overturned" } })).status).toBe(200);

    const tender = await closedTender("441300", cutoff, deadline, [EDGE, BEFORE, MINOR, OVERTURNED]);
    at(deadline + 60_000);
    const run = await api("agency", `/api/etrading/tenders/${tender}/screening`, { method: "POST" });
    expect(run.status).toBe(200);
    const of = (c: string) => run.body.bidders.find((b: { code: string }) => b.code === c);
    expect(of(EDGE)).toMatchObject({ eligible: false, reasons: [expect.objectContaining({ rule: "credit.noMajorViolation3y", party: EDGE, source: "penalty", detail: expect.objectContaining({ occurredOn: "2023-11-10", lookbackFrom: "2023-11-10" }) })] });
    expect(of(EDGE).reasons[0].message["zh-CN"]).toContain("3 年内有重大违法记录");
    expect(of(BEFORE)).toMatchObject({ eligible: true, reasons: [] });
    expect(of(MINOR)).toMatchObject({ eligible: true, reasons: [] });
    expect(of(OVERTURNED)).toMatchObject({ eligible: true, reasons: [] });
  });
});
