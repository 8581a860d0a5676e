import type { Knex } from "knex";
import type { PlatformContext, PlatformServiceSchema } from "../plugins/types";
import { anchorView } from "./anchors";
import { verifyChain } from "./verify";
import { pageOf } from "../gateway/query";

// What a request leaves itself to answer once the check has used its time.
const ANSWER_MS = 1000;

/**
 * The audit API: the anchors, public so that anyone can keep copies of them, and the check of the
 * whole chain, for platform administrators.
 */
export function auditService(knex: Knex): PlatformServiceSchema {
  return {
    name: "audit",
    actions: {
      anchors: {
        rest: "GET /audit/anchors",
        kind: "read",
        permission: "public",
        async handler(ctx: PlatformContext<{ page?: string; pageSize?: string }>) {
          const { page, pageSize } = pageOf(ctx.params, { pageSize: 50, maxPageSize: 500 });
          const [{ count }] = (await knex("core_audit_anchors").count({ count: "*" })) as Array<{ count: string }>;
          const rows = await knex("core_audit_anchors").orderBy("id", "desc").limit(pageSize).offset((page - 1) * pageSize);
          return { items: rows.map(anchorView), total: Number(count), page, pageSize };
        },
      },

      verify: {
        rest: "GET /audit/verify",
        kind: "read",
        permission: ["manage", "all"],
        async handler(ctx: PlatformContext) {
          // A large table takes longer than a request may: the answer then says how far it got.
          const timeout = ctx.options.timeout;
          const deadline = timeout ? Date.now() + Math.max(timeout - ANSWER_MS, timeout / 2) : undefined;
          const started = Date.now();
          const result = await verifyChain(knex, { storedAnchors: true, deadline });
          const pending = result.unsealed ? `; ${result.unsealed} ${result.unsealed === 1 ? "entry" : "entries"} written since ${result.oldestUnsealedAt} ${result.unsealed === 1 ? "is" : "are"} not sealed into the chain yet` : "";
          const message = result.ok
            ? `the audit log verifies: ${result.checked} entries, and every anchor${pending}`
            : result.broken
              ? `the audit log is broken at entry ${result.broken.id} (${result.broken.reason}): ${result.broken.message}`
              : `checked ${result.checked} entries (up to entry ${result.head?.id ?? "-"}) without finding a break, but not the rest within the request's time: run npm run audit:verify on the server`;
          return { ...result, message, ms: Date.now() - started };
        },
      },
    },
  };
}
