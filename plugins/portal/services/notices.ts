import type { Context, Service } from "moleculer";
import { type ErrorDetail, type ExportColumn, exportFormatParam, exportLang, exportList, isUuid, notFound, onceHandler, type PlatformContext, PlatformError, type PlatformServiceSchema, type PluginServiceThis } from "../../../core/sdk";
import { parseListParams, type ListParams } from "./list-params";
import { applyPublication, applyWithdrawal, filteredNotices, findNotice, listNotices, NOTICE_LIST_COLUMNS, NOTICE_ORDER, type NoticeType, publicationOf, withdrawalOf, type NoticeRow } from "./notice-store";
import { TenantDirectory, type TenantEntry } from "./tenants";

/** The receipts' consumer name: each outbox event is applied once, however often it is delivered. */
const CONSUMER = "portal.notices";

/**
 * Shared caches (a CDN, the government's reverse proxy) may keep an answer this long: the same for
 * everyone, signed in or not. A withdrawal or an amendment reaches every reader within it.
 */
export const CACHE_CONTROL = "public, max-age=30";

const NOTICE = { "zh-CN": "公告", en: "notice" };

type This = Service & PluginServiceThis & { tenants: TenantDirectory };

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function item(row: NoticeRow, tenants: Map<string, TenantEntry>) {
  const tenant = tenants.get(row.tenantCode);
  return {
    id: row.id,
    type: row.type,
    title: row.title,
    tenantCode: row.tenantCode,
    tenantName: tenant ? { "zh-CN": tenant.name["zh-CN"], en: tenant.name.en } : null,
    unitName: row.unitName,
    publishedAt: iso(row.publishedAt),
    updatedAt: iso(row.updatedAt),
  };
}

const TYPE_TITLE: Record<NoticeType, { "zh-CN": string; en: string }> = {
  intention: { "zh-CN": "采购意向", en: "Intention" },
  tender: { "zh-CN": "采购公告", en: "Tender notice" },
  result: { "zh-CN": "结果公告", en: "Result notice" },
  contract: { "zh-CN": "合同公告", en: "Contract notice" },
};

/** The export's columns: what the list shows, in its order. */
function exportColumns(tenants: Map<string, TenantEntry>, lang: "zh-CN" | "en"): ExportColumn<NoticeRow>[] {
  return [
    { title: { "zh-CN": "类型", en: "Type" }, value: (r) => TYPE_TITLE[r.type]?.[lang] ?? r.type, width: 12 },
    { title: { "zh-CN": "标题", en: "Title" }, value: (r) => r.title, width: 48 },
    { title: { "zh-CN": "采购单位", en: "Purchasing unit" }, value: (r) => r.unitName, width: 28 },
    { title: { "zh-CN": "地区", en: "Region" }, value: (r) => tenants.get(r.tenantCode)?.name[lang] ?? r.tenantCode, width: 14 },
    { title: { "zh-CN": "发布时间", en: "Published" }, value: (r) => iso(r.publishedAt), width: 26 },
    { title: { "zh-CN": "更正时间", en: "Amended" }, value: (r) => iso(r.updatedAt), width: 26 },
  ];
}

function cacheable(ctx: PlatformContext): void {
  ctx.meta.$responseHeaders = { "Cache-Control": CACHE_CONTROL };
}

/** The portal's notices (公告): written from outbox events only, read by anybody. */
export const noticesService: PlatformServiceSchema = {
  name: "portal.notices",
  created(this: This) {
    this.tenants = new TenantDirectory();
  },
  events: {
    "portal.publish": onceHandler(CONSUMER, (svc) => (svc as This).db, async function (this: Service, ctx, trx) {
      const publication = publicationOf(ctx.params);
      if (typeof publication === "string") {
        // Delivering it again would not make it valid: say so once and let it go (receipt kept).
        this.logger.warn(`portal.publish ${ctx.params?.eventId} ignored: ${publication}`);
        return;
      }
      if (!(await applyPublication(trx, publication))) {
        this.logger.debug(`portal.publish ${ctx.params.eventId}: version ${publication.version} of ${publication.instanceId}/${publication.type} is not newer than the portal's; ignored`);
      }
    }),
    "portal.withdraw": onceHandler(CONSUMER, (svc) => (svc as This).db, async function (this: Service, ctx, trx) {
      const withdrawal = withdrawalOf(ctx.params);
      if (typeof withdrawal === "string") {
        this.logger.warn(`portal.withdraw ${ctx.params?.eventId} ignored: ${withdrawal}`);
        return;
      }
      if (!(await applyWithdrawal(trx, withdrawal))) {
        this.logger.debug(`portal.withdraw ${ctx.params.eventId}: version ${withdrawal.version} of ${withdrawal.instanceId}/${withdrawal.type} is older than the portal's; ignored`);
      }
    }),
  },
  actions: {
    list: {
      rest: "GET /notices",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<ListParams>) {
        const tenants = await this.tenants.get(ctx as Context);
        const filter = parseListParams(ctx.params, tenants);
        const { rows, nextCursor, total, totalIsEstimate } = await listNotices(this.db, filter);
        cacheable(ctx);
        return { items: rows.map((r) => item(r, tenants)), total, totalIsEstimate, page: filter.page, pageSize: filter.pageSize, nextCursor };
      },
    },

    // before `get`, whose /notices/:id would take "export" for an id
    export: {
      rest: "GET /notices/export",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<ListParams & { format?: unknown; lang?: unknown }>) {
        const tenants = await this.tenants.get(ctx as Context);
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const filter = parseListParams(ctx.params, tenants, problems);
        const lang = exportLang(ctx.params.lang);
        return exportList<NoticeRow>(ctx, {
          db: this.db,
          query: filteredNotices(this.db, filter).select(NOTICE_LIST_COLUMNS),
          order: NOTICE_ORDER,
          columns: exportColumns(tenants, lang),
          format,
          lang,
          filename: lang === "en" ? "notices" : "公告",
          sheet: { "zh-CN": "公告", en: "Notices" },
        });
      },
    },

    get: {
      rest: "GET /notices/:id",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        if (!isUuid(ctx.params.id)) throw notFound(NOTICE);
        const row = await findNotice(this.db, ctx.params.id);
        if (!row || !row.publishedAt) throw notFound(NOTICE);
        if (row.withdrawnAt) {
          // DESIGN.md §7 has no 410: a withdrawn notice is NOT_FOUND, told apart by its message and details.
          throw new PlatformError("NOT_FOUND", { "zh-CN": "该公告已撤回", en: "This notice has been withdrawn" }, { reason: "withdrawn", withdrawnAt: iso(row.withdrawnAt) });
        }
        const tenants = await this.tenants.get(ctx as Context);
        cacheable(ctx);
        return { ...item(row, tenants), instanceId: row.instanceId, workflowId: row.workflowId, fields: row.fields };
      },
    },
  },
};
