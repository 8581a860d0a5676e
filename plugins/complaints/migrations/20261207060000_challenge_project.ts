import type { Knex } from "knex";

// The supervision project a challenged tender executes: supervision asks by project whether its
// contract may be filed (supervision.contract-holds), and the tender's link to it is e-trading's.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("complaints_challenges", (t) => {
    t.uuid("project_id");
    t.index(["project_id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("complaints_challenges", (t) => {
    t.dropColumn("project_id");
  });
}
