import { startTestPlatform, type TestPlatform } from "../../support/kernel";

// Issue 15, item 3: the roles, their labels and their reach are the plugins' (registries, supervision).
describe("roles come from the installed plugins", () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(() => platform.stop());

  test("GET /api/roles: core's two and each plugin's, with both labels, for anybody", async () => {
    const r = await platform.api("/api/roles");
    expect(r.status).toBe(200);
    expect(r.body.items.map((x: { name: string; plugin: string | null }) => [x.name, x.plugin])).toEqual([
      ["platform-admin", null],
      ["tenant-admin", null],
      ["purchaser", "registries"],
      ["agency", "registries"],
      ["supplier", "registries"],
      ["expert", "registries"],
      ["regulator", "supervision"],
      ["institution", "finance"],
      ["helpdesk-agent", "helpdesk"],
    ]);
    expect(r.body.items.find((x: { name: string }) => x.name === "regulator")).toEqual({ name: "regulator", title: { "zh-CN": "监管部门", en: "regulator" }, plugin: "supervision", oversees: true });
  });

  test("a role no plugin declares is refused with the list, in the caller's language; a declared one is given", async () => {
    const admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    const bad = await platform.api("/api/accounts", { method: "POST", token: admin, headers: { "accept-language": "en" }, body: { username: "bank.clerk", displayName: "某银行", tenantCode: "441300", roles: ["bank"] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: [{ path: "/roles/0", rule: "enum", message: { en: "must be one of: platform-admin, tenant-admin, purchaser, agency, supplier, expert, regulator, institution, helpdesk-agent" } }] });
    const zh = await platform.api("/api/accounts", { method: "POST", token: admin, body: { username: "bank.clerk", displayName: "某银行", tenantCode: "441300", roles: ["bank"] } });
    expect(zh.body.error.message).toMatch(/[\u4e00-\u9fff]/);
    const ok = await platform.api("/api/accounts", { method: "POST", token: admin, body: { username: "hz.reg.2", displayName: "惠州监管二", tenantCode: "441300", roles: ["regulator"] } });
    expect(ok.status).toBe(201);
  });

  test("the sign-in says whether a role oversees the region: a regulator's token does, a purchaser's does not", async () => {
    const regulator = await platform.kernel.identity.tokens.verify(await platform.token({ roles: ["regulator"], tenantCode: "441300" }));
    const buyer = await platform.kernel.identity.tokens.verify(await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" }));
    expect([regulator.oversees, buyer.oversees]).toEqual([true, false]);
  });
});
