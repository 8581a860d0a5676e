import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // The purchasing unit's public identity: its record in the purchasers registry. Its budget code
  // (owner_unit) is the first password of its accounts, so suppliers and agencies are shown this and
  // the name instead. Projects begun before this column have none (null).
  await knex.schema.alterTable("supervision_projects", (t) => {
    t.uuid("unit_id").nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("supervision_projects", (t) => {
    t.dropColumn("unit_id");
  });
}
