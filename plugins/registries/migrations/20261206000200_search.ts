import type { Knex } from "knex";
import { bigramsSql } from "../../../core/sdk";

// Name search of every registry list by any substring, 2-character Chinese words included, through
// core's list-query helper (whereContains): a stored normalised column with a bigram index, and
// the trigram index moved onto it (ILIKE '%…%' on the raw name was a full scan for 2-character
// words and lowercased every row at query time).
const TABLES = ["registries_suppliers", "registries_agencies", "registries_purchasers"];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(bigramsSql("registries_bigrams"));
  for (const table of TABLES) {
    await knex.raw(`alter table ${table} add column search text generated always as (lower(normalize(name, NFKC))) stored`);
    await knex.raw(`drop index if exists ${table}_name_trgm`);
    await knex.raw(`create index ${table}_search_trgm on ${table} using gin (search gin_trgm_ops)`);
    await knex.raw(`create index ${table}_search_bigrams on ${table} using gin (registries_bigrams(search))`);
    // the lists' order (name, then the key): keyset pages walk this index
    const key = table === "registries_purchasers" ? "id" : "credit_code";
    await knex.raw(`create index ${table}_name_order on ${table} (name, ${key})`);
    // one region's (or tenant's) records in name order: names begin with their city's, so walking
    // the name index for a late-sorting city reads most of the table first (1.3 s at a million)
    const region = table === "registries_purchasers" ? "tenant_code" : "region";
    await knex.raw(`create index ${table}_region_name on ${table} (${region}, name, ${key})`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.raw(`drop index if exists ${table}_name_order`);
    await knex.raw(`drop index if exists ${table}_region_name`);
    await knex.raw(`alter table ${table} drop column search`);
    await knex.raw(`create index ${table}_name_trgm on ${table} using gin (name gin_trgm_ops)`);
  }
  await knex.raw("drop function if exists registries_bigrams(text)");
}
