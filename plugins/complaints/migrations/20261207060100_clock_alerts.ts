import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("complaints_challenges", (t) => {
    // the case's clock (workflow complaints.clock), whose persisted timer checks its periods every day
    t.uuid("clock_instance_id").unique();
    // whom a warning goes to (registry codes, never shown in a view): the unit that runs the tender and its agency
    t.text("purchaser_unit");
    t.string("agency_code", 32);
  });
  // each warning and escalation once: a clock's last day moved (a pause) makes a new one
  await knex.schema.createTable("complaints_alerts", (t) => {
    t.uuid("challenge_id").notNullable().references("complaints_challenges.id").onDelete("CASCADE");
    t.string("rule", 48).notNullable();
    t.date("due").notNullable();
    t.string("kind", 16).notNullable();
    t.timestamp("sent_at", { useTz: true }).notNullable();
    t.primary(["challenge_id", "rule", "due", "kind"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("complaints_alerts");
  await knex.schema.alterTable("complaints_challenges", (t) => {
    t.dropColumn("clock_instance_id");
    t.dropColumn("purchaser_unit");
    t.dropColumn("agency_code");
  });
}
