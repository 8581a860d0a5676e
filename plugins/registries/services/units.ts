import type { PlatformContext, PlatformServiceSchema, PluginServiceThis, UnitInfo } from "../../../core/sdk";
import { valueOf } from "./coded-registry";
import { REGISTRIES } from "./registries";

/**
 * The kernel's unit lookup (extension point `core.units`, core/access/units.ts): which of these codes
 * are units kept here, in which tenant. A record is its registry's code (a purchasing unit its budget
 * code, a supplier or an agency its credit code, in any case, as their routes read it), in its
 * registry's tenant (an agency's home region). No route: only other actions call it, for checks
 * their caller is allowed to make.
 */
export const unitsService: PlatformServiceSchema = {
  name: "registries.units",
  actions: {
    resolve: {
      kind: "read",
      permission: "public",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ codes?: unknown }>): Promise<UnitInfo[]> {
        const codes = Array.isArray(ctx.params.codes) ? ctx.params.codes.filter((c): c is string => typeof c === "string" && c.length > 0 && c.length <= 64) : [];
        if (!codes.length) return [];
        const byUpper = new Map(codes.map((c) => [c.toUpperCase(), c]));
        // this node's own database handle, not the models' process-wide one (which the last kernel
        // started in this process set)
        const db = this.db;
        const found = await Promise.all(
          REGISTRIES.map(async (r) => {
            const rows = await r.model.query(db).whereIn(r.code.column, r.code.upper ? [...byUpper.keys()] : codes).select(r.code.column, r.tenant.column, "name", "status");
            return rows.map((row) => {
              const code = valueOf(row, r.code.field);
              return { code: r.code.upper ? (byUpper.get(code) ?? code) : code, tenantCode: valueOf(row, r.tenant.field), name: row.name, active: row.status === "active" };
            });
          }),
        );
        return found.flat();
      },
    },
  },
};
