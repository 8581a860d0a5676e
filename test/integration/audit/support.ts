import path from "node:path";
import type { Knex } from "knex";
import { writeAudit, type AuditEntry } from "../../../core/audit/log";
import { sealAudit } from "../../../core/audit/seal";

export const ROOT = path.resolve(__dirname, "../../..");
export const CORE_MIGRATIONS = path.join(ROOT, "core", "db", "migrations");

export const entry = (i: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  actor: { id: `u${i % 7}`, username: `user${i % 7}`, tenant: "441300" },
  tenantCode: i % 3 ? "441300" : null,
  action: i % 2 ? "tenancy.schedule.put" : "accounts.update",
  object: `obj/${i}`,
  before: i % 5 ? { n: i, units: ["441300001"] } : undefined,
  after: { n: i + 1, at: new Date(Date.UTC(2021, 0, 1) + i * 1000), note: "惠州市" },
  ...over,
});

/** n entries, each in a transaction of its own, as n requests would write them; then sealed, as the platform's sealer does within moments */
export async function writeEntries(knex: Knex, n: number, from = 1): Promise<void> {
  for (let i = from; i < from + n; i++) await knex.transaction((trx) => writeAudit(trx, entry(i)));
  await sealAudit(knex);
}

/**
 * What an attacker with superuser rights does: skips the append-only trigger
 * (session_replication_role = replica turns ordinary triggers off for the session) and edits rows.
 */
export function asSuperuser<T>(knex: Knex, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return knex.transaction(async (trx) => {
    await trx.raw("set local session_replication_role = replica");
    return fn(trx);
  });
}

/** An empty log and no anchors, ids from 1 again. */
export const emptyLog = (knex: Knex) => asSuperuser(knex, (trx) => trx.raw("truncate core_audit_log, core_audit_anchors restart identity"));

export const rows = (knex: Knex) => knex("core_audit_log").orderBy("id");
