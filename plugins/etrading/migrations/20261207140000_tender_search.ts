import type { Knex } from "knex";
import { bigramsSql } from "../../../core/sdk";

// The tenders list through core's list-query helper: `q` by any substring of the tender's title or
// the purchaser's name (2-character Chinese words included) on a normalised column with bigram and
// trigram indexes instead of ILIKE '%…%' over the raw title (a full scan), and keyset pages in the
// list's order (deadline first). The separator is a control character no query contains.
export async function up(knex: Knex): Promise<void> {
  await knex.raw("create extension if not exists pg_trgm");
  await knex.raw(bigramsSql("etrading_bigrams"));
  await knex.raw(`alter table etrading_tenders add column search text generated always as
    (lower(normalize(title || E'\\x1f' || unit_name, NFKC))) stored`);
  await knex.raw("create index etrading_tenders_search_trgm on etrading_tenders using gin (search gin_trgm_ops)");
  await knex.raw("create index etrading_tenders_search_bigrams on etrading_tenders using gin (etrading_bigrams(search))");
  await knex.raw("create index etrading_tenders_deadline_order on etrading_tenders (bid_deadline, id)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop index if exists etrading_tenders_deadline_order");
  await knex.raw("alter table etrading_tenders drop column search");
  await knex.raw("drop function if exists etrading_bigrams(text)");
}
