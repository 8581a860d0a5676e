import path from "node:path";
import { describe, test, expect, beforeAll, afterAll, afterEach } from "@jest/globals";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { lifecycle, intention, ok, UNITS, type Lifecycle } from "../supervision/support";

/**
 * Issue 13: a tenant admin bound accounts to another city's units (Huizhou's admin to a Maoming
 * hospital), and those accounts then read and moved Maoming's business. A unit code must be a unit
 * in the registries, of the account's region and of the administrator's; and a unit code alone
 * (old data) opens no instance of another region.
 */
describe("the unit of an account is a registered unit of its region and of the administrator's", () => {
  let l: Lifecycle;
  let admin: string;
  const foreign = UNITS.maonanBuyer.budgetCode; // a hospital in Maoming's Maonan district
  const own = UNITS.buyer.budgetCode; // Huizhou's transport bureau
  let n = 0;
  const username = () => `unit-test-${++n}`;

  beforeAll(async () => {
    l = await lifecycle();
    admin = await l.platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
  });
  afterAll(() => l.platform.stop());
  afterEach(() => l.platform.kernel.clock.reset());

  const api = (p: string, init: Parameters<TestPlatform["api"]>[1] = {}) => l.platform.api(p, { token: admin, ...init });
  const accountsNamed = async (name: string) => Number((await l.platform.kernel.db.knex("core_accounts").where({ username: name }).count({ c: "*" }))[0].c);

  test("POST /api/accounts: another city's unit, an unknown unit, or a unit above the account's tenant is refused naming the unit; nothing is written", async () => {
    for (const [tenantCode, unitCode] of [["441300", foreign], ["441300", "441300999"], ["441302", own]]) {
      const name = username();
      const r = await api("/api/accounts", { method: "POST", body: { username: name, displayName: "测试", tenantCode, roles: ["purchaser"], unitCode } });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe("VALIDATION_FAILED");
      expect(r.body.error.details).toEqual([expect.objectContaining({ path: "/unitCode", rule: "unit" })]);
      expect(r.body.error.details[0].message["zh-CN"]).toContain(unitCode);
      expect(await accountsNamed(name)).toBe(0);
    }
    const en = await api("/api/accounts", { method: "POST", body: { username: username(), displayName: "x", tenantCode: "441300", roles: ["purchaser"], unitCode: foreign }});
    expect(en.body.error.details[0].message.en).toBe(`there is no unit ${foreign} in ${l.platform.kernel.identity.tree.get("441300")!.name.en}`);
    // a unit of another region answers exactly like a unit that does not exist
    const missing = await api("/api/accounts", { method: "POST", body: { username: username(), displayName: "x", tenantCode: "441300", roles: ["purchaser"], unitCode: "441300998" }});
    expect(missing.body.error.details[0].message.en.replace("441300998", foreign)).toBe(en.body.error.details[0].message.en);

    const fine = await api("/api/accounts", { method: "POST", body: { username: username(), displayName: "交通局经办人", tenantCode: "441300", roles: ["purchaser"], unitCode: own } });
    expect(fine.status).toBe(201);
    expect(fine.body.account.unitCode).toBe(own);
  });

  test("a platform administrator may bind a unit anywhere, but only one that exists in the account's region", async () => {
    const root = await l.platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    const bad = await api("/api/accounts", { method: "POST", token: root, body: { username: username(), displayName: "x", tenantCode: "441300", roles: ["purchaser"], unitCode: foreign } });
    expect(bad.status).toBe(400);
    const good = await api("/api/accounts", { method: "POST", token: root, body: { username: username(), displayName: "x", tenantCode: "440902", roles: ["purchaser"], unitCode: foreign } });
    expect(good.status).toBe(201);
  });

  test("PATCH /api/accounts/:id to another city's unit is refused and the account is unchanged; its own region's unit or none is fine", async () => {
    const created = ok(await api("/api/accounts", { method: "POST", body: { username: username(), displayName: "x", tenantCode: "441300", roles: ["purchaser"], unitCode: own } }), 201);
    const id = created.account.id as string;
    const r = await api(`/api/accounts/${id}`, { method: "PATCH", body: { unitCode: foreign } });
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual([expect.objectContaining({ path: "/unitCode", rule: "unit" })]);
    const after = ok(await api(`/api/accounts/${id}`));
    expect(after.unitCode).toBe(own);
    expect(after.version).toBe(created.account.version);
    expect(ok(await api(`/api/accounts/${id}`, { method: "PATCH", body: { unitCode: UNITS.otherBuyer.budgetCode } })).unitCode).toBe(UNITS.otherBuyer.budgetCode);
    expect(ok(await api(`/api/accounts/${id}`, { method: "PATCH", body: { unitCode: null } })).unitCode).toBeNull();
  });

  test("POST /api/accounts/import rejects the rows with another region's or an unknown unit, with their line; the others import", async () => {
    const csv = [
      "username,display_name,role,tenant_code,unit_code,budget_code",
      `imp-good,惠州市交通运输局,purchaser,441300,${own},${own}`,
      `imp-foreign,茂南区人民医院,purchaser,441300,${foreign},${foreign}`,
      `imp-unknown,不存在的单位,purchaser,441300,441300997,441300997`,
    ].join("\n");
    const r = await api("/api/accounts/import", { method: "POST", raw: csv, headers: { "content-type": "text/csv" } });
    expect(r.status).toBe(200);
    expect(r.body.created).toBe(1);
    expect(r.body.rejected).toEqual([
      expect.objectContaining({ line: 3, username: "imp-foreign", field: "unit_code" }),
      expect.objectContaining({ line: 4, username: "imp-unknown", field: "unit_code" }),
    ]);
    expect(r.body.rejected[0].reason["zh-CN"]).toContain(foreign);
    expect(await accountsNamed("imp-foreign")).toBe(0);
  });

  test("an account whose unit code is another region's (old data) neither sees nor moves that unit's instances", async () => {
    l.travel("2021-02-01");
    const started = ok(await l.start("maonanBuyer", "supervision.intention", intention({ projectName: "茂南区人民医院医疗设备采购" })), 201);
    const intruder = await l.platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: foreign });
    const call = (p: string, init: Parameters<TestPlatform["api"]>[1] = {}) => l.platform.api(p, { token: intruder, ...init });
    const listed = ok(await call("/api/instances?pageSize=100"));
    expect(listed.items.map((i: { id: string }) => i.id)).not.toContain(started.id);
    expect((await call(`/api/instances/${started.id}`)).status).toBe(404);
    expect((await call(`/api/instances/${started.id}/transitions/withdraw`, { method: "POST", body: {} })).status).toBe(404);
    // the unit's own account, in its own region, still works on it
    expect(ok(await l.call("maonanBuyer", `/api/instances/${started.id}`)).state).toBe("draft");
  });
});

describe("with no plugin providing units (core alone)", () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform({ pluginsDir: path.join(__dirname, "../../fixtures/form-plugins"), formsDir: path.join(__dirname, "../../fixtures/forms") });
  });
  afterAll(() => platform.stop());

  test("no unit code can be checked, so every one is refused, saying why; accounts without a unit are made as before", async () => {
    const root = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    // core alone knows only its own roles: the business roles are the plugins'
    const unknown = await platform.api("/api/accounts", { method: "POST", token: root, body: { username: "core-only", displayName: "x", tenantCode: "441300", roles: ["purchaser"] } });
    expect([unknown.status, unknown.body.error.details]).toEqual([400, [expect.objectContaining({ path: "/roles/0", rule: "enum", message: expect.objectContaining({ en: "must be one of: platform-admin, tenant-admin" }) })]]);
    const r = await platform.api("/api/accounts", { method: "POST", token: root, body: { username: "core-only", displayName: "x", tenantCode: "441300", roles: ["tenant-admin"], unitCode: "441300401" } });
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual([expect.objectContaining({ path: "/unitCode", rule: "unit" })]);
    expect(r.body.error.details[0].message.en).toBe("no registry on this platform can check the unit 441300401");
    const plain = await platform.api("/api/accounts", { method: "POST", token: root, body: { username: "core-only", displayName: "x", tenantCode: "441300", roles: ["tenant-admin"] } });
    expect(plain.status).toBe(201);
  });
});

describe("a pilot's units are registered units of the tenant piloting (PUT /api/tenants/:code/modules/:module)", () => {
  let l: Lifecycle;
  let admin: string;
  beforeAll(async () => {
    l = await lifecycle();
    admin = await l.platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
  });
  afterAll(() => l.platform.stop());

  const pilot = (tenant: string, units: string[]) =>
    l.platform.api(`/api/tenants/${tenant}/modules/emall`, { method: "PUT", token: admin, body: { state: "pilot", from: "2099-01-01", units } });
  const own = (tenant: string) => l.platform.api(`/api/tenants/${tenant}/modules/emall/timeline`).then((r) => r.body.own);

  test("a unit that does not exist, one of another city, or one above the piloting county is refused naming it; nothing is saved", async () => {
    const before = { huizhou: await own("441300"), huicheng: await own("441302") };
    const cases: Array<[string, string[], string[]]> = [
      ["441300", [UNITS.buyer.budgetCode, "441300996"], ["/units/1"]],
      ["441300", [UNITS.maonanBuyer.budgetCode], ["/units/0"]],
      ["441302", [UNITS.buyer.budgetCode], ["/units/0"]],
    ];
    for (const [tenant, units, paths] of cases) {
      const r = await pilot(tenant, units);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe("VALIDATION_FAILED");
      expect(r.body.error.details.map((d: { path: string }) => d.path)).toEqual(paths);
      const named = units[Number(paths[0].split("/")[2])];
      expect(r.body.error.details[0]).toEqual(expect.objectContaining({ rule: "unit" }));
      expect(r.body.error.details[0].message["zh-CN"]).toContain(named);
      expect(r.body.error.details[0].message.en).toContain(named);
    }
    expect({ huizhou: await own("441300"), huicheng: await own("441302") }).toEqual(before);
  });

  test("a pilot of the tenant's own units is saved", async () => {
    const r = await pilot("441300", [UNITS.buyer.budgetCode, UNITS.otherBuyer.budgetCode]);
    expect(r.status).toBe(200);
    expect(r.body.own).toEqual([expect.objectContaining({ state: "pilot", units: [UNITS.buyer.budgetCode, UNITS.otherBuyer.budgetCode] })]);
  });
});
