import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // A penalty the regulator marks as a major violation (重大违法记录: a criminal penalty, an order to stop
  // business, a revoked licence, a large fine) keeps its party out of procurement for the lookback of
  // credit.noMajorViolation3y counted back from a tender's cutoff, whether or not it also bars.
  await knex.schema.alterTable("credit_facts", (t) => {
    t.boolean("major").notNullable().defaultTo(false);
  });
  await knex.raw("create index credit_facts_major on credit_facts (subject_code, occurred_on) where major");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop index if exists credit_facts_major");
  await knex.schema.alterTable("credit_facts", (t) => {
    t.dropColumn("major");
  });
}
