import type { ActionSchema, Middleware, ServiceBroker } from "moleculer";
import { PlatformError, unauthenticated, forbidden, passwordChangeRequired } from "../errors";
import { isConnectionError } from "../db";
import { buildAbility } from "../access/ability";
import type { AppAbility, PlatformActionSchema, PlatformContext, PluginManifest, SessionUser } from "../plugins/types";
import type { TenantTree } from "../tenancy/tree";
import { moduleGate, type GateSources } from "../tenancy/gate";
import { withTraceOf } from "../observability/trace";
import { idempotencyGate } from "./idempotency";
import type { Knex } from "knex";

type Next = (ctx: PlatformContext) => Promise<unknown>;

const ENVELOPE_INTERNAL = { "zh-CN": "服务器内部错误", en: "Internal server error" };

/**
 * Each way of being unavailable says what is missing (DESIGN.md §7: UNAVAILABLE, 503), with a
 * `reason` a client or an operator can act on: waiting helps with all of them, but an empty pool
 * means load, a refused connection means the database, and a missing node means a plugin.
 */
export const UNAVAILABLE = {
  /** no connection of this node's pool came free within the acquire timeout (knex's "Timeout acquiring a connection") */
  databaseBusy: () =>
    new PlatformError("UNAVAILABLE", { "zh-CN": "服务器繁忙：暂时没有空闲的数据库连接，请稍后再试", en: "The server is busy: no database connection came free in time; try again shortly" }, { reason: "database-busy", retryAfterSeconds: 1 }),
  /** the gateway already handles API_MAX_IN_FLIGHT requests: its queue is full, this one is not taken */
  overloaded: () =>
    new PlatformError("UNAVAILABLE", { "zh-CN": "服务器繁忙：正在处理的请求已达上限，请稍后再试", en: "The server is busy: it is handling as many requests as it takes; try again shortly" }, { reason: "overloaded", retryAfterSeconds: 1 }),
  /** a connection could not be made or was lost */
  databaseDown: () =>
    new PlatformError("UNAVAILABLE", { "zh-CN": "数据库暂时无法连接，请稍后再试", en: "The database cannot be reached right now; try again shortly" }, { reason: "database-down" }),
  /** no live node serves the plugin (none started, or all gone) */
  noLiveNode: (service: string) =>
    new PlatformError("UNAVAILABLE", { "zh-CN": `「${service}」服务当前没有可用的节点，请稍后再试`, en: `No node serving "${service}" is running; try again shortly` }, { reason: "no-live-node", service }),
  /** the node a call went to stopped answering before it replied (killed, cut off) */
  nodeLost: (service: string) =>
    new PlatformError("UNAVAILABLE", { "zh-CN": `处理请求的「${service}」节点已停止响应，请稍后再试`, en: `The node serving "${service}" stopped answering; try again shortly` }, { reason: "node-lost", service }),
  /** the call took the whole REQUEST_TIMEOUT_MS */
  timeout: (service: string) =>
    new PlatformError("UNAVAILABLE", { "zh-CN": `「${service}」服务未在规定时间内响应，请稍后再试`, en: `"${service}" did not answer in time; try again shortly` }, { reason: "timeout", service }),
};

/** Moleculer's ways of not reaching an action, by its error type. */
const UNREACHED: Record<string, (service: string) => PlatformError> = {
  SERVICE_NOT_FOUND: UNAVAILABLE.noLiveNode,
  SERVICE_NOT_AVAILABLE: UNAVAILABLE.noLiveNode,
  REQUEST_REJECTED: UNAVAILABLE.nodeLost,
  REQUEST_TIMEOUT: UNAVAILABLE.timeout,
};

/**
 * The broker's error handler (Moleculer calls it for every action that fails, at no cost to those
 * that do not): whatever a handler throws leaves this node as an error of the envelope. A lost
 * database, an empty pool, an action no live node serves are each their own UNAVAILABLE; anything
 * unexpected is logged here, with its stack and the action's name, and travels on as
 * INTERNAL_ERROR, so that no SQL or stack reaches another node or a browser. Errors that already
 * speak the envelope, and Moleculer's other errors, pass through unchanged.
 *
 * Moleculer's retries and circuit breaker sit inside this handler: they see its errors as they are.
 */
export function settleError(this: ServiceBroker, err: unknown, info: { action?: { name?: string } | null; actionName?: string; ctx?: unknown }): never {
  return withTraceOf(info.ctx, () => settle.call(this, err, info));
}

function settle(this: ServiceBroker, err: unknown, info: { action?: { name?: string } | null; actionName?: string }): never {
  const e = err as { type?: string; code?: number; name?: string };
  if (err instanceof PlatformError) throw err;
  const where = info.action?.name ?? info.actionName ?? "a call";
  // Moleculer's own errors name the action they could not reach; the handler they surface in may be another (gateway.rest).
  if (e && typeof e.type === "string" && UNREACHED[e.type]) throw UNREACHED[e.type](String((err as { data?: { action?: unknown } }).data?.action ?? where).split(".")[0]);
  if (e && typeof e.type === "string" && typeof e.code === "number" && e.name !== "Error") throw err;
  if (isConnectionError(err)) {
    // knex's acquire timeout is the pool, not the database: a database that refuses connections
    // fails each attempt at once (knex propagates the create error), long before that timeout.
    const busy = /Timeout acquiring a connection/.test((err as Error).message ?? "");
    this.logger.warn(`${where}: ${busy ? "no free database connection" : "database unreachable"}: ${(err as Error).message}`);
    throw busy ? UNAVAILABLE.databaseBusy() : UNAVAILABLE.databaseDown();
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
      // An ability never changes, so its answer for this action's [action, subject] is kept with it.
      const decided = new WeakMap<AppAbility, boolean>();
      return function permissionGateHandler(ctx: PlatformContext) {
        const user = ctx.meta.user;
        if (perm !== "public" && !user) return Promise.reject(unauthenticated());
        const ability = abilityFor(user);
        ctx.locals.ability = ability;
        if (Array.isArray(perm)) {
          let allowed = decided.get(ability);
          if (allowed === undefined) decided.set(ability, (allowed = ability.can(perm[0], perm[1])));
          if (!allowed) return Promise.reject(forbidden());
        }
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
 * gate, the module gate, permissions, then the keeping of Idempotency-Keys (only what is allowed
 * is kept). Errors are settled by the broker's error handler
 * (settleError), outside them all.
 */
export function kernelMiddlewares(plugins: () => PluginManifest[], tree: TenantTree, gate: GateSources, db: () => Knex): Middleware[] {
  return [passwordChangeGate(), moduleGate(gate), permissionGate(plugins, tree), idempotencyGate(db)];
}
