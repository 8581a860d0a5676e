import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import localizeZh from "ajv-i18n/localize/zh";
import type { ErrorDetail } from "../errors";
import { ruleMessage, UI_TEXT_KEYS } from "./display";
import { addFormVocabulary, boundMessage, DATE_KEYWORDS, FORM_AJV_OPTIONS, formatMessages, formFormats, isMoneyFormat, MONEY_KEYWORDS } from "./formats";

/** A JSON value as forms and overlays hold it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * The server's ajv for forms: the shared options and vocabulary (./formats.ts), plus `strict`,
 * which refuses at load a schema with an unknown keyword or format, and no registry of schemas by
 * $id (every version of a form has the same one; each is compiled on its own).
 */
export function createFormAjv(): Ajv {
  return addFormVocabulary(new Ajv({ ...FORM_AJV_OPTIONS, strict: true, addUsedSchema: false, messages: true }));
}

const escapeSegment = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");

/**
 * ajv's errors as the details of a VALIDATION_FAILED: the JSON pointer of the field (a missing or
 * unknown property's own path, which is where a form shows it), the rule, and the message in
 * zh-CN and en. `form`: a person filling in a form reads it (plainer words for a field the form
 * does not have).
 */
export function detailsOf(errors: ErrorObject[], opts: { form?: boolean } = {}): ErrorDetail[] {
  // Core's own documents (not forms) are read by the people who write them: ajv's words, which name the rule.
  const zh = opts.form ? [] : errors.map((e) => ({ ...e }));
  if (!opts.form) localizeZh(zh);
  return errors.map((e, i) => {
    let path = e.instancePath;
    if (e.keyword === "required") path += "/" + escapeSegment((e.params as { missingProperty: string }).missingProperty);
    if (e.keyword === "additionalProperties") path += "/" + escapeSegment((e.params as { additionalProperty: string }).additionalProperty);
    const rule = e.keyword === "format" ? `format:${(e.params as { format: string }).format}` : e.keyword;
    if (opts.form) return { path, rule, message: ruleMessage(e, e.parentSchema as JsonObject | undefined) };
    if (e.keyword === "format") {
      const format = (e.params as { format: string }).format;
      return { path, rule, message: formatMessages[format] ?? { "zh-CN": zh[i].message ?? "", en: e.message ?? "" } };
    }
    return { path, rule, message: boundMessage(e.keyword, e.parentSchema as JsonObject | undefined) ?? { "zh-CN": zh[i].message ?? "", en: e.message ?? "" } };
  });
}

/** Runs a compiled schema: the details of what is wrong, or none. */
export function errorsOf(fn: ValidateFunction, data: unknown, opts: { form?: boolean } = {}): ErrorDetail[] {
  return fn(data) ? [] : detailsOf(fn.errors ?? [], opts);
}

// ---------------------------------------------------------------------------------------------
// What a form schema must be, beyond what ajv checks

const DRAFT_07 = "http://json-schema.org/draft-07/schema#";
const NUMERIC = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];

const isObject = (v: unknown): v is JsonObject => !!v && typeof v === "object" && !Array.isArray(v);

export const typesOf = (node: JsonObject): string[] => (Array.isArray(node.type) ? (node.type as string[]) : typeof node.type === "string" ? [node.type] : []);

/**
 * Rules every form schema (and every field an overlay adds) follows; each problem names the
 * pointer in the schema. `root` adds the rules for a whole form.
 *  - objects are closed (`additionalProperties: false`): unknown fields are refused, never stored;
 *  - every title and description has its English twin (titleEn, descriptionEn);
 *  - only local references (#/definitions/...);
 *  - money is a string (`"type": "string", "format": "money"`), never a binary floating-point
 *    number, and its bounds are minMoney/maxMoney.
 */
export function lintSchema(schema: unknown, opts: { root?: boolean; at?: string } = {}): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const problem = (path: string, rule: string, zh: string, en: string) => problems.push({ path, rule, message: { "zh-CN": zh, en } });
  const walk = (node: unknown, at: string) => {
    if (typeof node === "boolean") return;
    if (!isObject(node)) return problem(at, "schema", "应为 JSON Schema 对象", "must be a JSON Schema object");
    const types = typesOf(node);
    if (types.includes("object") || node.properties !== undefined) {
      if (node.additionalProperties !== false) {
        problem(`${at}/additionalProperties`, "closed-object", "对象必须声明 additionalProperties: false（不接受表单以外的字段）", "objects must say additionalProperties: false (fields outside the form are refused)");
      }
    }
    if (node.title !== undefined && typeof node.titleEn !== "string") problem(`${at}/titleEn`, "bilingual", "有中文标题（title）就要有英文标题（titleEn）", "a title needs its English twin, titleEn");
    if (node.description !== undefined && typeof node.descriptionEn !== "string") {
      problem(`${at}/descriptionEn`, "bilingual", "有中文说明（description）就要有英文说明（descriptionEn）", "a description needs its English twin, descriptionEn");
    }
    if (node.patternMessage !== undefined && typeof node.patternMessageEn !== "string") {
      problem(`${at}/patternMessageEn`, "bilingual", "有中文的格式说明（patternMessage）就要有英文说明（patternMessageEn）", "a patternMessage needs its English twin, patternMessageEn");
    }
    if (typeof node.$ref === "string" && !node.$ref.startsWith("#/")) problem(`${at}/$ref`, "local-ref", "只能引用本表单内的定义（#/definitions/...）", "only references within the form (#/definitions/...)");
    if (isMoneyFormat(node.format) && !(types.length === 1 && types[0] === "string")) {
      problem(`${at}/type`, "money-is-string", "金额字段的类型必须是 string（不用浮点数）", 'money is "type": "string" (never a floating-point number)');
    }
    for (const kw of MONEY_KEYWORDS) {
      if (node[kw] !== undefined && !isMoneyFormat(node.format)) problem(`${at}/${kw}`, "money-bound", `${kw} 只能用于 format 为 money 或 signed-money 的字段`, `${kw} applies to fields of format money or signed-money only`);
    }
    for (const kw of DATE_KEYWORDS) {
      if (node[kw] !== undefined && !["date", "working-day", "month"].includes(node.format as string)) {
        problem(`${at}/${kw}`, "date-bound", `${kw} 只能用于 format 为 date、working-day 或 month 的字段`, `${kw} applies to fields of format date, working-day or month only`);
      }
    }
    if (isMoneyFormat(node.format) && NUMERIC.some((k) => node[k] !== undefined)) {
      problem(at, "money-bound", "金额的上下限请用 minMoney / maxMoney", "bounds on money are minMoney / maxMoney");
    }
    if (typeof node.format === "string" && !(node.format in formFormats)) {
      problem(`${at}/format`, "format", `未知的格式「${node.format}」，可用：${Object.keys(formFormats).join("、")}`, `unknown format "${node.format}"; known: ${Object.keys(formFormats).join(", ")}`);
    }
    for (const key of ["properties", "patternProperties", "definitions", "$defs", "dependencies"]) {
      const map = node[key];
      if (!isObject(map)) continue;
      for (const [name, sub] of Object.entries(map)) {
        if (key === "dependencies" && Array.isArray(sub)) continue;
        walk(sub, `${at}/${key}/${escapeSegment(name)}`);
      }
    }
    for (const key of ["items", "additionalItems", "contains", "not", "if", "then", "else", "propertyNames"]) {
      const sub = node[key];
      if (Array.isArray(sub)) sub.forEach((s, i) => walk(s, `${at}/${key}/${i}`));
      else if (sub !== undefined) walk(sub, `${at}/${key}`);
    }
    for (const key of ["allOf", "anyOf", "oneOf"]) {
      const list = node[key];
      if (Array.isArray(list)) list.forEach((s, i) => walk(s, `${at}/${key}/${i}`));
    }
  };
  const at = opts.at ?? "";
  if (opts.root) {
    if (!isObject(schema)) {
      problem(at, "schema", "表单应为 JSON Schema 对象", "a form is a JSON Schema object");
      return problems;
    }
    if (schema.$schema !== undefined && schema.$schema !== DRAFT_07) problem(`${at}/$schema`, "draft", `表单使用 draft-07：${DRAFT_07}`, `forms are draft-07: ${DRAFT_07}`);
    if (schema.type !== "object") problem(`${at}/type`, "form-object", '表单的根必须是 "type": "object"', 'a form\'s root is "type": "object"');
    if (typeof schema.title !== "string") problem(`${at}/title`, "bilingual", "表单需要中文标题（title）和英文标题（titleEn）", "a form needs a title and titleEn");
  }
  walk(schema, at);
  return problems;
}

/** A uiSchema's text (labels, help, placeholders, option names) comes in both languages: `<key>En`. */
export function lintUi(ui: unknown, at = ""): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const walk = (node: unknown, path: string) => {
    if (!isObject(node)) return;
    for (const k of UI_TEXT_KEYS) {
      if (node[k] !== undefined && node[`${k}En`] === undefined) {
        problems.push({ path: `${path}/${escapeSegment(k)}En`, rule: "bilingual", message: { "zh-CN": `有 ${k} 就要有英文的 ${k}En`, en: `${k} needs its English twin, ${k}En` } });
      }
    }
    for (const [k, v] of Object.entries(node)) if (!k.startsWith("ui:")) walk(v, `${path}/${escapeSegment(k)}`);
  };
  walk(ui, at);
  return problems;
}
