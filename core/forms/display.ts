/**
 * Showing a form and its errors, in the browser: the language a form is shown in, and the
 * server's error details beside their fields. No Node APIs (the web app bundles this file).
 */

import { boundMessage, formatMessages } from "./formats";

type Lang = "zh-CN" | "en";
type Message = { "zh-CN": string; en: string };
type Node = { [key: string]: unknown };

/** uiSchema keys that are text a person reads; each has an English twin, `<key>En`. */
export const UI_TEXT_KEYS = ["ui:title", "ui:description", "ui:help", "ui:placeholder", "ui:enumNames"] as const;

const isObject = (v: unknown): v is Node => !!v && typeof v === "object" && !Array.isArray(v);

/** A JSON pointer's segments: "/items/3/amount" → ["items", "3", "amount"]. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function localizeSchema(node: unknown, lang: Lang): unknown {
  if (Array.isArray(node)) return node.map((n) => localizeSchema(n, lang));
  if (!isObject(node)) return node;
  const out: Node = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "titleEn" || k === "descriptionEn") continue;
    // enum and const values are data, whatever they look like
    out[k] = k === "enum" || k === "const" || k === "default" || k === "examples" ? v : localizeSchema(v, lang);
  }
  if (lang === "en") {
    if (typeof node.titleEn === "string") out.title = node.titleEn;
    if (typeof node.descriptionEn === "string") out.description = node.descriptionEn;
  }
  return out;
}

function localizeUi(node: unknown, lang: Lang): unknown {
  if (Array.isArray(node)) return node.map((n) => localizeUi(n, lang));
  if (!isObject(node)) return node;
  const out: Node = {};
  for (const [k, v] of Object.entries(node)) {
    if ((UI_TEXT_KEYS as readonly string[]).includes(k.replace(/En$/, "")) && k.endsWith("En")) continue;
    out[k] = k.startsWith("ui:") ? v : localizeUi(v, lang);
  }
  if (lang === "en") for (const k of UI_TEXT_KEYS) if (node[`${k}En`] !== undefined) out[k] = node[`${k}En`];
  return out;
}

/**
 * A form as rjsf should show it in one language: `title`/`description` (zh-CN) or their `En`
 * twins, likewise for the uiSchema's text. Validation is unchanged (annotations only).
 */
export function localizeForm<S, U>(schema: S, uiSchema: U, lang: Lang): { schema: S; uiSchema: U } {
  return { schema: localizeSchema(schema, lang) as S, uiSchema: localizeUi(uiSchema, lang) as U };
}

/** One problem with a field, as the server sends it (core/errors ErrorDetail). */
export interface FieldDetail {
  path: string;
  rule: string;
  message?: Message;
}

/**
 * The server's details as rjsf's `extraErrors` (an ErrorSchema): each message beside its field,
 * `{ items: { 3: { amount: { __errors: ["…"] } } } }`.
 */
export function errorSchemaOf(details: FieldDetail[], lang: Lang = "zh-CN"): Node {
  const root: Node = {};
  for (const d of details) {
    let node = root;
    for (const seg of pointerSegments(d.path)) node = (node[seg] ??= {}) as Node;
    const list = (node.__errors ??= []) as string[];
    list.push(d.message?.[lang] ?? d.rule);
  }
  return root;
}

/** One failed rule as both validators report it (ajv's ErrorObject, rjsf's RJSFValidationError). */
export interface FailedRule {
  keyword: string;
  params?: Record<string, unknown>;
}

const REQUIRED: Message = { "zh-CN": "必填项，请填写", en: "Required: please fill this in" };
const NOT_IN_FORM: Message = { "zh-CN": "表单中没有这一项，不能提交", en: "this form has no such field" };
const NOT_ACCEPTED: Message = { "zh-CN": "填写的内容不符合本项的要求，请检查", en: "this value is not accepted here; please check it" };
const TYPE_WORDS: Record<string, Message> = {
  string: { "zh-CN": "应填写文字", en: "must be text" },
  number: { "zh-CN": "应填写数字", en: "must be a number" },
  integer: { "zh-CN": "应填写整数", en: "must be a whole number" },
  boolean: { "zh-CN": "应选择“是”或“否”", en: "must be yes or no" },
  array: { "zh-CN": "应为一组条目", en: "must be a list of entries" },
  object: { "zh-CN": "应为一组字段", en: "must be a group of fields" },
  null: { "zh-CN": "此项应留空", en: "must be left empty" },
};

/**
 * What a person reads when a form's rule fails, the same on the server (VALIDATION_FAILED details)
 * and in the browser: never ajv's wording, which shows regular expressions ("应当匹配模式 "^\\d{4}…"),
 * keywords and the field's programme name. `node` is the schema that holds the rule (ajv's
 * parentSchema); a pattern's words are its field's own (`patternMessage`, `patternMessageEn`), or
 * a plain sentence for a pattern without them (a tenant's overlay).
 */
export function ruleMessage(e: FailedRule, node: Node | undefined): Message {
  const p = e.params ?? {};
  const limit = p.limit;
  switch (e.keyword) {
    case "required":
      return REQUIRED;
    case "additionalProperties":
      return NOT_IN_FORM;
    case "format": {
      const format = String(p.format);
      return formatMessages[format] ?? NOT_ACCEPTED;
    }
    case "pattern":
      return typeof node?.patternMessage === "string" && typeof node.patternMessageEn === "string" ? { "zh-CN": node.patternMessage, en: node.patternMessageEn } : NOT_ACCEPTED;
    case "type":
      return TYPE_WORDS[String(p.type)] ?? NOT_ACCEPTED;
    case "enum":
      return { "zh-CN": "请从给出的选项中选择", en: "choose one of the options given" };
    case "const":
      return { "zh-CN": "此项只能为规定的值", en: "this field can only hold its fixed value" };
    case "minLength":
      return { "zh-CN": `至少填写 ${limit} 个字`, en: `at least ${limit} characters` };
    case "maxLength":
      return { "zh-CN": `最多填写 ${limit} 个字`, en: `at most ${limit} characters` };
    case "minItems":
      return { "zh-CN": `至少要有 ${limit} 项`, en: `at least ${limit} entries` };
    case "maxItems":
      return { "zh-CN": `最多只能有 ${limit} 项`, en: `at most ${limit} entries` };
    case "uniqueItems": {
      const [a, b] = [Number(p.j) + 1, Number(p.i) + 1].sort((x, y) => x - y);
      return { "zh-CN": `第 ${a} 项与第 ${b} 项重复`, en: `entries ${a} and ${b} are the same` };
    }
    case "minimum":
      return { "zh-CN": `不能小于 ${limit}`, en: `must be at least ${limit}` };
    case "exclusiveMinimum":
      return { "zh-CN": `应大于 ${limit}`, en: `must be more than ${limit}` };
    case "maximum":
      return { "zh-CN": `不能大于 ${limit}`, en: `must be at most ${limit}` };
    case "exclusiveMaximum":
      return { "zh-CN": `应小于 ${limit}`, en: `must be less than ${limit}` };
    case "multipleOf":
      return { "zh-CN": `应为 ${p.multipleOf} 的整数倍`, en: `must be a multiple of ${p.multipleOf}` };
  }
  return boundMessage(e.keyword, node) ?? NOT_ACCEPTED;
}
