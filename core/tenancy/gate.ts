import type { ActionSchema, Middleware } from "moleculer";
import { PlatformError } from "../errors";
import type { ActionGate, ActionKind, PlatformActionSchema, PlatformContext, PluginServiceThis, SessionUser } from "../plugins/types";
import type { Clock } from "./clock";
import type { ModuleState, ScheduleBook } from "./schedule";
import { localDate } from "./time";

/**
 * Where business is, for the gate: the tenant whose schedule governs it and the unit it belongs to
 * (a pilot lists purchasing units, so it is the unit of the tender, not the supplier's, that counts).
 * An action or workflow step on an existing object names the object's; everything else is the caller's.
 */
export interface GatePlace {
  tenantCode: string;
  unitCode?: string | null;
}

/**
 * Who acts, as far as a state asks: the unit the business belongs to (`pilot`) and whether the
 * caller oversees the region it is in (`retired`). A SessionUser acting on its own tenant's
 * business is one, as it is.
 */
export interface GateSubject {
  unitCode?: string | null;
  oversees?: boolean;
}

/**
 * What each state lets a caller do (DESIGN.md §5):
 *   off: nothing · pilot: the listed units only · live: everything
 *   sunset: no new business, existing business continues · retired: those who oversee the region
 *   (a role its plugin declares with `oversees`: supervision's regulators) may read
 */
export function allows(state: ModuleState, kind: ActionKind, who: GateSubject | null | undefined, units: string[] | null): boolean {
  switch (state) {
    case "off":
      return false;
    case "pilot":
      return !!who?.unitCode && (units ?? []).includes(who.unitCode);
    case "live":
      return true;
    case "sunset":
      return kind !== "create";
    case "retired":
      return kind === "read" && who?.oversees === true;
  }
}

const STATE_NAMES: Record<ModuleState, { "zh-CN": string; en: string }> = {
  off: { "zh-CN": "未开通", en: "off" },
  pilot: { "zh-CN": "试点", en: "pilot" },
  live: { "zh-CN": "已上线", en: "live" },
  sunset: { "zh-CN": "停止新业务", en: "sunset" },
  retired: { "zh-CN": "已退役", en: "retired" },
};

export interface ModuleInfo {
  title: { "zh-CN": string; en: string };
}

export function moduleNotEnabled(
  module: string,
  moduleTitle: ModuleInfo["title"],
  tenant: { code: string; name: { "zh-CN": string; en: string } },
  current: ModuleState,
  opensAt: Date | null,
  /** the schedule entry's note (the notice's words, or the tenant admin's): why, for the client to show */
  reason: string | null = null,
): PlatformError {
  const state = STATE_NAMES[current];
  const opens = opensAt ? localDate(opensAt) : null;
  return new PlatformError(
    "MODULE_NOT_ENABLED",
    {
      "zh-CN": `${tenant.name["zh-CN"]}的「${moduleTitle["zh-CN"]}」当前${state["zh-CN"]}，不能办理此业务${opens ? `；将于 ${opens} 开通` : ""}`,
      en: `${moduleTitle.en} is ${state.en} for ${tenant.name.en}; this is not possible there now${opens ? `; it opens on ${opens}` : ""}`,
    },
    { module, tenant: tenant.code, state: current, opensAt: opensAt?.toISOString() ?? null, reason },
  );
}

export interface GateSources {
  book: () => ScheduleBook;
  clock: Clock;
  moduleTitle: (module: string) => ModuleInfo["title"];
  /** the province: whose schedule applies to callers without a tenant */
  rootTenant: string;
}

/**
 * Whether `user` may do business of `kind` in `module` now, by the schedule of the tenant where the
 * business is (`place`; the caller's own tenant and unit when none is given): null when allowed,
 * else the MODULE_NOT_ENABLED error to answer, naming that tenant (with the date it opens, if one
 * is set). The gate below applies it to a gated plugin's actions; generic core actions that act for
 * a plugin (the workflow engine runs each plugin's workflows) apply it with that plugin's name.
 */
export function moduleRefusal(src: GateSources, module: string, kind: ActionKind, user: SessionUser | null | undefined, place?: GatePlace): PlatformError | null {
  const book = src.book();
  const tenantCode = place?.tenantCode ?? user?.tenantCode ?? src.rootTenant;
  // a regulator oversees its own tenant and those below it, not a neighbour's retired business
  // (the caller, acting in its own place, is the subject as it is: its unit, whether it oversees)
  const who: GateSubject | null | undefined = place
    ? { unitCode: place.unitCode ?? null, oversees: user?.oversees === true && book.tree.subtree(user.tenantCode).includes(tenantCode) }
    : user;
  const now = src.clock.nowMs();
  const entry = book.entryAt(tenantCode, module, now);
  if (entry && allows(entry.state, kind, who, entry.units)) return null;
  const opensAt = book.opensAt(tenantCode, module, new Date(now), (e) => allows(e.state, kind, who, e.units));
  const tenant = book.tree.get(tenantCode) ?? { code: tenantCode, name: { "zh-CN": tenantCode, en: tenantCode } };
  return moduleNotEnabled(module, src.moduleTitle(module), tenant, entry?.state ?? "off", opensAt, entry?.note ?? null);
}

const PLACE_ERROR = (action: string) => new Error(`${action}.gate.of must answer { tenantCode: string, unitCode?: string | null }`);

/** The place an action's `gate.of` names, checked: a resolver that answers nonsense is the plugin's bug, not the caller's. */
async function placeOf(of: ActionGate["of"], ctx: PlatformContext, action: string): Promise<GatePlace> {
  const place = (await of.call(ctx.service as unknown as PluginServiceThis, ctx)) as GatePlace | null | undefined;
  if (!place || typeof place.tenantCode !== "string" || !place.tenantCode) throw PLACE_ERROR(action);
  if (place.unitCode !== undefined && place.unitCode !== null && typeof place.unitCode !== "string") throw PLACE_ERROR(action);
  return place;
}

/**
 * The module gate: every action of a gated plugin (the kernel marks them with `module`) is
 * checked against a tenant's schedule at this instant, by the action's kind. Which tenant: the
 * one where the business is, when the action says so with `gate.of` (a supplier of any region
 * registers on a Huizhou tender while Huizhou is live); the caller's otherwise. Core services and
 * plugins that declare `gated: false` carry no `module` and pass.
 */
export function moduleGate(src: GateSources): Middleware {
  return {
    name: "ModuleGate",
    localAction(next: (ctx: PlatformContext) => Promise<unknown>, action: ActionSchema) {
      const a = action as Partial<PlatformActionSchema>;
      if (a.gate !== undefined && typeof a.gate?.of !== "function") {
        throw new Error(`${String(a.name)}.gate: must be { of: async (ctx) => ({ tenantCode, unitCode? }) }`);
      }
      const { module, kind } = a;
      if (!module || !kind) return next;
      const of = a.gate?.of;
      if (!of) {
        return function moduleGateHandler(ctx: PlatformContext) {
          const refusal = moduleRefusal(src, module, kind, ctx.meta.user);
          return refusal ? Promise.reject(refusal) : next(ctx);
        };
      }
      const name = String(a.name ?? "action");
      return async function moduleGatePlaceHandler(ctx: PlatformContext) {
        // Someone the permission gate turns away as not signed in is not told whether the object exists.
        if (a.permission !== "public" && !ctx.meta.user) return next(ctx);
        const place = await placeOf(of, ctx, name);
        const refusal = moduleRefusal(src, module, kind, ctx.meta.user, place);
        if (refusal) throw refusal;
        return next(ctx);
      };
    },
  } as unknown as Middleware;
}
