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
import { AGENCIES, AGENCY_CSV, RECORD_NUMBER_KEY } from "./agency-model";

const STATUSES = ["active", "suspended", "deregistered"] as const;

/** The agencies registry (代理机构库), keyed by credit code: `/api/registries/agencies[/:code]`. */
export const agenciesService: PlatformServiceSchema = {
  name: "registries.agencies",
  actions: {
    list: {
      rest: "GET /agencies",
      kind: "read",
      permission: ["read", "Agency"],
      async handler(ctx: PlatformContext<ListParams>) {
        const { tenants, values } = listFilters(ctx.params, { status: STATUSES });
        return listRecords(AGENCIES, ctx, (query) => {
          // `tenant`: the agencies that work there, in it or in a tenant below it.
          if (tenants) query.whereRaw("tenants_served && ?::text[]", [tenants]);
          if (values.status) query.where("status", values.status);
        });
      },
    },

    // Also what other plugins call, with their caller's ctx: ctx.call("registries.agencies.get", { code }).
    get: {
      rest: "GET /agencies/:code",
      kind: "read",
      permission: ["read", "Agency"],
      handler: (ctx: PlatformContext<{ code?: unknown }>) => readRecord(AGENCIES, ctx),
    },

    create: {
      rest: "POST /agencies",
      kind: "create",
      permission: ["create", "Agency"],
      handler: (ctx: PlatformContext<Record<string, unknown>>) => createRecord(AGENCIES, ctx),
    },

    update: {
      rest: "PATCH /agencies/:code",
      kind: "continue",
      // On one record: 404 for one the caller cannot read, 403 for one it may read but not change.
      permission: ["read", "Agency"],
      handler: (ctx: PlatformContext<Record<string, unknown>>) => updateRecord(AGENCIES, ctx),
    },

    deactivate: {
      rest: "DELETE /agencies/:code",
      kind: "continue",
      permission: ["read", "Agency"],
      handler: (ctx: PlatformContext<{ code?: unknown }>) => deactivateRecord(AGENCIES, ctx),
    },

    import: {
      rest: "POST /agencies/import",
      stream: true,
      kind: "create",
      permission: ["import", "Agency"],
      handler: (ctx: PlatformContext<Readable>) => importRecords(AGENCIES, AGENCY_CSV, ctx.params, abilityOf(ctx), ctx.meta.user!, { keys: [RECORD_NUMBER_KEY] }),
    },
  },
};
