import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Each tenant's own schedule entries per module; never overlapping (kept so by core/tenancy).
  await knex.schema.createTable("tenancy_schedule_entries", (t) => {
    t.bigIncrements("id");
    t.string("tenant_code", 6).notNullable();
    t.text("module").notNullable();
    t.text("state").notNullable();
    t.timestamp("from", { useTz: true }).notNullable();
    t.timestamp("until", { useTz: true }).nullable();
    t.jsonb("units").nullable();
    t.text("note").nullable();
    t.text("origin").notNullable().defaultTo("seed");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(["tenant_code", "module"]);
  });
  await knex.raw(`alter table tenancy_schedule_entries add constraint tenancy_schedule_entries_state check (state in ('off','pilot','live','sunset','retired'))`);
  await knex.raw(`alter table tenancy_schedule_entries add constraint tenancy_schedule_entries_span check (until is null or until > "from")`);
  // Who changed what, when, from what to what. (The hash chain over it comes with the audit module.)
  await knex.schema.createTable("core_audit_log", (t) => {
    t.bigIncrements("id");
    t.timestamp("at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.jsonb("actor").notNullable();
    t.string("tenant_code", 6).nullable();
    t.text("action").notNullable();
    t.text("object").notNullable();
    t.jsonb("before").nullable();
    t.jsonb("after").nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("core_audit_log");
  await knex.schema.dropTable("tenancy_schedule_entries");
}
