import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Published FAQ entries: the id (faq-001 …) is the stable identifier every answer carries.
  await knex.schema.createTable("helpdesk_entries", (t) => {
    t.string("id", 20).primary();
    t.text("category").notNullable();
    t.jsonb("roles").notNullable();
    t.text("question").notNullable();
    t.jsonb("variants").notNullable().defaultTo("[]");
    t.text("answer").notNullable();
    t.text("answer_en").notNullable();
    t.jsonb("sources").notNullable();
    t.integer("version").notNullable().defaultTo(1);
    t.uuid("instance_id");
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // One edit of the knowledge base going through review (workflow helpdesk.faq).
  await knex.schema.createTable("helpdesk_revisions", (t) => {
    t.uuid("instance_id").primary();
    t.string("entry_id", 20);
    t.text("submitted_by");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // The synonym groups of retrieval: one row, edited whole.
  await knex.schema.createTable("helpdesk_synonyms", (t) => {
    t.integer("id").primary();
    t.jsonb("groups").notNullable();
    t.text("updated_by");
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // Questions handed over to a person, with what the assistant knew; the human side picks them up.
  await knex.schema.createTable("helpdesk_handovers", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    t.text("question").notNullable();
    t.string("reason", 16).notNullable();
    t.text("page");
    t.text("user_id");
    t.string("tenant_code", 6);
    t.jsonb("roles").notNullable().defaultTo("[]");
    t.jsonb("candidates").notNullable().defaultTo("[]");
    t.string("status", 16).notNullable().defaultTo("waiting");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(["status", "created_at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("helpdesk_handovers");
  await knex.schema.dropTable("helpdesk_synonyms");
  await knex.schema.dropTable("helpdesk_revisions");
  await knex.schema.dropTable("helpdesk_entries");
}
