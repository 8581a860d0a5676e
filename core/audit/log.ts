import type { Knex } from "knex";

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
 * its record commit together or not at all.
 */
export async function writeAudit(db: Knex | Knex.Transaction, entry: AuditEntry | AuditEntry[]): Promise<void> {
  const entries = Array.isArray(entry) ? entry : [entry];
  if (!entries.length) return;
  await db("core_audit_log").insert(
    entries.map((e) => ({
      actor: JSON.stringify(e.actor),
      tenant_code: e.tenantCode ?? null,
      action: e.action,
      object: e.object,
      before: e.before === undefined ? null : JSON.stringify(e.before),
      after: e.after === undefined ? null : JSON.stringify(e.after),
    })),
  );
}
