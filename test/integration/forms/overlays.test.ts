import { FormRegistry } from "../../../core/forms/registry";
import { planPayload } from "../../fixtures/forms/plan-payload";
import { FORM_FIXTURES, fixturePlugin, startFormsPlatform, type FormsPlatform } from "./platform";

const PLAN = "/api/forms/fixture.plan";
const overlayOf = (tenant: string) => `${PLAN}/overlays/${tenant}`;

const projectCode = {
  addProperties: { projectCode: { type: "string", title: "项目编号", titleEn: "Project code", pattern: "^[A-Z]{2}[0-9]{6}$" } },
  required: ["projectCode"],
};

describe("forms and tenants' overlays, through the API", () => {
  let p: FormsPlatform;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    p = await startFormsPlatform();
    const t = (tenantCode: string, roles: string[], unitCode?: string) => p.platform.token({ tenantCode, roles, unitCode });
    tokens = {
      platformAdmin: await t("440000", ["platform-admin"]),
      huizhouAdmin: await t("441300", ["tenant-admin"]),
      boluoAdmin: await t("441322", ["tenant-admin"]),
      maomingAdmin: await t("440900", ["tenant-admin"]),
      huizhouPurchaser: await t("441300", ["purchaser"], "441300001"),
    };
  });
  afterAll(() => p.stop());

  const put = (tenant: string, who: string, body: unknown) => p.api(overlayOf(tenant), { method: "PUT", token: tokens[who], body });

  test("the list of forms says what is loaded, with its plugin, title and version", async () => {
    const res = await p.api("/api/forms");
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ id: "fixture.plan", plugin: "fixture", title: { "zh-CN": "政府采购计划备案", en: "Procurement plan filing" }, version: 1 }]);
  });

  test("anybody may read a form: its schema and uiSchema, and the version", async () => {
    const res = await p.api(PLAN);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ formId: "fixture.plan", version: 1, overlays: [], tenant: null, uiSchema: { "ui:order": expect.any(Array) } });
    expect(res.body.schema).toMatchObject({ $schema: "http://json-schema.org/draft-07/schema#", title: "政府采购计划备案", additionalProperties: false });
    expect(res.body.schema.$id).toBeUndefined();
    expect((await p.api("/api/forms/fixture.nothing")).status).toBe(404);
    const v1 = await p.api(`${PLAN}/versions/1`);
    expect(v1.status).toBe(200);
    expect(v1.body).toMatchObject({ formId: "fixture.plan", version: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/), schema: res.body.schema });
    expect((await p.api(`${PLAN}/versions/2`)).status).toBe(404);
  });

  test("Huizhou's administrator tightens the plan form for Huizhou, and its counties and purchasers get it", async () => {
    const res = await put("441300", "huizhouAdmin", {
      ...projectCode,
      tighten: { "/properties/items/items/properties/unitPrice": { maxMoney: "500000" }, "/properties/method": { enum: ["public-tender", "inquiry"] } },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ formId: "fixture.plan", tenant: "441300", version: 1, baseVersion: 1, effective: { version: 1, overlays: [{ tenant: "441300", version: 1 }] } });

    const mine = await p.api(PLAN, { token: tokens.huizhouPurchaser });
    expect(mine.body).toMatchObject({ tenant: "441300", version: 1, overlays: [{ tenant: "441300", version: 1 }] });
    expect(mine.body.schema.required).toContain("projectCode");
    expect(mine.body.schema.properties.method.enum).toEqual(["public-tender", "inquiry"]);
    expect(mine.body.uiSchema.method["ui:enumNamesEn"]).toEqual(["Open tender", "Request for quotations"]);
    const boluo = await p.api(`${PLAN}?tenant=441322`);
    expect(boluo.body.overlays).toEqual([{ tenant: "441300", version: 1 }]);
    // Other cities fill in the base form.
    expect((await p.api(`${PLAN}?tenant=440100`)).body.overlays).toEqual([]);

    // The change is in the audit log, with who made it.
    const audit = await p.platform.kernel.db.knex("core_audit_log").where({ action: "forms.overlay.put", object: "fixture.plan/441300" });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ tenant_code: "441300", before: null, after: { version: 1, baseVersion: 1, document: expect.objectContaining({ required: ["projectCode"] }) } });
    expect(audit[0].actor).toMatchObject({ tenant: "441300", username: expect.any(String) });
  });

  test("an overlay that would loosen the form is refused, naming the overlay's field, and nothing is saved", async () => {
    const res = await put("441322", "boluoAdmin", {
      tighten: { "/properties/year": { maximum: 2200 }, "/properties/method": { enum: ["single-source"] } },
      addProperties: { projectCode: { type: "string", title: "编号", titleEn: "Code" } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    // Checked against what Boluo inherits: the base form with Huizhou's overlay.
    expect(res.body.error.details.map((d: { path: string; rule: string }) => `${d.path} ${d.rule}`).sort()).toEqual([
      "/addProperties/projectCode exists",
      "/tighten/~1properties~1method/enum/0 loosens",
      "/tighten/~1properties~1year/maximum loosens",
    ]);
    expect(res.body.error.details[0].message).toEqual({ "zh-CN": expect.any(String), en: expect.any(String) });

    const opened = await put("441322", "boluoAdmin", { additionalProperties: true });
    expect(opened.status).toBe(400);
    expect(opened.body.error.details).toEqual([expect.objectContaining({ path: "/additionalProperties", rule: "overlay-keyword" })]);

    const overlay = await p.api(overlayOf("441322"), { token: tokens.boluoAdmin });
    expect(overlay.status).toBe(200);
    expect(overlay.body.current).toBeNull();
    expect(await p.platform.kernel.db.knex("core_audit_log").where({ object: "fixture.plan/441322" })).toHaveLength(0);
  });

  test("a county tightens what its city set, within it", async () => {
    const res = await put("441322", "boluoAdmin", { tighten: { "/properties/items/items/properties/unitPrice": { maxMoney: "200000" } } });
    expect(res.status).toBe(200);
    const boluo = await p.api(`${PLAN}?tenant=441322`);
    expect(boluo.body.overlays).toEqual([{ tenant: "441300", version: 1 }, { tenant: "441322", version: 1 }]);
    expect(boluo.body.schema.properties.items.items.properties.unitPrice.maxMoney).toBe("200000");
  });

  test("a tenant administrator may change overlays of their tenant and those below it, nobody else's", async () => {
    const tighten = { tighten: { "/properties/year": { maximum: 2040 } } };
    expect((await put("440100", "huizhouAdmin", tighten)).status).toBe(403);
    expect((await put("440000", "huizhouAdmin", tighten)).status).toBe(403);
    expect((await put("441300", "boluoAdmin", tighten)).status).toBe(403);
    expect((await put("441300", "huizhouPurchaser", tighten)).status).toBe(403);
    expect((await p.api(overlayOf("441300"), { method: "PUT", body: tighten })).status).toBe(401);
    // An overlay of a tenant one cannot administer is not shown either.
    expect((await p.api(overlayOf("440100"), { token: tokens.huizhouAdmin })).status).toBe(404);
    expect((await p.api(overlayOf("441300"), { token: tokens.huizhouPurchaser })).status).toBe(403);
    // A city's administrator may set the overlay of a county of theirs.
    expect((await put("441323", "huizhouAdmin", tighten)).status).toBe(200);
    // Unknown tenants and tenants on a platform of their own.
    expect((await put("999999", "platformAdmin", tighten)).status).toBe(400);
    expect((await put("440300", "platformAdmin", tighten)).status).toBe(404);
  });

  test("the province's overlay reaches every city; a city may not then loosen below it", async () => {
    const res = await put("440000", "platformAdmin", { tighten: { "/properties/year": { maximum: 2030 } } });
    expect(res.status).toBe(200);
    // Huizhou Dong county's own 2040 cap is now looser than the province's: kept out, and said so.
    expect(res.body.descendants).toEqual([{ tenant: "441323", problems: [expect.objectContaining({ path: "/tighten/~1properties~1year/maximum", rule: "loosens" })] }]);
    const huidong = await p.api(`${PLAN}?tenant=441323`);
    expect(huidong.body.schema.properties.year.maximum).toBe(2030);
    expect(huidong.body.overlays).toEqual([{ tenant: "440000", version: 1 }, { tenant: "441300", version: 1 }, { tenant: "441323", version: 1 }]);
    expect((await put("441300", "huizhouAdmin", { ...projectCode, tighten: { "/properties/year": { maximum: 2035 } } })).status).toBe(400);
  });

  test("two administrators editing one overlay: the second is told it changed", async () => {
    const overlay = await p.api(overlayOf("441300"), { token: tokens.huizhouAdmin });
    expect(overlay.body.current.version).toBe(1);
    expect(overlay.body.history).toEqual([expect.objectContaining({ version: 1, baseVersion: 1 })]);
    const first = await put("441300", "huizhouAdmin", { ...projectCode, expectedVersion: 1 });
    expect(first.status).toBe(200);
    expect(first.body.version).toBe(2);
    const second = await put("441300", "huizhouAdmin", { ...projectCode, required: [], expectedVersion: 1 });
    expect(second.status).toBe(409);
    expect(second.body.error.details).toEqual({ currentVersion: 2 });
  });

  test("a submission made before an overlay stays valid under the version it was made under", async () => {
    const plan = { ...planPayload(200), tenantCode: "440900" };
    const before = p.forms.validateSubmission("fixture.plan", "440902", plan);
    expect(before.formRef).toEqual({ formId: "fixture.plan", version: 1, overlays: [{ tenant: "440000", version: 1 }] });

    expect((await put("440900", "maomingAdmin", { ...projectCode, tighten: { "/properties/items/items/properties/unitPrice": { maxMoney: "100" } } })).status).toBe(200);

    // Now the same plan is not valid for a Maonan purchaser...
    let refusal: unknown;
    try {
      p.forms.validateSubmission("fixture.plan", "440902", plan);
    } catch (err) {
      refusal = err;
    }
    const details = (refusal as { data: { details: Array<{ path: string; rule: string }> } }).data.details;
    expect(details.slice(0, 3).map((d) => `${d.path} ${d.rule}`)).toEqual(["/projectCode required", "/items/0/unitPrice maxMoney", "/items/1/unitPrice maxMoney"]);
    const after = p.forms.checkSubmission("fixture.plan", "440902", { ...plan, projectCode: "MM000001" });
    expect(after.formRef.overlays).toEqual([{ tenant: "440000", version: 1 }, { tenant: "440900", version: 1 }]);

    // ...but the one filed before stays valid under its reference, also after a restart.
    await expect(p.forms.validateAgainst(before.formRef, plan)).resolves.toBe(plan);
    await expect(p.forms.validateAgainst(after.formRef, plan)).rejects.toMatchObject({ type: "VALIDATION_FAILED" });
    const restarted = await FormRegistry.open(p.platform.kernel.db.knex, [fixturePlugin], { tree: p.platform.kernel.tenancy.tree, formsDir: FORM_FIXTURES });
    await expect(restarted.validateAgainst(before.formRef, plan)).resolves.toBe(plan);
    await expect(restarted.formOf(before.formRef)).resolves.toMatchObject({ schema: { properties: { year: { maximum: 2030 } } } });
    await expect(restarted.validateAgainst({ ...before.formRef, overlays: [{ tenant: "440000", version: 9 }] }, plan)).rejects.toMatchObject({ type: "NOT_FOUND" });
  });

  test("clearing an overlay is a new version that says nothing", async () => {
    const res = await put("440900", "maomingAdmin", {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ version: 2, effective: { overlays: [{ tenant: "440000", version: 1 }] } });
    expect(p.forms.validateSubmission("fixture.plan", "440902", { ...planPayload(3), tenantCode: "440900" }).formRef.overlays).toEqual([{ tenant: "440000", version: 1 }]);
  });
});
