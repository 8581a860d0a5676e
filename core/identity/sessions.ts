import crypto from "node:crypto";
import type { Knex } from "knex";
import { isUuid } from "../db";

export interface SessionRow {
  id: string;
  account_id: string;
  refresh_hash: string;
  created_at: Date;
  expires_at: Date;
  refreshed_at: Date | null;
  revoked_at: Date | null;
  revoked_reason: string | null;
  ip: string | null;
  user_agent: string | null;
}

export interface SessionOptions {
  /** how long a session lives from sign-in, refreshes included */
  lifetimeMs: number;
  /** how long a node trusts that a session is still open before asking the database again */
  checkCacheMs: number;
}

const digest = (secret: string) => crypto.createHash("sha256").update(secret).digest("hex");
/** 128 bits of HMAC-SHA256: enough that a refresh token cannot be forged, short enough to carry. */
const MAC_CHARS = 22;
const sameDigest = (a: string, b: string) => a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Signed-in sessions. An access token names its session (`sid`); the session row is what logout,
 * a password change, a reset or a disabled account revoke. Every node checks a token's session
 * before trusting it, from a short cache; a revocation is announced to every node at once
 * (`onRevoked`), and the cache's age bounds what a node that missed the announcement can miss.
 *
 * Refresh tokens are "<session id>.<random>.<mac>"; only the SHA-256 of what follows the id is
 * stored, and each refresh replaces it, so a refresh token works once. The MAC (under a key shared
 * by the nodes) tells a token this platform issued for the session from a guess: presenting one that
 * was issued and has since been used ends the session (it was copied, or raced: the owner signs in
 * again), while a guess is only refused, since anybody who knows a session's id could otherwise end
 * it (issue 13).
 */
export class Sessions {
  private readonly cache = new Map<string, { active: boolean; accountId: string | null; until: number }>();
  /** set by the kernel: tells every node which sessions were revoked */
  onRevoked: (ids: string[]) => void = () => {};

  // Sessions live in real time, as the tokens' own expiry does (jose reads the system clock): the
  // platform's travelling clock is for business dates, not for how long a sign-in lasts.
  constructor(
    private readonly knex: Knex,
    readonly options: SessionOptions,
    /** of the refresh tokens' MACs (identity's "auth.refresh-key"); tools that only open sessions may leave it out */
    private readonly refreshKey: Buffer = crypto.randomBytes(32),
  ) {}

  private mac(id: string, random: string): string {
    return crypto.createHmac("sha256", this.refreshKey).update(`${id}.${random}`).digest("base64url").slice(0, MAC_CHARS);
  }

  /** The part of a refresh token after the session id, made for this session. */
  private secretFor(id: string): string {
    const random = crypto.randomBytes(32).toString("base64url");
    return `${random}.${this.mac(id, random)}`;
  }

  /** Whether this secret was made by secretFor for this session (at any time), not made up. */
  private issuedFor(id: string, secret: string): boolean {
    const dot = secret.lastIndexOf(".");
    if (dot < 0) return false;
    const given = Buffer.from(secret.slice(dot + 1));
    const expected = Buffer.from(this.mac(id, secret.slice(0, dot)));
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  }

  async open(db: Knex | Knex.Transaction, accountId: string, meta: { ip?: string; userAgent?: string } = {}): Promise<{ session: SessionRow; refreshToken: string }> {
    // The id is made here, not by the database: the refresh token's MAC covers it.
    const id = crypto.randomUUID();
    const secret = this.secretFor(id);
    const now = Date.now();
    const [session] = await db<SessionRow>("core_sessions")
      .insert({
        id,
        account_id: accountId,
        refresh_hash: digest(secret),
        created_at: new Date(now),
        expires_at: new Date(now + this.options.lifetimeMs),
        ip: meta.ip ?? null,
        user_agent: meta.userAgent?.slice(0, 400) ?? null,
      })
      .returning("*");
    return { session, refreshToken: `${session.id}.${secret}` };
  }

  /**
   * Exchanges a refresh token for a new one. Null when the token is unknown, used, expired or
   * revoked; the caller answers every such case alike.
   */
  async rotate(refreshToken: string): Promise<{ session: SessionRow; refreshToken: string } | null> {
    const dot = refreshToken.indexOf(".");
    const id = refreshToken.slice(0, dot);
    const secret = refreshToken.slice(dot + 1);
    if (dot < 0 || !isUuid(id) || !secret) return null;
    const session = await this.knex<SessionRow>("core_sessions").where({ id }).first();
    const now = Date.now();
    if (!session || session.revoked_at || new Date(session.expires_at).getTime() <= now) return null;
    if (!sameDigest(digest(secret), session.refresh_hash)) {
      // One this platform issued for the session, but not the current one: used before, so a copy
      // is in other hands. Anything else is a guess, which must not end the owner's session.
      if (this.issuedFor(id, secret)) await this.revoke(id, "refresh-token-reused");
      return null;
    }
    const next = this.secretFor(id);
    // Compare-and-set: of two refreshes with the same token, one wins.
    const [updated] = await this.knex<SessionRow>("core_sessions")
      .where({ id, refresh_hash: session.refresh_hash })
      .whereNull("revoked_at")
      .update({ refresh_hash: digest(next), refreshed_at: new Date(now) })
      .returning("*");
    if (!updated) {
      await this.revoke(id, "refresh-token-reused");
      return null;
    }
    return { session: updated, refreshToken: `${id}.${next}` };
  }

  async revoke(id: string, reason: string): Promise<void> {
    const ids = await this.knex("core_sessions")
      .where({ id })
      .whereNull("revoked_at")
      .update({ revoked_at: new Date(Date.now()), revoked_reason: reason })
      .returning("id");
    this.announce(ids.map((r: { id: string }) => r.id).concat(id));
  }

  /**
   * Ends every open session of an account (but `except`). In a transaction, the other nodes are
   * told once it commits.
   */
  async revokeAll(db: Knex | Knex.Transaction, accountId: string, reason: string, except?: string): Promise<string[]> {
    const q = db("core_sessions").where({ account_id: accountId }).whereNull("revoked_at");
    if (except) q.whereNot({ id: except });
    const rows: Array<{ id: string }> = await q.update({ revoked_at: new Date(Date.now()), revoked_reason: reason }).returning("id");
    const ids = rows.map((r) => r.id);
    if (ids.length) {
      const trx = db as Knex.Transaction;
      if (typeof trx.isTransaction === "boolean" && trx.isTransaction) trx.executionPromise.then(() => this.announce(ids), () => {});
      else this.announce(ids);
    }
    return ids;
  }

  /**
   * Whether the session an access token names is still open, and is the session of the account the
   * token is about (a token's `sid` and `sub` are one sign-in's, never mixed).
   */
  async isActive(user: { id: string; sessionId?: string }): Promise<boolean> {
    const id = user.sessionId;
    if (!id || !isUuid(id)) return false;
    const now = Date.now();
    let hit = this.cache.get(id);
    if (!hit || (hit.until <= now && hit.active)) {
      const row = await this.knex<SessionRow>("core_sessions").where({ id }).first("account_id", "revoked_at", "expires_at");
      const active = !!row && !row.revoked_at && new Date(row.expires_at).getTime() > Date.now();
      hit = this.remember(id, active, row?.account_id ?? null, now);
    }
    return hit.active && hit.accountId === user.id;
  }

  /** Another node revoked these: stop trusting them here at once. */
  forget(ids: string[]): void {
    for (const id of ids) this.remember(id, false, null, Date.now());
  }

  private announce(ids: string[]): void {
    const unique = [...new Set(ids)];
    this.forget(unique);
    this.onRevoked(unique);
  }

  private remember(id: string, active: boolean, accountId: string | null, now: number): { active: boolean; accountId: string | null; until: number } {
    if (this.cache.size >= 50_000) this.cache.delete(this.cache.keys().next().value!);
    const entry = { active, accountId, until: now + this.options.checkCacheMs };
    this.cache.set(id, entry);
    return entry;
  }
}
