import type { Readable } from "node:stream";
import { createMongoAbility, subject } from "@casl/ability";
import { permittedFieldsOf } from "@casl/ability/extra";
import { Model, raw, type ModelClass, type PartialModelObject, type QueryBuilder } from "objection";
import { abilityOf, actorOf, type AppAbility, assertCan, batchedReads, conflict, type ErrorDetail, exportFormatParam, exportLang, exportList, fieldError, forbidden, isUnifiedSocialCreditCode, type KeyKind, listPage, listParams, type ListOrder, type Localized, type PageOptions, notFound, type PlatformContext, type PlatformServiceSchema, scopeQuery, type SearchColumn, single, tenantTree, validateForm, validationFailed, visibleFields, whereContains, writeAudit } from "../../../core/sdk";
import { tenantProblemAt, violatedUnique } from "./registry-rules";
import { importRecords, type CsvLayout, type SecondaryKey } from "./coded-import";

/**
 * One implementation of every registry kept here (purchasing units, suppliers, agencies; experts
 * and commodities next): a registry is a configuration, a `CodedRegistry`, and the functions here
 * are its actions' handlers. Each record is named by a code (a budget code, a credit code) that is
 * its accounts' unit code, what an import matches rows by and what its audit entries name.
 */
export interface CodedRecord extends Model {
  name: string;
  status: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A record as its form has it: camelCase fields, no nulls (a field without a value is absent). */
export type FormData = Record<string, unknown>;

/** A column the list's `q` matches as a code, when the query looks like one. */
export interface CodeSearch {
  column: string;
  /** what a query must look like (after trimming and, with `upper`, upper-casing) to be tried here */
  pattern: RegExp;
  match: "prefix" | "exact";
  upper?: boolean;
  /**
   * the field this column is, when some readers may not see it: only records whose field the
   * caller may read are matched (a prefix search on the others would spell their codes out)
   */
  hiddenField?: string;
}

export interface CodedRegistry<R extends CodedRecord> {
  /** the Moleculer service, `<plugin>.<path>` */
  service: string;
  /** its routes: `/<path>`, `/<path>/:<id.param>`, `/<path>/import` */
  path: string;
  /** the CASL subject type of the plugin's rules */
  subject: string;
  model: ModelClass<R>;
  /** how a route names a record: its param, the model's field and column, and what a path may be (null: 404) */
  id: { param: string; field: string; column: string; kind: KeyKind; parse(value: unknown): string | null };
  /** the code a record is known by: unit code of its accounts, import key, audit object */
  code: { field: string; column: string; label: Localized; upper?: boolean; fixed?: () => ErrorDetail };
  /** the field (and column) holding the record's tenant: whose it is */
  tenant: { field: string; column: string };
  /** the status a DELETE gives (a record is closed, never erased) */
  closed: string;
  /** the form that validates a record, forms/<plugin>/<form>.schema.json */
  form: string;
  /** what a NOT_FOUND names */
  what: Localized;
  /** prefix of the audit actions: "<audit>.create", ".update", ".deactivate", ".import" */
  audit: string;
  /** the form's top-level fields: what a change may touch, and what field-level rules name */
  fields: readonly string[];
  /** the stored record as form data; by default its `fields` that have a value */
  toData?(row: R): FormData;
  /** the one way of writing a value that may be written several ways (a set in any order) */
  normalize?(data: FormData): FormData;
  /** form data as the model's properties, every column given (null: no value); by default each of `fields`, a new record `active` */
  toColumns?(data: FormData): PartialModelObject<R>;
  /** what a reader allowed every field sees; field-level rules cut it down (`viewFor`) */
  view(row: R): Record<string, unknown>;
  /** rules beyond the form (tenants that exist, dates that have passed), as field details */
  check(data: FormData): ErrorDetail[];
  /** the field detail for a violated unique index */
  unique(constraint: string): ErrorDetail;
  /** columns `q` matches as codes besides the name */
  search: readonly CodeSearch[];
  /** the list's own query-string filters, checked (`listFilters`), as a narrowing of the query */
  filters(params: ListParams): ListFilter<R>;
  /** its CSV files, and the unique keys besides the code an import checks rows against */
  csv: CsvLayout;
  keys?: readonly SecondaryKey[];
}

/** The stored record as form data. */
export function dataOf<R extends CodedRecord>(spec: CodedRegistry<R>, row: R): FormData {
  if (spec.toData) return spec.toData(row);
  const data: FormData = {};
  for (const f of spec.fields) {
    const v = (row as unknown as Record<string, unknown>)[f];
    if (v !== null && v !== undefined) data[f] = v;
  }
  return data;
}

/** Form data as the model's properties, every column given (null: no value). */
export function columnsFrom<R extends CodedRecord>(spec: CodedRegistry<R>, data: FormData): PartialModelObject<R> {
  if (spec.toColumns) return spec.toColumns(data);
  const columns: Record<string, unknown> = Object.fromEntries(spec.fields.map((f) => [f, data[f] ?? null]));
  columns.status ??= "active";
  return columns as PartialModelObject<R>;
}

/** An optional text of form data as its column: null when it has no value. */
export const nullable = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** A record's value of a field the configuration names. */
export const valueOf = (row: object, field: string): string => (row as Record<string, unknown>)[field] as string;

/** A credit code as a path or a caller gives it, spaces and case aside; null when it cannot be one. */
export function codeParam(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const code = value.trim().toUpperCase();
  return isUnifiedSocialCreditCode(code) ? code : null;
}

const CREDIT_CODE: Localized = { "zh-CN": "统一社会信用代码", en: "credit code" };

/**
 * A registry whose record *is* its unified social credit code (suppliers, agencies): the code is the
 * key of its routes (`/:code`, read without regard to case), its accounts' unit code, and it never
 * changes (register the new entity and deregister the old one); a closed record is `deregistered`.
 */
export function creditCodeKeyed(tenantField: string) {
  return {
    id: { param: "code", field: "creditCode", column: "credit_code", kind: "text" as const, parse: codeParam },
    code: {
      field: "creditCode",
      column: "credit_code",
      label: CREDIT_CODE,
      upper: true,
      fixed: () =>
        fieldError("/creditCode", "readOnly", "统一社会信用代码是登记的标识，不能修改：请登记新的主体并注销原记录", "the credit code identifies the record and cannot change: register the new entity and deregister this one"),
    },
    tenant: { field: tenantField, column: tenantField.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) },
    closed: "deregistered",
    // a Chinese word cannot begin a credit code: only a query of code characters is tried on it
    search: [{ column: "credit_code", pattern: CREDIT_CODE_PREFIX, match: "prefix" as const, upper: true }],
  };
}

/** The record as `ability` may see it: fields its rules hide are absent, not null. */
export function viewFor<R extends CodedRecord>(spec: CodedRegistry<R>, row: R, ability: AppAbility) {
  return visibleFields(ability, "read", spec.subject, { ...row } as Record<string, unknown>, spec.view(row));
}

/**
 * The record with this code, if the caller may read it; otherwise NOT_FOUND, the same answer as
 * for a code nobody registered (or one that is not a credit code at all).
 */
export async function findVisible<R extends CodedRecord>(spec: CodedRegistry<R>, ctx: PlatformContext, id: unknown): Promise<R> {
  const key = spec.id.parse(id);
  const row = key ? ((await spec.model.query().findById(key)) as R | undefined) : undefined;
  if (!row) throw notFound(spec.what);
  assertCan(abilityOf(ctx), "read", spec.subject, { ...row } as Record<string, unknown>, spec.what);
  return row;
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * A list's filters as a narrowing of its query, and, when they keep the region column to a tenant
 * and those below it, that column and those tenants: the page is then read region by region along
 * the (region, name) index and merged (core's pageRows), not by one walk of the name index that
 * passes every other region's rows first.
 */
export interface ListFilter<R extends CodedRecord> {
  narrow(query: QueryBuilder<R, R[]>): void;
  mergeBy?: PageOptions["mergeBy"];
}

export async function readRecord<R extends CodedRecord>(spec: CodedRegistry<R>, ctx: PlatformContext<Record<string, unknown>>) {
  return viewFor(spec, await findVisible(spec, ctx, ctx.params[spec.id.param]), abilityOf(ctx));
}

/**
 * Each registry's reads by code: the reads asked for together share a statement (under load every
 * workflow start asks for its unit at once). Never cached: a record changed a moment ago is read as it is now.
 */
const byCodeLoaders = new WeakMap<object, ReturnType<typeof batchedReads<string, CodedRecord>>>();

function byCodeLoader<R extends CodedRecord>(spec: CodedRegistry<R>) {
  let loader = byCodeLoaders.get(spec);
  if (!loader) {
    loader = batchedReads<string, CodedRecord>(async (codes) => {
      const rows = (await spec.model.query().whereIn(spec.code.column, [...new Set(codes)])) as unknown as R[];
      const byCode = new Map(rows.map((r) => [String((r as unknown as Record<string, unknown>)[spec.code.field]), r]));
      return codes.map((c) => byCode.get(c) ?? null);
    });
    byCodeLoaders.set(spec, loader);
  }
  return loader;
}

/**
 * A record by its exact code, in a registry whose routes name records by another key (a purchaser
 * by its budget code): one indexed read, where a search of the list pages, estimates, counts, and
 * matches codes by prefix. A code the caller may not read is not found, as a record it may not see
 * is: otherwise the answer would tell which codes exist.
 */
export async function readByCode<R extends CodedRecord>(spec: CodedRegistry<R>, ctx: PlatformContext<{ code?: unknown }>) {
  const code = typeof ctx.params.code === "string" ? ctx.params.code.trim() : "";
  const row = code ? ((await byCodeLoader(spec).load(spec.code.upper ? code.toUpperCase() : code)) as R | null) : null;
  if (!row) throw notFound(spec.what);
  const ability = abilityOf(ctx);
  assertCan(ability, "read", spec.subject, { ...row } as Record<string, unknown>, spec.what);
  if (!ability.can("read", subject(spec.subject, { ...row }), spec.code.field)) throw notFound(spec.what);
  return viewFor(spec, row, ability);
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
 * The query-string filters of a list, checked: `tenant` (or the registry's own name for it) must be
 * a tenant of the platform and becomes it and every tenant below it; each of `enums` must be one of
 * its values. A bad filter is 400 VALIDATION_FAILED naming the parameter, rather than a silently
 * empty list.
 */
export function listFilters(params: ListParams, enums: Record<string, readonly string[]>, tenantParam = "tenant"): { tenants?: string[]; values: Record<string, string> } {
  const problems: ErrorDetail[] = [];
  const values: Record<string, string> = {};
  let tenants: string[] | undefined;
  const tenant = params[tenantParam];
  if (tenant !== undefined && tenant !== "") {
    const code = String(tenant);
    const problem = tenantProblemAt(`/${tenantParam}`, code);
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
 * A page of the records the caller may read (the plugin's rules as SQL), in name order, each cut
 * down to the fields the caller may see. `q` matches part of the name (two-character Chinese words
 * too) or, when the query looks like one, a code column of the registry's `search`; its `filters`
 * narrow the rest.
 */
export async function listRecords<R extends CodedRecord>(spec: CodedRegistry<R>, ctx: PlatformContext<ListParams>) {
  const { query, order, req, filter, ability, unworded } = listQuery(spec, ctx);
  const db = spec.model.knex();
  // A region's list is merged region by region; with a search only when its words are frequent
  // (core's listPage asks the planner); a code is found by its own index, never merged.
  const words = unworded && { without: unworded, table: spec.model.query(), search: REGISTRY_SEARCH, terms: req.terms };
  const mergeBy = !req.terms.length || words ? filter.mergeBy : undefined;
  const { rows, nextCursor, total, totalIsEstimate } = await listPage<R>(db, query, order, req, { mergeBy, words });
  return { items: rows.map((r) => viewFor(spec, r, ability)), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
}

/** The records a list shows (the caller's rules as SQL, `q` and the filters), unordered: the list's and the export's. */
function listQuery<R extends CodedRecord>(spec: CodedRegistry<R>, ctx: PlatformContext<ListParams>) {
  const filter = spec.filters(ctx.params);
  const order = orderOf(spec);
  const req = listParams(ctx.params, order, { pageSize: 20, maxPageSize: 100 });
  const ability = abilityOf(ctx);
  const query = scopeQuery(spec.model.query() as unknown as QueryBuilder<R, R[]>, ability, "read", spec.subject);
  // the list's rules and filters but its words, when it searches by words alone (the merge's walks: listRecords)
  let unworded: QueryBuilder<R, R[]> | undefined;
  if (req.terms.length) {
    const q = single(ctx.params.q)!.trim();
    // only the code columns a query can match are ORed in: otherwise the plan keeps to one index
    const codes = spec.search.map((c) => ({ c, value: c.upper ? q.toUpperCase() : q })).filter(({ c, value }) => c.pattern.test(value));
    if (!codes.length) {
      unworded = query.clone();
      whereContains(query, REGISTRY_SEARCH, req.terms);
    } else {
      query.where((w) => {
        w.where((n) => whereContains(n, REGISTRY_SEARCH, req.terms));
        for (const { c, value } of codes) {
          const match = (b: QueryBuilder<R, R[]>) => (c.match === "prefix" ? b.where(c.column, "like", `${value}%`) : b.where(c.column, value));
          if (c.hiddenField) w.orWhere((b) => scopeQuery(match(b), fieldReaders(ability, spec.subject, c.hiddenField!), "read", spec.subject));
          else w.orWhere((b) => match(b));
        }
      });
    }
  }
  filter.narrow(query);
  if (unworded) filter.narrow(unworded);
  return { query, order, req, filter, ability, unworded };
}

/**
 * The list as a file, Excel or CSV (core's exportList: the same filters, streamed, a row limit): the
 * columns of the registry's CSV import, so that an exported file imports back; a field the caller may
 * not read is empty, as the list leaves it out.
 */
export async function exportRecords<R extends CodedRecord>(spec: CodedRegistry<R>, ctx: PlatformContext<ListParams & { format?: unknown; lang?: unknown }>) {
  const problems: ErrorDetail[] = [];
  const format = exportFormatParam(ctx.params.format, problems);
  const { query, order, ability } = listQuery(spec, ctx);
  if (problems.length) throw validationFailed(problems);
  const lang = exportLang(ctx.params.lang);
  const field = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return exportList<R>(ctx, {
    db: spec.model.knex(),
    query,
    order,
    columns: spec.csv.columns.map((column) => ({
      title: { "zh-CN": column, en: column },
      value: (row: R) => {
        const v = (viewFor(spec, row, ability) as Record<string, unknown>)[field(column)];
        return v === undefined || v === null ? "" : Array.isArray(v) ? v.join(";") : typeof v === "object" ? JSON.stringify(v) : (v as string | number);
      },
    })),
    format,
    lang,
    filename: `${spec.what[lang]}`,
    sheet: spec.what,
  });
}

/** The caller's rules that show `field`, as an ability of their own. */
function fieldReaders(ability: AppAbility, type: string, field: string): AppAbility {
  const rules = ability.rulesFor("read", type, field).map(({ action, subject, conditions, inverted }) => ({ action, subject, conditions, inverted }));
  return createMongoAbility(rules as never) as AppAbility;
}

/** What can begin a unified social credit code (GB 32100 leaves out I, O, S, V and Z). */
export const CREDIT_CODE_PREFIX = /^[0-9A-HJ-NPQRTUWXY]{1,18}$/;

/** The registries' name search: the normalised `search` column and its indexes (migration 20261206000200_search). */
export const REGISTRY_SEARCH: SearchColumn = { column: "search", bigrams: "registries_bigrams(search)", trigram: true };

/** Name order, the record's key breaking ties (the index <table>_name_order). */
const orderOf = <R extends CodedRecord>(spec: CodedRegistry<R>): ListOrder => ({
  name: `registries.${spec.subject}`,
  keys: [
    { column: "name", kind: "text" },
    { column: spec.id.column, kind: spec.id.kind },
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

async function stale<R extends CodedRecord>(spec: CodedRegistry<R>, key: string, q = spec.model.query()) {
  const current = await q.findById(key);
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
  const columns = columnsFrom(spec, data);
  if (!ability.can("create", subject(spec.subject, { ...columns }))) throw forbidden();
  try {
    const row = await Model.transaction(async (trx) => {
      const created = (await spec.model.query(trx).insert(columns).returning("*")) as unknown as R;
      await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: valueOf(created, spec.tenant.field), action: `${spec.audit}.create`, object: valueOf(created, spec.code.field), after: spec.view(created) });
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
 * name), or not to these values (a region outside their tenants), 403. A code that identifies the
 * record (`code.fixed`) never changes. A change that changes nothing writes nothing.
 */
export async function updateRecord<R extends CodedRecord>(spec: CodedRegistry<R>, ctx: PlatformContext<Record<string, unknown>>) {
  const { [spec.id.param]: id, expectedVersion, ...changes } = ctx.params;
  const ability = abilityOf(ctx);
  const row = await findVisible(spec, ctx, id);
  if (!ability.can("update", subject(spec.subject, { ...row }))) throw forbidden();
  if (expectedVersion !== undefined && !Number.isInteger(expectedVersion)) {
    throw validationFailed([fieldError("/expectedVersion", "type", "应为整数", "must be an integer")]);
  }
  const patch = tidy(changes) as FormData;
  const code = spec.code.field;
  if (spec.code.fixed) {
    if (patch[code] != null && patch[code] !== valueOf(row, code)) throw validationFailed([spec.code.fixed()]);
    delete patch[code];
  }
  const key = valueOf(row, spec.id.field);
  const current = dataOf(spec, row);
  const valid = validateForm<FormData>(spec.form, mergePatch(current, patch));
  const problems = spec.check(valid);
  if (problems.length) throw validationFailed(problems);
  const data = normalized(spec, valid);
  // Field-level rules: of what actually changes, every field must be one the caller may update.
  const changed = spec.fields.filter((f) => !sameValue(current[f], data[f]));
  const allowed = new Set(permittedFieldsOf(ability, "update", subject(spec.subject, { ...row }), { fieldsFrom: (rule) => rule.fields || [...spec.fields] }));
  if (changed.some((f) => !allowed.has(f))) throw forbidden();
  const columns = columnsFrom(spec, data);
  // Moving a record (another region) must be allowed where it goes, too.
  if (!ability.can("update", subject(spec.subject, { ...row, ...columns }))) throw forbidden();
  const version = (expectedVersion as number | undefined) ?? row.version;
  if (version !== row.version) throw await stale(spec, key);
  if (!changed.length) return viewFor(spec, row, ability);
  try {
    const updated = await Model.transaction(async (trx) => {
      const next = (await spec.model
        .query(trx)
        .patch({ ...columns, version: raw("version + 1"), updatedAt: raw("now()") } as PartialModelObject<R>)
        .where(spec.id.column, key)
        .where("version", version)
        .returning("*")
        .first()) as unknown as R | undefined;
      if (!next) throw await stale(spec, key, spec.model.query(trx));
      await writeAudit(trx, {
        actor: actorOf(ctx.meta.user!),
        tenantCode: valueOf(next, spec.tenant.field),
        action: `${spec.audit}.update`,
        object: valueOf(next, code),
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
export async function deactivateRecord<R extends CodedRecord>(spec: CodedRegistry<R>, ctx: PlatformContext<Record<string, unknown>>) {
  const ability = abilityOf(ctx);
  const row = await findVisible(spec, ctx, ctx.params[spec.id.param]);
  const key = valueOf(row, spec.id.field);
  if (!ability.can("delete", subject(spec.subject, { ...row }))) throw forbidden();
  const result = await Model.transaction(async (trx) => {
    // Locked before the audit entry (which must come last): `before` is what this change replaced.
    const locked = (await spec.model.query(trx).findById(key).forUpdate()) as R;
    if (locked.status === spec.closed) return locked;
    const next = (await spec.model
      .query(trx)
      .patch({ status: spec.closed, version: raw("version + 1"), updatedAt: raw("now()") } as unknown as PartialModelObject<R>)
      .where(spec.id.column, key)
      .returning("*")
      .first()) as unknown as R;
    await writeAudit(trx, {
      actor: actorOf(ctx.meta.user!),
      tenantCode: valueOf(next, spec.tenant.field),
      action: `${spec.audit}.deactivate`,
      object: valueOf(next, spec.code.field),
      before: spec.view(locked),
      after: spec.view(next),
    });
    return next;
  });
  return viewFor(spec, result, ability);
}

/**
 * A registry's service: `GET /<path>` (list), `GET /<path>/:id` (also what other plugins call with
 * their caller's ctx, `ctx.call("<service>.get", { <id>: … })`), `POST /<path>`, `PATCH /<path>/:id`,
 * `DELETE /<path>/:id` (closes the record) and `POST /<path>/import` (CSV).
 */
export function registryService<R extends CodedRecord>(spec: CodedRegistry<R>): PlatformServiceSchema {
  const one = `/${spec.path}/:${spec.id.param}`;
  return {
    name: spec.service,
    actions: {
      list: { rest: `GET /${spec.path}`, kind: "read", permission: ["read", spec.subject], handler: (ctx: PlatformContext<ListParams>) => listRecords(spec, ctx) },
      // before `get`, whose /<path>/:id would take "export" for an id
      export: { rest: `GET /${spec.path}/export`, kind: "read", permission: ["read", spec.subject], handler: (ctx: PlatformContext<ListParams & { format?: unknown; lang?: unknown }>) => exportRecords(spec, ctx) },
      get: { rest: `GET ${one}`, kind: "read", permission: ["read", spec.subject], handler: (ctx: PlatformContext<Record<string, unknown>>) => readRecord(spec, ctx) },
      ...(spec.code.column !== spec.id.column && {
        byCode: { rest: `GET /${spec.path}/by-code/:code`, kind: "read", permission: ["read", spec.subject], handler: (ctx: PlatformContext<{ code?: unknown }>) => readByCode(spec, ctx) },
      }),
      create: { rest: `POST /${spec.path}`, kind: "create", permission: ["create", spec.subject], handler: (ctx: PlatformContext<Record<string, unknown>>) => createRecord(spec, ctx) },
      update: {
        rest: `PATCH ${one}`,
        kind: "continue",
        // On one record: 404 for one the caller cannot read, 403 for one it may read but not change
        // (a type-level "update" here would answer 403 for records the caller cannot even see).
        permission: ["read", spec.subject],
        handler: (ctx: PlatformContext<Record<string, unknown>>) => updateRecord(spec, ctx),
      },
      deactivate: { rest: `DELETE ${one}`, kind: "continue", permission: ["read", spec.subject], handler: (ctx: PlatformContext<Record<string, unknown>>) => deactivateRecord(spec, ctx) },
      import: {
        rest: `POST /${spec.path}/import`,
        stream: true,
        kind: "create",
        permission: ["import", spec.subject],
        handler: (ctx: PlatformContext) => importRecords(spec, ctx.stream as Readable, abilityOf(ctx), ctx.meta.user!),
      },
    },
  };
}
