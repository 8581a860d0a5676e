import { randomUUID } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { DEFAULT_OCID_PREFIX } from "../../../plugins/analytics/ocds-config";
import { METHOD_MAP, type Method } from "../../../plugins/analytics/services/ocds-builder";
import { localDate } from "../../../core/sdk";
import { poll } from "../../support/http";
import type { TestPlatform } from "../../support/kernel";
import { explain, ocdsValidators } from "./ocds-schemas";
import { announceFact, CONSUMER, get, startAnalyticsPlatform } from "./support";

/**
 * The OCDS feed of a first start with the demo (supervision's projects at every stage, e-trading's
 * tenders), read through HTTP as anybody reads it: every release and record validates against the
 * official schemas, the stages attach to one ocid per project, redelivery writes nothing, bad input
 * is a §7 error. One platform for the file.
 */
describe("the OCDS feed", () => {
  let platform: TestPlatform;
  const v = ocdsValidators();
  const knex = () => platform.kernel.db.knex;
  const ROUTE = "/api/analytics/ocds";
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Release = Record<string, any>;

  const releaseCount = async () => Number((await knex()("analytics_ocds_releases").count({ n: "*" }))[0].n);
  /** Every page of a list, by its cursor. */
  const walk = async (query: string) => {
    const pages: Release[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(platform, `${ROUTE}/releases?${query}${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      pages.push(res.body);
      cursor = res.body.nextCursor;
    } while (cursor && pages.length < 200);
    return pages;
  };

  beforeAll(async () => {
    platform = await startAnalyticsPlatform({ demo: true });
    // every fact the demo's steps announced has been handled (the queue delivers after commit)
    await poll(
      "the demo's facts handled",
      async () => {
        const [sent] = await knex()("core_outbox").where({ event: "analytics.fact" }).count({ n: "*" });
        const [seen] = await knex()("core_event_receipts").where({ consumer: CONSUMER }).count({ n: "*" });
        return { sent: Number(sent.n), seen: Number(seen.n) };
      },
      (c) => c.sent > 0 && c.seen === c.sent,
      60_000,
    );
  }, 180_000);
  afterAll(() => platform?.stop());

  test("every release and record of the demo validates against the official OCDS 1.1.5 schemas, newest first, one ocid per project", async () => {
    const pages = await walk("pageSize=7");
    const releases = pages.flatMap((p) => p.releases as Release[]);
    expect(releases.length).toBe(await releaseCount());
    for (const p of pages) expect({ ok: v.releasePackage(p), errors: explain(v.releasePackage.errors) }).toEqual({ ok: true, errors: [] });
    for (const r of releases) expect({ id: r.id, ok: v.extendedRelease(r), errors: explain(v.extendedRelease.errors) }).toEqual({ id: r.id, ok: true, errors: [] });
    const dates = releases.map((r) => Date.parse(r.date));
    expect(dates).toEqual([...dates].sort((a, b) => b - a));
    // the demo's stages: intentions, filed plans, e-trading's tender notices, an award, a contract, payments
    expect(new Set(releases.flatMap((r) => r.tag))).toEqual(new Set(["planning", "planningUpdate", "tender", "award", "contract", "implementation"]));
    const tenders = releases.filter((r) => r.tag[0] === "tender");
    // the demo's e-trading tenders (plugins/etrading/demo.ts), each method mapped as the reference says
    expect(tenders.length).toBeGreaterThanOrEqual(3);
    for (const r of tenders) {
      const mapping = METHOD_MAP[r.tender.chinaMethod.code as Method];
      expect(r.tender).toMatchObject({ status: "active", procurementMethodDetails: mapping.zh, tenderPeriod: { endDate: expect.any(String) } });
      expect(r.tender.procurementMethod).toBe(mapping.code(r.tender.chinaMethod.invitation));
    }
    expect(releases.every((r) => r.ocid.startsWith(`${DEFAULT_OCID_PREFIX}-`))).toBe(true);

    const ocids = [...new Set(releases.map((r) => r.ocid))];
    const records = await Promise.all(ocids.map((o) => get(platform, `${ROUTE}/records/${o}`)));
    for (const rec of records) {
      expect(rec.status).toBe(200);
      expect({ ok: v.recordPackage(rec.body), errors: explain(v.recordPackage.errors) }).toEqual({ ok: true, errors: [] });
      expect(v.extendedRelease(rec.body.records[0].compiledRelease)).toBe(true);
    }
    // the project paid in full: planning → plan → award → contract → payments, in one record
    const paid = records.map((r) => r.body.records[0]).find((r) => r.releases.filter((x: Release) => x.tag[0] === "implementation").length >= 2);
    expect(paid).toBeDefined();
    const compiled = paid.compiledRelease;
    expect(paid.releases.map((r: Release) => r.tag[0])).toEqual(expect.arrayContaining(["planning", "planningUpdate", "award", "contract", "implementation"]));
    expect(compiled.tag).toEqual(["compiled"]);
    expect(compiled.tender).toMatchObject({ status: "complete", procurementMethod: expect.any(String), procurementMethodDetails: expect.any(String) });
    expect(compiled.awards).toHaveLength(1);
    expect(compiled.contracts).toHaveLength(1);
    const contract = compiled.contracts[0];
    const paidSum = contract.implementation.transactions.reduce((s: number, t: Release) => s + t.value.amount, 0);
    expect(paidSum).toBeCloseTo(contract.value.amount, 2);
    expect(contract.awardID).toBe(compiled.awards[0].id);
    expect(compiled.parties.map((p: Release) => p.roles).flat()).toEqual(expect.arrayContaining(["buyer", "supplier", "payer", "payee"]));
    // every payment names its payee, whichever fact of the project was handled first (the payment carries the supplier's name)
    for (const t of contract.implementation.transactions) expect(t.payee.name).toBe(compiled.awards[0].suppliers[0].name);

    // nothing beyond what the law publishes: no unit's budget code (its accounts' first password), no vouchers or notes
    const text = JSON.stringify(pages);
    for (const code of ["441300401", "441300001", "441300801", "441300901"]) expect(text).not.toContain(code);
    expect(text).not.toMatch(/voucher|budgetCode|ownerUnit|supplierCode/);
  });

  test("a tender, its corrigendum and the award attach to the project's ocid; a redelivered fact publishes nothing new", async () => {
    const projectId = randomUUID();
    const tenderInstance = randomUUID();
    const base = { workflowId: "etrading.public-tender", plugin: "etrading", tenantCode: "440902", state: "published", ownerUnit: "440902301" };
    const tender = { ...base, instanceId: tenderInstance, version: 2, stage: "tender", data: { projectId, title: "茂南区人民医院医疗设备采购", purchaserName: "茂南区人民医院", method: "public-tender", maxPrice: "880000.00", publishedOn: "2026-11-02", bidDeadline: "2026-11-23T09:30:00+08:00" } };
    const before = await releaseCount();
    await announceFact(platform, tender);
    await announceFact(platform, { ...tender }); // the same fact again (a module that retried): same release id
    expect(await releaseCount()).toBe(before + 1);
    await announceFact(platform, { ...tender, version: 3, stage: "tenderAmendment", data: { ...tender.data, bidDeadline: "2026-11-30T09:30:00+08:00", rationale: "延长投标截止时间" } });
    await announceFact(platform, { ...base, instanceId: randomUUID(), version: 5, stage: "award", data: { projectId, method: "public-tender", purchaserName: "茂南区人民医院", supplierName: "广东粤信医疗科技有限公司", amount: "860000.00", awardDate: "2026-12-01" } });
    expect(await releaseCount()).toBe(before + 3);

    const ocid = `${DEFAULT_OCID_PREFIX}-${projectId}`;
    const rec = await get(platform, `${ROUTE}/records/${ocid}`);
    expect(rec.status).toBe(200);
    expect(v.recordPackage(rec.body)).toBe(true);
    const record = rec.body.records[0];
    expect(record.releases.map((r: Release) => r.tag[0])).toEqual(["tender", "tenderAmendment", "award"]);
    expect(record.compiledRelease.tender).toMatchObject({ status: "complete", procurementMethod: "open", procurementMethodDetails: "公开招标", tenderPeriod: { endDate: "2026-11-30T09:30:00+08:00" }, chinaMethod: { code: "public-tender" } });
    expect(record.compiledRelease.awards[0]).toMatchObject({ status: "active", value: { amount: 860000, currency: "CNY" }, suppliers: [{ name: "广东粤信医疗科技有限公司" }] });

    // by region: Maoming holds Maonan's release, Huizhou does not
    const maoming = (await walk("region=440900&pageSize=100")).flatMap((p) => p.releases as Release[]);
    expect(maoming.map((r) => r.ocid)).toEqual([ocid, ocid, ocid]);
    const huizhou = (await walk("region=441300&pageSize=100")).flatMap((p) => p.releases as Release[]);
    expect(huizhou.some((r) => r.ocid === ocid)).toBe(false);
  });

  test("a cancelled draft tender publishes nothing; a cancelled published one is a tenderCancellation", async () => {
    const before = await releaseCount();
    const draft = { workflowId: "etrading.public-tender", plugin: "etrading", tenantCode: "440902", instanceId: randomUUID(), version: 2, stage: "tenderCancellation", data: { projectId: randomUUID() } };
    await announceFact(platform, draft);
    expect(await releaseCount()).toBe(before);
    const projectId = randomUUID();
    const instanceId = randomUUID();
    const base = { workflowId: "etrading.inquiry", plugin: "etrading", tenantCode: "440902", instanceId };
    await announceFact(platform, { ...base, version: 2, stage: "tender", data: { projectId, title: "询价采购", purchaserName: "茂南区人民医院", method: "inquiry", maxPrice: "90000.00", publishedOn: "2026-11-02", bidDeadline: "2026-11-06T09:30:00+08:00" } });
    await announceFact(platform, { ...base, version: 3, stage: "tenderCancellation", data: { projectId } });
    const record = (await get(platform, `${ROUTE}/records/${DEFAULT_OCID_PREFIX}-${projectId}`)).body.records[0];
    expect(record.releases.map((r: Release) => r.tag[0])).toEqual(["tender", "tenderCancellation"]);
    expect(record.compiledRelease.tender).toMatchObject({ status: "cancelled", procurementMethod: "open", procurementMethodDetails: "询价" });
    expect(v.extendedRelease(record.compiledRelease)).toBe(true);
  });

  test("a fact that breaks the contract is let go once, its receipt kept, and publishes nothing", async () => {
    const before = await releaseCount();
    const eventId = await announceFact(platform, { instanceId: randomUUID(), workflowId: "x.y", plugin: "x", tenantCode: "441300", version: 1, stage: "auction", data: { projectId: randomUUID() } });
    expect(await knex()("core_event_receipts").where({ consumer: CONSUMER, event_id: eventId }).first()).toBeDefined();
    expect(await releaseCount()).toBe(before);
  });

  test("a day's bulk file is the day's releases as gzipped JSON Lines, each valid", async () => {
    const today = localDate(new Date());
    const res = await get(platform, `${ROUTE}/bulk/${today}.jsonl.gz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/gzip");
    expect(res.headers.get("content-disposition")).toContain(`ocds-${today}.jsonl.gz`);
    const lines = gunzipSync(res.body).toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const listed = (await walk(`from=${today}&to=${today}&pageSize=100`)).flatMap((p) => p.releases as Release[]);
    expect(lines.length).toBe(listed.length);
    expect(lines.length).toBeGreaterThan(0);
    expect(new Set(lines.map((r) => r.id))).toEqual(new Set(listed.map((r) => r.id)));
    for (const r of lines) expect(v.release(r)).toBe(true);
    // a day without releases is an empty file, not an error
    const empty = await get(platform, `${ROUTE}/bulk/2021-01-01.jsonl.gz`);
    expect(empty.status).toBe(200);
    expect(gunzipSync(empty.body).length).toBe(0);
  });

  test.each([
    ["a day that does not exist", "releases?from=2026-02-30", "/from", "format"],
    ["dates reversed", "releases?from=2026-12-01&to=2026-11-01", "/to", "range"],
    ["an absurd year", "releases?from=1900-01-01", "/from", "range"],
    ["a day far in the future", "releases?to=2999-01-01", "/to", "range"],
    ["an unknown region", "releases?region=999999", "/region", "tenant"],
    ["a cursor it did not hand out", `releases?cursor=${Buffer.from(JSON.stringify(["portal.notices", "2026-01-01T00:00:00.000000Z", randomUUID()])).toString("base64url")}`, "/cursor", "cursor"],
    ["a page size out of range", "releases?pageSize=1000", "/pageSize", "range"],
    ["a bulk file of no date", "bulk/latest.jsonl.gz", "/date", "format"],
    ["a bulk file of a day that does not exist", "bulk/2026-13-01.jsonl.gz", "/date", "format"],
    ["no ocid at all", "records/12345", "/ocid", "format"],
  ])("%s is 400 VALIDATION_FAILED at its parameter, in Chinese or English", async (_case, url, path, rule) => {
    const zh = await get(platform, `${ROUTE}/${url}`);
    expect(zh.status).toBe(400);
    expect(zh.body.error.code).toBe("VALIDATION_FAILED");
    expect(zh.body.error.details).toEqual([expect.objectContaining({ path, rule })]);
    expect(zh.body.error.message).toMatch(/[\u4e00-\u9fff]/);
    const en = await get(platform, `${ROUTE}/${url}`, { "accept-language": "en" });
    expect(en.body.error.message).not.toMatch(/[\u4e00-\u9fff]/);
  });

  test("an ocid of another publisher, or one this platform never published, is 404 saying which", async () => {
    const other = await get(platform, `${ROUTE}/records/ocds-213czf-${randomUUID()}`, { "accept-language": "en" });
    expect(other.status).toBe(404);
    expect(other.body.error).toMatchObject({ code: "NOT_FOUND", details: { reason: "other-publisher", prefix: DEFAULT_OCID_PREFIX } });
    expect(other.body.error.message).toContain(DEFAULT_OCID_PREFIX);
    const unknown = await get(platform, `${ROUTE}/records/${DEFAULT_OCID_PREFIX}-${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: "NOT_FOUND", message: "未找到该开放合同记录", details: { reason: "unknown-ocid" } });
  });

  test("the extension the packages name is served, and its schema is a patch of Tender, Planning and Contract", async () => {
    const pkg = (await get(platform, `${ROUTE}/releases?pageSize=1`)).body;
    expect(pkg.extensions).toEqual([expect.stringMatching(/\/api\/analytics\/ocds\/extension\/extension\.json$/)]);
    const ext = await get(platform, `${ROUTE}/extension/extension.json`);
    expect(ext.status).toBe(200);
    expect(ext.body).toMatchObject({ compatibility: ["1.1"], schemas: ["release-schema.json"] });
    const patch = await get(platform, `${ROUTE}/extension/release-schema.json`);
    expect(Object.keys(patch.body.definitions)).toEqual(expect.arrayContaining(["Tender", "Planning", "Contract"]));
    expect((await get(platform, `${ROUTE}/extension/../../plugin.ts`)).status).toBe(404);
  });
});
