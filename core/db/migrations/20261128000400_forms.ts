import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Every version a form has had, kept forever: a submission names the version it was made under.
  // json, not jsonb: the order of a form's properties is the order it is shown in.
  await knex.schema.createTable("core_form_versions", (t) => {
    t.text("form_id").notNullable();
    t.integer("version").notNullable();
    t.json("schema").notNullable();
    t.json("ui_schema").notNullable();
    t.text("hash").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(["form_id", "version"]);
    t.unique(["form_id", "hash"]);
  });
  // Tenants' overlays on forms, every version kept (a submission names the overlay versions too).
  await knex.schema.createTable("core_form_overlays", (t) => {
    t.text("form_id").notNullable();
    t.string("tenant_code", 6).notNullable();
    t.integer("version").notNullable();
    t.json("document").notNullable();
    // the form version the overlay was checked against when it was saved
    t.integer("base_version").notNullable();
    t.jsonb("author").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(["form_id", "tenant_code", "version"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("core_form_overlays");
  await knex.schema.dropTable("core_form_versions");
}
