import fs from "node:fs";
import path from "node:path";
import type { Localized } from "../errors";

export interface Tenant {
  code: string;
  name: Localized;
  level: "province" | "city" | "county";
  parent?: string;
  /** false for a region that runs its own platform (Shenzhen) */
  onPlatform?: boolean;
  ownAccountRule?: boolean;
}

/** The province → city → county tree from tenants/tenants.json. */
export class TenantTree {
  private readonly byCode = new Map<string, Tenant>();
  private readonly children = new Map<string, string[]>();
  private readonly subtreeCache = new Map<string, string[]>();

  constructor(readonly tenants: Tenant[]) {
    for (const t of tenants) {
      if (this.byCode.has(t.code)) throw new Error(`tenants.json: tenant ${t.code} is listed twice`);
      this.byCode.set(t.code, t);
    }
    for (const t of tenants) {
      if (!t.parent) continue;
      if (!this.byCode.has(t.parent)) throw new Error(`tenants.json: tenant ${t.code} names an unknown parent ${t.parent}`);
      this.children.set(t.parent, [...(this.children.get(t.parent) ?? []), t.code]);
    }
  }

  static load(file: string): TenantTree {
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as { tenants: Tenant[] };
    return new TenantTree(doc.tenants);
  }

  get(code: string): Tenant | undefined {
    return this.byCode.get(code);
  }

  /** The tenant and every tenant below it: what a regulator or admin of `code` oversees. */
  subtree(code: string): string[] {
    const cached = this.subtreeCache.get(code);
    if (cached) return cached;
    const out: string[] = [];
    const walk = (c: string) => {
      if (!this.byCode.has(c)) return;
      out.push(c);
      for (const k of this.children.get(c) ?? []) walk(k);
    };
    walk(code);
    this.subtreeCache.set(code, out);
    return out;
  }
}

let shared: TenantTree | undefined;
export function tenantTree(rootDir = path.resolve(__dirname, "../..")): TenantTree {
  shared ??= TenantTree.load(path.join(rootDir, "tenants", "tenants.json"));
  return shared;
}
