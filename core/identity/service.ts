import type { Readable } from "node:stream";
import { subject } from "@casl/ability";
import type { Knex } from "knex";
import type { AppAbility, PlatformContext, PlatformServiceSchema, SessionUser } from "../plugins/types";
import { abilityOf, assertCan } from "../access/ability";
import { scopeQuery } from "../access/sql-scope";
import { unitProblems } from "../access/units";
import { compileSchema, schemaErrors } from "../forms/validate";
import { conflict, fieldError, forbidden, notFound, validationFailed } from "../errors";
import { writeAudit } from "../audit/log";
import { ACCOUNT, accountView, findById, usernameKey, type AccountRow } from "./accounts";
import { PRIVILEGED_ROLES } from "./roles";
import { importAccounts } from "./account-import";
import { clearAttempts, type ClientInfo, type Identity } from "./index";
import { isUuid } from "../db";
import { pageOf } from "../gateway/query";

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

export function accountsService(identity: Identity): PlatformServiceSchema {
  const knex = identity.knex;

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
        async handler(ctx: PlatformContext<{ q?: string; tenantCode?: string; role?: string; status?: string; passwordKind?: string; page?: string; pageSize?: string }>) {
          const { page, pageSize } = pageOf(ctx.params, { pageSize: 50, maxPageSize: 200 });
          const query = scopeQuery(knex<AccountRow>("core_accounts"), abilityOf(ctx), "read", "Account");
          const q = (ctx.params.q ?? "").trim();
          if (q) {
            const like = q.replace(/[\\%_]/g, (c) => "\\" + c);
            query.where((w) => w.where("username_key", "like", `%${like.toLowerCase()}%`).orWhere("display_name", "ilike", `%${like}%`).orWhere("unit_code", q));
          }
          if (ctx.params.tenantCode) query.where("tenant_code", ctx.params.tenantCode);
          if (ctx.params.role) query.whereRaw("? = any(roles)", [ctx.params.role]);
          if (ctx.params.status) query.where("status", ctx.params.status);
          // ?passwordKind=initial: who is still on the first password (and until when)
          if (ctx.params.passwordKind) query.where("password_kind", ctx.params.passwordKind);
          const [{ count }] = await query.clone().count({ count: "*" });
          const rows = await query.orderBy("tenant_code").orderBy("username_key").limit(pageSize).offset((page - 1) * pageSize);
          return { items: rows.map(accountView), total: Number(count), page, pageSize };
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
