import type { ActionSchema, Middleware } from "moleculer";
import { PlatformError } from "../errors";
import type { ActionKind, PlatformContext, SessionUser } from "../plugins/types";
import type { Clock } from "./clock";
import type { ModuleState, ScheduleBook } from "./schedule";
import { localDate } from "./time";

/**
 * What each state lets a caller do (DESIGN.md §5):
 *   off: nothing · pilot: the listed units only · live: everything
 *   sunset: no new business, existing business continues · retired: those who oversee the region
 *   (a role its plugin declares with `oversees`: supervision's regulators) may read
 */
export function allows(state: ModuleState, kind: ActionKind, user: SessionUser | null | undefined, units: string[] | null): boolean {
  switch (state) {
    case "off":
      return false;
    case "pilot":
      return !!user?.unitCode && (units ?? []).includes(user.unitCode);
    case "live":
      return true;
    case "sunset":
      return kind !== "create";
    case "retired":
      return kind === "read" && user?.oversees === true;
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
 * Whether `user` may do business of `kind` in `module` now, by their tenant's schedule: null when
 * allowed, else the MODULE_NOT_ENABLED error to answer (with the date it opens, if one is set).
 * The gate below applies it to a gated plugin's actions; generic core actions that act for a
 * plugin (the workflow engine runs each plugin's workflows) apply it with that plugin's name.
 */
export function moduleRefusal(src: GateSources, module: string, kind: ActionKind, user: SessionUser | null | undefined): PlatformError | null {
  const tenantCode = user?.tenantCode ?? src.rootTenant;
  const now = src.clock.nowMs();
  const book = src.book();
  const entry = book.entryAt(tenantCode, module, now);
  if (entry && allows(entry.state, kind, user, entry.units)) return null;
  const opensAt = book.opensAt(tenantCode, module, new Date(now), (e) => allows(e.state, kind, user, e.units));
  const tenant = book.tree.get(tenantCode) ?? { code: tenantCode, name: { "zh-CN": tenantCode, en: tenantCode } };
  return moduleNotEnabled(module, src.moduleTitle(module), tenant, entry?.state ?? "off", opensAt, entry?.note ?? null);
}

/**
 * The module gate: every action of a gated plugin (the kernel marks them with `module`) is
 * checked against its tenant's schedule at this instant, by the action's kind. Core services and
 * plugins that declare `gated: false` carry no `module` and pass.
 */
export function moduleGate(src: GateSources): Middleware {
  return {
    name: "ModuleGate",
    localAction(next: (ctx: PlatformContext) => Promise<unknown>, action: ActionSchema) {
      const module = (action as { module?: string }).module;
      const kind = (action as { kind?: ActionKind }).kind;
      if (!module || !kind) return next;
      return function moduleGateHandler(ctx: PlatformContext) {
        const refusal = moduleRefusal(src, module, kind, ctx.meta.user);
        return refusal ? Promise.reject(refusal) : next(ctx);
      };
    },
  } as unknown as Middleware;
}
