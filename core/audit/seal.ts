import type { Knex } from "knex";
import { GENESIS, SEAL_LOCK_KEY, rowHash, type AuditRow } from "./chain";
import { repeatEvery, type Repeating } from "./repeat";

/**
 * The sealer: gives committed audit entries their place in the chain (seq, prev_hash, hash), in id
 * order, after their transactions committed, so that writers never wait for one another
 * (README.md, "Sealing").
 *
 * An entry may be sealed once no transaction can still commit an entry with a smaller id. A
 * horizon says when that is: the id sequence's last value, read first, then the transactions in
 * flight (a snapshot's list, taken after). A transaction that drew an id up to that value had its
 * transaction id before (core_audit_append() takes it first), so it had committed, rolled back, or
 * is on that list. Once none on the list is still in progress, every entry up to the value is
 * final and may be chained. Nothing waits for a lock: the sealer asks again at its next tick.
 */
export interface Horizon {
  /** entries with ids up to this one are final once `inFlight` are all over */
  lastId: string;
  /** transactions (xid8, as text) in flight when the horizon was taken */
  inFlight: string[];
}

export async function takeHorizon(knex: Knex): Promise<Horizon> {
  // two statements, in this order: a snapshot taken in the same statement would predate the read
  const { rows: s } = (await knex.raw(`select case when is_called then last_value else 0 end::text as last from core_audit_log_id_seq`)) as { rows: Array<{ last: string }> };
  const { rows: x } = (await knex.raw(`select coalesce(array_agg(x::text), '{}') as xip from pg_snapshot_xip(pg_current_snapshot()) as x`)) as { rows: Array<{ xip: string[] }> };
  return { lastId: s[0].last, inFlight: x[0].xip };
}

/** Whether every transaction in flight at the horizon is over (committed or rolled back). */
export async function horizonFinal(knex: Knex, h: Horizon): Promise<boolean> {
  if (!h.inFlight.length) return true;
  const { rows } = (await knex.raw(`select count(*)::int as n from unnest(?::xid8[]) as x where pg_xact_status(x) is not distinct from 'in progress'`, [h.inFlight])) as { rows: Array<{ n: number }> };
  return rows[0].n === 0;
}

export type SealOutcome = { sealed: number; more: boolean } | { sealed: 0; busy: true };

/**
 * Seals up to `batch` unsealed entries with ids up to `upTo` (a final horizon's), in one
 * transaction: all of them or none. Another node sealing at the same moment: "busy", nothing waited for.
 */
export async function sealBatch(knex: Knex, upTo: string, batch = 2000): Promise<SealOutcome> {
  return knex.transaction(async (trx): Promise<SealOutcome> => {
    const { rows: lock } = (await trx.raw("select pg_try_advisory_xact_lock(?) as ok", [SEAL_LOCK_KEY])) as { rows: Array<{ ok: boolean }> };
    if (!lock[0].ok) return { sealed: 0, busy: true };
    const entries = (await trx("core_audit_log").whereNull("hash").where("id", "<=", upTo).orderBy("id").limit(batch)) as AuditRow[];
    if (!entries.length) return { sealed: 0, more: false };
    const head = (await trx("core_audit_log").select("seq", "hash").whereNotNull("seq").orderBy("seq", "desc").first()) as { seq: string; hash: string } | undefined;
    let seq = Number(head?.seq ?? 0);
    let prev = head?.hash ?? GENESIS;
    const ids: string[] = [];
    const seqs: number[] = [];
    const prevs: string[] = [];
    const hashes: string[] = [];
    for (const e of entries) {
      const chained = { ...e, seq: String(++seq), prev_hash: prev };
      ids.push(e.id);
      seqs.push(seq);
      prevs.push(prev);
      prev = rowHash(chained);
      hashes.push(prev);
    }
    await trx.raw("set local core.audit_sealing = 'on'");
    await trx.raw(
      `update core_audit_log l set seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
         from unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[]) as v(id, seq, prev_hash, hash)
        where l.id = v.id`,
      [ids, seqs, prevs, hashes],
    );
    return { sealed: entries.length, more: entries.length === batch };
  });
}

/**
 * Seals everything committed before the call: takes a horizon, waits (polling, holding nothing)
 * until it is final, and seals up to it. For anchoring, tests and tools; the platform seals on
 * its own (startSealing). Resolves with how many entries this call sealed.
 */
export async function sealAudit(knex: Knex, opts: { timeoutMs?: number; pollMs?: number } = {}): Promise<number> {
  const until = Date.now() + (opts.timeoutMs ?? 10_000);
  const pollMs = opts.pollMs ?? 10;
  const h = await takeHorizon(knex);
  const pause = () => new Promise((r) => setTimeout(r, pollMs));
  while (!(await horizonFinal(knex, h))) {
    if (Date.now() > until) throw new Error(`the audit entries up to ${h.lastId} could not be sealed: transactions ${h.inFlight.join(", ")} are still in flight`);
    await pause();
  }
  let sealed = 0;
  for (;;) {
    const out = await sealBatch(knex, h.lastId);
    if ("busy" in out) {
      if (Date.now() > until) throw new Error("the audit entries could not be sealed: another sealer held the chain all along");
      await pause();
      continue;
    }
    sealed += out.sealed;
    if (!out.more) return sealed;
  }
}

export type Sealing = Repeating<number>;

export const DEFAULT_SEAL_EVERY_MS = 100;

/**
 * Seals on a timer, on this node (every node may: they take turns through a try-lock). Each round
 * seals up to the horizon taken the round before, if it is final, and takes the next one: an
 * entry is sealed two rounds after its commit, or once the transactions in flight with it end.
 * A round with nothing new costs three or four short queries, no transaction.
 */
export function startSealing(knex: Knex, opts: { everyMs?: number; log?: (line: string) => void } = {}): Sealing {
  const everyMs = opts.everyMs ?? DEFAULT_SEAL_EVERY_MS;
  const log = opts.log ?? console.log;
  let horizon: Horizon | undefined;
  let failing = false;

  const round = async (stopping: () => boolean): Promise<number> => {
    let sealed = 0;
    if (horizon && (await horizonFinal(knex, horizon))) {
      const upTo = horizon.lastId;
      horizon = await takeHorizon(knex);
      // nothing to seal, the usual case of an idle platform: no transaction (the partial index answers)
      if (!(await knex("core_audit_log").whereNull("hash").where("id", "<=", upTo).first("id"))) return 0;
      for (;;) {
        const out = await sealBatch(knex, upTo);
        if ("busy" in out) return sealed; // another node seals now; the next horizon covers this one
        sealed += out.sealed;
        if (!out.more || stopping()) break;
      }
    } else if (!horizon) {
      horizon = await takeHorizon(knex);
    }
    return sealed;
  };
  return repeatEvery(everyMs, (stopping) =>
    round(stopping)
      .then((n) => {
        if (failing) log(`[audit] sealing works again`);
        failing = false;
        return n;
      })
      .catch((err: unknown) => {
        // once per failure spell: a database away for a while would log every tick otherwise
        if (!failing) log(`[audit] sealing failed, tried again every ${everyMs} ms: ${(err as Error).message}`);
        failing = true;
        return 0;
      }),
  );
}
