import type { ActionSchema, Middleware } from "moleculer";
import { PlatformError, unauthenticated, forbidden } from "../errors";
import { isConnectionError } from "../db";
import { buildAbility } from "../access/ability";
import type { AppAbility, PlatformActionSchema, PlatformContext, PluginManifest } from "../plugins/types";
import type { TenantTree } from "../tenancy/tree";

type Next = (ctx: PlatformContext) => Promise<unknown>;

/**
 * Outermost: whatever a handler throws leaves this node as an error of the envelope. A lost
 * database becomes UNAVAILABLE; anything unexpected is logged here, with its stack, and travels
 * on as INTERNAL_ERROR, so that no SQL or stack reaches another node or a browser.
 */
export function errorBoundary(): Middleware {
  return {
    name: "ErrorBoundary",
    localAction(next: Next, action: ActionSchema) {
      return async function errorBoundaryHandler(this: unknown, ctx: PlatformContext) {
        try {
          return await next(ctx);
        } catch (err) {
          const e = err as { type?: string; code?: number; name?: string };
          if (err instanceof PlatformError) throw err;
          // Moleculer's own errors (timeouts, missing services, params validation) are understood by the gateway.
          if (e && typeof e.type === "string" && typeof e.code === "number" && e.name !== "Error") throw err;
          if (isConnectionError(err)) {
            ctx.broker.logger.warn(`${action.name}: database unreachable: ${(err as Error).message}`);
            throw new PlatformError("UNAVAILABLE", {
              "zh-CN": "数据库暂时不可用，请稍后再试",
              en: "The database is temporarily unavailable; try again shortly",
            });
          }
          ctx.broker.logger.error(`${action.name} failed:`, err);
          throw new PlatformError("INTERNAL_ERROR", { "zh-CN": "服务器内部错误", en: "Internal server error" });
        }
      };
    },
  } as unknown as Middleware;
}

/**
 * Checks what an action declares in `permission`, and gives the handler the caller's ability in
 * ctx.locals.ability for object-level checks and list scoping. Actions without a declaration
 * (Moleculer's internal $node.* actions) are not business and pass through.
 */
export function permissionGate(plugins: () => PluginManifest[], tree: TenantTree): Middleware {
  return {
    name: "PermissionGate",
    localAction(next: Next, action: ActionSchema) {
      const perm = (action as Partial<PlatformActionSchema>).permission;
      if (perm === undefined) return next;
      return function permissionGateHandler(ctx: PlatformContext) {
        let ability: AppAbility | undefined;
        Object.defineProperty(ctx.locals, "ability", {
          configurable: true,
          get: () => (ability ??= buildAbility(ctx.meta.user, plugins(), tree)),
        });
        if (perm !== "public") {
          if (!ctx.meta.user) throw unauthenticated();
          if (Array.isArray(perm) && !(ctx.locals.ability as AppAbility).can(perm[0], perm[1])) throw forbidden();
        }
        return next(ctx);
      };
    },
  } as unknown as Middleware;
}
