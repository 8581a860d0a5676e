import type { Service } from "moleculer";
import type { Knex } from "knex";
import { subject } from "@casl/ability";
import {
  oneOfParam, enqueue,
  type ErrorDetail,
  type ExportColumn,
  exportFormatParam,
  exportLang,
  exportList,
  fieldError,
  forbidden,
  isUuid,
  listPage,
  listParams,
  type ListOrder,
  notFound,
  platformNow,
  type SearchColumn,
  validationFailed,
  whereContains,
  type Localized,
  type PlatformContext,
  type PlatformServiceSchema,
  type PluginServiceThis,
  type WorkflowHooks,
} from "../../../core/sdk";
import { CATEGORIES, serviceLevels } from "../sla";
import { ENTRIES, HANDOVERS } from "./kb";
import { CHATS, checkText, staffOf } from "./live";

export const TICKETS = "helpdesk_tickets";
const TICKET_MESSAGES = "helpdesk_ticket_messages";
const RATINGS = "helpdesk_answer_ratings";
const TICKET = { "zh-CN": "工单", en: "ticket" };
/** A rating at or under this is "low": listed for staff to improve the entry or the service. */
export const LOW_RATING = 2;

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);
const ticketLink = (id: string) => `/helpdesk/tickets/${id}`;

type This = Service & PluginServiceThis;

interface TicketRow {
  instance_id: string;
  tenant_code: string;
  requester_id: string | null;
  chat_id: string | null;
  subject: string;
  category: string;
  priority: string;
  state: string;
  first_response_due: Date;
  resolution_due: Date;
  first_response_at: Date | null;
  escalated_at: Date | null;
  rating: number | null;
  created_at: Date;
  updated_at: Date;
}

const ticketView = (t: TicketRow) => ({
  id: t.instance_id,
  tenantCode: t.tenant_code,
  subject: t.subject,
  category: t.category,
  priority: t.priority,
  state: t.state,
  chatId: t.chat_id,
  firstResponseDue: iso(t.first_response_due),
  resolutionDue: iso(t.resolution_due),
  firstResponseAt: iso(t.first_response_at),
  escalatedAt: iso(t.escalated_at),
  rating: t.rating,
  createdAt: iso(t.created_at),
  updatedAt: iso(t.updated_at),
});

/** Tells the ticket's requester, in the step's transaction (the inbox row commits with the reply). */
async function tellRequester(trx: Knex.Transaction, t: TicketRow, title: { "zh-CN": string; en: string }) {
  if (!t.requester_id) return;
  await enqueue(trx, {
    event: "notifications.requested",
    key: t.instance_id,
    payload: { tenantCode: t.tenant_code, title, kind: "helpdesk.ticket.reply", link: ticketLink(t.instance_id), accounts: [t.requester_id], instanceId: t.instance_id, followers: false },
  });
}

async function reply(step: { trx: Knex.Transaction; instanceId: string; now: Date; to: string; user: { id: string } | null; submitted: Record<string, unknown> }) {
  const t = await step.trx<TicketRow>(TICKETS).where({ instance_id: step.instanceId }).forUpdate().first();
  if (!t) throw notFound(TICKET);
  await step.trx(TICKET_MESSAGES).insert({ instance_id: t.instance_id, author: "agent", author_id: step.user?.id ?? null, text: String(step.submitted.message), at: step.now });
  await step.trx(TICKETS).where({ instance_id: t.instance_id }).update({ state: step.to, updated_at: step.now, first_response_at: t.first_response_at ?? step.now });
  await tellRequester(step.trx, t, { "zh-CN": `您的工单「${t.subject}」有新的答复`, en: `Your ticket "${t.subject}" has a new reply` });
  // the form's reply is kept in the ticket's messages, not as the instance's data (the next reply would overwrite it)
  return { data: { message: undefined } };
}

export const ticketHooks: WorkflowHooks = {
  /**
   * An agent raises the ticket, usually from a chat that did not solve the question: its user becomes
   * the requester, who follows it in the web app. Service levels are set from now by working time.
   */
  start: async (step) => {
    const d = step.result as { chatId?: string; subject: string; category: string; priority: string; description: string };
    let requester: string | null = null;
    if (d.chatId) {
      const chat = await step.trx(CHATS).where({ id: d.chatId }).first();
      // a chat of another region is not found, as one that does not exist
      if (!chat || !step.ability?.can("read", subject("HelpdeskChat", { tenantCode: chat.tenant_code }))) {
        throw validationFailed([fieldError("/chatId", "exists", "没有这个会话", "there is no such chat")]);
      }
      requester = chat.user_id;
    }
    const due = serviceLevels(step.now, d.category);
    await step.trx(TICKETS).insert({
      instance_id: step.instanceId,
      tenant_code: step.tenantCode,
      requester_id: requester,
      chat_id: d.chatId ?? null,
      subject: d.subject,
      category: d.category,
      priority: d.priority,
      state: step.to,
      first_response_due: due.firstResponseDue,
      resolution_due: due.resolutionDue,
      created_at: step.now,
      updated_at: step.now,
    });
    await step.trx(TICKET_MESSAGES).insert({ instance_id: step.instanceId, author: requester ? "user" : "agent", author_id: requester ?? step.user?.id ?? null, text: d.description, at: step.now });
    return { data: { ...due, requesterId: requester } };
  },
  transitions: {
    reply,
    "reply-overdue": reply,
    resolve: async (step) => {
      const t = await step.trx<TicketRow>(TICKETS).where({ instance_id: step.instanceId }).forUpdate().first();
      if (!t) throw notFound(TICKET);
      await step.trx(TICKETS).where({ instance_id: t.instance_id }).update({ state: step.to, updated_at: step.now });
      await tellRequester(step.trx, t, { "zh-CN": `您的工单「${t.subject}」已解决，欢迎评价`, en: `Your ticket "${t.subject}" is resolved; please rate it` });
    },
    "breach-first-response": async (step) => {
      await step.trx(TICKETS).where({ instance_id: step.instanceId }).update({ state: step.to, escalated_at: step.now, updated_at: step.now });
    },
    "breach-resolution": async (step) => {
      await step.trx(TICKETS).where({ instance_id: step.instanceId }).update({ state: step.to, escalated_at: step.now, updated_at: step.now });
    },
  },
};

/** The ticket, if the caller may read it: its requester, or staff of its region; anyone else 404. */
async function ticketFor(svc: This, ctx: PlatformContext, id: unknown): Promise<{ t: TicketRow; as: "user" | "agent" }> {
  if (typeof id !== "string" || !isUuid(id)) throw notFound(TICKET);
  const t = await svc.db<TicketRow>(TICKETS).where({ instance_id: id }).first();
  if (!t) throw notFound(TICKET);
  const user = ctx.meta.user!;
  if (t.requester_id === user.id) return { t, as: "user" };
  if (staffOf(ctx, t.tenant_code)) return { t, as: "agent" };
  throw notFound(TICKET);
}

function checkRating(raw: unknown) {
  if (!Number.isInteger(raw) || (raw as number) < 1 || (raw as number) > 5) throw validationFailed([fieldError("/rating", "range", "评分为 1 至 5 的整数", "rating is a whole number from 1 to 5")]);
  return raw as number;
}

interface TicketListParams {
  scope?: unknown;
  state?: unknown;
  category?: unknown;
  priority?: unknown;
  q?: unknown;
  page?: unknown;
  pageSize?: unknown;
  cursor?: unknown;
}

const TICKET_STATES = ["open", "answered", "escalated", "overdue", "resolved"] as const;
const PRIORITIES = ["low", "normal", "high", "urgent"] as const;
const STATE_TEXT: Record<string, Localized> = {
  open: { "zh-CN": "待答复", en: "open" },
  answered: { "zh-CN": "已答复", en: "answered" },
  escalated: { "zh-CN": "已升级", en: "escalated" },
  overdue: { "zh-CN": "已超时", en: "overdue" },
  resolved: { "zh-CN": "已解决", en: "resolved" },
};
const PRIORITY_TEXT: Record<string, Localized> = {
  low: { "zh-CN": "低", en: "low" },
  normal: { "zh-CN": "普通", en: "normal" },
  high: { "zh-CN": "高", en: "high" },
  urgent: { "zh-CN": "紧急", en: "urgent" },
};

/** Newest first (the indexes helpdesk_tickets_recent and helpdesk_tickets_requester_recent). */
const TICKET_ORDER: ListOrder = {
  name: "helpdesk.tickets",
  keys: [
    { column: "created_at", kind: "timestamp" },
    { column: "instance_id", kind: "uuid" },
  ],
  direction: "desc",
};

/** `q`: the subject, normalised (migration 20261207060000_ticket_list). */
const TICKET_SEARCH: SearchColumn = { column: "search", bigrams: "helpdesk_bigrams(search)" };


/**
 * The tickets the caller may list, filtered as the query string says (400 naming every bad
 * parameter): their own as requester, or, for the staff of a region, every ticket of it.
 */
function filteredTickets(db: Knex, ctx: PlatformContext<TicketListParams>, problems: ErrorDetail[] = []) {
  const user = ctx.meta.user!;
  const scope = oneOfParam("scope", ctx.params.scope, ["mine", "region"], problems) ?? "mine";
  const state = oneOfParam("state", ctx.params.state, TICKET_STATES, problems);
  const category = oneOfParam("category", ctx.params.category, CATEGORIES, problems);
  const priority = oneOfParam("priority", ctx.params.priority, PRIORITIES, problems);
  const req = listParams(ctx.params, TICKET_ORDER, { pageSize: 50, maxPageSize: 200 }, problems);
  if (scope === "region" && !staffOf(ctx, user.tenantCode)) throw forbidden();
  const query = db<TicketRow>(TICKETS);
  if (scope === "mine") query.where({ requester_id: user.id });
  else query.where("tenant_code", "like", `${user.tenantCode.replace(/0+$/, "")}%`);
  if (state) query.where({ state });
  if (category) query.where({ category });
  if (priority) query.where({ priority });
  whereContains(query, TICKET_SEARCH, req.terms);
  return { query, req };
}

/** The export's columns: what the tickets list and a ticket's page show, not its conversation. */
function ticketColumns(lang: "zh-CN" | "en"): ExportColumn<ReturnType<typeof ticketView>>[] {
  return [
    { title: { "zh-CN": "主题", en: "Subject" }, value: (t) => t.subject, width: 40 },
    { title: { "zh-CN": "分类", en: "Category" }, value: (t) => t.category, width: 14 },
    { title: { "zh-CN": "优先级", en: "Priority" }, value: (t) => PRIORITY_TEXT[t.priority]?.[lang] ?? t.priority, width: 8 },
    { title: { "zh-CN": "状态", en: "State" }, value: (t) => STATE_TEXT[t.state]?.[lang] ?? t.state, width: 10 },
    { title: { "zh-CN": "区划代码", en: "Division code" }, value: (t) => t.tenantCode, width: 10 },
    { title: { "zh-CN": "首次响应时限", en: "First response due" }, value: (t) => t.firstResponseDue, width: 26 },
    { title: { "zh-CN": "首次响应时间", en: "First response" }, value: (t) => t.firstResponseAt, width: 26 },
    { title: { "zh-CN": "解决时限", en: "Resolution due" }, value: (t) => t.resolutionDue, width: 26 },
    { title: { "zh-CN": "升级时间", en: "Escalated" }, value: (t) => t.escalatedAt, width: 26 },
    { title: { "zh-CN": "评分", en: "Rating" }, value: (t) => t.rating, width: 8 },
    { title: { "zh-CN": "创建时间", en: "Created" }, value: (t) => t.createdAt, width: 26 },
  ];
}

export const ticketsService: PlatformServiceSchema = {
  name: "helpdesk.tickets",
  actions: {
    /**
     * GET /api/helpdesk/tickets?scope=mine|region&state=&category=&priority=&q=: the caller's tickets,
     * or (staff) those of their region, newest first, by page or cursor.
     */
    list: {
      rest: "GET /tickets",
      kind: "read",
      permission: "authenticated",
      async handler(this: This, ctx: PlatformContext<TicketListParams>) {
        const { query, req } = filteredTickets(this.db, ctx);
        const { rows, nextCursor, total, totalIsEstimate } = await listPage<TicketRow>(this.db, query, TICKET_ORDER, req);
        return { items: rows.map(ticketView), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
      },
    },

    // before `get`, whose /tickets/:id would take "export" for an id
    /** GET /api/helpdesk/tickets/export?format=csv|xlsx&lang=: the list, with its filters, as a file. */
    export: {
      rest: "GET /tickets/export",
      kind: "read",
      permission: "authenticated",
      async handler(this: This, ctx: PlatformContext<TicketListParams & { format?: unknown; lang?: unknown }>) {
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const { query } = filteredTickets(this.db, ctx, problems);
        const lang = exportLang(ctx.params.lang);
        return exportList<TicketRow>(ctx, {
          db: this.db,
          query,
          order: TICKET_ORDER,
          columns: ticketColumns(lang).map((c) => ({ ...c, value: (row: TicketRow) => c.value(ticketView(row)) })),
          format,
          lang,
          filename: lang === "en" ? "tickets" : "工单",
          sheet: { "zh-CN": "工单", en: "Tickets" },
        });
      },
    },

    /** GET /api/helpdesk/tickets/:id: the ticket and its messages, for its requester and its region's staff. */
    get: {
      rest: "GET /tickets/:id",
      kind: "read",
      permission: "authenticated",
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const { t, as } = await ticketFor(this, ctx, ctx.params.id);
        const messages = await this.db(TICKET_MESSAGES).where({ instance_id: t.instance_id }).orderBy("id");
        return { ...ticketView(t), as, messages: messages.map((m) => ({ id: Number(m.id), author: m.author, text: m.text, at: iso(m.at) })) };
      },
    },

    /** POST /api/helpdesk/tickets/:id/messages { text }: the requester adds to an open ticket; the region's agents are told. */
    add: {
      rest: "POST /tickets/:id/messages",
      kind: "continue",
      permission: "authenticated",
      async handler(this: This, ctx: PlatformContext<{ id: string; text?: unknown }>) {
        const { t, as } = await ticketFor(this, ctx, ctx.params.id);
        // agents answer through the workflow's reply, which the service levels count
        if (as !== "user") throw forbidden();
        const text = checkText(ctx.params.text);
        if (t.state === "resolved") throw validationFailed([fieldError("/text", "state", "工单已解决，如有新问题请重新咨询", "the ticket is resolved; ask again for a new question")]);
        const now = platformNow();
        const row = await this.db.transaction(async (trx) => {
          const [m] = await trx(TICKET_MESSAGES).insert({ instance_id: t.instance_id, author: "user", author_id: ctx.meta.user!.id, text, at: now }).returning("*");
          await trx(TICKETS).where({ instance_id: t.instance_id }).update({ updated_at: now });
          await enqueue(trx, {
            event: "notifications.requested",
            key: t.instance_id,
            payload: { tenantCode: t.tenant_code, title: { "zh-CN": `工单「${t.subject}」有用户补充`, en: `The requester added to ticket "${t.subject}"` }, kind: "helpdesk.ticket.message", link: `/instances/${t.instance_id}`, roles: ["helpdesk-agent"] },
          });
          return m;
        });
        ctx.meta.$statusCode = 201;
        return { id: Number(row.id), author: "user", text, at: iso(now) };
      },
    },

    /** POST /api/helpdesk/tickets/:id/rating { rating }: the requester rates how the ticket was handled. */
    rate: {
      rest: "POST /tickets/:id/rating",
      kind: "continue",
      permission: "authenticated",
      async handler(this: This, ctx: PlatformContext<{ id: string; rating?: unknown }>) {
        const { t, as } = await ticketFor(this, ctx, ctx.params.id);
        if (as !== "user") throw forbidden();
        const rating = checkRating(ctx.params.rating);
        const [row] = await this.db<TicketRow>(TICKETS).where({ instance_id: t.instance_id }).update({ rating }).returning("*");
        return ticketView(row);
      },
    },

    /** POST /api/helpdesk/answers/rating { entryId, question, rating }: anyone rates an answer of the assistant. */
    rateAnswer: {
      rest: "POST /answers/rating",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ entryId?: unknown; question?: unknown; rating?: unknown }>) {
        const rating = checkRating(ctx.params.rating);
        const question = checkText(ctx.params.question, "/question");
        const entryId = ctx.params.entryId;
        const known = typeof entryId === "string" && (entryId.startsWith("schedule:") ? /^schedule:\d{6}:[a-z-]{1,30}$/.test(entryId) : !!(await this.db(ENTRIES).where({ id: entryId }).first("id")));
        if (!known) throw validationFailed([fieldError("/entryId", "exists", "没有这个知识库条目", "there is no such knowledge-base entry")]);
        const user = ctx.meta.user;
        await this.db(RATINGS).insert({ entry_id: entryId, question: question.slice(0, 500), rating, user_id: user?.id ?? null, tenant_code: user?.tenantCode ?? null, at: platformNow() });
        ctx.meta.$statusCode = 201;
        return { entryId, rating };
      },
    },

    /**
     * GET /api/helpdesk/review: for staff, what to turn into new or better FAQ entries: questions the
     * assistant could not answer, answers rated low, and low-rated chats and tickets of the region.
     */
    review: {
      rest: "GET /review",
      kind: "read",
      permission: ["read", "HelpdeskHandover"],
      async handler(this: This, ctx: PlatformContext) {
        const user = ctx.meta.user!;
        const region = user.tenantCode.replace(/0+$/, "");
        const inRegion = (q: Knex.QueryBuilder) => q.whereNull("tenant_code").orWhere("tenant_code", "like", `${region}%`);
        const [unanswered, answers, chats, tickets] = await Promise.all([
          this.db(HANDOVERS).where({ reason: "low-score" }).andWhere(inRegion).orderBy("created_at", "desc").limit(100),
          this.db(RATINGS).where("rating", "<=", LOW_RATING).andWhere(inRegion).orderBy("at", "desc").limit(100),
          this.db(CHATS).where("rating", "<=", LOW_RATING).andWhere("tenant_code", "like", `${region}%`).orderBy("created_at", "desc").limit(100),
          this.db<TicketRow>(TICKETS).where("rating", "<=", LOW_RATING).andWhere("tenant_code", "like", `${region}%`).orderBy("created_at", "desc").limit(100),
        ]);
        return {
          unanswered: unanswered.map((h) => ({ id: h.id, question: h.question, page: h.page, tenantCode: h.tenant_code, candidates: h.candidates, createdAt: iso(h.created_at) })),
          lowRatedAnswers: answers.map((r) => ({ entryId: r.entry_id, question: r.question, rating: r.rating, at: iso(r.at) })),
          lowRatedChats: chats.map((c) => ({ id: c.id, tenantCode: c.tenant_code, rating: c.rating, comment: c.rating_comment, createdAt: iso(c.created_at) })),
          lowRatedTickets: tickets.map(ticketView),
        };
      },
    },
  },
};
