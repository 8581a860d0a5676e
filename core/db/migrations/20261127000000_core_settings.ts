import type { Knex } from "knex";

// Platform-wide settings shared by every node (e.g. the token signing key when AUTH_SECRET is unset).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("core_settings", (t) => {
    t.text("key").primary();
    t.jsonb("value").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("core_settings");
}
