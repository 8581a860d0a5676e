import { AbilityBuilder, createMongoAbility, subject as asSubject } from "@casl/ability";
import type { AppAbility, PlatformContext, PluginManifest, SessionUser } from "../plugins/types";
import { forbidden, notFound, type Localized } from "../errors";
import type { TenantTree } from "../tenancy/tree";
import { overseesRegion } from "../identity/roles";

/**
 * One ability per user, from their roles and tenant. Core adds the platform administrator's rule
 * and the tenant administrator's rule on schedules; every other rule comes from the plugins that
 * own the subjects.
 */
export function buildAbility(user: SessionUser | null | undefined, plugins: PluginManifest[], tree: TenantTree): AppAbility {
  const builder = new AbilityBuilder<AppAbility>(createMongoAbility);
  if (user) {
    const tenantScope = tree.subtree(user.tenantCode);
    if (user.roles.includes("platform-admin")) builder.can("manage", "all");
    // Rolling modules out is the tenant admin's job, for their tenant and the tenants below it.
    if (user.roles.includes("tenant-admin")) {
      const inScope = { tenantCode: { $in: tenantScope } };
      builder.can("update", "TenantSchedule", inScope);
      // Accounts of their region: look up, create and import, change, reset a password, disable.
      // Platform administrators' accounts are the platform's, whatever tenant they sit in.
      builder.can(["read", "create", "import", "update", "reset", "disable"], "Account", inScope);
      builder.cannot(["update", "reset", "disable"], "Account", { privileged: true });
      // Form overlays: their tenant's and the tenants' below it (stricter forms for their region).
      builder.can(["read", "update"], "FormOverlay", inScope);
      // Business of their region brought over from the old system (core/workflow's adopt).
      builder.can("import", "WorkflowInstance", inScope);
    }
    // Everybody may read their own account.
    builder.can("read", "Account", { id: user.id });
    // Workflow instances: those who started them and their unit see them; tenant admins and the
    // roles that oversee a region see their region's. Plugins add their own.
    builder.can("read", "WorkflowInstance", { createdBy: user.id });
    if (user.unitCode) {
      // Only in the user's region: a unit code alone (an account bound to another city's unit by
      // old data or a mistake) opens nothing elsewhere.
      builder.can("read", "WorkflowInstance", { ownerUnit: user.unitCode, tenantCode: { $in: tenantScope } });
      // units a step named as parties (the supplier of a contract, the agency entrusted with a plan)
      builder.can("read", "WorkflowInstance", { parties: user.unitCode });
    }
    if (overseesRegion(user)) builder.can("read", "WorkflowInstance", { tenantCode: { $in: tenantScope } });
    const tools = { can: builder.can, cannot: builder.cannot, tenantScope };
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

/** The caller's ability, as the permission middleware put it on the request (core/broker). */
export const abilityOf = (ctx: PlatformContext) => ctx.locals.ability as AppAbility;
