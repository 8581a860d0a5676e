import type { Readable } from "node:stream";
import { createMongoAbility, subject } from "@casl/ability";
import { permittedFieldsOf } from "@casl/ability/extra";
import { raw } from "objection";
import { abilityOf, actorOf, type AppAbility, assertCan, conflict, fieldError, forbidden, isUuid, listPage, listParams, type ListOrder, notFound, type PlatformContext, type PlatformServiceSchema, scopeQuery, validateForm, validationFailed, whereContains, writeAudit } from "../../../core/sdk";
import { REGISTRY_SEARCH } from "./coded-registry";
import type { RegistriesPurchaser } from "../../../forms/types";
import { tenantProblem, uniqueViolation } from "./purchaser-rules";
import { Purchaser, purchaserFields, PURCHASER, toPublic, type PurchaserInput } from "./purchaser-model";
import { importPurchasers } from "./purchaser-import";

const FORM = "registries.purchaser";

/** Name order, the id breaking ties (the index registries_purchasers_name_order). */
const PURCHASER_ORDER: ListOrder = {
  name: "registries.Purchaser",
  keys: [
    { column: "name", kind: "text" },
    { column: "id", kind: "uuid" },
  ],
  direction: "asc",
};


async function findVisible(ctx: PlatformContext, id: unknown): Promise<Purchaser> {
  if (!isUuid(id)) throw notFound(PURCHASER);
  const row = await Purchaser.query().findById(id);
  if (!row) throw notFound(PURCHASER);
  assertCan(abilityOf(ctx), "read", "Purchaser", { ...row }, PURCHASER);
  return row;
}

/**
 * The caller's rules that show a unit's budget code, as an ability of their own: a search matches
 * the code only on those units (a prefix search on codes the caller cannot read would spell them
 * out, and they are first passwords).
 */
function budgetCodeReaders(ability: AppAbility): AppAbility {
  const rules = ability.rulesFor("read", "Purchaser", "budgetCode").map(({ action, subject, conditions, inverted }) => ({ action, subject, conditions, inverted }));
  return createMongoAbility(rules as never) as AppAbility;
}

const clean = (input: Record<string, unknown>): PurchaserInput => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    // Optional text left empty in a form means "not given".
    if (v === "" || v === null) continue;
    out[k] = typeof v === "string" ? v.trim() : v;
  }
  return out as PurchaserInput;
};

export const purchasersService: PlatformServiceSchema = {
  name: "registries.purchasers",
  actions: {
    create: {
      rest: "POST /purchasers",
      kind: "create",
      permission: ["create", "Purchaser"],
      async handler(ctx: PlatformContext<Record<string, unknown>>) {
        const data = validateForm<RegistriesPurchaser>(FORM, clean(ctx.params));
        const problem = tenantProblem(data.tenantCode);
        if (problem) throw validationFailed([problem]);
        if (!abilityOf(ctx).can("create", subject("Purchaser", { ...data }))) throw forbidden();
        try {
          const row = await Purchaser.transaction(async (trx) => {
            const created = await Purchaser.query(trx).insert(data).returning("*");
            await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: created.tenantCode, action: "registries.purchaser.create", object: created.budgetCode, after: toPublicFields(created) });
            return created;
          });
          ctx.meta.$statusCode = 201;
          return toPublic(row, abilityOf(ctx));
        } catch (err) {
          const dup = uniqueViolation(err);
          if (dup) throw validationFailed([dup]);
          throw err;
        }
      },
    },

    get: {
      rest: "GET /purchasers/:id",
      kind: "read",
      permission: ["read", "Purchaser"],
      async handler(ctx: PlatformContext<{ id: string }>) {
        return toPublic(await findVisible(ctx, ctx.params.id), abilityOf(ctx));
      },
    },

    list: {
      rest: "GET /purchasers",
      kind: "read",
      permission: ["read", "Purchaser"],
      async handler(ctx: PlatformContext<{ q?: string; tenantCode?: string; status?: string; page?: string; pageSize?: string }>) {
        const req = listParams(ctx.params, PURCHASER_ORDER, { pageSize: 20, maxPageSize: 100 });
        const query = scopeQuery(Purchaser.query(), abilityOf(ctx), "read", "Purchaser");
        const q = (ctx.params.q ?? "").trim();
        if (req.terms.length) {
          const like = q.replace(/[\\%_]/g, (c) => "\\" + c);
          const readers = budgetCodeReaders(abilityOf(ctx));
          query.where((w) =>
            w
              .where((n) => whereContains(n, REGISTRY_SEARCH, req.terms))
              .orWhere((c) => scopeQuery(c.where("budget_code", "like", `${like}%`), readers, "read", "Purchaser"))
              .orWhere("credit_code", q.toUpperCase()),
          );
        }
        if (ctx.params.tenantCode) query.where("tenant_code", ctx.params.tenantCode);
        if (ctx.params.status) query.where("status", ctx.params.status);
        const db = Purchaser.knex();
        const { rows, nextCursor, total, totalIsEstimate } = await listPage<Purchaser>(db, query, PURCHASER_ORDER, req);
        const ability = abilityOf(ctx);
        return { items: rows.map((p) => toPublic(p, ability)), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
      },
    },

    update: {
      rest: "PATCH /purchasers/:id",
      kind: "continue",
      // On one object: whoever cannot read it gets 404, whoever can read but not change it 403
      // (the handler decides, object by object; a type-level "update" here would answer 403 for
      // objects the caller cannot even see).
      permission: ["read", "Purchaser"],
      async handler(ctx: PlatformContext<Record<string, unknown>>) {
        const { id, expectedVersion, ...changes } = ctx.params;
        const row = await findVisible(ctx, id);
        const ability = abilityOf(ctx);
        if (!ability.can("update", subject("Purchaser", { ...row }))) throw forbidden();
        const patch = clean(changes);
        const merged = validateForm<RegistriesPurchaser>(FORM, { ...clean(toPublicFields(row)), ...patch });
        const problem = tenantProblem(merged.tenantCode);
        if (problem) throw validationFailed([problem]);
        // Field-level rules: a purchaser may change its own contact details, not its budget code.
        const allowed = new Set(permittedFieldsOf(ability, "update", subject("Purchaser", { ...row }), { fieldsFrom: (r) => r.fields || [...purchaserFields] }));
        const current = row as unknown as Record<string, unknown>;
        const denied = Object.entries(patch).filter(([f, v]) => v !== current[f] && !allowed.has(f));
        if (denied.length) throw forbidden();
        // Moving a unit to another tenant must also be allowed there.
        if (!ability.can("update", subject("Purchaser", { ...row, ...merged }))) throw forbidden();
        if (expectedVersion !== undefined && !Number.isInteger(expectedVersion)) {
          throw validationFailed([fieldError("/expectedVersion", "type", "应为整数", "must be an integer")]);
        }
        const version = (expectedVersion as number | undefined) ?? row.version;
        try {
          const updated = await Purchaser.transaction(async (trx) => {
            const after = await Purchaser.query(trx)
              .patch({ ...patch, version: raw("version + 1"), updatedAt: raw("now()") } as unknown as Partial<Purchaser>)
              .where({ id: row.id, version })
              .returning("*")
              .first();
            if (!after) {
              throw conflict({ "zh-CN": "该单位已被他人修改，请刷新后重试", en: "This unit was changed by someone else; reload and try again" }, { currentVersion: (await Purchaser.query(trx).findById(row.id))?.version });
            }
            const changed = after as unknown as Purchaser;
            await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: changed.tenantCode, action: "registries.purchaser.update", object: changed.budgetCode, before: toPublicFields(row), after: toPublicFields(changed) });
            return changed;
          });
          return toPublic(updated, ability);
        } catch (err) {
          const dup = uniqueViolation(err);
          if (dup) throw validationFailed([dup]);
          throw err;
        }
      },
    },

    // Units are never erased (procurement history names them): deleting one closes it.
    deactivate: {
      rest: "DELETE /purchasers/:id",
      kind: "continue",
      permission: ["read", "Purchaser"],
      async handler(ctx: PlatformContext<{ id: string }>) {
        const row = await findVisible(ctx, ctx.params.id);
        const ability = abilityOf(ctx);
        if (!ability.can("delete", subject("Purchaser", { ...row }))) throw forbidden();
        const updated = await Purchaser.transaction(async (trx) => {
          const after = (await Purchaser.query(trx)
            .patch({ status: "inactive", version: raw("version + 1"), updatedAt: raw("now()") } as unknown as Partial<Purchaser>)
            .where({ id: row.id })
            .returning("*")
            .first()) as unknown as Purchaser;
          await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: after.tenantCode, action: "registries.purchaser.deactivate", object: after.budgetCode, before: { status: row.status }, after: { status: after.status } });
          return after;
        });
        return toPublic(updated, ability);
      },
    },

    import: {
      rest: "POST /purchasers/import",
      stream: true,
      kind: "create",
      permission: ["import", "Purchaser"],
      async handler(ctx: PlatformContext) {
        return importPurchasers(ctx.stream as Readable, abilityOf(ctx), actorOf(ctx.meta.user!));
      },
    },
  },
};

function toPublicFields(p: Purchaser): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of purchaserFields) out[f] = p[f];
  return out;
}
