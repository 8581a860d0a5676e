import type { Knex } from "knex";
import { CHAIN_LOCK_KEY, GENESIS, rowHash, type AuditRow } from "../../audit/chain";

const BATCH = 1000;

/**
 * The audit log becomes a hash chain (core/audit/README.md): each entry carries its place in the
 * chain (seq, gapless, unlike ids, which rollbacks skip), the previous entry's hash and its own.
 * Entries written before are chained here, in id order, with their times cut to milliseconds
 * (what the chain keeps). From here on the application only appends: UPDATE and DELETE are refused.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("core_audit_log", (t) => {
    t.bigInteger("seq").nullable();
    t.text("prev_hash").nullable();
    t.text("hash").nullable();
  });
  await knex.raw(`update core_audit_log set at = date_trunc('milliseconds', at)`);

  let prev = GENESIS;
  let seq = 0;
  let last = "0";
  for (;;) {
    const rows = (await knex("core_audit_log").where("id", ">", last).orderBy("id").limit(BATCH)) as AuditRow[];
    if (!rows.length) break;
    const values = rows.map((r) => {
      const chained = { ...r, seq: String(++seq), prev_hash: prev };
      prev = rowHash(chained);
      return [r.id, chained.seq, chained.prev_hash, prev];
    });
    await knex.raw(
      `update core_audit_log l set seq = v.seq::bigint, prev_hash = v.prev_hash, hash = v.hash
         from (values ${values.map(() => "(?, ?, ?, ?)").join(", ")}) as v(id, seq, prev_hash, hash)
        where l.id = v.id::bigint`,
      values.flat(),
    );
    last = rows[rows.length - 1].id;
  }

  await knex.raw(`alter table core_audit_log
    alter column seq set not null, alter column prev_hash set not null, alter column hash set not null,
    add constraint core_audit_log_seq unique (seq)`);

  // Appends entries to the chain (core/audit/log.ts prepares them; core/audit/chain.ts says what
  // is hashed): takes the chain's lock for the rest of the caller's transaction, reads the head,
  // and completes each entry's canonical content with its time and seq, its digest and its hash.
  // All of it in one statement, so that writers queue for nothing but this and their commit.
  // A VOLATILE function, so that its SELECT takes its snapshot after the lock is granted (a
  // statement's own snapshot predates the wait, and would fork the chain, which the unique seq
  // would then refuse). For the same reason REPEATABLE READ and SERIALIZABLE transactions, whose
  // snapshot is older still, are refused at once rather than whenever another writer came first.
  await knex.raw(`create function core_audit_append(entries jsonb) returns void
    language plpgsql volatile as $$
    declare
      e jsonb;
      v_seq bigint;
      v_prev text;
      v_at timestamptz;
      v_iso text;
      v_hash text;
    begin
      if current_setting('transaction_isolation') <> 'read committed' then
        raise exception 'the audit log is written in READ COMMITTED transactions only (this one is %)', current_setting('transaction_isolation')
          using errcode = 'feature_not_supported';
      end if;
      perform pg_advisory_xact_lock(${CHAIN_LOCK_KEY});
      select l.seq, l.hash into v_seq, v_prev from core_audit_log l order by l.seq desc limit 1;
      v_seq := coalesce(v_seq, 0);
      v_prev := coalesce(v_prev, '${GENESIS}');
      -- the lock may have been waited for: the time is the time of writing
      v_at := date_trunc('milliseconds', clock_timestamp());
      v_iso := to_char(v_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
      for e in select value from jsonb_array_elements(entries) loop
        v_seq := v_seq + 1;
        v_hash := encode(sha256(decode(v_prev, 'hex') ||
                    sha256(convert_to(concat(e->>'head', v_iso, e->>'middle', v_seq, e->>'tail'), 'UTF8'))), 'hex');
        insert into core_audit_log (seq, at, actor, tenant_code, action, object, before, after, prev_hash, hash)
        values (v_seq, v_at, e->'actor', e->>'tenant', e->>'action', e->>'object',
                nullif(e->'before', 'null'::jsonb), nullif(e->'after', 'null'::jsonb), v_prev, v_hash);
        v_prev := v_hash;
      end loop;
    end $$`);

  // Append-only for the application. The table's owner can still disable the trigger, and a
  // superuser can skip it (session_replication_role = replica): the chain and its anchors are what
  // catch that. TRUNCATE is not refused here (test suites empty the table between cases); it
  // removes anchored entries, which verification reports.
  await knex.raw(`create function core_audit_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = 'insufficient_privilege';
    end $$`);
  await knex.raw(`create trigger core_audit_log_append_only before update or delete on core_audit_log
    for each statement execute function core_audit_refuse_change()`);

  // The chain's head at moments in time, published in the log ("[audit] anchor <entry> <hash>") so
  // that copies live outside this database. Append-only too, TRUNCATE included.
  await knex.schema.createTable("core_audit_anchors", (t) => {
    t.bigIncrements("id");
    t.timestamp("at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.bigInteger("entry_id").notNullable();
    t.bigInteger("entry_seq").notNullable();
    t.text("hash").notNullable();
  });
  await knex.raw(`create trigger core_audit_anchors_append_only before update or delete or truncate on core_audit_anchors
    for each statement execute function core_audit_refuse_change()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("core_audit_anchors");
  await knex.raw(`drop trigger core_audit_log_append_only on core_audit_log`);
  await knex.raw(`drop function core_audit_refuse_change()`);
  await knex.raw(`drop function core_audit_append(jsonb)`);
  await knex.schema.alterTable("core_audit_log", (t) => {
    t.dropColumn("seq");
    t.dropColumn("prev_hash");
    t.dropColumn("hash");
  });
}
