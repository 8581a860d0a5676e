import type { Service } from "moleculer";
import type { Knex } from "knex";
import { subject } from "@casl/ability";
import {
  enqueue,
  fieldError,
  forbidden,
  isUuid,
  notFound,
  platformNow,
  validationFailed,
  type PlatformContext,
  type PlatformServiceSchema,
  type PluginServiceThis,
  type WorkflowHooks,
} from "../../../core/sdk";
import { serviceLevels } from "../sla";
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

export const ticketsService: PlatformServiceSchema = {
  name: "helpdesk.tickets",
  actions: {
    /** GET /api/helpdesk/tickets?scope=mine|region: the caller's tickets, or (staff) those of their region, newest first. */
    list: {
      rest: "GET /tickets",
      kind: "read",
      permission: "authenticated",
      async handler(this: This, ctx: PlatformContext<{ scope?: unknown }>) {
        const user = ctx.meta.user!;
        const scope = ctx.params.scope ?? "mine";
        if (scope !== "mine" && scope !== "region") throw validationFailed([fieldError("/scope", "enum", "scope 应为 mine 或 region", "scope is mine or region")]);
        let q = this.db<TicketRow>(TICKETS).orderBy("created_at", "desc").limit(200);
        if (scope === "mine") q = q.where({ requester_id: user.id });
        else {
          if (!staffOf(ctx, user.tenantCode)) throw forbidden();
          const region = user.tenantCode.replace(/0+$/, "");
          q = q.where("tenant_code", "like", `${region}%`);
        }
        return { items: (await q).map(ticketView) };
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
