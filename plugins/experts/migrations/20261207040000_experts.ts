import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // One row per expert, kept by the application workflow's steps (services/registry.ts).
  await knex.schema.createTable("experts_experts", (t) => {
    t.uuid("id").primary();
    t.uuid("instance_id").notNullable().unique();
    t.uuid("account_id").notNullable().unique();
    t.string("tenant_code", 6).notNullable();
    t.text("name").notNullable();
    t.text("phone").notNullable();
    t.text("employer_name").notNullable();
    t.string("employer_code", 20).notNullable();
    t.jsonb("titles").notNullable();
    t.specificType("specialities", "text[]").notNullable();
    t.string("region", 6).notNullable();
    t.string("availability", 10).notNullable();
    t.string("status", 10).notNullable();
    t.text("status_reason");
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
  });
  // the drawing's filter: admitted experts of a region subtree by speciality prefix
  await knex.raw("create index experts_experts_admitted on experts_experts (region, id) where status = 'admitted'");
  await knex.raw("create index experts_experts_specialities on experts_experts using gin (specialities) where status = 'admitted'");

  await knex.schema.createTable("experts_unavailable", (t) => {
    t.uuid("expert_id").notNullable().references("experts_experts.id");
    t.date("day").notNullable();
    t.primary(["expert_id", "day"]);
  });
  await knex.raw("create index experts_unavailable_day on experts_unavailable (day)");

  // avoidance declarations: employment, shareholding, management or other ties with a company (experts.conflictOfInterest)
  await knex.schema.createTable("experts_ties", (t) => {
    t.uuid("id").primary();
    t.uuid("expert_id").notNullable().references("experts_experts.id");
    t.string("company_code", 20).notNullable();
    t.text("company_name").notNullable();
    t.string("kind", 12).notNullable();
    t.date("since").notNullable();
    t.date("until");
    t.timestamp("declared_at", { useTz: true }).notNullable();
  });
  await knex.raw("create index experts_ties_company on experts_ties (company_code, expert_id)");
  await knex.raw("create index experts_ties_expert on experts_ties (expert_id)");

  await knex.schema.createTable("experts_drawings", (t) => {
    t.uuid("id").primary();
    t.uuid("instance_id").notNullable().unique();
    t.string("tenant_code", 6).notNullable();
    t.uuid("tender_id").notNullable();
    t.string("unit_code", 20).notNullable();
    t.integer("committee_size").notNullable();
    t.integer("experts").notNullable();
    t.specificType("specialities", "text[]").notNullable();
    t.string("region", 6).notNullable();
    t.date("slot_date").notNullable();
    t.string("slot", 2).notNullable();
    // the seed stays secret until the draw; its hash is public from the request on
    t.string("seed", 64).notNullable();
    t.string("seed_hash", 64).notNullable();
    t.string("entropy", 64);
    // the eligible experts' ids sorted, their hash, and the whole list in drawing order
    t.jsonb("eligible");
    t.string("eligible_hash", 64);
    t.jsonb("draw_order");
    t.integer("next_index").notNullable().defaultTo(0);
    t.jsonb("conflicts");
    t.string("status", 10).notNullable();
    t.timestamp("committed_at", { useTz: true }).notNullable();
    t.timestamp("drawn_at", { useTz: true });
  });
  await knex.raw("create index experts_drawings_tender on experts_drawings (tender_id)");

  await knex.schema.createTable("experts_invitations", (t) => {
    t.uuid("id").primary();
    t.uuid("drawing_id").notNullable().references("experts_drawings.id");
    t.uuid("expert_id").notNullable().references("experts_experts.id");
    t.integer("position").notNullable();
    t.string("status", 10).notNullable();
    t.timestamp("invited_at", { useTz: true }).notNullable();
    t.timestamp("reply_by", { useTz: true }).notNullable();
    t.timestamp("answered_at", { useTz: true });
    t.text("reason");
    t.unique(["drawing_id", "position"]);
  });
  await knex.raw("create index experts_invitations_expert on experts_invitations (expert_id, invited_at)");
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ["experts_invitations", "experts_drawings", "experts_ties", "experts_unavailable", "experts_experts"]) await knex.schema.dropTable(t);
}
