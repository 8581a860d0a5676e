import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // The day the procurement ended (paid in full, or its intention withdrawn) and the first day its files
  // may leave the platform: records.retention keeps them at least 15 years from that end. Null while it runs.
  await knex.schema.alterTable("supervision_projects", (t) => {
    t.string("ended_on", 10).nullable();
    t.string("retain_until", 10).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("supervision_projects", (t) => {
    t.dropColumn("retain_until");
    t.dropColumn("ended_on");
  });
}
