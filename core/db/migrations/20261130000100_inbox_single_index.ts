import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // core_inbox had two b-trees keyed (account_id, notification_id): the primary key and a partial
  // index of the unread rows. A notification to 1,000 people inserts 1,000 entries into each, at
  // 1,000 random places (the account leads): a large part of what writing a notification cost.
  // One b-tree now: the primary key carries read_at (INCLUDE), so the unread badge and the total are
  // index-only scans of the account's own entries, and the unread page walks them. Measured on
  // 1,000-recipient writes: 22–40% less time and 30% less WAL per notification
  // (core/gateway/README.md, "Benchmark").
  //
  // Rebuilding the primary key locks core_inbox while it builds (a time that grows with the table).
  await knex.raw(`alter table core_inbox drop constraint core_inbox_pkey, add constraint core_inbox_pkey primary key (account_id, notification_id) include (read_at)`);
  await knex.raw(`drop index if exists core_inbox_unread`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`create index if not exists core_inbox_unread on core_inbox (account_id, notification_id) where read_at is null`);
  await knex.raw(`alter table core_inbox drop constraint core_inbox_pkey, add constraint core_inbox_pkey primary key (account_id, notification_id)`);
}
