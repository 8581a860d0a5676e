import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { SignJWT } from "jose";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import type { Call } from "../../support/http";
import { ACCOUNT_LOCKOUT, LOCKOUT } from "../../../core/identity";

const SECRET = "integration-test-signing-key-" + "x".repeat(40);
const ADMIN_PASSWORD = "Sturdy-Keeper-Passphrase-2026";
const HEADER = "username,display_name,role,tenant_code,unit_code,budget_code";
const STRONG = "Lychee-Harbour-Lantern-77";

describe("accounts and sign-in (through the HTTP API)", () => {
  let platform: TestPlatform;
  let admin: string;
  let ipCounter = 0;
  // Every test signs in from its own address, so that the per-address limit is tested on its own.
  const newIp = () => `10.0.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;

  beforeAll(async () => {
    process.env.AUTH_SECRET = SECRET;
    platform = await startTestPlatform({ initAdminPassword: ADMIN_PASSWORD, trustProxy: true, loginRatePerIp: 10 });
    delete process.env.AUTH_SECRET;
    const signedIn = await login("admin", ADMIN_PASSWORD);
    expect(signedIn.status).toBe(200);
    admin = signedIn.body.token;
  });
  afterAll(() => platform.stop());
  afterEach(() => platform.kernel.clock.reset());

  function login(username: string, password: string, ip = newIp()) {
    return platform.api("/api/auth/login", { method: "POST", body: { username, password }, headers: { "x-forwarded-for": ip } });
  }
  const call = (path: string, token: string, init: Call = {}) => platform.api(path, { ...init, token });
  const importCsv = (rows: string[], token = admin) =>
    platform.api("/api/accounts/import", { method: "POST", token, raw: [HEADER, ...rows].join("\n") + "\n", headers: { "content-type": "text/csv" } });
  const audit = async (action: string) => platform.kernel.db.knex("core_audit_log").where({ action }).orderBy("id");
  /**
   * A purchasing unit in the registry (accounts are bound only to registered units of their region).
   * Written straight into the table: other platforms this file starts and stops leave the registry's
   * models (bound process-wide) on a closed pool, so its API cannot be used here.
   */
  async function registerUnit(budgetCode: string, tenantCode: string, name: string) {
    await platform.kernel.db.knex("registries_purchasers").insert({ name, budget_code: budgetCode, tenant_code: tenantCode, unit_type: "government-agency" });
  }
  let seq = 0;
  /** a fresh purchaser account of Huizhou on its first password (the budget code) */
  async function firstPasswordAccount(tenant = "441300") {
    seq++;
    const legacy = `hz-unit-${seq}-${crypto.randomBytes(3).toString("hex")}`;
    const budget = `${tenant}${String(700 + seq).padStart(4, "0")}`;
    await registerUnit(budget, tenant, `惠州测试单位${seq}`);
    const r = await importCsv([`${legacy},惠州测试单位${seq},purchaser,${tenant},${budget},${budget}`]);
    expect(r.status).toBe(200);
    expect(r.body.created).toBe(1);
    // A tenant with its own account rule gives the account a new username; the report says which.
    const username: string = r.body.renamed[0]?.username ?? legacy;
    return { username, budget };
  }

  describe("the first administrator", () => {
    test("INIT_ADMIN_PASSWORD makes a platform administrator who may work at once; a restart does not overwrite it", async () => {
      const me = await call("/api/me", admin);
      expect(me.status).toBe(200);
      expect(me.body.user).toMatchObject({ username: "admin", roles: ["platform-admin"], tenantCode: "440000" });
      expect(me.body.mustChangePassword).toBe(false);
      expect(me.body.rules).toEqual(
        expect.arrayContaining([{ action: "manage", subject: "all" }, { action: "read", subject: "Account", conditions: { id: me.body.user.id } }]),
      );
      await platform.kernel.identity.ensureFirstAdmin(() => {});
      expect(await platform.kernel.db.knex("core_accounts").where({ privileged: true }).count()).toEqual([{ count: "1" }]);
    });

    test("without INIT_ADMIN_PASSWORD a one-time password is printed once and must be changed at first sign-in", async () => {
      const lines: string[] = [];
      const fresh = await startTestPlatform({ initAdminUsername: "root-admin" }, { log: (l) => lines.push(l) });
      try {
        const line = lines.find((l) => l.includes("first administrator created"));
        expect(line).toBeDefined();
        const password = /one-time password (\S+)/.exec(line!)![1];
        const r = await fresh.api("/api/auth/login", { method: "POST", body: { username: "root-admin", password } });
        expect(r.status).toBe(200);
        expect(r.body.mustChangePassword).toBe(true);
        const blocked = await fresh.api("/api/accounts", { token: r.body.token });
        expect(blocked.status).toBe(403);
        expect(blocked.body.error.code).toBe("PASSWORD_CHANGE_REQUIRED");
        const changed = await fresh.api("/api/auth/change-password", { method: "POST", token: r.body.token, body: { currentPassword: password, newPassword: STRONG } });
        expect(changed.status).toBe(200);
        expect((await fresh.api("/api/accounts", { token: changed.body.token })).status).toBe(200);
        // Printed once: a second start on the same database prints nothing and changes nothing.
        lines.length = 0;
        await fresh.kernel.identity.ensureFirstAdmin((l) => lines.push(l));
        expect(lines).toEqual([]);
      } finally {
        await fresh.stop();
      }
    });
  });

  describe("the demo accounts of a first start", () => {
    test("each signs in with its budget code, is made to change it; own-rule cities' users get their rule's username; imported once", async () => {
      const lines: string[] = [];
      const demo = await startTestPlatform({ demoAccounts: true }, { log: (l) => lines.push(l) });
      try {
        const line = lines.find((l) => l.includes("demo accounts:"));
        // every row of the file, however many the subsystems' demos add
        const rows = fs.readFileSync(path.join(__dirname, "../../../tenants/demo-accounts.csv"), "utf8").trim().split("\n").length - 1;
        expect(line).toContain(`demo accounts: ${rows} imported from tenants/demo-accounts.csv`);
        expect(line).toContain("huicheng.buyer → 441302_huicheng.buyer");
        const buyer = await demo.api("/api/auth/login", { method: "POST", body: { username: "huizhou.buyer", password: "441300401" } });
        expect([buyer.status, buyer.body.mustChangePassword, buyer.body.user.tenantCode]).toEqual([200, true, "441300"]);
        const county = await demo.api("/api/auth/login", { method: "POST", body: { username: "441302_huicheng.buyer", password: "441302101" } });
        expect(county.status).toBe(200);
        expect((await demo.api("/api/auth/login", { method: "POST", body: { username: "huicheng.buyer", password: "441302101" } })).status).toBe(401);
        lines.length = 0;
        await demo.kernel.identity.seedDemoAccounts(require("node:path").join(demo.kernel.config.rootDir, "tenants", "demo-accounts.csv"), (l) => lines.push(l));
        expect(lines).toEqual([]);
      } finally {
        await demo.stop();
      }
    });
  });

  describe("importing through the API", () => {
    test("a tenant admin imports for their region only, never administrators; a file too large is refused whole", async () => {
      const huizhouAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
      await registerUnit("441300901", "441300", "惠州市一号单位");
      await registerUnit("441322902", "441322", "惠州市二号单位");
      const r = await importCsv(
        [
          "hz.import.1,惠州市一号单位,purchaser,441300,441300901,441300901",
          "hz.import.2,惠州市二号单位,regulator,441322,441322902,441322902",
          "mm.import.3,茂名市三号单位,purchaser,440900,440900903,440900903",
          "hz.import.4,惠州市四号单位,tenant-admin,441300,441300904,441300904",
        ],
        huizhouAdmin,
      );
      expect(r.status).toBe(200);
      expect(r.body.created).toBe(2);
      expect(r.body.rejected.map((x: { line: number }) => x.line)).toEqual([4, 5]);
      const regulator = await platform.token({ roles: ["regulator"], tenantCode: "441300" });
      const refused = await importCsv(["x.y,某单位,purchaser,441300,441300905,441300905"], regulator);
      expect([refused.status, refused.body.error.code]).toEqual([403, "FORBIDDEN"]);
      const before = await platform.kernel.db.knex("core_accounts").count();
      // Past the 64 MiB bound (empty lines, which cost the parser nothing): refused, nothing written.
      const huge = "\nbig.row,很大的文件,purchaser,441300,441300906,441300906\n" + "\n".repeat(65 * 1024 * 1024);
      // 65 MB through the stream limit: two minutes, as CI's two suite runs load the machine (it hit 30 s)
      const tooLarge = await platform.api("/api/accounts/import", { method: "POST", token: admin, raw: HEADER + huge, headers: { "content-type": "text/csv" }, timeoutMs: 120_000 });
      expect([tooLarge.status, tooLarge.body.error.code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
      expect(await platform.kernel.db.knex("core_accounts").count()).toEqual(before);
    }, 180_000);
  });

  describe("first sign-in with the budget code", () => {
    test("must change → every other route refuses → change → works; the budget code is then refused", async () => {
      const { username, budget } = await firstPasswordAccount();
      const first = await login(username, budget);
      expect(first.status).toBe(200);
      expect(first.body.mustChangePassword).toBe(true);
      expect(first.body.user).toMatchObject({ username, tenantCode: "441300", roles: ["purchaser"] });
      const token = first.body.token;

      for (const path of ["/api/me", "/api/registries/purchasers", "/api/tenants", "/api/accounts", "/api/health"]) {
        const r = await call(path, token);
        expect([path, r.status, r.body.error?.code]).toEqual([path, 403, "PASSWORD_CHANGE_REQUIRED"]);
      }
      const en = await call("/api/me", token, { headers: { "accept-language": "en" } });
      expect(en.body.error.message).toMatch(/Change your first password/);

      const fullWidth = (t: string) => t.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)));
      const tries: Array<[string, string]> = [
        [budget, "initial-credential"],
        // containing it is no better than being it (issue 13): around, after, full-width
        [`${budget}Kites!`, "initial-credential"],
        [`Lychee-${budget}-Harbour`, "initial-credential"],
        [`Harbour-Lantern.${fullWidth(budget)}`, "initial-credential"],
        ["short-1", "minLength"],
        ["qwertyuiop123456", "common"],
        [`${username}-Harbour-2026`, "username"],
      ];
      for (const [newPassword, rule] of tries) {
        const r = await call("/api/auth/change-password", token, { method: "POST", body: { currentPassword: budget, newPassword } });
        expect(r.status).toBe(400);
        expect(r.body.error.code).toBe("VALIDATION_FAILED");
        expect(r.body.error.details.map((d: { rule: string }) => d.rule)).toContain(rule);
        expect(r.body.error.details.every((d: { path: string; message: { en: string } }) => d.path === "/newPassword" && d.message.en)).toBe(true);
      }
      const wrongCurrent = await call("/api/auth/change-password", token, { method: "POST", body: { currentPassword: "not-it", newPassword: STRONG } });
      expect(wrongCurrent.status).toBe(400);
      expect(wrongCurrent.body.error.details[0]).toMatchObject({ path: "/currentPassword", rule: "mismatch" });

      const changed = await call("/api/auth/change-password", token, { method: "POST", body: { currentPassword: budget, newPassword: STRONG } });
      expect(changed.status).toBe(200);
      expect(changed.body.mustChangePassword).toBe(false);
      // The must-change token is finished; the new one works.
      expect((await call("/api/me", token)).status).toBe(401);
      const me = await call("/api/me", changed.body.token);
      expect(me.status).toBe(200);
      expect(me.body.mustChangePassword).toBe(false);

      const again = await login(username, budget);
      expect(again.status).toBe(401);
      expect(again.body.error.code).toBe("INVALID_CREDENTIALS");
      const withNew = await login(username, STRONG);
      expect(withNew.status).toBe(200);
      expect(withNew.body.mustChangePassword).toBe(false);
      // A later change may not go back to the budget code either.
      const back = await call("/api/auth/change-password", withNew.body.token, { method: "POST", body: { currentPassword: STRONG, newPassword: budget } });
      expect(back.body.error.details.map((d: { rule: string }) => d.rule)).toContain("initial-credential");

      const changes = await audit("auth.password.changed");
      expect(changes.some((a) => a.actor.username === username && a.after.from === "initial")).toBe(true);
    });

    test("an expired first password cannot be used at all; the tenant admin sees who still has one and resets it", async () => {
      const { username, budget } = await firstPasswordAccount("441302");
      expect(username).not.toMatch(/^hz-unit/);
      platform.kernel.clock.travelTo(new Date(Date.now() + 91 * 86400_000));
      const r = await login(username, budget);
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe("PASSWORD_EXPIRED");
      // A wrong password still says only "wrong": expiry is told to whoever knows the code.
      expect((await login(username, budget + "9")).body.error.code).toBe("INVALID_CREDENTIALS");
      platform.kernel.clock.reset();

      const huizhouAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
      const list = await call(`/api/accounts?passwordKind=initial&q=${username}`, huizhouAdmin);
      expect(list.status).toBe(200);
      expect(list.body.items.map((a: { username: string }) => a.username)).toEqual([username]);
      const account = list.body.items[0];
      expect(account.passwordExpiresAt).toBeTruthy();

      const maomingAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "440900" });
      expect((await call(`/api/accounts/${account.id}/reset-password`, maomingAdmin, { method: "POST" })).status).toBe(404);
      const reset = await call(`/api/accounts/${account.id}/reset-password`, huizhouAdmin, { method: "POST" });
      expect(reset.status).toBe(200);
      expect(reset.body.oneTimePassword).toMatch(/^[A-Za-z0-9]{16}$/);
      expect(reset.body.account.passwordKind).toBe("one-time");

      platform.kernel.clock.travelTo(new Date(Date.now() + 91 * 86400_000));
      expect((await login(account.username, budget)).body.error.code).toBe("INVALID_CREDENTIALS");
      platform.kernel.clock.reset();
      const viaReset = await login(account.username, reset.body.oneTimePassword);
      expect(viaReset.status).toBe(200);
      expect(viaReset.body.mustChangePassword).toBe(true);
      expect((await audit("auth.login.expired")).some((a) => a.object === account.id)).toBe(true);
    });
  });

  describe("guessing", () => {
    test("after 5 failures from one address in 15 minutes the account is locked there for 15 minutes, even for the right password; its owner signs in from another address (issue 13)", async () => {
      const { username, budget } = await firstPasswordAccount();
      const attacker = newIp();
      for (let i = 0; i < LOCKOUT.failures; i++) {
        const r = await login(username, `wrong-${i}`, attacker);
        expect([r.status, r.body.error.code]).toEqual([401, "INVALID_CREDENTIALS"]);
      }
      const lockedOut = await login(username, budget, attacker);
      expect(lockedOut.status).toBe(429);
      expect(lockedOut.body.error.code).toBe("ACCOUNT_LOCKED");
      expect(lockedOut.body.error.details.retryAfterSeconds).toBeGreaterThan(800);
      const res = await fetch(platform.baseUrl + "/api/auth/login", { method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": attacker }, body: JSON.stringify({ username, password: budget }) });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(800);
      // the owner, elsewhere, is not locked out by a stranger's guesses
      const owner = newIp();
      expect((await login(username, budget, owner)).status).toBe(200);

      platform.kernel.clock.travelTo(new Date(Date.now() + 14 * 60_000));
      expect((await login(username, budget, attacker)).status).toBe(429);
      platform.kernel.clock.travelTo(new Date(Date.now() + 16 * 60_000));
      expect((await login(username, budget, attacker)).status).toBe(200);
      const locks = await audit("auth.account.locked");
      expect(locks.filter((a) => a.object === username).map((a) => a.after.scope)).toEqual(["address"]);
      expect((await audit("auth.login.failed")).filter((a) => a.object === username)).toHaveLength(LOCKOUT.failures);
      expect((await audit("auth.login.refused-locked")).filter((a) => a.object === username).map((a) => a.after.scope)).toEqual(["address", "address", "address"]);
    });

    test("a password reset lifts every lock on the account, from every address", async () => {
      const { username, budget } = await firstPasswordAccount();
      const ips = [newIp(), newIp()];
      for (const ip of ips) for (let i = 0; i < LOCKOUT.failures; i++) await login(username, `wrong-${i}`, ip);
      for (const ip of ips) expect((await login(username, budget, ip)).status).toBe(429);
      const id = (await platform.kernel.db.knex("core_accounts").where({ username }).first()).id;
      const reset = await call(`/api/accounts/${id}/reset-password`, admin, { method: "POST" });
      expect(reset.status).toBe(200);
      expect(await platform.kernel.db.knex("core_login_attempts").where("username_key", "like", `%${username.toLowerCase()}%`).count({ n: "*" })).toEqual([{ n: "0" }]);
      for (const ip of ips) expect((await login(username, reset.body.oneTimePassword, ip)).status).toBe(200);
    });

    test("guesses spread over many addresses, one each, still meet the slower limit of the account itself (issue 13)", async () => {
      const { username, budget } = await firstPasswordAccount();
      const replies = await Promise.all(Array.from({ length: ACCOUNT_LOCKOUT.failures }, (_, i) => login(username, `botnet-${i}`)));
      expect(replies.map((r) => r.status)).toEqual(Array(ACCOUNT_LOCKOUT.failures).fill(401));
      // now even the owner, from an address that never failed, waits: the account as a whole is locked
      const owner = await login(username, budget);
      expect([owner.status, owner.body.error.code]).toEqual([429, "ACCOUNT_LOCKED"]);
      expect(owner.body.error.details.retryAfterSeconds).toBeGreaterThan(ACCOUNT_LOCKOUT.lockMs / 1000 - 60);
      // the same answer as a lock from one address: a guesser cannot tell which
      expect(owner.body.error.message).toBe(`登录失败次数过多，账号已锁定，请 ${ACCOUNT_LOCKOUT.lockMs / 60_000} 分钟后再试`);
      expect((await audit("auth.account.locked")).filter((a) => a.object === username).map((a) => a.after.scope)).toEqual(["account"]);
      platform.kernel.clock.travelTo(new Date(Date.now() + ACCOUNT_LOCKOUT.lockMs + 60_000));
      expect((await login(username, budget)).status).toBe(200);
    });

    test("failures spread over more than 15 minutes do not lock", async () => {
      const { username, budget } = await firstPasswordAccount();
      const start = Date.now();
      const ip = newIp();
      for (let i = 0; i < 8; i++) {
        platform.kernel.clock.travelTo(new Date(start + i * 4 * 60_000));
        expect((await login(username, `wrong-${i}`, ip)).status).toBe(401);
        if (i % 4 === 3) expect((await login(username, budget, ip)).status).toBe(200);
      }
    });

    test("an unknown username answers exactly as a wrong password does, locks the same way, in similar time", async () => {
      const { username } = await firstPasswordAccount();
      const ghost = `no-such-user-${crypto.randomBytes(4).toString("hex")}`;
      const known: Array<[number, unknown, number]> = [];
      const unknown: Array<[number, unknown, number]> = [];
      const ip = newIp();
      for (let i = 0; i < 6; i++) {
        const t0 = performance.now();
        const a = await login(username, `wrong-${i}`, ip);
        const t1 = performance.now();
        const b = await login(ghost, `wrong-${i}`, ip);
        const t2 = performance.now();
        known.push([a.status, a.body, t1 - t0]);
        unknown.push([b.status, b.body, t2 - t1]);
      }
      expect(unknown.map(([s, b]) => [s, b])).toEqual(known.map(([s, b]) => [s, b]));
      expect(known.map(([s]) => s)).toEqual([401, 401, 401, 401, 401, 429]);
      const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
      const ratio = median(unknown.slice(0, 5).map(([, , t]) => t)) / median(known.slice(0, 5).map(([, , t]) => t));
      // Both pay one argon2id verification: within a factor that machine noise cannot explain away.
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
    });

    test("parallel guesses cannot exceed the allowance", async () => {
      const { username } = await firstPasswordAccount();
      const ip = newIp();
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => login(username, `parallel-${i}`, ip)));
      const statuses = replies.map((r) => r.status);
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15);
      expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    });

    test("one address spraying many accounts is stopped (429 RATE_LIMITED, Retry-After)", async () => {
      const ip = newIp();
      const replies = [];
      for (let i = 0; i < 12; i++) replies.push(await login(`spray-${i}`, "Password-123456", ip));
      expect(replies.slice(0, 10).every((r) => r.status === 401)).toBe(true);
      expect(replies[10].status).toBe(429);
      expect(replies[10].body.error.code).toBe("RATE_LIMITED");
      expect(replies[10].body.error.details.retryAfterSeconds).toBeGreaterThan(0);
      // another address is not affected
      expect((await login("spray-0", "Password-123456", newIp())).status).toBe(401);
      expect((await audit("auth.login.rate-limited")).filter((a) => a.object === ip)).toHaveLength(1);
    });

    test("the sweep drops only what no check reads again", async () => {
      const knex = platform.kernel.db.knex;
      const now = Date.now();
      await knex("core_rate_limits").insert([
        { key: "sweep:old", window_start: new Date(now - 3 * 60_000), count: 3 },
        { key: "sweep:current", window_start: new Date(now), count: 3 },
      ]);
      // per address: a 15-minute window; per account: an hour
      const at = (ip: string) => JSON.stringify(["sweep-addr", ip]);
      await knex("core_login_attempts").insert([
        { username_key: "sweep-stale", attempts: 2, window_start: new Date(now - 70 * 60_000) },
        { username_key: "sweep-in-window", attempts: 2, window_start: new Date(now - 20 * 60_000) },
        { username_key: "sweep-locked", attempts: 5, window_start: new Date(now - 70 * 60_000), locked_until: new Date(now + 60_000) },
        { username_key: at("10.9.0.1"), attempts: 2, window_start: new Date(now - 20 * 60_000) },
        { username_key: at("10.9.0.2"), attempts: 2, window_start: new Date(now - 5 * 60_000) },
        { username_key: at("10.9.0.3"), attempts: 5, window_start: new Date(now - 20 * 60_000), locked_until: new Date(now + 60_000) },
      ]);
      await platform.kernel.identity.sweep(now - 60_000);
      expect((await knex("core_rate_limits").where("key", "like", "sweep:%").pluck("key")).sort()).toEqual(["sweep:current"]);
      expect((await knex("core_login_attempts").where("username_key", "like", "sweep-%").pluck("username_key")).sort()).toEqual(["sweep-in-window", "sweep-locked"]);
      expect((await knex("core_login_attempts").where("username_key", "like", '["sweep-addr"%').pluck("username_key")).sort()).toEqual([at("10.9.0.2"), at("10.9.0.3")]);
    });

    test("a malformed sign-in is a validation error naming the field", async () => {
      const r = await platform.api("/api/auth/login", { method: "POST", body: { username: "", password: 5 }, headers: { "x-forwarded-for": newIp() } });
      expect(r.status).toBe(400);
      expect(r.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/password", "/username"]);
    });
  });

  describe("tokens and sessions", () => {
    const key = new TextEncoder().encode(SECRET);
    async function signedInUser() {
      const { username, budget } = await firstPasswordAccount();
      const first = await login(username, budget);
      const changed = await call("/api/auth/change-password", first.body.token, { method: "POST", body: { currentPassword: budget, newPassword: STRONG } });
      expect(changed.status).toBe(200);
      return { username, ...changed.body };
    }
    const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());

    test("tampered tokens are refused: wrong signature, alg none, alg swap, expired, other audience or issuer", async () => {
      const good = (await signedInUser()).token;
      expect((await call("/api/me", good)).status).toBe(200);
      const claims = claimsOf(good);
      const forge = (header: object, payload: object, k = key) =>
        new SignJWT(payload as Record<string, unknown>).setProtectedHeader(header as { alg: string }).sign(k);
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
      const cases: Record<string, string> = {
        "wrong signature": await forge({ alg: "HS256" }, claims, new TextEncoder().encode("another-key-".repeat(5))),
        "alg none": `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...claims, roles: ["platform-admin"] })}.`,
        "alg swap to HS512": await forge({ alg: "HS512" }, claims),
        expired: await forge({ alg: "HS256" }, { ...claims, iat: claims.iat - 7200, exp: Math.floor(Date.now() / 1000) - 60 }),
        "other audience": await forge({ alg: "HS256" }, { ...claims, aud: "another-api" }),
        "other issuer": await forge({ alg: "HS256" }, { ...claims, iss: "someone-else" }),
        "roles raised, old signature": `${good.split(".")[0]}.${b64({ ...claims, roles: ["platform-admin"] })}.${good.split(".")[2]}`,
        "no session": await forge({ alg: "HS256" }, { ...claims, sid: crypto.randomUUID() }),
      };
      for (const [what, token] of Object.entries(cases)) {
        const r = await call("/api/me", token);
        expect([what, r.status, r.body.error?.code]).toEqual([what, 401, "UNAUTHENTICATED"]);
      }
    });

    test("refresh rotates the refresh token; a used one ends the session", async () => {
      const user = await signedInUser();
      const r1 = await platform.api("/api/auth/refresh", { method: "POST", body: { refreshToken: user.refreshToken } });
      expect(r1.status).toBe(200);
      expect(r1.body.refreshToken).not.toBe(user.refreshToken);
      expect((await call("/api/me", r1.body.token)).status).toBe(200);
      // The old refresh token again: refused, and the session is over for everyone holding it.
      const reused = await platform.api("/api/auth/refresh", { method: "POST", body: { refreshToken: user.refreshToken } });
      expect(reused.status).toBe(401);
      expect((await platform.api("/api/auth/refresh", { method: "POST", body: { refreshToken: r1.body.refreshToken } })).status).toBe(401);
      expect((await call("/api/me", r1.body.token)).status).toBe(401);
      expect((await platform.api("/api/auth/refresh", { method: "POST", body: { refreshToken: "garbage" } })).status).toBe(401);
    });

    test("a refresh with a guessed secret is refused and ends nobody's session (issue 13); only a genuine, rotated-out one does", async () => {
      const user = await signedInUser();
      const sid = user.refreshToken.split(".")[0];
      const guesses = [
        `${sid}.${crypto.randomBytes(32).toString("base64url")}`,
        `${sid}.${user.refreshToken.slice(sid.length + 1).replace(/.$/, (c: string) => (c === "A" ? "B" : "A"))}`,
        `${sid}.x`,
      ];
      for (const guess of guesses) {
        const r = await platform.api("/api/auth/refresh", { method: "POST", body: { refreshToken: guess } });
        expect([r.status, r.body.error.code]).toEqual([401, "UNAUTHENTICATED"]);
      }
      // the owner goes on: the token works and the real refresh token still refreshes
      expect((await call("/api/me", user.token)).status).toBe(200);
      const rotated = await platform.api("/api/auth/refresh", { method: "POST", body: { refreshToken: user.refreshToken } });
      expect(rotated.status).toBe(200);
      const session = await platform.kernel.db.knex("core_sessions").where({ id: sid }).first();
      expect(session.revoked_at).toBeNull();
      // the rotated-out token, which was really issued, comes back: a copy is in other hands; the session ends
      expect((await platform.api("/api/auth/refresh", { method: "POST", body: { refreshToken: user.refreshToken } })).status).toBe(401);
      expect((await call("/api/me", rotated.body.token)).status).toBe(401);
      expect((await platform.kernel.db.knex("core_sessions").where({ id: sid }).first()).revoked_reason).toBe("refresh-token-reused");
    });

    test("an access token without an expiry is refused, however good its signature and session (issue 13)", async () => {
      const user = await signedInUser();
      const { exp: _exp, ...claims } = claimsOf(user.token);
      const forever = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(key);
      const r = await call("/api/me", forever);
      expect([r.status, r.body.error.code]).toEqual([401, "UNAUTHENTICATED"]);
      expect((await call("/api/me", user.token)).status).toBe(200);
    });

    test("a token naming someone else's session is refused: the session belongs to one account (issue 13)", async () => {
      const alice = await signedInUser();
      const bob = await signedInUser();
      // Bob's claims on Alice's open session
      const mixed = await new SignJWT({ ...claimsOf(bob.token), sid: claimsOf(alice.token).sid }).setProtectedHeader({ alg: "HS256" }).sign(key);
      const r = await call("/api/me", mixed);
      expect([r.status, r.body.error.code]).toEqual([401, "UNAUTHENTICATED"]);
      expect((await call("/api/me", alice.token)).status).toBe(200);
      expect((await call("/api/me", bob.token)).status).toBe(200);
    });

    test("two refreshes with the same token at once: exactly one wins", async () => {
      const user = await signedInUser();
      const replies = await Promise.all([1, 2, 3].map(() => platform.api("/api/auth/refresh", { method: "POST", body: { refreshToken: user.refreshToken } })));
      expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
    });

    test("logout revokes the token and its refresh token at once", async () => {
      const user = await signedInUser();
      expect((await call("/api/auth/logout", user.token, { method: "POST" })).status).toBe(200);
      const after = await call("/api/me", user.token);
      expect([after.status, after.body.error.code]).toEqual([401, "UNAUTHENTICATED"]);
      expect((await platform.api("/api/auth/refresh", { method: "POST", body: { refreshToken: user.refreshToken } })).status).toBe(401);
      expect((await audit("auth.logout")).some((a) => a.actor.username === user.username)).toBe(true);
    });

    test("a password change ends the account's other sessions", async () => {
      const user = await signedInUser();
      const second = await login(user.username, STRONG);
      const third = await login(user.username, STRONG);
      const changed = await call("/api/auth/change-password", second.body.token, { method: "POST", body: { currentPassword: STRONG, newPassword: STRONG + "-and-more" } });
      expect(changed.status).toBe(200);
      for (const gone of [user.token, third.body.token, second.body.token]) expect((await call("/api/me", gone)).status).toBe(401);
      expect((await platform.api("/api/auth/refresh", { method: "POST", body: { refreshToken: third.body.refreshToken } })).status).toBe(401);
      expect((await call("/api/me", changed.body.token)).status).toBe(200);
      // The same password as before is not a change.
      const same = await call("/api/auth/change-password", changed.body.token, { method: "POST", body: { currentPassword: STRONG + "-and-more", newPassword: STRONG + "-and-more" } });
      expect(same.body.error.details.map((d: { rule: string }) => d.rule)).toContain("unchanged");
    });

    test("a disabled account's sessions end and it cannot sign in", async () => {
      const user = await signedInUser();
      const huizhouAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
      const disabled = await call(`/api/accounts/${user.user.id}`, huizhouAdmin, { method: "DELETE" });
      expect(disabled.status).toBe(200);
      expect(disabled.body.status).toBe("disabled");
      expect((await call("/api/me", user.token)).status).toBe(401);
      expect((await login(user.username, STRONG)).body.error.code).toBe("INVALID_CREDENTIALS");
    });
  });

  describe("GET /api/me", () => {
    test("the user, the tenant and the rules the web app shows and hides by", async () => {
      const huizhouAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
      const me = await call("/api/me", huizhouAdmin);
      expect(me.status).toBe(200);
      expect(me.body.tenant).toEqual({ code: "441300", name: { "zh-CN": "惠州市", en: "Huizhou" }, level: "city" });
      const accountRule = me.body.rules.find((r: { subject: string; action: string[] | string; inverted?: boolean }) => r.subject === "Account" && Array.isArray(r.action) && !r.inverted);
      expect(accountRule.conditions.tenantCode.$in).toEqual(expect.arrayContaining(["441300", "441302", "441322"]));
      expect(accountRule.conditions.tenantCode.$in).not.toContain("440900");
      expect((await platform.api("/api/me")).status).toBe(401);
    });
  });
});
