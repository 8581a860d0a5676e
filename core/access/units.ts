import type { Context } from "moleculer";
import { fieldError, type ErrorDetail } from "../errors";
import type { PluginRegistry } from "../plugins/registry";
import type { PluginServiceThis } from "../plugins/types";
import { extensionPoint } from "../plugins/points";
import type { TenantTree } from "../tenancy/tree";

export interface UnitInfo {
  code: string;
  /** the tenant the unit is registered in */
  tenantCode: string;
  name: string;
  /** false once the registry closed or deregistered it */
  active: boolean;
}

/** What a plugin that keeps units implements (its manifest: `...provide(unitsPoint, { resolve: "<its action>" })`). */
export interface UnitsProvider {
  /** the UnitInfo of those of the codes it keeps; others are left out */
  resolve(params: { codes: string[] }): UnitInfo[];
}

/**
 * Registry units (purchasing units, suppliers, agencies, ...) as core may know them: core knows no
 * procurement, so the plugins that keep units answer for them through the kernel's typed extension
 * point `core.units`.
 */
export const unitsPoint = extensionPoint<UnitsProvider>("core.units", {
  title: { "zh-CN": "单位登记库", en: "Unit registers" },
  description: { "zh-CN": "按单位代码查询单位所属地区、名称与状态", en: "Looks unit codes up: their tenant, name and whether they are active" },
  methods: { resolve: true },
});

/** At most this many codes per call to a provider: an import's batch, a pilot's units. */
const CHUNK = 1000;

/** The plugin registry the running action's service was given (core and plugin services alike). */
function extensionsOf(ctx: Context): PluginRegistry | undefined {
  return (ctx.service as unknown as Partial<PluginServiceThis> | null)?.extensions;
}

/** Whether a plugin on this platform answers for unit codes at all. */
export function hasUnitProvider(ctx: Context): boolean {
  return !!extensionsOf(ctx)?.contributions(unitsPoint.id).some((c) => "actions" in c.contribution);
}

/**
 * Looks unit codes up in every provider's registry, through the broker (a provider may run on
 * another node; one that is down fails the call with UNAVAILABLE rather than pass unchecked codes).
 * Codes no provider knows are absent from the map; with no provider at all, every code is.
 */
export async function resolveUnits(ctx: Context, codes: string[]): Promise<Map<string, UnitInfo>> {
  const found = new Map<string, UnitInfo>();
  const wanted = [...new Set(codes.filter((c) => typeof c === "string" && c !== ""))];
  const extensions = extensionsOf(ctx);
  if (!wanted.length || !extensions) return found;
  for (let i = 0; i < wanted.length; i += CHUNK) {
    const batch = wanted.slice(i, i + CHUNK);
    for (const provider of extensions.providers(ctx, unitsPoint)) {
      const result = await provider.call.resolve({ codes: batch });
      for (const unit of Array.isArray(result) ? result : []) {
        // the first provider (in dependency order) to know a code answers for it
        if (wanted.includes(unit.code) && !found.has(unit.code)) found.set(unit.code, unit);
      }
    }
  }
  return found;
}

/**
 * Field errors for the unit codes that are not units of every one of their `regions` (tenants whose
 * subtree the unit must be in: the account's tenant, the administrator's, ...). A unit of another
 * region is told exactly like one that does not exist, so that the answer is no way to learn which
 * codes (budget codes are first passwords) exist elsewhere. With no provider on the platform no code
 * can be checked, so every one is refused, saying so.
 */
export async function unitProblems(ctx: Context, tree: TenantTree, entries: Array<{ path: string; code: string; regions: string[] }>): Promise<ErrorDetail[]> {
  if (!entries.length) return [];
  if (!hasUnitProvider(ctx)) {
    return entries.map(({ path, code }) =>
      fieldError(path, "unit", `本平台未安装单位登记库，无法核实单位 ${code}`, `no registry on this platform can check the unit ${code}`),
    );
  }
  const units = await resolveUnits(ctx, entries.map((e) => e.code));
  const problems: ErrorDetail[] = [];
  for (const { path, code, regions } of entries) {
    const unit = units.get(code);
    if (unit && regions.every((r) => tree.subtree(r).includes(unit.tenantCode))) continue;
    // Regions nest (an administrator above the account's tenant): the smallest is the one to name.
    const narrowest = regions.reduce((a, b) => (tree.subtree(b).length < tree.subtree(a).length ? b : a));
    const where = tree.get(narrowest)?.name ?? { "zh-CN": narrowest, en: narrowest };
    problems.push(fieldError(path, "unit", `单位 ${code} 不存在，或不属于${where["zh-CN"]}`, `there is no unit ${code} in ${where.en}`));
  }
  return problems;
}
