import type { ErrorDetail } from "../errors";
import { compareMoney } from "./money";
import { formFormats, isMoneyFormat } from "./formats";
import { pointerSegments } from "./display";
import { lintSchema, lintUi, typesOf, type Json, type JsonObject } from "./compile";
import { compileSchema, schemaErrors } from "./validate";

/**
 * A tenant's overlay on a form: fields of its own and stricter rules, in a small vocabulary that
 * can be checked for never loosening the form.
 *
 *   {
 *     "addProperties": { "<name>": <schema> },           new fields of the form (its root object)
 *     "required": ["<name>", ...],                         more required fields (root object)
 *     "tighten": {
 *       "<schema pointer>": {                              "" (the root), "/properties/x",
 *                                                          "/properties/items/items", "/definitions/d"
 *         "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum": <number>,
 *         "minLength" | "maxLength" | "minItems" | "maxItems": <integer>,
 *         "minMoney" | "maxMoney": "<money>",
 *         "pattern": "<regex>",       a second pattern joins the first: both must match
 *         "enum": [...],              a subset of the field's values
 *         "format": "<format>",       on a text field that has none (or "working-day" for "date")
 *         "uniqueItems": true,
 *         "required": [...], "addProperties": {...}        on an object
 *       }
 *     },
 *     "ui": { ... }                                        merged into the form's uiSchema
 *   }
 *
 * Adding a rule a field does not have always tightens (JSON Schema keywords are a conjunction);
 * changing one it has must move it the strict way. The effective form of a tenant is the base form
 * with the overlays of the province, the city and the county applied in that order.
 */
export interface OverlayDocument {
  addProperties?: Record<string, JsonObject>;
  required?: string[];
  tighten?: Record<string, TightenEntry>;
  ui?: JsonObject;
}

export interface TightenEntry {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minMoney?: string;
  maxMoney?: string;
  pattern?: string;
  enum?: Json[];
  format?: string;
  uniqueItems?: true;
  required?: string[];
  addProperties?: Record<string, JsonObject>;
}

/** A form being composed: schema and uiSchema (copies; applying an overlay changes them). */
export interface FormDoc {
  schema: JsonObject;
  ui: JsonObject;
}

const NAME = "^[a-z][a-zA-Z0-9]{0,39}$";
const SEGMENT = "([^/~]|~[01])+";
const POINTER = `^(/(properties/${SEGMENT}|items|definitions/${SEGMENT}))*$`;
const MONEY = "^-?\\d{1,13}(\\.\\d{1,2})?$";

export const TIGHTEN_KEYWORDS = [
  "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems",
  "minMoney", "maxMoney", "pattern", "enum", "format", "uniqueItems", "required", "addProperties",
] as const;

const addProperties = { type: "object", maxProperties: 100, propertyNames: { pattern: NAME }, additionalProperties: { type: "object" } };
const names = { type: "array", items: { type: "string", minLength: 1, maxLength: 100 }, uniqueItems: true, maxItems: 500 };
const count = { type: "integer", minimum: 0 };

const overlayShape = compileSchema({
  type: "object",
  additionalProperties: false,
  properties: {
    addProperties,
    required: names,
    tighten: {
      type: "object",
      maxProperties: 500,
      propertyNames: { pattern: POINTER },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        minProperties: 1,
        properties: {
          minimum: { type: "number" },
          maximum: { type: "number" },
          exclusiveMinimum: { type: "number" },
          exclusiveMaximum: { type: "number" },
          minLength: count,
          maxLength: count,
          minItems: count,
          maxItems: count,
          minMoney: { type: "string", pattern: MONEY },
          maxMoney: { type: "string", pattern: MONEY },
          pattern: { type: "string", minLength: 1, maxLength: 1000 },
          enum: { type: "array", minItems: 1, maxItems: 1000 },
          format: { enum: Object.keys(formFormats) },
          uniqueItems: { const: true },
          required: names,
          addProperties,
        },
      },
    },
    ui: { type: "object" },
  },
});

const escape = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");
const detail = (path: string, rule: string, zh: string, en: string): ErrorDetail => ({ path, rule, message: { "zh-CN": zh, en } });
const isObject = (v: unknown): v is JsonObject => !!v && typeof v === "object" && !Array.isArray(v);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The overlay's shape: only the vocabulary above. Paths point into the overlay document. */
export function checkOverlayShape(doc: unknown): ErrorDetail[] {
  return schemaErrors(overlayShape, doc).map((d) => {
    if (d.rule !== "additionalProperties") return d;
    const inEntry = /^\/tighten\/[^/]*\/[^/]+$/.test(d.path);
    return inEntry
      ? detail(d.path, "overlay-keyword", `覆盖只能收紧这些规则：${TIGHTEN_KEYWORDS.join("、")}`, `an overlay may only tighten: ${TIGHTEN_KEYWORDS.join(", ")}`)
      : detail(d.path, "overlay-keyword", "覆盖只能包含 addProperties、required、tighten、ui", "an overlay has addProperties, required, tighten and ui, nothing else");
  });
}

const LOWER = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minMoney"] as const;
const UPPER = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxMoney"] as const;
type Bound = (typeof LOWER)[number] | (typeof UPPER)[number];
const PAIRS: Array<[Bound, Bound]> = [["minimum", "maximum"], ["minLength", "maxLength"], ["minItems", "maxItems"], ["minMoney", "maxMoney"]];

const compare = (kw: Bound, a: Json, b: Json): number => (kw === "minMoney" || kw === "maxMoney" ? compareMoney(a as string, b as string) : (a as number) - (b as number));

const NUMERIC_KW = new Set(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]);
const STRING_KW = new Set(["minLength", "maxLength", "pattern", "format"]);
const ARRAY_KW = new Set(["minItems", "maxItems", "uniqueItems"]);

function applies(kw: string, node: JsonObject): { zh: string; en: string } | null {
  const types = typesOf(node);
  if (NUMERIC_KW.has(kw) && !types.some((t) => t === "number" || t === "integer")) return { zh: "只适用于数字字段", en: "applies to number fields only" };
  if (STRING_KW.has(kw) && !types.includes("string")) return { zh: "只适用于文本字段", en: "applies to text fields only" };
  if (ARRAY_KW.has(kw) && !types.includes("array")) return { zh: "只适用于列表字段", en: "applies to list fields only" };
  if ((kw === "minMoney" || kw === "maxMoney") && !isMoneyFormat(node.format)) return { zh: "只适用于金额字段（format: money 或 signed-money）", en: "applies to money fields (format money or signed-money) only" };
  if ((kw === "required" || kw === "addProperties") && !types.includes("object")) return { zh: "只适用于对象", en: "applies to objects only" };
  return null;
}

/** A format that implies another may replace it: every working day is a date, every amount not below zero an amount. */
const FORMAT_NARROWS: Record<string, string> = { "working-day": "date", "money": "signed-money" };

const BACKREF = /\\[1-9]|\\k</;
/** Both patterns, as one: each must match somewhere in the value (JSON Schema patterns are searches). */
export function bothPatterns(a: string, b: string): string {
  return `^(?=[\\s\\S]*?(?:${a}))(?=[\\s\\S]*?(?:${b}))`;
}

const typeOfValue = (v: Json): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "number" ? (Number.isInteger(v) ? "integer" : "number") : typeof v);
const fitsTypes = (v: Json, types: string[]) => !types.length || types.includes(typeOfValue(v)) || (types.includes("number") && typeOfValue(v) === "integer");

/** Where a schema pointer lands in the uiSchema: properties/x → x, items → items; definitions have none. */
function uiNode(ui: JsonObject, segments: string[], create: boolean): JsonObject | undefined {
  let node = ui;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    let key: string;
    if (seg === "properties") key = segments[++i];
    else if (seg === "items") key = "items";
    else return undefined;
    let next = node[key];
    if (!isObject(next)) {
      if (!create) return undefined;
      next = node[key] = {};
    }
    node = next;
  }
  return node;
}

function deepMerge(target: JsonObject, source: JsonObject): void {
  for (const [k, v] of Object.entries(source)) {
    const t = target[k];
    if (isObject(t) && isObject(v)) deepMerge(t, v);
    else target[k] = clone(v);
  }
}

/**
 * Applies one overlay to `form` (changed in place). Strict (a tenant saving its overlay): every
 * part that would loosen the form, or does not fit it, is a problem, and the caller refuses the
 * whole overlay. Lenient (composing a saved overlay on a newer base form or a changed ancestor
 * overlay): such parts are left out, the stricter rule of the two is kept, and the problems say
 * what was left out.
 */
export function applyOverlay(form: FormDoc, doc: OverlayDocument, strict: boolean): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const entries: Array<[string, string, TightenEntry]> = [];
  // The root shorthands first, then each pointer (an entry may require what the root adds).
  if (doc.addProperties || doc.required) {
    entries.push(["", "", { ...(doc.addProperties ? { addProperties: doc.addProperties } : {}), ...(doc.required ? { required: doc.required } : {}) }]);
  }
  for (const [pointer, entry] of Object.entries(doc.tighten ?? {})) entries.push([pointer, `/tighten/${escape(pointer)}`, entry]);

  for (const [pointer, base, entry] of entries) {
    const at = (kw: string) => (base === "" ? `/${kw}` : `${base}/${kw}`);
    const segments = pointerSegments(pointer);
    let node: Json = form.schema;
    for (const seg of segments) node = isObject(node) ? (node[seg] ?? null) : null;
    if (!isObject(node)) {
      problems.push(detail(base || "/tighten", "no-such-field", `表单中没有 ${pointer}`, `the form has nothing at ${pointer}`));
      continue;
    }
    if (typeof node.$ref === "string") {
      problems.push(detail(base, "ref", `${pointer} 引用了 ${node.$ref}，请收紧被引用的定义`, `${pointer} refers to ${node.$ref}: tighten the definition instead`));
      continue;
    }
    const target = node;
    const ui = uiNode(form.ui, segments, false);

    if (entry.addProperties) {
      const why = applies("addProperties", target);
      if (why) problems.push(detail(at("addProperties"), "not-applicable", `addProperties ${why.zh}`, `addProperties ${why.en}`));
      else {
        const props = (isObject(target.properties) ? target.properties : (target.properties = {})) as JsonObject;
        const added: string[] = [];
        for (const [name, schema] of Object.entries(entry.addProperties)) {
          const path = `${at("addProperties")}/${escape(name)}`;
          if (name in props) {
            problems.push(detail(path, "exists", `字段「${name}」已存在，覆盖不能重新定义它`, `the form already has "${name}"; an overlay may not redefine it`));
            continue;
          }
          const lint = lintSchema(schema, { at: path });
          if (lint.length) {
            problems.push(...lint);
            continue;
          }
          props[name] = clone(schema);
          added.push(name);
        }
        // rjsf refuses a ui:order that misses a field: new fields go last.
        const order = ui?.["ui:order"];
        if (Array.isArray(order) && !order.includes("*")) order.push(...added);
      }
    }

    if (entry.format !== undefined) {
      const why = applies("format", target);
      if (why) problems.push(detail(at("format"), "not-applicable", `format ${why.zh}`, `format ${why.en}`));
      else if (target.format !== undefined && target.format !== entry.format && FORMAT_NARROWS[entry.format] !== target.format) {
        problems.push(detail(at("format"), "loosens", `该字段已是格式「${String(target.format)}」，不能改为其他格式`, `the field already has format "${String(target.format)}"; an overlay cannot change it`));
      } else target.format = entry.format;
    }

    for (const kw of [...LOWER, ...UPPER]) {
      const value = entry[kw];
      if (value === undefined) continue;
      const why = applies(kw, target);
      if (why) {
        problems.push(detail(at(kw), "not-applicable", `${kw} ${why.zh}`, `${kw} ${why.en}`));
        continue;
      }
      const old = target[kw];
      const lower = (LOWER as readonly string[]).includes(kw);
      if (old === undefined) {
        target[kw] = value;
        continue;
      }
      const c = compare(kw, value, old);
      const looser = lower ? c < 0 : c > 0;
      if (looser) {
        problems.push(
          detail(
            at(kw),
            "loosens",
            `不能放宽：当前 ${kw} 为 ${String(old)}，覆盖只能${lower ? "提高" : "降低"}它`,
            `would loosen the form: ${kw} is ${String(old)}; an overlay may only ${lower ? "raise" : "lower"} it`,
          ),
        );
        continue;
      }
      target[kw] = value;
    }

    if (entry.pattern !== undefined) {
      const why = applies("pattern", target);
      let valid = true;
      try {
        new RegExp(entry.pattern, "u");
      } catch {
        valid = false;
      }
      if (why) problems.push(detail(at("pattern"), "not-applicable", `pattern ${why.zh}`, `pattern ${why.en}`));
      else if (!valid) problems.push(detail(at("pattern"), "pattern", "不是有效的正则表达式", "not a valid regular expression"));
      else if (typeof target.pattern !== "string") target.pattern = entry.pattern;
      else if (BACKREF.test(target.pattern) || BACKREF.test(entry.pattern)) {
        problems.push(detail(at("pattern"), "pattern", "该字段已有含反向引用的正则，无法与新正则合并", "the field's pattern (or this one) has back-references and cannot be combined with another"));
      } else if (target.pattern !== entry.pattern) target.pattern = bothPatterns(target.pattern, entry.pattern);
    }

    if (entry.enum !== undefined) {
      const types = typesOf(target);
      const wrong = entry.enum.findIndex((v) => !fitsTypes(v, types));
      const old = Array.isArray(target.enum) ? (target.enum as Json[]) : undefined;
      const key = (v: Json) => JSON.stringify(v);
      if (wrong >= 0) problems.push(detail(`${at("enum")}/${wrong}`, "type", `取值 ${JSON.stringify(entry.enum[wrong])} 与字段类型不符`, `${JSON.stringify(entry.enum[wrong])} is not of the field's type`));
      else if (!old) target.enum = clone(entry.enum);
      else {
        const allowed = new Set(old.map(key));
        const outside = entry.enum.map((v, i) => [v, i] as const).filter(([v]) => !allowed.has(key(v)));
        for (const [v, i] of outside) {
          problems.push(detail(`${at("enum")}/${i}`, "loosens", `取值 ${JSON.stringify(v)} 不在原有选项中：覆盖只能减少选项`, `${JSON.stringify(v)} is not one of the field's values: an overlay may only take values away`));
        }
        if (!outside.length || !strict) {
          const keep = new Set(entry.enum.map(key));
          const kept = old.map((v, i) => [v, i] as const).filter(([v]) => keep.has(key(v)));
          target.enum = kept.map(([v]) => v);
          // rjsf labels enum values by position: keep the labels of the values kept.
          for (const k of ["ui:enumNames", "ui:enumNamesEn"]) {
            const labels = ui?.[k];
            if (ui && Array.isArray(labels) && labels.length === old.length) ui[k] = kept.map(([, i]) => labels[i]);
          }
        }
      }
    }

    if (entry.uniqueItems) {
      const why = applies("uniqueItems", target);
      if (why) problems.push(detail(at("uniqueItems"), "not-applicable", `uniqueItems ${why.zh}`, `uniqueItems ${why.en}`));
      else target.uniqueItems = true;
    }

    if (entry.required) {
      const why = applies("required", target);
      if (why) problems.push(detail(at("required"), "not-applicable", `required ${why.zh}`, `required ${why.en}`));
      else {
        const props = isObject(target.properties) ? target.properties : {};
        const required = Array.isArray(target.required) ? (target.required as string[]) : [];
        entry.required.forEach((name, i) => {
          if (!(name in props)) problems.push(detail(`${at("required")}/${i}`, "no-such-field", `表单中没有字段「${name}」`, `the form has no field "${name}"`));
          else if (!required.includes(name)) required.push(name);
        });
        if (required.length) target.required = required;
      }
    }

    for (const [lo, hi] of PAIRS) {
      if (target[lo] !== undefined && target[hi] !== undefined && compare(lo, target[lo], target[hi]) > 0) {
        // Leniently both stay (dropping either would loosen the form): the field cannot be filled.
        problems.push(detail(base || "/", "impossible", `${lo} 大于 ${hi}，没有值能满足`, `${lo} is above ${hi}: no value could satisfy both`));
      }
    }
  }

  if (doc.ui) {
    problems.push(...lintUi(doc.ui, "/ui"));
    deepMerge(form.ui, doc.ui);
  }
  return problems;
}

export interface ComposedOverlay {
  tenant: string;
  version: number;
  document: OverlayDocument;
}

/**
 * The effective form: the base with each overlay applied in order (province first), leniently.
 * Pure: the same base version and overlay versions always give the same schema, which is what
 * lets a submission be checked again under its form reference, forever.
 */
export function compose(base: FormDoc, overlays: ComposedOverlay[]): { form: FormDoc; problems: Array<ErrorDetail & { tenant: string; overlayVersion: number }> } {
  const form = { schema: clone(base.schema), ui: clone(base.ui) };
  const problems: Array<ErrorDetail & { tenant: string; overlayVersion: number }> = [];
  for (const o of overlays) {
    for (const p of applyOverlay(form, o.document, false)) problems.push({ ...p, tenant: o.tenant, overlayVersion: o.version });
  }
  return { form, problems };
}

/** Whether an overlay document says nothing (a tenant's overlay cleared). */
export function isEmptyOverlay(doc: OverlayDocument): boolean {
  return !Object.keys(doc.addProperties ?? {}).length && !(doc.required ?? []).length && !Object.keys(doc.tighten ?? {}).length && !Object.keys(doc.ui ?? {}).length;
}
