import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // An auction's own rule for late quotes, set at its creation (none by default): a quote within the
  // last `ext_within_s` seconds moves the end to `ext_by_s` seconds after it, at most `ext_max` times.
  await knex.schema.alterTable("emall_auctions", (t) => {
    t.integer("ext_within_s").nullable();
    t.integer("ext_by_s").nullable();
    t.integer("ext_max").nullable();
    t.integer("extensions").notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("emall_auctions", (t) => {
    t.dropColumn("ext_within_s");
    t.dropColumn("ext_by_s");
    t.dropColumn("ext_max");
    t.dropColumn("extensions");
  });
}
