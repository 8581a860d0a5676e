/**
 * Everything that decides whether a form submission is valid, other than the schema itself: the
 * formats a form may name, two keywords, and the ajv options. The server's ajv (./compile.ts) and
 * the browser's (@rjsf/validator-ajv8, built in ./rjsf.ts) are both set up from this module and
 * nothing else, so a payload gets the same verdict on both sides.
 *
 * No Node APIs here and no ajv import at run time: the web app bundles this file.
 */
import { isWorkday } from "chinese-days";
import { compareMoney, isMoney, isUnsignedMoney } from "./money";

export { isMoney, isUnsignedMoney } from "./money";

// ---------------------------------------------------------------------------------------------
// Domain formats

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

/** GB/T 2260 administrative division code: 6 digits, province 11–82. */
export function isDivisionCode(value: string): boolean {
  return /^(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|7[1]|8[1-2])[0-9]{4}$/.test(value);
}

/** Mainland mobile or landline with area code, as Chinese forms accept them. */
export function isPhone(value: string): boolean {
  return /^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?)$/.test(value);
}

// ---------------------------------------------------------------------------------------------
// Dates

/** A calendar month, YYYY-MM (an intention's expected month). */
export function isMonth(value: string): boolean {
  const m = /^(\d{4})-(\d{2})$/.exec(value);
  return !!m && +m[2] >= 1 && +m[2] <= 12;
}

const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const leap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

/** A calendar date, YYYY-MM-DD (RFC 3339 full-date). */
export function isDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const y = +m[1];
  const mo = +m[2];
  const d = +m[3];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= (mo === 2 && leap(y) ? 29 : DAYS[mo]);
}

/** An instant with its offset (RFC 3339 date-time): 2026-11-28T09:30:00+08:00. No leap seconds. */
export function isDateTime(value: string): boolean {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/.exec(value);
  if (!m || !isDate(m[1])) return false;
  if (+m[2] > 23 || +m[3] > 59 || +m[4] > 59) return false;
  return m[7] === undefined || (+m[8] <= 23 && +m[9] <= 59);
}

const workdays = new Map<string, boolean>();
/**
 * A date that is a working day in mainland China: Monday to Friday unless a public holiday, and
 * the weekend days the State Council moves into work (调休), by the calendar of chinese-days
 * (2004 onwards; for a year the State Council has not yet announced, Monday to Friday).
 */
export function isWorkingDay(value: string): boolean {
  if (!isDate(value)) return false;
  let ok = workdays.get(value);
  if (ok === undefined) {
    ok = isWorkday(value);
    if (workdays.size < 20_000) workdays.set(value, ok);
  }
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Other standard formats, defined here rather than taken from ajv-formats: the browser's
// validator bundles ajv-formats 2 and the server has 3, which disagree on date-time.

const EMAIL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;

export function isEmail(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}

/** A web address: http or https, a host, no spaces. */
export function isUrl(value: string): boolean {
  return value.length <= 2048 && /^https?:\/\/[a-z0-9\u00a1-\uffff]([a-z0-9\u00a1-\uffff.-]*[a-z0-9\u00a1-\uffff])?(:\d{1,5})?([/?#][^\s]*)?$/i.test(value);
}

/**
 * An attachment field holds the id of an upload (core/files): a UUID. Whose upload it is, and
 * whether its type and size fit the field's `x-attachment`, only the server can say (core/files/attach.ts).
 */
export function isAttachmentId(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** The domain formats (also known to core's own documents, see ./validate.ts). */
export const domainFormats: Record<string, (value: string) => boolean> = {
  "uscc": isUnifiedSocialCreditCode,
  "division-code": isDivisionCode,
  "phone-cn": isPhone,
  "money": isUnsignedMoney,
  "signed-money": isMoney,
  "working-day": isWorkingDay,
};

/** The formats that are money (a string of yuan); `signed-money` is a form's opt-in to amounts below zero. */
export const MONEY_FORMATS = ["money", "signed-money"] as const;
export const isMoneyFormat = (format: unknown) => (MONEY_FORMATS as readonly unknown[]).includes(format);

/** Every format a form may name; a schema naming any other does not load. */
export const formFormats: Record<string, (value: string) => boolean> = {
  ...domainFormats,
  "date": isDate,
  "month": isMonth,
  "date-time": isDateTime,
  "email": isEmail,
  "url": isUrl,
  "attachment": isAttachmentId,
};

type Message = { "zh-CN": string; en: string };

/** What a person reads when a value is not of its format: plainer than "must match format". */
export const formatMessages: Record<string, Message> = {
  "uscc": { "zh-CN": "统一社会信用代码无效：应为 18 位，且校验位正确", en: "not a valid unified social credit code (18 characters with a correct check character)" },
  "division-code": { "zh-CN": "行政区划代码应为 6 位数字", en: "an administrative division code is 6 digits" },
  "phone-cn": { "zh-CN": "电话号码格式不正确（手机号或带区号的固定电话）", en: "not a valid phone number (mobile, or landline with area code)" },
  "money": { "zh-CN": "金额应为不小于 0 的数字，以元为单位，最多两位小数（如 1234.56）", en: "an amount in yuan, not below zero, with at most two decimals (e.g. 1234.56)" },
  "signed-money": { "zh-CN": "金额应为以元为单位的数字，可为负数，最多两位小数（如 -1234.56）", en: "an amount in yuan, possibly below zero, with at most two decimals (e.g. -1234.56)" },
  "working-day": { "zh-CN": "应为工作日（节假日与周末不可选，调休上班日可选）", en: "must be a working day in mainland China (not a weekend or public holiday, unless a working weekend day)" },
  "date": { "zh-CN": "应为日期，如 2026-11-28", en: "a date, e.g. 2026-11-28" },
  "month": { "zh-CN": "应为年月，如 2027-02", en: "a month, e.g. 2027-02" },
  "date-time": { "zh-CN": "应为带时区的时间，如 2026-11-28T09:30:00+08:00", en: "a time with its offset, e.g. 2026-11-28T09:30:00+08:00" },
  "email": { "zh-CN": "电子邮箱格式不正确", en: "not a valid email address" },
  "url": { "zh-CN": "应为以 http:// 或 https:// 开头的网址", en: "a web address starting with http:// or https://" },
  "attachment": { "zh-CN": "请上传文件", en: "upload a file" },
  "schedule-time": { "zh-CN": "应为日期（2021-05-01，北京时间零点）或带时区的时间（2021-05-01T08:00:00+08:00）", en: "a date (2021-05-01, midnight China time) or a time with its offset (2021-05-01T08:00:00+08:00)" },
};

// ---------------------------------------------------------------------------------------------
// Keywords and options

/** Bounds on a money field, inclusive, as money strings: `{ "format": "money", "minMoney": "0" }`. */
export const MONEY_KEYWORDS = ["minMoney", "maxMoney"] as const;

/**
 * Annotations: the English title and description beside the Chinese ones (`title`, `description`),
 * and what a field's `pattern` asks for in words (`patternMessage`, `patternMessageEn`): a person
 * is never shown the expression itself.
 */
export const ANNOTATION_KEYWORDS = ["titleEn", "descriptionEn", "patternMessage", "patternMessageEn"] as const;

export const moneyBoundMessage = (keyword: string, bound: string): Message =>
  keyword === "minMoney"
    ? bound === "0.01"
      ? { "zh-CN": "金额应大于 0 元", en: "must be more than 0 yuan" }
      : { "zh-CN": `金额不能少于 ${bound} 元`, en: `must be at least ${bound} yuan` }
    : { "zh-CN": `金额不能超过 ${bound} 元`, en: `must be at most ${bound} yuan` };

/**
 * Bounds on a date or a month, inclusive: `{ "format": "date", "notAfter": "today" }` (a payment
 * made), `{ "format": "month", "notBefore": "today" }` (a month still to come, this one included),
 * or a fixed day or month (`"notAfter": "2020-12-31"`). A value is compared at its own precision:
 * a month with the month of the bound.
 */
export const DATE_KEYWORDS = ["notBefore", "notAfter"] as const;

/**
 * An attachment field's limits: `{ "format": "attachment", "x-attachment": { "accept": ["application/pdf"], "maxBytes": 20971520 } }`.
 * `accept` lists types as the bytes are (magic numbers), `image/*` for a family; `maxBytes` is at
 * most FILES_MAX_BYTES. The browser checks both before it uploads, the server when the form is
 * submitted (core/files/attach.ts): a file's type and size are not in the id ajv sees.
 */
export const ATTACHMENT_KEYWORD = "x-attachment";
export interface AttachmentLimits {
  accept?: string[];
  maxBytes?: number;
}
const ATTACHMENT_LIMITS_SCHEMA = {
  type: "object",
  additionalProperties: false,
  properties: {
    accept: { type: "array", minItems: 1, uniqueItems: true, items: { type: "string", pattern: "^[a-z]+/([a-z0-9][a-z0-9.+-]*|\\*)$" } },
    maxBytes: { type: "integer", minimum: 1 },
  },
};

/** Whether a type (as detected) is one an `accept` list names: exactly, or by its family (`image/*`). */
export function acceptsType(accept: string[] | undefined, type: string): boolean {
  if (!accept?.length) return true;
  return accept.some((a) => a === type || (a.endsWith("/*") && type.startsWith(a.slice(0, -1))));
}

// "Today" is the platform's: the server points this at its clock (core/tenancy/clock.ts, which tests
// and the demo move into the past); a browser keeps its own, which is the same day in production.
let clockMs: () => number = () => Date.now();

/** Where today-relative bounds read the time (the kernel gives its clock; last set wins in a process). */
export function setFormClock(nowMs: () => number): void {
  clockMs = nowMs;
}

/** Today in China (UTC+8 all year): what "today" in a form means, whatever the machine's time zone. */
export const formToday = (): string => new Date(clockMs() + 8 * 3600_000).toISOString().slice(0, 10);

const DAY_OR_MONTH = /^\d{4}-\d{2}(-\d{2})?$/;

/** -1, 0 or 1: a date or month against a bound, at the coarser precision of the two; null if the value is neither. */
function compareToBound(value: string, bound: string): number | null {
  if (!DAY_OR_MONTH.test(value)) return null;
  const b = bound === "today" ? formToday() : bound;
  const n = Math.min(value.length, b.length);
  const v = value.slice(0, n);
  const w = b.slice(0, n);
  return v < w ? -1 : v > w ? 1 : 0;
}

/** `format`: the field's (a month is "this month" where a date is "today"). */
export const dateBoundMessage = (keyword: string, bound: string, format?: unknown): Message => {
  const month = format === "month";
  if (bound === "today") {
    if (keyword === "notBefore") return month ? { "zh-CN": "不能早于本月", en: "may not be before this month" } : { "zh-CN": "不能早于今天", en: "may not be before today" };
    return month ? { "zh-CN": "不能晚于本月", en: "may not be after this month" } : { "zh-CN": "不能晚于今天", en: "may not be in the future" };
  }
  return keyword === "notBefore" ? { "zh-CN": `不能早于 ${bound}`, en: `may not be before ${bound}` } : { "zh-CN": `不能晚于 ${bound}`, en: `may not be after ${bound}` };
};

/**
 * The words for a refusal by one of this module's keywords (money or date bounds), from the schema
 * node that holds it; null for any other keyword.
 */
export function boundMessage(keyword: string, node: { [key: string]: unknown } | undefined): Message | null {
  const bound = String(node?.[keyword] ?? "");
  if ((MONEY_KEYWORDS as readonly string[]).includes(keyword)) return moneyBoundMessage(keyword, bound);
  if ((DATE_KEYWORDS as readonly string[]).includes(keyword)) return dateBoundMessage(keyword, bound, node?.format);
  return null;
}

/** The platform's time, as the kernel's clock says (core/calendar's platformNow for plugins' actions). */
export const platformNowMs = (): number => clockMs();

/**
 * What both validators are built with. Only options that change a verdict matter here; the server
 * adds `strict: true` on top (which only refuses sloppy schemas at load).
 *  - allErrors: every field's problem at once, for the form to show them all;
 *  - no coercion, no defaults, no removal: the data is judged as it was sent;
 *  - multipleOfPrecision 8: what rjsf uses;
 *  - verbose: errors carry the rule's value (money bounds name it in the message).
 */
export const FORM_AJV_OPTIONS = {
  allErrors: true,
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
  multipleOfPrecision: 8,
  verbose: true,
  discriminator: false,
  $data: false,
} as const;

/** The part of an ajv instance this module needs: any ajv 8 (the server's or rjsf's) has it. */
export interface VocabularyHost {
  addKeyword(definition: {
    keyword: string;
    type?: "string";
    schemaType?: "string" | "object";
    metaSchema?: object;
    errors?: boolean;
    validate?: (schema: string, data: string, parentSchema?: { [key: string]: unknown }) => boolean;
  }): unknown;
  addFormat(name: string, format: (value: string) => boolean): unknown;
}

/** Adds the form formats and keywords to an ajv 8 instance (the server's, or rjsf's via extenderFn). */
export function addFormVocabulary<A extends VocabularyHost>(ajv: A): A {
  for (const [name, check] of Object.entries(formFormats)) ajv.addFormat(name, check);
  for (const keyword of ANNOTATION_KEYWORDS) ajv.addKeyword({ keyword, schemaType: "string" });
  // checked at submission against the upload itself (core/files/attach.ts); here only its shape
  ajv.addKeyword({ keyword: ATTACHMENT_KEYWORD, schemaType: "object", metaSchema: ATTACHMENT_LIMITS_SCHEMA });
  for (const keyword of MONEY_KEYWORDS) {
    ajv.addKeyword({
      keyword,
      type: "string",
      schemaType: "string",
      metaSchema: { type: "string", pattern: "^-?\\d{1,13}(\\.\\d{1,2})?$" },
      errors: false,
      // Not money of the field's format at all (a "-5" where money cannot go below zero) is the format's error, not this one's.
      validate: (bound, data, parent) => {
        if (!(parent?.format === "signed-money" ? isMoney(data) : isUnsignedMoney(data))) return true;
        return keyword === "minMoney" ? compareMoney(data, bound) >= 0 : compareMoney(data, bound) <= 0;
      },
    });
  }
  for (const keyword of DATE_KEYWORDS) {
    ajv.addKeyword({
      keyword,
      type: "string",
      schemaType: "string",
      metaSchema: { type: "string", pattern: "^(today|\\d{4}-\\d{2}(-\\d{2})?)$" },
      errors: false,
      // Not a date or month at all is the format's error, not this one's.
      validate: (bound, data) => {
        const c = compareToBound(data, bound);
        return c === null || (keyword === "notBefore" ? c >= 0 : c <= 0);
      },
    });
  }
  return ajv;
}
