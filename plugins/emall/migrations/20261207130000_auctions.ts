import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // A live reverse auction (电子反拍 / 网上竞价): its workflow instance (emall.auction) is its life from
  // bidding to payment; this row is what quotes are checked against (server time, the maximum) and,
  // once closed, the result. The award becomes an emall_orders row under the same id.
  await knex.schema.createTable("emall_auctions", (t) => {
    t.uuid("id").primary(); // the instance's id
    t.string("tenant_code", 6).notNullable();
    t.text("unit_code").notNullable();
    t.text("unit_name").notNullable();
    t.uuid("project_id").notNullable();
    t.integer("plan_line").notNullable();
    t.text("title").notNullable();
    t.text("requirements").notNullable();
    t.text("category_code").notNullable();
    t.integer("quantity").notNullable();
    t.decimal("max_unit_price", 15, 2).notNullable();
    t.timestamp("starts_at", { useTz: true }).notNullable();
    t.timestamp("ends_at", { useTz: true }).notNullable();
    // bidding · closed
    t.text("status").notNullable();
    t.timestamp("closed_at", { useTz: true }).nullable();
    t.text("winner_code").nullable();
    t.decimal("winner_price", 15, 2).nullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.index(["tenant_code", "ends_at"]);
  });
  // who takes part, with the letter the others know it by (供应商 A, B, …) in this auction only
  await knex.schema.createTable("emall_auction_bidders", (t) => {
    t.uuid("auction_id").notNullable().references("id").inTable("emall_auctions").onDelete("CASCADE");
    t.text("supplier_code").notNullable();
    t.text("supplier_name").notNullable();
    t.integer("seq").notNullable();
    t.timestamp("joined_at", { useTz: true }).notNullable();
    t.primary(["auction_id", "supplier_code"]);
    t.unique(["auction_id", "seq"]);
  });
  // every quote kept: the last of each bidder counts, a tie goes to the earliest (id breaks equal instants)
  await knex.schema.createTable("emall_auction_quotes", (t) => {
    t.bigIncrements("id").primary();
    t.uuid("auction_id").notNullable().references("id").inTable("emall_auctions").onDelete("CASCADE");
    t.text("supplier_code").notNullable();
    t.uuid("offer_id").notNullable();
    t.decimal("unit_price", 15, 2).notNullable();
    t.timestamp("quoted_at", { useTz: true }).notNullable();
    t.index(["auction_id", "supplier_code", "id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("emall_auction_quotes");
  await knex.schema.dropTable("emall_auction_bidders");
  await knex.schema.dropTable("emall_auctions");
}
