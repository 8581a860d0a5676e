import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // A framework agreement (框架协议, MOF order 110): closed, its suppliers chosen once in a first stage
  // run as a public tender; or open, suppliers joining while it runs. Call-offs are orders under it.
  await knex.schema.createTable("emall_frameworks", (t) => {
    t.uuid("id").primary();
    t.string("tenant_code", 6).notNullable();
    t.text("kind").notNullable(); // closed · open
    t.text("title").notNullable();
    t.text("category_code").notNullable();
    t.text("subject").notNullable(); // goods · services (framework.term)
    t.decimal("max_unit_price", 15, 2).notNullable();
    t.string("starts_on", 10).notNullable();
    t.string("ends_on", 10).notNullable();
    // the closed agreement's first stage, as the public tender that ran it recorded it
    t.jsonb("first_stage").nullable();
    t.string("signed_on", 10).nullable();
    t.string("filing_due", 10).nullable();
    // the next member in turn for a rotation call-off (by seq)
    t.integer("rotation_next").notNullable().defaultTo(0);
    t.timestamp("created_at", { useTz: true }).notNullable();
  });
  await knex.schema.createTable("emall_framework_members", (t) => {
    t.uuid("framework_id").notNullable().references("id").inTable("emall_frameworks").onDelete("CASCADE");
    t.text("supplier_code").notNullable();
    t.text("supplier_name").notNullable();
    t.decimal("unit_price", 15, 2).notNullable();
    t.text("status").notNullable(); // pending · admitted · rejected
    t.integer("seq").notNullable();
    t.timestamp("applied_at", { useTz: true }).notNullable();
    t.string("review_due", 10).nullable();
    t.string("reviewed_on", 10).nullable();
    t.primary(["framework_id", "supplier_code"]);
  });
  // a second-round price competition is an auction among the agreement's suppliers
  await knex.schema.alterTable("emall_auctions", (t) => {
    t.uuid("framework_id").nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("emall_auctions", (t) => {
    t.dropColumn("framework_id");
  });
  await knex.schema.dropTable("emall_framework_members");
  await knex.schema.dropTable("emall_frameworks");
}
