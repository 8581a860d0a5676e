import type { Knex } from "knex";
import { bigramsSql } from "../../../core/sdk";

// The deposits, guarantees and financing lists through core's list-query helper: `q` by any
// substring of what each row is about (the tender's title and the deposit's reference; the
// guarantee's title and beneficiary; the contract's name and purchaser) on a normalised column with
// bigram and trigram indexes, and keyset pages newest first. The separator is a control character
// no query contains.
const SEARCH: Record<string, string> = {
  finance_deposits: "title || E'\\x1f' || reference",
  finance_guarantees: "title || E'\\x1f' || beneficiary",
  finance_financings: "coalesce(contract->>'name', '') || E'\\x1f' || coalesce(contract->>'unitName', '')",
};
const NEWEST: Record<string, string> = { finance_deposits: "declared_at", finance_guarantees: "created_at", finance_financings: "created_at" };

export async function up(knex: Knex): Promise<void> {
  await knex.raw("create extension if not exists pg_trgm");
  await knex.raw(bigramsSql("finance_bigrams"));
  for (const [table, text] of Object.entries(SEARCH)) {
    await knex.raw(`alter table ${table} add column search text generated always as (lower(normalize(${text}, NFKC))) stored`);
    await knex.raw(`create index ${table}_search_trgm on ${table} using gin (search gin_trgm_ops)`);
    await knex.raw(`create index ${table}_search_bigrams on ${table} using gin (finance_bigrams(search))`);
    await knex.raw(`create index ${table}_recent on ${table} (${NEWEST[table]} desc, id desc)`);
  }
  // a supplier's own deposits and guarantees, the list's first page without reading others'
  await knex.raw("create index finance_deposits_supplier_recent on finance_deposits (supplier_code, declared_at desc, id desc)");
  await knex.raw("create index finance_guarantees_supplier_recent on finance_guarantees (supplier_code, created_at desc, id desc)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop index if exists finance_deposits_supplier_recent");
  await knex.raw("drop index if exists finance_guarantees_supplier_recent");
  for (const table of Object.keys(SEARCH)) {
    await knex.raw(`drop index if exists ${table}_recent`);
    await knex.raw(`alter table ${table} drop column search`);
  }
  await knex.raw("drop function if exists finance_bigrams(text)");
}
