import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // The procurement documents as published and corrected, kept with the tender: suppliers read them
  // here, not from the workflow instance (which only its parties may read).
  await knex.schema.alterTable("etrading_tenders", (t) => {
    t.jsonb("documents").notNullable().defaultTo("{}");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("etrading_tenders", (t) => {
    t.dropColumn("documents");
  });
}
