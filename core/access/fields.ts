import { subject } from "@casl/ability";
import { permittedFieldsOf } from "@casl/ability/extra";
import type { AppAbility } from "../plugins/types";

/**
 * Field-level rules on what a caller sees: of `view` (what an object shows when every field is
 * allowed), only the fields the caller may `action` on this object, judged on `row`. A hidden
 * field is absent, not null, so that a client cannot tell an empty value from a secret one.
 */
export function visibleFields<T extends Record<string, unknown>>(ability: AppAbility, action: string, type: string, row: Record<string, unknown>, view: T): Partial<T> {
  const all = Object.keys(view);
  const allowed = permittedFieldsOf(ability, action, subject(type, { ...row }), { fieldsFrom: (rule) => rule.fields || all });
  if (allowed.length >= all.length && all.every((f) => allowed.includes(f))) return view;
  const out: Partial<T> = {};
  for (const f of allowed) if (f in view) (out as Record<string, unknown>)[f] = view[f];
  return out;
}
