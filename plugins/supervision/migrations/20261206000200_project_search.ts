import type { Knex } from "knex";
import { bigramsSql } from "../../../core/sdk";

// The workspace's project list through core's list-query helper: `q` by any substring of the
// project's or the unit's name (2-character Chinese words included) on a normalised column with
// bigram and trigram indexes instead of ILIKE '%…%' over two raw columns (a full scan), and keyset
// pages in the list's order. The separator is a control character no query contains.
export async function up(knex: Knex): Promise<void> {
  await knex.raw("create extension if not exists pg_trgm");
  await knex.raw(bigramsSql("supervision_bigrams"));
  await knex.raw(`alter table supervision_projects add column search text generated always as
    (lower(normalize(name || E'\\x1f' || unit_name, NFKC))) stored`);
  await knex.raw("create index supervision_projects_search_trgm on supervision_projects using gin (search gin_trgm_ops)");
  await knex.raw("create index supervision_projects_search_bigrams on supervision_projects using gin (supervision_bigrams(search))");
  await knex.raw("create index supervision_projects_recent on supervision_projects (updated_at desc, id desc)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop index if exists supervision_projects_recent");
  await knex.raw("alter table supervision_projects drop column search");
  await knex.raw("drop function if exists supervision_bigrams(text)");
}
