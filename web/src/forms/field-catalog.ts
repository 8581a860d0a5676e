/**
 * Reading submitted data as the forms that collected it name it: each field's title, the words of
 * its options (`ui:enumNames` or `oneOf` titles), its format, in the forms' order. Pure: the pages
 * (a public notice, an instance, a project) build one from the forms of a workflow and show data by it.
 */
import { isMoney } from "../../../core/forms/money";
import { chinaDateTime, type Lang, type Localized } from "../i18n";
import { formatMoney } from "./money-text";

type Node = Record<string, unknown>;
const isObject = (v: unknown): v is Node => !!v && typeof v === "object" && !Array.isArray(v);

export interface FormLike {
  schema: Node;
  uiSchema?: Node;
}

export interface FieldInfo {
  title: Localized | null;
  /** an option's words by its value */
  options: Map<string, Localized> | null;
  format: string | null;
  /** where the field comes in its form (forms taken in the order given) */
  order: number;
}

/** Fields by their path without list indexes: "method", "items/amount". */
export type Catalog = Map<string, FieldInfo>;

const both = (zh: unknown, en: unknown): Localized | null => (typeof zh === "string" ? { "zh-CN": zh, en: typeof en === "string" ? en : zh } : null);

function optionsOf(node: Node, ui: Node | undefined): Map<string, Localized> | null {
  const names = ui?.["ui:enumNames"];
  if (Array.isArray(node.enum) && Array.isArray(names)) {
    const en = Array.isArray(ui?.["ui:enumNamesEn"]) ? (ui!["ui:enumNamesEn"] as unknown[]) : [];
    return new Map(node.enum.flatMap((v, i) => (both(names[i], en[i]) ? [[String(v), both(names[i], en[i])!] as const] : [])));
  }
  const oneOf = node.oneOf ?? node.anyOf;
  if (Array.isArray(oneOf) && oneOf.every((o) => isObject(o) && "const" in o)) {
    return new Map((oneOf as Node[]).flatMap((o) => (both(o.title, o.titleEn) ? [[String(o.const), both(o.title, o.titleEn)!] as const] : [])));
  }
  return null;
}

/** Where ui:order puts each property ("*" for the rest, in their schema order). */
function ordered(keys: string[], ui: Node | undefined): string[] {
  const order = Array.isArray(ui?.["ui:order"]) ? (ui!["ui:order"] as string[]) : null;
  if (!order) return keys;
  const rest = keys.filter((k) => !order.includes(k));
  return order.flatMap((k) => (k === "*" ? rest : keys.includes(k) ? [k] : [])).concat(order.includes("*") ? [] : rest);
}

/** One catalog from several forms; a path a form earlier in the list has keeps that form's words. */
export function catalogOf(forms: FormLike[]): Catalog {
  const out: Catalog = new Map();
  let n = 0;
  for (const { schema, uiSchema } of forms) {
    const deref = (node: unknown): unknown => {
      let at = node;
      for (let guard = 0; isObject(at) && typeof at.$ref === "string" && at.$ref.startsWith("#/") && guard < 16; guard++) {
        at = (at.$ref as string)
          .slice(2)
          .split("/")
          .reduce<unknown>((x, seg) => (isObject(x) ? x[seg] : undefined), schema);
      }
      return at;
    };
    const walk = (raw: unknown, ui: Node | undefined, at: string) => {
      const node = deref(raw);
      if (!isObject(node) || !isObject(node.properties)) return;
      for (const key of ordered(Object.keys(node.properties), ui)) {
        const child = deref(node.properties[key]);
        if (!isObject(child)) continue;
        const childUi = isObject(ui?.[key]) ? (ui![key] as Node) : undefined;
        const path = at ? `${at}/${key}` : key;
        if (!out.has(path)) {
          out.set(path, { title: both(childUi?.["ui:title"] ?? child.title, childUi?.["ui:titleEn"] ?? child.titleEn), options: optionsOf(child, childUi), format: typeof child.format === "string" ? child.format : null, order: n++ });
        }
        walk(child, childUi, path);
        if (child.items !== undefined) walk(child.items, isObject(childUi?.items) ? (childUi!.items as Node) : undefined, path);
      }
    };
    walk(schema, uiSchema, "");
  }
  return out;
}

/** The catalog's path of a data pointer's segments: list indexes left out. */
export const catalogPath = (segments: Array<string | number>): string => segments.filter((s) => typeof s === "string" && !/^\d+$/.test(s)).join("/");

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** A value as a person reads it: an option's words, an amount as ¥1,234.00, an instant in China time. */
export function displayValue(info: FieldInfo | undefined, value: unknown, lang: Lang): string {
  if (value === null || value === undefined) return "";
  if (typeof value !== "string") return String(value);
  const option = info?.options?.get(value);
  if (option) return option[lang];
  if ((info?.format === "money" || info?.format === "signed-money") && isMoney(value)) return formatMoney(value);
  if (INSTANT.test(value) && !Number.isNaN(Date.parse(value))) return chinaDateTime(value);
  return value;
}

/** The entries of an object in the forms' order; fields no form has come last, as they were. */
export function orderedEntries(catalog: Catalog, at: string, value: Record<string, unknown>): Array<[string, unknown]> {
  const rank = (k: string) => catalog.get(at ? `${at}/${k}` : k)?.order ?? Number.MAX_SAFE_INTEGER;
  return Object.entries(value).sort((a, b) => rank(a[0]) - rank(b[0]));
}
