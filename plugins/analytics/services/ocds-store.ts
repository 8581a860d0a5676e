import type { Knex } from "knex";
import { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import { isUuid, type ListOrder, pageRows, type OutboxEvent } from "../../../core/sdk";
import { buildRelease, contextAfter, type Fact, ocidOf, type ProjectContext, type Release, STAGES, type Stage, withPayer } from "./ocds-builder";

export const PROJECTS = "analytics_ocds_projects";
const RELEASES = "analytics_ocds_releases";

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/**
 * `analytics.fact` as a workflow's `emit` writes it (README.md, "Facts"): the stage in `with`, the
 * project's id among the public fields; or why it is unusable.
 */
export function factOf(event: OutboxEvent<unknown> | undefined): Fact | string {
  const d = (isPlainObject(event?.data) ? event!.data : {}) as Record<string, unknown>;
  const data = isPlainObject(d.data) ? d.data : {};
  if (!STAGES.includes(d.stage as Stage)) return `stage must be one of ${STAGES.join(", ")}, got ${JSON.stringify(d.stage)}`;
  const projectId = d.projectId ?? data.projectId;
  if (!isUuid(projectId)) return `projectId must be a uuid, got ${JSON.stringify(projectId)}`;
  if (!isUuid(d.instanceId)) return "instanceId must be a uuid";
  if (typeof d.tenantCode !== "string" || !/^\d{6}$/.test(d.tenantCode)) return `tenantCode must be a 6-digit division code, got ${JSON.stringify(d.tenantCode)}`;
  if (!Number.isInteger(d.version) || (d.version as number) < 1) return `version must be a positive integer, got ${JSON.stringify(d.version)}`;
  const at = event?.at;
  if (typeof at !== "string" || Number.isNaN(Date.parse(at))) return `at must be a time, got ${JSON.stringify(at)}`;
  return { stage: d.stage as Stage, projectId, instanceId: d.instanceId, version: d.version as number, tenantCode: d.tenantCode, at: new Date(at).toISOString(), data };
}

/**
 * A fact's release, written once: the project's row is locked while its context is read and
 * updated, so two facts of one project heard at once (different instances, different keys) each
 * see the other's names. A redelivery finds its release (same id) and writes nothing. True when new.
 */
export async function applyFact(trx: Knex.Transaction, prefix: string, f: Fact): Promise<boolean> {
  const ocid = ocidOf(prefix, f.projectId);
  await trx.raw(`insert into ${PROJECTS} (ocid, project_id, tenant_code, updated_at) values (?, ?, ?, now()) on conflict (ocid) do nothing`, [ocid, f.projectId, f.tenantCode]);
  const row = (await trx(PROJECTS).where({ ocid }).forUpdate().first("context")) as { context: ProjectContext };
  // a tender cancelled while a draft was never published: nothing to withdraw from the public
  if (f.stage === "tenderCancellation" && !row.context.tendered) return false;
  const context = contextAfter(row.context, f);
  const release = buildRelease(prefix, f, context);
  const { rows } = await trx.raw(
    `insert into ${RELEASES} (ocid, release_id, tenant_code, date, release) values (?, ?, ?, ?, ?::jsonb)
     on conflict (ocid, release_id) do nothing returning id`,
    [ocid, release.id, f.tenantCode, release.date, JSON.stringify(release)],
  );
  if (rows.length) await trx(PROJECTS).where({ ocid }).update({ context: JSON.stringify(context), updated_at: trx.fn.now() });
  // the first fact to name the buyer restates the payments heard before it, which had no payer
  if (rows.length && !row.context.buyerName && context.buyerName) {
    const unpaid = (await trx(RELEASES).where({ ocid }).whereRaw(`release->'tag' @> '["implementation"]'::jsonb and release->'buyer' is null`).select("release", "date")) as Array<{ release: Release; date: Date }>;
    for (const p of unpaid) {
      const restated = withPayer(p.release, context.buyerName);
      await trx.raw(`insert into ${RELEASES} (ocid, release_id, tenant_code, date, release) values (?, ?, ?, ?, ?::jsonb) on conflict (ocid, release_id) do nothing`, [ocid, restated.id, f.tenantCode, p.date, JSON.stringify(restated)]);
    }
  }
  return rows.length === 1;
}

/** Newest first; the row's id breaks ties of one date (the index analytics_ocds_releases_newest). */
export const RELEASE_ORDER: ListOrder = {
  name: "analytics.ocds.releases",
  keys: [
    { column: "date", kind: "timestamp" },
    { column: "id", kind: "uuid" },
  ],
  direction: "desc",
};

export interface ReleaseFilter {
  tenantCodes?: string[];
  /** release times, inclusive from, exclusive to (ISO) */
  since?: string;
  until?: string;
  page: number;
  pageSize: number;
  after?: unknown[];
}

export function filteredReleases(db: Knex, f: Omit<ReleaseFilter, "page" | "pageSize">): Knex.QueryBuilder {
  const q = db(RELEASES);
  if (f.tenantCodes) q.whereIn("tenant_code", f.tenantCodes);
  if (f.since) q.where("date", ">=", f.since);
  if (f.until) q.where("date", "<", f.until);
  return q;
}

export async function listReleases(db: Knex, f: ReleaseFilter): Promise<{ releases: Release[]; nextCursor: string | null }> {
  const { rows, nextCursor } = await pageRows<{ release: Release }>(db, filteredReleases(db, f).select("release"), RELEASE_ORDER, f);
  return { releases: rows.map((r) => r.release), nextCursor };
}

/** A contracting process's releases, oldest first; none when the ocid is unknown. */
export async function releasesOf(db: Knex, ocid: string): Promise<Release[]> {
  const rows = (await db(RELEASES).where({ ocid }).orderBy([{ column: "date" }, { column: "release_id" }]).select("release")) as Array<{ release: Release }>;
  return rows.map((r) => r.release);
}

/** Rows read per query of a bulk file: a batch is a few hundred kB of JSON. */
const BULK_BATCH = 500;

/**
 * A day's releases as JSON Lines, gzipped, streamed: read by keyset in batches as the client takes
 * them (no connection held between batches, no pg-query-stream), so a day of any size costs one
 * batch of memory, not its whole file.
 */
export function bulkDay(db: Knex, since: string, until: string): Readable {
  async function* lines() {
    let after: [string, string] | undefined;
    for (;;) {
      const q = filteredReleases(db, { since, until })
        .select("id", "release", db.raw(`to_char(date at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at`))
        .orderBy([{ column: "date" }, { column: "id" }])
        .limit(BULK_BATCH);
      if (after) q.whereRaw("(date, id) > (?::timestamptz, ?::uuid)", after);
      const rows = (await q) as Array<{ id: string; release: Release; at: string }>;
      if (rows.length) yield rows.map((r) => `${JSON.stringify(r.release)}\n`).join("");
      if (rows.length < BULK_BATCH) return;
      const last = rows[rows.length - 1];
      after = [last.at, last.id];
    }
  }
  const gzip = createGzip();
  const source = Readable.from(lines());
  // an error half-way (the database gone) ends the download broken rather than silently short
  source.on("error", (err: Error) => gzip.destroy(err));
  return source.pipe(gzip);
}
