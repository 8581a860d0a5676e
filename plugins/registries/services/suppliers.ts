import type { PlatformContext, PlatformServiceSchema } from "../../../core/sdk";
import { listFilters, listRecords, type ListParams } from "./coded-registry";
import { recordActions } from "./coded-import";
import { SUPPLIER_CSV, SUPPLIERS } from "./supplier-model";

const SIZE_CLASSES = ["large", "medium", "small", "micro"] as const;
const STATUSES = ["active", "suspended", "deregistered"] as const;

/** The suppliers registry (供应商库), keyed by credit code: `/api/registries/suppliers[/:code]`. */
export const suppliersService: PlatformServiceSchema = {
  name: "registries.suppliers",
  actions: {
    list: {
      rest: "GET /suppliers",
      kind: "read",
      permission: ["read", "Supplier"],
      async handler(ctx: PlatformContext<ListParams>) {
        const { tenants, values } = listFilters(ctx.params, { sizeClass: SIZE_CLASSES, status: STATUSES, sme: ["true", "false"] });
        return listRecords(SUPPLIERS, ctx, (query) => {
          if (tenants) query.whereIn("region", tenants);
          if (values.sizeClass) query.where("size_class", values.sizeClass);
          if (values.status) query.where("status", values.status);
          if (values.sme) query.whereIn("size_class", values.sme === "true" ? ["small", "micro"] : ["large", "medium"]);
        });
      },
    },

    ...recordActions(SUPPLIERS, { path: "suppliers", subject: "Supplier", csv: SUPPLIER_CSV }),
  },
};
