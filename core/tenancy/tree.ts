import type { Localized } from "../errors";

export interface Tenant {
  code: string;
  name: Localized;
  level: "province" | "city" | "county";
  parent?: string;
  /** false for a region that runs its own platform (Shenzhen) */
  onPlatform?: boolean;
  /** how accounts of the tenant are made; what is not said here comes from the tenants above */
  accounts?: TenantAccounts;
}

export interface TenantAccounts {
  /** the template a unit's username is made with (core/identity/username-rules.ts); none: the old username */
  usernameRule?: string;
  /** the rule's result is lowercased */
  lowercase?: boolean;
  /** days a first password (the unit's budget code) works */
  initialPasswordDays?: number;
}

/** A tenant's username rule, as the nearest tenant (itself or above) that has one states it. */
export interface UsernameRuleSetting {
  template: string;
  lowercase: boolean;
  /** the tenant that states it */
  tenant: string;
}

/** How long a first password works when no tenant says otherwise. */
export const DEFAULT_INITIAL_PASSWORD_DAYS = 90;

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

  /** The tenant, then its parent, up to the province. */
  *lineage(code: string): Generator<Tenant> {
    for (let t = this.byCode.get(code); t; t = t.parent ? this.byCode.get(t.parent) : undefined) yield t;
  }

  /**
   * The username rule of a tenant's accounts: its own, or the nearest one above it (a county
   * follows its city). Undefined: the legacy rule, units keep their old usernames.
   */
  usernameRule(code: string): UsernameRuleSetting | undefined {
    for (const t of this.lineage(code)) {
      const rule = t.accounts?.usernameRule;
      if (rule !== undefined) return { template: rule, lowercase: t.accounts?.lowercase === true, tenant: t.code };
    }
    return undefined;
  }

  /** Days a first password works for a tenant's accounts: its own setting, the nearest above, or 90. */
  initialPasswordDays(code: string): number {
    for (const t of this.lineage(code)) {
      const days = t.accounts?.initialPasswordDays;
      if (days !== undefined) return days;
    }
    return DEFAULT_INITIAL_PASSWORD_DAYS;
  }
}
