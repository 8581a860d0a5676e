import { randomUUID } from "node:crypto";
import { enqueue } from "../../../core/events/outbox";
import type { AwardFactData } from "../../../plugins/analytics/api";
import { DEFAULT_OCID_PREFIX } from "../../../plugins/analytics/ocds-config";
import { poll } from "../../support/http";
import type { TestPlatform } from "../../support/kernel";
import { announceFact, startAnalyticsPlatform } from "./support";

/**
 * Print views' documents and their verification codes (plugins/analytics/README.md, "Print and
 * verify"): facts through `analytics.fact`, documents and codes read over HTTP as anybody reads
 * them. One platform for the file (the analytics alone).
 */
describe("printable documents and their verification codes", () => {
  let platform: TestPlatform;
  const knex = () => platform.kernel.db.knex;
  const BUYER = "广州市测试打印中学";
  const SUPPLIER = "广东测试印刷科技有限公司";
  const awarded = randomUUID();
  const paid = randomUUID();
  const ocid = (id: string) => `${DEFAULT_OCID_PREFIX}-${id}`;

  const fact = (projectId: string, stage: string, data: Record<string, unknown>) =>
    announceFact(platform, { instanceId: randomUUID(), workflowId: "test.fact", plugin: "test", tenantCode: "440100", version: 1, stage, data: { projectId, ...data } });
  const doc = (id: string, kind: string, lang?: string) => platform.api(`/api/analytics/documents/${id}/${kind}`, { headers: lang ? { "accept-language": lang } : {} });
  const verify = (code: string, lang?: string) => platform.api(`/api/analytics/verify/${encodeURIComponent(code)}`, { headers: lang ? { "accept-language": lang } : {} });
  const issued = async (code: string) => Number((await knex()("core_audit_log").where({ action: "analytics.document.issued", object: code }).count({ n: "*" }))[0].n);

  beforeAll(async () => {
    platform = await startAnalyticsPlatform();
    for (const id of [awarded, paid]) {
      await fact(id, "plan", { projectName: "教学楼打印设备采购", purchaserName: BUYER, method: "public-tender", total: "1300000.00" });
      await fact(id, "tender", { title: "教学楼打印设备采购", purchaserName: BUYER, method: "public-tender", maxPrice: "1300000.00", publishedOn: "2026-04-01", docsUntil: "2026-04-08", bidDeadline: "2026-04-22" });
      // the award fact as evaluation emits it, typed by the analytics' api.ts: with the bids received
      const award: AwardFactData = { projectId: id, method: "public-tender", purchaserName: BUYER, supplierName: SUPPLIER, amount: "1200000.00", awardDate: "2026-05-06", bidders: 5 };
      await fact(id, "award", { ...award });
    }
    await fact(paid, "contract", { purchaserName: BUYER, supplierName: SUPPLIER, amount: "1200000.00", signedOn: "2026-05-11", filedOn: "2026-05-12", startDate: "2026-05-15", endDate: "2026-12-31" });
    await fact(paid, "payment", { projectName: "教学楼打印设备采购", supplierName: SUPPLIER, amount: "400000.00", paidOn: "2026-06-10" });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  test("an award notice reads the award fact's bidders; its code verifies for anybody, typed loosely; the first print is in the audit chain, a reprint the same code", async () => {
    const res = await doc(ocid(awarded), "award");
    expect(res.status).toBe(200);
    expect(res.body.document).toMatchObject({ kind: "award", ocid: ocid(awarded), tenantCode: "440100", title: "教学楼打印设备采购", buyer: BUYER, supplier: SUPPLIER, amount: "1200000.00", awardDate: "2026-05-06", bidders: 5, method: "公开招标" });
    expect(res.body.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(res.body.verifyUrl).toBe(`https://ccgp-guangdong.gov.cn/verify?code=${res.body.code}`);
    expect(await issued(res.body.code)).toBe(1);

    const again = await doc(ocid(awarded), "award");
    expect(again.body).toMatchObject({ code: res.body.code, hash: res.body.hash, issuedAt: res.body.issuedAt });
    expect(await issued(res.body.code)).toBe(1);

    // as someone types it from paper: lower case, no hyphens, an O for a zero
    const typed = res.body.code.toLowerCase().replace(/-/g, "").replace(/0/g, "o");
    const checked = await verify(typed);
    expect(checked.status).toBe(200);
    expect(checked.body).toMatchObject({ valid: true, current: true, currentCode: null, code: res.body.code, hash: res.body.hash, kind: "award", ocid: ocid(awarded), name: { "zh-CN": "中标（成交）结果公告" } });
    expect(checked.body.document).toEqual(res.body.document);
  });

  test("a payment record's code keeps what it certified after a later payment makes a new version", async () => {
    const first = await doc(ocid(paid), "payments");
    expect(first.status).toBe(200);
    expect(first.body.document).toMatchObject({ contractAmount: "1200000.00", total: "400000.00", payments: [{ date: "2026-06-10", amount: "400000.00", payee: SUPPLIER }] });

    await fact(paid, "payment", { projectName: "教学楼打印设备采购", supplierName: SUPPLIER, amount: "800000.00", paidOn: "2026-09-01" });
    const second = await doc(ocid(paid), "payments");
    expect(second.body.document.total).toBe("1200000.00");
    expect(second.body.code).not.toBe(first.body.code);

    const old = await verify(first.body.code);
    expect(old.body).toMatchObject({ valid: true, current: false, currentCode: second.body.code });
    expect(old.body.document.total).toBe("400000.00");

    const tender = await doc(ocid(paid), "tender");
    expect(tender.body.document).toMatchObject({ kind: "tender", title: "教学楼打印设备采购", buyer: BUYER, method: "公开招标", maxPrice: "1300000.00", publishedOn: "2026-04-01", bidDeadline: "2026-04-22", amendments: 0 });
    expect(tender.body.name).toEqual({ "zh-CN": "采购公告", en: "tender notice" });

    const contract = await doc(ocid(paid), "contract");
    expect(contract.body.document).toMatchObject({ amount: "1200000.00", signedOn: "2026-05-11", filedOn: "2026-05-12", startDate: "2026-05-15", endDate: "2026-12-31", supplier: SUPPLIER });
  });

  test("a payment heard before any fact named the buyer is restated with its payer once one does, so the record names its payer whatever the order (the feed's flake)", async () => {
    const late = randomUUID();
    const payment = randomUUID();
    const contract = randomUUID();
    // the contract is signed first (its event's time is earlier) but its event is heard after the
    // payment's, as two instances' events may be
    let commit!: () => void;
    const held = knex().transaction(async (trx) => {
      await trx.raw("select now()");
      await enqueue(trx, { event: "analytics.fact", key: contract, payload: { instanceId: contract, workflowId: "test.fact", plugin: "test", tenantCode: "440100", version: 1, stage: "contract", data: { projectId: late, purchaserName: BUYER, supplierName: SUPPLIER, amount: "300000.00", signedOn: "2026-05-11", filedOn: "2026-05-12" } } });
      await new Promise<void>((resolve) => (commit = resolve));
    });
    await announceFact(platform, { instanceId: payment, workflowId: "test.fact", plugin: "test", tenantCode: "440100", version: 1, stage: "payment", data: { projectId: late, supplierName: SUPPLIER, amount: "300000.00", paidOn: "2026-07-01" } });
    const before = await platform.api(`/api/analytics/ocds/records/${ocid(late)}`);
    expect(before.body.records[0].compiledRelease.parties.flatMap((p: { roles: string[] }) => p.roles)).toEqual(["supplier", "payee"]);
    commit();
    await held;
    await poll("the contract heard", () => platform.api(`/api/analytics/ocds/records/${ocid(late)}`), (r) => r.body.records[0].releases.length === 3);

    const after = (await platform.api(`/api/analytics/ocds/records/${ocid(late)}`)).body.records[0];
    // the three releases (their order is their dates', which depend on when each was heard)
    expect(after.releases.map((r: { id: string }) => r.id).sort()).toEqual([`contract-${contract}-1`, `payment-${payment}-1`, `payment-${payment}-1-payer`].sort());
    const compiled = after.compiledRelease;
    expect(compiled.parties.flatMap((p: { roles: string[] }) => p.roles).sort()).toEqual(["buyer", "payee", "payer", "procuringEntity", "supplier"]);
    // merged into the one payment, not counted twice
    expect(compiled.contracts[0].implementation.transactions).toEqual([expect.objectContaining({ id: `payment-${payment}`, payer: { id: expect.any(String), name: BUYER }, value: { amount: 300000, currency: "CNY" } })]);

    // a later fact naming the buyer again restates nothing more
    await fact(late, "award", { method: "public-tender", purchaserName: BUYER, supplierName: SUPPLIER, amount: "300000.00", awardDate: "2026-05-06", bidders: 3 });
    const releases = (await platform.api(`/api/analytics/ocds/records/${ocid(late)}`)).body.records[0].releases as Array<{ id: string }>;
    expect(releases.filter((r) => r.id.endsWith("-payer"))).toHaveLength(1);
  });

  test("a stored copy edited in the database no longer verifies", async () => {
    const res = await doc(ocid(awarded), "award");
    const row = await knex()("core_documents").where({ code: res.body.code }).first();
    await knex()("core_documents").where({ code: res.body.code }).update({ content: JSON.stringify({ ...row.content, amount: "120000.00" }) });
    try {
      const checked = await verify(res.body.code);
      expect(checked.status).toBe(200);
      expect(checked.body).toMatchObject({ valid: false, current: false });
    } finally {
      await knex()("core_documents").where({ code: res.body.code }).update({ content: JSON.stringify(row.content) });
    }
  });

  test("bad input: a §7 error for each, in both languages", async () => {
    const kind = await doc(ocid(awarded), "invoice");
    expect(kind.status).toBe(400);
    expect(kind.body.error.details).toEqual([expect.objectContaining({ path: "/kind", rule: "enum", allowed: ["tender", "award", "contract", "payments"] })]);
    expect(kind.body.error.details[0].message).toEqual({ "zh-CN": "文件类型应为 tender、award、contract、payments 之一", en: "the document must be one of tender, award, contract, payments" });

    const format = await doc("not-an-ocid", "award");
    expect(format.status).toBe(400);
    expect(format.body.error.details[0]).toMatchObject({ path: "/ocid", rule: "format" });

    const other = await doc(`ocds-abcdef-${awarded}`, "award", "en");
    expect(other.status).toBe(404);
    expect(other.body.error).toMatchObject({ code: "NOT_FOUND", details: { reason: "other-publisher", prefix: DEFAULT_OCID_PREFIX } });
    expect(other.body.error.message).toContain(DEFAULT_OCID_PREFIX);

    expect((await doc(ocid(randomUUID()), "award")).body.error.details).toEqual({ reason: "unknown-ocid" });

    // awarded, but no contract yet: nothing to print
    const early = await doc(ocid(awarded), "contract");
    expect(early.status).toBe(404);
    expect(early.body.error).toMatchObject({ code: "NOT_FOUND", message: "该项目尚未发布合同公告", details: { reason: "no-document", kind: "contract" } });
    expect((await doc(ocid(awarded), "contract", "en")).body.error.message).toBe("This project has no contract notice yet");

    const bad = await verify("12345");
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({ path: "/code", rule: "format" });
    expect(bad.body.error.details[0].message["zh-CN"]).toContain("验证码应为 16 位字母或数字");

    const unknown = await verify("0000-0000-0000-0000", "en");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: "NOT_FOUND", message: "This platform issued no document with this code", details: { reason: "unknown-code" } });
  });
});
