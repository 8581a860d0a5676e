import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Contract financing (政采贷): a loan against a filed contract; while approved and unpaid, the
  // contract's payments are locked to the lender's collection account.
  await knex.schema.createTable("finance_financings", (t) => {
    t.uuid("id").primary();
    t.uuid("project_id").notNullable();
    t.string("tenant_code", 6).notNullable();
    t.text("supplier_code").notNullable();
    t.text("institution_code").notNullable().references("code").inTable("finance_institutions");
    // the contract as the supplier's view of the project showed it when it applied
    t.jsonb("contract").notNullable();
    t.decimal("requested_amount", 15, 2).notNullable();
    t.integer("requested_days").notNullable();
    // the supplier's consent to the institution reading its credit summary: when, and the words agreed to
    t.timestamp("consent_at", { useTz: true }).notNullable();
    t.text("consent_text").notNullable();
    t.text("status").notNullable(); // pending | approved | declined | repaid
    t.decimal("approved_amount", 15, 2).nullable();
    t.integer("approved_days").nullable();
    t.string("due_on", 10).nullable();
    t.text("collection_account").nullable();
    t.text("decline_reason").nullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("decided_at", { useTz: true }).nullable();
    t.timestamp("repaid_at", { useTz: true }).nullable();
    t.index(["project_id", "status"]);
    t.index(["institution_code", "status"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("finance_financings");
}
