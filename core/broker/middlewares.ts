import type { ActionSchema, Middleware, ServiceBroker } from "moleculer";
import { PlatformError, unauthenticated, forbidden, passwordChangeRequired } from "../errors";
import { isConnectionError } from "../db";
import { buildAbility } from "../access/ability";
import type { AppAbility, PlatformActionSchema, PlatformContext, PluginManifest, SessionUser } from "../plugins/types";
import type { TenantTree } from "../tenancy/tree";
import { moduleGate, type GateSources } from "../tenancy/gate";

type Next = (ctx: PlatformContext) => Promise<unknown>;

const ENVELOPE_INTERNAL = { "zh-CN": "服务器内部错误", en: "Internal server error" };
const ENVELOPE_DB_DOWN = { "zh-CN": "数据库暂时不可用，请稍后再试", en: "The database is temporarily unavailable; try again shortly" };

/**
 * The broker's error handler (Moleculer calls it for every action that fails, at no cost to those
 * that do not): whatever a handler throws leaves this node as an error of the envelope. A lost
 * database becomes UNAVAILABLE; anything unexpected is logged here, with its stack and the
 * action's name, and travels on as INTERNAL_ERROR, so that no SQL or stack reaches another node
 * or a browser. Errors that already speak the envelope, and Moleculer's own (timeouts, missing
 * services), pass through unchanged.
 */
export function settleError(this: ServiceBroker, err: unknown, info: { action?: { name?: string } | null; actionName?: string }): never {
  const e = err as { type?: string; code?: number; name?: string };
  if (err instanceof PlatformError) throw err;
  if (e && typeof e.type === "string" && typeof e.code === "number" && e.name !== "Error") throw err;
  const where = info.action?.name ?? info.actionName ?? "a call";
  if (isConnectionError(err)) {
    this.logger.warn(`${where}: database unreachable: ${(err as Error).message}`);
    throw new PlatformError("UNAVAILABLE", ENVELOPE_DB_DOWN);
  }
  this.logger.error(`${where} failed:`, err);
  throw new PlatformError("INTERNAL_ERROR", ENVELOPE_INTERNAL);
}

/**
 * Abilities depend only on the user's claims (id, tenant, roles, unit) and on the plugins' rules,
 * which are fixed for the life of a node: build each once. They are found by the token's id,
 * which is signed together with the claims (and costs a lookup, not a string to build), else by
 * the claims themselves. At most `max` are kept, the oldest dropped first.
 */
export function abilityCache(plugins: () => PluginManifest[], tree: TenantTree, max = 1000) {
  const cache = new Map<string, AppAbility>();
  const anonymous = buildAbility(null, plugins(), tree);
  return (user: SessionUser | null | undefined): AppAbility => {
    if (!user) return anonymous;
    const key = user.sessionId ?? `${user.id}|${user.tenantCode}|${user.unitCode ?? ""}|${user.roles.join(",")}`;
    let ability = cache.get(key);
    if (!ability) {
      ability = buildAbility(user, plugins(), tree);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(key, ability);
    }
    return ability;
  };
}

/**
 * Checks what an action declares in `permission`, and gives the handler the caller's ability in
 * ctx.locals.ability for object-level checks and list scoping. Actions without a declaration
 * (Moleculer's internal $node.* actions) are not business and pass through.
 *
 * Refusals are rejected promises, never synchronous throws: Moleculer's request tracking only
 * forgets a call whose promise settles, and a thrown refusal would stay tracked forever (and make
 * every graceful stop wait for its full timeout).
 */
export function permissionGate(plugins: () => PluginManifest[], tree: TenantTree): Middleware {
  const abilityFor = abilityCache(plugins, tree);
  return {
    name: "PermissionGate",
    localAction(next: Next, action: ActionSchema) {
      const perm = (action as Partial<PlatformActionSchema>).permission;
      if (perm === undefined) return next;
      return function permissionGateHandler(ctx: PlatformContext) {
        const user = ctx.meta.user;
        if (perm !== "public" && !user) return Promise.reject(unauthenticated());
        const ability = abilityFor(user);
        ctx.locals.ability = ability;
        if (Array.isArray(perm) && !ability.can(perm[0], perm[1])) return Promise.reject(forbidden());
        return next(ctx);
      };
    },
  } as unknown as Middleware;
}

/**
 * A user signed in with a first or one-time password may change it and sign out, nothing else
 * (DESIGN.md §3: the first middleware). Actions that allow it say `duringPasswordChange: true`.
 */
export function passwordChangeGate(): Middleware {
  return {
    name: "PasswordChangeGate",
    localAction(next: Next, action: ActionSchema) {
      const a = action as Partial<PlatformActionSchema>;
      if (a.permission === undefined || a.duringPasswordChange) return next;
      return function passwordChangeGateHandler(ctx: PlatformContext) {
        if (ctx.meta.user?.mustChangePassword) return Promise.reject(passwordChangeRequired());
        return next(ctx);
      };
    },
  } as unknown as Middleware;
}

/**
 * The kernel's middlewares, outermost first (the order of DESIGN.md §3): the password-change
 * gate, the module gate, then permissions. Errors are settled by the broker's error handler
 * (settleError), outside them all.
 */
export function kernelMiddlewares(plugins: () => PluginManifest[], tree: TenantTree, gate: GateSources): Middleware[] {
  return [passwordChangeGate(), moduleGate(gate), permissionGate(plugins, tree)];
}
