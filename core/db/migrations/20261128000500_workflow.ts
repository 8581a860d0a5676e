import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // One run of a JSON workflow (forms/<plugin>/<id>.workflow.json): where it stands and its data.
  await knex.schema.createTable("core_workflow_instances", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    t.text("workflow_id").notNullable();
    t.integer("workflow_version").notNullable();
    t.text("plugin").notNullable();
    t.string("tenant_code", 6).notNullable();
    // the unit (purchaser, agency, ...) that started it, and the account
    t.text("owner_unit").nullable();
    t.uuid("created_by").nullable();
    t.text("state").notNullable();
    t.jsonb("data").notNullable();
    t.integer("version").notNullable().defaultTo(1);
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
    t.index(["workflow_id", "state"]);
    t.index(["tenant_code"]);
    t.index(["owner_unit"]);
  });

  // Every step an instance took: who, when, which transition, what they submitted under which form.
  await knex.schema.createTable("core_workflow_history", (t) => {
    t.bigIncrements("id");
    t.uuid("instance_id").notNullable().references("id").inTable("core_workflow_instances").onDelete("CASCADE");
    t.integer("seq").notNullable();
    t.text("transition").notNullable();
    t.text("from_state").nullable();
    t.text("to_state").notNullable();
    t.jsonb("actor").notNullable();
    t.jsonb("data").nullable();
    // { formId, version, overlays }: the exact form the data was checked against
    t.jsonb("form_ref").nullable();
    t.timestamp("at", { useTz: true }).notNullable();
    t.unique(["instance_id", "seq"]);
  });

  // Deadlines: a transition that fires by itself when due, while the instance is still in its state.
  await knex.schema.createTable("core_workflow_timers", (t) => {
    t.bigIncrements("id");
    t.uuid("instance_id").notNullable().references("id").inTable("core_workflow_instances").onDelete("CASCADE");
    t.text("transition").notNullable();
    t.text("state").notNullable();
    t.timestamp("due_at", { useTz: true }).notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("fired_at", { useTz: true }).nullable();
    t.timestamp("cancelled_at", { useTz: true }).nullable();
    t.text("fired_by").nullable();
    t.text("outcome").nullable();
  });
  await knex.raw(`create index core_workflow_timers_due on core_workflow_timers (due_at) where fired_at is null and cancelled_at is null`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("core_workflow_timers");
  await knex.schema.dropTable("core_workflow_history");
  await knex.schema.dropTable("core_workflow_instances");
}
