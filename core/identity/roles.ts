import type { Localized } from "../errors";
import { PluginError } from "../plugins/loader";
import type { PluginManifest, RoleDecl, SessionUser } from "../plugins/types";

/**
 * The roles core itself knows: those that run the platform. Every other role (who buys, who
 * sells, who supervises) is declared by the plugin whose business it is, in its manifest's
 * `roles`, with its labels; its abilities come from that plugin's `permissions`.
 */
export const PLATFORM_ROLES: Record<string, RoleDecl> = {
  "platform-admin": { title: { "zh-CN": "平台管理员", en: "platform admin" } },
  "tenant-admin": { title: { "zh-CN": "地区管理员", en: "tenant admin" } },
};

/** Roles only a platform administrator may give. */
export const PRIVILEGED_ROLES: readonly string[] = ["tenant-admin", "platform-admin"];

export interface RoleView {
  name: string;
  title: Localized;
  description?: Localized;
  /** the plugin that declares it; null for core's */
  plugin: string | null;
  oversees: boolean;
}

/** Every role of a platform: core's and those of its plugins, each declared once. */
export class RoleBook {
  private readonly roles = new Map<string, RoleView>();

  constructor(plugins: readonly PluginManifest[]) {
    for (const [name, decl] of Object.entries(PLATFORM_ROLES)) this.roles.set(name, { name, ...decl, plugin: null, oversees: false });
    for (const p of plugins) {
      for (const [name, decl] of Object.entries(p.roles ?? {})) {
        const other = this.roles.get(name);
        if (other) throw new PluginError(p.name, `roles.${name}`, other.plugin ? `already declared by plugin "${other.plugin}"` : "is one of core's roles");
        this.roles.set(name, { name, title: decl.title, description: decl.description, plugin: p.name, oversees: decl.oversees === true });
      }
    }
  }

  has(name: string): boolean {
    return this.roles.has(name);
  }

  names(): string[] {
    return [...this.roles.keys()];
  }

  list(): RoleView[] {
    return [...this.roles.values()];
  }

  /** Roles an account import may give: all but the platform administrator's, which is made on the platform. */
  importable(): string[] {
    return this.names().filter((r) => r !== "platform-admin");
  }

  /** Whether one of these roles oversees its tenant's business (the token's `oversees` claim). */
  oversees(roles: readonly string[]): boolean {
    return roles.some((r) => this.roles.get(r)?.oversees === true);
  }
}

/**
 * Whether the user reads all business of their tenant and the tenants below it: a role that
 * oversees (declared by its plugin), or the tenant's administrator.
 */
export const overseesRegion = (user: SessionUser): boolean => user.oversees === true || user.roles.includes("tenant-admin");
