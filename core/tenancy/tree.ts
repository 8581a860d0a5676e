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

/** The province → city → county tree (loaded from tenants/tenants.json by ./store.ts). */
export class TenantTree {
  private readonly byCode = new Map<string, Tenant>();
  private readonly childrenOf = new Map<string, string[]>();
  private readonly subtreeCache = new Map<string, string[]>();

  constructor(readonly tenants: Tenant[]) {
    for (const t of tenants) {
      if (this.byCode.has(t.code)) throw new Error(`tenant ${t.code} is listed twice`);
      this.byCode.set(t.code, t);
    }
    for (const t of tenants) {
      if (!t.parent) continue;
      if (!this.byCode.has(t.parent)) throw new Error(`tenant ${t.code} names an unknown parent ${t.parent}`);
      this.childrenOf.set(t.parent, [...(this.childrenOf.get(t.parent) ?? []), t.code]);
    }
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
      for (const k of this.childrenOf.get(c) ?? []) walk(k);
    };
    walk(code);
    this.subtreeCache.set(code, out);
    return out;
  }

  /** The province: the tenant without a parent. */
  root(): Tenant {
    return this.tenants.find((t) => !t.parent)!;
  }

  children(code: string): Tenant[] {
    return (this.childrenOf.get(code) ?? []).map((c) => this.byCode.get(c)!);
  }
}
