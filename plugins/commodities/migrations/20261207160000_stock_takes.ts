import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // What a confirmed order took from its offers' stock, once per order: a confirmation tried twice
  // (a retry, a double click) takes nothing the second time.
  await knex.schema.createTable("commodities_stock_takes", (t) => {
    t.uuid("order_id").primary();
    t.text("supplier_code").notNullable();
    t.jsonb("lines").notNullable();
    t.timestamp("taken_at", { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("commodities_stock_takes");
}
