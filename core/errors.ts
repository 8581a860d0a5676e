import { Errors } from "moleculer";

/**
 * The error envelope of DESIGN.md §7. Every failure that reaches a caller is one of these codes;
 * the gateway turns anything else into INTERNAL_ERROR without leaking its text.
 */
export const errorStatus = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  // Sign-in: the same answer whether the username exists or the password is wrong.
  INVALID_CREDENTIALS: 401,
  // The right first (or one-time) password, after its expiry: an administrator must reset it.
  PASSWORD_EXPIRED: 401,
  PASSWORD_CHANGE_REQUIRED: 403,
  FORBIDDEN: 403,
  MODULE_NOT_ENABLED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  DEADLINE_PASSED: 409,
  // Not in DESIGN.md §7's list: an oversized body is neither bad data nor a missing route, and
  // HTTP has a status for exactly this, which clients and proxies understand.
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  ACCOUNT_LOCKED: 429,
  INTERNAL_ERROR: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;
export type Lang = "zh-CN" | "en";
export type Localized = Record<Lang, string>;

export interface ErrorDetail {
  /** JSON pointer to the offending field ("" for the whole body). */
  path: string;
  /** The rule that failed: "required", "format", "json", "unique", ... */
  rule: string;
  message?: Localized;
  [extra: string]: unknown;
}

/** One field's problem, in both languages: what a form shows beside the field. */
export const fieldError = (path: string, rule: string, zh: string, en: string): ErrorDetail => ({ path, rule, message: { "zh-CN": zh, en } });

interface PlatformErrorData {
  messages: Localized;
  details?: unknown;
}

/**
 * Extends MoleculerError so that code, type and data survive the trip over NATS: Moleculer
 * serialises exactly those fields, and the gateway rebuilds the envelope from them.
 */
export class PlatformError extends Errors.MoleculerError {
  constructor(code: ErrorCode, messages: Localized, details?: unknown) {
    super(messages.en, errorStatus[code], code, { messages, details } satisfies PlatformErrorData);
    this.name = "PlatformError";
  }
}

export const validationFailed = (details: ErrorDetail[], messages?: Localized) =>
  new PlatformError(
    "VALIDATION_FAILED",
    messages ?? { "zh-CN": "提交的数据未通过校验", en: "The submitted data is not valid" },
    details,
  );

export const notFound = (what: Localized = { "zh-CN": "对象", en: "object" }) =>
  new PlatformError("NOT_FOUND", {
    "zh-CN": `未找到该${what["zh-CN"]}`,
    en: `No such ${what.en}`,
  });

export const forbidden = () =>
  new PlatformError("FORBIDDEN", { "zh-CN": "无权执行此操作", en: "You are not allowed to do this" });

export const unauthenticated = () =>
  new PlatformError("UNAUTHENTICATED", {
    "zh-CN": "请先登录",
    en: "Sign-in required",
  });

export const passwordChangeRequired = () =>
  new PlatformError("PASSWORD_CHANGE_REQUIRED", {
    "zh-CN": "请先修改初始密码，再进行其他操作",
    en: "Change your first password before doing anything else",
  });

export const conflict = (messages: Localized, details?: unknown) => new PlatformError("CONFLICT", messages, details);

export const unavailable = (messages: Localized = {
  "zh-CN": "服务暂时不可用，请稍后再试",
  en: "The service is temporarily unavailable; try again shortly",
}) => new PlatformError("UNAVAILABLE", messages);

export interface Envelope {
  status: number;
  body: { error: { code: ErrorCode; message: string; details?: unknown } };
}

const messageOf = (code: ErrorCode): Localized => {
  switch (code) {
    case "NOT_FOUND":
      return { "zh-CN": "请求的资源不存在", en: "Not found" };
    case "UNAVAILABLE":
      return { "zh-CN": "服务暂时不可用，请稍后再试", en: "The service is temporarily unavailable; try again shortly" };
    case "PAYLOAD_TOO_LARGE":
      return { "zh-CN": "请求内容过大", en: "The request body is too large" };
    case "RATE_LIMITED":
      return { "zh-CN": "请求过于频繁，请稍后再试", en: "Too many requests; try again later" };
    case "UNAUTHENTICATED":
      return unauthenticated().data.messages;
    case "FORBIDDEN":
      return forbidden().data.messages;
    case "VALIDATION_FAILED":
      return { "zh-CN": "提交的数据未通过校验", en: "The submitted data is not valid" };
    default:
      return { "zh-CN": "服务器内部错误", en: "Internal server error" };
  }
};

/** What the gateway answers for a thrown value; never exposes a stack, SQL or an unknown message. */
export function toEnvelope(err: unknown, lang: Lang): Envelope {
  const e = (err ?? {}) as {
    type?: string;
    code?: number | string;
    status?: number;
    name?: string;
    data?: Partial<PlatformErrorData> & Record<string, unknown>;
  };
  let code: ErrorCode;
  let messages: Localized | undefined;
  let details: unknown;

  if (typeof e.type === "string" && e.type in errorStatus && e.data?.messages) {
    code = e.type as ErrorCode;
    messages = e.data.messages;
    details = e.data.details;
  } else if (e.type === "entity.parse.failed") {
    // body-parser: the request body is not JSON
    code = "VALIDATION_FAILED";
    messages = { "zh-CN": "请求体不是合法的 JSON", en: "The request body is not valid JSON" };
    details = [{ path: "", rule: "json" }];
  } else if (e.type === "entity.too.large" || e.type === "PAYLOAD_TOO_LARGE") {
    code = "PAYLOAD_TOO_LARGE";
  } else if (e.type === "encoding.unsupported" || e.type === "charset.unsupported" || e.type === "entity.verify.failed") {
    code = "VALIDATION_FAILED";
    details = [{ path: "", rule: "encoding" }];
  } else if (e.name === "ValidationError" && Array.isArray(e.data)) {
    // Moleculer's own params validator (fastest-validator); kept for actions that declare params
    code = "VALIDATION_FAILED";
    details = (e.data as Array<{ field?: string; type?: string; message?: string }>).map((d) => ({
      path: "/" + String(d.field ?? "").replace(/\./g, "/"),
      rule: d.type ?? "invalid",
    }));
  } else if (e.type === "NOT_FOUND" || e.name === "NotFoundError") {
    // moleculer-web: no route matches. (A known route whose service is gone is SERVICE_UNAVAILABLE.)
    code = "NOT_FOUND";
  } else if (
    e.type === "SERVICE_UNAVAILABLE" ||
    // a call from one plugin to another whose node is gone
    e.type === "SERVICE_NOT_FOUND" ||
    e.type === "SERVICE_NOT_AVAILABLE" ||
    e.type === "REQUEST_TIMEOUT" ||
    e.type === "REQUEST_REJECTED" ||
    e.type === "REQUEST_SKIPPED" ||
    e.type === "BROKER_NOT_CONNECTED" ||
    e.type === "QUEUE_FULL" ||
    e.type === "DATABASE_UNAVAILABLE"
  ) {
    code = "UNAVAILABLE";
  } else if (e.type === "RATE_LIMIT_EXCEEDED") {
    code = "RATE_LIMITED";
  } else {
    code = "INTERNAL_ERROR";
  }
  const text = (messages ?? messageOf(code))[lang];
  const body: Envelope["body"] = { error: { code, message: text } };
  if (details !== undefined) body.error.details = details;
  return { status: errorStatus[code], body };
}

/**
 * zh-CN unless the caller prefers English (Accept-Language or ?lang=en). Either may be anything a
 * client sent (`lang[]=en` is an array): what is not one string is not a preference.
 */
export function pickLang(acceptLanguage: unknown, query?: unknown): Lang {
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  const pref = (text(query) || text(acceptLanguage)).toLowerCase();
  if (!pref) return "zh-CN";
  const first = pref.split(",")[0].trim();
  return first.startsWith("en") ? "en" : "zh-CN";
}
