import type { Knex } from "knex";
import type { Localized } from "../errors";

/**
 * The notification inbox in PostgreSQL: one `core_notifications` row per notification, one
 * `core_inbox` row per person told (with its read mark), and who follows which instance.
 * Written by the notifications service (notifications.ts) as it consumes outbox events; read by
 * the API and by the sockets' catch-up (core/gateway/sockets.ts).
 */

/**
 * Held by the transaction that writes notifications from before its first id is drawn until it
 * commits, so that ids follow commit order across every node: a reader that has seen id N has
 * seen, or can still fetch, everything below N. (A lock held only while ids are drawn would not
 * do: a transaction that drew id 5 and commits after the one that drew 6 would make a reader at 6
 * skip 5 for ever.) A single-bigint advisory lock; the relay and the migrations use others.
 */
export const INBOX_LOCK_KEY = 7_243_100_061;

/** Who is told, resolved against core_accounts at the moment the notification is written. */
export interface Audience {
  /** the tenant the event happened in */
  tenantCode: string;
  /** it and the tenants above it, up to the province */
  lineage: string[];
  /** accounts holding one of these roles in a tenant of `lineage`; "*" is every role */
  roles: string[];
  /** every active account of this unit */
  ownerUnit: string | null;
  /** these accounts (the owner's account, accounts an event names) */
  accounts: string[];
  /** the instance whose followers are told, if they are */
  followersOf: string | null;
}

export interface NotificationDraft {
  eventId: string;
  kind: string;
  title: Localized;
  link: string | null;
  instanceId: string | null;
  audience: Audience;
}

/** A notification as every recipient sees it (pushed and listed alike). */
export interface NotificationView {
  id: number;
  kind: string;
  title: Localized;
  link: string | null;
  tenantCode: string;
  instanceId: string | null;
  createdAt: string;
}

export interface InboxItem extends NotificationView {
  read: boolean;
  readAt: string | null;
}

interface NotificationRow {
  id: string | number;
  kind: string;
  title: Localized;
  link: string | null;
  tenant_code: string;
  instance_id: string | null;
  created_at: Date | string;
  read_at?: Date | string | null;
}

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

export function viewOf(row: NotificationRow): NotificationView {
  return {
    id: Number(row.id),
    kind: row.kind,
    title: row.title,
    link: row.link,
    tenantCode: row.tenant_code,
    instanceId: row.instance_id,
    createdAt: iso(row.created_at),
  };
}

function itemOf(row: NotificationRow): InboxItem {
  return { ...viewOf(row), read: row.read_at != null, readAt: row.read_at ? iso(row.read_at) : null };
}

export interface WrittenNotifications {
  /**
   * The highest notification id committed before these (0: none): the one whose push precedes
   * theirs. Gateways use it to emit pushes in commit order (core/gateway/sockets.ts).
   */
  after: number;
  /** per draft, the notification and how many people it reached, or null when skipped */
  results: Array<{ view: NotificationView; recipients: number } | null>;
}

/** The recipients of an audience: one index-friendly part per kind of recipient, UNION'd (no one twice). */
function recipientsQuery(a: Audience): { sql: string; bindings: unknown[] } | null {
  const everyRole = a.roles.includes("*");
  const parts: string[] = [];
  const bindings: unknown[] = [];
  if (a.roles.length && a.lineage.length) {
    parts.push(`select id from core_accounts where status = 'active' and tenant_code = any(?::text[])${everyRole ? "" : " and roles && ?::text[]"}`);
    bindings.push(a.lineage, ...(everyRole ? [] : [a.roles]));
  }
  if (a.ownerUnit) {
    parts.push(`select id from core_accounts where status = 'active' and unit_code = ?`);
    bindings.push(a.ownerUnit);
  }
  if (a.accounts.length) {
    parts.push(`select id from core_accounts where status = 'active' and id = any(?::uuid[])`);
    bindings.push(a.accounts);
  }
  if (a.followersOf) {
    parts.push(`select f.account_id from core_notification_follows f join core_accounts c on c.id = f.account_id and c.status = 'active' where f.instance_id = ?`);
    bindings.push(a.followersOf);
  }
  return parts.length ? { sql: parts.join(" union "), bindings } : null;
}

/**
 * Writes notifications and their inbox rows, in the caller's transaction (the one that also holds
 * the events' receipts). Takes the inbox lock, which the transaction keeps until it ends: call it
 * last, after everything that might wait on other transactions. A draft whose event was written
 * before (its event_id exists) is skipped.
 *
 * After the lock, one statement writes them all: the notifications, in the drafts' order, and
 * every recipient's row (resolved from core_accounts in the database: no account ids travel), and
 * reads the highest id committed before. (The lock is a statement of its own, so that this one's
 * snapshot, taken when it starts, sees what the previous holder committed.) `whileWriting` is
 * called once that statement is on its way, work for the node while the database writes; or at
 * once if the lock is taken (by another node), rather than after waiting for it.
 */
export async function writeNotifications(trx: Knex.Transaction, drafts: NotificationDraft[], whileWriting?: () => void): Promise<WrittenNotifications> {
  if (!drafts.length) return { after: 0, results: [] };
  const { rows: tried } = await trx.raw("select pg_try_advisory_xact_lock(?) as locked", [INBOX_LOCK_KEY]);
  if (!(tried as Array<{ locked: boolean }>)[0].locked) {
    // Another node is writing: what was to be done meanwhile is done now, not after the wait.
    whileWriting?.();
    whileWriting = undefined;
    await trx.raw("select pg_advisory_xact_lock(?)", [INBOX_LOCK_KEY]);
  }
  const given = drafts.map((d, ord) => ({ ord, event_id: d.eventId, kind: d.kind, tenant_code: d.audience.tenantCode, title: d.title, link: d.link, instance_id: d.instanceId }));
  const parts: string[] = [];
  const bindings: unknown[] = [JSON.stringify(given)];
  drafts.forEach((d, ord) => {
    const who = recipientsQuery(d.audience);
    if (!who) return;
    parts.push(`select ${ord} as ord, r.id from (${who.sql}) r(id)`);
    bindings.push(...who.bindings);
  });
  const writing = trx.raw(
    `with d as (
       select * from jsonb_to_recordset(?::jsonb) as d(ord int, event_id uuid, kind text, tenant_code text, title jsonb, link text, instance_id uuid)
     ), n as (
       insert into core_notifications (event_id, kind, tenant_code, title, link, instance_id)
       select event_id, kind, tenant_code, title, link, instance_id from d order by ord
       on conflict (event_id) do nothing
       returning id, event_id, kind, title, link, tenant_code, instance_id, created_at
     )${
       parts.length
         ? `, i as (
       insert into core_inbox (account_id, notification_id)
       select r.id, n.id from (${parts.join(" union all ")}) r join d using (ord) join n using (event_id)
       returning notification_id
     ), c as (select notification_id, count(*)::int as recipients from i group by notification_id)`
         : ""
     }
     select n.*, ${parts.length ? "coalesce(c.recipients, 0)" : "0"} as recipients, (select coalesce(max(id), 0) from core_notifications) as after
       from n${parts.length ? " left join c on c.notification_id = n.id" : ""}`,
    bindings,
  ).then((r: { rows: unknown[] }) => r.rows); // (.then sends it)
  // A macrotask later the statement has been handed to the connection's socket.
  if (whileWriting) setImmediate(whileWriting);
  const rows = await writing;
  const written = new Map((rows as Array<NotificationRow & { event_id: string; recipients: number; after: string | number }>).map((r) => [r.event_id, r]));
  const first = written.values().next().value;
  return {
    after: first ? Number(first.after) : 0,
    results: drafts.map((d) => {
      const key = d.eventId.toLowerCase();
      const row = written.get(key);
      written.delete(key); // an event given twice is written once
      return row ? { view: viewOf(row), recipients: row.recipients } : null;
    }),
  };
}

const SELECT = "n.id, n.kind, n.title, n.link, n.tenant_code, n.instance_id, n.created_at, i.read_at";

/** What an account was told after `afterId`, oldest first: the catch-up of a reconnecting client. */
export async function inboxAfter(db: Knex, accountId: string, afterId: number, limit: number): Promise<InboxItem[]> {
  const { rows } = await db.raw(
    `select ${SELECT} from core_inbox i join core_notifications n on n.id = i.notification_id
      where i.account_id = ? and i.notification_id > ? order by i.notification_id limit ?`,
    [accountId, afterId, limit],
  );
  return (rows as NotificationRow[]).map(itemOf);
}

export interface InboxQuery {
  unread?: boolean;
  /** newest first, in pages */
  page: number;
  pageSize: number;
}

/** An account's inbox, newest first, with the number of items and of unread ones. */
export async function inboxPage(db: Knex, accountId: string, q: InboxQuery): Promise<{ items: InboxItem[]; total: number; unread: number }> {
  const where = `i.account_id = ?${q.unread ? " and i.read_at is null" : ""}`;
  const [{ rows }, counts] = await Promise.all([
    db.raw(
      `select ${SELECT} from core_inbox i join core_notifications n on n.id = i.notification_id
        where ${where} order by i.notification_id desc limit ? offset ?`,
      [accountId, q.pageSize, (q.page - 1) * q.pageSize],
    ),
    db.raw(`select count(*)::int as total, count(*) filter (where read_at is null)::int as unread from core_inbox where account_id = ?`, [accountId]),
  ]);
  const { total, unread } = counts.rows[0] as { total: number; unread: number };
  return { items: (rows as NotificationRow[]).map(itemOf), total: q.unread ? unread : total, unread };
}

export async function unreadCount(db: Knex, accountId: string): Promise<number> {
  const { rows } = await db.raw(`select count(*)::int as n from core_inbox where account_id = ? and read_at is null`, [accountId]);
  return rows[0].n as number;
}

/**
 * Marks an account's notifications read: the given ids, or all of them up to `upTo` (everything,
 * without it). Ids that are not the account's are ignored. Returns the ids that changed.
 */
export async function markRead(db: Knex, accountId: string, which: { ids: number[] } | { all: true; upTo?: number }): Promise<number[]> {
  const q = db("core_inbox").where({ account_id: accountId }).whereNull("read_at");
  if ("ids" in which) q.whereIn("notification_id", which.ids);
  else if (which.upTo !== undefined) q.where("notification_id", "<=", which.upTo);
  const rows: Array<{ notification_id: string | number }> = await q.update({ read_at: db.fn.now() }).returning("notification_id");
  return rows.map((r) => Number(r.notification_id)).sort((a, b) => a - b);
}

export async function addFollow(db: Knex, accountId: string, instanceId: string): Promise<boolean> {
  const rows = await db("core_notification_follows").insert({ account_id: accountId, instance_id: instanceId }).onConflict(["account_id", "instance_id"]).ignore().returning("instance_id");
  return rows.length > 0;
}

export async function removeFollow(db: Knex, accountId: string, instanceId: string): Promise<boolean> {
  return (await db("core_notification_follows").where({ account_id: accountId, instance_id: instanceId }).del()) > 0;
}

/** The instances an account follows, most recent first, with the instance rows CASL checks read. */
export async function follows<Row>(db: Knex, accountId: string, limit: number): Promise<Array<{ followedAt: Date; instance: Row }>> {
  const rows = await db("core_notification_follows as f")
    .join("core_workflow_instances as i", "i.id", "f.instance_id")
    .where("f.account_id", accountId)
    .orderBy("f.created_at", "desc")
    .limit(limit)
    .select("i.*", "f.created_at as followed_at");
  return rows.map((r: Row & { followed_at: Date }) => ({ followedAt: r.followed_at, instance: r }));
}
