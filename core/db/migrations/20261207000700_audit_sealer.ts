import type { Knex } from "knex";

/**
 * The audit chain is computed after commit by one sealer (core/audit/seal.ts) instead of under a
 * lock every audited transaction queued on until its commit (issue 16). Writers insert entries
 * without seq, prev_hash and hash; the sealer fills them in, in id order, for the entries no
 * transaction still in flight can precede. The chain's formula is unchanged (version 1).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table core_audit_log
    alter column seq drop not null, alter column prev_hash drop not null, alter column hash drop not null`);
  // The sealer looks for these, and they are the few newest.
  await knex.raw(`create index core_audit_log_unsealed on core_audit_log (id) where hash is null`);

  // Writes entries in the caller's transaction, with no lock. The transaction's id is taken
  // before the entries' ids: the sealer relies on a transaction holding an entry id being listed
  // as in flight by any snapshot taken after that id was drawn (core/audit/seal.ts).
  await knex.raw(`create or replace function core_audit_append(entries jsonb) returns void
    language plpgsql volatile as $$
    declare
      v_at timestamptz := date_trunc('milliseconds', clock_timestamp());
    begin
      perform pg_current_xact_id();
      insert into core_audit_log (at, actor, tenant_code, action, object, before, after)
      select v_at, e->'actor', e->>'tenant', e->>'action', e->>'object', nullif(e->'before', 'null'::jsonb), nullif(e->'after', 'null'::jsonb)
        from jsonb_array_elements(entries) with ordinality as x(e, n)
       order by n;
    end $$`);

  // Append-only still: the only UPDATE allowed is the sealer's, which sets the chain columns of an
  // entry that has none (and says so with the setting core.audit_sealing), leaving its content.
  await knex.raw(`drop trigger core_audit_log_append_only on core_audit_log`);
  await knex.raw(`create trigger core_audit_log_append_only before delete on core_audit_log
    for each statement execute function core_audit_refuse_change()`);
  await knex.raw(`create function core_audit_refuse_update() returns trigger language plpgsql as $$
    begin
      if current_setting('core.audit_sealing', true) = 'on' then
        return null;
      end if;
      raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = 'insufficient_privilege';
    end $$`);
  await knex.raw(`create trigger core_audit_log_update_refused before update on core_audit_log
    for each statement execute function core_audit_refuse_update()`);
  await knex.raw(`create function core_audit_seal_only() returns trigger language plpgsql as $$
    begin
      if old.hash is not null or old.seq is not null or old.prev_hash is not null
         or (new.id, new.at, new.actor, new.tenant_code, new.action, new.object, new.before, new.after)
            is distinct from (old.id, old.at, old.actor, old.tenant_code, old.action, old.object, old.before, old.after) then
        raise exception 'core_audit_log is append-only: only an unsealed entry''s place in the chain may be set (entry %)', old.id
          using errcode = 'insufficient_privilege';
      end if;
      return new;
    end $$`);
  await knex.raw(`create trigger core_audit_log_seal_only before update on core_audit_log
    for each row execute function core_audit_seal_only()`);
}

export async function down(): Promise<void> {
  // Going back means the locking writer of 20261128000200_audit_chain again, and chaining the
  // entries not sealed yet: a release is rolled back by restoring its database, not by this.
  throw new Error("20261207000700_audit_sealer is not undone by a migration: restore the database from before it");
}
