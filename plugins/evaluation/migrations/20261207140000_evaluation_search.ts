import type { Knex } from "knex";
import { bigramsSql } from "../../../core/sdk";

// The evaluations list through core's list-query helper: `q` by any substring of the tender's title
// or the purchaser's name (2-character Chinese words included) on a normalised column with bigram and
// trigram indexes, and keyset pages newest first. The separator is a control character no query contains.
export async function up(knex: Knex): Promise<void> {
  await knex.raw("create extension if not exists pg_trgm");
  await knex.raw(bigramsSql("evaluation_bigrams"));
  await knex.raw(`alter table evaluation_evaluations add column search text generated always as
    (lower(normalize(title || E'\\x1f' || unit_name, NFKC))) stored`);
  await knex.raw("create index evaluation_evaluations_search_trgm on evaluation_evaluations using gin (search gin_trgm_ops)");
  await knex.raw("create index evaluation_evaluations_search_bigrams on evaluation_evaluations using gin (evaluation_bigrams(search))");
  await knex.raw("create index evaluation_evaluations_recent on evaluation_evaluations (created_at desc, id desc)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop index if exists evaluation_evaluations_recent");
  await knex.raw("alter table evaluation_evaluations drop column search");
  await knex.raw("drop function if exists evaluation_bigrams(text)");
}
