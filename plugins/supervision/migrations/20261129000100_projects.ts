import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // One procurement project across its six stages. The stages themselves are workflow instances
  // (core_workflow_instances); this row is what the rules between them read and what the
  // workspace lists: it is written by the step hooks, in each step's transaction.
  // Calendar dates (signed, filed, accepted, due) are kept as the yyyy-mm-dd text the forms use: a
  // date column would come back as a JavaScript Date at the server's midnight.
  await knex.schema.createTable("supervision_projects", (t) => {
    t.uuid("id").primary();
    t.string("tenant_code", 6).notNullable();
    t.text("owner_unit").notNullable();
    t.text("unit_name").notNullable();
    t.text("name").notNullable();
    // intention · plan · execution · contract · acceptance · payment · paid · withdrawn
    t.text("stage").notNullable();
    t.decimal("budget", 15, 2).notNullable();
    t.uuid("intention_id").notNullable().unique();
    t.timestamp("intention_published_at", { useTz: true }).nullable();
    t.boolean("intention_withdrawn").notNullable().defaultTo(false);
    t.uuid("plan_id").nullable().unique();
    t.decimal("plan_total", 15, 2).nullable();
    t.text("method").nullable();
    t.text("exemption_reason").nullable();
    t.text("agency_code").nullable();
    t.text("channel").nullable();
    t.text("supplier_code").nullable();
    t.text("supplier_name").nullable();
    t.boolean("supplier_sme").nullable();
    t.decimal("awarded_amount", 15, 2).nullable();
    t.uuid("contract_id").nullable().unique();
    t.decimal("contract_amount", 15, 2).nullable();
    t.string("signed_on", 10).nullable();
    t.string("contract_filed_on", 10).nullable();
    t.boolean("late_filing").notNullable().defaultTo(false);
    t.uuid("acceptance_id").nullable().unique();
    t.text("acceptance_result").nullable();
    t.string("accepted_on", 10).nullable();
    t.string("payment_due", 10).nullable();
    t.boolean("payment_overdue").notNullable().defaultTo(false);
    // requested counts instalments not cancelled (paid ones included): it may never pass the contract
    t.decimal("requested_total", 15, 2).notNullable().defaultTo(0);
    t.decimal("paid_total", 15, 2).notNullable().defaultTo(0);
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
    t.index(["tenant_code", "stage"]);
    t.index(["owner_unit"]);
    t.index(["supplier_code"]);
    t.index(["agency_code"]);
  });

  // Every stage instance of a project (one intention, plan, contract and acceptance; payments by instalment).
  await knex.schema.createTable("supervision_project_instances", (t) => {
    t.uuid("instance_id").primary();
    // the order stages were entered in (the clock of a step may stand still in tests)
    t.bigIncrements("seq", { primaryKey: false });
    t.uuid("project_id").notNullable().references("id").inTable("supervision_projects").onDelete("CASCADE");
    t.text("stage").notNullable();
    t.decimal("amount", 15, 2).nullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.index(["project_id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("supervision_project_instances");
  await knex.schema.dropTable("supervision_projects");
}
