import type { Knex } from "knex";
import type { SessionUser } from "../plugins/types";
import { contentTemplate, jsonDigest, jsonValue } from "./chain";

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
 * its record commit together or not at all; with a plain knex, in a transaction of its own.
 *
 * Each entry is chained to the one before it (core/audit/chain.ts, README.md). Everything that does
 * not depend on the chain's head (the JSON, the digests of before and after, the canonical content
 * around its time and place) is prepared here; one statement, core_audit_append(), then takes the
 * chain's lock, reads the head and hashes and inserts the entries. The lock is transaction-level:
 * every other writer waits until the caller's transaction ends, so call this last in a transaction.
 * The transaction must be READ COMMITTED (PostgreSQL's default); others are refused.
 */
export async function writeAudit(db: Knex | Knex.Transaction, entry: AuditEntry | AuditEntry[]): Promise<void> {
  const entries = Array.isArray(entry) ? entry : [entry];
  if (!entries.length) return;
  const prepared = entries.map((e) => {
    const actor = jsonValue(e.actor);
    const before = jsonValue(e.before);
    const after = jsonValue(e.after);
    const tenant = e.tenantCode ?? null;
    return {
      ...contentTemplate({ actor, tenantCode: tenant, action: e.action, object: e.object, beforeDigest: jsonDigest(before), afterDigest: jsonDigest(after) }),
      actor,
      tenant,
      action: e.action,
      object: e.object,
      before,
      after,
    };
  });
  // Outside a transaction the statement is one: the lock lasts as long as it does.
  await db.raw("select core_audit_append(?::jsonb)", [JSON.stringify(prepared)]);
}

/** Who did it, as an audit entry names a signed-in user: account, username, tenant and unit. */
export const actorOf = (user: SessionUser) => ({ id: user.id, username: user.username, tenant: user.tenantCode, unit: user.unitCode ?? null });
