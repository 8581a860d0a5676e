import crypto from "node:crypto";
import { canonicalJson, chainHash, contentDigest, GENESIS, jsonDigest, jsonValue, rowHash, type AuditRow, type ChainedContent } from "../../../core/audit/chain";

const sha256 = (s: string | Buffer) => crypto.createHash("sha256").update(s).digest("hex");

describe("the audit chain's canonical JSON and digests", () => {
  test("the same value gives the same text whatever order its keys were built in, at every level", () => {
    const a = { tenant: "441323", module: "emall", units: [{ code: "B", n: 2 }, { n: 1, code: "A" }], when: { until: null, from: "2021-01-01" } };
    const b = { when: { from: "2021-01-01", until: null }, units: [{ n: 2, code: "B" }, { code: "A", n: 1 }], module: "emall", tenant: "441323" };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"module":"emall","tenant":"441323","units":[{"code":"B","n":2},{"code":"A","n":1}],"when":{"from":"2021-01-01","until":null}}');
  });

  test("array order counts, and so does every value", () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: "1" }));
    expect(canonicalJson({ a: null })).not.toBe(canonicalJson({}));
  });

  test("strings and numbers are written as JSON writes them: Chinese text as is, escapes where JSON needs them", () => {
    expect(canonicalJson({ 名称: "惠州市\n\"采购\"", n: 1e21, x: 0.1, neg: -0 })).toBe('{"n":1e+21,"neg":0,"x":0.1,"名称":"惠州市\\n\\"采购\\""}');
  });

  test("a value is digested as the database gives it back: Dates as ISO strings, undefined properties gone", () => {
    const at = new Date("2021-01-01T00:00:00+08:00");
    const written = { from: at, until: undefined, state: "live" };
    const readBack = JSON.parse(JSON.stringify({ from: at.toISOString(), state: "live" }));
    expect(jsonValue(written)).toEqual(readBack);
    expect(jsonDigest(jsonValue(written))).toBe(jsonDigest(readBack));
    expect(jsonDigest(readBack)).toBe(sha256('{"from":"2020-12-31T16:00:00.000Z","state":"live"}'));
  });

  test("no before or after (SQL NULL, JSON null, undefined) digests to null; anything else to a SHA-256", () => {
    expect(jsonDigest(null)).toBeNull();
    expect(jsonDigest(undefined)).toBeNull();
    expect(jsonValue(undefined)).toBeNull();
    expect(jsonDigest({})).toBe(sha256("{}"));
    expect(jsonDigest([])).toBe(sha256("[]"));
    expect(jsonDigest(0)).toBe(sha256("0"));
    expect(jsonDigest({ a: 1 })).not.toBe(jsonDigest({ a: 2 }));
  });

  const content: ChainedContent = {
    seq: 7,
    at: new Date("2026-11-28T02:03:04.567Z"),
    actor: { id: "u1", username: "gzcz01", tenant: "440100" },
    tenantCode: "440100",
    action: "tenancy.schedule.put",
    object: "440100/etrading",
    beforeDigest: jsonDigest([]),
    afterDigest: jsonDigest([{ state: "live" }]),
  };

  test("an entry's digest covers its place, time, actor, tenant, action, object, and before and after", () => {
    const digest = contentDigest(content);
    expect(digest).toBe(
      sha256(
        `{"action":"tenancy.schedule.put","actor":{"id":"u1","tenant":"440100","username":"gzcz01"},"after":"${content.afterDigest}","at":"2026-11-28T02:03:04.567Z","before":"${content.beforeDigest}","object":"440100/etrading","seq":7,"tenant":"440100","v":1}`,
      ),
    );
    const changes: Array<Partial<ChainedContent>> = [
      { seq: 8 },
      { at: new Date(content.at.getTime() + 1) },
      { actor: { id: "u2", username: "gzcz01", tenant: "440100" } },
      { tenantCode: null },
      { action: "tenancy.schedule.delete" },
      { object: "440100/emall" },
      { beforeDigest: null },
      { afterDigest: jsonDigest([{ state: "sunset" }]) },
    ];
    for (const change of changes) expect(contentDigest({ ...content, ...change })).not.toBe(digest);
    expect(contentDigest({ ...content, actor: { username: "gzcz01", tenant: "440100", id: "u1" } })).toBe(digest);
  });

  test("the digest is the canonical JSON of the entry's fields, for any content (quotes, Chinese, no tenant, no before or after)", () => {
    const variants: ChainedContent[] = [
      content,
      { ...content, tenantCode: null, beforeDigest: null, afterDigest: null },
      { ...content, action: 'x."quoted"\\', object: "惠州市/采购\u2028", actor: { z: [1, { b: 2, a: null }], a: "ü" } },
      { ...content, seq: 9_007_199_254_740_991, at: new Date(0), actor: "system" },
    ];
    for (const c of variants) {
      const fields = { v: 1, seq: c.seq, at: c.at.toISOString(), actor: c.actor, tenant: c.tenantCode, action: c.action, object: c.object, before: c.beforeDigest, after: c.afterDigest };
      expect(contentDigest(c)).toBe(sha256(canonicalJson(fields)));
    }
  });

  test("an entry's hash is SHA-256 of the previous hash and its digest, as 64 bytes", () => {
    const digest = contentDigest(content);
    const hash = chainHash(GENESIS, digest);
    expect(hash).toBe(sha256(Buffer.concat([Buffer.alloc(32), Buffer.from(digest, "hex")])));
    expect(chainHash(hash, digest)).not.toBe(hash);
  });

  test("a stored row's hash is recomputed from its columns, as the verifier reads them", () => {
    const before = jsonValue([]);
    const after = jsonValue([{ state: "live" }]);
    const row: AuditRow = {
      id: "12",
      seq: "7",
      at: content.at,
      actor: content.actor,
      tenant_code: "440100",
      action: content.action,
      object: content.object,
      before,
      after,
      prev_hash: GENESIS,
      hash: chainHash(GENESIS, contentDigest(content)),
    };
    expect(rowHash(row)).toBe(row.hash);
    expect(rowHash({ ...row, after: [{ state: "sunset" }] })).not.toBe(row.hash);
    expect(rowHash({ ...row, prev_hash: "1".repeat(64) })).not.toBe(row.hash);
  });
});
