import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // One row per contracting process: what its earlier facts told (the buyer's and supplier's
  // published names, the title, the method), for the releases of later stages.
  await knex.schema.createTable("analytics_ocds_projects", (t) => {
    t.text("ocid").primary();
    t.uuid("project_id").notNullable();
    t.string("tenant_code", 6).notNullable();
    t.jsonb("context").notNullable().defaultTo("{}");
    t.timestamp("updated_at", { useTz: true }).notNullable();
  });
  // Every release as published: never updated, a later fact is a new release (OCDS's model).
  await knex.schema.createTable("analytics_ocds_releases", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    t.text("ocid").notNullable();
    // the release's own id: stage, instance and its version, so a redelivered fact is the same row
    t.text("release_id").notNullable();
    t.string("tenant_code", 6).notNullable();
    t.timestamp("date", { useTz: true }).notNullable();
    t.jsonb("release").notNullable();
    t.unique(["ocid", "release_id"]);
  });
  // The feed: newest first, everywhere or in a region; a record's releases.
  await knex.raw("create index analytics_ocds_releases_newest on analytics_ocds_releases (date desc, id desc)");
  await knex.raw("create index analytics_ocds_releases_tenant_newest on analytics_ocds_releases (tenant_code, date desc, id desc)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("analytics_ocds_releases");
  await knex.schema.dropTable("analytics_ocds_projects");
}
