import type { Knex } from "knex";
import { bigramsSql } from "../../../core/sdk";

// The tickets list through core's list helper: `q` by any substring of the subject (2-character
// Chinese words included) on a normalised column with a bigram index, and keyset pages newest first.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(bigramsSql("helpdesk_bigrams"));
  await knex.raw("alter table helpdesk_tickets add column search text generated always as (lower(normalize(subject, NFKC))) stored");
  await knex.raw("create index helpdesk_tickets_search_bigrams on helpdesk_tickets using gin (helpdesk_bigrams(search))");
  await knex.raw("create index helpdesk_tickets_recent on helpdesk_tickets (created_at desc, instance_id desc)");
  await knex.raw("create index helpdesk_tickets_requester_recent on helpdesk_tickets (requester_id, created_at desc, instance_id desc)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop index if exists helpdesk_tickets_requester_recent");
  await knex.raw("drop index if exists helpdesk_tickets_recent");
  await knex.raw("alter table helpdesk_tickets drop column search");
  await knex.raw("drop function if exists helpdesk_bigrams(text)");
}
