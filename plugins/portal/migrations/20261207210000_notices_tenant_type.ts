import type { Knex } from "knex";

/**
 * A region's notices of one type (the portal's tabs: intentions, tenders, results, contracts), newest
 * first: a region and a type narrow a search to a quarter of the region's rows before any word is
 * looked for. Over 1.1 million notices, a region-type-year search for a frequent word counted its
 * matches in 23 ms instead of 35, and its p99 at 10 callers fell from 332 to 198 ms (README, issue 16).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw("create index portal_notices_tenant_type_newest on portal_notices (tenant_code, type, published_at desc, id desc) where withdrawn_at is null");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop index if exists portal_notices_tenant_type_newest");
}
