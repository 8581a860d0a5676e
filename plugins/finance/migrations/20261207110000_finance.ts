import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Banks, insurers and guarantee companies: one record each, admitted region by region by the
  // province. The signing key is the platform's software key for the institution's letters until a
  // CA certificate replaces it.
  await knex.schema.createTable("finance_institutions", (t) => {
    t.text("code").primary();
    t.text("name").notNullable();
    t.text("kind").notNullable();
    t.specificType("regions", "varchar(6)[]").notNullable();
    t.text("collection_account").nullable();
    t.text("public_key").notNullable();
    t.text("private_key").notNullable();
    t.text("admitted_by").notNullable();
    t.timestamp("admitted_at", { useTz: true }).notNullable();
  });

  // A guarantee letter, from the supplier's application to the institution's decision and any claim.
  await knex.schema.createTable("finance_guarantees", (t) => {
    t.uuid("id").primary();
    t.text("purpose").notNullable(); // bid | performance
    t.uuid("tender_id").nullable();
    t.text("contract_ref").nullable();
    t.string("tenant_code", 6).notNullable();
    t.text("title").notNullable();
    t.text("beneficiary").notNullable();
    t.text("beneficiary_unit").nullable();
    t.text("supplier_code").notNullable();
    t.text("institution_code").notNullable().references("code").inTable("finance_institutions");
    t.decimal("amount", 15, 2).notNullable();
    t.timestamp("valid_until", { useTz: true }).notNullable();
    t.text("status").notNullable(); // pending | issued | declined | claimed | paid | claim-refused
    t.text("decline_reason").nullable();
    t.text("verification_code").nullable().unique();
    t.jsonb("letter").nullable();
    t.text("signature").nullable();
    t.jsonb("claim").nullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("decided_at", { useTz: true }).nullable();
    t.index(["tender_id", "supplier_code"]);
    t.index(["institution_code", "status"]);
  });

  // A deposit paid in a non-cash form, confirmed by the agency, refunded on its clock.
  await knex.schema.createTable("finance_deposits", (t) => {
    t.uuid("id").primary();
    t.uuid("tender_id").notNullable();
    t.string("tenant_code", 6).notNullable();
    t.text("title").notNullable();
    t.text("agency_code").nullable();
    t.text("unit").nullable();
    t.text("supplier_code").notNullable();
    t.decimal("amount", 15, 2).notNullable();
    t.text("form").notNullable(); // cheque | draft | promissory-note
    t.text("reference").notNullable();
    t.text("status").notNullable(); // declared | confirmed | refunded
    t.timestamp("declared_at", { useTz: true }).notNullable();
    t.timestamp("confirmed_at", { useTz: true }).nullable();
    t.text("refund_rule").nullable();
    t.date("refund_from").nullable();
    t.date("refund_due").nullable();
    t.date("refunded_on").nullable();
    t.decimal("late_interest", 15, 2).nullable();
    t.unique(["tender_id", "supplier_code"]);
    t.index(["refund_due"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ["finance_deposits", "finance_guarantees", "finance_institutions"]) await knex.schema.dropTable(t);
}
