import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // One row per person who signs in. Usernames are unique platform-wide, whatever their case.
  await knex.schema.createTable("core_accounts", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    t.text("username").notNullable();
    t.text("username_key").notNullable().unique();
    t.text("display_name").notNullable();
    t.string("tenant_code", 6).notNullable();
    t.text("unit_code").nullable();
    t.specificType("roles", "text[]").notNullable();
    t.text("status").notNullable().defaultTo("active");
    // How the account's password is checked:
    //   none      no password yet: nobody can sign in until an administrator resets it
    //   initial   the unit's budget code, checked against budget_code_mac; must be changed at once
    //   one-time  a random password an administrator was shown once (password_hash); must be changed
    //   chosen    the user's own password (password_hash, argon2id)
    t.text("password_kind").notNullable().defaultTo("none");
    t.text("password_hash").nullable();
    // HMAC-SHA256 of the budget code under the platform's initial-password key: checks the first
    // sign-in and refuses the budget code as a new password, without keeping the code itself.
    t.text("budget_code_mac").nullable();
    t.timestamp("password_set_at", { useTz: true }).nullable();
    // initial and one-time passwords stop working at this instant
    t.timestamp("password_expires_at", { useTz: true }).nullable();
    // the old system's username, kept for re-imports (the tenant's rule may have made a new one)
    t.text("legacy_username").nullable();
    t.integer("version").notNullable().defaultTo(1);
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(["tenant_code"]);
    t.unique(["tenant_code", "legacy_username"]);
  });
  await knex.raw(`alter table core_accounts add column privileged boolean generated always as ('platform-admin' = any(roles)) stored`);
  await knex.raw(`alter table core_accounts add constraint core_accounts_status check (status in ('active','disabled'))`);
  await knex.raw(`alter table core_accounts add constraint core_accounts_password_kind check (password_kind in ('none','initial','one-time','chosen'))`);
  await knex.raw(`alter table core_accounts add constraint core_accounts_password_present check (
    (password_kind = 'none') or (password_kind = 'initial' and budget_code_mac is not null) or (password_kind in ('one-time','chosen') and password_hash is not null))`);
  await knex.raw(`alter table core_accounts add constraint core_accounts_roles check (cardinality(roles) > 0)`);
  await knex.raw(`create index core_accounts_initial on core_accounts (tenant_code) where password_kind = 'initial'`);

  // A signed-in browser or script: refresh tokens are kept as SHA-256 digests, never in clear.
  await knex.schema.createTable("core_sessions", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    t.uuid("account_id").notNullable().references("id").inTable("core_accounts").onDelete("CASCADE");
    t.text("refresh_hash").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("expires_at", { useTz: true }).notNullable();
    t.timestamp("refreshed_at", { useTz: true }).nullable();
    t.timestamp("revoked_at", { useTz: true }).nullable();
    t.text("revoked_reason").nullable();
    t.text("ip").nullable();
    t.text("user_agent").nullable();
    t.index(["account_id"]);
  });

  // Failed sign-ins per username (known or not, so that locking says nothing about existence).
  await knex.schema.createTable("core_login_attempts", (t) => {
    t.text("username_key").primary();
    t.integer("attempts").notNullable();
    t.timestamp("window_start", { useTz: true }).notNullable();
    t.timestamp("locked_until", { useTz: true }).nullable();
  });

  // Fixed-window counters shared by every node (e.g. sign-in attempts per client address).
  await knex.schema.createTable("core_rate_limits", (t) => {
    t.text("key").notNullable();
    t.timestamp("window_start", { useTz: true }).notNullable();
    t.integer("count").notNullable();
    t.primary(["key", "window_start"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("core_rate_limits");
  await knex.schema.dropTable("core_login_attempts");
  await knex.schema.dropTable("core_sessions");
  await knex.schema.dropTable("core_accounts");
}
