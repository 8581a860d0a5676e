import { errorSchemaOf, localizeForm } from "../../../core/forms/display";
import { readFormFiles, servedSchema } from "../../../core/forms/validate";

describe("showing a form in one language", () => {
  const { schema, ui } = readFormFiles("registries.purchaser");

  test("in English, titles, descriptions and the uiSchema's text are the English ones", () => {
    const { schema: s, uiSchema: u } = localizeForm(servedSchema(schema), ui, "en");
    const props = s.properties as Record<string, Record<string, unknown>>;
    expect(s.title).toBe("Purchasing unit");
    expect(props.unitType).toMatchObject({ title: "Kind of unit", description: "government agency / public institution / social organisation / state-owned enterprise" });
    expect(props.unitType.titleEn).toBeUndefined();
    expect((u.unitType as Record<string, unknown>)["ui:enumNames"]).toEqual(["Government agency", "Public institution", "Social organisation", "State-owned enterprise"]);
    // Values are data, never translated.
    expect(props.unitType.enum).toEqual(["government-agency", "public-institution", "social-organization", "state-owned-enterprise"]);
  });

  test("in Chinese, the Chinese ones, and the English twins are gone", () => {
    const { schema: s, uiSchema: u } = localizeForm(servedSchema(schema), ui, "zh-CN");
    expect(s.title).toBe("采购人");
    expect(JSON.stringify(s)).not.toContain("titleEn");
    expect((u.unitType as Record<string, unknown>)["ui:enumNamesEn"]).toBeUndefined();
    expect((u.unitType as Record<string, unknown>)["ui:enumNames"]).toEqual(["国家机关", "事业单位", "团体组织", "国有企业"]);
  });
});

describe("the server's details beside their fields", () => {
  test("become rjsf's extraErrors, in the reader's language", () => {
    const details = [
      { path: "/items/3/amount", rule: "format:money", message: { "zh-CN": "金额格式不正确", en: "not an amount" } },
      { path: "/items/3/amount", rule: "maxMoney", message: { "zh-CN": "金额过大", en: "too much" } },
      { path: "/projectCode", rule: "required", message: { "zh-CN": "必填", en: "required" } },
      { path: "/a~1b", rule: "type" },
    ];
    expect(errorSchemaOf(details, "en")).toEqual({
      items: { 3: { amount: { __errors: ["not an amount", "too much"] } } },
      projectCode: { __errors: ["required"] },
      "a/b": { __errors: ["type"] },
    });
  });
});
