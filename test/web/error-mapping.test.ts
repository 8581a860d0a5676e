/**
 * @jest-environment node
 */
import { createFormAjv, detailsOf } from "../../core/forms/compile";
import { localizeForm } from "../../core/forms/display";
import {
  fieldIdOf,
  fromClient,
  fromServer,
  propertyToPointer,
  schemaAt,
  stillStanding,
  summarize,
  toErrorSchema,
  valueAt,
  type FieldProblem,
} from "../../web/src/forms/error-mapping";
import { validator } from "../../web/src/forms/validator";
import planSchema from "../fixtures/forms/fixture/fixture.plan.schema.json";
import { planPayload } from "../fixtures/forms/plan-payload";

const { $id: _id, ...schema } = planSchema as Record<string, unknown>;
void _id;
const ui = { "ui:order": ["planNo", "year", "purchaser", "tenantCode", "category", "method", "fundSource", "totalBudget", "expectedStart", "*"] };

const problem = (pointer: string, rule = "x", zh = "错", en = "wrong"): FieldProblem => ({ pointer, rule, message: { "zh-CN": zh, en }, source: "server" });

describe("form errors from the server", () => {
  test("a detail keeps its pointer, rule and both languages", () => {
    expect(fromServer([{ path: "/items/3/amount", rule: "amount", message: { "zh-CN": "应为 数量×单价", en: "must be quantity × unit price" } }])).toEqual([
      { pointer: "/items/3/amount", rule: "amount", message: { "zh-CN": "应为 数量×单价", en: "must be quantity × unit price" }, source: "server" },
    ]);
  });

  test("a detail without a message still says which rule failed, in each language", () => {
    const [p] = fromServer([{ path: "/year", rule: "range" }]);
    expect(p.message["zh-CN"]).toContain("range");
    expect(p.message.en).toContain("range");
  });

  test("a message in one language only is used for both", () => {
    const [p] = fromServer([{ path: "/year", rule: "x", message: { en: "too early" } }]);
    expect(p.message).toEqual({ "zh-CN": "too early", en: "too early" });
  });

  test("each problem sits beside its field, nested through objects and list items", () => {
    const { errorSchema, orphans } = toErrorSchema([problem("/items/3/amount", "amount", "金额不对", "wrong amount"), problem("/purchaser/name")], schema, "zh-CN");
    expect(errorSchema).toEqual({ items: { 3: { amount: { __errors: ["金额不对"] } } }, purchaser: { name: { __errors: ["错"] } } });
    expect(orphans).toEqual([]);
  });

  test("the same message twice at one field is shown once, in the language on screen", () => {
    const { errorSchema } = toErrorSchema([problem("/year"), problem("/year")], schema, "en");
    expect(errorSchema).toEqual({ year: { __errors: ["wrong"] } });
  });

  test("a problem at no field of the form (or of the whole body) is kept for the summary, not dropped", () => {
    const { errorSchema, orphans } = toErrorSchema([problem(""), problem("/approved"), problem("/items/0/nope")], schema, "zh-CN");
    expect(errorSchema).toEqual({});
    expect(orphans.map((o) => o.pointer)).toEqual(["", "/approved", "/items/0/nope"]);
  });

  test("pointers with escaped characters reach their field", () => {
    const odd = { type: "object", properties: { "a/b": { type: "string" }, "c~d": { type: "string" } } };
    expect(schemaAt(odd, "/a~1b")).toEqual({ type: "string" });
    expect(toErrorSchema([problem("/a~1b"), problem("/c~0d")], odd, "en").errorSchema).toEqual({ "a/b": { __errors: ["wrong"] }, "c~d": { __errors: ["wrong"] } });
  });

  test("fields behind a local $ref are found", () => {
    const withRef = { type: "object", definitions: { party: { type: "object", properties: { name: { type: "string" } } } }, properties: { buyer: { $ref: "#/definitions/party" } } };
    expect(schemaAt(withRef, "/buyer/name")).toEqual({ type: "string" });
  });
});

describe("form errors from the browser", () => {
  test("rjsf's property paths become the server's pointers", () => {
    expect(propertyToPointer(".items.3.amount")).toBe("/items/3/amount");
    expect(propertyToPointer("planNo")).toBe("/planNo");
    expect(propertyToPointer("")).toBe("");
    expect(propertyToPointer(".")).toBe("");
  });

  test("the browser's validator and the server's point at the same fields with the same rules", () => {
    const bad = planPayload(5) as Record<string, unknown> & { items: Array<Record<string, unknown>>; purchaser: Record<string, unknown> };
    bad.items[1].amount = "12.345";
    bad.items[2].unitPrice = "-1"; // money is never below zero: the format refuses it
    bad.totalBudget = "0.00"; // a positive amount (minMoney 0.01)
    delete bad.items[3].name;
    bad.purchaser.creditCode = "91440300708461136X";
    bad.expectedStart = "2026-10-01"; // National Day
    delete bad.planNo;
    const client = fromClient(validator.validateFormData(bad, schema as never).errors as never, schema);
    const check = createFormAjv().compile(planSchema);
    expect(check(bad)).toBe(false);
    const serverDetails = detailsOf(check.errors ?? [], { form: true });
    const key = (p: { pointer?: string; path?: string; rule: string }) => `${p.pointer ?? p.path} ${p.rule}`;
    expect(client.map(key).sort()).toEqual(serverDetails.map((d) => key(d)).sort());
    // and with the server's words where the server has its own
    const money = client.find((p) => p.pointer === "/items/1/amount")!;
    expect(money.message).toEqual(serverDetails.find((d) => d.path === "/items/1/amount")!.message);
    expect(client.find((p) => p.pointer === "/items/2/unitPrice")!.rule).toBe("format:money");
    const bound = client.find((p) => p.pointer === "/totalBudget" && p.rule === "minMoney")!;
    expect(bound.message["zh-CN"]).toBe("金额应大于 0 元");
    expect(bound.message.en).toBe("must be more than 0 yuan");
  });

  test("a missing field is named at its own path, in plain words", () => {
    const [p] = fromClient([{ name: "required", property: ".purchaser.name", params: { missingProperty: "name" }, message: "must have required property 'name'" }], schema);
    expect(p.pointer).toBe("/purchaser/name");
    expect(p.message["zh-CN"]).toContain("必填");
    expect(p.message.en).toContain("Required");
  });

  test("an unknown field is named at its own path, as the server does", () => {
    const [p] = fromClient([{ name: "additionalProperties", property: ".items.0", params: { additionalProperty: "approved" }, message: "must NOT have additional properties" }], schema);
    expect(p.pointer).toBe("/items/0/approved");
  });

  test("other rules get the platform's plain words in each language, not ajv's", () => {
    const [p] = fromClient([{ name: "maxLength", property: ".purpose", params: { limit: 2000 }, message: "must NOT have more than 2000 characters", schemaPath: "#/properties/purpose/maxLength" }], schema);
    expect(p.message).toEqual({ "zh-CN": "最多填写 2000 个字", en: "at most 2000 characters" });
  });

  test("the same error reported twice (branches of a schema) is listed once", () => {
    const e = { name: "format", property: ".tenantCode", params: { format: "division-code" }, message: "x" };
    expect(fromClient([e, e], schema)).toHaveLength(1);
  });
});

describe("the summary above the form", () => {
  const zh = localizeForm(schema, ui, "zh-CN");
  const en = localizeForm(schema, ui, "en");

  test("lists problems in the form's order, named by the titles on the way to each field, with the id to focus", () => {
    const items = summarize([problem("/items/3/amount"), problem("/totalBudget"), problem("/purchaser/name"), problem("/planNo")], zh.schema, zh.uiSchema, "zh-CN");
    expect(items.map((i) => i.label)).toEqual(["计划编号", "采购人 › 单位名称", "预算总金额（元）", "采购明细 › 第 4 项 › 金额（元）"]);
    expect(items.map((i) => i.fieldId)).toEqual(["root_planNo", "root_purchaser_name", "root_totalBudget", "root_items_3_amount"]);
    expect(items[3].message).toBe("错");
  });

  test("speaks the language on screen and numbers items as the page asks", () => {
    const [item] = summarize([problem("/items/0/name")], en.schema, en.uiSchema, "en", { itemLabel: (n) => `line ${n}` });
    expect(item.label).toBe("Items › line 1 › Item");
    expect(item.message).toBe("wrong");
  });

  test("list items sort by number, not as text", () => {
    const items = summarize([problem("/items/10/name"), problem("/items/9/name")], zh.schema, zh.uiSchema, "zh-CN");
    expect(items.map((i) => i.pointer)).toEqual(["/items/9/name", "/items/10/name"]);
  });

  test("a problem of the whole body or of an unknown field is listed without a field to focus", () => {
    const items = summarize([problem(""), problem("/approved")], zh.schema, zh.uiSchema, "zh-CN", { formLabel: "本表" });
    expect(items).toEqual([
      { pointer: "", fieldId: null, label: "本表", message: "错" },
      { pointer: "/approved", fieldId: null, label: "approved", message: "错" },
    ]);
  });

  test("field ids follow rjsf's prefix and separator", () => {
    expect(fieldIdOf("/items/3/amount")).toBe("root_items_3_amount");
    expect(fieldIdOf("/items/3/amount", "t_file", "_")).toBe("t_file_items_3_amount");
    expect(fieldIdOf("")).toBe("root");
  });
});

describe("problems as the person edits", () => {
  const before = { year: 2020, items: [{ amount: "1.00" }, { amount: "2.00" }] };

  test("the server's problem at a field goes away when that field changes, the others stay", () => {
    const after = { year: 2020, items: [{ amount: "1.50" }, { amount: "2.00" }] };
    const left = stillStanding([problem("/items/0/amount"), problem("/items/1/amount"), problem("/year")], before, after);
    expect(left.map((p) => p.pointer)).toEqual(["/items/1/amount", "/year"]);
  });

  test("a change inside a group clears the group's problem", () => {
    const after = { year: 2020, items: [{ amount: "1.00" }] };
    expect(stillStanding([problem("/items")], before, after)).toEqual([]);
  });

  test("the browser's own problems are left to validation unless asked", () => {
    const mine: FieldProblem = { ...problem("/year"), source: "client" };
    expect(stillStanding([mine], before, { ...before, year: 2021 })).toEqual([mine]);
    expect(stillStanding([mine], before, { ...before, year: 2021 }, ["client"])).toEqual([]);
  });

  test("values are read at pointers through objects and lists", () => {
    expect(valueAt(before, "/items/1/amount")).toBe("2.00");
    expect(valueAt(before, "/items/5/amount")).toBeUndefined();
    expect(valueAt(before, "")).toBe(before);
  });
});
