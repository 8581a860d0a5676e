import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // The facts already counted, by release id (stage, instance, version): a fact redelivered under
  // another event id adds nothing twice.
  await knex.schema.createTable("analytics_agg_seen", (t) => {
    t.text("fact_key").primary();
  });
  // What a project's earlier facts told that a later fact's figures need (its method, unit, the days
  // cycle times run from), whatever order the facts arrive in.
  await knex.schema.createTable("analytics_agg_projects", (t) => {
    t.uuid("project_id").primary();
    t.string("tenant_code", 6).notNullable();
    t.text("unit").notNullable().defaultTo("");
    t.text("method").notNullable().defaultTo("unknown");
    t.date("intention_on");
    t.date("signed_on");
    t.date("first_paid_on");
  });
  // Sums per region, unit, method, category and month: a dashboard reads these, never the facts,
  // so its cost grows with the number of cells, not of projects.
  await knex.schema.createTable("analytics_agg_cells", (t) => {
    t.string("tenant_code", 6).notNullable();
    t.text("unit").notNullable();
    t.text("method").notNullable();
    t.text("category").notNullable();
    t.string("month", 7).notNullable();
    t.decimal("planned", 20, 2).notNullable().defaultTo(0);
    t.decimal("awarded", 20, 2).notNullable().defaultTo(0);
    t.integer("awards").notNullable().defaultTo(0);
    t.decimal("sme_awarded", 20, 2).notNullable().defaultTo(0);
    t.integer("sme_awards").notNullable().defaultTo(0);
    t.integer("small_awards").notNullable().defaultTo(0);
    t.integer("small_sme_awards").notNullable().defaultTo(0);
    t.decimal("contracted", 20, 2).notNullable().defaultTo(0);
    t.integer("contracts").notNullable().defaultTo(0);
    t.decimal("paid", 20, 2).notNullable().defaultTo(0);
    t.integer("payments").notNullable().defaultTo(0);
    t.primary(["tenant_code", "month", "unit", "method", "category"]);
  });
  // Cycle times as histograms of whole days: median and p90 come from counts, not from every project.
  await knex.schema.createTable("analytics_agg_cycles", (t) => {
    t.string("tenant_code", 6).notNullable();
    t.text("unit").notNullable();
    t.text("method").notNullable();
    t.text("kind").notNullable();
    t.string("month", 7).notNullable();
    t.integer("days").notNullable();
    t.integer("n").notNullable().defaultTo(0);
    t.primary(["tenant_code", "month", "unit", "method", "kind", "days"]);
  });
  // Each timeliness breach, to be listed with a link to its case.
  await knex.schema.createTable("analytics_agg_breaches", (t) => {
    t.text("fact_key").primary();
    t.uuid("project_id").notNullable();
    t.string("tenant_code", 6).notNullable();
    t.text("unit").notNullable();
    t.text("rule").notNullable();
    t.string("month", 7).notNullable();
    t.date("from_on").notNullable();
    t.date("done_on").notNullable();
    t.integer("days").notNullable();
    t.integer("allowed").notNullable();
  });
  await knex.raw("create index analytics_agg_breaches_region on analytics_agg_breaches (tenant_code, month)");
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ["analytics_agg_breaches", "analytics_agg_cycles", "analytics_agg_cells", "analytics_agg_projects", "analytics_agg_seen"]) await knex.schema.dropTable(t);
}
