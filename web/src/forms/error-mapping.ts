/**
 * Errors of a form, from both sides, in one shape, to where a person reads them. Pure: no React,
 * no DOM, no fetch (test/web/error-mapping.test.ts).
 *
 *   server 400 VALIDATION_FAILED details  ─┐
 *                                          ├─ FieldProblem[] ─┬─ toErrorSchema → rjsf extraErrors (beside each field)
 *   rjsf/ajv errors in the browser ────────┘                  └─ summarize     → the list at the top, linked to fields
 *
 * A problem's `pointer` is a JSON pointer into the data ("/items/3/amount"): what the server sends
 * and what rjsf's field ids are made from ("root_items_3_amount").
 */
import { ruleMessage } from "../../../core/forms/display";
import type { Lang, Localized } from "../i18n";

export interface FieldProblem {
  pointer: string;
  rule: string;
  message: Localized;
  source: "client" | "server";
}

/** A server detail (core/errors ErrorDetail). */
export interface ServerDetail {
  path: string;
  rule: string;
  message?: Partial<Localized>;
}

/** What rjsf's validator reports (the part of RJSFValidationError read here). */
export interface ClientError {
  name?: string;
  property?: string;
  message?: string;
  params?: Record<string, unknown>;
  schemaPath?: string;
}

type Schema = Record<string, unknown>;
type Ui = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const escape = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");
const unescape = (s: string) => s.replace(/~1/g, "/").replace(/~0/g, "~");

/** "/items/3/amount" → ["items", "3", "amount"]; "" → []. */
export function segmentsOf(pointer: string): string[] {
  if (!pointer || pointer === "/") return [];
  return pointer.replace(/^\//, "").split("/").map(unescape);
}

export const pointerOf = (segments: Array<string | number>): string => segments.map((s) => "/" + escape(String(s))).join("");

/**
 * rjsf's `property` (ajv's instancePath with "/" turned into ".", plus the missing property of a
 * `required`) as a pointer: ".items.3.amount" → "/items/3/amount".
 */
export function propertyToPointer(property: string | undefined): string {
  if (!property || property === ".") return "";
  const body = property.startsWith(".") ? property.slice(1) : property;
  // the segments are still pointer-escaped (they came from an instancePath)
  return body
    .split(".")
    .filter((s) => s !== "")
    .map((s) => "/" + s)
    .join("");
}

/** The id rjsf gives the field at a pointer (its input, or the fieldset of an object or list). */
export function fieldIdOf(pointer: string, idPrefix = "root", idSeparator = "_"): string {
  return [idPrefix, ...segmentsOf(pointer)].join(idSeparator);
}

function resolveRef(root: Schema, node: unknown): unknown {
  let n = node;
  for (let guard = 0; isObject(n) && typeof n.$ref === "string" && guard < 32; guard++) {
    const ref = n.$ref as string;
    if (!ref.startsWith("#")) return n;
    n = segmentsOf(ref.slice(1)).reduce<unknown>((at, seg) => (isObject(at) ? at[seg] : undefined), root);
  }
  return n;
}

/** The schema of the field a data pointer names; null when the form has no such field. */
export function schemaAt(root: Schema, pointer: string): Schema | null {
  let node: unknown = resolveRef(root, root);
  for (const seg of segmentsOf(pointer)) {
    if (!isObject(node)) return null;
    if (isObject(node.properties) && seg in node.properties) node = node.properties[seg];
    else if (/^\d+$/.test(seg) && node.items !== undefined) {
      node = Array.isArray(node.items) ? (node.items[Number(seg)] ?? node.additionalItems) : node.items;
    } else return null;
    node = resolveRef(root, node);
  }
  return isObject(node) ? node : null;
}

/** A schema keyword by its schemaPath ("#/properties/items/items/properties/amount/minMoney"). */
function atSchemaPath(root: Schema, schemaPath: string | undefined): unknown {
  if (!schemaPath?.startsWith("#")) return undefined;
  return segmentsOf(schemaPath.slice(1)).reduce<unknown>((at, seg) => (isObject(at) ? at[seg] : Array.isArray(at) ? at[Number(seg)] : undefined), root);
}

export function fromServer(details: ServerDetail[]): FieldProblem[] {
  return details.map((d) => {
    const zh = d.message?.["zh-CN"] ?? d.message?.en;
    const en = d.message?.en ?? d.message?.["zh-CN"];
    return {
      pointer: d.path === "/" ? "" : d.path,
      rule: d.rule,
      message: zh && en ? { "zh-CN": zh, en } : { "zh-CN": `不符合要求（${d.rule}）`, en: `not accepted (${d.rule})` },
      source: "server",
    };
  });
}

/**
 * The browser's errors with the words the server uses (core/forms/display.ts ruleMessage): the
 * rule's schema is found by its schemaPath, for a pattern's own words and a money bound's amount.
 */
export function fromClient(errors: ClientError[], schema: Schema): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const e of errors) {
    const keyword = e.name ?? "invalid";
    const params = e.params ?? {};
    let pointer = propertyToPointer(e.property);
    if (keyword === "additionalProperties" && typeof params.additionalProperty === "string") pointer += "/" + escape(params.additionalProperty);
    const holder = atSchemaPath(schema, e.schemaPath?.replace(/\/[^/]*$/, ""));
    const message = ruleMessage({ keyword, params }, isObject(holder) ? holder : undefined);
    out.push({ pointer, rule: keyword === "format" ? `format:${String(params.format)}` : keyword, message, source: "client" });
  }
  return dedupe(out);
}

/** One message per field and rule (ajv reports an `if`/`anyOf` branch's error more than once). */
export function dedupe(problems: FieldProblem[]): FieldProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.pointer}\u0000${p.rule}\u0000${p.message.en}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface ErrorSchemaNode {
  __errors?: string[];
  [key: string]: ErrorSchemaNode | string[] | undefined;
}

/**
 * rjsf's ErrorSchema for `extraErrors`: each problem beside its field. A problem at a pointer the
 * form has no field for (a field the server knows and the form does not, or the whole body) is an
 * orphan: it goes to the summary only, never lost.
 */
export function toErrorSchema(problems: FieldProblem[], schema: Schema, lang: Lang): { errorSchema: ErrorSchemaNode; orphans: FieldProblem[] } {
  const errorSchema: ErrorSchemaNode = {};
  const orphans: FieldProblem[] = [];
  for (const p of problems) {
    if (p.pointer === "" || !schemaAt(schema, p.pointer)) {
      orphans.push(p);
      continue;
    }
    let node = errorSchema;
    for (const seg of segmentsOf(p.pointer)) node = (node[seg] ??= {}) as ErrorSchemaNode;
    const list = (node.__errors ??= []);
    const text = p.message[lang];
    if (!list.includes(text)) list.push(text);
  }
  return { errorSchema, orphans };
}

export interface SummaryItem {
  pointer: string;
  /** the element to focus; null for an orphan */
  fieldId: string | null;
  /** where: "采购明细 › 第 4 行 › 金额（元）" */
  label: string;
  message: string;
}

export interface SummaryOptions {
  idPrefix?: string;
  idSeparator?: string;
  /** a list item's name ("第 4 行", "item 4"), 1-based */
  itemLabel?: (n: number) => string;
  /** the name of the form as a whole, for problems of the whole submission */
  formLabel?: string;
}

function titleOf(node: Schema | null, ui: unknown, key: string): string {
  const uiTitle = isObject(ui) && typeof ui["ui:title"] === "string" ? (ui["ui:title"] as string) : null;
  return uiTitle ?? (node && typeof node.title === "string" ? node.title : key);
}

/** Where a pointer falls in the form's order, as a sortable key (properties in ui:order, then items by index). */
function orderKey(schema: Schema, uiSchema: Ui, pointer: string): number[] {
  const key: number[] = [];
  let node: unknown = resolveRef(schema, schema);
  let ui: unknown = uiSchema;
  for (const seg of segmentsOf(pointer)) {
    if (!isObject(node)) {
      key.push(Number.MAX_SAFE_INTEGER);
      break;
    }
    if (isObject(node.properties) && seg in node.properties) {
      const names = Object.keys(node.properties);
      const order = isObject(ui) && Array.isArray(ui["ui:order"]) ? (ui["ui:order"] as string[]) : null;
      let i = order ? order.indexOf(seg) : -1;
      if (i < 0 && order) i = order.indexOf("*") >= 0 ? order.indexOf("*") + names.indexOf(seg) / 1000 : names.indexOf(seg) + order.length;
      if (i < 0) i = names.indexOf(seg);
      key.push(i);
      node = resolveRef(schema, node.properties[seg]);
      ui = isObject(ui) ? ui[seg] : undefined;
    } else if (/^\d+$/.test(seg)) {
      key.push(Number(seg));
      node = resolveRef(schema, Array.isArray(node.items) ? node.items[Number(seg)] : node.items);
      ui = isObject(ui) ? ui.items : undefined;
    } else {
      key.push(Number.MAX_SAFE_INTEGER);
      break;
    }
  }
  return key;
}

const compareKeys = (a: number[], b: number[]) => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d) return d;
  }
  return 0;
};

/**
 * The list at the top of a form: every problem, in the order of the form, named by the titles on
 * the way to its field (the localized schema's titles), each with the id of the element to focus.
 */
export function summarize(problems: FieldProblem[], schema: Schema, uiSchema: Ui, lang: Lang, opts: SummaryOptions = {}): SummaryItem[] {
  const itemLabel = opts.itemLabel ?? ((n: number) => (lang === "en" ? `item ${n}` : `第 ${n} 项`));
  const rows = problems.map((p) => {
    const names: string[] = [];
    let node: unknown = resolveRef(schema, schema);
    let ui: unknown = uiSchema;
    let known = true;
    for (const seg of segmentsOf(p.pointer)) {
      if (isObject(node) && isObject(node.properties) && seg in node.properties) {
        const child = resolveRef(schema, node.properties[seg]) as Schema;
        ui = isObject(ui) ? ui[seg] : undefined;
        names.push(titleOf(child, ui, seg));
        node = child;
      } else if (isObject(node) && /^\d+$/.test(seg) && node.items !== undefined) {
        names.push(itemLabel(Number(seg) + 1));
        node = resolveRef(schema, Array.isArray(node.items) ? node.items[Number(seg)] : node.items);
        ui = isObject(ui) ? ui.items : undefined;
      } else {
        names.push(seg);
        known = false;
        node = null;
      }
    }
    const label = names.length ? names.join(" › ") : (opts.formLabel ?? (lang === "en" ? "The form" : "整张表单"));
    return {
      item: { pointer: p.pointer, fieldId: known && p.pointer !== "" ? fieldIdOf(p.pointer, opts.idPrefix, opts.idSeparator) : null, label, message: p.message[lang] },
      key: orderKey(schema, uiSchema, p.pointer),
    };
  });
  return rows.sort((a, b) => compareKeys(a.key, b.key)).map((r) => r.item);
}

/** The value at a pointer in the data (undefined when absent). */
export function valueAt(data: unknown, pointer: string): unknown {
  let at = data;
  for (const seg of segmentsOf(pointer)) {
    if (Array.isArray(at)) at = at[Number(seg)];
    else if (isObject(at)) at = at[seg];
    else return undefined;
  }
  return at;
}

/**
 * The problems that still stand after an edit: one whose field (or anything inside it) changed is
 * the person's to re-check, so it leaves the list as they fix it. By default only the server's:
 * the browser's own errors are recomputed by validation anyway.
 */
export function stillStanding(problems: FieldProblem[], before: unknown, after: unknown, sources: Array<FieldProblem["source"]> = ["server"]): FieldProblem[] {
  return problems.filter((p) => !sources.includes(p.source) || JSON.stringify(valueAt(before, p.pointer)) === JSON.stringify(valueAt(after, p.pointer)));
}
