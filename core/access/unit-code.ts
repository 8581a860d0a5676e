import { overseesRegion } from "../identity/roles";
import type { SessionUser } from "../plugins/types";
import { tenantTree } from "../tenancy";
import type { TenantTree } from "../tenancy/tree";

/**
 * Whether the caller may know which unit code owns something (an instance, a project). A unit's code
 * may be the first password of its accounts (an initial-credential rule may say so), so only the
 * unit itself, those who oversee its region (its administrators, and roles a plugin declares with
 * `oversees`) and platform administrators see it; anybody else taking part sees the unit's name.
 */
export function seesUnitCode(user: SessionUser | null | undefined, owner: { tenantCode: string; unitCode: string | null }, tree: TenantTree = tenantTree()): boolean {
  if (!owner.unitCode) return true;
  if (!user) return false;
  if (user.unitCode === owner.unitCode) return true;
  if (user.roles.includes("platform-admin")) return true;
  return overseesRegion(user) && tree.subtree(user.tenantCode).includes(owner.tenantCode);
}

/**
 * `value` with every string equal to `code` left out (object keys dropped, list items removed), at
 * any depth: whoever may not know a unit's code finds it nowhere, neither where a form holds it
 * (a plan's budgetCode) nor in who did a step (a history row's actor).
 */
export function withoutCode<T>(value: T, code: string): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.filter((x) => x !== code).map(walk);
    if (v && typeof v === "object" && !(v instanceof Date)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (x !== code) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
