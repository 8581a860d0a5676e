import type { Knex } from "knex";
import { isUuid, type ListOrder, listPage, type OutboxEvent, type SearchColumn, whereContains } from "../../../core/sdk";

export const NOTICE_TYPES = ["intention", "tender", "result", "contract"] as const;
export type NoticeType = (typeof NOTICE_TYPES)[number];

const TABLE = "portal_notices";

/** `portal.publish` data, as the workflow engine writes it (only the declared public fields in `data`). */
export interface PublishData {
  instanceId: string;
  workflowId: string;
  plugin: string;
  tenantCode: string;
  ownerUnit?: string | null;
  state?: string;
  transition?: string;
  version: number;
  notice: NoticeType;
  title: string;
  unitName: string | null;
  data: Record<string, unknown>;
}

/** `portal.withdraw` data. */
export interface WithdrawData {
  instanceId: string;
  workflowId: string;
  plugin: string;
  tenantCode: string;
  notice: NoticeType;
  version: number;
}

interface Common {
  instanceId: string;
  type: NoticeType;
  tenantCode: string;
  plugin: string;
  workflowId: string;
  version: number;
  at: string;
}

export interface Publication extends Common {
  title: string;
  unitName: string | null;
  fields: Record<string, unknown>;
}

const isText = (v: unknown): v is string => typeof v === "string" && v.trim().length > 0;
const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** What every portal event must carry, or why it is unusable. */
function common(event: OutboxEvent<unknown> | undefined): Common | string {
  const d = (isPlainObject(event?.data) ? event!.data : {}) as Record<string, unknown>;
  if (!isUuid(d.instanceId)) return "instanceId must be a uuid";
  if (!NOTICE_TYPES.includes(d.notice as NoticeType)) return `notice must be one of ${NOTICE_TYPES.join(", ")}, got ${JSON.stringify(d.notice)}`;
  if (typeof d.tenantCode !== "string" || !/^\d{6}$/.test(d.tenantCode)) return `tenantCode must be a 6-digit division code, got ${JSON.stringify(d.tenantCode)}`;
  if (!isText(d.plugin)) return "plugin must be named";
  if (!isText(d.workflowId)) return "workflowId must be named";
  if (!Number.isInteger(d.version) || (d.version as number) < 1 || (d.version as number) > 2_147_483_647) return `version must be a positive integer, got ${JSON.stringify(d.version)}`;
  const at = event?.at;
  if (typeof at !== "string" || Number.isNaN(Date.parse(at))) return `at must be a time, got ${JSON.stringify(at)}`;
  return { instanceId: d.instanceId, type: d.notice as NoticeType, tenantCode: d.tenantCode, plugin: d.plugin, workflowId: d.workflowId, version: d.version as number, at };
}

export function publicationOf(event: OutboxEvent<unknown> | undefined): Publication | string {
  const base = common(event);
  if (typeof base === "string") return base;
  const d = event!.data as Record<string, unknown>;
  if (!isText(d.title)) return "title must be a non-empty string";
  if (d.unitName != null && typeof d.unitName !== "string") return "unitName must be a string or null";
  if (d.data != null && !isPlainObject(d.data)) return "data must be an object of public fields";
  const unitName = typeof d.unitName === "string" && d.unitName.trim() ? d.unitName.trim() : null;
  return { ...base, title: d.title.trim(), unitName, fields: (d.data as Record<string, unknown> | null) ?? {} };
}

export function withdrawalOf(event: OutboxEvent<unknown> | undefined): Common | string {
  return common(event);
}

/**
 * A publication or an amendment: the content of a higher version replaces the notice's (and
 * brings a withdrawn notice back); its first publication time stays. An older version arriving
 * late changes nothing. True when it was applied.
 */
export async function applyPublication(trx: Knex.Transaction, p: Publication): Promise<boolean> {
  const { rows } = await trx.raw(
    `insert into ${TABLE} as n (instance_id, type, tenant_code, plugin, workflow_id, title, unit_name, fields, version, published_at)
     values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)
     on conflict (instance_id, type) do update set
       tenant_code = excluded.tenant_code, plugin = excluded.plugin, workflow_id = excluded.workflow_id,
       title = excluded.title, unit_name = excluded.unit_name, fields = excluded.fields, version = excluded.version,
       published_at = coalesce(n.published_at, excluded.published_at),
       updated_at = case when n.published_at is null then null else excluded.published_at end,
       withdrawn_at = null
     where n.version < excluded.version
     returning id`,
    [p.instanceId, p.type, p.tenantCode, p.plugin, p.workflowId, p.title, p.unitName, JSON.stringify(p.fields), p.version, p.at],
  );
  return rows.length === 1;
}

/**
 * A withdrawal: the notice leaves the portal and stays in the table with the time. One that
 * arrives before its publication is kept as a bare row, so that the late (older) publication
 * cannot bring the notice back. True when it was applied.
 */
export async function applyWithdrawal(trx: Knex.Transaction, w: Common): Promise<boolean> {
  const { rows } = await trx.raw(
    `insert into ${TABLE} as n (instance_id, type, tenant_code, plugin, workflow_id, title, version, withdrawn_at)
     values (?, ?, ?, ?, ?, '', ?, ?)
     on conflict (instance_id, type) do update set
       version = excluded.version, withdrawn_at = coalesce(n.withdrawn_at, excluded.withdrawn_at)
     where n.version <= excluded.version
     returning id`,
    [w.instanceId, w.type, w.tenantCode, w.plugin, w.workflowId, w.version, w.at],
  );
  return rows.length === 1;
}

/** A row as the API reads it: never the bookkeeping columns (version, plugin, search text). */
export interface NoticeRow {
  id: string;
  instanceId: string;
  /** the detail's only (a page names the public fields by the workflow's forms) */
  workflowId?: string;
  type: NoticeType;
  tenantCode: string;
  title: string;
  unitName: string | null;
  fields: Record<string, unknown>;
  publishedAt: Date | null;
  updatedAt: Date | null;
  withdrawnAt: Date | null;
}

/** Newest first; the id breaks ties of one publication time (the index portal_notices_newest). */
export const NOTICE_ORDER: ListOrder = {
  name: "portal.notices",
  keys: [
    { column: "published_at as publishedAt", kind: "timestamp" },
    { column: "id", kind: "uuid" },
  ],
  direction: "desc",
};

/** What a list item reads (and an export writes). */
export const NOTICE_LIST_COLUMNS = ["id", "type", "title", "tenant_code as tenantCode", "unit_name as unitName", "published_at as publishedAt", "updated_at as updatedAt"];

export interface NoticeFilter {
  /** tenant codes, a whole subtree; undefined: everywhere */
  tenantCodes?: string[];
  type?: NoticeType;
  /** publication days, inclusive, as YYYY-MM-DD in the platform's time zone (UTC+8) */
  from?: string;
  to?: string;
  /** search terms, already normalised (NFKC, lowercase); a notice must contain every one */
  terms: string[];
  page: number;
  pageSize: number;
  /** the keys of the previous page's last notice (a cursor, decoded) */
  after?: unknown[];
}

/** What `q` searches: the normalised title and unit name, with the trigram and pair indexes of the migrations. */
const SEARCH: SearchColumn = { column: "search", bigrams: "portal_pairs(search)", trigram: true };

const dayAfter = (day: string) => {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
};

/** The notices a list shows, filtered, in no order yet (also what the search-plan test explains). */
export function filteredNotices(db: Knex, f: Omit<NoticeFilter, "page" | "pageSize">): Knex.QueryBuilder {
  return whereContains(unworded(db, f), SEARCH, f.terms);
}

/** The list's filters but its words. */
function unworded(db: Knex, f: Omit<NoticeFilter, "page" | "pageSize" | "terms">): Knex.QueryBuilder {
  const query = db(TABLE).whereNull("withdrawn_at");
  if (f.tenantCodes) query.whereIn("tenant_code", f.tenantCodes);
  if (f.type) query.where("type", f.type);
  // A day is the platform's (UTC+8): bounds as times, so that the newest index serves the range.
  if (f.from) query.where("published_at", ">=", `${f.from}T00:00:00+08:00`);
  if (f.to) query.where("published_at", "<", `${dayAfter(f.to)}T00:00:00+08:00`);
  return query;
}

export async function listNotices(db: Knex, f: NoticeFilter): Promise<{ rows: NoticeRow[]; nextCursor: string | null; total: number; totalIsEstimate: boolean }> {
  // A region and the regions below it are read region by region along portal_notices_tenant_newest
  // (or _tenant_type_newest) and merged, unless the words are rare enough to be found by their own
  // index; frequent words are tested on the rows the filters lead to (core's listPage).
  const mergeBy = f.tenantCodes && f.tenantCodes.length > 1 ? { column: "tenant_code", values: f.tenantCodes } : undefined;
  const words = { without: unworded(db, f).select(NOTICE_LIST_COLUMNS), table: db(TABLE).whereNull("withdrawn_at"), search: SEARCH, terms: f.terms };
  return listPage<NoticeRow>(db, filteredNotices(db, f).select(NOTICE_LIST_COLUMNS), NOTICE_ORDER, f, { mergeBy, words });
}

export async function findNotice(db: Knex, id: string): Promise<NoticeRow | undefined> {
  return db(TABLE)
    .where({ id })
    .first([...NOTICE_LIST_COLUMNS, "instance_id as instanceId", "workflow_id as workflowId", "fields", "withdrawn_at as withdrawnAt"]) as Promise<NoticeRow | undefined>;
}
