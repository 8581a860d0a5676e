import path from "node:path";
import { randomUUID } from "node:crypto";
import { sealDocument } from "../../../core/sdk";
import { sealAudit } from "../../../core/audit/seal";
import { verifyChain } from "../../../core/audit/verify";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { asSuperuser } from "../audit/support";

const FIXTURE_PLUGINS = path.resolve(__dirname, "../../fixtures/plugins");

/**
 * Core's sealed documents (core/audit/README.md, "Sealed documents"): sealDocument as a plugin calls
 * it, every code answered by the one public route GET /api/verify/:code. Core's own fixture plugins
 * only: the facility knows no plugin.
 */
describe("sealed documents and GET /api/verify/:code", () => {
  let platform: TestPlatform;
  const knex = () => platform.kernel.db.knex;
  const NAME = { "zh-CN": "测试证明", en: "test certificate" };
  const seal = (reference: string, content: unknown, pub = true) => sealDocument(knex(), { issuer: "probe", kind: "certificate", reference, name: NAME, content, public: pub, tenantCode: "441300" });
  const verify = (code: string, lang?: string) => platform.api(`/api/verify/${encodeURIComponent(code)}`, { headers: lang ? { "accept-language": lang } : {} });
  const issued = async (code: string) => Number((await knex()("core_audit_log").where({ action: "probe.document.issued", object: code }).count({ n: "*" }))[0].n);

  beforeAll(async () => {
    platform = await startTestPlatform({ pluginsDir: FIXTURE_PLUGINS });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  test("the same content gives the same code, one audit entry, the first issue date; keys in any order are the same content", async () => {
    const ref = randomUUID();
    const first = await seal(ref, { holder: "惠州市测试单位", amount: "1200.00", lines: [1, 2] });
    expect(first).toMatchObject({ algorithm: "sha256", issuer: "probe", kind: "certificate", reference: ref, current: true, verifyUrl: `/verify?code=${first.code}` });
    expect(first.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    const again = await seal(ref, { lines: [1, 2], amount: "1200.00", holder: "惠州市测试单位" });
    expect(again).toEqual(first);
    expect(await issued(first.code)).toBe(1);

    // typed from paper: lower case, spaces, an O for a zero
    const checked = await verify(first.code.toLowerCase().replace(/-/g, " ").replace(/0/g, "o"));
    expect(checked.status).toBe(200);
    expect(checked.body).toMatchObject({ valid: true, problem: null, current: true, currentCode: null, code: first.code, hash: first.hash, kind: "certificate", name: NAME, issuedAt: first.issuedAt, public: true });
    expect(checked.body.content).toEqual({ holder: "惠州市测试单位", amount: "1200.00", lines: [1, 2] });
    expect(checked.body.proof).toMatchObject({ auditEntry: expect.any(String) });
  });

  test("a new version supersedes: the old code still verifies what it said, not current, naming the current code; sealing the old content again makes it current", async () => {
    const ref = randomUUID();
    const v1 = await seal(ref, { total: "100.00" });
    const v2 = await seal(ref, { total: "250.00" });
    expect(v2.code).not.toBe(v1.code);
    expect(v2.current).toBe(true);
    const old = await verify(v1.code);
    expect(old.body).toMatchObject({ valid: true, current: false, currentCode: v2.code, content: { total: "100.00" } });
    expect((await verify(v2.code)).body).toMatchObject({ valid: true, current: true, currentCode: null });
    // the supersession is in the chain with the new version
    const entry = await knex()("core_audit_log").where({ action: "probe.document.issued", object: v2.code }).first();
    expect(entry.after.supersedes).toEqual([v1.code]);
    // another reference's document is untouched
    const other = await seal(randomUUID(), { total: "100.00", other: true });
    expect((await verify(other.code)).body.current).toBe(true);

    const back = await seal(ref, { total: "100.00" });
    expect(back).toMatchObject({ code: v1.code, current: true, issuedAt: v1.issuedAt });
    expect((await verify(v2.code)).body).toMatchObject({ current: false, currentCode: v1.code });
  });

  test("a document sealed as not public verifies without its content", async () => {
    const sealed = await seal(randomUUID(), { secret: "报价 98,000.00" }, false);
    const res = await verify(sealed.code);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ valid: true, current: true, public: false, hash: sealed.hash, name: NAME });
    expect(res.body).not.toHaveProperty("content");
    expect(JSON.stringify(res.body)).not.toContain("98,000.00");
  });

  test("bad and unknown codes: §7 errors in both languages", async () => {
    const bad = await verify("12345");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "VALIDATION_FAILED" });
    expect(bad.body.error.details[0]).toMatchObject({ path: "/code", rule: "format" });
    const unknown = await verify("0000-0000-0000-0000");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toEqual({ code: "NOT_FOUND", message: "本平台没有出具过该验证码的文件", details: { reason: "unknown-code" } });
    expect((await verify("0000-0000-0000-0000", "en")).body.error.message).toBe("This platform issued no document with this code");
  });

  test("tampering: an edited copy does not verify; an edited copy with a recomputed hash contradicts the chain; forging the chain's entry too breaks the chain", async () => {
    const sealed = await seal(randomUUID(), { amount: "500.00" });
    await sealAudit(knex());
    expect((await verifyChain(knex())).ok).toBe(true);

    await knex()("core_documents").where({ code: sealed.code }).update({ content: JSON.stringify({ amount: "50.00" }) });
    expect((await verify(sealed.code)).body).toMatchObject({ valid: false, problem: "content-changed", current: false });

    // the forger recomputes the hash column too: the audit chain still holds the original hash
    const { documentHash } = await import("../../../core/sdk");
    await knex()("core_documents").where({ code: sealed.code }).update({ hash: documentHash({ amount: "50.00" }) });
    expect((await verify(sealed.code)).body).toMatchObject({ valid: false, problem: "not-in-audit-chain", current: false });

    // and the entry in the chain as well (a superuser past the append-only trigger): the chain breaks there
    const entry = await knex()("core_audit_log").where({ action: "probe.document.issued", object: sealed.code }).first();
    await asSuperuser(knex(), (trx) => trx("core_audit_log").where({ id: entry.id }).update({ after: JSON.stringify({ ...entry.after, hash: documentHash({ amount: "50.00" }) }) }));
    expect((await verify(sealed.code)).body).toMatchObject({ valid: true });
    const chain = await verifyChain(knex());
    expect(chain.ok).toBe(false);
    expect(chain.broken).toMatchObject({ id: String(entry.id), reason: "content" });
  });
});
