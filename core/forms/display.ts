/**
 * Showing a form and its errors, in the browser: the language a form is shown in, and the
 * server's error details beside their fields. No Node APIs (the web app bundles this file).
 */

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
