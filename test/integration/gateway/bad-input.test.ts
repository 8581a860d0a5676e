import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import type { Reply } from "../../support/http";

/**
 * Input PostgreSQL or the JSON parser cannot take (NUL, lone surrogates, arrays where a string is
 * meant, absurd page numbers, deep nesting, broken CSV quoting) is the caller's mistake: 400
 * VALIDATION_FAILED in the envelope, never a 500, and nothing written.
 */
describe("bad input is 400 VALIDATION_FAILED, never 500", () => {
  let platform: TestPlatform;
  let admin: string;
  let buyer: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    buyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
  });
  afterAll(() => platform.stop());

  const refused = (res: Reply, path?: string) => {
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "VALIDATION_FAILED", message: expect.any(String) });
    if (path !== undefined) expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
  };
  const count = async (table: string) => Number((await platform.kernel.db.knex(table).count({ n: "*" }))[0].n);

  const LISTS = [
    "/api/registries/purchasers",
    "/api/registries/suppliers",
    "/api/registries/agencies",
    "/api/accounts",
    "/api/instances",
    "/api/supervision/projects",
    "/api/portal/notices",
    "/api/notifications",
    "/api/audit/anchors",
  ];

  test.each([
    ["NUL", "a\u0000b"],
    ["a lone surrogate", "a\ud800b"],
  ])("%s in a JSON string is refused at its field, and nothing is stored", async (_what, bad) => {
    const before = await count("registries_purchasers");
    const res = await platform.api("/api/registries/purchasers", {
      method: "POST",
      token: admin,
      body: { name: "惠州市教育局", budgetCode: "441300101", tenantCode: "441300", unitType: "government-agency", address: bad },
    });
    refused(res, "/address");
    expect(res.body.error.details[0].rule).toBe("text");
    expect(await count("registries_purchasers")).toBe(before);
    // in a key too, and at any depth
    refused(await platform.api("/api/workflows/supervision.intention/instances", { method: "POST", token: buyer, body: { data: { [bad]: 1, nested: [{ x: bad }] } } }));
  });

  test("NUL in a sign-in is refused before the database; a wrong password is still audited", async () => {
    const audited = () => count("core_audit_log");
    const before = await audited();
    const res = await platform.api("/api/auth/login", { method: "POST", body: { username: "huizhou\u0000.buyer", password: "x" } });
    refused(res, "/username");
    expect(res.body.error.message).toMatch(/[\u4e00-\u9fff]/);
    const en = await platform.api("/api/auth/login", { method: "POST", body: { username: "a", password: "\ud800" }, headers: { "accept-language": "en" } });
    refused(en, "/password");
    expect(en.body.error.details[0].message.en).toMatch(/character/);
    expect(en.body.error.message).toMatch(/^[\x20-\x7e]+$/);
    expect(await audited()).toBe(before);
    const wrong = await platform.api("/api/auth/login", { method: "POST", body: { username: "nobody.here", password: "wrong password" } });
    expect(wrong.status).toBe(401);
    expect(await audited()).toBe(before + 1);
  });

  test.each(LISTS)("NUL in the query string of %s is refused", async (list) => {
    refused(await platform.api(`${list}?q=a%00b`, { token: admin }), "/q");
  });

  test.each(LISTS)("q[]=a and q[x]=a on %s are refused, not taken as something else", async (list) => {
    refused(await platform.api(`${list}?q[]=a`, { token: admin }), "/q");
    refused(await platform.api(`${list}?q[x]=a`, { token: admin }), "/q");
    refused(await platform.api(`${list}?status=a&status=b`, { token: admin }), "/status");
  });

  test.each(LISTS)("absurd page numbers on %s are refused; a good one answers", async (list) => {
    for (const page of ["99999999999999999999", "-1", "0", "1.5", "1e400", "NaN", "abc"]) {
      refused(await platform.api(`${list}?page=${page}`, { token: admin }), "/page");
    }
    for (const pageSize of ["0", "-5", "99999999999999999999", "2.5", "Infinity"]) {
      refused(await platform.api(`${list}?pageSize=${pageSize}`, { token: admin }), "/pageSize");
    }
    const ok = await platform.api(`${list}?page=2&pageSize=5`, { token: admin });
    expect(ok.status).toBe(200);
  });

  test("JSON nested 5,000 deep is refused whole, and nothing is stored", async () => {
    const before = await count("core_workflow_instances");
    const deep = "[".repeat(5000) + "]".repeat(5000);
    const res = await platform.api("/api/workflows/supervision.intention/instances", {
      method: "POST",
      token: buyer,
      raw: `{"data":{"projectName":"x","summary":${deep}}}`,
      headers: { "content-type": "application/json" },
    });
    refused(res, "");
    expect(res.body.error.details[0].rule).toBe("depth");
    expect(await count("core_workflow_instances")).toBe(before);
  });
});
