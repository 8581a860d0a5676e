import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Every document the platform has printed, under its verification code: what it said then, so a
  // paper or PDF copy can be checked after the project has moved on (services/documents.ts).
  await knex.schema.createTable("analytics_documents", (t) => {
    t.text("code").primary();
    t.text("hash").notNullable();
    t.text("ocid").notNullable();
    t.text("kind").notNullable();
    t.string("tenant_code", 6).notNullable();
    t.jsonb("content").notNullable();
    t.timestamp("issued_at", { useTz: true }).notNullable();
  });
  await knex.raw("create index analytics_documents_ocid on analytics_documents (ocid, kind)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("analytics_documents");
}
