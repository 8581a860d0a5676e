import type { Knex } from "knex";
import { GENESIS, rowHash, type AuditRow } from "./chain";

/**
 * Why the chain is broken at an entry:
 * - content: the entry's content (or its seq, or its hash) no longer gives its stored hash: it was edited;
 * - link:    it does not link to the entry before it: entries were deleted, or one was inserted;
 * - order:   the entry is in the wrong place: entries were moved (ids swapped);
 * - anchor:  an anchor's entry is missing, or has another hash: the chain up to it was rewritten,
 *            consistently enough to pass the other checks.
 */
export type BreakReason = "content" | "link" | "order" | "anchor";

/** The chain's head at some moment: an entry id and the hash it had. */
export interface Anchor {
  entryId: string | number;
  hash: string;
  /** where this anchor comes from, for the verdict: "anchor #12 (2026-11-28T10:00:00.000Z)", "--anchor" */
  source?: string;
}

export interface BrokenEntry {
  /** the first entry found broken: a row's id, or the entry id an anchor names */
  id: string;
  reason: BreakReason;
  /** one sentence, in English, for operators */
  message: string;
  /** the entry as the table holds it (absent when it is missing) */
  entry?: { seq: string; at: string; action: string; object: string; tenantCode: string | null };
  anchor?: { entryId: string; hash: string; source?: string };
}

export interface VerifyResult {
  /** the whole chain was checked and nothing is wrong */
  ok: boolean;
  /** false when the check stopped at its deadline before the end (and found nothing wrong so far) */
  complete: boolean;
  /** entries checked */
  checked: number;
  /** the last entry checked: the head when the check is complete */
  head?: { id: string; seq: string; hash: string };
  /**
   * entries after the head not sealed yet (their transactions committed within the last moments,
   * core/audit/seal.ts): part of no chain so far, so neither checked nor counted in `checked`
   */
  unsealed: number;
  /** when the oldest of them was written */
  oldestUnsealedAt?: string;
  broken?: BrokenEntry;
}

export interface VerifyOptions {
  /** anchors kept elsewhere (npm run audit:verify -- --anchor <entryId>:<hash>) */
  anchors?: Anchor[];
  /** also every anchor in core_audit_anchors */
  storedAnchors?: boolean;
  /**
   * Start at this anchored entry instead of the beginning: the entry must carry this hash, and only
   * what follows it is checked (what anchoring does before it anchors the new head).
   */
  from?: Anchor;
  /** rows per query (default 2000): the table is read in batches, never whole */
  batchSize?: number;
  /** Date.now() value after which the check stops, incomplete (a request's time budget) */
  deadline?: number;
  onProgress?(p: { checked: number; lastId: string; maxId: string }): void;
}

const COLUMNS = ["id", "seq", "at", "actor", "tenant_code", "action", "object", "before", "after", "prev_hash", "hash"];

export async function loadAnchors(knex: Knex): Promise<Anchor[]> {
  const rows = (await knex("core_audit_anchors").select("id", "at", "entry_id", "hash").orderBy("id")) as Array<{ id: string; at: Date; entry_id: string; hash: string }>;
  return rows.map((r) => ({ entryId: r.entry_id, hash: r.hash, source: `anchor #${r.id} of ${r.at.toISOString()}` }));
}

const describeEntry = (row: AuditRow) => ({ seq: row.seq, at: row.at.toISOString(), action: row.action, object: row.object, tenantCode: row.tenant_code });
const anchorJson = (a: Anchor) => ({ entryId: String(a.entryId), hash: a.hash, ...(a.source ? { source: a.source } : {}) });
const named = (a: Anchor) => a.source ?? "an anchor";

/**
 * Checks the audit chain from its first entry (or `from`) to its head, in id order and in batches:
 * each entry's hash against its content, each link against the entry before, and each anchor
 * against the entry it names. Stops at the first broken entry.
 */
export async function verifyChain(knex: Knex, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const batchSize = opts.batchSize ?? 2000;
  const anchors = [...(opts.anchors ?? []), ...(opts.storedAnchors ? await loadAnchors(knex) : [])]
    .map((a) => ({ ...a, key: BigInt(a.entryId) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let next = 0; // the first anchor not yet matched with an entry

  let checked = 0;
  let prev: AuditRow | undefined;
  let prevHash = GENESIS;
  let prevSeq = 0;
  let last = "0";
  // Unsealed entries come after every sealed one (the sealer seals in id order, up to a horizon):
  // one met before a sealed entry has had its place in the chain taken away.
  let unsealed = 0;
  let firstUnsealed: AuditRow | undefined;
  const result = (broken?: BrokenEntry, complete = true): VerifyResult => ({
    ok: !broken && complete,
    complete: broken ? true : complete,
    checked,
    ...(prev ? { head: { id: prev.id, seq: prev.seq, hash: prev.hash } } : {}),
    unsealed,
    ...(firstUnsealed ? { oldestUnsealedAt: firstUnsealed.at.toISOString() } : {}),
    ...(broken ? { broken } : {}),
  });

  if (opts.from) {
    const start = (await knex("core_audit_log").select(COLUMNS).where("id", String(opts.from.entryId)).first()) as AuditRow | undefined;
    if (!start) return result({ id: String(opts.from.entryId), reason: "anchor", message: `${named(opts.from)} names entry ${opts.from.entryId}, which is not in the table`, anchor: anchorJson(opts.from) });
    if (start.hash === null) return result(unsealedBefore(start, opts.from));
    if (rowHash(start) !== start.hash) return result({ id: start.id, reason: "content", message: `entry ${start.id} was changed: its content no longer gives its stored hash`, entry: describeEntry(start) });
    if (start.hash !== opts.from.hash) {
      return result({ id: start.id, reason: "anchor", message: `${named(opts.from)} says entry ${start.id} has hash ${opts.from.hash}; the table says ${start.hash}: the chain up to it was rewritten`, entry: describeEntry(start), anchor: anchorJson(opts.from) });
    }
    while (next < anchors.length && anchors[next].key <= BigInt(start.id)) next++;
    prev = start;
    prevHash = start.hash;
    prevSeq = Number(start.seq);
    last = start.id;
  }

  const { max: maxId } = (await knex("core_audit_log").max("id as max").first()) as { max: string | null };
  const batch = (after: string): Promise<AuditRow[]> => {
    const read = Promise.resolve(knex("core_audit_log").select(COLUMNS).where("id", ">", after).orderBy("id").limit(batchSize) as Promise<AuditRow[]>);
    read.catch(() => {}); // handled where it is awaited; not "unhandled" while the batch before is checked
    return read;
  };
  // The next batch is read while this one is hashed.
  let pending: Promise<AuditRow[]> | undefined = batch(last);
  try {
    while (pending) {
      const rows: AuditRow[] = await pending;
      pending = rows.length === batchSize ? batch(rows[rows.length - 1].id) : undefined;
      for (const row of rows) {
        const key = BigInt(row.id);
        if (row.hash === null) {
          firstUnsealed ??= row;
          unsealed++;
          if (next < anchors.length && anchors[next].key <= key) return result(unsealedBefore(row, anchors[next]));
          continue;
        }
        if (firstUnsealed) {
          const hidden = firstUnsealed;
          firstUnsealed = undefined;
          unsealed = 0;
          return result(unsealedBefore(hidden));
        }
        if (rowHash(row) !== row.hash) {
          return result({ id: row.id, reason: "content", message: `entry ${row.id} was changed: its content no longer gives its stored hash`, entry: describeEntry(row) });
        }
        const seq = Number(row.seq);
        const expected = prevSeq + 1;
        if (row.prev_hash !== prevHash || seq !== expected) {
          return result(await classifyLink(knex, row, prev, expected));
        }
        if (next < anchors.length && anchors[next].key < key) {
          // an anchor names an entry before this one that the table does not have
          const a = anchors[next];
          return result({ id: String(a.entryId), reason: "anchor", message: `${named(a)} names entry ${a.entryId}, which is not in the table`, anchor: anchorJson(a) });
        }
        for (; next < anchors.length && anchors[next].key === key; next++) {
          const a = anchors[next];
          if (a.hash !== row.hash) {
            return result({ id: row.id, reason: "anchor", message: `${named(a)} says entry ${row.id} has hash ${a.hash}; the table says ${row.hash}: the chain up to it was rewritten`, entry: describeEntry(row), anchor: anchorJson(a) });
          }
        }
        prev = row;
        prevHash = row.hash;
        prevSeq = seq;
        checked++;
      }
      if (rows.length) last = rows[rows.length - 1].id;
      opts.onProgress?.({ checked, lastId: last, maxId: maxId ?? "0" });
      if (pending && opts.deadline !== undefined && Date.now() > opts.deadline) return result(undefined, false);
    }
  } finally {
    // never leave a read running on the caller's connection (a transaction's, say)
    await pending?.catch(() => {});
  }
  if (next < anchors.length) {
    const a = anchors[next];
    return result({ id: String(a.entryId), reason: "anchor", message: `${named(a)} names entry ${a.entryId}, which is not in the table`, anchor: anchorJson(a) });
  }
  return result();
}

/** An entry without its place in the chain before a sealed one, or named by an anchor. */
function unsealedBefore(row: AuditRow, anchor?: Anchor): BrokenEntry {
  return {
    id: row.id,
    reason: "content",
    message: anchor
      ? `${named(anchor)} names entry ${row.id}, which has no place in the chain: its seq and hashes were removed`
      : `entry ${row.id} was changed: it has no place in the chain (seq and hashes removed), yet entries after it do`,
    entry: describeEntry(row),
    ...(anchor ? { anchor: anchorJson(anchor) } : {}),
  };
}

/**
 * The entry does not follow the one before it. An entry that still links to the entry numbered one
 * below it, wherever that is, was moved (order); one that does not was inserted, or the entries
 * before it were deleted (link).
 */
async function classifyLink(knex: Knex, row: AuditRow, prev: AuditRow | undefined, expected: number): Promise<BrokenEntry> {
  const seq = Number(row.seq);
  const entry = describeEntry(row);
  const after = prev ? `entry ${prev.id} (number ${prev.seq} in the chain)` : "the start of the chain";
  const bySeq = async (n: number) => (await knex("core_audit_log").select("id", "hash").where("seq", n).first()) as { id: string; hash: string } | undefined;
  const predecessor = seq > 1 ? await bySeq(seq - 1) : { id: "", hash: GENESIS };
  if (seq !== expected && predecessor?.hash === row.prev_hash) {
    const due = await bySeq(expected);
    if (due) {
      return { id: row.id, reason: "order", message: `entry ${row.id} is out of place: it is number ${seq} in the chain and comes after ${after}; number ${expected} is entry ${due.id}`, entry };
    }
  }
  if (seq > expected && !(await bySeq(expected))) {
    const missing = seq - 1 === expected ? `number ${expected}` : `numbers ${expected} to ${seq - 1}`;
    return { id: row.id, reason: "link", message: `entries are missing before entry ${row.id}: it comes after ${after}, and ${missing} of the chain are not in the table`, entry };
  }
  return { id: row.id, reason: "link", message: `entry ${row.id} does not link to ${after}: it was inserted, or replaced, or entries before it were deleted`, entry };
}
