import type { Knex } from "knex";
import { bigramsSql } from "../../../core/sdk";

// The public credit page's two lists through core's list-query helper instead of ILIKE '%…%' over
// raw columns (a full scan of a million entries): `q` by any substring of the credit code or the
// name (and a penalty's title), on a normalised column, and keyset pages newest first. The separator is a control character no query contains. A day as its number
// since 1970 is the lists' sort key (nulls as -1, last): core's cursors carry integers, not dates.
// The entries get the column and the order's index but no GIN index: a list of a million entries
// is imported in one statement per 5,000 rows, and keeping bigram and trigram indexes up to date made
// that import about 7× slower (200,000 entries: 24.2 s with them, 5.0 s with the column and the order's
// index, 3.6 s before; test/bench/screening.ts on a quiet 2-core machine), past its 60-second target
// at a million; their search scans the current entries (strpos first, then the bigram check on the
// few that match). The penalties, written one at a time, get both indexes.
export async function up(knex: Knex): Promise<void> {
  await knex.raw("create extension if not exists pg_trgm");
  await knex.raw(bigramsSql("credit_bigrams"));
  await knex.raw(`alter table credit_list_entries add column search text generated always as
    (lower(normalize(code || E'\\x1f' || name, NFKC))) stored`);
  await knex.raw(`create index credit_list_entries_recent on credit_list_entries
    (coalesce(listed_on - date '1970-01-01', -1) desc, list desc, code desc, valid_from desc) where valid_to is null`);
  await knex.raw(`alter table credit_facts add column search text generated always as
    (lower(normalize(subject_code || E'\\x1f' || coalesce(subject_name, '') || E'\\x1f' || title_zh, NFKC))) stored`);
  await knex.raw("create index credit_facts_search_trgm on credit_facts using gin (search gin_trgm_ops) where published and kind = 'penalty'");
  await knex.raw("create index credit_facts_search_bigrams on credit_facts using gin (credit_bigrams(search)) where published and kind = 'penalty'");
  await knex.raw("create index credit_facts_penalties_recent on credit_facts ((occurred_on - date '1970-01-01') desc, id desc) where published and kind = 'penalty'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop index if exists credit_facts_penalties_recent");
  await knex.raw("alter table credit_facts drop column search");
  await knex.raw("drop index if exists credit_list_entries_recent");
  await knex.raw("alter table credit_list_entries drop column search");
  await knex.raw("drop function if exists credit_bigrams(text)");
}
