import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // The credit code is the supplier's identity (and its accounts' unit code): the key, never changed.
  await knex.schema.createTable("registries_suppliers", (t) => {
    t.string("credit_code", 18).primary();
    t.text("name").notNullable();
    t.text("size_class").notNullable();
    t.string("region", 6).notNullable().index();
    t.text("contact_name");
    t.text("contact_phone");
    t.text("contact_email");
    t.text("address");
    t.text("status").notNullable().defaultTo("active");
    t.integer("version").notNullable().defaultTo(1);
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // The form checks these too; the database refuses what a bug or a hand-written statement would slip past it.
  await knex.raw("alter table registries_suppliers add constraint registries_suppliers_size_class check (size_class in ('large', 'medium', 'small', 'micro'))");
  await knex.raw("alter table registries_suppliers add constraint registries_suppliers_status check (status in ('active', 'suspended', 'deregistered'))");
  await knex.raw("create extension if not exists pg_trgm");
  await knex.raw("create index registries_suppliers_name_trgm on registries_suppliers using gin (name gin_trgm_ops)");
  // Search by the beginning of a credit code (the primary key's index does not serve LIKE outside the C collation).
  await knex.raw("create index registries_suppliers_code_prefix on registries_suppliers (credit_code text_pattern_ops)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("registries_suppliers");
}
