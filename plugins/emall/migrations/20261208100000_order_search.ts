import type { Knex } from "knex";
import { bigramsSql } from "../../../core/sdk";

// The orders list through core's list-query helper: `q` by any substring of the purchaser's, the
// supplier's or an ordered product's name (2-character Chinese words included) on one normalised
// column with bigram and trigram indexes, and keyset pages newest first for each party's view. The
// separator is a control character no query contains.
export async function up(knex: Knex): Promise<void> {
  await knex.raw("create extension if not exists pg_trgm");
  await knex.raw(bigramsSql("emall_bigrams"));
  await knex.raw(`alter table emall_orders add column search text generated always as
    (lower(normalize(unit_name || E'\\x1f' || supplier_name || E'\\x1f' || jsonb_path_query_array(lines, '$[*].productName')::text, NFKC))) stored`);
  await knex.raw("create index emall_orders_search_trgm on emall_orders using gin (search gin_trgm_ops)");
  await knex.raw("create index emall_orders_search_bigrams on emall_orders using gin (emall_bigrams(search))");
  await knex.raw("create index emall_orders_recent on emall_orders (created_at desc, id desc)");
  await knex.raw("create index emall_orders_region_recent on emall_orders (tenant_code, created_at desc, id desc)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop index if exists emall_orders_region_recent");
  await knex.raw("drop index if exists emall_orders_recent");
  await knex.raw("alter table emall_orders drop column search");
  await knex.raw("drop function if exists emall_bigrams(text)");
}
