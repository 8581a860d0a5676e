/**
 * @jest-environment node
 */
import { chineseAmount, normalizeMoneyInput } from "../../web/src/forms/money-text";

describe("amounts in words (人民币大写)", () => {
  test.each([
    ["0", "零元整"],
    ["0.05", "伍分"],
    ["0.5", "伍角"],
    ["1", "壹元整"],
    ["10", "壹拾元整"],
    ["100", "壹佰元整"],
    ["1001", "壹仟零壹元整"],
    ["1234.56", "壹仟贰佰叁拾肆元伍角陆分"],
    ["1200.05", "壹仟贰佰元零伍分"],
    ["100000", "壹拾万元整"],
    ["100001", "壹拾万零壹元整"],
    ["500000", "伍拾万元整"],
    ["10000000000", "壹佰亿元整"],
    ["1000000000001", "壹万亿零壹元整"],
    ["-3.2", "负叁元贰角"],
  ])("%s → %s", (value, words) => {
    expect(chineseAmount(value)).toBe(words);
  });

  test("what is not a money string has no words", () => {
    expect(chineseAmount("12.345")).toBeNull();
    expect(chineseAmount("1e3")).toBeNull();
    expect(chineseAmount("")).toBeNull();
  });
});

describe("money as typed", () => {
  test("full-width digits, separators, the yuan sign and unit become the form's money string", () => {
    expect(normalizeMoneyInput("１，２３４．５６")).toBe("1234.56");
    expect(normalizeMoneyInput("¥ 1,000 元")).toBe("1000");
    expect(normalizeMoneyInput("３。５")).toBe("3.5");
    expect(normalizeMoneyInput("－２")).toBe("-2");
  });

  test("anything else is left for the format check to refuse", () => {
    expect(normalizeMoneyInput("12a")).toBe("12a");
  });
});
