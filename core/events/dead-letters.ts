import type { Knex } from "knex";
import { actorOf, writeAudit } from "../audit/log";
import { type ErrorDetail, fieldError, type Lang, notFound } from "../errors";
import { exportFormatParam, exportLang, exportList, type ExportColumn } from "../gateway/export";
import { listPage, listParams, whereContains, type ListOrder, type SearchColumn } from "../gateway/list-query";
import { single } from "../gateway/query";
import type { PlatformContext, PlatformServiceSchema, SessionUser } from "../plugins/types";
import { deadLetterView, type DeadLetterRow, type DeadLetterView, type EventQueue } from "./queue";

const STATES = ["open", "replayed", "all"] as const;

interface DeadLetterListParams {
  state?: unknown;
  q?: unknown;
  page?: unknown;
  pageSize?: unknown;
  cursor?: unknown;
}

/** Newest failure first (the index core_dead_letters_failed). */
const DEAD_LETTER_ORDER: ListOrder = {
  name: "events.dead-letters",
  keys: [
    { column: "failed_at", kind: "timestamp" },
    { column: "id", kind: "bigint" },
  ],
  direction: "desc",
};

/** `q`: subscriber, event, event id, key and error, normalised (migration 20261207004100_list_search). */
const DEAD_LETTER_SEARCH: SearchColumn = { column: "search", bigrams: "core_bigrams(search)" };

/** The dead letters as the list's query string filters them (400 naming every bad parameter). */
function filteredDeadLetters(knex: Knex, ctx: PlatformContext<DeadLetterListParams>, problems: ErrorDetail[] = []) {
  const state = single(ctx.params.state) || "open";
  if (!(STATES as readonly string[]).includes(state)) problems.push(fieldError("state", "enum", `只能是 ${STATES.join("、")} 之一`, `must be one of ${STATES.join(", ")}`));
  const req = listParams(ctx.params, DEAD_LETTER_ORDER, { pageSize: 50, maxPageSize: 500 }, problems);
  const query = knex<DeadLetterRow>("core_dead_letters");
  if (state === "open") query.whereNull("replayed_at");
  else if (state === "replayed") query.whereNotNull("replayed_at");
  whereContains(query, DEAD_LETTER_SEARCH, req.terms);
  return { query, req };
}

/** The export's columns: what the console's list shows; not the payload, which may carry anybody's data. */
function deadLetterColumns(lang: Lang): ExportColumn<DeadLetterView>[] {
  return [
    { title: { "zh-CN": "失败时间", en: "Failed at" }, value: (d) => d.failedAt, width: 26 },
    { title: { "zh-CN": "订阅者", en: "Subscriber" }, value: (d) => d.consumer, width: 28 },
    { title: { "zh-CN": "事件", en: "Event" }, value: (d) => d.event, width: 30 },
    { title: { "zh-CN": "事件编号", en: "Event id" }, value: (d) => d.eventId, width: 38 },
    { title: { "zh-CN": "键", en: "Key" }, value: (d) => d.key, width: 20 },
    { title: { "zh-CN": "错误", en: "Error" }, value: (d) => d.error, width: 60 },
    { title: { "zh-CN": "尝试次数", en: "Attempts" }, value: (d) => d.attempts, width: 10 },
    { title: { "zh-CN": "重放时间", en: "Replayed at" }, value: (d) => d.replayedAt ?? (lang === "en" ? "not replayed" : "未重放"), width: 26 },
  ];
}

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
        async handler(ctx: PlatformContext<DeadLetterListParams>) {
          const { query, req } = filteredDeadLetters(knex, ctx);
          const { rows, nextCursor, total, totalIsEstimate } = await listPage<DeadLetterRow>(knex, query, DEAD_LETTER_ORDER, req);
          return { items: rows.map(deadLetterView), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
        },
      },

      deadLettersExport: {
        rest: "GET /events/dead-letters/export",
        kind: "read",
        permission: ["manage", "all"],
        async handler(ctx: PlatformContext<DeadLetterListParams & { format?: unknown; lang?: unknown }>) {
          const problems: ErrorDetail[] = [];
          const format = exportFormatParam(ctx.params.format, problems);
          const { query } = filteredDeadLetters(knex, ctx, problems);
          const lang = exportLang(ctx.params.lang);
          return exportList<DeadLetterRow>(ctx, {
            db: knex,
            query,
            order: DEAD_LETTER_ORDER,
            columns: deadLetterColumns(lang).map((c) => ({ ...c, value: (row: DeadLetterRow) => c.value(deadLetterView(row)) })),
            format,
            lang,
            filename: lang === "en" ? "dead-letters" : "死信",
            sheet: { "zh-CN": "死信", en: "Dead letters" },
          });
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
