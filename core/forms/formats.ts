/**
 * Domain formats shared by the server's ajv and (later) the browser's: pure functions, no Node APIs.
 */

// GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z); the last is a check character.
const USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const USCC_SHAPE = /^[1-9A-HNY][1-9][0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

/** The check character the first 17 characters call for. */
export function usccCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_CHARS.indexOf(first17[i]) * USCC_WEIGHTS[i];
  return USCC_CHARS[(31 - (sum % 31)) % 31];
}

/** 统一社会信用代码: shape and check character. */
export function isUnifiedSocialCreditCode(value: string): boolean {
  return USCC_SHAPE.test(value) && usccCheckChar(value.slice(0, 17)) === value[17];
}

/** 预算单位编码: digits, optionally in dot-separated levels (e.g. 101001 or 101.001.002). */
export function isBudgetCode(value: string): boolean {
  return /^[0-9]{3,20}(\.[0-9]{1,10}){0,5}$/.test(value) && value.length <= 40;
}

/** GB/T 2260 administrative division code: 6 digits, province 11–82. */
export function isDivisionCode(value: string): boolean {
  return /^(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|7[1]|8[1-2])[0-9]{4}$/.test(value);
}

/** Mainland mobile or landline with area code, as Chinese forms accept them. */
export function isPhone(value: string): boolean {
  return /^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?)$/.test(value);
}

export const domainFormats: Record<string, (value: string) => boolean> = {
  "uscc": isUnifiedSocialCreditCode,
  "budget-code": isBudgetCode,
  "division-code": isDivisionCode,
  "phone-cn": isPhone,
};

/** What a person reads when a value is not of its format: plainer than "must match format". */
export const formatMessages: Record<string, { "zh-CN": string; en: string }> = {
  "uscc": { "zh-CN": "统一社会信用代码无效：应为 18 位，且校验位正确", en: "not a valid unified social credit code (18 characters with a correct check character)" },
  "budget-code": { "zh-CN": "预算单位编码应为数字，可用点分级", en: "a budget unit code is digits, optionally in dot-separated levels" },
  "division-code": { "zh-CN": "行政区划代码应为 6 位数字", en: "an administrative division code is 6 digits" },
  "phone-cn": { "zh-CN": "电话号码格式不正确（手机号或带区号的固定电话）", en: "not a valid phone number (mobile, or landline with area code)" },
  "email": { "zh-CN": "电子邮箱格式不正确", en: "not a valid email address" },
  "schedule-time": { "zh-CN": "应为日期（2021-05-01，北京时间零点）或带时区的时间（2021-05-01T08:00:00+08:00）", en: "a date (2021-05-01, midnight China time) or a time with its offset (2021-05-01T08:00:00+08:00)" },
};
