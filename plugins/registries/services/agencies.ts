import type { PlatformContext, PlatformServiceSchema } from "../../../core/sdk";
import { listFilters, listRecords, type ListParams } from "./coded-registry";
import { recordActions } from "./coded-import";
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

    ...recordActions(AGENCIES, { path: "agencies", subject: "Agency", csv: AGENCY_CSV, keys: [RECORD_NUMBER_KEY] }),
  },
};
