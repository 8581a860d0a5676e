import type { Context } from "moleculer";
import type { Localized } from "../../../core/sdk";

/** A tenant as the portal needs it: its name, and every tenant code of its subtree (itself first). */
export interface TenantEntry {
  code: string;
  name: Localized;
  onPlatform: boolean;
  subtree: string[];
}

/** A node of the public tenant tree (`GET /api/tenants`, action `tenancy.tree`). */
interface TreeNode {
  code: string;
  name: Localized;
  onPlatform?: boolean;
  children?: TreeNode[];
}

// The tree is data read at start-up (tenants/tenants.json): a node changes it only by restarting,
// so a minute's copy is current enough and saves a call per request.
const FRESH_MS = 60_000;

export function indexTree(root: TreeNode): Map<string, TenantEntry> {
  const out = new Map<string, TenantEntry>();
  const walk = (node: TreeNode): string[] => {
    const entry: TenantEntry = { code: node.code, name: node.name, onPlatform: node.onPlatform !== false, subtree: [node.code] };
    out.set(node.code, entry);
    for (const child of node.children ?? []) entry.subtree.push(...walk(child));
    return entry.subtree;
  };
  walk(root);
  return out;
}

/**
 * The tenant tree through the kernel's public tenancy action (never its files or tables), kept for
 * a minute. If tenancy cannot be reached, the last copy serves; with none, the caller's request
 * fails with the broker's error (503).
 */
export class TenantDirectory {
  private tenants?: Map<string, TenantEntry>;
  private fetchedAt = 0;
  private pending?: Promise<Map<string, TenantEntry>>;

  async get(ctx: Context): Promise<Map<string, TenantEntry>> {
    if (this.tenants && Date.now() - this.fetchedAt < FRESH_MS) return this.tenants;
    this.pending ??= (ctx.call("tenancy.tree") as Promise<TreeNode>)
      .then((root) => {
        this.tenants = indexTree(root);
        this.fetchedAt = Date.now();
        return this.tenants;
      })
      .finally(() => {
        this.pending = undefined;
      });
    try {
      return await this.pending;
    } catch (err) {
      if (this.tenants) return this.tenants;
      throw err;
    }
  }
}
