import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // A bidder's consortium (联合体): its other members, declared before the deadline, each checked
  // at the cutoff as the consortium itself (credit.consortium).
  await knex.schema.createTable("etrading_consortia", (t) => {
    t.uuid("tender_id").notNullable().references("id").inTable("etrading_tenders").onDelete("CASCADE");
    t.text("supplier_code").notNullable();
    t.jsonb("members").notNullable();
    t.timestamp("declared_at", { useTz: true }).notNullable();
    t.primary(["tender_id", "supplier_code"]);
  });

  // The credit screening of a tender's bidders at the cutoff its documents declare (credit.cutoffDeclared):
  // one per tender, never rewritten, kept as the evidence of what the lists said then.
  await knex.schema.createTable("etrading_screenings", (t) => {
    t.uuid("tender_id").primary().references("id").inTable("etrading_tenders").onDelete("CASCADE");
    t.timestamp("cutoff", { useTz: true }).notNullable();
    // whether the documents named the cutoff, or the deadline stood in for it
    t.boolean("cutoff_declared").notNullable();
    // screened · no-provider (no eligibility provider is installed or on for the tenant)
    t.text("status").notNullable();
    t.text("provider").nullable();
    t.jsonb("lists").notNullable();
    t.jsonb("bidders").notNullable();
    t.timestamp("screened_at", { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("etrading_screenings");
  await knex.schema.dropTable("etrading_consortia");
}
