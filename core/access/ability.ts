import { AbilityBuilder, createMongoAbility, subject as asSubject } from "@casl/ability";
import type { AppAbility, PluginManifest, SessionUser } from "../plugins/types";
import { forbidden, notFound, type Localized } from "../errors";
import type { TenantTree } from "../tenancy/tree";

/**
 * One ability per request, from the user's roles and tenant. Core adds only the platform
 * administrator's rule; every other rule comes from the plugins that own the subjects.
 */
export function buildAbility(user: SessionUser | null | undefined, plugins: PluginManifest[], tree: TenantTree): AppAbility {
  const builder = new AbilityBuilder<AppAbility>(createMongoAbility);
  if (user) {
    if (user.roles.includes("platform-admin")) builder.can("manage", "all");
    const tools = { can: builder.can, cannot: builder.cannot, tenantScope: tree.subtree(user.tenantCode) };
    for (const p of plugins) p.permissions?.(user, tools);
  }
  return builder.build();
}

/**
 * Object-level check. An object the caller may not even read answers NOT_FOUND, so that ids of
 * other tenants cannot be probed; one they may read but not change answers FORBIDDEN.
 */
export function assertCan(ability: AppAbility, action: string, type: string, row: Record<string, unknown>, what?: Localized): void {
  const obj = asSubject(type, { ...row });
  if (!ability.can("read", obj)) throw notFound(what);
  if (action !== "read" && !ability.can(action, obj)) throw forbidden();
}
