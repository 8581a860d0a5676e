import type { Knex } from "knex";
import { bigramsSql } from "../../../core/sdk";

// The challenges and complaints lists through core's list-query helper: `q` by any substring of the
// tender's title (2-character Chinese words included) on a normalised column of the challenge, with
// bigram and trigram indexes (a complaint is searched through its challenge), and keyset pages newest first.
export async function up(knex: Knex): Promise<void> {
  await knex.raw("create extension if not exists pg_trgm");
  await knex.raw(bigramsSql("complaints_bigrams"));
  await knex.raw("alter table complaints_challenges add column search text generated always as (lower(normalize(tender_title, NFKC))) stored");
  await knex.raw("create index complaints_challenges_search_trgm on complaints_challenges using gin (search gin_trgm_ops)");
  await knex.raw("create index complaints_challenges_search_bigrams on complaints_challenges using gin (complaints_bigrams(search))");
  await knex.raw("create index complaints_challenges_recent on complaints_challenges (filed_at desc, id desc)");
  await knex.raw("create index complaints_complaints_recent on complaints_complaints (filed_at desc, id desc)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop index if exists complaints_complaints_recent");
  await knex.raw("drop index if exists complaints_challenges_recent");
  await knex.raw("alter table complaints_challenges drop column search");
  await knex.raw("drop function if exists complaints_bigrams(text)");
}
