import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Competition kept in the same cells as the spend, so its drill-down costs what the spend's does:
  // awards whose bids were counted, the bids, and those with a single bid.
  await knex.schema.alterTable("analytics_agg_cells", (t) => {
    t.integer("bid_tenders").notNullable().defaultTo(0);
    t.integer("bids").notNullable().defaultTo(0);
    t.integer("single_bid_tenders").notNullable().defaultTo(0);
  });
  // What the flags compare across a project's facts, whichever comes first: the award's and the
  // contract's amounts, and which notice last set the tender period.
  await knex.schema.alterTable("analytics_agg_projects", (t) => {
    t.decimal("awarded", 20, 2);
    t.decimal("contracted", 20, 2);
    t.timestamp("period_at", { useTz: true });
  });
  // One award a project, for the repeated-winner flag (a purchaser, a supplier, a window of months)
  // and to link a purchaser's non-competitive awards.
  await knex.schema.createTable("analytics_agg_wins", (t) => {
    t.uuid("project_id").primary();
    t.string("tenant_code", 6).notNullable();
    t.text("unit").notNullable();
    t.text("supplier").notNullable();
    t.text("method").notNullable();
    t.date("award_on").notNullable();
  });
  await knex.raw("create index analytics_agg_wins_pair on analytics_agg_wins (tenant_code, unit, supplier, award_on)");
  await knex.raw("create index analytics_agg_wins_unit on analytics_agg_wins (tenant_code, unit, award_on)");
  // The flags raised as facts arrive, one row each, with the projects they point at.
  await knex.schema.createTable("analytics_agg_flags", (t) => {
    t.text("flag_key").primary();
    t.text("flag").notNullable();
    t.string("tenant_code", 6).notNullable();
    t.text("unit").notNullable();
    t.string("month", 7).notNullable();
    t.specificType("project_ids", "uuid[]").notNullable();
    t.jsonb("evidence").notNullable();
  });
  await knex.raw("create index analytics_agg_flags_region on analytics_agg_flags (tenant_code, month)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("analytics_agg_flags");
  await knex.schema.dropTable("analytics_agg_wins");
  await knex.schema.alterTable("analytics_agg_projects", (t) => {
    t.dropColumns("awarded", "contracted", "period_at");
  });
  await knex.schema.alterTable("analytics_agg_cells", (t) => {
    t.dropColumns("bid_tenders", "bids", "single_bid_tenders");
  });
}
