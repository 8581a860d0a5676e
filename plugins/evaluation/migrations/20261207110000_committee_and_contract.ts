import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("evaluation_evaluations", (t) => {
    // the filed project and the procedure, as e-trading tells them: what the award's analytics fact names
    t.uuid("project_id");
    t.string("tender_method", 30);
    // the experts' drawing the committee came from (the experts plugin's), and the chair it elected
    t.uuid("drawing_id");
    t.uuid("chair");
    // the documents' consortium deduction (sme.consortiumDeduction), 0 when none
    t.decimal("consortium_deduction", 5, 2).notNullable().defaultTo(0);
    // the contract's clock from the award (contract.signWithin) and the winners who refused (contract.winnerRefuses)
    t.date("sign_by");
    t.jsonb("contract");
    t.jsonb("refusals").notNullable().defaultTo("[]");
    // the purchaser's lawful reason for not confirming in time, which stops the deemed award (award.purchaserConfirm)
    t.jsonb("award_hold");
    // collusion indicators found at the start (eval.collusionIndicators), shown to the committee
    t.jsonb("indicators").notNullable().defaultTo("[]");
  });
  await knex.schema.alterTable("evaluation_qualifications", (t) => {
    t.boolean("consortium").notNullable().defaultTo(false);
  });
  await knex.schema.createTable("evaluation_chair_votes", (t) => {
    t.uuid("evaluation_id").notNullable().references("evaluation_evaluations.id").onDelete("CASCADE");
    t.uuid("member_id").notNullable();
    t.uuid("candidate_id").notNullable();
    t.timestamp("voted_at", { useTz: true }).notNullable();
    // one vote per member, which it may change until a chair is elected
    t.primary(["evaluation_id", "member_id"]);
  });
  // negotiation and consultation: the rounds of final offers (negotiation.finalOffers.min), each bidder's offer per round
  await knex.schema.alterTable("evaluation_evaluations", (t) => {
    t.integer("offer_round").notNullable().defaultTo(0);
    t.boolean("offers_open").notNullable().defaultTo(false);
  });
  await knex.schema.createTable("evaluation_final_offers", (t) => {
    t.uuid("evaluation_id").notNullable().references("evaluation_evaluations.id").onDelete("CASCADE");
    t.integer("round").notNullable();
    t.uuid("bid_id").notNullable();
    t.decimal("price", 15, 2).notNullable();
    t.timestamp("offered_at", { useTz: true }).notNullable();
    t.primary(["evaluation_id", "round", "bid_id"]);
  });
  // the written explanation of an abnormally low price, as a member recorded it (evaluation.abnormallyLowPrice)
  await knex.schema.createTable("evaluation_explanations", (t) => {
    t.uuid("evaluation_id").notNullable().references("evaluation_evaluations.id").onDelete("CASCADE");
    t.uuid("bid_id").notNullable();
    t.text("text").notNullable();
    t.string("by", 10).notNullable();
    t.uuid("account_id").notNullable();
    t.timestamp("at", { useTz: true }).notNullable();
    t.primary(["evaluation_id", "bid_id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("evaluation_final_offers");
  await knex.schema.dropTable("evaluation_explanations");
  await knex.schema.dropTable("evaluation_chair_votes");
  await knex.schema.alterTable("evaluation_qualifications", (t) => t.dropColumn("consortium"));
  await knex.schema.alterTable("evaluation_evaluations", (t) => {
    for (const c of ["offer_round", "offers_open", "project_id", "tender_method", "drawing_id", "chair", "consortium_deduction", "sign_by", "contract", "refusals", "award_hold", "indicators"]) t.dropColumn(c);
  });
}
