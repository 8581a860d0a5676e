import type { Knex } from "knex";
import type { Localized } from "../errors";

export type PasswordKind = "none" | "initial" | "one-time" | "chosen";

export const ACCOUNT: Localized = { "zh-CN": "账号", en: "account" };

/** A row of core_accounts as the database returns it. */
export interface AccountRow {
  id: string;
  username: string;
  username_key: string;
  display_name: string;
  tenant_code: string;
  unit_code: string | null;
  roles: string[];
  status: "active" | "disabled";
  password_kind: PasswordKind;
  password_hash: string | null;
  /** the MAC of the first password the initial-credential rule gave it (core/identity/credential.ts) */
  initial_mac: string | null;
  password_set_at: Date | null;
  password_expires_at: Date | null;
  legacy_username: string | null;
  version: number;
  privileged: boolean;
  created_at: Date;
  updated_at: Date;
}

/** What an administrator (or the account's owner) may see of an account: never a hash or a MAC. */
export interface AccountView {
  id: string;
  username: string;
  displayName: string;
  tenantCode: string;
  unitCode: string | null;
  roles: string[];
  status: "active" | "disabled";
  passwordKind: PasswordKind;
  /** the password in use is a first or one-time password that must be changed at sign-in */
  mustChangePassword: boolean;
  passwordExpiresAt: string | null;
  legacyUsername: string | null;
  privileged: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** Usernames compare without regard to case or surrounding space. */
export const usernameKey = (username: string): string => username.trim().normalize("NFKC").toLowerCase();

export const mustChange = (kind: PasswordKind): boolean => kind === "initial" || kind === "one-time";

export function accountView(row: AccountRow): AccountView {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    tenantCode: row.tenant_code,
    unitCode: row.unit_code,
    roles: row.roles,
    status: row.status,
    passwordKind: row.password_kind,
    mustChangePassword: mustChange(row.password_kind),
    passwordExpiresAt: row.password_expires_at ? new Date(row.password_expires_at).toISOString() : null,
    legacyUsername: row.legacy_username,
    privileged: row.privileged,
    version: row.version,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/**
 * The fields CASL conditions on Account read (camelCase, as in AccountView); scopeQuery maps them
 * to the snake_case columns.
 */
export const accountSubject = (row: AccountRow) => accountView(row);

export const findByUsername = (db: Knex | Knex.Transaction, username: string): Promise<AccountRow | undefined> =>
  db<AccountRow>("core_accounts").where({ username_key: usernameKey(username) }).first();

export const findById = (db: Knex | Knex.Transaction, id: string): Promise<AccountRow | undefined> =>
  db<AccountRow>("core_accounts").where({ id }).first();
