import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Every document a plugin issued under a verification code (core/audit/documents.ts): what it said
  // then, so a paper or PDF copy can be checked after its subject has moved on.
  await knex.schema.createTable("core_documents", (t) => {
    t.text("code").primary();
    t.text("hash").notNullable();
    t.text("algorithm").notNullable();
    t.text("issuer").notNullable();
    t.text("kind").notNullable();
    t.text("reference").notNullable();
    t.jsonb("name").notNullable();
    t.text("tenant_code").nullable();
    /** whether /api/verify gives the content back, or only says that the code holds */
    t.boolean("public").notNullable();
    t.jsonb("content").notNullable();
    /** the last content sealed under issuer, kind and reference; one per reference */
    t.boolean("current").notNullable();
    t.timestamp("issued_at", { useTz: true }).notNullable();
  });
  await knex.raw("create index core_documents_subject on core_documents (issuer, kind, reference) where current");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("core_documents");
}
