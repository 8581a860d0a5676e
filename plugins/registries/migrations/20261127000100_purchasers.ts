import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Trigram indexes make name search by substring fast for queries of 3+ characters.
  await knex.raw("create extension if not exists pg_trgm");
  await knex.schema.createTable("registries_purchasers", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    t.string("tenant_code", 6).notNullable().index();
    t.text("name").notNullable();
    t.string("credit_code", 18).nullable();
    t.string("budget_code", 40).notNullable().unique();
    t.text("unit_type").notNullable();
    t.text("contact_name");
    t.text("contact_phone");
    t.text("contact_email");
    t.text("address");
    t.text("status").notNullable().defaultTo("active");
    t.integer("version").notNullable().defaultTo(1);
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw("create unique index registries_purchasers_credit_code on registries_purchasers (credit_code) where credit_code is not null");
  await knex.raw("create index registries_purchasers_name_trgm on registries_purchasers using gin (name gin_trgm_ops)");
  await knex.raw("create index registries_purchasers_budget_prefix on registries_purchasers (budget_code text_pattern_ops)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("registries_purchasers");
}
