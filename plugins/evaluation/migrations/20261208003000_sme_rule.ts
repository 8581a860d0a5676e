import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Which SME deduction rule the documents were held to, by the day they were published: sme.priceDeduction.2020
  // (6–10 %) before the 2022 notice applied, sme.priceDeduction.2022 (10–20 %) from then on. Earlier rows were 2022's.
  await knex.schema.alterTable("evaluation_evaluations", (t) => {
    t.text("sme_rule").notNullable().defaultTo("sme.priceDeduction.2022");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("evaluation_evaluations", (t) => {
    t.dropColumn("sme_rule");
  });
}
