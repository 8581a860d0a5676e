import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Events a subscriber could not handle after every retry (core/events/queue.ts): kept here, not
  // only in pg-boss's tables, because pg-boss archives and then deletes failed jobs after a while,
  // and an administrator must still see the error and replay the event when that comes to mind.
  await knex.schema.createTable("core_dead_letters", (t) => {
    t.bigIncrements("id");
    t.text("consumer").notNullable();
    t.uuid("event_id").notNullable();
    t.text("event").notNullable();
    t.text("stream_key");
    t.timestamp("event_at", { useTz: true }).notNullable();
    t.jsonb("payload");
    t.text("error").notNullable();
    t.integer("attempts").notNullable();
    t.timestamp("failed_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("replayed_at", { useTz: true });
    t.jsonb("replayed_by");
  });
  // One open dead letter per subscriber and event: the worker's own record and pg-boss's copy of an
  // expired last attempt (a killed node) do not make two.
  await knex.raw("create unique index core_dead_letters_open on core_dead_letters (consumer, event_id) where replayed_at is null");
  await knex.raw("create index core_dead_letters_failed on core_dead_letters (failed_at desc, id desc)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("core_dead_letters");
}
