import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Events written in the same transaction as the change they announce (core/events/outbox.ts);
  // the relay publishes them after commit, in id order, and stamps sent_at.
  await knex.schema.createTable("core_outbox", (t) => {
    t.bigIncrements("id");
    t.uuid("event_id").notNullable().unique().defaultTo(knex.raw("gen_random_uuid()"));
    t.text("event").notNullable();
    t.jsonb("payload").notNullable();
    // Events with the same key (e.g. a workflow instance id) are published in the order they were written.
    t.text("stream_key").nullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("sent_at", { useTz: true }).nullable();
    // failed publications of this row so far, and the last reason (for operators)
    t.integer("attempts").notNullable().defaultTo(0);
    t.text("last_error").nullable();
  });
  // What the relay reads: the unsent rows, oldest first. Sent rows leave the index.
  await knex.raw(`create index core_outbox_unsent on core_outbox (id) where sent_at is null`);
  // What the clean-up deletes by.
  await knex.raw(`create index core_outbox_sent_at on core_outbox (sent_at) where sent_at is not null`);
  // Every insert wakes the relays of every node at commit (LISTEN core_outbox), however the row
  // was written. One notification per statement; PostgreSQL folds those of one transaction into one.
  await knex.raw(`create function core_outbox_notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify('core_outbox', '');
      return null;
    end $$`);
  await knex.raw(`create trigger core_outbox_notify after insert on core_outbox for each statement execute function core_outbox_notify()`);

  // One row per event a consumer has handled: written in the consumer's own transaction, so that
  // a second delivery of the same event finds it and does nothing.
  await knex.schema.createTable("core_event_receipts", (t) => {
    t.text("consumer").notNullable();
    t.uuid("event_id").notNullable();
    t.timestamp("received_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(["consumer", "event_id"]);
    t.index(["received_at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("core_event_receipts");
  await knex.schema.dropTable("core_outbox");
  await knex.raw(`drop function core_outbox_notify()`);
}
