import { isBudgetCode, isDivisionCode, isPhone, isUnifiedSocialCreditCode, usccCheckChar } from "../../../core/forms/formats";
import { checkForm } from "../../../core/forms/validate";

describe("unified social credit codes (GB 32100)", () => {
  test.each(["91440300708461136T", "91330100716105852F", "911100001000044477", "91110000802100433B"])("%s, a published company code, is valid", (code) => {
    expect(isUnifiedSocialCreditCode(code)).toBe(true);
  });

  test("the check character is computed from the first 17 characters", () => {
    expect(usccCheckChar("91440300708461136")).toBe("T");
  });

  test.each([
    ["a wrong check character", "91440300708461136A"],
    ["17 characters", "91440300708461136"],
    ["lower case", "91440300708461136t"],
    ["a letter the standard excludes (I)", "9144030070846113IT"],
    ["a bad registration authority", "Z1440300708461136T"],
  ])("%s is refused", (_case, code) => {
    expect(isUnifiedSocialCreditCode(code)).toBe(false);
  });
});

describe("other domain formats", () => {
  test("budget codes are digits, optionally in levels", () => {
    expect(["441300001", "101.001.002"].every(isBudgetCode)).toBe(true);
    expect(["AB-12", "12", "101..2", ""].some(isBudgetCode)).toBe(false);
  });

  test("division codes are six digits of a real province", () => {
    expect(["440000", "441302", "110000"].every(isDivisionCode)).toBe(true);
    expect(["990000", "44130", "4413021"].some(isDivisionCode)).toBe(false);
  });

  test("phones are mobiles or landlines with area codes", () => {
    expect(["13800138000", "0752-2281234", "02012345678", "020-12345678-801"].every(isPhone)).toBe(true);
    expect(["12345", "23800138000", "2281234"].some(isPhone)).toBe(false);
  });
});

describe("form checks", () => {
  test("report a JSON pointer, the rule and a message in both languages per field", () => {
    const details = checkForm("registries.purchaser", { name: "某单位", budgetCode: "x", tenantCode: "441300", unitType: "government-agency", creditCode: "91440300708461136A", extra: 1 });
    expect(details.map((d) => `${d.path} ${d.rule}`).sort()).toEqual(["/budgetCode format:budget-code", "/creditCode format:uscc", "/extra additionalProperties"]);
    for (const d of details) {
      expect(d.message!["zh-CN"]).toMatch(/[\u4e00-\u9fff]/);
      expect(d.message!.en).toMatch(/[a-z]/);
    }
  });
});
