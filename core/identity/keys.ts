import crypto from "node:crypto";
import type { Knex } from "knex";

/**
 * A random secret created once in the shared database (core_settings) and read by every node:
 * the first insert wins when nodes start together.
 */
export async function sharedSecret(knex: Knex, key: string, bytes = 48): Promise<Buffer> {
  const candidate = crypto.randomBytes(bytes).toString("base64");
  await knex("core_settings").insert({ key, value: JSON.stringify(candidate) }).onConflict("key").ignore();
  const row = await knex("core_settings").where({ key }).first();
  return Buffer.from(row.value as string, "base64");
}

/**
 * The key of the first-password MACs (core_accounts.initial_mac). Kept apart from the token
 * signing key, so that rotating AUTH_SECRET does not lock out every account still on its first
 * password.
 */
export const initialPasswordKey = (knex: Knex): Promise<Buffer> => sharedSecret(knex, "auth.initial-password-key");

/** The key of the refresh tokens' MACs (core/identity/sessions.ts), the same on every node. */
export const refreshTokenKey = (knex: Knex): Promise<Buffer> => sharedSecret(knex, "auth.refresh-key");
