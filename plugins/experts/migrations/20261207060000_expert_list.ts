import type { Knex } from "knex";
import { bigramsSql } from "../../../core/sdk";

// The regulator's experts list through core's list helper: `q` by any substring of the expert's
// or the employer's name (2-character Chinese names included) on a normalised column with a bigram
// index, and keyset pages in the order of application. The separator is a control character no query contains.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(bigramsSql("experts_bigrams"));
  await knex.raw(`alter table experts_experts add column search text generated always as
    (lower(normalize(name || E'\\x1f' || employer_name, NFKC))) stored`);
  await knex.raw("create index experts_experts_search_bigrams on experts_experts using gin (experts_bigrams(search))");
  await knex.raw("create index experts_experts_listed on experts_experts (created_at, id)");
  // the drawings list, newest first
  await knex.raw("create index experts_drawings_recent on experts_drawings (committed_at desc, id desc)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop index if exists experts_drawings_recent");
  await knex.raw("drop index if exists experts_experts_listed");
  await knex.raw("alter table experts_experts drop column search");
  await knex.raw("drop function if exists experts_bigrams(text)");
}
