import type { Readable } from "node:stream";
import type { PlatformContext, PlatformServiceSchema } from "../../../core/plugins/types";
import {
  abilityOf,
  createRecord,
  deactivateRecord,
  listFilters,
  listRecords,
  readRecord,
  updateRecord,
  type ListParams,
} from "./coded-registry";
import { importRecords } from "./coded-import";
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

    // Also what other plugins call, with their caller's ctx: ctx.call("registries.suppliers.get", { code }).
    get: {
      rest: "GET /suppliers/:code",
      kind: "read",
      permission: ["read", "Supplier"],
      handler: (ctx: PlatformContext<{ code?: unknown }>) => readRecord(SUPPLIERS, ctx),
    },

    create: {
      rest: "POST /suppliers",
      kind: "create",
      permission: ["create", "Supplier"],
      handler: (ctx: PlatformContext<Record<string, unknown>>) => createRecord(SUPPLIERS, ctx),
    },

    update: {
      rest: "PATCH /suppliers/:code",
      kind: "continue",
      // On one record: 404 for one the caller cannot read, 403 for one it may read but not change.
      permission: ["read", "Supplier"],
      handler: (ctx: PlatformContext<Record<string, unknown>>) => updateRecord(SUPPLIERS, ctx),
    },

    deactivate: {
      rest: "DELETE /suppliers/:code",
      kind: "continue",
      permission: ["read", "Supplier"],
      handler: (ctx: PlatformContext<{ code?: unknown }>) => deactivateRecord(SUPPLIERS, ctx),
    },

    import: {
      rest: "POST /suppliers/import",
      stream: true,
      kind: "create",
      permission: ["import", "Supplier"],
      handler: (ctx: PlatformContext<Readable>) => importRecords(SUPPLIERS, SUPPLIER_CSV, ctx.params, abilityOf(ctx), ctx.meta.user!),
    },
  },
};
