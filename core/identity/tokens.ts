import crypto from "node:crypto";
import { SignJWT, jwtVerify } from "jose";
import type { Knex } from "knex";
import type { SessionUser } from "../plugins/types";
import { unauthenticated } from "../errors";
import { sharedSecret } from "./keys";
import { platform } from "../platform";

const ISSUER = platform.id;
const AUDIENCE = `${platform.id}-api`;
// Pinned: a token that names another algorithm (or "none") is refused, whatever its header says.
const ALG = "HS256";

/**
 * Signed access tokens. Every node must verify every other node's tokens, so the key is either
 * AUTH_SECRET or a random key created once in the shared database.
 */
/** tokens whose signature and claims were checked, kept until they expire: at most this many (the oldest go first) */
const VERIFIED_MAX = 10_000;

export class Tokens {
  /**
   * Tokens already verified, by their exact text, with their user and expiry: a client sends the
   * same token with every request for its quarter of an hour, and checking its HMAC each time (an
   * asynchronous WebCrypto job in jose) was an eighth of a node's CPU under load. The same bytes
   * verify the same way: a token is taken from here only while unexpired, and a forged or altered
   * one is never here. Whether its session is still open is checked on every request (the gateway).
   */
  private readonly verified = new Map<string, { user: SessionUser; expiresMs: number }>();

  constructor(private readonly key: Uint8Array) {
    if (key.length < 32) throw new Error("the token signing key must be at least 32 bytes");
  }

  static async load(knex: Knex, env: NodeJS.ProcessEnv = process.env): Promise<Tokens> {
    if (env.AUTH_SECRET) return new Tokens(new TextEncoder().encode(env.AUTH_SECRET));
    return new Tokens(await sharedSecret(knex, "auth.signing-key"));
  }

  /** An access token for a user in a session (`sid`); the session is what logout revokes. */
  async issue(user: SessionUser, ttlSeconds = 15 * 60): Promise<string> {
    return new SignJWT({
      username: user.username,
      tenant: user.tenantCode,
      roles: user.roles,
      unit: user.unitCode,
      sid: user.sessionId,
      ...(user.mustChangePassword ? { pwc: true } : {}),
      ...(user.oversees ? { ovr: true } : {}),
    })
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
    const known = this.verified.get(token);
    if (known) {
      // (jose's own test: expired once the clock reaches `exp`)
      if (Date.now() < known.expiresMs) return { ...known.user, roles: [...known.user.roles] };
      this.verified.delete(token);
    }
    const user = await this.check(token);
    if (this.verified.size >= VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, user);
    return { ...user.user, roles: [...user.user.roles] };
  }

  private async check(token: string): Promise<{ user: SessionUser; expiresMs: number }> {
    try {
      // jose checks `exp` only when a token has one: a token without it would never expire.
      const { payload } = await jwtVerify(token, this.key, { algorithms: [ALG], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ["exp", "sub", "sid"] });
      if (typeof payload.sub !== "string" || typeof payload.tenant !== "string" || !Array.isArray(payload.roles)) throw new Error("claims");
      const user: SessionUser = {
        id: payload.sub,
        username: String(payload.username ?? ""),
        tenantCode: payload.tenant,
        roles: (payload.roles as unknown[]).map(String),
        unitCode: typeof payload.unit === "string" ? payload.unit : undefined,
        sessionId: typeof payload.sid === "string" ? payload.sid : undefined,
        mustChangePassword: payload.pwc === true,
        oversees: payload.ovr === true,
      };
      return { user, expiresMs: Number(payload.exp) * 1000 };
    } catch {
      throw unauthenticated();
    }
  }
}
