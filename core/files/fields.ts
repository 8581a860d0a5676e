import { ATTACHMENT_KEYWORD, type AttachmentLimits } from "../forms/formats";

type Schema = Record<string, unknown>;

export interface AttachmentValue {
  /** JSON pointer of the value in the submitted data */
  pointer: string;
  /** the upload's id */
  id: string;
  limits: AttachmentLimits;
}

const escape = (key: string) => key.replace(/~/g, "~0").replace(/\//g, "~1");
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Whether a form has an attachment field anywhere (its definitions included). */
export function hasAttachments(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.some(hasAttachments);
  if (!isObject(schema)) return false;
  if (schema.format === "attachment") return true;
  return Object.values(schema).some(hasAttachments);
}

const unescape = (key: string) => key.replace(/~1/g, "/").replace(/~0/g, "~");

/** A subschema with its `#/...` references followed within the form. */
function resolved(root: Schema, s: Schema): Schema {
  let at = s;
  for (let hops = 0; typeof at.$ref === "string" && hops < 16; hops++) {
    const keys = (at.$ref as string).replace(/^#/, "").split("/").slice(1);
    let next: unknown = root;
    for (const k of keys) next = isObject(next) ? next[unescape(k)] : undefined;
    if (!isObject(next)) return {};
    at = next;
  }
  return at;
}

/**
 * The limits of the attachment field at a data pointer ("/contract", "/photos/0"; "/photos/-" for
 * an item not yet added), or null where the form has no attachment field.
 */
export function fieldLimits(root: Schema, pointer: string): AttachmentLimits | null {
  if (pointer !== "" && !pointer.startsWith("/")) return null;
  let at = resolved(root, root);
  for (const raw of pointer.split("/").slice(1)) {
    const key = unescape(raw);
    let next: unknown;
    if (isObject(at.properties) && Object.hasOwn(at.properties, key)) next = at.properties[key];
    else if (at.items !== undefined && (key === "-" || /^(0|[1-9]\d*)$/.test(key))) next = Array.isArray(at.items) ? (key === "-" ? undefined : (at.items as unknown[])[Number(key)]) : at.items;
    if (!isObject(next)) return null;
    at = resolved(root, next);
  }
  return at.format === "attachment" ? ((at[ATTACHMENT_KEYWORD] as AttachmentLimits | undefined) ?? {}) : null;
}

/**
 * Every attachment id a submission names, walking the data beside its (already validated) form:
 * properties, array items and the form's own `#/definitions/...` references.
 */
export function attachmentValues(root: Schema, data: unknown): AttachmentValue[] {
  const out: AttachmentValue[] = [];
  const resolve = (s: Schema) => resolved(root, s);
  const walk = (raw: unknown, value: unknown, pointer: string) => {
    if (!isObject(raw)) return;
    const s = resolve(raw);
    if (s.format === "attachment" && typeof value === "string") {
      out.push({ pointer, id: value, limits: (s[ATTACHMENT_KEYWORD] as AttachmentLimits | undefined) ?? {} });
      return;
    }
    if (Array.isArray(value) && s.items) {
      value.forEach((item, i) => walk(Array.isArray(s.items) ? (s.items as unknown[])[i] : s.items, item, `${pointer}/${i}`));
      return;
    }
    if (isObject(value) && isObject(s.properties)) {
      for (const [key, sub] of Object.entries(s.properties)) if (key in value) walk(sub, value[key], `${pointer}/${escape(key)}`);
    }
  };
  walk(root, data, "");
  return out;
}
