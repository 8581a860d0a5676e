import type { Knex } from "knex";
import { actorOf, writeAudit } from "../audit/log";
import { fieldError, notFound, validationFailed } from "../errors";
import { pageOf } from "../gateway/query";
import type { PlatformContext, PlatformServiceSchema, SessionUser } from "../plugins/types";
import type { EventQueue } from "./queue";

const STATES = ["open", "replayed", "all"] as const;
type State = (typeof STATES)[number];

/**
 * The dead letters of the event queue, for platform administrators: what failed, for which
 * subscriber, with its error and tries; and a replay, audited, that queues the event again.
 */
export function deadLettersService(knex: Knex, queue: EventQueue): PlatformServiceSchema {
  return {
    name: "events",
    actions: {
      deadLetters: {
        rest: "GET /events/dead-letters",
        kind: "read",
        permission: ["manage", "all"],
        async handler(ctx: PlatformContext<{ state?: string; page?: string; pageSize?: string }>) {
          const state = (ctx.params.state ?? "open") as State;
          if (!STATES.includes(state)) {
            throw validationFailed([fieldError("state", "enum", `只能是 ${STATES.join("、")} 之一`, `must be one of ${STATES.join(", ")}`)]);
          }
          const { page, pageSize } = pageOf(ctx.params, { pageSize: 50, maxPageSize: 500 });
          const { items, total } = await queue.deadLetters({ state, page, pageSize });
          return { items, total, page, pageSize };
        },
      },

      replay: {
        rest: "POST /events/dead-letters/:id/replay",
        kind: "continue",
        permission: ["manage", "all"],
        async handler(ctx: PlatformContext<{ id: string }>) {
          const id = String(ctx.params.id ?? "");
          if (!/^[1-9][0-9]{0,17}$/.test(id)) throw notFound({ "zh-CN": "死信", en: "dead letter" });
          const user = ctx.meta.user as SessionUser;
          const actor = actorOf(user);
          const replayed = await knex.transaction(async (trx) => {
            const after = await queue.replay(trx, id, actor);
            // last: the audit chain's lock is held to the commit
            await writeAudit(trx, {
              actor,
              tenantCode: user.tenantCode,
              action: "events.dead-letter.replay",
              object: `dead-letter:${id}`,
              after: { consumer: after.consumer, event: after.event, eventId: after.eventId, error: after.error, attempts: after.attempts },
            });
            return after;
          });
          queue.wake();
          return replayed;
        },
      },
    },
  };
}
