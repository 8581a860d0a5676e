import { abilityOf } from "../access/ability";
import type { Knex } from "knex";
import type { Context, Service, ServiceBroker } from "moleculer";
import { isConnectionError, isUuid } from "../db";
import { conflict, fieldError, notFound, validationFailed, type Localized } from "../errors";
import { pageOf } from "../gateway/query";
import type { AppAbility, PlatformContext, PlatformServiceSchema, SessionUser } from "../plugins/types";
import type { TenantTree } from "../tenancy/tree";
import { INSTANCE, instanceSubject, type InstanceRow } from "../workflow/engine";
import type { OutboxEvent } from "./outbox";
import { addFollow, follows, inboxAfter, inboxPage, markRead, removeFollow, unreadCount, writeNotifications, type Audience, type NotificationDraft, type NotificationView } from "./inbox";

/**
 * From events to people (issue 6). The `notifications` service consumes one outbox event:
 *
 *   notifications.requested  → inbox rows for everyone the event names, in one transaction with the
 *                              event's receipt, then `notifications.push` (a broadcast) to every
 *                              gateway node, which emits it to its sockets in the rooms named
 *
 * and serves the inbox under /api/notifications. Plugins reach the anonymous feeds themselves with
 * `notifications.public` (a broadcast, `announcePublic()`). See core/gateway/README.md ("Live notifications").
 */

/** Socket.io rooms (core/gateway/sockets.ts joins them; this module names them as audiences). */
export const rooms = {
  user: (accountId: string) => `user:${accountId}`,
  session: (sessionId: string) => `session:${sessionId}`,
  /** everyone signed in to this tenant */
  tenant: (code: string) => `tenant:${code}`,
  role: (code: string, role: string) => `role:${code}:${role}`,
  unit: (code: string) => `unit:${code}`,
  instance: (id: string) => `instance:${id}`,
  /** the anonymous feed of a tenant (namespace /public) */
  feed: (code: string) => `feed:${code}`,
};

/** The payload of `notifications.requested`, as the workflow engine's `notify` effect writes it and plugins may. */
export interface NotificationRequest {
  /** where it happened: its tenant and the tenants above it are the scope of `roles` */
  tenantCode: string;
  title: Localized;
  /** what it is about, for clients to pick an icon or a filter; default "<workflowId>.<transition>" */
  kind?: string;
  /** a path in the web app ("/instances/..."), never an absolute URL */
  link?: string | null;
  /** accounts with one of these roles, in `tenantCode` or a tenant above it; ["*"]: every role */
  roles?: string[];
  /** the instance's owner: every account of its unit, and the account that started it */
  owner?: { unit?: string | null; account?: string | null } | null;
  /** accounts named by id */
  accounts?: string[];
  /** the instance it is about; its followers are told unless `followers: false` */
  instanceId?: string;
  followers?: boolean;
  /** written by the workflow engine; make the default kind */
  workflowId?: string;
  transition?: string;
}

export interface PushItem {
  notification: NotificationView;
  rooms: string[];
}

/** `notifications.push`: what every gateway node emits to its sockets. */
export interface PushEvent {
  /** in id order */
  items: PushItem[];
  /**
   * The highest notification id committed before these items (by any node): the push that comes
   * before this one. A gateway that has not yet emitted that one holds this one back for a moment
   * (core/gateway/sockets.ts), so that pushes from different nodes reach clients in commit order.
   */
  after?: number;
}

/**
 * `notifications.public`: something anybody may see, for the anonymous feeds. The plugin that
 * announces it names the socket event and what it carries; core only routes it to the feeds.
 */
export interface PublicEvent {
  /** the socket event's name on namespace /public */
  event: string;
  item: Record<string, unknown>;
  feeds: string[];
}

/** `notifications.read`: an account's other tabs learn what was read. */
export interface ReadEvent {
  account: string;
  ids: number[];
  unread: number;
}

/** `notifications.rooms`: sockets of an account join or leave rooms on every node. */
export interface RoomsEvent {
  account: string;
  join?: string[];
  leave?: string[];
}

export const CONSUMER = "notifications";
/** instances one account may follow */
export const MAX_FOLLOWS = 500;

const NAME = /^[a-z0-9*][a-z0-9._-]{0,99}$/i;

function localized(v: unknown): Localized | null {
  if (typeof v === "string" && v.trim()) return { "zh-CN": v.slice(0, 500), en: v.slice(0, 500) };
  if (!v || typeof v !== "object") return null;
  const o = v as Record<string, unknown>;
  const zh = typeof o["zh-CN"] === "string" && o["zh-CN"].trim() ? (o["zh-CN"] as string) : null;
  const en = typeof o.en === "string" && o.en.trim() ? (o.en as string) : null;
  if (!zh && !en) return null;
  return { "zh-CN": (zh ?? en)!.slice(0, 500), en: (en ?? zh)!.slice(0, 500) };
}

const strings = (v: unknown, ok: (s: string) => boolean): string[] | null =>
  v === undefined || v === null ? [] : Array.isArray(v) && v.every((s) => typeof s === "string" && ok(s)) ? [...new Set(v as string[])] : null;

/** The draft of a notification from a `notifications.requested` event, or why it cannot be one. */
export function draftOf(eventId: unknown, data: unknown, tree: TenantTree): NotificationDraft | string {
  if (!isUuid(eventId)) return "no eventId: not an outbox event";
  if (!data || typeof data !== "object") return "no payload";
  const r = data as Record<string, unknown>;
  if (typeof r.tenantCode !== "string" || !tree.get(r.tenantCode)) return `tenantCode ${JSON.stringify(r.tenantCode)} is not a tenant`;
  const title = localized(r.title);
  if (!title) return "title must be { zh-CN, en } (or a string)";
  const roles = strings(r.roles, (s) => NAME.test(s));
  if (!roles) return "roles must be a list of role names";
  const accounts = strings(r.accounts, (s) => isUuid(s));
  if (!accounts) return "accounts must be a list of account ids";
  const owner = r.owner && typeof r.owner === "object" ? (r.owner as Record<string, unknown>) : null;
  const ownerUnit = owner && typeof owner.unit === "string" && owner.unit ? owner.unit : null;
  if (owner && isUuid(owner.account) && !accounts.includes(owner.account)) accounts.push(owner.account);
  const instanceId = isUuid(r.instanceId) ? r.instanceId : null;
  if (r.instanceId !== undefined && r.instanceId !== null && !instanceId) return "instanceId must be a uuid";
  let link: string | null = null;
  if (r.link !== undefined && r.link !== null) {
    // Shown as a link in the browser: a path of this site only (no "javascript:", no other host).
    if (typeof r.link !== "string" || !/^\/(?![/\\])[^\s]{0,500}$/.test(r.link)) return "link must be a path of the web app, like /instances/<id>";
    link = r.link;
  }
  const derived = typeof r.workflowId === "string" && typeof r.transition === "string" ? `${r.workflowId}.${r.transition}` : "message";
  const kind = typeof r.kind === "string" && NAME.test(r.kind) ? r.kind : derived;
  const audience: Audience = {
    tenantCode: r.tenantCode,
    lineage: [...tree.lineage(r.tenantCode)].map((t) => t.code),
    roles,
    ownerUnit,
    accounts,
    followersOf: instanceId && r.followers !== false ? instanceId : null,
  };
  return { eventId, kind, title, link, instanceId, audience };
}

/**
 * The rooms whose sockets are exactly the audience's signed-in people: a socket sits in the rooms
 * of its session's account (user, tenant, role within tenant, unit) and of what it follows, and a
 * session's claims are the account's (changing roles, unit or status ends its sessions).
 */
export function audienceRooms(a: Audience): string[] {
  const out: string[] = [];
  if (a.roles.includes("*")) out.push(...a.lineage.map(rooms.tenant));
  else for (const t of a.lineage) for (const r of a.roles) out.push(rooms.role(t, r));
  if (a.ownerUnit) out.push(rooms.unit(a.ownerUnit));
  out.push(...a.accounts.map(rooms.user));
  if (a.followersOf) out.push(rooms.instance(a.followersOf));
  return out;
}

/**
 * At most `max` jobs in one run, runs one after the other, in the order they came (a node writes
 * notifications in one transaction at a time: the inbox lock would make parallel ones wait anyway,
 * each holding a pooled connection). Jobs that come while a run is in progress wait for the next,
 * which starts a macrotask after the previous one ended: those who waited on it (the relay's
 * publishers) bring their next events first, and they make one batch rather than a batch of one and
 * then the rest.
 */
export class Batcher<T> {
  private readonly queue: Array<{ item: T; resolve: () => void; reject: (err: unknown) => void }> = [];
  private busy = false;

  constructor(
    private readonly run: (items: T[]) => Promise<void>,
    private readonly max = 100,
    /** called when a run ended and nothing waits for the next */
    private readonly onIdle: () => void = () => {},
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.busy) this.next();
    });
  }

  get waiting(): number {
    return this.queue.length;
  }

  private next(): void {
    if (!this.queue.length) {
      this.busy = false;
      this.onIdle();
      return;
    }
    // Busy until the next run starts: an add() in between joins it rather than starting one alone.
    this.busy = true;
    const batch = this.queue.splice(0, this.max);
    void this.run(batch.map((b) => b.item))
      .then(
        () => batch.forEach((b) => b.resolve()),
        (err) => batch.forEach((b) => b.reject(err)),
      )
      .finally(() => setImmediate(() => this.next()));
  }
}

/** tries of a transaction that meets a lost connection (nothing was committed: safe to repeat) */
const CONNECTION_ATTEMPTS = 6;

async function withConnectionRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= CONNECTION_ATTEMPTS || !isConnectionError(err)) throw err;
      await new Promise((r) => setTimeout(r, 200 * 2 ** (attempt - 1)));
    }
  }
}

/**
 * Records the receipts of these events for the notifications consumer, in one statement (in id
 * order, the same everywhere, so that two transactions taking the same receipts cannot deadlock);
 * returns the ids received for the first time. `receiveOnce` for a batch.
 */
async function receiveEach(trx: Knex.Transaction, eventIds: string[]): Promise<Set<string>> {
  const { rows } = await trx.raw(
    `insert into core_event_receipts (consumer, event_id) select ?, e from unnest(?::uuid[]) e order by e on conflict do nothing returning event_id`,
    [CONSUMER, [...new Set(eventIds.map((id) => id.toLowerCase()))].sort()],
  );
  return new Set((rows as Array<{ event_id: string }>).map((r) => r.event_id));
}

/**
 * Writes drafts in one transaction: the events' receipts (a redelivered event writes nothing), then,
 * under the inbox lock, the notifications and their inbox rows. Resolves once committed, with what
 * to push (null: nothing new). `whileWriting`: see writeNotifications.
 */
export async function writeDrafts(knex: Knex, drafts: NotificationDraft[], whileWriting?: () => void): Promise<Required<PushEvent> | null> {
  return withConnectionRetry(() =>
    knex.transaction(async (trx) => {
      // Receipts first (they may wait on another transaction delivering the same event), the
      // inbox lock last.
      const fresh = await receiveEach(trx, drafts.map((d) => d.eventId));
      const todo = drafts.filter((d) => fresh.delete(d.eventId.toLowerCase()));
      const { after, results } = await writeNotifications(trx, todo, whileWriting);
      const items = todo.flatMap((d, i) => (results[i] ? [{ notification: results[i]!.view, rooms: audienceRooms(d.audience) }] : []));
      return items.length ? { items, after } : null;
    }),
  );
}

/**
 * Tells every gateway node what was written. Only for what has committed: the inbox has it whatever
 * happens to the push (a client that misses it gets it at its next reconnect), so a failed broadcast
 * is reported, not thrown. Call it in commit order (the broadcast keeps the order it was called in).
 */
export function announce(broker: ServiceBroker, push: PushEvent): Promise<void> {
  return broker.broadcast("notifications.push", push).then(
    () => {},
    (err: Error) => {
      broker.getLogger("notifications").warn(`notifications ${push.items.map((w) => w.notification.id).join(", ")} written but not pushed: ${err.message}`);
    },
  );
}

/**
 * Tells the anonymous feeds of a tenant and of the tenants above it (the feeds' tenants are codes
 * a visitor chose; `lineage` is the tenant's, itself first). Only for what has committed; a failed
 * broadcast is reported, not thrown, as for pushes.
 */
export function announcePublic(broker: ServiceBroker, lineage: string[], event: string, item: Record<string, unknown>): Promise<void> {
  const ev: PublicEvent = { event, item, feeds: lineage.map(rooms.feed) };
  return broker.broadcast("notifications.public", ev).then(
    () => {},
    (err: Error) => {
      broker.getLogger("notifications").warn(`${event} for ${lineage[0]} not announced to the public feeds: ${err.message}`);
    },
  );
}

/**
 * Starts following an instance (a tender, a public notice): only one the user may read (404
 * otherwise, as for one that does not exist). Every node's sockets of the account join its room.
 */
export async function followInstance(knex: Knex, broker: ServiceBroker, ability: AppAbility, user: SessionUser, instanceId: unknown): Promise<{ instanceId: string; created: boolean }> {
  if (!isUuid(instanceId)) throw notFound(INSTANCE);
  const row = await knex<InstanceRow>("core_workflow_instances").where({ id: instanceId }).first();
  if (!row || !ability.can("read", instanceSubject(row))) throw notFound(INSTANCE);
  // A socket joins the rooms of this many follows (the most recent); more could not all be live.
  const [{ n }] = await knex("core_notification_follows").where({ account_id: user.id }).whereNot({ instance_id: instanceId }).count({ n: "*" });
  if (Number(n) >= MAX_FOLLOWS) {
    throw conflict({ "zh-CN": `最多关注 ${MAX_FOLLOWS} 个项目，请先取消关注其他项目`, en: `You can follow at most ${MAX_FOLLOWS} items; unfollow some first` }, { rule: "max-follows", max: MAX_FOLLOWS });
  }
  const created = await addFollow(knex, user.id, instanceId);
  await broker.broadcast("notifications.rooms", { account: user.id, join: [rooms.instance(instanceId)] } satisfies RoomsEvent);
  return { instanceId, created };
}

export async function unfollowInstance(knex: Knex, broker: ServiceBroker, user: SessionUser, instanceId: unknown): Promise<{ instanceId: string; removed: boolean }> {
  if (!isUuid(instanceId)) throw notFound(INSTANCE);
  const removed = await removeFollow(knex, user.id, instanceId);
  await broker.broadcast("notifications.rooms", { account: user.id, leave: [rooms.instance(instanceId)] } satisfies RoomsEvent);
  return { instanceId, removed };
}

/**
 * The instances a user follows and may still read (at most `limit`). Follows of instances they may
 * no longer read are dropped, so that the inbox and the rooms agree on who follows what.
 */
export async function readableFollows(knex: Knex, ability: AppAbility, accountId: string, limit = MAX_FOLLOWS): Promise<Array<{ instanceId: string; followedAt: string }>> {
  const rows = await follows<InstanceRow>(knex, accountId, limit);
  const lost = rows.filter((r) => !ability.can("read", instanceSubject(r.instance))).map((r) => r.instance.id);
  if (lost.length) await knex("core_notification_follows").where({ account_id: accountId }).whereIn("instance_id", lost).del();
  return rows.filter((r) => !lost.includes(r.instance.id)).map((r) => ({ instanceId: r.instance.id, followedAt: new Date(r.followedAt).toISOString() }));
}

export interface NotificationsOptions {
  knex: Knex;
  tree: TenantTree;
  /** notifications written per transaction, at most */
  batchSize?: number;
}

type NotificationsThis = Service & { batcher: Batcher<NotificationDraft>; flushPushes: () => void };

/**
 * The core service "notifications": consumes the outbox events above on whichever node gets them
 * (one per cluster: the events are balanced to the service's group), and serves the inbox:
 *
 *   GET    /api/notifications?unread=1&page=&pageSize=   newest first, with total and unread
 *   GET    /api/notifications?after=<id>                 oldest first after an id (a client's catch-up by HTTP)
 *   GET    /api/notifications/unread-count
 *   POST   /api/notifications/read   { ids: [..] } | { all: true, upTo?: id }
 *   GET    /api/notifications/follows
 *   POST   /api/notifications/follows   { instanceId }
 *   DELETE /api/notifications/follows/:instanceId
 */
export function notificationsService(opts: NotificationsOptions): PlatformServiceSchema {
  const { knex, tree } = opts;
  return {
    name: "notifications",
    created(this: NotificationsThis) {
      // Pushes of committed batches not yet announced, in commit order. A batch's push goes out
      // while the next batch's rows are being written (its statement is on its way to the
      // database, which works while this node emits), at once when no batch follows, and before
      // waiting when another node holds the inbox lock: in a burst, pushing costs no writing
      // time. Always before the next batch commits: pushes leave in commit order.
      const pending: PushEvent[] = [];
      this.flushPushes = () => {
        for (const push of pending.splice(0)) void announce(this.broker, push);
      };
      this.batcher = new Batcher(
        async (drafts) => {
          let push: PushEvent | null;
          try {
            push = await writeDrafts(knex, drafts, this.flushPushes);
          } catch (err) {
            this.flushPushes();
            if (drafts.length === 1) throw err;
            // One bad event must not sink the others of its batch: each on its own, in order.
            let failed: unknown;
            for (const d of drafts) {
              try {
                const one = await writeDrafts(knex, [d]);
                if (one) void announce(this.broker, one);
              } catch (e) {
                failed ??= e;
              }
            }
            if (failed) throw failed;
            return;
          }
          this.flushPushes(); // (when the batch wrote nothing, it was not called)
          if (push) pending.push(push);
        },
        opts.batchSize ?? 100,
        this.flushPushes,
      );
    },
    stopped(this: NotificationsThis) {
      this.flushPushes();
    },
    events: {
      "notifications.requested": {
        context: true,
        async handler(this: NotificationsThis, ctx: Context<OutboxEvent>) {
          const draft = draftOf(ctx.params?.eventId, ctx.params?.data, tree);
          if (typeof draft === "string") {
            // Sending it again would not make it valid: say so once and let it go.
            this.logger.warn(`notifications.requested ${ctx.params?.eventId ?? "(no id)"} ignored: ${draft}`);
            return;
          }
          await this.batcher.add(draft);
        },
      },
    },
    actions: {
      list: {
        rest: "GET /notifications",
        kind: "read",
        permission: "authenticated",
        async handler(ctx: PlatformContext<{ unread?: string; page?: string; pageSize?: string; after?: string }>) {
          const user = ctx.meta.user!;
          const { page, pageSize } = pageOf(ctx.params, { pageSize: 20, maxPageSize: 100, maxPage: 1_000_000 });
          if (ctx.params.after !== undefined) {
            const after = Number(ctx.params.after);
            if (!Number.isSafeInteger(after) || after < 0) throw validationFailed([fieldError("/after", "type", "应为通知编号", "must be a notification id")]);
            const items = await inboxAfter(knex, user.id, after, pageSize);
            return { items, unread: await unreadCount(knex, user.id), pageSize };
          }
          const unread = ctx.params.unread === "1" || ctx.params.unread === "true";
          return { ...(await inboxPage(knex, user.id, { unread, page, pageSize })), page, pageSize };
        },
      },
      unreadCount: {
        rest: "GET /notifications/unread-count",
        kind: "read",
        permission: "authenticated",
        async handler(ctx: PlatformContext) {
          return { unread: await unreadCount(knex, ctx.meta.user!.id) };
        },
      },
      read: {
        rest: "POST /notifications/read",
        kind: "continue",
        permission: "authenticated",
        async handler(ctx: PlatformContext<{ ids?: unknown; all?: unknown; upTo?: unknown }>) {
          const user = ctx.meta.user!;
          const { ids, all, upTo } = ctx.params;
          let read: number[];
          if (all === true) {
            if (upTo !== undefined && (!Number.isSafeInteger(upTo) || (upTo as number) < 0)) throw validationFailed([fieldError("/upTo", "type", "应为通知编号", "must be a notification id")]);
            read = await markRead(knex, user.id, { all: true, upTo: upTo as number | undefined });
          } else if (Array.isArray(ids) && ids.length <= 1000 && ids.every((i) => Number.isSafeInteger(i) && i > 0)) {
            read = ids.length ? await markRead(knex, user.id, { ids: ids as number[] }) : [];
          } else {
            throw validationFailed([fieldError("/ids", "required", "请给出通知编号（最多 1000 个），或 all: true", "give notification ids (at most 1,000), or all: true")]);
          }
          const unread = await unreadCount(knex, user.id);
          if (read.length) await ctx.broker.broadcast("notifications.read", { account: user.id, ids: read, unread } satisfies ReadEvent);
          return { read, unread };
        },
      },
      follows: {
        rest: "GET /notifications/follows",
        kind: "read",
        permission: "authenticated",
        async handler(ctx: PlatformContext) {
          return { items: await readableFollows(knex, abilityOf(ctx), ctx.meta.user!.id) };
        },
      },
      follow: {
        rest: "POST /notifications/follows",
        kind: "continue",
        permission: "authenticated",
        async handler(ctx: PlatformContext<{ instanceId?: unknown }>) {
          const out = await followInstance(knex, ctx.broker, abilityOf(ctx), ctx.meta.user!, ctx.params.instanceId);
          if (out.created) {
            ctx.meta.$statusCode = 201;
            ctx.meta.$location = `/api/notifications/follows/${out.instanceId}`;
          }
          return { instanceId: out.instanceId, following: true };
        },
      },
      unfollow: {
        rest: "DELETE /notifications/follows/:instanceId",
        kind: "continue",
        permission: "authenticated",
        async handler(ctx: PlatformContext<{ instanceId?: unknown }>) {
          const out = await unfollowInstance(knex, ctx.broker, ctx.meta.user!, ctx.params.instanceId);
          return { instanceId: out.instanceId, following: false };
        },
      },
    },
  };
}
