import type { Readable } from "node:stream";
import { subject } from "@casl/ability";
import type { Knex } from "knex";
import type { AppAbility, PlatformContext, PlatformServiceSchema, SessionUser } from "../plugins/types";
import { abilityOf, assertCan } from "../access/ability";
import { scopeQuery } from "../access/sql-scope";
import { unitProblems } from "../access/units";
import { compileSchema, schemaErrors } from "../forms/validate";
import { conflict, type ErrorDetail, fieldError, forbidden, type Lang, notFound, validationFailed } from "../errors";
import { writeAudit } from "../audit/log";
import { ACCOUNT, accountView, findById, usernameKey, type AccountRow, type AccountView } from "./accounts";
import { PRIVILEGED_ROLES } from "./roles";
import { importAccounts } from "./account-import";
import { clearAttempts, type ClientInfo, type Identity } from "./index";
import { isUuid } from "../db";
import { oneOfParam, single } from "../gateway/query";
import { listPage, listParams, whereContains, type ListOrder, type SearchColumn } from "../gateway/list-query";
import { exportFormatParam, exportLang, exportList, type ExportColumn } from "../gateway/export";

const IMPORT_LIMIT = 64 * 1024 * 1024;

const clientOf = (ctx: PlatformContext): ClientInfo => (ctx.meta.client as ClientInfo | undefined) ?? {};
const actorOf = (user: SessionUser) => ({ id: user.id, username: user.username, tenant: user.tenantCode });

const accountFields = {
  displayName: { type: "string", minLength: 1, maxLength: 100, title: "姓名或单位名称 Display name" },
  unitCode: { type: ["string", "null"], minLength: 1, maxLength: 64, title: "所属单位编码 Unit code" },
  // which names are roles is the installed plugins' to say (knownRoles below)
  roles: { type: "array", minItems: 1, uniqueItems: true, items: { type: "string", minLength: 1, maxLength: 64 }, title: "角色 Roles" },
};
const validateCreate = compileSchema({
  $id: "core.account-create",
  type: "object",
  additionalProperties: false,
  required: ["username", "displayName", "tenantCode", "roles"],
  properties: {
    username: { type: "string", pattern: "^[\\p{L}\\p{N}_.@-]{2,64}$", title: "用户名 Username" },
    tenantCode: { type: "string", format: "division-code", title: "所属地区 Tenant" },
    ...accountFields,
  },
});
const validateUpdate = compileSchema({
  $id: "core.account-update",
  type: "object",
  additionalProperties: false,
  properties: { ...accountFields, status: { enum: ["active", "disabled"] }, expectedVersion: { type: "integer", minimum: 1 } },
});

/** Field errors for names that are no role of this platform (core's and its plugins'). */
function knownRoles(identity: Identity, roles: string[] | undefined): void {
  const names = identity.roles.names();
  const problems = (roles ?? []).flatMap((r, i) =>
    identity.roles.has(r) ? [] : [fieldError(`/roles/${i}`, "enum", `角色应为以下之一：${names.join(", ")}`, `must be one of: ${names.join(", ")}`)],
  );
  if (problems.length) throw validationFailed(problems);
}

/** Only a platform administrator gives the roles that administer others. */
function assertMayGrant(ability: AppAbility, roles: string[]): void {
  if (roles.some((r) => (PRIVILEGED_ROLES as readonly string[]).includes(r)) && !ability.can("manage", "all")) throw forbidden();
}

export function authService(identity: Identity): PlatformServiceSchema {
  return {
    name: "auth",
    events: {
      // another node revoked sessions: stop trusting their tokens here too
      "identity.sessions.revoked"(ctx: PlatformContext<{ ids?: unknown }>) {
        if (Array.isArray(ctx.params.ids)) identity.sessions.forget(ctx.params.ids.filter((id): id is string => typeof id === "string"));
      },
    },
    actions: {
      login: {
        rest: "POST /auth/login",
        kind: "continue",
        permission: "public",
        duringPasswordChange: true,
        handler(ctx: PlatformContext<{ username?: unknown; password?: unknown }>) {
          return identity.login(ctx.params.username, ctx.params.password, clientOf(ctx));
        },
      },
      refresh: {
        rest: "POST /auth/refresh",
        kind: "continue",
        permission: "public",
        duringPasswordChange: true,
        handler(ctx: PlatformContext<{ refreshToken?: unknown }>) {
          return identity.refresh(ctx.params.refreshToken);
        },
      },
      logout: {
        rest: "POST /auth/logout",
        kind: "continue",
        permission: "authenticated",
        duringPasswordChange: true,
        async handler(ctx: PlatformContext<{ all?: unknown }>) {
          await identity.logout(ctx.meta.user!, ctx.params.all === true);
          return { signedOut: true };
        },
      },
      changePassword: {
        rest: "POST /auth/change-password",
        kind: "continue",
        permission: "authenticated",
        duringPasswordChange: true,
        handler(ctx: PlatformContext<{ currentPassword?: unknown; newPassword?: unknown }>) {
          return identity.changePassword(ctx.meta.user!, ctx.params.currentPassword, ctx.params.newPassword, clientOf(ctx));
        },
      },
      roles: {
        rest: "GET /roles",
        kind: "read",
        permission: "public",
        // What the platform's roles are called, for the web app's labels and the console's lists:
        // core's and those its plugins declare.
        handler() {
          return { items: identity.roles.list().map((r) => ({ name: r.name, title: r.title, plugin: r.plugin, oversees: r.oversees })) };
        },
      },
      me: {
        rest: "GET /me",
        kind: "read",
        permission: "authenticated",
        async handler(ctx: PlatformContext) {
          const user = ctx.meta.user!;
          const row = await findById(identity.knex, user.id);
          if (!row) throw notFound(ACCOUNT);
          return {
            user: identity.viewOf(row),
            tenant: identity.describeTenant(row.tenant_code),
            mustChangePassword: !!user.mustChangePassword,
            // The caller's CASL rules, for the web app to show and hide what they may do
            // (createMongoAbility(rules) rebuilds the same ability in the browser).
            rules: abilityOf(ctx).rules,
          };
        },
      },
    },
  };
}

interface AccountListParams {
  q?: unknown;
  tenantCode?: unknown;
  role?: unknown;
  status?: unknown;
  passwordKind?: unknown;
  page?: unknown;
  pageSize?: unknown;
  cursor?: unknown;
}

const ACCOUNT_STATUSES = ["active", "disabled"] as const;
const PASSWORD_KINDS = ["none", "initial", "one-time", "chosen"] as const;

/** By region, then username (unique): the index core_accounts_listed. */
const ACCOUNT_ORDER: ListOrder = {
  name: "accounts",
  keys: [
    { column: "tenant_code", kind: "text" },
    { column: "username_key", kind: "text" },
  ],
  direction: "asc",
};

/** `q`: username, display name, unit code and old username, normalised (migration 20261207004100_list_search). */
const ACCOUNT_SEARCH: SearchColumn = { column: "search", bigrams: "core_bigrams(search)", trigram: true };

/**
 * The export's columns: what the console's list shows. Never a hash or a MAC, and not the unit's
 * code either: an account on its first password signs in with a code a plugin may derive from it
 * (core/identity/credential.ts), and a spreadsheet travels further than the console.
 */
function accountColumns(lang: Lang, roleTitle: (role: string) => string): ExportColumn<AccountView>[] {
  const kinds: Record<string, { "zh-CN": string; en: string }> = {
    none: { "zh-CN": "未设密码", en: "none" },
    initial: { "zh-CN": "初始密码", en: "first password" },
    "one-time": { "zh-CN": "一次性密码", en: "one-time password" },
    chosen: { "zh-CN": "自设密码", en: "chosen" },
  };
  const statuses: Record<string, { "zh-CN": string; en: string }> = { active: { "zh-CN": "启用", en: "active" }, disabled: { "zh-CN": "停用", en: "disabled" } };
  return [
    { title: { "zh-CN": "用户名", en: "Username" }, value: (a) => a.username, width: 24 },
    { title: { "zh-CN": "姓名或单位名称", en: "Display name" }, value: (a) => a.displayName, width: 30 },
    { title: { "zh-CN": "区划代码", en: "Division code" }, value: (a) => a.tenantCode, width: 10 },
    { title: { "zh-CN": "角色", en: "Roles" }, value: (a) => a.roles.map(roleTitle).join(lang === "en" ? ", " : "、"), width: 24 },
    { title: { "zh-CN": "状态", en: "Status" }, value: (a) => statuses[a.status]?.[lang] ?? a.status, width: 8 },
    { title: { "zh-CN": "密码类型", en: "Password" }, value: (a) => kinds[a.passwordKind]?.[lang] ?? a.passwordKind, width: 14 },
    { title: { "zh-CN": "密码到期时间", en: "Password expires" }, value: (a) => a.passwordExpiresAt, width: 26 },
    { title: { "zh-CN": "原用户名", en: "Old username" }, value: (a) => a.legacyUsername, width: 20 },
    { title: { "zh-CN": "创建时间", en: "Created" }, value: (a) => a.createdAt, width: 26 },
  ];
}

export function accountsService(identity: Identity): PlatformServiceSchema {
  const knex = identity.knex;

  /** The accounts the caller may read, filtered as the list's query string says (400 naming every bad parameter). */
  function filteredAccounts(ctx: PlatformContext<AccountListParams>, problems: ErrorDetail[] = []) {
    const p = ctx.params;
    const tenantCode = single(p.tenantCode);
    if (tenantCode === null || (tenantCode && !/^\d{6}$/.test(tenantCode))) problems.push(fieldError("/tenantCode", "format", "应为 6 位区划代码", "must be a 6-digit division code"));
    const role = single(p.role);
    if (role === null || (role && !identity.roles.has(role))) {
      problems.push(fieldError("/role", "enum", `角色应为以下之一：${identity.roles.names().join(", ")}`, `must be one of: ${identity.roles.names().join(", ")}`));
    }
    const status = oneOfParam("status", p.status, ACCOUNT_STATUSES, problems);
    const passwordKind = oneOfParam("passwordKind", p.passwordKind, PASSWORD_KINDS, problems);
    const req = listParams(p, ACCOUNT_ORDER, { pageSize: 50, maxPageSize: 200 }, problems);
    const query = scopeQuery(knex<AccountRow>("core_accounts"), abilityOf(ctx), "read", "Account");
    if (tenantCode) query.where("tenant_code", tenantCode);
    if (role) query.whereRaw("? = any(roles)", [role]);
    if (status) query.where("status", status);
    // ?passwordKind=initial: who is still on the first password (and until when)
    if (passwordKind) query.where("password_kind", passwordKind);
    whereContains(query, ACCOUNT_SEARCH, req.terms);
    return { query, req };
  }

  /**
   * An account's unit is a registered unit of the account's region and of the administrator's: one
   * of another city would let its holder read and move that city's business (issue 13).
   */
  async function assertUnit(ctx: PlatformContext, unitCode: string | null | undefined, tenantCode: string): Promise<void> {
    if (unitCode === undefined || unitCode === null) return;
    const problems = await unitProblems(ctx, identity.tree, [{ path: "/unitCode", code: unitCode, regions: [tenantCode, ctx.meta.user!.tenantCode] }]);
    if (problems.length) throw validationFailed(problems);
  }

  async function findVisible(ctx: PlatformContext, id: unknown, action = "read", db: Knex | Knex.Transaction = knex): Promise<AccountRow> {
    if (!isUuid(id)) throw notFound(ACCOUNT);
    const row = await findById(db, id);
    if (!row) throw notFound(ACCOUNT);
    assertCan(abilityOf(ctx), action, "Account", { ...accountView(row) }, ACCOUNT);
    return row;
  }

  return {
    name: "accounts",
    actions: {
      list: {
        rest: "GET /accounts",
        kind: "read",
        permission: ["read", "Account"],
        async handler(ctx: PlatformContext<AccountListParams>) {
          const { query, req } = filteredAccounts(ctx);
          const { rows, nextCursor, total, totalIsEstimate } = await listPage<AccountRow>(knex, query, ACCOUNT_ORDER, req);
          return { items: rows.map(accountView), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
        },
      },

      // before `get`, whose /accounts/:id would take "export" for an id
      export: {
        rest: "GET /accounts/export",
        kind: "read",
        permission: ["read", "Account"],
        async handler(ctx: PlatformContext<AccountListParams & { format?: unknown; lang?: unknown }>) {
          const problems: ErrorDetail[] = [];
          const format = exportFormatParam(ctx.params.format, problems);
          const { query } = filteredAccounts(ctx, problems);
          const lang = exportLang(ctx.params.lang);
          const columns = accountColumns(lang, (role) => identity.roles.list().find((r) => r.name === role)?.title[lang] ?? role);
          return exportList<AccountRow>(ctx, {
            db: knex,
            query,
            order: ACCOUNT_ORDER,
            columns: columns.map((c) => ({ ...c, value: (row: AccountRow) => c.value(accountView(row)) })),
            format,
            lang,
            filename: lang === "en" ? "accounts" : "账号",
            sheet: { "zh-CN": "账号", en: "Accounts" },
          });
        },
      },

      get: {
        rest: "GET /accounts/:id",
        kind: "read",
        permission: ["read", "Account"],
        async handler(ctx: PlatformContext<{ id: string }>) {
          return accountView(await findVisible(ctx, ctx.params.id));
        },
      },

      create: {
        rest: "POST /accounts",
        kind: "create",
        permission: ["create", "Account"],
        async handler(ctx: PlatformContext<Record<string, unknown>>) {
          const problems = schemaErrors(validateCreate, ctx.params);
          if (problems.length) throw validationFailed(problems);
          const data = ctx.params as { username: string; displayName: string; tenantCode: string; unitCode?: string | null; roles: string[] };
          knownRoles(identity, data.roles);
          const tenant = identity.tree.get(data.tenantCode);
          if (!tenant || tenant.onPlatform === false) throw validationFailed([fieldError("/tenantCode", "tenant", "该地区不在本平台", "not a tenant of this platform")]);
          const ability = abilityOf(ctx);
          if (!ability.can("create", subject("Account", { tenantCode: data.tenantCode, privileged: data.roles.includes("platform-admin") }))) throw forbidden();
          assertMayGrant(ability, data.roles);
          await assertUnit(ctx, data.unitCode, data.tenantCode);
          const { password, hash, setAt, expiresAt } = await identity.oneTimePassword(data.tenantCode);
          const row = await knex.transaction(async (trx) => {
            const [created] = await trx<AccountRow>("core_accounts")
              .insert({
                username: data.username,
                username_key: usernameKey(data.username),
                display_name: data.displayName,
                tenant_code: data.tenantCode,
                unit_code: data.unitCode ?? null,
                roles: data.roles,
                password_kind: "one-time",
                password_hash: hash,
                password_set_at: setAt,
                password_expires_at: expiresAt,
              } as never)
              .onConflict("username_key")
              .ignore()
              .returning("*");
            if (!created) throw validationFailed([fieldError("/username", "unique", "该用户名已被使用", "this username is taken")]);
            await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: data.tenantCode, action: "accounts.create", object: created.id, after: accountView(created) });
            return created;
          });
          ctx.meta.$statusCode = 201;
          return { account: accountView(row), oneTimePassword: password, expiresAt: expiresAt.toISOString() };
        },
      },

      update: {
        rest: "PATCH /accounts/:id",
        kind: "continue",
        permission: ["read", "Account"], // object-level: 404 for an account the caller cannot see, 403 for one it can
        async handler(ctx: PlatformContext<Record<string, unknown>>) {
          const { id, ...changes } = ctx.params;
          const problems = schemaErrors(validateUpdate, changes);
          if (problems.length) throw validationFailed(problems);
          const patch = changes as { displayName?: string; unitCode?: string | null; roles?: string[]; status?: "active" | "disabled"; expectedVersion?: number };
          knownRoles(identity, patch.roles);
          const ability = abilityOf(ctx);
          const row = await findVisible(ctx, id, "update");
          if (patch.roles) assertMayGrant(ability, patch.roles);
          if (patch.status === "disabled" && !ability.can("disable", subject("Account", { ...accountView(row) }))) throw forbidden();
          if (row.id === ctx.meta.user!.id && (patch.roles || patch.status)) throw forbidden();
          if (patch.unitCode !== row.unit_code) await assertUnit(ctx, patch.unitCode, row.tenant_code);
          return knex.transaction(async (trx) => {
            const [updated] = await trx<AccountRow>("core_accounts")
              .where({ id: row.id, version: patch.expectedVersion ?? row.version })
              .update({
                ...(patch.displayName !== undefined ? { display_name: patch.displayName } : {}),
                ...(patch.unitCode !== undefined ? { unit_code: patch.unitCode } : {}),
                ...(patch.roles ? { roles: patch.roles } : {}),
                ...(patch.status ? { status: patch.status } : {}),
                version: trx.raw("version + 1"),
                updated_at: trx.fn.now(),
              } as never)
              .returning("*");
            if (!updated) {
              throw conflict({ "zh-CN": "该账号已被他人修改，请刷新后重试", en: "This account was changed by someone else; reload and try again" }, { currentVersion: (await findById(trx, row.id))?.version });
            }
            // What a session's token says (roles, unit) must stay true: changing it ends the sessions.
            const rolesChanged = patch.roles && patch.roles.slice().sort().join() !== row.roles.slice().sort().join();
            if (rolesChanged || (patch.unitCode !== undefined && patch.unitCode !== row.unit_code) || (patch.status === "disabled" && row.status !== "disabled")) {
              await identity.sessions.revokeAll(trx, row.id, "account-changed");
            }
            await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: row.tenant_code, action: "accounts.update", object: row.id, before: accountView(row), after: accountView(updated) });
            return accountView(updated);
          });
        },
      },

      disable: {
        rest: "DELETE /accounts/:id",
        kind: "continue",
        permission: ["read", "Account"], // object-level: 404 for an account the caller cannot see, 403 for one it can
        async handler(ctx: PlatformContext<{ id: string }>) {
          const row = await findVisible(ctx, ctx.params.id, "disable");
          if (row.id === ctx.meta.user!.id) throw forbidden();
          return knex.transaction(async (trx) => {
            const [updated] = await trx<AccountRow>("core_accounts")
              .where({ id: row.id })
              .update({ status: "disabled", version: trx.raw("version + 1"), updated_at: trx.fn.now() } as never)
              .returning("*");
            const ended = await identity.sessions.revokeAll(trx, row.id, "account-disabled");
            await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: row.tenant_code, action: "accounts.disable", object: row.id, after: { sessionsEnded: ended.length } });
            return accountView(updated);
          });
        },
      },

      resetPassword: {
        rest: "POST /accounts/:id/reset-password",
        kind: "continue",
        permission: ["read", "Account"], // object-level: 404 for an account the caller cannot see, 403 for one it can
        async handler(ctx: PlatformContext<{ id: string }>) {
          const row = await findVisible(ctx, ctx.params.id, "reset");
          const { password, hash, setAt, expiresAt } = await identity.oneTimePassword(row.tenant_code);
          await knex.transaction(async (trx) => {
            await trx("core_accounts")
              .where({ id: row.id })
              .update({ password_kind: "one-time", password_hash: hash, password_set_at: setAt, password_expires_at: expiresAt, version: trx.raw("version + 1"), updated_at: trx.fn.now() });
            await clearAttempts(trx, row.username_key);
            const ended = await identity.sessions.revokeAll(trx, row.id, "password-reset");
            await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: row.tenant_code, action: "accounts.reset-password", object: row.id, after: { sessionsEnded: ended.length, expiresAt } });
          });
          // Shown once, to the administrator who passes it on; only its hash is kept.
          return { account: accountView((await findById(knex, row.id))!), oneTimePassword: password, expiresAt: expiresAt.toISOString() };
        },
      },

      import: {
        rest: "POST /accounts/import",
        stream: true,
        kind: "create",
        permission: ["import", "Account"],
        async handler(ctx: PlatformContext) {
          const ability = abilityOf(ctx);
          const user = ctx.meta.user!;
          return importAccounts(ctx.stream as Readable, {
            knex,
            tree: identity.tree,
            macKey: identity.macKey,
            roles: identity.roles.importable(),
            credential: identity.credential,
            now: identity.clock.now(),
            may: (row) =>
              ability.can("create", subject("Account", { tenantCode: row.tenantCode, privileged: false })) &&
              (ability.can("manage", "all") || !row.roles.some((r) => (PRIVILEGED_ROLES as readonly string[]).includes(r))),
            endSessions: (trx, accountId) => identity.sessions.revokeAll(trx, accountId, "changed-by-import"),
            unitProblems: async (rows) => {
              const problems = await unitProblems(ctx, identity.tree, rows.map((r, i) => ({ path: String(i), code: r.unitCode, regions: [r.tenantCode, user.tenantCode] })));
              return new Map(problems.map((p) => [Number(p.path), p.message!]));
            },
            actor: actorOf(user),
            maxBytes: IMPORT_LIMIT,
          });
        },
      },
    },
  };
}
