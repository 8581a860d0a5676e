import type { Readable } from "node:stream";
import type { Knex } from "knex";
import { writeAudit } from "../audit/log";
import { PlatformError, type Localized } from "../errors";
import { readCsv } from "../forms/csv";
import type { TenantTree } from "../tenancy/tree";
import { usernameKey, type PasswordKind } from "./accounts";
import { macOf, type InitialCredential } from "./credential";
import { makeUsername, parseUsernameRule, type UsernameRule } from "./username-rules";

/**
 * Importing the old system's accounts (DESIGN.md §5): units and agencies keep their old usernames,
 * or get the one their tenant's rule makes (tenants/tenants.json `accounts.usernameRule`); the
 * first password is the value of the column the platform's initial-credential rule names (a plugin
 * contributes it, core/identity/credential.ts), kept only as a MAC, and must be changed at first
 * sign-in.
 *
 * A row is known by its tenant and old username (core_accounts.legacy_username), so a file can be
 * imported again: rows that say what the account already says change nothing, rows that differ
 * update the account (never its password), new rows create accounts. Bad rows are reported with
 * their line and the good rows still import. Everything happens in one transaction under one lock:
 * a file that cannot be read to its end writes nothing, and two imports never interleave.
 */

/** Core's columns; the initial-credential rule adds its own (the first password) after them. */
export const IMPORT_COLUMNS = ["username", "display_name", "role", "tenant_code", "unit_code"] as const;

const BATCH = 1000;
const PROGRESS_EVERY = 1000;
const LOCK = "identity.accounts.import";
const DAY_MS = 86_400_000;
const MAX_LEGACY_USERNAME = 128;
const MAX_DISPLAY_NAME = 200;
const MAX_UNIT_CODE = 64;
const CONTROL = /[\p{Cc}\p{Cf}]/u;

export interface ImportOptions {
  knex: Knex;
  tree: TenantTree;
  /** key of core_accounts.initial_mac (initialPasswordKey()) */
  macKey: Buffer;
  /** the roles an import may give (RoleBook.importable()) */
  roles: readonly string[];
  /** what the first password is (the platform's rule); null: nothing can be imported */
  credential: InitialCredential | null;
  now: Date;
  /** whether the caller may create or change this account (the caller's CASL ability; the API passes it) */
  may(row: { tenantCode: string; roles: string[]; unitCode: string | null }): boolean;
  /** ends the sessions of accounts whose roles the import changed (the API passes Sessions.revokeAll) */
  endSessions?(trx: Knex.Transaction, accountId: string): Promise<unknown>;
  /**
   * Why these rows' units may not be theirs, by index (the API checks them against the registries,
   * core/access/units.ts); absent: unit codes are taken as they are (the command, the demo accounts).
   */
  unitProblems?(rows: Array<{ tenantCode: string; unitCode: string }>): Promise<Map<number, Localized>>;
  /** for the audit row */
  actor: Record<string, unknown>;
  /** every 1,000 rows and at the end */
  onProgress?(p: { rows: number; bytes: number }): void;
  /** an upload's bound: past it the import fails whole with PAYLOAD_TOO_LARGE (the API sets it; the command reads a local file) */
  maxBytes?: number;
}

export interface ImportReport {
  created: number;
  updated: number;
  unchanged: number;
  rejected: Array<{ line: number; username: string; reason: Localized; field: string }>;
  /** rows whose tenant's rule made a new username: what to tell their users */
  renamed: Array<{ line: number; legacyUsername: string; username: string }>;
}

/** A row that passed every check that needs no database. */
interface Candidate {
  line: number;
  legacyUsername: string;
  /** the login name a new account gets */
  username: string;
  displayName: string;
  role: string;
  tenantCode: string;
  unitCode: string | null;
  mac: string;
}

interface Existing {
  id: string;
  tenant_code: string;
  legacy_username: string;
  username: string;
  display_name: string;
  roles: string[];
  unit_code: string | null;
  initial_mac: string | null;
  password_kind: PasswordKind;
}

interface Update {
  id: string;
  tenantCode: string;
  displayName: string;
  role: string;
  unitCode: string | null;
  mac: string;
  /** the first password's value changed: on an account still on it, that password is new */
  newSecret: boolean;
  rolesChanged: boolean;
  passwordKind: PasswordKind;
}

const reason = (zh: string, en: string): Localized => ({ "zh-CN": zh, en });
const identityKey = (tenantCode: string, legacyUsername: string) => `${tenantCode}\u0000${legacyUsername}`;
const sameRoles = (stored: string[], role: string) => stored.length === 1 && stored[0] === role;

/** What an import is working on: the counts, what it has seen so far, and its caller's options. */
class Run {
  readonly report: ImportReport = { created: 0, updated: 0, unchanged: 0, rejected: [], renamed: [] };
  /** identity → the line that first named it */
  private readonly identities = new Map<string, number>();
  /** username key → the line whose account holds it */
  private readonly usernames = new Map<string, number>();
  private readonly rules = new Map<string, UsernameRule | undefined>();
  private readonly tenants = new Set<string>();

  constructor(
    private readonly opts: ImportOptions,
    private readonly trx: Knex.Transaction,
  ) {}

  reject(line: number, username: string, field: string, why: Localized): null {
    this.report.rejected.push({ line, username, field, reason: why });
    return null;
  }

  private ruleOf(tenantCode: string): UsernameRule | undefined {
    if (!this.rules.has(tenantCode)) {
      const setting = this.opts.tree.usernameRule(tenantCode);
      // The loader checked every rule in tenants/; a tree built by hand is checked here.
      this.rules.set(tenantCode, setting && parseUsernameRule(setting.template, setting.lowercase));
    }
    return this.rules.get(tenantCode);
  }

  /** The checks a row needs no database for, in the order of the columns. */
  check(line: number, v: Record<string, string>): Candidate | null {
    const legacyUsername = v.username;
    const no = (field: string, zh: string, en: string) => this.reject(line, legacyUsername, field, reason(zh, en));
    if (!legacyUsername) return no("username", "缺少用户名", "the username is missing");
    if ([...legacyUsername].length > MAX_LEGACY_USERNAME || CONTROL.test(legacyUsername)) {
      return no("username", `用户名应为不超过 ${MAX_LEGACY_USERNAME} 个字符的文本`, `a username is text of at most ${MAX_LEGACY_USERNAME} characters`);
    }
    if (!v.display_name) return no("display_name", "缺少名称", "the display name is missing");
    if ([...v.display_name].length > MAX_DISPLAY_NAME || CONTROL.test(v.display_name)) {
      return no("display_name", `名称应为不超过 ${MAX_DISPLAY_NAME} 个字符的文本`, `a display name is text of at most ${MAX_DISPLAY_NAME} characters`);
    }
    if (v.role === "platform-admin") return no("role", "平台管理员不能导入，只能在平台上设置", "platform administrators are not imported; they are made on the platform");
    const roles = this.opts.roles;
    if (!roles.includes(v.role)) return no("role", `角色应为以下之一：${roles.join(", ")}`, `the role is one of: ${roles.join(", ")}`);
    const tenant = this.opts.tree.get(v.tenant_code);
    if (!tenant) return no("tenant_code", `区划 ${v.tenant_code} 不在本平台`, `${v.tenant_code || "(empty)"} is not a tenant of this platform`);
    if (tenant.onPlatform === false) return no("tenant_code", `${tenant.name["zh-CN"]}使用自己的平台，不在本平台上`, `${tenant.name.en} runs its own platform and is not on this one`);
    if ([...v.unit_code].length > MAX_UNIT_CODE || CONTROL.test(v.unit_code)) {
      return no("unit_code", `单位编码应为不超过 ${MAX_UNIT_CODE} 个字符的文本`, `a unit code is text of at most ${MAX_UNIT_CODE} characters`);
    }
    const credential = this.opts.credential!;
    const secret = v[credential.column];
    const { label, message } = credential.rule;
    if (!credential.covers(v.role)) return no("role", `本平台的初始密码规则（${label["zh-CN"]}）不适用于该角色`, `the platform's first-password rule (the ${label.en}) is not for this role`);
    if (!secret) return no(credential.column, `缺少${label["zh-CN"]}（初始密码）`, `the ${label.en} (the first password) is missing`);
    if (!credential.fits(secret)) return no(credential.column, message["zh-CN"], message.en);

    const key = identityKey(tenant.code, legacyUsername);
    const first = this.identities.get(key);
    if (first !== undefined) return no("username", `与第 ${first} 行是同一区划的同一账号`, `the same account (tenant and username) as line ${first}`);

    const unitCode = v.unit_code || null;
    if (!this.opts.may({ tenantCode: tenant.code, roles: [v.role], unitCode })) {
      return no("tenant_code", "无权为该区划导入该角色的账号", "you may not import accounts of this role for this tenant");
    }
    const made = makeUsername(this.ruleOf(tenant.code), { username: legacyUsername, unitCode, credential: secret, tenantCode: tenant.code, role: v.role });
    if ("reason" in made) return this.reject(line, legacyUsername, made.field, made.reason);

    this.identities.set(key, line);
    return {
      line,
      legacyUsername,
      username: made.username,
      displayName: v.display_name,
      role: v.role,
      tenantCode: tenant.code,
      unitCode,
      mac: macOf(this.opts.macKey, secret),
    };
  }

  /** Looks a batch up in two queries, then writes what is new or changed in one statement each. */
  async write(candidates: Candidate[]): Promise<void> {
    const { trx, opts, report } = this;
    const batch = await this.withKnownUnits(candidates);
    // One index probe per row (LATERAL ... LIMIT 1): during a first import the table's statistics
    // still say it is empty, and a plain join or `= any` would scan the rows this import has
    // already written, batch after batch.
    const found: Existing[] = (
      await trx.raw(
        `select a.* from unnest(?::text[], ?::text[]) as v(tenant_code, legacy_username)
           cross join lateral (
             select id, tenant_code, legacy_username, username, display_name, roles, unit_code, initial_mac, password_kind
               from core_accounts a where a.tenant_code = v.tenant_code and a.legacy_username = v.legacy_username limit 1) a`,
        [batch.map((c) => c.tenantCode), batch.map((c) => c.legacyUsername)],
      )
    ).rows;
    const existing = new Map(found.map((e) => [identityKey(e.tenant_code, e.legacy_username), e]));
    const fresh = batch.filter((c) => !existing.has(identityKey(c.tenantCode, c.legacyUsername)));
    const taken = new Set<string>(
      fresh.length
        ? (
            await trx.raw(
              `select a.username_key from unnest(?::text[]) as v(username_key)
                 cross join lateral (select username_key from core_accounts a where a.username_key = v.username_key limit 1) a`,
              [fresh.map((c) => usernameKey(c.username))],
            )
          ).rows.map((r: { username_key: string }) => r.username_key)
        : [],
    );

    const inserts: Array<{ row: Record<string, unknown>; c: Candidate }> = [];
    const updates: Update[] = [];
    const renamedIfImported: Candidate[] = [];
    for (const c of batch) {
      const e = existing.get(identityKey(c.tenantCode, c.legacyUsername));
      if (e) {
        this.usernames.set(usernameKey(e.username), c.line);
        const rolesChanged = !sameRoles(e.roles, c.role);
        const newSecret = e.initial_mac !== c.mac;
        if (!rolesChanged && !newSecret && e.display_name === c.displayName && e.unit_code === c.unitCode) {
          report.unchanged++;
          this.renamed(c, e.username);
          continue;
        }
        // The row may be theirs to import; the account as it stands must be theirs to change too.
        if (!opts.may({ tenantCode: e.tenant_code, roles: e.roles, unitCode: e.unit_code })) {
          this.reject(c.line, c.legacyUsername, "role", reason("该账号已存在，您无权修改", "this account exists and you may not change it"));
          continue;
        }
        updates.push({ id: e.id, tenantCode: e.tenant_code, displayName: c.displayName, role: c.role, unitCode: c.unitCode, mac: c.mac, newSecret, rolesChanged, passwordKind: e.password_kind });
        this.renamed(c, e.username);
        continue;
      }
      const key = usernameKey(c.username);
      const earlier = this.usernames.get(key);
      if (taken.has(key)) {
        this.reject(c.line, c.legacyUsername, "username", reason(`用户名「${c.username}」已属于另一个账号`, `the username "${c.username}" already belongs to another account`));
        continue;
      }
      if (earlier !== undefined) {
        this.reject(c.line, c.legacyUsername, "username", reason(`用户名「${c.username}」已由第 ${earlier} 行的账号使用`, `the username "${c.username}" is already taken by line ${earlier}`));
        continue;
      }
      this.usernames.set(key, c.line);
      inserts.push({ c, row: this.newAccount(c, key) });
      renamedIfImported.push(c);
    }

    if (inserts.length) {
      // An account made on the platform meanwhile (the lock is only the imports') may take a
      // username: that row is skipped, not the batch.
      const made: Array<{ tenant_code: string; legacy_username: string }> = await trx("core_accounts")
        .insert(inserts.map((i) => i.row))
        .onConflict()
        .ignore()
        .returning(["tenant_code", "legacy_username"]);
      const stored = new Set(made.map((m) => identityKey(m.tenant_code, m.legacy_username)));
      for (const { c } of inserts) {
        if (stored.has(identityKey(c.tenantCode, c.legacyUsername))) {
          report.created++;
          this.renamed(c, c.username);
          this.tenants.add(c.tenantCode);
        } else {
          this.reject(c.line, c.legacyUsername, "username", reason(`用户名「${c.username}」已属于另一个账号`, `the username "${c.username}" already belongs to another account`));
        }
      }
    }
    if (updates.length) await this.update(updates);
  }

  /** The rows whose unit is one of their region's (one look-up per batch); the others are rejected. */
  private async withKnownUnits(batch: Candidate[]): Promise<Candidate[]> {
    const withUnit = batch.filter((c) => c.unitCode !== null);
    if (!this.opts.unitProblems || !withUnit.length) return batch;
    const problems = await this.opts.unitProblems(withUnit.map((c) => ({ tenantCode: c.tenantCode, unitCode: c.unitCode! })));
    const refused = new Set<Candidate>();
    problems.forEach((why, i) => {
      refused.add(withUnit[i]);
      this.reject(withUnit[i].line, withUnit[i].legacyUsername, "unit_code", why);
    });
    return refused.size ? batch.filter((c) => !refused.has(c)) : batch;
  }

  private newAccount(c: Candidate, key: string): Record<string, unknown> {
    const now = this.opts.now;
    return {
      username: c.username,
      username_key: key,
      display_name: c.displayName,
      tenant_code: c.tenantCode,
      unit_code: c.unitCode,
      roles: [c.role],
      status: "active",
      password_kind: "initial",
      initial_mac: c.mac,
      password_set_at: now,
      password_expires_at: new Date(now.getTime() + this.opts.tree.initialPasswordDays(c.tenantCode) * DAY_MS),
      legacy_username: c.legacyUsername,
    };
  }

  private async update(updates: Update[]): Promise<void> {
    const { trx, opts } = this;
    const now = opts.now;
    // A new value is the new first password only while the account is still on its first
    // password, which then gets a full period again; a password of the user's own stays as it is.
    await trx.raw(
      `update core_accounts a set
         display_name = v.display_name,
         roles = array[v.role],
         unit_code = v.unit_code,
         initial_mac = v.initial_mac,
         password_set_at = case when v.renew and a.password_kind = 'initial' then ?::timestamptz else a.password_set_at end,
         password_expires_at = case when v.renew and a.password_kind = 'initial' then v.expires_at else a.password_expires_at end,
         version = a.version + 1,
         updated_at = now()
       from unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::boolean[], ?::timestamptz[])
         as v(id, display_name, role, unit_code, initial_mac, renew, expires_at)
       where a.id = v.id`,
      [
        now,
        updates.map((u) => u.id),
        updates.map((u) => u.displayName),
        updates.map((u) => u.role),
        updates.map((u) => u.unitCode),
        updates.map((u) => u.mac),
        updates.map((u) => u.newSecret),
        updates.map((u) => new Date(now.getTime() + opts.tree.initialPasswordDays(u.tenantCode) * DAY_MS)),
      ],
    );
    this.report.updated += updates.length;
    for (const u of updates) this.tenants.add(u.tenantCode);
    for (const u of updates) {
      // Sessions opened with the old roles, or with a first password that is no longer the one, end.
      if (opts.endSessions && (u.rolesChanged || (u.newSecret && u.passwordKind === "initial"))) await opts.endSessions(trx, u.id);
    }
  }

  private renamed(c: Candidate, username: string): void {
    if (username !== c.legacyUsername) this.report.renamed.push({ line: c.line, legacyUsername: c.legacyUsername, username });
  }

  touched(): string[] {
    return [...this.tenants].sort();
  }
}

/**
 * Imports accounts from CSV with the header username,display_name,role,tenant_code,unit_code and the initial-credential rule's column
 * (UTF-8, a BOM is fine; any column order). See the top of this file.
 */
export async function importAccounts(input: Readable, opts: ImportOptions): Promise<ImportReport> {
  const credential = opts.credential;
  if (!credential) {
    throw new PlatformError(
      "CONFLICT",
      { "zh-CN": "本平台未安装初始密码规则，无法导入账号", en: "No plugin on this platform says what an imported account's first password is, so no account can be imported" },
      { rule: "initial-credential" },
    );
  }
  const columns = [...IMPORT_COLUMNS, credential.column];
  return opts.knex.transaction(async (trx) => {
    await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [LOCK]);
    const run = new Run(opts, trx);
    let rows = 0;
    let bytes = 0;
    let batch: Candidate[] = [];
    // The database writes one batch while the next is read and checked: on two cores that hides
    // most of the parsing. Batches are still written one after the other, in the file's order.
    let writing: Promise<void> | null = null;
    const write = async (next: Candidate[]) => {
      await writing;
      writing = run.write(next);
      // awaited at the next batch or the end; until then its failure must not count as unhandled
      writing.catch(() => {});
    };
    try {
      for await (const row of readCsv(input, { columns, required: columns, maxBytes: opts.maxBytes })) {
        rows++;
        bytes = row.bytes;
        if (row.problem) run.reject(row.line, row.values.username ?? "", "", row.problem.message!);
        else {
          const candidate = run.check(row.line, row.values);
          if (candidate) batch.push(candidate);
        }
        if (batch.length >= BATCH) {
          await write(batch);
          batch = [];
        }
        if (rows % PROGRESS_EVERY === 0) opts.onProgress?.({ rows, bytes });
      }
      if (batch.length) await write(batch);
      await writing;
    } catch (err) {
      // The transaction rolls back on this error: not before the write in flight is done with its connection.
      await (writing as Promise<void> | null)?.catch(() => {});
      throw err;
    }
    opts.onProgress?.({ rows, bytes });

    const { report } = run;
    report.rejected.sort((a, b) => a.line - b.line);
    report.renamed.sort((a, b) => a.line - b.line);
    await writeAudit(trx, {
      actor: opts.actor,
      action: "accounts.import",
      object: "core_accounts",
      after: {
        rows,
        bytes,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        rejected: report.rejected.length,
        renamed: report.renamed.length,
        tenants: run.touched(),
      },
    });
    return report;
  });
}
