import { subject } from "@casl/ability";
import { permittedFieldsOf } from "@casl/ability/extra";
import { Model, raw, type ModelClass, type PartialModelObject, type QueryBuilder } from "objection";
import { abilityOf, actorOf, type AppAbility, assertCan, conflict, type ErrorDetail, fieldError, forbidden, isUnifiedSocialCreditCode, listPage, listParams, type ListOrder, type Localized, notFound, type PlatformContext, scopeQuery, type SearchColumn, single, tenantTree, validateForm, validationFailed, visibleFields, whereContains, writeAudit } from "../../../core/sdk";
import { tenantProblemAt, violatedUnique } from "./registry-rules";

/**
 * What the registries keyed by a unified social credit code (suppliers, agencies) share: the code
 * is the record's identity and its accounts' unit code, so routes name it (`/suppliers/:code`),
 * it never changes, and the record is deregistered rather than erased. Each registry describes
 * itself once (a `CodedRegistry`); the functions here are its actions' handlers.
 */
export interface CodedRecord extends Model {
  creditCode: string;
  name: string;
  region: string;
  status: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A record as its form has it: camelCase fields, no nulls (a field without a value is absent). */
export type FormData = Record<string, unknown>;

export interface CodedRegistry<R extends CodedRecord> {
  /** the CASL subject type of plugin.ts's rules */
  subject: string;
  model: ModelClass<R>;
  /** the form that validates a record, forms/registries/<form>.schema.json */
  form: string;
  /** what a NOT_FOUND names */
  what: Localized;
  /** prefix of the audit actions: "<audit>.create", ".update", ".deactivate", ".import" */
  audit: string;
  /** the form's top-level fields: what a change may touch, and what field-level rules name */
  fields: readonly string[];
  /** the stored record as form data */
  toData(row: R): FormData;
  /** the one way of writing a value that may be written several ways (a set in any order) */
  normalize?(data: FormData): FormData;
  /** form data as the model's properties, every column given (null: no value) */
  toColumns(data: FormData): PartialModelObject<R>;
  /** what a reader allowed every field sees; field-level rules cut it down (`viewFor`) */
  view(row: R): Record<string, unknown>;
  /** rules beyond the form (tenants that exist, dates that have passed), as field details */
  check(data: FormData): ErrorDetail[];
  /** the field detail for a violated unique index */
  unique(constraint: string): ErrorDetail;
}

/** A credit code as a path or a caller gives it, spaces and case aside; null when it cannot be one. */
export function codeParam(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const code = value.trim().toUpperCase();
  return isUnifiedSocialCreditCode(code) ? code : null;
}

/** The record as `ability` may see it: fields its rules hide are absent, not null. */
export function viewFor<R extends CodedRecord>(spec: CodedRegistry<R>, row: R, ability: AppAbility) {
  return visibleFields(ability, "read", spec.subject, { ...row } as Record<string, unknown>, spec.view(row));
}

/**
 * The record with this code, if the caller may read it; otherwise NOT_FOUND, the same answer as
 * for a code nobody registered (or one that is not a credit code at all).
 */
export async function findVisible<R extends CodedRecord>(spec: CodedRegistry<R>, ctx: PlatformContext, code: unknown): Promise<R> {
  const c = codeParam(code);
  const row = c ? ((await spec.model.query().findById(c)) as R | undefined) : undefined;
  if (!row) throw notFound(spec.what);
  assertCan(abilityOf(ctx), "read", spec.subject, { ...row } as Record<string, unknown>, spec.what);
  return row;
}

// ---------------------------------------------------------------------------------------------
// Reading

export async function readRecord<R extends CodedRecord>(spec: CodedRegistry<R>, ctx: PlatformContext<{ code?: unknown }>) {
  return viewFor(spec, await findVisible(spec, ctx, ctx.params.code), abilityOf(ctx));
}

export interface ListParams {
  q?: unknown;
  tenant?: unknown;
  status?: unknown;
  page?: unknown;
  pageSize?: unknown;
  [filter: string]: unknown;
}

/**
 * The query-string filters of a list, checked: `tenant` must be a tenant of the platform and
 * becomes it and every tenant below it; each of `enums` must be one of its values. A bad filter is
 * 400 VALIDATION_FAILED naming the parameter, rather than a silently empty list.
 */
export function listFilters(params: ListParams, enums: Record<string, readonly string[]>): { tenants?: string[]; values: Record<string, string> } {
  const problems: ErrorDetail[] = [];
  const values: Record<string, string> = {};
  let tenants: string[] | undefined;
  if (params.tenant !== undefined && params.tenant !== "") {
    const code = String(params.tenant);
    const problem = tenantProblemAt("/tenant", code);
    if (problem) problems.push(problem);
    else tenants = tenantTree().subtree(code);
  }
  for (const [name, allowed] of Object.entries(enums)) {
    const v = params[name];
    if (v === undefined || v === "") continue;
    if (typeof v === "string" && allowed.includes(v)) values[name] = v;
    else problems.push(fieldError(`/${name}`, "enum", `应为 ${allowed.join("、")} 之一`, `must be one of ${allowed.join(", ")}`));
  }
  if (problems.length) throw validationFailed(problems);
  return { tenants, values };
}

/**
 * A page of the records the caller may read (the rules of plugin.ts as SQL), in name order, each
 * cut down to the fields the caller may see. `q` matches part of the name (two-character Chinese
 * words too) or the beginning of the credit code; `narrow` adds the registry's own filters.
 */
export async function listRecords<R extends CodedRecord>(
  spec: CodedRegistry<R>,
  ctx: PlatformContext<ListParams>,
  narrow: (query: QueryBuilder<R, R[]>) => void,
) {
  const order = orderOf(spec);
  const req = listParams(ctx.params, order, { pageSize: 20, maxPageSize: 100 });
  const ability = abilityOf(ctx);
  const query = scopeQuery(spec.model.query() as unknown as QueryBuilder<R, R[]>, ability, "read", spec.subject);
  if (req.terms.length) {
    // every word in the name, or the whole query as the beginning of the credit code; only a query
    // of code characters can be one, and leaving the OR out otherwise keeps the plan to one index
    const code = single(ctx.params.q)!.trim().toUpperCase();
    if (CODE_PREFIX.test(code)) query.where((w) => w.where((n) => whereContains(n, REGISTRY_SEARCH, req.terms)).orWhere("credit_code", "like", `${code}%`));
    else whereContains(query, REGISTRY_SEARCH, req.terms);
  }
  narrow(query);
  const db = spec.model.knex();
  const { rows, nextCursor, total, totalIsEstimate } = await listPage<R>(db, query, order, req);
  return { items: rows.map((r) => viewFor(spec, r, ability)), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
}

/** What can begin a unified social credit code (GB 32100 leaves out I, O, S, V and Z). */
const CODE_PREFIX = /^[0-9A-HJ-NPQRTUWXY]{1,18}$/;

/** The registries' name search: the normalised `search` column and its indexes (migration 20261206000200_search). */
export const REGISTRY_SEARCH: SearchColumn = { column: "search", bigrams: "registries_bigrams(search)", trigram: true };

/** Name order, the credit code breaking ties (the index <table>_name_order). */
const orderOf = (spec: CodedRegistry<CodedRecord>): ListOrder => ({
  name: `registries.${spec.subject}`,
  keys: [
    { column: "name", kind: "text" },
    { column: "credit_code", kind: "text" },
  ],
  direction: "asc",
});

// ---------------------------------------------------------------------------------------------
// Changing

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** Strings trimmed at every level; an empty string means no value (null), as a cleared form input sends it. */
export function tidy(value: unknown): unknown {
  if (typeof value === "string") {
    const t = value.trim();
    return t === "" ? null : t;
  }
  if (Array.isArray(value)) return value.map(tidy);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, tidy(v)]));
  return value;
}

/** Fields without a value left out, at every level of objects. */
function withoutNulls(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, withoutNulls(v)]));
}

/** A PATCH body applied as a JSON merge patch (RFC 7396): objects merge field by field, null removes a field, anything else replaces it. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** JSON with object keys sorted: equal values, equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_k, v: unknown) => (isPlainObject(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));
}

export const sameValue = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

export const normalized = <R extends CodedRecord>(spec: CodedRegistry<R>, data: FormData): FormData => (spec.normalize ? spec.normalize(data) : data);

const creditCodeFixed = () =>
  fieldError("/creditCode", "readOnly", "统一社会信用代码是登记的标识，不能修改：请登记新的主体并注销原记录", "the credit code identifies the record and cannot change: register the new entity and deregister this one");

async function stale<R extends CodedRecord>(spec: CodedRegistry<R>, code: string, q = spec.model.query()) {
  const current = await q.findById(code);
  return conflict(
    { "zh-CN": `该${spec.what["zh-CN"]}已被他人修改，请刷新后重试`, en: `This ${spec.what.en} was changed by someone else; reload and try again` },
    { currentVersion: current?.version },
  );
}

/** A unique index violated by a write is the field error a form shows, not a 500. */
function asValidation<R extends CodedRecord>(err: unknown, spec: CodedRegistry<R>): unknown {
  const constraint = violatedUnique(err);
  return constraint === null ? err : validationFailed([spec.unique(constraint)]);
}

/** POST: the body is the form; the record is created in the caller's reach, with its audit entry. */
export async function createRecord<R extends CodedRecord>(spec: CodedRegistry<R>, ctx: PlatformContext<Record<string, unknown>>) {
  const ability = abilityOf(ctx);
  const valid = validateForm<FormData>(spec.form, withoutNulls(tidy(ctx.params)));
  // Checked as sent, so that a detail's path points into what the caller sent.
  const problems = spec.check(valid);
  if (problems.length) throw validationFailed(problems);
  const data = normalized(spec, valid);
  const columns = spec.toColumns(data);
  if (!ability.can("create", subject(spec.subject, { ...columns }))) throw forbidden();
  try {
    const row = await Model.transaction(async (trx) => {
      const created = (await spec.model.query(trx).insert(columns).returning("*")) as unknown as R;
      await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: created.region, action: `${spec.audit}.create`, object: created.creditCode, after: spec.view(created) });
      return created;
    });
    ctx.meta.$statusCode = 201;
    return viewFor(spec, row, ability);
  } catch (err) {
    throw asValidation(err, spec);
  }
}

/**
 * PATCH: a merge patch of the form's fields (`expectedVersion` optional). Whoever cannot read the
 * record gets 404; whoever can read it but not change it, or not these fields (a supplier its own
 * name), or not to these values (a region outside their tenants), 403. The credit code never
 * changes. A change that changes nothing writes nothing.
 */
export async function updateRecord<R extends CodedRecord>(spec: CodedRegistry<R>, ctx: PlatformContext<Record<string, unknown>>) {
  const { code, expectedVersion, ...changes } = ctx.params;
  const ability = abilityOf(ctx);
  const row = await findVisible(spec, ctx, code);
  if (!ability.can("update", subject(spec.subject, { ...row }))) throw forbidden();
  if (expectedVersion !== undefined && !Number.isInteger(expectedVersion)) {
    throw validationFailed([fieldError("/expectedVersion", "type", "应为整数", "must be an integer")]);
  }
  const patch = tidy(changes) as FormData;
  if (patch.creditCode != null && patch.creditCode !== row.creditCode) throw validationFailed([creditCodeFixed()]);
  delete patch.creditCode;
  const current = spec.toData(row);
  const valid = validateForm<FormData>(spec.form, mergePatch(current, patch));
  const problems = spec.check(valid);
  if (problems.length) throw validationFailed(problems);
  const data = normalized(spec, valid);
  // Field-level rules: of what actually changes, every field must be one the caller may update.
  const changed = spec.fields.filter((f) => !sameValue(current[f], data[f]));
  const allowed = new Set(permittedFieldsOf(ability, "update", subject(spec.subject, { ...row }), { fieldsFrom: (rule) => rule.fields || [...spec.fields] }));
  if (changed.some((f) => !allowed.has(f))) throw forbidden();
  const columns = spec.toColumns(data);
  // Moving a record (another region) must be allowed where it goes, too.
  if (!ability.can("update", subject(spec.subject, { ...row, ...columns }))) throw forbidden();
  const version = (expectedVersion as number | undefined) ?? row.version;
  if (version !== row.version) throw await stale(spec, row.creditCode);
  if (!changed.length) return viewFor(spec, row, ability);
  try {
    const updated = await Model.transaction(async (trx) => {
      const next = (await spec.model
        .query(trx)
        .patch({ ...columns, version: raw("version + 1"), updatedAt: raw("now()") } as PartialModelObject<R>)
        .where("credit_code", row.creditCode)
        .where("version", version)
        .returning("*")
        .first()) as unknown as R | undefined;
      if (!next) throw await stale(spec, row.creditCode, spec.model.query(trx));
      await writeAudit(trx, {
        actor: actorOf(ctx.meta.user!),
        tenantCode: next.region,
        action: `${spec.audit}.update`,
        object: row.creditCode,
        before: spec.view(row),
        after: spec.view(next),
      });
      return next;
    });
    return viewFor(spec, updated, ability);
  } catch (err) {
    throw asValidation(err, spec);
  }
}

/**
 * DELETE: the record is deregistered, never erased (award notices and contracts name it). Doing
 * it again changes nothing.
 */
export async function deactivateRecord<R extends CodedRecord>(spec: CodedRegistry<R>, ctx: PlatformContext<{ code?: unknown }>) {
  const ability = abilityOf(ctx);
  const row = await findVisible(spec, ctx, ctx.params.code);
  if (!ability.can("delete", subject(spec.subject, { ...row }))) throw forbidden();
  const result = await Model.transaction(async (trx) => {
    // Locked before the audit entry (which must come last): `before` is what this change replaced.
    const locked = (await spec.model.query(trx).findById(row.creditCode).forUpdate()) as R;
    if (locked.status === "deregistered") return locked;
    const next = (await spec.model
      .query(trx)
      .patch({ status: "deregistered", version: raw("version + 1"), updatedAt: raw("now()") } as unknown as PartialModelObject<R>)
      .where("credit_code", row.creditCode)
      .returning("*")
      .first()) as unknown as R;
    await writeAudit(trx, {
      actor: actorOf(ctx.meta.user!),
      tenantCode: next.region,
      action: `${spec.audit}.deactivate`,
      object: row.creditCode,
      before: spec.view(locked),
      after: spec.view(next),
    });
    return next;
  });
  return viewFor(spec, result, ability);
}
