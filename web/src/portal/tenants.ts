import { useApi } from "../ui/use-api";
import type { TenantNode } from "../api/types";

/** Every tenant of the tree, depth first, with its depth (0 province, 1 city, 2 county). */
export function flatten(root: TenantNode | undefined, onPlatformOnly = true): Array<TenantNode & { depth: number }> {
  const out: Array<TenantNode & { depth: number }> = [];
  const walk = (t: TenantNode, depth: number) => {
    if (onPlatformOnly && !t.onPlatform) return;
    out.push({ ...t, depth });
    for (const c of t.children) walk(c, depth + 1);
  };
  if (root) walk(root, 0);
  return out;
}

/** The subtree under a code (the tenant itself first), or nothing when the code is not in the tree. */
export function subtreeOf(root: TenantNode | undefined, code: string): Array<TenantNode & { depth: number }> {
  const all = flatten(root);
  const at = all.findIndex((t) => t.code === code);
  if (at < 0) return [];
  const out = [all[at]];
  for (let i = at + 1; i < all.length && all[i].depth > all[at].depth; i++) out.push(all[i]);
  return out;
}

/** GET /api/tenants: the tree (changes only with a release, so one load per page is plenty). */
export function useTenantTree() {
  return useApi<TenantNode>("/tenants");
}

/** A tenant's name in the tree by its code; the code itself until the tree is read (or if it is not there). */
export function tenantName(root: TenantNode | undefined, code: string): TenantNode["name"] | string {
  return flatten(root, false).find((t) => t.code === code)?.name ?? code;
}
