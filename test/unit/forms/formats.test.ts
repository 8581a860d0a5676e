import {
  formFormats,
  isDate,
  isDateTime,
  isDivisionCode,
  isEmail,
  isPhone,
  isUnifiedSocialCreditCode,
  isUrl,
  isWorkingDay,
  isMonth,
  setFormClock,
  usccCheckChar,
} from "../../../core/forms/formats";
import { compareMoney, isMoney, money, sumMoney, toMoney } from "../../../core/forms/money";
import { checkForm } from "../../../core/forms/validate";
import { createFormAjv, detailsOf, lintSchema } from "../../../core/forms/compile";

describe("unified social credit codes (GB 32100)", () => {
  test.each(["91440300708461136T", "91330100716105852F", "911100001000044477", "91110000802100433B"])("%s, a published company code, is valid", (code) => {
    expect(isUnifiedSocialCreditCode(code)).toBe(true);
  });

  test("the check character is computed from the first 17 characters", () => {
    expect(usccCheckChar("91440300708461136")).toBe("T");
    expect(usccCheckChar("91330100716105852")).toBe("F");
    expect(usccCheckChar("91110000100004447")).toBe("7");
    expect(usccCheckChar("91110000802100433")).toBe("B");
  });

  test.each([
    ["a wrong check character", "91440300708461136A"],
    ["one digit mistyped (the check character no longer fits)", "91440300708461186T"],
    ["two digits swapped", "91440300708416136T"],
    ["17 characters", "91440300708461136"],
    ["19 characters", "91440300708461136TT"],
    ["lower case", "91440300708461136t"],
    ["a letter the standard excludes (I)", "9144030070846113IT"],
    ["a bad registration authority", "Z1440300708461136T"],
    ["spaces around it", " 91440300708461136T"],
  ])("%s is refused", (_case, code) => {
    expect(isUnifiedSocialCreditCode(code)).toBe(false);
  });
});

describe("money: yuan as a string with at most two decimals", () => {
  test.each(["0", "0.5", "1234.56", "-10.00", "9999999999999.99", "007"])("%s is an amount", (v) => expect(isMoney(v)).toBe(true));
  test.each([
    ["three decimals", "1.234"],
    ["an exponent", "1e3"],
    ["thousands separators", "1,000.00"],
    ["14 integer digits", "12345678901234"],
    ["a trailing point", "1."],
    ["no integer part", ".5"],
    ["a plus sign", "+1"],
    ["spaces", " 1"],
    ["a currency sign", "¥12"],
    ["nothing", ""],
  ])("%s is refused", (_case, v) => expect(isMoney(v)).toBe(false));

  test("sums are exact: 0.1 + 0.2 is 0.30, and 200 lines add up to the fen", () => {
    expect(toMoney(sumMoney(["0.1", "0.2"]))).toBe("0.30");
    expect(toMoney(sumMoney(Array.from({ length: 200 }, () => "0.01")))).toBe("2.00");
    expect(toMoney(sumMoney(["9999999999999.99", "-9999999999999.98"]))).toBe("0.01");
  });

  test("comparing by the digits agrees with decimal arithmetic, signs, zeros and leading zeros included", () => {
    const samples = ["0", "-0", "0.00", "-0.01", "0.01", "007", "7.00", "7.1", "7.10", "-7.1", "10", "9.99", "-10", "-9.99", "9999999999999.99", "-9999999999999.99", "100.5", "100.05"];
    for (const a of samples) for (const b of samples) expect([a, b, compareMoney(a, b)]).toEqual([a, b, money(a).comparedTo(money(b))]);
  });

  test("comparisons are exact, and a number is never taken for money", () => {
    expect(compareMoney("10.10", "10.1")).toBe(0);
    expect(compareMoney("-1", "0")).toBe(-1);
    expect(() => money(1.5 as unknown as string)).toThrow(TypeError);
    expect(() => toMoney("12345678901234")).toThrow(RangeError);
    expect(toMoney("-0.001")).toBe("0.00");
  });
});

describe("working days in mainland China", () => {
  test.each([
    ["an ordinary Tuesday", "2026-12-01"],
    ["a Sunday moved into work for National Day 2026 (调休)", "2026-09-20"],
    ["a Sunday moved into work for National Day 2025", "2025-09-28"],
    ["a Saturday moved into work for National Day 2025", "2025-10-11"],
    ["a Saturday moved into work for the Spring Festival 2026", "2026-02-14"],
  ])("%s, %s, is a working day", (_case, d) => expect(isWorkingDay(d)).toBe(true));

  test.each([
    ["National Day", "2026-10-01"],
    ["a Saturday in the National Day holiday", "2026-10-03"],
    ["an ordinary Sunday", "2025-10-12"],
    ["the Spring Festival", "2026-02-17"],
    ["New Year's Day", "2026-01-01"],
    ["a day that does not exist", "2026-02-30"],
    ["month 13", "2026-13-01"],
    ["no dashes", "20261201"],
    ["a time with it", "2026-12-01T09:00:00+08:00"],
  ])("%s, %s, is refused", (_case, d) => expect(isWorkingDay(d)).toBe(false));
});

describe("other domain formats", () => {
  test("a budget code is no format of core's: the forms that hold one say its shape (a pattern with its message)", () => {
    const ok = (budgetCode: string) => checkForm("registries.purchaser", { name: "某单位", budgetCode, tenantCode: "441300", unitType: "government-agency" });
    expect(["441300001", "101.001.002"].map((c) => ok(c).length)).toEqual([0, 0]);
    for (const bad of ["AB-12", "12", "101..2"]) {
      expect(ok(bad)).toEqual([expect.objectContaining({ path: "/budgetCode", rule: "pattern", message: { "zh-CN": "预算单位编码应为数字，可用点分级", en: "a budget unit code is digits, optionally in dot-separated levels" } })]);
    }
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

describe("standard formats, defined once for browser and server", () => {
  test("dates are real calendar dates", () => {
    expect(["2024-02-29", "2026-12-31"].every(isDate)).toBe(true);
    expect(["2026-02-29", "1900-02-29", "2026-04-31", "2026-1-1"].some(isDate)).toBe(false);
  });

  test("times carry their offset", () => {
    expect(["2026-11-28T09:30:00+08:00", "2026-11-28T01:30:00.123Z"].every(isDateTime)).toBe(true);
    expect(["2026-11-28T09:30:00", "2026-11-28 09:30:00+08:00", "2026-11-28T24:00:00Z", "2026-11-28T09:30:60Z"].some(isDateTime)).toBe(false);
  });

  test("emails and web addresses", () => {
    expect(["li.ming@hz.gov.cn", "a+b@example.com"].every(isEmail)).toBe(true);
    expect(["li.ming@", "@hz.gov.cn", "li ming@hz.gov.cn"].some(isEmail)).toBe(false);
    expect(["https://ccgp-guangdong.gov.cn/notice?id=1", "http://127.0.0.1:8080/"].every(isUrl)).toBe(true);
    expect(["ftp://example.com", "https://", "javascript:alert(1)", "https://a b.cn"].some(isUrl)).toBe(false);
  });

  test("every format a form may name is one of these", () => {
    expect(Object.keys(formFormats).sort()).toEqual(["attachment", "date", "date-time", "division-code", "email", "money", "month", "phone-cn", "signed-money", "url", "uscc", "working-day"]);
  });
});

describe("form checks", () => {
  test("report a JSON pointer, the rule and a message in both languages per field", () => {
    const details = checkForm("registries.purchaser", { name: "某单位", budgetCode: "x", tenantCode: "441300", unitType: "government-agency", creditCode: "91440300708461136A", extra: 1 });
    expect(details.map((d) => `${d.path} ${d.rule}`).sort()).toEqual(["/budgetCode pattern", "/creditCode format:uscc", "/extra additionalProperties"]);
    for (const d of details) {
      expect(d.message!["zh-CN"]).toMatch(/[\u4e00-\u9fff]/);
      expect(d.message!.en).toMatch(/[a-z]/);
    }
  });

  test("a missing field is reported at its own path, where the form shows it", () => {
    const details = checkForm("registries.purchaser", { name: "某单位", tenantCode: "441300", unitType: "government-agency" });
    // the field is named by where the message sits, never by its programme name
    expect(details).toEqual([{ path: "/budgetCode", rule: "required", message: { "zh-CN": "必填项，请填写", en: "Required: please fill this in" } }]);
  });
});

describe("money in a form is not below zero unless the form says signed-money; positive amounts say minMoney 0.01", () => {
  const check = createFormAjv().compile({
    type: "object",
    additionalProperties: false,
    properties: {
      paid: { type: "string", format: "money" },
      budget: { type: "string", format: "money", minMoney: "0.01" },
      adjustment: { type: "string", format: "signed-money" },
    },
  });
  const rules = (data: object) => (check(data) ? [] : detailsOf(check.errors ?? [], { form: true }).map((d) => `${d.path} ${d.rule}`));

  test.each(["-100000.00", "-0", "-0.00", "-0.01"])("%s is refused as money", (v) => {
    expect(formFormats.money(v)).toBe(false);
    expect(rules({ paid: v })).toEqual(["/paid format:money"]);
  });
  test.each(["0", "0.00", "12.5", "9999999999999.99"])("%s is money", (v) => expect(rules({ paid: v })).toEqual([]));
  test.each(["0", "0.00", "-0"])("a positive amount refuses %s", (v) => expect(rules({ budget: v }).length).toBeGreaterThan(0));
  test("a positive amount takes a fen; signed-money takes a negative", () => {
    expect(rules({ budget: "0.01", adjustment: "-250.00" })).toEqual([]);
    expect(rules({ adjustment: "-0.001" })).toEqual(["/adjustment format:signed-money"]);
  });
});

describe("dates and months against the platform's today (China time)", () => {
  const check = createFormAjv().compile({
    type: "object",
    additionalProperties: false,
    properties: {
      paidOn: { type: "string", format: "date", notAfter: "today" },
      expectedMonth: { type: "string", format: "month", notBefore: "today" },
      startedOn: { type: "string", format: "date", notAfter: "2020-12-31" },
    },
  });
  const details = (data: object) => (check(data) ? [] : detailsOf(check.errors ?? [], { form: true }));
  // 2021-03-31T17:00Z is already 2021-04-01 in China
  beforeAll(() => setFormClock(() => Date.parse("2021-03-31T17:00:00Z")));
  afterAll(() => setFormClock(() => Date.now()));

  test("months are YYYY-MM", () => {
    expect(["2021-04", "1999-12"].every(isMonth)).toBe(true);
    expect(["2021-13", "2021-4", "2021-04-01", "202104"].some(isMonth)).toBe(false);
  });
  test("a payment date after today is refused; today and before are taken", () => {
    expect(details({ paidOn: "2021-04-01" })).toEqual([]);
    expect(details({ paidOn: "2021-03-01" })).toEqual([]);
    const [d] = details({ paidOn: "2021-04-02" });
    expect(d).toMatchObject({ path: "/paidOn", rule: "notAfter" });
  });
  test("an expected month before this month is refused; this month and later are taken", () => {
    expect(details({ expectedMonth: "2021-04" })).toEqual([]);
    expect(details({ expectedMonth: "2022-01" })).toEqual([]);
    expect(details({ expectedMonth: "2021-03" })).toEqual([expect.objectContaining({ path: "/expectedMonth", rule: "notBefore" })]);
  });
  test("a fixed bound", () => {
    expect(details({ startedOn: "2020-12-31" })).toEqual([]);
    expect(details({ startedOn: "2021-01-01" })).toEqual([expect.objectContaining({ path: "/startedOn", rule: "notAfter" })]);
  });
});

describe("the rules a form schema follows about money and date bounds", () => {
  const lint = (properties: Record<string, unknown>) => lintSchema({ type: "object", additionalProperties: false, properties }).map((p) => `${p.path} ${p.rule}`);

  test("a signed-money field is money: a string, bounded by minMoney/maxMoney", () => {
    expect(lint({ refund: { type: "string", format: "signed-money", minMoney: "-500.00" } })).toEqual([]);
    expect(lint({ refund: { type: "number", format: "signed-money" } })).toEqual(["/properties/refund/type money-is-string"]);
  });

  test("notBefore/notAfter bound dates and months only", () => {
    expect(lint({ paidOn: { type: "string", format: "date", notAfter: "today" }, month: { type: "string", format: "month", notBefore: "today" } })).toEqual([]);
    expect(lint({ note: { type: "string", notAfter: "today" } })).toEqual(["/properties/note/notAfter date-bound"]);
  });
});
