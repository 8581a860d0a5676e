import crypto from "node:crypto";
import { SignJWT, jwtVerify } from "jose";
import type { Knex } from "knex";
import type { SessionUser } from "../plugins/types";
import { unauthenticated } from "../errors";

const ISSUER = "gd-procurement";
const AUDIENCE = "gd-procurement-api";
// Pinned: a token that names another algorithm (or "none") is refused, whatever its header says.
const ALG = "HS256";

/**
 * Signed access tokens. Every node must verify every other node's tokens, so the key is either
 * AUTH_SECRET or a random key created once in the shared database.
 */
export class Tokens {
  constructor(private readonly key: Uint8Array) {
    if (key.length < 32) throw new Error("the token signing key must be at least 32 bytes");
  }

  static async load(knex: Knex, env: NodeJS.ProcessEnv = process.env): Promise<Tokens> {
    if (env.AUTH_SECRET) return new Tokens(new TextEncoder().encode(env.AUTH_SECRET));
    const candidate = crypto.randomBytes(48).toString("base64");
    // Nodes starting together: the first insert wins, the others read it.
    await knex("core_settings").insert({ key: "auth.signing-key", value: JSON.stringify(candidate) }).onConflict("key").ignore();
    const row = await knex("core_settings").where({ key: "auth.signing-key" }).first();
    return new Tokens(Buffer.from(row.value as string, "base64"));
  }

  async issue(user: SessionUser, ttlSeconds = 15 * 60): Promise<string> {
    return new SignJWT({ username: user.username, tenant: user.tenantCode, roles: user.roles, unit: user.unitCode })
      .setProtectedHeader({ alg: ALG })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setJti(crypto.randomUUID())
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.key);
  }

  async verify(token: string): Promise<SessionUser> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: [ALG], issuer: ISSUER, audience: AUDIENCE });
      if (typeof payload.sub !== "string" || typeof payload.tenant !== "string" || !Array.isArray(payload.roles)) throw new Error("claims");
      return {
        id: payload.sub,
        username: String(payload.username ?? ""),
        tenantCode: payload.tenant,
        roles: (payload.roles as unknown[]).map(String),
        unitCode: typeof payload.unit === "string" ? payload.unit : undefined,
        sessionId: payload.jti,
      };
    } catch {
      throw unauthenticated();
    }
  }
}
