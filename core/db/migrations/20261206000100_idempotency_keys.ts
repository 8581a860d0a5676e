import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // A write's Idempotency-Key (core/workflow/README.md): written in the transaction of the write it
  // names, so that the key exists exactly when the write does; the primary key makes a second
  // write with the same key wait for the first and then fail, and its caller gets the first result.
  await knex.schema.createTable("core_idempotency_keys", (t) => {
    t.uuid("account_id").notNullable();
    t.text("key").notNullable();
    /** what was asked ("start <workflow>", "transition <instance> <name>"): the same key for another request is refused */
    t.text("request").notNullable();
    t.jsonb("result").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(["account_id", "key"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("core_idempotency_keys");
}
