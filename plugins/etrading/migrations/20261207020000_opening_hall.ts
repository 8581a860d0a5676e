import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Everything the opening hall announced, in order: a late joiner or a reload reads the same (services/hall.ts).
  await knex.schema.createTable("etrading_hall_events", (t) => {
    t.bigIncrements("id");
    t.uuid("tender_id").notNullable().references("id").inTable("etrading_tenders").onDelete("CASCADE");
    t.text("kind").notNullable();
    t.jsonb("data").notNullable();
    t.timestamp("at", { useTz: true }).notNullable();
    t.index(["tender_id", "id"]);
  });

  // Who is in the hall now: one row per socket (a person may have two tabs).
  await knex.schema.createTable("etrading_hall_presence", (t) => {
    t.uuid("tender_id").notNullable().references("id").inTable("etrading_tenders").onDelete("CASCADE");
    t.text("socket_id").notNullable();
    t.uuid("account_id").notNullable();
    t.text("role").notNullable();
    t.text("name").notNullable();
    t.timestamp("joined_at", { useTz: true }).notNullable();
    t.primary(["tender_id", "socket_id"]);
  });

  // The decryption window the agency sets; `closed_at` once its end closed the bids still sealed.
  await knex.schema.createTable("etrading_hall_windows", (t) => {
    t.uuid("tender_id").primary().references("id").inTable("etrading_tenders").onDelete("CASCADE");
    t.timestamp("starts_at", { useTz: true }).notNullable();
    t.timestamp("ends_at", { useTz: true }).notNullable();
    t.uuid("set_by").notNullable();
    t.timestamp("closed_at", { useTz: true }).nullable();
    t.index(["ends_at"]);
  });

  // The plain deposit record (the bid-security provider inside e-trading until finance brings e-guarantees).
  await knex.schema.createTable("etrading_deposits", (t) => {
    t.uuid("tender_id").notNullable().references("id").inTable("etrading_tenders").onDelete("CASCADE");
    t.text("supplier_code").notNullable();
    t.decimal("amount", 18, 2).notNullable();
    t.uuid("recorded_by").notNullable();
    t.timestamp("received_at", { useTz: true }).notNullable();
    t.primary(["tender_id", "supplier_code"]);
  });

  // What the opening leaves the tender with when too few bids are valid (tender.minBidders,
  // tender.twoBidders.negotiation): failed, or two bids awaiting the regulator, and its decision.
  await knex.schema.createTable("etrading_hall_outcomes", (t) => {
    t.uuid("tender_id").primary().references("id").inTable("etrading_tenders").onDelete("CASCADE");
    t.text("state").notNullable();
    t.text("rule").notNullable();
    t.integer("valid_bids").notNullable();
    t.text("method").nullable();
    t.text("reason").nullable();
    t.uuid("decided_by").nullable();
    t.timestamp("decided_at", { useTz: true }).nullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ["etrading_hall_outcomes", "etrading_deposits", "etrading_hall_windows", "etrading_hall_presence", "etrading_hall_events"]) await knex.schema.dropTable(t);
}
