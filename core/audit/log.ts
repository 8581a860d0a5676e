import type { Knex } from "knex";
import type { SessionUser } from "../plugins/types";
import { jsonValue } from "./chain";

export interface AuditEntry {
  /** who did it: a signed-in user ({ id, username, tenant }), an address for anonymous sign-ins, "system" */
  actor: Record<string, unknown>;
  tenantCode?: string | null;
  /** what was done, "<area>.<verb>": "tenancy.schedule.put", "auth.login.failed", ... */
  action: string;
  /** what it was done to: an id or a readable key */
  object: string;
  before?: unknown;
  after?: unknown;
}

/**
 * Appends to the audit log, in the caller's transaction when it has one, so that a change and
 * its record commit together or not at all; with a plain knex, in a statement of its own.
 *
 * No lock is taken: the entry is written without its place in the chain, which the sealer gives
 * it once it is committed (core/audit/seal.ts, README.md), so that audited transactions of every
 * tenant commit side by side. It may come anywhere in the transaction, in any isolation level.
 */
export async function writeAudit(db: Knex | Knex.Transaction, entry: AuditEntry | AuditEntry[]): Promise<void> {
  const entries = Array.isArray(entry) ? entry : [entry];
  if (!entries.length) return;
  const prepared = entries.map((e) => ({
    actor: jsonValue(e.actor),
    tenant: e.tenantCode ?? null,
    action: e.action,
    object: e.object,
    before: jsonValue(e.before),
    after: jsonValue(e.after),
  }));
  await db.raw("select core_audit_append(?::jsonb)", [JSON.stringify(prepared)]);
}

/** Who did it, as an audit entry names a signed-in user: account, username, tenant and unit. */
export const actorOf = (user: SessionUser) => ({ id: user.id, username: user.username, tenant: user.tenantCode, unit: user.unitCode ?? null });
