import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // A direct order (直接订购): its workflow instance (emall.order) is the order's life; this row is
  // what the budget check sums (every order of a plan line not lapsed or cancelled), what the
  // supplier's inbox lists and what the contract lifecycle reads. Written by the step hooks.
  await knex.schema.createTable("emall_orders", (t) => {
    t.uuid("id").primary(); // the instance's id
    t.string("tenant_code", 6).notNullable();
    t.text("unit_code").notNullable();
    t.text("unit_name").notNullable();
    t.uuid("project_id").notNullable();
    t.integer("plan_line").notNullable();
    t.text("supplier_code").notNullable();
    t.text("supplier_name").notNullable();
    t.decimal("total", 15, 2).notNullable();
    t.jsonb("lines").notNullable();
    // placed · confirmed · accepted · paid · lapsed · cancelled
    t.text("status").notNullable();
    t.timestamp("confirm_by", { useTz: true }).notNullable();
    t.string("confirmed_on", 10).nullable();
    t.string("accepted_on", 10).nullable();
    t.string("payment_due", 10).nullable();
    t.string("paid_on", 10).nullable();
    t.boolean("paid_late").notNullable().defaultTo(false);
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
    t.index(["project_id", "plan_line"]);
    t.index(["supplier_code", "created_at"]);
    t.index(["unit_code", "created_at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("emall_orders");
}
