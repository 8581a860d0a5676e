import type { Knex } from "knex";

// Core knows no procurement: an account's first password is whatever the platform's
// initial-credential rule says (core/identity/credential.ts), not by name a budget code. The check
// constraint follows the column (PostgreSQL renames it there too).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("core_accounts", (t) => t.renameColumn("budget_code_mac", "initial_mac"));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("core_accounts", (t) => t.renameColumn("initial_mac", "budget_code_mac"));
}
