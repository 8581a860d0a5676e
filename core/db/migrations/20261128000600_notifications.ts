import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // One row per notification raised (core/events/notifications.ts): what it says and where it
  // links, once, however many people it reaches. Ids are handed out in commit order (the writer
  // holds a lock until commit), so "everything after id N" never skips a late commit: what a
  // reconnecting browser asks for.
  await knex.schema.createTable("core_notifications", (t) => {
    t.bigIncrements("id");
    // the outbox event it came from: a second delivery of that event writes nothing
    t.uuid("event_id").notNullable().unique();
    t.text("kind").notNullable();
    t.string("tenant_code", 6).notNullable();
    // { "zh-CN": ..., "en": ... }
    t.jsonb("title").notNullable();
    t.text("link").nullable();
    t.uuid("instance_id").nullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  // The inbox: who was told what, and whether they have read it. A notification to a region's
  // purchasers is thousands of rows written at once, so the table carries only what reads need:
  // no foreign keys (their per-row checks doubled the cost of a write; rows come only from
  // core_accounts and core_notifications in the same transaction, and accounts are disabled, never
  // deleted) and no index by notification.
  await knex.schema.createTable("core_inbox", (t) => {
    t.uuid("account_id").notNullable();
    t.bigInteger("notification_id").notNullable();
    t.timestamp("read_at", { useTz: true }).nullable();
    t.primary(["account_id", "notification_id"]);
  });
  // What the unread badge counts and `?unread=1` pages through.
  await knex.raw(`create index core_inbox_unread on core_inbox (account_id, notification_id) where read_at is null`);

  // Workflow instances (public notices among them) a user follows: they are told of what
  // happens to it, and their sockets sit in its room.
  await knex.schema.createTable("core_notification_follows", (t) => {
    t.uuid("account_id").notNullable().references("id").inTable("core_accounts").onDelete("CASCADE");
    t.uuid("instance_id").notNullable().references("id").inTable("core_workflow_instances").onDelete("CASCADE");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(["account_id", "instance_id"]);
    t.index(["instance_id"]);
  });

  // "Tell the owner": every active account of the unit that owns the instance.
  await knex.raw(`create index if not exists core_accounts_unit_code on core_accounts (unit_code) where unit_code is not null`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop index if exists core_accounts_unit_code`);
  await knex.schema.dropTable("core_notification_follows");
  await knex.schema.dropTable("core_inbox");
  await knex.schema.dropTable("core_notifications");
}
