import type { Knex } from "knex";
import { bigramsSql } from "../../gateway/list-query";

// The accounts, dead letters and workflow instances lists through the gateway's list helper (core/gateway/list-query.ts):
// `q` by any substring (2-character Chinese names included) of one normalised column, served by a
// bigram index and, for 3+ letters, a trigram index, instead of ILIKE over raw columns (a full
// scan); keyset pages in each list's order. The separator is a control character no query contains.
export async function up(knex: Knex): Promise<void> {
  await knex.raw("create extension if not exists pg_trgm");
  await knex.raw(bigramsSql("core_bigrams"));
  await knex.raw(`alter table core_accounts add column search text generated always as
    (lower(normalize(username || E'\\x1f' || display_name || E'\\x1f' || coalesce(unit_code, '') || E'\\x1f' || coalesce(legacy_username, ''), NFKC))) stored`);
  await knex.raw("create index core_accounts_search_trgm on core_accounts using gin (search gin_trgm_ops)");
  await knex.raw("create index core_accounts_search_bigrams on core_accounts using gin (core_bigrams(search))");
  // the list's order, walked by its cursor
  await knex.raw("create index core_accounts_listed on core_accounts (tenant_code, username_key)");
  await knex.raw(`alter table core_dead_letters add column search text generated always as
    (lower(normalize(consumer || E'\\x1f' || event || E'\\x1f' || event_id::text || E'\\x1f' || coalesce(stream_key, '') || E'\\x1f' || error, NFKC))) stored`);
  await knex.raw("create index core_dead_letters_search_bigrams on core_dead_letters using gin (core_bigrams(search))");
  // the workspace's instances, recently changed first, walked by their cursor
  await knex.raw("create index core_workflow_instances_recent on core_workflow_instances (updated_at desc, id desc)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop index if exists core_workflow_instances_recent");
  await knex.raw("alter table core_dead_letters drop column search");
  await knex.raw("drop index if exists core_accounts_listed");
  await knex.raw("alter table core_accounts drop column search");
  await knex.raw("drop function if exists core_bigrams(text)");
}
