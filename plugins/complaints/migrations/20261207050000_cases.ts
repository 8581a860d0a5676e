import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("complaints_challenges", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    // the tender's tenant, not the supplier's: the case is the procurement's business and its regulator's
    t.string("tenant_code", 6).notNullable();
    t.uuid("tender_id").notNullable();
    t.text("tender_title").notNullable();
    t.string("supplier_code", 32).notNullable();
    t.string("target", 16).notNullable();
    t.date("known_on").notNullable();
    t.date("window_end").notNullable();
    t.timestamp("filed_at", { useTz: true }).notNullable();
    t.date("reply_due").notNullable();
    t.boolean("affects_result").notNullable();
    t.string("status", 16).notNullable();
    t.text("reply");
    t.timestamp("replied_at", { useTz: true });
    t.index(["tender_id"]);
    t.index(["tenant_code", "filed_at"]);
    t.index(["supplier_code"]);
  });
  await knex.schema.createTable("complaints_matters", (t) => {
    t.uuid("challenge_id").notNullable().references("complaints_challenges.id").onDelete("CASCADE");
    t.integer("n").notNullable();
    t.text("text").notNullable();
    t.jsonb("evidence").notNullable().defaultTo("[]");
    t.primary(["challenge_id", "n"]);
  });
  await knex.schema.createTable("complaints_complaints", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    // one complaint per challenge: a second would go beyond what the first already brought
    t.uuid("challenge_id").notNullable().unique().references("complaints_challenges.id");
    t.string("tenant_code", 6).notNullable();
    t.uuid("tender_id").notNullable();
    t.string("supplier_code", 32).notNullable();
    t.jsonb("matters").notNullable();
    t.text("statement").notNullable();
    t.timestamp("filed_at", { useTz: true }).notNullable();
    t.string("status", 16).notNullable();
    t.date("intake_due");
    t.boolean("correction_used").notNullable().defaultTo(false);
    t.text("correction_note");
    t.timestamp("served_at", { useTz: true });
    t.date("respondent_due");
    t.text("respondent_answer");
    t.date("suspended_until");
    t.date("decision_due");
    t.timestamp("paused_at", { useTz: true });
    t.text("pause_reason");
    t.integer("paused_working_days").notNullable().defaultTo(0);
    t.string("outcome", 16);
    t.text("decision");
    t.timestamp("decided_at", { useTz: true });
    t.index(["tenant_code", "status"]);
    t.index(["supplier_code", "outcome", "decided_at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("complaints_complaints");
  await knex.schema.dropTable("complaints_matters");
  await knex.schema.dropTable("complaints_challenges");
}
