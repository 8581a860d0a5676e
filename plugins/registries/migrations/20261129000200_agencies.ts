import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // The credit code is the agency's identity (and its accounts' unit code): the key, never changed.
  await knex.schema.createTable("registries_agencies", (t) => {
    t.string("credit_code", 18).primary();
    t.text("name").notNullable();
    t.string("region", 6).notNullable().index();
    t.specificType("tenants_served", "text[]").notNullable();
    // Its entry in a provincial finance department's list of procurement agencies (名录登记).
    t.text("accreditation_number").notNullable();
    t.date("accredited_on").notNullable();
    t.string("accreditation_authority", 6).notNullable();
    t.text("contact_name");
    t.text("contact_phone");
    t.text("contact_email");
    t.text("address");
    t.text("status").notNullable().defaultTo("active");
    t.integer("version").notNullable().defaultTo(1);
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw("alter table registries_agencies add constraint registries_agencies_status check (status in ('active', 'suspended', 'deregistered'))");
  await knex.raw("alter table registries_agencies add constraint registries_agencies_tenants_served check (cardinality(tenants_served) > 0)");
  // A department gives each agency its own record number.
  await knex.raw("create unique index registries_agencies_accreditation on registries_agencies (accreditation_authority, accreditation_number)");
  // "Agencies working in Huizhou": overlap of tenants_served with a subtree.
  await knex.raw("create index registries_agencies_tenants_served on registries_agencies using gin (tenants_served)");
  await knex.raw("create extension if not exists pg_trgm");
  await knex.raw("create index registries_agencies_name_trgm on registries_agencies using gin (name gin_trgm_ops)");
  await knex.raw("create index registries_agencies_code_prefix on registries_agencies (credit_code text_pattern_ops)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("registries_agencies");
}
