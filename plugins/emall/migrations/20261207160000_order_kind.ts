import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // what made the order: a direct order, an auction's award or a framework call-off; supervision shows
  // each as a contract record of that kind
  await knex.schema.alterTable("emall_orders", (t) => {
    t.text("kind").notNullable().defaultTo("order");
  });
  await knex.raw("update emall_orders o set kind = 'auction' from emall_auctions a where a.id = o.id");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("emall_orders", (t) => {
    t.dropColumn("kind");
  });
}
