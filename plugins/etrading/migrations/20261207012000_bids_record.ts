import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // The agency's end of the decryption window: once, by whom and when.
  await knex.schema.createTable("etrading_opening_closures", (t) => {
    t.uuid("tender_id").primary().references("id").inTable("etrading_tenders").onDelete("CASCADE");
    t.uuid("account_id").notNullable();
    t.timestamp("closed_at", { useTz: true }).notNullable();
  });

  // Each bidder's answer to the opening record: it confirms it or objects, online (tender.opening.record).
  await knex.schema.createTable("etrading_opening_confirmations", (t) => {
    t.uuid("tender_id").notNullable().references("id").inTable("etrading_tenders").onDelete("CASCADE");
    t.text("supplier_code").notNullable();
    t.boolean("confirmed").notNullable();
    t.text("objection").nullable();
    t.uuid("account_id").notNullable();
    t.timestamp("answered_at", { useTz: true }).notNullable();
    t.primary(["tender_id", "supplier_code"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("etrading_opening_confirmations");
  await knex.schema.dropTable("etrading_opening_closures");
}
