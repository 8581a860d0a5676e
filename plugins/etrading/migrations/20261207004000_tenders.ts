import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // One procurement (any of the six methods) from its draft documents to its opening. The procedure
  // itself is a workflow instance (core_workflow_instances); this row is what the rules across steps,
  // the supplier's list and the opening read, written by the step hooks in each step's transaction.
  await knex.schema.createTable("etrading_tenders", (t) => {
    // the id of the workflow instance that began it (instance_id too, for readers that join on it)
    t.uuid("id").primary();
    t.uuid("instance_id").notNullable().unique();
    t.string("tenant_code", 6).notNullable();
    // the purchasing unit's budget code (never shown to suppliers) and its registry name
    t.text("unit").notNullable();
    t.text("unit_name").notNullable();
    t.text("agency_code").nullable();
    // the supervision project and filed plan it executes
    t.uuid("project_id").nullable();
    t.uuid("plan_id").nullable();
    // public-tender · invited-tender · competitive-negotiation · competitive-consultation · inquiry · single-source
    t.text("method").notNullable();
    t.text("title").notNullable();
    t.decimal("max_price", 15, 2).notNullable();
    t.timestamp("published_at", { useTz: true }).nullable();
    // last day (yyyy-mm-dd, China) suppliers may obtain the documents
    t.string("docs_until", 10).nullable();
    t.timestamp("bid_deadline", { useTz: true }).notNullable();
    // equal to the deadline (tender.opening.atDeadline); kept apart so a hall can show both
    t.timestamp("opening_at", { useTz: true }).notNullable();
    // draft · published · opening · opened · failed · cancelled
    t.text("status").notNullable();
    // the opening custodians: [{ role, unit, account?, publicKey? }]
    t.jsonb("custodians").notNullable().defaultTo("[]");
    // the procedure's configuration when it was published (services/procedures.ts)
    t.jsonb("config").notNullable().defaultTo("{}");
    // bumped by every corrigendum: a bid made against an older version must be re-confirmed
    t.integer("docs_version").notNullable().defaultTo(1);
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
    t.index(["tenant_code", "status", "bid_deadline"]);
    t.index(["unit"]);
    t.index(["agency_code"]);
  });

  // Suppliers who obtained the documents (获取采购文件), or were invited (invited tender, single source).
  await knex.schema.createTable("etrading_registrations", (t) => {
    t.uuid("tender_id").notNullable().references("id").inTable("etrading_tenders").onDelete("CASCADE");
    t.text("supplier_code").notNullable();
    t.text("supplier_name").notNullable();
    t.boolean("invited").notNullable().defaultTo(false);
    t.timestamp("registered_at", { useTz: true }).nullable();
    t.primary(["tender_id", "supplier_code"]);
    t.index(["supplier_code"]);
  });

  // Questions (询问) and their answers, clarifications and corrigenda (更正公告) of a tender.
  await knex.schema.createTable("etrading_messages", (t) => {
    t.uuid("id").primary();
    t.uuid("tender_id").notNullable().references("id").inTable("etrading_tenders").onDelete("CASCADE");
    // question · clarification · corrigendum
    t.text("kind").notNullable();
    // who asked (a question only)
    t.text("supplier_code").nullable();
    t.text("text").notNullable();
    t.text("answer").nullable();
    // a question's last day to answer (question.answer), yyyy-mm-dd
    t.string("answer_due", 10).nullable();
    t.timestamp("answered_at", { useTz: true }).nullable();
    // a clarification or corrigendum: the deadline before and after it
    t.timestamp("deadline_before", { useTz: true }).nullable();
    t.timestamp("deadline_after", { useTz: true }).nullable();
    t.jsonb("changes").nullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.index(["tender_id", "kind", "created_at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("etrading_messages");
  await knex.schema.dropTable("etrading_registrations");
  await knex.schema.dropTable("etrading_tenders");
}
