import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";

const PLUGINS = path.resolve(__dirname, "../../fixtures/rollout-plugins");
/** Midnight of a local (UTC+8) date, as the notice's dates mean it. */
const cst = (date: string, time = "00:00:00") => `${date}T${time}+08:00`;

describe("module rollout as the notice sets it", () => {
  let platform: TestPlatform;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    platform = await startTestPlatform({ pluginsDir: PLUGINS });
    const t = (tenantCode: string, roles: string[], unitCode?: string) => platform.token({ tenantCode, roles, unitCode });
    tokens = {
      huizhouPurchaser: await t("441300", ["purchaser"], "441300001"),
      boluoPurchaser: await t("441322", ["purchaser"], "441322001"),
      maomingPurchaser: await t("440900", ["purchaser"], "440900001"),
      maonanPurchaser: await t("440902", ["purchaser"], "440902001"),
      maonanOther: await t("440902", ["purchaser"], "440902002"),
      guangzhouPurchaser: await t("440100", ["purchaser"], "440100001"),
      guangzhouRegulator: await t("440100", ["regulator"]),
      huizhouAdmin: await t("441300", ["tenant-admin"]),
      platformAdmin: await t("440000", ["platform-admin"]),
    };
  });
  afterAll(() => platform.stop());
  afterEach(() => platform.kernel.clock.reset());

  const at = (instant: string) => platform.kernel.clock.travelTo(instant);
  const startTender = (who: string) => platform.api("/api/etrading/tenders", { method: "POST", token: tokens[who], body: {} });
  const legacy = {
    newPlan: (who: string) => platform.api("/api/legacy/plans", { method: "POST", token: tokens[who], body: {} }),
    goOn: (who: string) => platform.api("/api/legacy/plans/p-2020-17/steps", { method: "POST", token: tokens[who], body: {} }),
    look: (who: string) => platform.api("/api/legacy/plans", { token: tokens[who] }),
  };

  test("on 2021-06-01 a Huizhou city purchaser may start a tender, and so may one of its counties", async () => {
    at(cst("2021-06-01", "10:00:00"));
    const res = await startTender("huizhouPurchaser");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ module: "etrading", kind: "create", tenant: "441300" });
    expect((await startTender("boluoPurchaser")).status).toBe(200);
  });

  test("a Maoming county purchaser may not start one until 2021-08-01, and is told when it opens", async () => {
    at(cst("2021-06-01", "10:00:00"));
    expect((await startTender("maomingPurchaser")).status).toBe(200);
    const refused = await startTender("maonanPurchaser");
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({
      code: "MODULE_NOT_ENABLED",
      message: expect.stringContaining("2021-08-01"),
      details: { module: "etrading", tenant: "440902", state: "off", opensAt: new Date(cst("2021-08-01")).toISOString(), reason: "the counties open on their own date; from then on they follow the city" },
    });
    expect(refused.body.error.message).toContain("茂南区");

    at(cst("2021-07-31", "23:59:59"));
    expect((await startTender("maonanPurchaser")).status).toBe(403);
    at(cst("2021-08-01"));
    expect((await startTender("maonanPurchaser")).status).toBe(200);
  });

  test("a city whose finance department has set no date is off, with no opening date", async () => {
    at(cst("2022-01-01"));
    const refused = await platform.api("/api/etrading/tenders", { method: "POST", token: tokens.guangzhouPurchaser, body: {}, headers: { "accept-language": "en" } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.details).toEqual({ module: "etrading", tenant: "440100", state: "off", opensAt: null, reason: "until the city's finance department sets a date" });
    expect(refused.body.error.message).toBe("Project procurement e-trading is off for Guangzhou; this is not possible there now");
    // Off means nothing at all, reads included.
    expect((await platform.api("/api/etrading/tenders", { token: tokens.guangzhouPurchaser })).status).toBe(403);
  });

  test("from 2021-01-01 no new plan goes to the old system, while projects begun in 2020 go on there", async () => {
    at(cst("2020-12-31", "17:00:00"));
    expect((await legacy.newPlan("huizhouPurchaser")).status).toBe(200);

    at(cst("2021-01-02", "09:00:00"));
    const refused = await legacy.newPlan("huizhouPurchaser");
    expect(refused.status).toBe(403);
    // the schedule entry's note says why, in the notice's terms
    expect(refused.body.error.details).toEqual({ module: "legacy", tenant: "441300", state: "sunset", opensAt: null, reason: expect.stringContaining("2021年1月1日起新项目一律在新平台办理") });
    const goOn = await legacy.goOn("huizhouPurchaser");
    expect(goOn.status).toBe(200);
    expect(goOn.body.kind).toBe("continue");
    expect((await legacy.look("huizhouPurchaser")).status).toBe(200);
  });

  test("the base registries are never gated, even before the platform existed", async () => {
    at(cst("2019-01-01"));
    expect((await platform.api("/api/registries/purchasers", { token: tokens.platformAdmin })).status).toBe(200);
    expect((await platform.api("/api/tenants/441300/modules")).status).toBe(200);
  });

  test("each tenant's modules say their state, whose entry decides it, and what changes next", async () => {
    const res = await platform.api(`/api/tenants/440902/modules?at=${encodeURIComponent(cst("2021-06-01"))}`);
    expect(res.status).toBe(200);
    const byModule = Object.fromEntries(res.body.modules.map((m: { module: string }) => [m.module, m]));
    expect(byModule.etrading).toMatchObject({
      state: "off",
      inherited: false,
      source: { tenant: "440902" },
      next: { at: new Date(cst("2021-08-01")).toISOString(), state: "live" },
    });
    expect(byModule.supervision).toMatchObject({ state: "live", inherited: true, source: { tenant: "440000" }, next: null });
    expect(byModule.legacy).toMatchObject({ state: "sunset", inherited: true });
    expect(Object.keys(byModule)).not.toContain("registries");

    const city = await platform.api(`/api/tenants/440900/modules?at=2021-06-01`);
    expect(city.body.modules.find((m: { module: string }) => m.module === "etrading")).toMatchObject({ state: "live", inherited: false, source: { tenant: "440900" } });
  });

  test("a module's timeline for a county shows its own entries and what it inherits", async () => {
    const res = await platform.api("/api/tenants/440902/modules/etrading/timeline");
    expect(res.body.segments).toEqual([
      { from: null, until: new Date(cst("2021-01-01")).toISOString(), state: "off", units: null, source: null, own: false },
      { from: new Date(cst("2021-01-01")).toISOString(), until: new Date(cst("2021-08-01")).toISOString(), state: "off", units: null, source: "440902", own: true },
      { from: new Date(cst("2021-08-01")).toISOString(), until: null, state: "live", units: null, source: "440900", own: false },
    ]);
  });

  test("a pilot admits the listed units only, and a retired module only regulators' reads", async () => {
    at(cst("2030-01-01"));
    // a pilot names registered units of the tenant (issue 13)
    const unit = { name: "茂南区试点单位", budgetCode: "440902001", tenantCode: "440902", unitType: "government-agency" };
    expect((await platform.api("/api/registries/purchasers", { method: "POST", token: tokens.platformAdmin, body: unit })).status).toBe(201);
    const pilot = await platform.api("/api/tenants/440902/modules/etrading", {
      method: "PUT",
      token: tokens.platformAdmin,
      body: { state: "pilot", from: cst("2030-02-01"), until: cst("2030-03-01"), units: ["440902001"] },
    });
    expect(pilot.status).toBe(200);
    at(cst("2030-02-10"));
    expect((await startTender("maonanPurchaser")).status).toBe(200);
    const other = await startTender("maonanOther");
    expect(other.status).toBe(403);
    expect(other.body.error.details).toMatchObject({ state: "pilot", opensAt: new Date(cst("2030-03-01")).toISOString() });

    at(cst("2030-01-01"));
    expect((await platform.api("/api/tenants/440100/modules/etrading", { method: "PUT", token: tokens.platformAdmin, body: { state: "retired", from: cst("2030-04-01") } })).status).toBe(200);
    at(cst("2030-04-02"));
    expect((await platform.api("/api/etrading/tenders", { token: tokens.guangzhouRegulator })).status).toBe(200);
    expect((await platform.api("/api/etrading/tenders", { token: tokens.guangzhouPurchaser })).status).toBe(403);
    expect((await platform.api("/api/etrading/tenders", { method: "POST", token: tokens.guangzhouRegulator, body: {} })).status).toBe(403);
  });

  test("a tenant admin's change takes effect at its instant, and history before it stays as it was", async () => {
    at(cst("2031-01-01"));
    const put = await platform.api("/api/tenants/441322/modules/etrading", { method: "PUT", token: tokens.huizhouAdmin, body: { state: "off", from: cst("2031-02-01"), note: "系统升级" } });
    expect(put.status).toBe(200);
    expect(put.body.now).toMatchObject({ state: "live", next: { at: new Date(cst("2031-02-01")).toISOString(), state: "off" } });
    at(cst("2031-01-31", "23:59:59"));
    expect((await startTender("boluoPurchaser")).status).toBe(200);
    at(cst("2031-02-01"));
    expect((await startTender("boluoPurchaser")).status).toBe(403);
    // Still live in 2021 for Boluo: a change never rewrites what already had effect.
    const past = await platform.api(`/api/tenants/441322/modules?at=2021-06-01`);
    expect(past.body.modules.find((m: { module: string }) => m.module === "etrading").state).toBe("live");
    expect((await platform.api("/api/tenants/441322/modules/etrading", { method: "PUT", token: tokens.huizhouAdmin, body: { state: "live", from: cst("2030-12-31") } })).body.error.details).toEqual([
      expect.objectContaining({ path: "/from", rule: "not-before-now" }),
    ]);
  });

  test("a tenant that does not exist is 404; Shenzhen is 404 with the reason", async () => {
    expect((await platform.api("/api/tenants/449999/modules")).status).toBe(404);
    const shenzhen = await platform.api("/api/tenants/440300/modules", { headers: { "accept-language": "en" } });
    expect(shenzhen.status).toBe(404);
    expect(shenzhen.body.error.message).toBe("Shenzhen runs its own platform and is not on this one");
  });

  test("the tree lists the province, its cities and counties, with Shenzhen marked as not on the platform", async () => {
    const tree = (await platform.api("/api/tenants")).body;
    expect(tree).toMatchObject({ code: "440000", level: "province", onPlatform: true });
    expect(tree.children).toHaveLength(21);
    expect(tree.children.find((c: { code: string }) => c.code === "440300")).toMatchObject({ onPlatform: false, name: { "zh-CN": "深圳市" } });
    const huizhou = tree.children.find((c: { code: string }) => c.code === "441300");
    expect(huizhou.children.map((c: { code: string }) => c.code)).toEqual(["441302", "441303", "441322", "441323", "441324"]);
    // Huizhou's counties make usernames by their own rule; the city itself keeps the old usernames.
    expect(huizhou.children.map((c: { accountRule: string | null }) => c.accountRule)).toEqual(Array(5).fill("{tenant}_{username}"));
    expect(huizhou.accountRule).toBeNull();
    expect(tree.children.find((c: { code: string }) => c.code === "440500").accountRule).toBe("st_{username}");
  });

  test("twenty concurrent changes to one module keep its entries whole and never overlapping", async () => {
    at(cst("2040-01-01"));
    const states = ["live", "off", "sunset", "live"];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        platform.api("/api/tenants/441323/modules/emall", {
          method: "PUT",
          token: tokens.platformAdmin,
          body: { state: states[i % 4], from: `2040-02-${String((i % 9) + 1).padStart(2, "0")}`, until: `2040-03-${String((i % 9) + 10).padStart(2, "0")}` },
        }),
      ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const own = (await platform.api("/api/tenants/441323/modules/emall/timeline")).body.own as Array<{ from: string; until: string | null }>;
    for (let i = 1; i < own.length; i++) expect(new Date(own[i].from).getTime()).toBeGreaterThanOrEqual(new Date(own[i - 1].until!).getTime());
    const audit = await platform.kernel.db.knex("core_audit_log").where({ object: "441323/emall" }).count<{ count: string }[]>("* as count");
    expect(audit[0].count).toBe("20");
  });
});
