import type { ActionSchema, Middleware } from "moleculer";
import { PlatformError, unauthenticated, forbidden } from "../errors";
import { isConnectionError } from "../db";
import { buildAbility } from "../access/ability";
import type { AppAbility, PlatformActionSchema, PlatformContext, PluginManifest, SessionUser } from "../plugins/types";
import type { TenantTree } from "../tenancy/tree";

type Next = (ctx: PlatformContext) => Promise<unknown>;

const ENVELOPE_INTERNAL = { "zh-CN": "服务器内部错误", en: "Internal server error" };
const ENVELOPE_DB_DOWN = { "zh-CN": "数据库暂时不可用，请稍后再试", en: "The database is temporarily unavailable; try again shortly" };

/**
 * Outermost kernel middleware: whatever a handler throws leaves this node as an error of the
 * envelope. A lost database becomes UNAVAILABLE; anything unexpected is logged here, with its
 * stack, and travels on as INTERNAL_ERROR, so that no SQL or stack reaches another node or a browser.
 */
export function errorBoundary(): Middleware {
  return {
    name: "ErrorBoundary",
    localAction(next: Next, action: ActionSchema) {
      const settle = (ctx: PlatformContext, err: unknown): never => {
        const e = err as { type?: string; code?: number; name?: string };
        if (err instanceof PlatformError) throw err;
        // Moleculer's own errors (timeouts, missing services, params validation) are understood by the gateway.
        if (e && typeof e.type === "string" && typeof e.code === "number" && e.name !== "Error") throw err;
        if (isConnectionError(err)) {
          ctx.broker.logger.warn(`${action.name}: database unreachable: ${(err as Error).message}`);
          throw new PlatformError("UNAVAILABLE", ENVELOPE_DB_DOWN);
        }
        ctx.broker.logger.error(`${action.name} failed:`, err);
        throw new PlatformError("INTERNAL_ERROR", ENVELOPE_INTERNAL);
      };
      // No async/await: on the hot path one promise hop per call is measurable.
      return function errorBoundaryHandler(ctx: PlatformContext) {
        let result: Promise<unknown>;
        try {
          result = next(ctx);
        } catch (err) {
          return Promise.reject(err).catch((e) => settle(ctx, e));
        }
        return Promise.resolve(result).catch((e) => settle(ctx, e));
      };
    },
  } as unknown as Middleware;
}

/**
 * Abilities depend only on the user's claims (id, tenant, roles, unit) and on the plugins' rules,
 * which are fixed for the life of a node: build each once and keep the most recent ones.
 */
export function abilityCache(plugins: () => PluginManifest[], tree: TenantTree, max = 1000) {
  const cache = new Map<string, AppAbility>();
  return (user: SessionUser | null | undefined): AppAbility => {
    const key = user ? `${user.id}\u0000${user.tenantCode}\u0000${user.unitCode ?? ""}\u0000${user.roles.join(",")}` : "";
    let ability = cache.get(key);
    if (ability) {
      cache.delete(key);
    } else {
      ability = buildAbility(user, plugins(), tree);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
    }
    cache.set(key, ability);
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

/** The kernel's middlewares, outermost first (the order of DESIGN.md §3). */
export function kernelMiddlewares(plugins: () => PluginManifest[], tree: TenantTree): Middleware[] {
  return [errorBoundary(), permissionGate(plugins, tree)];
}
