import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // A rating round (一项目一评价): opened once per completed procurement or mall order, by the event that
  // completed it; its parties are fixed at opening so that who may rate whom never depends on later edits.
  await knex.schema.createTable("credit_rating_rounds", (t) => {
    t.uuid("id").primary();
    // evaluation (an award) · emall (an order paid)
    t.text("source").notNullable();
    t.text("source_id").notNullable();
    t.string("tenant_code", 6).notNullable();
    t.text("title").notNullable();
    t.date("completed_on").notNullable();
    // the last day a rating is taken (5 working days after completed_on)
    t.date("due_on").notNullable();
    // [{ kind, code, name, winner? }]
    t.jsonb("parties").notNullable();
    t.timestamp("opened_at", { useTz: true }).notNullable();
    t.timestamp("reminded_at", { useTz: true }).nullable();
    t.timestamp("closed_at", { useTz: true }).nullable();
    t.unique(["source", "source_id"]);
  });

  // One row per rating owed, made when the round opens: rating is then an update of a pending row, so two
  // saves of the same rating can never make two rows, and a missed one stays visible as missed.
  await knex.schema.createTable("credit_ratings", (t) => {
    t.uuid("id").primary();
    t.uuid("round_id").notNullable().references("id").inTable("credit_rating_rounds");
    t.text("rater_kind").notNullable();
    // a unit's code; an expert's account id (experts rate and are rated as persons)
    t.text("rater_code").notNullable();
    t.text("ratee_kind").notNullable();
    t.text("ratee_code").notNullable();
    t.text("ratee_name").nullable();
    // pending · done · missed
    t.text("status").notNullable().defaultTo("pending");
    // 1 to 5 stars
    t.smallint("stars").nullable();
    t.text("comment").nullable();
    t.text("rated_by").nullable();
    t.timestamp("rated_at", { useTz: true }).nullable();
    t.unique(["round_id", "rater_code", "ratee_code"]);
    t.index(["rater_code", "status"]);
    t.index(["ratee_code", "status"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("credit_ratings");
  await knex.schema.dropTable("credit_rating_rounds");
}
