import path from "node:path";
import type { ErrorDetail } from "../../../core/errors";
import type { JsonObject } from "../../../core/forms/compile";
import { applyOverlay, bothPatterns, checkOverlayShape, compose, type FormDoc, type OverlayDocument } from "../../../core/forms/overlay";
import { compileFormSchema, readFormFiles, servedSchema } from "../../../core/forms/validate";
import { planPayload } from "../../fixtures/forms/plan-payload";

const FIXTURES = path.resolve(__dirname, "../../fixtures/forms");
const { schema, ui } = readFormFiles("fixture.plan", FIXTURES);
const base = (): FormDoc => structuredClone({ schema: servedSchema(schema), ui });

/** What a tenant admin saving `doc` is told: the overlay's own paths and rules. */
function refusal(doc: unknown): Array<[string, string]> {
  const shape = checkOverlayShape(doc);
  const problems: ErrorDetail[] = shape.length ? shape : applyOverlay(base(), doc as OverlayDocument, true);
  return problems.map((p) => [p.path, p.rule]);
}

function tightened(doc: OverlayDocument): FormDoc {
  const form = base();
  expect(applyOverlay(form, doc, true)).toEqual([]);
  return form;
}

const prop = (form: FormDoc, ...names: string[]) => names.reduce<JsonObject>((n, k) => n[k] as JsonObject, form.schema);

describe("an overlay may tighten the form", () => {
  test("a new field of the tenant's own, made required", () => {
    const form = tightened({
      addProperties: { projectCode: { type: "string", title: "项目编号", titleEn: "Project code", pattern: "^HZ[0-9]{6}$" } },
      required: ["projectCode"],
    });
    expect(prop(form, "properties", "projectCode")).toMatchObject({ pattern: "^HZ[0-9]{6}$" });
    expect(form.schema.required).toContain("projectCode");
    // rjsf shows fields in ui:order, which must name every one: the new field comes last.
    expect((form.ui["ui:order"] as string[]).at(-1)).toBe("projectCode");
  });

  test("stricter bounds, lengths, money caps and a second pattern", () => {
    const form = tightened({
      tighten: {
        "/properties/year": { minimum: 2026, maximum: 2030 },
        "/properties/purpose": { minLength: 10, pattern: "采购" },
        "/properties/planNo": { pattern: "^4413" },
        "/properties/items": { maxItems: 300, uniqueItems: true },
        "/properties/items/items/properties/unitPrice": { maxMoney: "500000" },
        "/properties/totalBudget": { minMoney: "100", maxMoney: "50000000" },
      },
    });
    expect(prop(form, "properties", "year")).toMatchObject({ minimum: 2026, maximum: 2030 });
    expect(prop(form, "properties", "planNo").pattern).toBe(bothPatterns("^[0-9]{6}-[0-9]{4}-[0-9]{5}$", "^4413"));
    expect(prop(form, "properties", "totalBudget")).toMatchObject({ minMoney: "100", maxMoney: "50000000" });
  });

  test("fewer choices, and their labels follow them", () => {
    const form = tightened({ tighten: { "/properties/method": { enum: ["inquiry", "public-tender"] } } });
    // in the form's order, with the labels of the values kept
    expect(prop(form, "properties", "method").enum).toEqual(["public-tender", "inquiry"]);
    expect((form.ui.method as JsonObject)["ui:enumNames"]).toEqual(["公开招标", "询价"]);
    expect((form.ui.method as JsonObject)["ui:enumNamesEn"]).toEqual(["Open tender", "Request for quotations"]);
  });

  test("rules on a line of the plan, and a field required there", () => {
    const form = tightened({ tighten: { "/properties/items/items": { required: ["budgetCode", "deliveryDate"] }, "/properties/items/items/properties/deliveryDate": { format: "working-day" } } });
    expect(prop(form, "properties", "items", "items").required).toEqual(expect.arrayContaining(["budgetCode", "deliveryDate", "amount"]));
    expect(prop(form, "properties", "items", "items", "properties", "deliveryDate").format).toBe("working-day");
  });

  test("the result is a schema that refuses what the base form accepted", () => {
    const form = tightened({ tighten: { "/properties/items/items/properties/unitPrice": { maxMoney: "100" } } });
    const validate = compileFormSchema(form.schema, "test");
    expect(validate(planPayload(5))).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ instancePath: "/items/0/unitPrice", keyword: "maxMoney" });
  });
});

describe("an overlay may not loosen the form, and is told where", () => {
  test.each<[string, unknown, Array<[string, string]>]>([
    ["a higher maximum", { tighten: { "/properties/year": { maximum: 2200 } } }, [["/tighten/~1properties~1year/maximum", "loosens"]]],
    ["a lower minimum", { tighten: { "/properties/year": { minimum: 2000 } } }, [["/tighten/~1properties~1year/minimum", "loosens"]]],
    ["longer text", { tighten: { "/properties/purpose": { maxLength: 5000 } } }, [["/tighten/~1properties~1purpose/maxLength", "loosens"]]],
    ["more lines", { tighten: { "/properties/items": { maxItems: 1000 } } }, [["/tighten/~1properties~1items/maxItems", "loosens"]]],
    ["a budget of nothing", { tighten: { "/properties/totalBudget": { minMoney: "0" } } }, [["/tighten/~1properties~1totalBudget/minMoney", "loosens"]]],
    ["a method the law does not have", { tighten: { "/properties/method": { enum: ["public-tender", "auction"] } } }, [["/tighten/~1properties~1method/enum/1", "loosens"]]],
    ["another format", { tighten: { "/properties/expectedStart": { format: "date" } } }, [["/tighten/~1properties~1expectedStart/format", "loosens"]]],
    [
      "a field the form already has, redefined",
      { addProperties: { purpose: { type: "string", title: "用途", titleEn: "Purpose" } } },
      [["/addProperties/purpose", "exists"]],
    ],
    ["unknown fields let in", { additionalProperties: true }, [["/additionalProperties", "overlay-keyword"]]],
    ["unknown fields let in on a line", { tighten: { "/properties/items/items": { additionalProperties: true } } }, [["/tighten/~1properties~1items~1items/additionalProperties", "overlay-keyword"]]],
    ["a rule dropped", { remove: { required: ["planNo"] } }, [["/remove", "overlay-keyword"]]],
    ["a type changed", { tighten: { "/properties/year": { type: "string" } } }, [["/tighten/~1properties~1year/type", "overlay-keyword"]]],
    ["a rule for a field the form does not have", { tighten: { "/properties/discount": { maximum: 5 } } }, [["/tighten/~1properties~1discount", "no-such-field"]]],
    ["a required field the form does not have", { required: ["discount"] }, [["/required/0", "no-such-field"]]],
    ["a rule that does not apply to the field", { tighten: { "/properties/purpose": { maximum: 5 } } }, [["/tighten/~1properties~1purpose/maximum", "not-applicable"]]],
    ["money bounds on a number", { tighten: { "/properties/year": { maxMoney: "5" } } }, [["/tighten/~1properties~1year/maxMoney", "not-applicable"]]],
    ["bounds no value meets", { tighten: { "/properties/year": { minimum: 2050, maximum: 2040 } } }, [["/tighten/~1properties~1year", "impossible"]]],
    ["a pattern that is not one", { tighten: { "/properties/purpose": { pattern: "([" } } }, [["/tighten/~1properties~1purpose/pattern", "pattern"]]],
    [
      "a new field whose object lets anything in",
      { addProperties: { extra: { type: "object", title: "附加", titleEn: "Extra", properties: {} } } },
      [["/addProperties/extra/additionalProperties", "closed-object"]],
    ],
    [
      "a new field with a Chinese title only",
      { addProperties: { projectCode: { type: "string", title: "项目编号" } } },
      [["/addProperties/projectCode/titleEn", "bilingual"]],
    ],
    [
      "a money field as a floating-point number",
      { addProperties: { deposit: { type: "number", format: "money", title: "保证金", titleEn: "Deposit" } } },
      [["/addProperties/deposit/type", "money-is-string"]],
    ],
    ["a label in Chinese only", { ui: { purpose: { "ui:help": "请写明用途" } } }, [["/ui/purpose/ui:helpEn", "bilingual"]]],
  ])("%s", (_case, doc, expected) => {
    expect(refusal(doc)).toEqual(expected);
  });

  test("every refusal says why in both languages", () => {
    const problems = applyOverlay(base(), { tighten: { "/properties/year": { maximum: 2200 } } }, true);
    expect(problems[0].message).toEqual({
      "zh-CN": "不能放宽：当前 maximum 为 2100，覆盖只能降低它",
      en: "would loosen the form: maximum is 2100; an overlay may only lower it",
    });
  });
});

describe("overlays compose from the province down", () => {
  const province: OverlayDocument = { tighten: { "/properties/year": { maximum: 2030 } } };

  test("a city inherits the province's rules and adds its own", () => {
    const { form, problems } = compose(base(), [
      { tenant: "440000", version: 1, document: province },
      { tenant: "441300", version: 2, document: { tighten: { "/properties/year": { maximum: 2028 } } } },
    ]);
    expect(problems).toEqual([]);
    expect(prop(form, "properties", "year").maximum).toBe(2028);
  });

  test("a city's rule the province has since made stricter keeps the stricter one, and says so", () => {
    const { form, problems } = compose(base(), [
      { tenant: "440000", version: 3, document: { tighten: { "/properties/year": { maximum: 2027 } } } },
      { tenant: "441300", version: 2, document: { tighten: { "/properties/year": { maximum: 2028 } } } },
    ]);
    expect(prop(form, "properties", "year").maximum).toBe(2027);
    expect(problems).toEqual([expect.objectContaining({ tenant: "441300", overlayVersion: 2, path: "/tighten/~1properties~1year/maximum", rule: "loosens" })]);
  });

  test("choices narrowed twice are the values both allow", () => {
    const { form } = compose(base(), [
      { tenant: "440000", version: 1, document: { tighten: { "/properties/method": { enum: ["public-tender", "inquiry", "single-source"] } } } },
      { tenant: "441300", version: 1, document: { tighten: { "/properties/method": { enum: ["inquiry", "framework-agreement"] } } } },
    ]);
    expect(prop(form, "properties", "method").enum).toEqual(["inquiry"]);
  });

  test("composing is pure: the same versions give the same schema", () => {
    const chain = [{ tenant: "440000", version: 1, document: province }];
    expect(JSON.stringify(compose(base(), chain).form)).toBe(JSON.stringify(compose(base(), chain).form));
  });
});

describe("two patterns joined", () => {
  test.each([
    ["441300-2027-00017", true],
    ["440100-2027-00017", false],
    ["4413", false],
  ])("%s matches both only when it matches each", (value, ok) => {
    expect(new RegExp(bothPatterns("^[0-9]{6}-[0-9]{4}-[0-9]{5}$", "^4413"), "u").test(value)).toBe(ok);
  });
});

describe("an overlay on a signed-money field", () => {
  const signed = (): FormDoc => ({
    schema: { type: "object", additionalProperties: false, title: "调整", titleEn: "Adjustment", properties: { adjustment: { type: "string", title: "调整金额", titleEn: "Adjustment", format: "signed-money" } } },
    ui: {},
  });

  test("may bound it with minMoney and narrow it to money (never below zero)", () => {
    const form = signed();
    expect(applyOverlay(form, { tighten: { "/properties/adjustment": { minMoney: "-1000.00", format: "money" } } }, true)).toEqual([]);
    expect(form.schema.properties).toMatchObject({ adjustment: { format: "money", minMoney: "-1000.00" } });
  });

  test("may not widen money to signed-money", () => {
    const form = base();
    const problems = applyOverlay(form, { tighten: { "/properties/totalBudget": { format: "signed-money" } } }, true);
    expect(problems.map((p) => p.rule)).toEqual(["loosens"]);
  });
});
