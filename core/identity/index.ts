import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Knex } from "knex";
import type { KernelConfig } from "../config";
import { PlatformError, validationFailed, type Localized } from "../errors";
import { writeAudit } from "../audit/log";
import type { SessionUser } from "../plugins/types";
import type { TenantTree } from "../tenancy/tree";
import type { Clock } from "../tenancy/clock";
import { Tokens } from "./tokens";
import { Sessions } from "./sessions";
import { initialPasswordKey, refreshTokenKey } from "./keys";
import { findById, findByUsername, mustChange, usernameKey, type AccountRow, type AccountView } from "./accounts";
import { importAccounts } from "./account-import";
import { burnVerification, hashPassword, passwordProblems, sameMac, verifyPassword } from "./passwords";
import { macOf, type InitialCredential } from "./credential";
import type { RoleBook } from "./roles";

export interface LockoutLimit {
  failures: number;
  windowMs: number;
  lockMs: number;
}

/**
 * Failed sign-ins allowed per username *from one client address* in the window; the next attempt
 * from that address finds the account locked there. Per address, so that a stranger's guesses lock
 * the stranger out, not the account's owner signing in from elsewhere (issue 13).
 */
export const LOCKOUT: LockoutLimit = { failures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };

/**
 * Failed sign-ins allowed per username from all addresses together: slower, for guesses spread over
 * many addresses (a botnet), which the per-address limit alone would let through at 5 per address.
 * Such an attack does lock the owner out for a while: the price OWASP accepts against it.
 */
export const ACCOUNT_LOCKOUT: LockoutLimit = { failures: 30, windowMs: 60 * 60_000, lockMs: 30 * 60_000 };

/**
 * The counters of core_login_attempts (its username_key column): the username's own, and the one of
 * the username from an address, which JSON keeps apart from any username (real usernames have no
 * brackets or quotes).
 */
const accountCounter = (key: string) => key;
const addressCounter = (key: string, ip: string | undefined) => JSON.stringify([key, ip ?? "unknown"]);

/** Forgets every failed attempt on a username, from every address (a password reset, a sign-in). */
export function clearAttempts(db: Knex | Knex.Transaction, key: string) {
  const perAddress = JSON.stringify([key]).slice(0, -1) + ",";
  return db("core_login_attempts")
    .where("username_key", accountCounter(key))
    .orWhere("username_key", "like", perAddress.replace(/[\\%_]/g, (c) => "\\" + c) + "%")
    .del();
}

export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}

export interface SignedIn {
  token: string;
  refreshToken: string;
  /** seconds until `token` expires */
  expiresIn: number;
  user: SessionUserView;
  mustChangePassword: boolean;
}

/** What a sign-in answers of the user: the part of their account view a client shows. */
export type SessionUserView = Pick<AccountView, "id" | "username" | "displayName" | "tenantCode" | "unitCode" | "roles">;

const invalidCredentials = () =>
  new PlatformError("INVALID_CREDENTIALS", { "zh-CN": "用户名或密码错误", en: "Wrong username or password" });

type LockScope = "address" | "account";
interface Attempts {
  /** this attempt's number for the username from this address */
  address: number;
  /** and for the username from anywhere */
  account: number;
}

// The scope stays on the server (for the audit row): the answer is the same for either lock.
const lockScopes = new WeakMap<object, LockScope>();
const lockScopeOf = (err: unknown): LockScope | undefined => (err && typeof err === "object" ? lockScopes.get(err) : undefined);

const locked = (retryAfterSeconds: number, scope: LockScope) => {
  const err = new PlatformError(
    "ACCOUNT_LOCKED",
    {
      "zh-CN": `登录失败次数过多，账号已锁定，请 ${Math.ceil(retryAfterSeconds / 60)} 分钟后再试`,
      en: `Too many failed sign-ins: the account is locked; try again in ${Math.ceil(retryAfterSeconds / 60)} min`,
    },
    { retryAfterSeconds },
  );
  lockScopes.set(err, scope);
  return err;
};

const rateLimited = (retryAfterSeconds: number) =>
  new PlatformError(
    "RATE_LIMITED",
    { "zh-CN": "登录尝试过于频繁，请稍后再试", en: "Too many sign-in attempts from this address; try again shortly" },
    { retryAfterSeconds },
  );

const expired = (kind: string) =>
  new PlatformError(
    "PASSWORD_EXPIRED",
    kind === "initial"
      ? { "zh-CN": "初始密码已过期，请联系本地区管理员重置密码", en: "The first password has expired; ask your region's administrator to reset it" }
      : { "zh-CN": "临时密码已过期，请联系管理员重新重置", en: "The one-time password has expired; ask an administrator for a new one" },
  );

/**
 * Accounts, sign-in and sessions (issue 4). Failed attempts are counted per username before the
 * password is checked, in PostgreSQL, so that parallel guesses on any number of nodes cannot
 * exceed the limit, and unknown usernames lock exactly like real ones.
 */
export class Identity {
  private constructor(
    readonly knex: Knex,
    readonly tree: TenantTree,
    readonly clock: Clock,
    readonly tokens: Tokens,
    readonly sessions: Sessions,
    /** key of core_accounts.initial_mac */
    readonly macKey: Buffer,
    readonly config: KernelConfig,
    /** every role of the platform: core's and its plugins' */
    readonly roles: RoleBook,
    /** what an imported account's first password is (a plugin's rule), if any plugin says */
    readonly credential: InitialCredential | null,
  ) {}

  static async open(
    knex: Knex,
    tree: TenantTree,
    clock: Clock,
    config: KernelConfig,
    log: (line: string) => void,
    platform: { roles: RoleBook; credential: InitialCredential | null },
    demoFile?: string,
  ): Promise<Identity> {
    const tokens = await Tokens.load(knex);
    const sessions = new Sessions(knex, { lifetimeMs: config.sessionLifetime * 1000, checkCacheMs: 5000 }, await refreshTokenKey(knex));
    const identity = new Identity(knex, tree, clock, tokens, sessions, await initialPasswordKey(knex), config, platform.roles, platform.credential);
    await identity.ensureFirstAdmin(log);
    if (config.demoAccounts && demoFile) await identity.seedDemoAccounts(demoFile, log);
    // The dummy hash that unknown usernames are checked against is made now, not on the first
    // such sign-in (which would otherwise take twice as long as a real one).
    await burnVerification("");
    return identity;
  }

  /**
   * On a first start, a platform administrator: with INIT_ADMIN_PASSWORD as its password, or a
   * random one-time password printed once, to be changed at first sign-in. Never touched again.
   */
  async ensureFirstAdmin(log: (line: string) => void): Promise<void> {
    const { initAdminUsername: username, initAdminPassword } = this.config;
    if (initAdminPassword !== undefined) {
      const problems = passwordProblems(initAdminPassword, { username, path: "INIT_ADMIN_PASSWORD" });
      if (problems.length) {
        throw new Error(`INIT_ADMIN_PASSWORD is not accepted: ${problems.map((p) => p.message!.en).join("; ")}`);
      }
    }
    await this.knex.transaction(async (trx) => {
      await trx.raw("select pg_advisory_xact_lock(hashtext('identity.first-admin'))");
      const existing = await trx("core_accounts").where({ privileged: true }).first("id");
      if (existing) return;
      const oneTime = initAdminPassword === undefined ? await this.oneTimePassword(this.tree.root().code) : undefined;
      const now = this.clock.now();
      await trx("core_accounts").insert({
        username,
        username_key: usernameKey(username),
        display_name: "平台管理员 Platform administrator",
        tenant_code: this.tree.root().code,
        roles: ["platform-admin"],
        password_kind: oneTime ? "one-time" : "chosen",
        password_hash: oneTime ? oneTime.hash : await hashPassword(initAdminPassword!),
        password_set_at: now,
        password_expires_at: oneTime?.expiresAt ?? null,
      });
      await writeAudit(trx, { actor: { via: "start-up" }, tenantCode: this.tree.root().code, action: "accounts.first-admin", object: username });
      if (oneTime) {
        log(`[identity] first administrator created: username "${username}", one-time password ${oneTime.password} (shown only now; change it at first sign-in)`);
      } else {
        log(`[identity] first administrator created: username "${username}" with the password from INIT_ADMIN_PASSWORD`);
      }
    });
  }

  /**
   * For trying the platform: the accounts of tenants/demo-accounts.csv, imported once (the first
   * node to start does it), each with the first password the platform's initial-credential rule names.
   */
  async seedDemoAccounts(file: string, log: (line: string) => void): Promise<void> {
    if (!this.credential) {
      log("[identity] demo accounts not imported: no plugin on this platform says what their first password is (core.initial-credential)");
      return;
    }
    const claimed = await this.knex("core_settings").insert({ key: "demo.accounts-imported", value: JSON.stringify(new Date().toISOString()) }).onConflict("key").ignore().returning("key");
    if (!claimed.length) return;
    const report = await importAccounts(fs.createReadStream(file), {
      knex: this.knex,
      tree: this.tree,
      macKey: this.macKey,
      roles: this.roles.importable(),
      credential: this.credential,
      now: this.clock.now(),
      may: () => true,
      actor: { via: "start-up", file: path.basename(file) },
    });
    log(
      `[identity] demo accounts: ${report.created} imported from ${path.relative(this.config.rootDir, file)}; sign in with a username from it and its ${this.credential!.rule.label.en} (column ${this.credential!.column}) as the first password` +
        (report.renamed.length ? ` (renamed by their city's rule: ${report.renamed.map((r) => `${r.legacyUsername} → ${r.username}`).join(", ")})` : ""),
    );
  }

  userOf(row: AccountRow, sessionId: string): SessionUser {
    return {
      id: row.id,
      username: row.username,
      tenantCode: row.tenant_code,
      roles: row.roles,
      unitCode: row.unit_code ?? undefined,
      sessionId,
      mustChangePassword: mustChange(row.password_kind),
      oversees: this.roles.oversees(row.roles),
    };
  }

  viewOf(row: AccountRow): SessionUserView {
    return { id: row.id, username: row.username, displayName: row.display_name, tenantCode: row.tenant_code, unitCode: row.unit_code, roles: row.roles };
  }

  private async signedIn(row: AccountRow, sessionId: string, refreshToken: string): Promise<SignedIn> {
    const ttl = this.config.accessTokenTtl;
    return {
      token: await this.tokens.issue(this.userOf(row, sessionId), ttl),
      refreshToken,
      expiresIn: ttl,
      user: this.viewOf(row),
      mustChangePassword: mustChange(row.password_kind),
    };
  }

  /** A token for an account without a password check: tests and tools that already hold the database. */
  async sessionFor(row: AccountRow, client: ClientInfo = {}): Promise<SignedIn> {
    const { session, refreshToken } = await this.sessions.open(this.knex, row.id, client);
    return this.signedIn(row, session.id, refreshToken);
  }

  /** Counts against `key` in a fixed window; true while the count is within `limit`. */
  private async withinRate(key: string, limit: number, windowMs: number): Promise<{ ok: boolean; retryAfterSeconds: number; count: number }> {
    const now = this.clock.nowMs();
    const start = Math.floor(now / windowMs) * windowMs;
    const { rows } = await this.knex.raw(
      `insert into core_rate_limits (key, window_start, count) values (?, ?, 1)
       on conflict (key, window_start) do update set count = core_rate_limits.count + 1 returning count`,
      [key, new Date(start)],
    );
    if (Math.random() < 0.01) await this.sweep(start - windowMs);
    const count = Number(rows[0].count);
    return { ok: count <= limit, retryAfterSeconds: Math.max(1, Math.ceil((start + windowMs - now) / 1000)), count };
  }

  /**
   * Now and then (about one sign-in in a hundred): drops what no check will read again: counters of
   * past windows, attempt counters neither locked nor in their window, sessions ended a week ago.
   */
  async sweep(before: number): Promise<void> {
    const now = this.clock.nowMs();
    await this.knex("core_rate_limits").where("window_start", "<", new Date(before)).del();
    await this.knex("core_login_attempts")
      .where((q) =>
        q
          .where((a) => a.where("username_key", "like", "[%").where("window_start", "<=", new Date(now - LOCKOUT.windowMs)))
          .orWhere("window_start", "<=", new Date(now - ACCOUNT_LOCKOUT.windowMs)),
      )
      .where((q) => q.whereNull("locked_until").orWhere("locked_until", "<=", new Date(now)))
      .del();
    await this.knex("core_sessions").where("expires_at", "<", new Date(Date.now() - 7 * 86400_000)).del();
  }

  /**
   * Takes one attempt from the allowance of the username from this address, then from the username's
   * own, before the password is checked. Returns the attempt numbers in their windows, or throws
   * ACCOUNT_LOCKED (the same answer for either lock: which one tells a guesser nothing useful). An
   * address already locked out takes nothing from the username's own allowance.
   */
  private async takeAttempts(key: string, client: ClientInfo): Promise<Attempts> {
    const address = await this.takeAttempt(addressCounter(key, client.ip), LOCKOUT, "address");
    const account = await this.takeAttempt(accountCounter(key), ACCOUNT_LOCKOUT, "account");
    return { address, account };
  }

  /** After a failure: locks what has spent its allowance; says what it locked. */
  private async lockIfSpent(key: string, client: ClientInfo, attempts: Attempts): Promise<Array<{ scope: LockScope; limit: LockoutLimit }>> {
    const spent = [
      { scope: "address" as const, counter: addressCounter(key, client.ip), limit: LOCKOUT, attempt: attempts.address },
      { scope: "account" as const, counter: accountCounter(key), limit: ACCOUNT_LOCKOUT, attempt: attempts.account },
    ].filter((c) => c.attempt >= c.limit.failures);
    for (const c of spent) {
      await this.knex("core_login_attempts").where({ username_key: c.counter }).update({ locked_until: new Date(this.clock.nowMs() + c.limit.lockMs) });
    }
    return spent;
  }

  /**
   * The right password: this address starts afresh, and this attempt gives back what it took from
   * the username's own allowance (which counts failures only: an attack spread over many addresses
   * is not forgotten because the owner signed in meanwhile).
   */
  private async succeeded(key: string, client: ClientInfo): Promise<void> {
    await this.knex("core_login_attempts").where({ username_key: addressCounter(key, client.ip) }).del();
    await this.knex("core_login_attempts").where({ username_key: accountCounter(key) }).where("attempts", ">", 0).decrement("attempts", 1);
  }

  /** One attempt from a counter's allowance (an atomic upsert: exact across nodes); its number in the window. */
  private async takeAttempt(counter: string, limit: LockoutLimit, scope: LockScope): Promise<number> {
    const now = this.clock.nowMs();
    // A fresh window once the last one has passed, or once a lock has run out (a lock may be shorter
    // than the window: its end must not find the allowance still spent and lock again at once).
    const fresh = `(core_login_attempts.locked_until <= :now or (core_login_attempts.locked_until is null and core_login_attempts.window_start <= :windowEdge))`;
    const { rows } = await this.knex.raw(
      `insert into core_login_attempts (username_key, attempts, window_start) values (:key, 1, :now)
       on conflict (username_key) do update set
         attempts     = case when ${fresh} then 1 else core_login_attempts.attempts + 1 end,
         locked_until = case when ${fresh} then null else core_login_attempts.locked_until end,
         window_start = case when ${fresh} then :now else core_login_attempts.window_start end
       returning attempts, locked_until`,
      { key: counter, now: new Date(now), windowEdge: new Date(now - limit.windowMs) },
    );
    const { attempts, locked_until: lockedUntil } = rows[0] as { attempts: number; locked_until: Date | null };
    if (lockedUntil && new Date(lockedUntil).getTime() > now) throw locked(Math.ceil((new Date(lockedUntil).getTime() - now) / 1000), scope);
    if (attempts > limit.failures) {
      // Parallel attempts beyond the allowance: lock now (the last failure may still be running).
      await this.knex("core_login_attempts").where({ username_key: counter }).whereNull("locked_until").update({ locked_until: new Date(now + limit.lockMs) });
      throw locked(limit.lockMs / 1000, scope);
    }
    return attempts;
  }

  /** Checks a password against an account (or against nothing, in the same time). */
  private async passwordMatches(row: AccountRow | undefined, password: string): Promise<boolean> {
    if (!row || row.status !== "active" || row.password_kind === "none") {
      await burnVerification(password);
      return false;
    }
    if (row.password_kind === "initial") {
      // The first password is checked by its MAC; the argon2 work is still done, so that timing
      // tells nothing about which kind of password an account has.
      await burnVerification(password);
      return sameMac(row.initial_mac, macOf(this.macKey, password));
    }
    return verifyPassword(row.password_hash, password);
  }

  private isExpired(row: AccountRow): boolean {
    return mustChange(row.password_kind) && !!row.password_expires_at && new Date(row.password_expires_at).getTime() <= this.clock.nowMs();
  }

  async login(username: unknown, password: unknown, client: ClientInfo): Promise<SignedIn> {
    const problems = [];
    if (typeof username !== "string" || !username.trim() || username.length > 128) problems.push({ path: "/username", rule: "required", message: { "zh-CN": "请输入用户名", en: "Enter a username" } });
    if (typeof password !== "string" || !password || password.length > 1024) problems.push({ path: "/password", rule: "required", message: { "zh-CN": "请输入密码", en: "Enter a password" } });
    if (problems.length) throw validationFailed(problems);
    const name = username as string;
    const key = usernameKey(name);
    const actor = { username: name.slice(0, 128), ip: client.ip ?? null };

    const rate = await this.withinRate(`login-ip:${client.ip ?? "unknown"}`, this.config.loginRatePerIp, 60_000);
    if (!rate.ok) {
      // Audited once per window and address, not once per refused attempt.
      if (rate.count === this.config.loginRatePerIp + 1) {
        await writeAudit(this.knex, { actor, action: "auth.login.rate-limited", object: client.ip ?? "unknown" });
      }
      throw rateLimited(rate.retryAfterSeconds);
    }

    let attempts: Attempts;
    try {
      attempts = await this.takeAttempts(key, client);
    } catch (err) {
      await writeAudit(this.knex, { actor, action: "auth.login.refused-locked", object: key, after: { scope: lockScopeOf(err) ?? null } });
      throw err;
    }
    const row = await findByUsername(this.knex, name);
    const ok = await this.passwordMatches(row, password as string);
    if (!ok) {
      const lockedNow = await this.lockIfSpent(key, client, attempts);
      await writeAudit(this.knex, [
        { actor, tenantCode: row?.tenant_code, action: "auth.login.failed", object: key, after: { attempt: attempts.address, accountAttempt: attempts.account } },
        ...lockedNow.map((l) => ({ actor, tenantCode: row?.tenant_code, action: "auth.account.locked", object: key, after: { scope: l.scope, minutes: l.limit.lockMs / 60_000 } })),
      ]);
      throw invalidCredentials();
    }
    const account = row!;
    if (this.isExpired(account)) {
      await writeAudit(this.knex, { actor, tenantCode: account.tenant_code, action: "auth.login.expired", object: account.id, after: { passwordKind: account.password_kind } });
      throw expired(account.password_kind);
    }
    await this.succeeded(key, client);
    return this.knex.transaction(async (trx) => {
      const { session, refreshToken } = await this.sessions.open(trx, account.id, client);
      await writeAudit(trx, {
        actor: { id: account.id, username: account.username, ip: client.ip ?? null },
        tenantCode: account.tenant_code,
        action: "auth.login",
        object: account.id,
        after: { session: session.id, passwordKind: account.password_kind },
      });
      return this.signedIn(account, session.id, refreshToken);
    });
  }

  async refresh(refreshToken: unknown): Promise<SignedIn> {
    const refused = () => new PlatformError("UNAUTHENTICATED", { "zh-CN": "登录已失效，请重新登录", en: "The session has ended; sign in again" });
    if (typeof refreshToken !== "string" || refreshToken.length > 200) throw refused();
    const rotated = await this.sessions.rotate(refreshToken);
    if (!rotated) throw refused();
    const row = await findById(this.knex, rotated.session.account_id);
    if (!row || row.status !== "active" || this.isExpired(row)) {
      await this.sessions.revoke(rotated.session.id, "account-unusable");
      throw refused();
    }
    return this.signedIn(row, rotated.session.id, rotated.refreshToken);
  }

  async logout(user: SessionUser, all: boolean): Promise<void> {
    if (all) await this.sessions.revokeAll(this.knex, user.id, "logout-all");
    else if (user.sessionId) await this.sessions.revoke(user.sessionId, "logout");
    await writeAudit(this.knex, { actor: { id: user.id, username: user.username }, tenantCode: user.tenantCode, action: all ? "auth.logout.all" : "auth.logout", object: user.id });
  }

  /**
   * The only thing a user on a first or one-time password may do. A wrong current password counts
   * as a failed sign-in. Every other session of the account ends; this one goes on with a new token.
   */
  async changePassword(user: SessionUser, currentPassword: unknown, newPassword: unknown, client: ClientInfo): Promise<SignedIn> {
    if (typeof currentPassword !== "string" || !currentPassword) {
      throw validationFailed([{ path: "/currentPassword", rule: "required", message: { "zh-CN": "请输入当前密码", en: "Enter your current password" } }]);
    }
    const row = await findById(this.knex, user.id);
    if (!row || row.status !== "active" || !user.sessionId) throw new PlatformError("UNAUTHENTICATED", { "zh-CN": "请先登录", en: "Sign-in required" });
    const key = row.username_key;
    const attempts = await this.takeAttempts(key, client);
    const actor = { id: row.id, username: row.username, ip: client.ip ?? null };
    if (!(await this.passwordMatches(row, currentPassword))) {
      const lockedNow = await this.lockIfSpent(key, client, attempts);
      await writeAudit(this.knex, [
        { actor, tenantCode: row.tenant_code, action: "auth.password.change-failed", object: row.id, after: { attempt: attempts.address, accountAttempt: attempts.account } },
        ...lockedNow.map((l) => ({ actor, tenantCode: row.tenant_code, action: "auth.account.locked", object: key, after: { scope: l.scope, minutes: l.limit.lockMs / 60_000 } })),
      ]);
      throw validationFailed(
        [{ path: "/currentPassword", rule: "mismatch", message: { "zh-CN": "当前密码不正确", en: "The current password is wrong" } }],
        { "zh-CN": "当前密码不正确", en: "The current password is wrong" },
      );
    }
    if (this.isExpired(row)) throw expired(row.password_kind);
    await this.succeeded(key, client);
    const problems = passwordProblems(newPassword, { username: row.username, initialMac: row.initial_mac, credential: this.credential, macKey: this.macKey });
    if (!problems.length && row.password_kind !== "initial" && (await verifyPassword(row.password_hash, newPassword as string))) {
      problems.push({ path: "/newPassword", rule: "unchanged", message: { "zh-CN": "新密码不能与当前密码相同", en: "The new password must differ from the current one" } });
    }
    if (problems.length) throw validationFailed(problems, { "zh-CN": "新密码不符合要求", en: "The new password does not meet the rules" });
    const hash = await hashPassword(newPassword as string);
    return this.knex.transaction(async (trx) => {
      const [updated] = await trx<AccountRow>("core_accounts")
        .where({ id: row.id })
        .update({ password_kind: "chosen", password_hash: hash, password_set_at: this.clock.now(), password_expires_at: null, updated_at: trx.fn.now() } as never)
        .returning("*");
      // This session goes on with a fresh token without the must-change mark (and a fresh refresh
      // token); every other one, the old token's included, ends.
      const { session, refreshToken } = await this.sessions.open(trx, row.id, client);
      const ended = await this.sessions.revokeAll(trx, row.id, "password-changed", session.id);
      await writeAudit(trx, { actor, tenantCode: row.tenant_code, action: "auth.password.changed", object: row.id, after: { from: row.password_kind, sessionsEnded: ended.length } });
      return this.signedIn(updated, session.id, refreshToken);
    });
  }

  /**
   * A new one-time password for an account of `tenantCode`: the password (shown once, to whoever
   * passes it on), its argon2id hash, and when it stops working (the tenant's days for first
   * passwords). 16 letters and digits without look-alikes (about 95 bits), easy to read out.
   */
  async oneTimePassword(tenantCode: string): Promise<{ password: string; hash: string; setAt: Date; expiresAt: Date }> {
    const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    const password = [...crypto.randomBytes(16)].map((b) => alphabet[b % alphabet.length]).join("");
    const setAt = this.clock.now();
    const expiresAt = new Date(setAt.getTime() + this.tree.initialPasswordDays(tenantCode) * 86400_000);
    return { password, hash: await hashPassword(password), setAt, expiresAt };
  }

  describeTenant(code: string): { code: string; name: Localized; level: string } | null {
    const t = this.tree.get(code);
    return t ? { code: t.code, name: t.name, level: t.level } : null;
  }
}
