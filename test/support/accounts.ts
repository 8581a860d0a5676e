import type { Knex } from "knex";
import { Tokens } from "../../core/identity/tokens";
import { Sessions } from "../../core/identity/sessions";
import { usernameKey } from "../../core/identity/accounts";

export interface TestUser {
  username: string;
  tenantCode: string;
  roles: readonly string[];
  unitCode?: string;
}

/**
 * For tests whose nodes run in other processes: an account (without a password: it cannot sign
 * in itself) and an open session in the shared database, and an access token for it, signed with
 * the key the nodes created there. What a sign-in would give, without the sign-in.
 */
export async function signedIn(knex: Knex, user: TestUser): Promise<{ id: string; token: string }> {
  const [row] = await knex("core_accounts")
    .insert({ username: user.username, username_key: usernameKey(user.username), display_name: user.username, tenant_code: user.tenantCode, unit_code: user.unitCode ?? null, roles: [...user.roles] })
    .returning("*");
  const { session } = await new Sessions(knex, { lifetimeMs: 3600_000, checkCacheMs: 0 }).open(knex, row.id);
  const tokens = await Tokens.load(knex);
  const token = await tokens.issue({ id: row.id, username: row.username, tenantCode: row.tenant_code, roles: row.roles, unitCode: row.unit_code ?? undefined, sessionId: session.id });
  return { id: row.id, token };
}
