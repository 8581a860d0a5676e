/**
 * Fields a form fills as the person types, declared in its uiSchema (no web code per form):
 *
 *   "amount": { "ui:options": { "product": ["quantity", "unitPrice"] } }   a line's quantity × price
 *   "total":  { "ui:options": { "sum": "items/amount" } }                   the lines' amounts added up
 *
 * A field is filled again only when what it derives from changed, so a person may still write
 * another value in it (the server has the last word); money is exact (decimal.js, rounded half up to
 * the fen, as the server computes it). Pure.
 */
import Decimal from "decimal.js";
import { isMoney, money, toMoney } from "../../../core/forms/money";

type Node = Record<string, unknown>;
const isObject = (v: unknown): v is Node => !!v && typeof v === "object" && !Array.isArray(v);

export interface DerivedUpdate {
  /** where, for rjsf's setFieldValue: names and list indexes */
  path: Array<string | number>;
  value: string;
}

/** A factor as an exact number: a JSON number (a quantity) or a money string; null if neither. */
function factor(v: unknown): Decimal | null {
  if (typeof v === "number" && Number.isFinite(v)) return new Decimal(v);
  if (typeof v === "string" && isMoney(v)) return money(v);
  return null;
}

function product(values: unknown[]): string | null {
  let out = new Decimal(1);
  for (const v of values) {
    const f = factor(v);
    if (!f) return null;
    out = out.times(f);
  }
  try {
    return toMoney(out);
  } catch {
    return null; // beyond what a form holds: the field's own check says so
  }
}

function sum(values: unknown[]): string | null {
  const amounts = values.filter((v): v is string => typeof v === "string" && isMoney(v));
  if (!amounts.length) return null;
  try {
    return toMoney(amounts.reduce((acc, v) => acc.plus(money(v)), new Decimal(0)));
  } catch {
    return null;
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The values at "list/field" in an object: each item's field. */
function column(data: Node | undefined, spec: string): unknown[] | undefined {
  const [list, field] = spec.split("/");
  const items = data?.[list];
  return Array.isArray(items) ? items.map((it) => (isObject(it) ? it[field] : undefined)) : undefined;
}

/**
 * What to fill after a change from `before` to `after`: each derived field whose sources changed
 * and whose value is not already the derived one. Applying them changes sources of other derived
 * fields (a line's amount is the total's); the next change event derives those in turn.
 */
export function derivedUpdates(uiSchema: unknown, before: unknown, after: unknown): DerivedUpdate[] {
  const out: DerivedUpdate[] = [];
  const walk = (ui: unknown, b: unknown, a: unknown, path: Array<string | number>) => {
    if (!isObject(ui)) return;
    if (Array.isArray(a)) {
      a.forEach((item, i) => walk(ui.items, Array.isArray(b) ? b[i] : undefined, item, [...path, i]));
      return;
    }
    if (!isObject(a)) return;
    const was = isObject(b) ? b : undefined;
    for (const [key, childUi] of Object.entries(ui)) {
      if (key.startsWith("ui:") || !isObject(childUi)) continue;
      const opts = isObject(childUi["ui:options"]) ? (childUi["ui:options"] as Node) : {};
      let value: string | null = null;
      if (Array.isArray(opts.product)) {
        const names = opts.product as string[];
        if (names.some((n) => !same(was?.[n], a[n]))) value = product(names.map((n) => a[n]));
      } else if (typeof opts.sum === "string") {
        const now = column(a, opts.sum);
        if (now && !same(column(was, opts.sum), now)) value = sum(now);
      }
      if (value !== null && value !== a[key]) out.push({ path: [...path, key], value });
      walk(childUi, was?.[key], a[key], [...path, key]);
    }
  };
  walk(uiSchema, before, after, []);
  return out;
}

/**
 * Top-level fields filled from the signed-in account when the data has none:
 * `"budgetCode": { "ui:options": { "fromAccount": "unitCode" } }` (the unit's budget code).
 */
export function accountDefaults<T extends Node>(uiSchema: unknown, data: T, account: Node | null | undefined): T {
  if (!isObject(uiSchema) || !account) return data;
  let out = data;
  for (const [key, childUi] of Object.entries(uiSchema)) {
    const from = isObject(childUi) && isObject(childUi["ui:options"]) ? (childUi["ui:options"] as Node).fromAccount : undefined;
    const value = typeof from === "string" ? account[from] : undefined;
    if (typeof value === "string" && value && (out[key] === undefined || out[key] === "")) out = { ...out, [key]: value };
  }
  return out;
}
