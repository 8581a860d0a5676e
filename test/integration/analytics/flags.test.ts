import fs from "node:fs";
import { randomUUID } from "node:crypto";
import { enqueue } from "../../../core/events/outbox";
import { flagConfig } from "../../../plugins/analytics/services/flags";
import { poll } from "../../support/http";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";
import { explain, ocdsValidators } from "./ocds-schemas";

/**
 * Competition figures and red flags (plugins/analytics/README.md, "Competition" and "Red flags"):
 * crafted facts through `analytics.fact`, each flag raised on its case and not on a clean one, read
 * over HTTP by the province's, Guangzhou's and Maoming's regulators. One platform for the file, with
 * the repeated-winner and non-competitive thresholds set low through the deployment's settings.
 */
describe("competition figures and red flags", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  const knex = () => platform.kernel.db.knex;
  const tokens: Record<string, string> = {};
  const saved: Record<string, string | undefined> = {};
  const SETTINGS = { ANALYTICS_FLAG_REPEAT_WINS: "2", ANALYTICS_FLAG_NON_COMPETITIVE_MIN_AWARDS: "2" };
  const SCHOOL = "广州市第一测试中学";
  const BUREAU = "广州市测试城管局";
  const HOSPITAL = "茂名市测试人民医院";
  const p = Object.fromEntries(["clean", "single", "direct1", "direct2", "again", "old", "late", "amended", "maoming"].map((k) => [k, randomUUID()]));
  const singleAward = randomUUID();

  async function announce(f: { projectId: string; tenantCode?: string; stage: string; data: Record<string, unknown>; instanceId?: string }) {
    const payload = { instanceId: f.instanceId ?? randomUUID(), workflowId: "test.fact", plugin: "test", tenantCode: f.tenantCode ?? "440100", version: 1, stage: f.stage, data: { projectId: f.projectId, ...f.data } };
    const { eventId } = await knex().transaction((trx) => enqueue(trx, { event: "analytics.fact", payload, key: payload.instanceId }));
    await poll(`aggregates receipt of ${eventId}`, () => knex()("core_event_receipts").where({ consumer: "analytics.aggregates", event_id: eventId }).first(), (row) => !!row);
  }
  const award = (projectId: string, data: Record<string, unknown>, extra: { tenantCode?: string; instanceId?: string } = {}) =>
    announce({ projectId, stage: "award", data: { method: "public-tender", purchaserName: SCHOOL, ...data }, ...extra });
  const tender = (projectId: string, method: string, publishedOn: string, bidDeadline: string, stage = "tender") =>
    announce({ projectId, stage, data: { title: "测试项目", purchaserName: SCHOOL, method, publishedOn, bidDeadline } });
  const api = (who: string, route: string, query = "", lang?: string) =>
    platform.api(`/api/analytics/${route}${query ? `?${query}` : ""}`, { token: tokens[who], headers: lang ? { "accept-language": lang } : {} });
  type Flag = { flag: string; unit: string; tenantCode: string; evidence: Record<string, unknown>; projects: Array<{ projectId: string; link: string }>; explanation: Record<string, string>; source: Record<string, string> };
  const flagsOf = async (who: string, query = "") => {
    const res = await api(who, "flags", query);
    expect(res.status).toBe(200);
    return res.body.flags as Flag[];
  };
  const about = (flags: Flag[], flag: string, projectId: string) => flags.filter((f) => f.flag === flag && f.projects.some((x) => x.projectId === projectId));

  beforeAll(async () => {
    for (const [k, v] of Object.entries(SETTINGS)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    pluginsDir = linkPlugins(["registries", "supervision", "analytics"], "analytics-flags");
    platform = await startTestPlatform({ pluginsDir });
    await knex()("registries_purchasers").insert({ tenant_code: "440100", name: SCHOOL, budget_code: "440100888", unit_type: "school" });
    tokens.province = await platform.token({ roles: ["regulator"], tenantCode: "440000" });
    tokens.guangzhou = await platform.token({ roles: ["regulator"], tenantCode: "440100" });
    tokens.maoming = await platform.token({ roles: ["regulator"], tenantCode: "440900" });
    tokens.unit = await platform.token({ roles: ["purchaser"], tenantCode: "440100", unitCode: "440100888" });

    // clean: 23 days to bid, five bids, contract as awarded
    await tender(p.clean, "public-tender", "2026-03-02T09:00:00+08:00", "2026-03-25T09:30:00+08:00");
    await award(p.clean, { supplierName: "广州甲公司", amount: "1000000.00", awardDate: "2026-04-01", bidders: 5 });
    await announce({ projectId: p.clean, stage: "contract", data: { purchaserName: SCHOOL, supplierName: "广州甲公司", amount: "1000000.00", signedOn: "2026-04-08", filedOn: "2026-04-09" } });
    // 14 days to bid in an open tender, one bid, a contract 10% above the award
    await tender(p.single, "public-tender", "2026-03-02T09:00:00+08:00", "2026-03-16T09:30:00+08:00");
    await announce({ projectId: p.single, stage: "contract", data: { purchaserName: SCHOOL, supplierName: "广州乙公司", amount: "1100000.00", signedOn: "2026-04-08", filedOn: "2026-04-09" } });
    await award(p.single, { supplierName: "广州乙公司", amount: "1000000.00", awardDate: "2026-04-01", bidders: 1 }, { instanceId: singleAward });
    // single source has one supplier by design: no single-bid flag, but the bureau's awards are all direct
    await award(p.direct1, { method: "single-source", purchaserName: BUREAU, supplierName: "广州丁公司", amount: "300000.00", awardDate: "2026-05-01", bidders: 1 });
    await award(p.direct2, { method: "single-source", purchaserName: BUREAU, supplierName: "广州戊公司", amount: "200000.00", awardDate: "2026-06-01", bidders: 1 });
    // the school's second award to 广州甲公司 within 12 months
    await award(p.again, { supplierName: "广州甲公司", amount: "500000.00", awardDate: "2026-09-01", bidders: 3 });
    // two awards to 广州丙公司 more than 12 months apart
    await award(p.old, { supplierName: "广州丙公司", amount: "100000.00", awardDate: "2025-01-10", bidders: 4 });
    await award(p.late, { supplierName: "广州丙公司", amount: "100000.00", awardDate: "2026-03-01", bidders: 2 });
    // a consultation with 7 days, put right by a corrigendum that gives 14
    await tender(p.amended, "competitive-consultation", "2026-06-01T09:00:00+08:00", "2026-06-08T09:00:00+08:00");
    await tender(p.amended, "competitive-consultation", "2026-06-01T09:00:00+08:00", "2026-06-15T09:00:00+08:00", "tenderAmendment");
    // another city's single bid
    await award(p.maoming, { purchaserName: HOSPITAL, supplierName: "茂名己公司", amount: "800000.00", awardDate: "2026-05-01", bidders: 1 }, { tenantCode: "440900" });
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test("bids per tender, the single-bid share and each method's share by count and value, with drill-down", async () => {
    const gz = (await api("guangzhou", "dashboard")).body.competition;
    // seven awards in Guangzhou: 5+1+1+1+3+4+2 bids; three with a single bid
    expect(gz).toMatchObject({ awards: 7, tenders: 7, bids: 17, meanBids: 2.43, singleBidShare: 42.9, singleBidRule: { rule: "tender.minBidders", minimum: 3 } });
    expect(gz.methods).toEqual([
      { method: "public-tender", awards: 5, awarded: 2700000, countShare: 71.4, valueShare: 84.4 },
      { method: "single-source", awards: 2, awarded: 500000, countShare: 28.6, valueShare: 15.6 },
    ]);
    expect(gz.byMonth.find((m: { month: string }) => m.month === "2026-04")).toMatchObject({ tenders: 2, bids: 6, meanBids: 3, singleBidShare: 50, methods: [expect.objectContaining({ method: "public-tender", countShare: 100 })] });
    expect(gz.byUnit).toEqual(expect.arrayContaining([expect.objectContaining({ unit: BUREAU, tenders: 2, meanBids: 1, singleBidShare: 100 })]));
    const province = (await api("province", "dashboard")).body.competition;
    expect(province).toMatchObject({ tenders: 8, bids: 18, singleBidShare: 50 });
    expect(province.byRegion.find((r: { code: string }) => r.code === "440900")).toMatchObject({ tenders: 1, singleBidShare: 100, methods: [expect.objectContaining({ method: "public-tender", countShare: 100, valueShare: 100 })] });
    expect(province.byRegion.find((r: { code: string }) => r.code === "440100")).toMatchObject({ tenders: 7, bids: 17 });
    const range = (await api("guangzhou", "dashboard", "from=2026-05-01&to=2026-11-30")).body.competition;
    expect(range).toMatchObject({ tenders: 3, bids: 5 });
    // the public data page carries the same figures, without units
    const open = (await platform.api("/api/analytics/public?region=440100")).body.competition;
    expect(open).toMatchObject({ tenders: 7, bids: 17, singleBidShare: 42.9 });
    expect(open.byUnit).toBeUndefined();
  });

  test("single-bid: an open tender with one bid is flagged (tender.minBidders); five bids, or a single source, are not", async () => {
    const flags = await flagsOf("guangzhou");
    const [flag] = about(flags, "single-bid", p.single);
    expect(flag).toMatchObject({ unit: SCHOOL, tenantCode: "440100", evidence: { method: "public-tender", bidders: 1, rule: "tender.minBidders", minimum: 3 }, source: { rule: "tender.minBidders" } });
    expect(flag.projects).toEqual([{ projectId: p.single, link: `/supervision/projects/${p.single}` }]);
    expect(flag.explanation["zh-CN"]).toContain("只收到一份投标");
    expect(flag.explanation.en).toContain("only one bid");
    for (const clean of [p.clean, p.direct1, p.direct2]) expect(about(flags, "single-bid", clean)).toEqual([]);
  });

  test("short-tender-period: 14 days in an open tender breaks tender.biddingPeriod (20 days); 23 days, or a corrigendum that gives 14 of consultation.docPeriod's 10, do not", async () => {
    const flags = await flagsOf("guangzhou");
    expect(about(flags, "short-tender-period", p.single)).toEqual([
      expect.objectContaining({ evidence: { method: "public-tender", rule: "tender.biddingPeriod", from: "2026-03-02", to: "2026-03-16", days: 14, minimum: 20, unitOfDays: "calendar-days" } }),
    ]);
    expect(about(flags, "short-tender-period", p.clean)).toEqual([]);
    expect(about(flags, "short-tender-period", p.amended)).toEqual([]);
  });

  test("repeat-winner: two awards to one supplier by one purchaser within 12 months (N = 2 here), not 14 months apart", async () => {
    const flags = await flagsOf("guangzhou");
    const repeat = flags.filter((f) => f.flag === "repeat-winner");
    expect(repeat).toHaveLength(1);
    expect(repeat[0]).toMatchObject({ unit: SCHOOL, evidence: { supplier: "广州甲公司", wins: 2, threshold: 2, withinMonths: 12, first: "2026-04-01", last: "2026-09-01" } });
    expect(repeat[0].projects.map((x) => x.projectId)).toEqual([p.clean, p.again]);
    expect(repeat[0].explanation["zh-CN"]).toContain("2 个以上项目");
  });

  test("non-competitive-share: a purchaser whose awards are all single source is flagged; the school's open tenders are not", async () => {
    const flags = (await flagsOf("guangzhou")).filter((f) => f.flag === "non-competitive-share");
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ unit: BUREAU, evidence: { awards: 2, nonCompetitive: 2, share: 100, threshold: 50, minAwards: 2 } });
    expect(flags[0].projects.map((x) => x.projectId).sort()).toEqual([p.direct1, p.direct2].sort());
    // before June the bureau has one award, below the two a share is judged on
    expect((await flagsOf("guangzhou", "to=2026-05-31")).filter((f) => f.flag === "non-competitive-share")).toEqual([]);
  });

  test("contract-above-award: a contract 10% above its award is flagged, whichever came first; one equal to it is not", async () => {
    const flags = await flagsOf("guangzhou");
    expect(about(flags, "contract-above-award", p.single)).toEqual([expect.objectContaining({ evidence: { awarded: 1000000, contracted: 1100000, excessPercent: 10 } })]);
    expect(about(flags, "contract-above-award", p.clean)).toEqual([]);
  });

  test("the OCDS record publishes the count of bids with the award, and nothing of the bids", async () => {
    const res = await platform.api(`/api/analytics/ocds/records/ocds-xxxxxx-gd-${p.single}`);
    expect(res.status).toBe(200);
    const v = ocdsValidators();
    expect({ ok: v.recordPackage(res.body), errors: explain(v.recordPackage.errors) }).toEqual({ ok: true, errors: [] });
    const compiled = res.body.records[0].compiledRelease;
    expect({ ok: v.extendedRelease(compiled), errors: explain(v.extendedRelease.errors) }).toEqual({ ok: true, errors: [] });
    expect(compiled.tender).toMatchObject({ numberOfTenderers: 1, status: "complete" });
    expect(compiled.tender.tenderers).toBeUndefined();
    expect(compiled.bids).toBeUndefined();
  });

  test("the same award delivered again, under another event id, counts once", async () => {
    const before = (await api("guangzhou", "dashboard")).body.competition;
    const flagsBefore = await flagsOf("guangzhou");
    await award(p.single, { supplierName: "广州乙公司", amount: "1000000.00", awardDate: "2026-04-01", bidders: 1 }, { instanceId: singleAward });
    expect((await api("guangzhou", "dashboard")).body.competition).toEqual(before);
    expect(await flagsOf("guangzhou")).toEqual(flagsBefore);
  });

  test("read-scoped by region: Guangzhou does not see Maoming's flag, Maoming sees only its own, the province both; a unit is refused", async () => {
    expect(about(await flagsOf("guangzhou"), "single-bid", p.maoming)).toEqual([]);
    const maoming = await flagsOf("maoming");
    expect(maoming.map((f) => f.flag)).toEqual(["single-bid"]);
    expect(maoming[0]).toMatchObject({ unit: HOSPITAL, tenantCode: "440900" });
    const province = await flagsOf("province");
    expect(about(province, "single-bid", p.maoming)).toHaveLength(1);
    expect(about(province, "single-bid", p.single)).toHaveLength(1);
    const outside = await api("guangzhou", "flags", "region=440900", "en");
    expect(outside.status).toBe(400);
    expect(outside.body.error.details).toEqual([expect.objectContaining({ path: "/region", rule: "scope", allowed: "440100" })]);
    const unit = await api("unit", "flags");
    expect(unit.status).toBe(403);
    expect(unit.body.error).toMatchObject({ code: "FORBIDDEN", message: "风险提示仅向监管部门开放" });
    expect((await api("unit", "flags", "", "en")).body.error.message).toBe("The red flags are for regulators");
    // refused before its input is judged: a unit's bad dates are no reason to tell it more than "no"
    const unitBad = await api("unit", "flags", "from=2026-05-01&to=2026-04-01");
    expect(unitBad.status).toBe(403);
    expect(unitBad.body.error.code).toBe("FORBIDDEN");
    // while the dashboard, which a unit may read, reports the same dates as bad input
    const dashBad = await api("unit", "dashboard", "from=2026-05-01&to=2026-04-01");
    expect(dashBad.status).toBe(400);
    expect(dashBad.body.error.details).toEqual([expect.objectContaining({ path: "/to", rule: "range" })]);
    expect((await platform.api("/api/analytics/flags")).status).toBe(401);
  });

  test("the thresholds are the deployment's; one out of range is refused by name", () => {
    expect(flagConfig({})).toEqual({ repeatWins: 3, nonCompetitivePercent: 50, nonCompetitiveMinAwards: 5 });
    expect(flagConfig({ ANALYTICS_FLAG_REPEAT_WINS: "4", ANALYTICS_FLAG_NON_COMPETITIVE_PERCENT: "70" })).toMatchObject({ repeatWins: 4, nonCompetitivePercent: 70 });
    expect(() => flagConfig({ ANALYTICS_FLAG_REPEAT_WINS: "1" })).toThrow("ANALYTICS_FLAG_REPEAT_WINS must be a whole number from 2 to 100");
    expect(() => flagConfig({ ANALYTICS_FLAG_NON_COMPETITIVE_PERCENT: "half" })).toThrow("ANALYTICS_FLAG_NON_COMPETITIVE_PERCENT");
  });

  test("bad input to the flags: reversed and absurd dates, all at once, in zh-CN and en", async () => {
    const res = await api("province", "flags", "from=2026-05-01&to=2026-04-01&region=999999");
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(res.body.error.message).toMatch(/[\u4e00-\u9fff]/);
    expect(res.body.error.details.map((e: { path: string; rule: string }) => `${e.path} ${e.rule}`).sort()).toEqual(["/region tenant", "/to range"]);
    const en = await api("province", "flags", "from=1999-01-01", "en");
    expect(en.body.error.details).toEqual([expect.objectContaining({ path: "/from", rule: "range" })]);
    expect(en.body.error.message).not.toMatch(/[\u4e00-\u9fff]/);
  });
});
