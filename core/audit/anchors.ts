import type { Knex } from "knex";
import { ANCHOR_LOCK_KEY } from "./chain";
import { verifyChain, type BrokenEntry } from "./verify";
import { repeatEvery, type Repeating } from "./repeat";
import { DEFAULT_SEAL_EVERY_MS, sealAudit, startSealing } from "./seal";

export interface AnchorView {
  id: string;
  at: string;
  entryId: string;
  entrySeq: string;
  hash: string;
}

interface AnchorRow {
  id: string;
  at: Date;
  entry_id: string;
  entry_seq: string;
  hash: string;
}

export const anchorView = (r: AnchorRow): AnchorView => ({ id: r.id, at: r.at.toISOString(), entryId: r.entry_id, entrySeq: r.entry_seq, hash: r.hash });

export type AnchorOutcome =
  | { anchored: AnchorView }
  /** busy: another node is anchoring; unchanged: no entry since the last anchor; empty: no entry at all */
  | { anchored: null; skipped: "busy" | "unchanged" | "empty" }
  /** the entries since the last anchor do not verify: nothing is anchored until that is looked into */
  | { anchored: null; broken: BrokenEntry };

/**
 * Anchors the chain's current head: checks the entries written since the last anchor (only those:
 * the last anchor vouches for what came before it), writes the head into core_audit_anchors and
 * logs "[audit] anchor <entryId> <hash>", the line operators keep off this machine. Nothing is
 * anchored when nothing was written since the last anchor, when another node is anchoring, or
 * when the new entries do not verify (logged as an error each time, until someone looks).
 */
export async function anchorAudit(knex: Knex, log: (line: string) => void = console.log): Promise<AnchorOutcome> {
  // What was committed before now is anchored too; the wait for it holds no lock. A transaction
  // that stays open past it only delays those entries to the next anchor: the sealed head is anchored.
  await sealAudit(knex).catch(() => 0);
  const outcome = await knex.transaction(async (trx): Promise<AnchorOutcome> => {
    const { rows } = (await trx.raw("select pg_try_advisory_xact_lock(?) as ok", [ANCHOR_LOCK_KEY])) as { rows: Array<{ ok: boolean }> };
    if (!rows[0].ok) return { anchored: null, skipped: "busy" };
    const lastAnchor = (await trx("core_audit_anchors").orderBy("id", "desc").first()) as AnchorRow | undefined;
    const head = (await trx("core_audit_log").select("id").whereNotNull("seq").orderBy("seq", "desc").first()) as { id: string } | undefined;
    if (!head) return { anchored: null, skipped: "empty" };
    if (lastAnchor && lastAnchor.entry_id === head.id) return { anchored: null, skipped: "unchanged" };
    const check = await verifyChain(trx, lastAnchor ? { from: { entryId: lastAnchor.entry_id, hash: lastAnchor.hash, source: `anchor #${lastAnchor.id} of ${lastAnchor.at.toISOString()}` } } : {});
    if (check.broken) return { anchored: null, broken: check.broken };
    const verified = check.head!;
    if (lastAnchor && lastAnchor.entry_id === verified.id) return { anchored: null, skipped: "unchanged" };
    const [row] = (await trx("core_audit_anchors")
      .insert({ entry_id: verified.id, entry_seq: verified.seq, hash: verified.hash })
      .returning(["id", "at", "entry_id", "entry_seq", "hash"])) as AnchorRow[];
    return { anchored: anchorView(row) };
  });
  // Published once committed, never before.
  if (outcome.anchored) log(`[audit] anchor ${outcome.anchored.entryId} ${outcome.anchored.hash}`);
  if ("broken" in outcome) {
    const b = outcome.broken;
    log(`[audit] ERROR: the audit chain is broken at entry ${b.id} (${b.reason}): ${b.message}; no anchor written until this is looked into (npm run audit:verify)`);
  }
  return outcome;
}

/** anchors on a timer; `tick` anchors now (for tests and a clean shutdown) */
export type Anchoring = Repeating<AnchorOutcome | null>;

export const DEFAULT_ANCHOR_EVERY_MS = 60 * 60 * 1000;

/**
 * Anchors the head every `everyMs` (an hour by default) on this node. Every node may run it: the
 * nodes take turns through an advisory lock, and a head already anchored is not anchored twice.
 * The chain's other upkeep runs with it: sealing new entries every `sealEveryMs` (core/audit/seal.ts).
 */
export function startAnchoring(knex: Knex, opts: { everyMs?: number; sealEveryMs?: number; log?: (line: string) => void } = {}): Anchoring {
  const everyMs = opts.everyMs ?? DEFAULT_ANCHOR_EVERY_MS;
  const log = opts.log ?? console.log;
  const sealing = startSealing(knex, { everyMs: opts.sealEveryMs ?? DEFAULT_SEAL_EVERY_MS, log });
  const anchoring = repeatEvery(everyMs, () =>
    anchorAudit(knex, log).catch((err: unknown) => {
      log(`[audit] anchoring failed, tried again in ${Math.round(everyMs / 1000)} s: ${(err as Error).message}`);
      return null;
    }),
  );
  return {
    tick: anchoring.tick,
    async stop() {
      await anchoring.stop();
      await sealing.stop();
    },
  };
}
