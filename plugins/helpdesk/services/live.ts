import crypto from "node:crypto";
import type { Context, Service } from "moleculer";
import { subject } from "@casl/ability";
import {
  abilityOf,
  conflict,
  fieldError,
  forbidden,
  isUuid,
  notFound,
  platformNow,
  tenantTree,
  toRoom,
  validationFailed,
  type PlatformContext,
  type PlatformServiceSchema,
  type PluginServiceThis,
  type RoomJoin,
  type RoomLeft,
} from "../../../core/sdk";
import { ENTRIES, HANDOVERS } from "./kb";

export const CHATS = "helpdesk_chats";
export const CHAT_MESSAGES = "helpdesk_chat_messages";
const PRESENCE = "helpdesk_presence";

/** Longest chat message: a few paragraphs, not a document (attachments are files, not chat). */
export const MAX_MESSAGE = 2000;
/** Recent errors the web app reports with a hand-over: the last few are what helps. */
const MAX_ERRORS = 10;
const CHAT = { "zh-CN": "会话", en: "chat" };

// Control characters other than tab and line breaks, and U+FFFD (binary decoded as text): a chat is text.
const BINARY = /[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/;
const PAGE = /^\/[^\s]{0,200}$/;

export const queueRoom = (tenantCode: string) => `helpdesk.live:queue:${tenantCode}`;
export const chatRoom = (id: string) => `helpdesk.live:chat:${id}`;
const hash = (secret: string) => crypto.createHash("sha256").update(secret).digest("hex");
const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

type This = Service & PluginServiceThis & { presenceDue?: Set<string> };

export interface ChatRow {
  id: string;
  handover_id: string | null;
  user_id: string | null;
  visitor_hash: string | null;
  tenant_code: string;
  status: "waiting" | "active" | "closed";
  agent_id: string | null;
  agent_name: string | null;
  context: Record<string, unknown>;
  rating: number | null;
  rating_comment: string | null;
  created_at: Date;
  taken_at: Date | null;
  closed_at: Date | null;
}

/** A message's text: required, at most MAX_MESSAGE characters, no binary. Markup stays text (the web app never renders it). */
export function checkText(raw: unknown, path = "/text"): string {
  if (typeof raw !== "string" || !raw.trim()) throw validationFailed([fieldError(path, "required", "请输入内容", "type a message")]);
  if (raw.length > MAX_MESSAGE) throw validationFailed([fieldError(path, "maxLength", `内容不能超过 ${MAX_MESSAGE} 个字`, `a message is at most ${MAX_MESSAGE} characters`)]);
  if (BINARY.test(raw)) throw validationFailed([fieldError(path, "text", "内容只能是文字", "a message must be text")]);
  return raw.trim();
}

/** What the web app says of where the user is and what went wrong, bounded; anything else is refused. */
function checkContext(page: unknown, errors: unknown) {
  const problems = [];
  if (page !== undefined && page !== null && (typeof page !== "string" || !PAGE.test(page))) {
    problems.push(fieldError("/page", "pattern", "页面应为以 / 开头的路径", "page must be a path starting with /"));
  }
  const list: { message: string; code?: string; at?: string; page?: string }[] = [];
  if (errors !== undefined) {
    if (!Array.isArray(errors) || errors.length > MAX_ERRORS) {
      problems.push(fieldError("/errors", "type", `最近的错误应为列表（最多 ${MAX_ERRORS} 条）`, `errors is a list of at most ${MAX_ERRORS}`));
    } else {
      errors.forEach((e, i) => {
        const ok =
          e && typeof e === "object" && typeof e.message === "string" && e.message.length <= 300 && !BINARY.test(e.message) &&
          (e.code === undefined || (typeof e.code === "string" && e.code.length <= 40)) &&
          (e.page === undefined || (typeof e.page === "string" && PAGE.test(e.page))) &&
          (e.at === undefined || (typeof e.at === "string" && !Number.isNaN(Date.parse(e.at))));
        if (!ok) problems.push(fieldError(`/errors/${i}`, "error", "每条错误应有不超过 300 字的 message，可带 code、page、at", "each error has a message of at most 300 characters, and may have code, page, at"));
        else list.push({ message: e.message, code: e.code, page: e.page, at: e.at });
      });
    }
  }
  if (problems.length) throw validationFailed(problems);
  return { page: (page as string | undefined) ?? null, errors: list };
}

const chatView = (c: ChatRow) => ({
  id: c.id,
  status: c.status,
  tenantCode: c.tenant_code,
  visitor: !c.user_id,
  agent: c.agent_id ? { id: c.agent_id, name: c.agent_name } : null,
  context: c.context,
  rating: c.rating,
  createdAt: iso(c.created_at),
  takenAt: iso(c.taken_at),
  closedAt: iso(c.closed_at),
});

const messageView = (m: { id: string | number; author: string; text: string; entry_id: string | null; at: Date }) => ({
  id: Number(m.id),
  author: m.author,
  text: m.text,
  entryId: m.entry_id,
  at: iso(m.at),
});

/** Whether the caller is a helpdesk agent (or tenant admin) whose region holds this chat's tenant. */
export const staffOf = (ctx: PlatformContext, tenantCode: string) => !!ctx.meta.user && abilityOf(ctx).can("read", subject("HelpdeskChat", { tenantCode }));

/**
 * The chat, if the caller may read it: the user who asked, a visitor holding its secret, or staff
 * of its region. Anyone else gets 404, as for a chat that does not exist (an id is no proof of access).
 */
export async function chatFor(svc: This, ctx: PlatformContext, id: unknown, visitorKey?: unknown): Promise<{ chat: ChatRow; as: "user" | "agent" }> {
  if (typeof id !== "string" || !isUuid(id)) throw notFound(CHAT);
  const chat = await svc.db<ChatRow>(CHATS).where({ id }).first();
  if (!chat) throw notFound(CHAT);
  const user = ctx.meta.user;
  if (user && chat.user_id === user.id) return { chat, as: "user" };
  if (!chat.user_id && typeof visitorKey === "string" && chat.visitor_hash === hash(visitorKey)) return { chat, as: "user" };
  if (staffOf(ctx, chat.tenant_code)) return { chat, as: "agent" };
  throw notFound(CHAT);
}

async function queueOf(db: This["db"], tenantCode: string) {
  const [chats, present] = await Promise.all([
    db<ChatRow>(CHATS).where({ tenant_code: tenantCode }).whereIn("status", ["waiting", "active"]).orderBy("created_at").limit(200),
    db(PRESENCE).where({ tenant_code: tenantCode }).orderBy("joined_at"),
  ]);
  const agents = new Map<string, { id: string; name: string; since: string }>();
  for (const p of present) if (!agents.has(p.account_id)) agents.set(p.account_id, { id: p.account_id, name: p.name, since: iso(p.joined_at)! });
  return { tenantCode, chats: chats.map(chatView), agents: [...agents.values()] };
}

/** The queue a chat waits in: the user's tenant, or the province's (the tree's root) for a visitor. */
const queueTenant = (ctx: PlatformContext) => ctx.meta.user?.tenantCode ?? tenantTree().root().code;

/** The agent's queue: their own tenant's (a city agent answers their city; the province's also visitors). */
function agentQueue(ctx: PlatformContext, tenantCode: unknown): string {
  const user = ctx.meta.user!;
  const code = tenantCode === undefined ? user.tenantCode : tenantCode;
  if (typeof code !== "string" || !/^\d{6}$/.test(code)) throw validationFailed([fieldError("/tenantCode", "pattern", "地区代码应为 6 位数字", "tenantCode is 6 digits")]);
  if (!staffOf(ctx, code)) throw forbidden();
  return code;
}

async function post(svc: This, chat: ChatRow, author: "user" | "agent" | "system", authorId: string | null, text: string, entryId: string | null = null) {
  const [row] = await svc.db(CHAT_MESSAGES).insert({ chat_id: chat.id, author, author_id: authorId, text, entry_id: entryId, at: platformNow() }).returning("*");
  const message = messageView(row);
  await toRoom(svc.broker, chatRoom(chat.id), "message", { chatId: chat.id, message });
  return message;
}

/**
 * Tells a queue who is present, PRESENCE_BATCH_MS after a join or leave: the joining socket enters
 * the room only once its join action has answered, and agents arriving together make one message.
 */
const PRESENCE_BATCH_MS = 200;
function announcePresence(svc: This, tenantCode: string): void {
  svc.presenceDue ??= new Set();
  if (svc.presenceDue.has(tenantCode)) return;
  svc.presenceDue.add(tenantCode);
  setTimeout(() => {
    svc.presenceDue!.delete(tenantCode);
    void queueOf(svc.db, tenantCode)
      .then((q) => toRoom(svc.broker, queueRoom(tenantCode), "presence", q.agents))
      .catch((err: Error) => svc.logger.warn(`helpdesk presence not told: ${err.message}`));
  }, PRESENCE_BATCH_MS).unref();
}

export const liveService: PlatformServiceSchema = {
  name: "helpdesk.live",
  events: {
    /** An agent's socket left the queue room: no longer present there (another tab may keep them). */
    "sockets.left": {
      async handler(this: This, ctx: Context<RoomLeft>) {
        const m = /^helpdesk\.live:queue:(\d{6})$/.exec(ctx.params.room ?? "");
        if (!m) return;
        const gone = await this.db(PRESENCE).where({ socket_id: ctx.params.socketId }).delete();
        if (gone) announcePresence(this, m[1]);
      },
    },
  },
  actions: {
    /**
     * POST /api/helpdesk/chats { text, handoverId?, page?, errors? }: ask for a person. The chat waits in
     * the queue of the user's tenant (a visitor's in the province's) and the queue's agents are told.
     */
    open: {
      rest: "POST /chats",
      kind: "create",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ text?: unknown; handoverId?: unknown; page?: unknown; errors?: unknown }>) {
        const text = checkText(ctx.params.text);
        const { page, errors } = checkContext(ctx.params.page, ctx.params.errors);
        const user = ctx.meta.user;
        let handoverId: string | null = null;
        if (ctx.params.handoverId !== undefined && ctx.params.handoverId !== null) {
          const h = typeof ctx.params.handoverId === "string" && isUuid(ctx.params.handoverId) ? await this.db(HANDOVERS).where({ id: ctx.params.handoverId }).first() : null;
          // someone else's hand-over is not found, as one that does not exist
          if (!h || (h.user_id ?? null) !== (user?.id ?? null)) throw validationFailed([fieldError("/handoverId", "exists", "没有这次转人工记录", "there is no such hand-over")]);
          handoverId = h.id;
        }
        const tenantCode = queueTenant(ctx);
        const role = user?.roles.find((r) => r !== "helpdesk-agent") ?? (user ? null : "public");
        const context = { role, roles: user?.roles ?? [], city: user?.tenantCode ?? null, user: user ? { id: user.id, username: user.username } : null, page, errors };
        const visitorKey = user ? null : crypto.randomBytes(24).toString("base64url");
        const chat = await this.db.transaction(async (trx) => {
          const [row] = await trx<ChatRow>(CHATS)
            .insert({ handover_id: handoverId, user_id: user?.id ?? null, visitor_hash: visitorKey ? hash(visitorKey) : null, tenant_code: tenantCode, context: JSON.stringify(context) as never, created_at: platformNow() })
            .returning("*");
          if (handoverId) await trx(HANDOVERS).where({ id: handoverId }).update({ status: "chat" });
          await trx(CHAT_MESSAGES).insert({ chat_id: row.id, author: "user", author_id: user?.id ?? null, text, at: platformNow() });
          return row;
        });
        await toRoom(this.broker, queueRoom(tenantCode), "queued", chatView(chat));
        ctx.meta.$statusCode = 201;
        const position = await this.db(CHATS).where({ tenant_code: tenantCode, status: "waiting" }).where("created_at", "<=", chat.created_at).count<{ n: string }[]>({ n: "*" });
        return { ...chatView(chat), position: Number(position[0].n), visitorKey };
      },
    },

    /** GET /api/helpdesk/queue?tenantCode=: the waiting and active chats of a queue and the agents present. */
    queue: {
      rest: "GET /queue",
      kind: "read",
      permission: "authenticated",
      async handler(this: This, ctx: PlatformContext<{ tenantCode?: unknown }>) {
        return queueOf(this.db, agentQueue(ctx, ctx.params.tenantCode));
      },
    },

    /**
     * socket `join` { action: "helpdesk.live.join", params: { chatId, visitorKey? } | { tenantCode? } }: a
     * chat's room (its user and the region's agents), or an agent's queue room, where they count as present.
     */
    join: {
      room: true,
      kind: "read",
      permission: "authenticated",
      async handler(this: This, ctx: PlatformContext<{ chatId?: unknown; tenantCode?: unknown }>): Promise<RoomJoin> {
        if (ctx.params.chatId !== undefined) {
          const { chat, as } = await chatFor(this, ctx, ctx.params.chatId);
          return { room: chatRoom(chat.id), chatId: chat.id, as };
        }
        const code = agentQueue(ctx, ctx.params.tenantCode);
        const socketId = (ctx.meta as { socketId?: string }).socketId;
        if (socketId) {
          const user = ctx.meta.user!;
          await this.db(PRESENCE).insert({ socket_id: socketId, account_id: user.id, name: user.username, tenant_code: code, joined_at: platformNow() }).onConflict("socket_id").merge();
          announcePresence(this, code);
        }
        return { room: queueRoom(code), tenantCode: code };
      },
    },

    /** GET /api/helpdesk/chats/:id?visitorKey=: the chat and its messages, for its user and its region's agents. */
    get: {
      rest: "GET /chats/:id",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ id: string; visitorKey?: unknown }>) {
        const { chat, as } = await chatFor(this, ctx, ctx.params.id, ctx.params.visitorKey);
        const messages = await this.db(CHAT_MESSAGES).where({ chat_id: chat.id }).orderBy("id").limit(1000);
        return { ...chatView(chat), as, messages: messages.map(messageView) };
      },
    },

    /** POST /api/helpdesk/chats/:id/take: an agent answers a waiting chat; one agent wins a race. */
    take: {
      rest: "POST /chats/:id/take",
      kind: "continue",
      permission: "authenticated",
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const { chat, as } = await chatFor(this, ctx, ctx.params.id);
        if (as !== "agent" || !ctx.meta.user!.roles.includes("helpdesk-agent")) throw forbidden();
        const user = ctx.meta.user!;
        const [taken] = await this.db<ChatRow>(CHATS).where({ id: chat.id, status: "waiting" }).update({ status: "active", agent_id: user.id, agent_name: user.username, taken_at: platformNow() }).returning("*");
        if (!taken) throw conflict({ "zh-CN": "该会话已由其他客服接入或已结束", en: "Another agent has taken this chat, or it has ended" });
        await toRoom(this.broker, queueRoom(taken.tenant_code), "taken", chatView(taken));
        await toRoom(this.broker, chatRoom(taken.id), "taken", chatView(taken));
        await post(this, taken, "system", null, `客服 ${user.username} 已接入 · agent ${user.username} joined`);
        return chatView(taken);
      },
    },

    /**
     * POST /api/helpdesk/chats/:id/messages { text?, entryId?, visitorKey? }: a message to the chat's
     * room. An agent may answer with a knowledge-base entry (its answer is the text when none is given).
     */
    say: {
      rest: "POST /chats/:id/messages",
      kind: "continue",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ id: string; text?: unknown; entryId?: unknown; visitorKey?: unknown }>) {
        const { chat, as } = await chatFor(this, ctx, ctx.params.id, ctx.params.visitorKey);
        if (chat.status === "closed") throw conflict({ "zh-CN": "会话已结束", en: "The chat has ended" });
        if (as === "agent" && chat.agent_id !== ctx.meta.user!.id) throw conflict({ "zh-CN": "请先接入该会话", en: "Take the chat first" });
        let entryId: string | null = null;
        let text: string;
        if (as === "agent" && ctx.params.entryId !== undefined) {
          const entry = typeof ctx.params.entryId === "string" ? await this.db(ENTRIES).where({ id: ctx.params.entryId }).first() : null;
          if (!entry) throw validationFailed([fieldError("/entryId", "exists", "没有这个知识库条目", "there is no such knowledge-base entry")]);
          entryId = entry.id;
          text = ctx.params.text === undefined ? entry.answer : checkText(ctx.params.text);
        } else text = checkText(ctx.params.text);
        return post(this, chat, as, ctx.meta.user?.id ?? null, text, entryId);
      },
    },

    /** POST /api/helpdesk/chats/:id/close { visitorKey? }: either side ends the chat. */
    close: {
      rest: "POST /chats/:id/close",
      kind: "continue",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ id: string; visitorKey?: unknown }>) {
        const { chat } = await chatFor(this, ctx, ctx.params.id, ctx.params.visitorKey);
        const [closed] = await this.db<ChatRow>(CHATS).where({ id: chat.id }).whereNot({ status: "closed" }).update({ status: "closed", closed_at: platformNow() }).returning("*");
        if (!closed) return chatView(chat);
        await post(this, closed, "system", null, "会话已结束 · chat ended");
        await toRoom(this.broker, queueRoom(closed.tenant_code), "closed", chatView(closed));
        return chatView(closed);
      },
    },

    /** POST /api/helpdesk/chats/:id/rating { rating: 1-5, comment?, visitorKey? }: the user rates the chat. */
    rate: {
      rest: "POST /chats/:id/rating",
      kind: "continue",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ id: string; rating?: unknown; comment?: unknown; visitorKey?: unknown }>) {
        const { chat, as } = await chatFor(this, ctx, ctx.params.id, ctx.params.visitorKey);
        if (as !== "user") throw forbidden();
        const rating = ctx.params.rating;
        if (!Number.isInteger(rating) || (rating as number) < 1 || (rating as number) > 5) throw validationFailed([fieldError("/rating", "range", "评分为 1 至 5 的整数", "rating is a whole number from 1 to 5")]);
        const comment = ctx.params.comment === undefined ? null : checkText(ctx.params.comment, "/comment");
        const [row] = await this.db<ChatRow>(CHATS).where({ id: chat.id }).update({ rating: rating as number, rating_comment: comment }).returning("*");
        return chatView(row);
      },
    },
  },
};
