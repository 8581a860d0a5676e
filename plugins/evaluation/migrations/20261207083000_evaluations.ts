import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("evaluation_evaluations", (t) => {
    t.uuid("id").primary();
    // one evaluation per tender at a time; a regulator's re-evaluation order reopens the same row
    t.uuid("tender_id").notNullable().unique();
    t.uuid("tender_instance_id").notNullable();
    t.string("tenant_code", 6).notNullable();
    t.string("unit_code", 20);
    t.string("agency_code", 20);
    t.text("title").notNullable();
    t.text("unit_name").notNullable();
    t.string("method", 20).notNullable();
    t.string("category", 10).notNullable();
    t.decimal("price_weight", 5, 2);
    t.decimal("sme_deduction", 5, 2).notNullable().defaultTo(0);
    t.jsonb("criteria").notNullable();
    t.specificType("members", "uuid[]").notNullable();
    // the opening record's valid bids as the evaluation took them: { bidId, supplierCode, supplierName, price, order }
    t.jsonb("bids").notNullable();
    t.string("status", 20).notNullable();
    t.jsonb("report");
    t.date("confirm_by");
    t.timestamp("warned_at", { useTz: true });
    t.jsonb("award");
    t.integer("round").notNullable().defaultTo(1);
    t.jsonb("orders").notNullable().defaultTo("[]");
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
    t.index(["status", "confirm_by"]);
  });
  await knex.schema.createTable("evaluation_qualifications", (t) => {
    t.uuid("evaluation_id").notNullable().references("evaluation_evaluations.id").onDelete("CASCADE");
    t.uuid("bid_id").notNullable();
    t.boolean("passed").notNullable();
    t.boolean("sme").notNullable().defaultTo(false);
    t.text("reason");
    t.uuid("account_id").notNullable();
    t.timestamp("reviewed_at", { useTz: true }).notNullable();
    t.primary(["evaluation_id", "bid_id"]);
  });
  await knex.schema.createTable("evaluation_scores", (t) => {
    t.uuid("evaluation_id").notNullable().references("evaluation_evaluations.id").onDelete("CASCADE");
    t.uuid("member_id").notNullable();
    t.uuid("bid_id").notNullable();
    t.string("criterion", 40).notNullable();
    t.decimal("score", 7, 2).notNullable();
    t.timestamp("saved_at", { useTz: true }).notNullable();
    // a save is idempotent per (member, bid, criterion): the same key overwrites
    t.primary(["evaluation_id", "member_id", "bid_id", "criterion"]);
  });
  await knex.schema.createTable("evaluation_submissions", (t) => {
    t.uuid("evaluation_id").notNullable().references("evaluation_evaluations.id").onDelete("CASCADE");
    t.uuid("member_id").notNullable();
    t.timestamp("submitted_at", { useTz: true }).notNullable();
    t.primary(["evaluation_id", "member_id"]);
  });
  await knex.schema.createTable("evaluation_signatures", (t) => {
    t.uuid("evaluation_id").notNullable().references("evaluation_evaluations.id").onDelete("CASCADE");
    t.uuid("member_id").notNullable();
    t.text("dissent");
    t.timestamp("signed_at", { useTz: true }).notNullable();
    t.primary(["evaluation_id", "member_id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ["evaluation_signatures", "evaluation_submissions", "evaluation_scores", "evaluation_qualifications", "evaluation_evaluations"]) await knex.schema.dropTable(t);
}
