import type { PlatformContext, PlatformServiceSchema, PluginServiceThis, UnitInfo } from "../../../core/sdk";
import { Purchaser } from "./purchaser-model";
import { Supplier } from "./supplier-model";
import { Agency } from "./agency-model";

/**
 * The kernel's unit lookup (extension point `core.units`, core/access/units.ts): which of these codes
 * are units kept here, in which tenant. A purchasing unit is its budget code (its accounts' unit code),
 * a supplier or an agency its credit code (in any case, as their routes read it); an agency belongs
 * to its home region. No route: only other actions call it, for checks their caller is allowed to make.
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
        const upper = codes.map((c) => c.toUpperCase());
        // this node's own database handle, not the models' process-wide one (which the last kernel
        // started in this process set)
        const db = this.db;
        const [purchasers, suppliers, agencies] = await Promise.all([
          Purchaser.query(db).whereIn("budget_code", codes).select("budget_code", "tenant_code", "name", "status"),
          Supplier.query(db).whereIn("credit_code", upper).select("credit_code", "region", "name", "status"),
          Agency.query(db).whereIn("credit_code", upper).select("credit_code", "region", "name", "status"),
        ]);
        const byUpper = new Map(codes.map((c) => [c.toUpperCase(), c]));
        return [
          ...purchasers.map((p) => ({ code: p.budgetCode, tenantCode: p.tenantCode, name: p.name, active: p.status === "active" })),
          ...[...suppliers, ...agencies].map((s) => ({ code: byUpper.get(s.creditCode) ?? s.creditCode, tenantCode: s.region, name: s.name, active: s.status === "active" })),
        ];
      },
    },
  },
};
