import crypto from "node:crypto";
import path from "node:path";
import type { Knex } from "knex";
import type { ValidateFunction } from "ajv";
import { writeAudit } from "../audit/log";
import { conflict, fieldError, PlatformError, validationFailed, type ErrorDetail, type Localized } from "../errors";
import type { PluginManifest } from "../plugins/types";
import type { TenantTree } from "../tenancy/tree";
import { detailsOf, lintSchema, type JsonObject } from "./compile";
import { applyOverlay, checkOverlayShape, compose, isEmptyOverlay, type FormDoc, type OverlayDocument } from "./overlay";
import { compileForm, compileFormSchema, FORMS_DIR, formAjv, FormError, readFormFiles, servedSchema } from "./validate";

/**
 * What a submission was validated under, to be stored beside it: the form, its version, and the
 * overlays (tenant and overlay version, province first) that made the tenant's effective form.
 * `validateAgainst(ref, data)` checks data by exactly that form, whatever has changed since.
 */
export interface FormRef {
  formId: string;
  version: number;
  overlays: Array<{ tenant: string; version: number }>;
}

export interface FormSummary {
  id: string;
  plugin: string;
  title: Localized;
  version: number;
}

/** A form as a tenant fills it in: the base version with its overlays, ready for rjsf. */
export interface EffectiveForm extends FormRef {
  plugin: string;
  title: Localized;
  schema: JsonObject;
  uiSchema: JsonObject;
  /** parts of saved overlays that no longer fit the current form and were left out */
  problems: Array<ErrorDetail & { tenant: string; overlayVersion: number }>;
}

export interface OverlayRecord {
  formId: string;
  tenant: string;
  version: number;
  document: OverlayDocument;
  baseVersion: number;
  author: Record<string, unknown>;
  createdAt: string;
}

interface LoadedForm {
  id: string;
  plugin: string;
  title: Localized;
  version: number;
  hash: string;
  base: FormDoc;
}

interface Composition {
  ref: Readonly<FormRef>;
  form: FormDoc;
  problems: EffectiveForm["problems"];
  validate: ValidateFunction;
}

// Any fixed number: nodes starting together take this lock, so a changed form gets one new version.
const FORMS_LOCK_KEY = 7_243_100_041;

/** The text a form's version is the hash of: schema and uiSchema exactly as ordered (order is display order). */
const contentHash = (schema: JsonObject, ui: JsonObject) => crypto.createHash("sha256").update(JSON.stringify([schema, ui])).digest("hex");

const refKey = (formId: string, version: number, overlays: FormRef["overlays"]) => `${formId}@${version}|${overlays.map((o) => `${o.tenant}@${o.version}`).join(",")}`;

/** A reference handed to every caller: frozen, so that no caller can change another's. */
const frozenRef = (ref: FormRef): Readonly<FormRef> =>
  Object.freeze({ formId: ref.formId, version: ref.version, overlays: Object.freeze(ref.overlays.map((o) => Object.freeze({ ...o }))) }) as Readonly<FormRef>;

const isoOf = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));

const formNotFound = () => new PlatformError("NOT_FOUND", { "zh-CN": "未找到该表单", en: "No such form" });

function overlayRow(r: Record<string, unknown>): OverlayRecord {
  return {
    formId: r.form_id as string,
    tenant: r.tenant_code as string,
    version: r.version as number,
    document: r.document as OverlayDocument,
    baseVersion: r.base_version as number,
    author: r.author as Record<string, unknown>,
    createdAt: isoOf(r.created_at),
  };
}

/**
 * The forms of the installed plugins, their versions in PostgreSQL, the tenants' overlays, and a
 * validator for every (form, version, overlays) that is asked for, compiled once and kept.
 *
 * At start-up each form's files are read, checked and compiled; a form whose content differs
 * from every stored version becomes the next version (under a lock: nodes starting together make
 * one). Overlays are read into memory and re-read when a node saves one (`reload`), so validating
 * a submission touches neither the disk nor the database.
 */
export class FormRegistry {
  private readonly forms = new Map<string, LoadedForm>();
  /** form → tenant → its latest overlay */
  private latest = new Map<string, Map<string, OverlayRecord>>();
  /** form + tenant → the composition a submission of that tenant is checked by now */
  private byTenant = new Map<string, Composition>();
  /** ref key → composition, for every ref ever asked for (versions and overlays never change) */
  private readonly compositions = new Map<string, Composition>();
  private reads = 0;
  private applied = 0;

  private constructor(
    private readonly knex: Knex,
    readonly tree: TenantTree,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Reads and compiles the forms every plugin lists in `forms` (files in <formsDir>/<plugin>/),
   * stores new versions, and reads the overlays. A bad form stops start-up with a FormError that
   * names the form, the file and the field.
   */
  static async open(
    knex: Knex,
    plugins: PluginManifest[],
    opts: { tree: TenantTree; formsDir?: string; log?: (line: string) => void },
  ): Promise<FormRegistry> {
    const formsDir = opts.formsDir ?? FORMS_DIR;
    const registry = new FormRegistry(knex, opts.tree, opts.log ?? (() => {}));
    const found: Array<Omit<LoadedForm, "version"> & { validate: ValidateFunction }> = [];
    for (const p of plugins) {
      for (const id of p.forms ?? []) {
        if (found.some((f) => f.id === id)) throw new FormError(`form "${id}" is listed twice`);
        const { schema, ui, file } = readFormFiles(id, formsDir);
        const served = servedSchema(schema);
        // Compiled before anything is stored: a form ajv refuses never becomes a version.
        const validate = compileFormSchema(served, `form "${id}": ${path.relative(process.cwd(), file) || file}`);
        found.push({
          validate,
          id,
          plugin: p.name,
          title: { "zh-CN": String(schema.title), en: String(schema.titleEn ?? schema.title) },
          hash: contentHash(served, ui),
          base: { schema: served, ui },
        });
      }
    }
    await knex.transaction(async (trx) => {
      await trx.raw("select pg_advisory_xact_lock(?)", [FORMS_LOCK_KEY]);
      const ids = found.map((f) => f.id);
      const rows: Array<{ form_id: string; version: number; hash: string }> = ids.length
        ? await trx("core_form_versions").whereIn("form_id", ids).select("form_id", "version", "hash")
        : [];
      for (const f of found) {
        const same = rows.find((r) => r.form_id === f.id && r.hash === f.hash);
        let version = same?.version;
        if (version === undefined) {
          version = Math.max(0, ...rows.filter((r) => r.form_id === f.id).map((r) => r.version)) + 1;
          await trx("core_form_versions").insert({ form_id: f.id, version, schema: JSON.stringify(f.base.schema), ui_schema: JSON.stringify(f.base.ui), hash: f.hash });
          registry.log(`[forms] ${f.id}: version ${version}${version > 1 ? " (the files changed)" : ""}`);
        }
        const { validate, ...form } = f;
        registry.forms.set(f.id, { ...form, version });
        registry.compositions.set(refKey(f.id, version, []), { ref: frozenRef({ formId: f.id, version, overlays: [] }), form: f.base, problems: [], validate });
      }
    });
    await registry.reload();
    // validateForm's copy of the same files, compiled at load too.
    for (const f of registry.forms.values()) compileForm(f.id, formsDir);
    return registry;
  }

  /** The loaded forms: id, plugin, title, current version. */
  list(): FormSummary[] {
    return [...this.forms.values()].map((f) => ({ id: f.id, plugin: f.plugin, title: f.title, version: f.version }));
  }

  has(formId: string): boolean {
    return this.forms.has(formId);
  }

  /** The current version of a form (what its files say on this node). */
  version(formId: string): number {
    return this.form(formId).version;
  }

  /** The effective form for a tenant now (no tenant: the base form). */
  effective(formId: string, tenantCode?: string | null): EffectiveForm {
    const form = this.form(formId);
    const c = this.current(form, tenantCode ?? null);
    // Copies: what a caller does with them must not change the compiled form's source.
    return { ...c.ref, overlays: c.ref.overlays.map((o) => ({ ...o })), plugin: form.plugin, title: form.title, schema: structuredClone(c.form.schema), uiSchema: structuredClone(c.form.ui), problems: c.problems };
  }

  /**
   * Validates a submission by the tenant's effective form now. Returns the data and the reference
   * to store with it; throws VALIDATION_FAILED (details per field) otherwise. Synchronous: the
   * validator was compiled at the first use and is kept.
   */
  validateSubmission<T = unknown>(formId: string, tenantCode: string | null, data: unknown): { data: T; formRef: FormRef } {
    const c = this.current(this.form(formId), tenantCode);
    if (!c.validate(data)) throw validationFailed(detailsOf(c.validate.errors ?? [], { form: true }));
    return { data: data as T, formRef: c.ref };
  }

  /** Like validateSubmission, but returns the details (none when valid) with the reference. */
  checkSubmission(formId: string, tenantCode: string | null, data: unknown): { details: ErrorDetail[]; formRef: FormRef } {
    const c = this.current(this.form(formId), tenantCode);
    return { details: c.validate(data) ? [] : detailsOf(c.validate.errors ?? [], { form: true }), formRef: c.ref };
  }

  /**
   * Validates data by exactly the form a submission was made under (its version and overlay
   * versions), however the form and the overlays have changed since. Reads what it needs from
   * PostgreSQL the first time, then keeps the compiled validator.
   */
  async validateAgainst<T = unknown>(formRef: FormRef, data: unknown): Promise<T> {
    const c = await this.composition(formRef);
    if (!c.validate(data)) throw validationFailed(detailsOf(c.validate.errors ?? [], { form: true }));
    return data as T;
  }

  /** The schema and uiSchema exactly as a submission under `formRef` was shown and checked. */
  async formOf(formRef: FormRef): Promise<{ schema: JsonObject; uiSchema: JsonObject }> {
    const c = await this.composition(formRef);
    return { schema: structuredClone(c.form.schema), uiSchema: structuredClone(c.form.ui) };
  }

  /** One stored version of a form, as it was. */
  async storedVersion(formId: string, version: number): Promise<{ formId: string; version: number; hash: string; createdAt: string; schema: JsonObject; uiSchema: JsonObject } | null> {
    const row = await this.knex("core_form_versions").where({ form_id: formId, version }).first();
    if (!row) return null;
    return { formId, version, hash: row.hash, createdAt: isoOf(row.created_at), schema: row.schema, uiSchema: row.ui_schema };
  }

  /** A tenant's overlay on a form now (null: none), with its history and what no longer fits. */
  async overlayOf(formId: string, tenant: string): Promise<{ current: OverlayRecord | null; history: Array<Omit<OverlayRecord, "document" | "formId" | "tenant">>; problems: ErrorDetail[] }> {
    const form = this.form(formId);
    const rows = await this.knex("core_form_overlays").where({ form_id: formId, tenant_code: tenant }).orderBy("version", "desc");
    const records = rows.map(overlayRow);
    const current = records[0] ?? null;
    let problems: ErrorDetail[] = [];
    if (current) {
      const { form: above } = compose(form.base, this.chain(formId, tenant, false));
      problems = applyOverlay(above, current.document, false);
    }
    return {
      current,
      history: records.map(({ version, baseVersion, author, createdAt }) => ({ version, baseVersion, author, createdAt })),
      problems,
    };
  }

  /**
   * Saves a new version of a tenant's overlay, after checking that it only tightens the form the
   * tenant inherits (the base with the overlays above it) and that the result is a valid schema;
   * audited in the same transaction. `expectedVersion` (the version the editor started from, 0
   * for none) turns a concurrent change into CONFLICT. Refusals are VALIDATION_FAILED whose paths
   * point into the overlay document.
   */
  async putOverlay(
    formId: string,
    tenant: string,
    document: unknown,
    actor: Record<string, unknown>,
    expectedVersion?: number,
  ): Promise<{ record: OverlayRecord; effective: EffectiveForm; descendants: Array<{ tenant: string; problems: ErrorDetail[] }> }> {
    const form = this.form(formId);
    const shape = checkOverlayShape(document);
    if (shape.length) throw validationFailed(shape, OVERLAY_REFUSED);
    const doc = document as OverlayDocument;
    const { form: composed } = compose(form.base, this.chain(formId, tenant, false));
    const problems = applyOverlay(composed, doc, true);
    if (problems.length) throw validationFailed(problems, OVERLAY_REFUSED);
    const lint = lintSchema(composed.schema, { root: true });
    if (lint.length) throw validationFailed(lint.map((d) => ({ ...d, path: "" })), OVERLAY_REFUSED);
    try {
      formAjv.removeSchema(formAjv.compile(composed.schema).schema as object);
    } catch (err) {
      throw validationFailed([fieldError("", "schema", `覆盖后的表单不是有效的 JSON Schema：${(err as Error).message}`, `the form with this overlay is not a valid JSON Schema: ${(err as Error).message}`)], OVERLAY_REFUSED);
    }

    const record = await this.knex.transaction(async (trx) => {
      await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`forms:${formId}:${tenant}`]);
      const prev = await trx("core_form_overlays").where({ form_id: formId, tenant_code: tenant }).orderBy("version", "desc").first();
      const current = prev?.version ?? 0;
      if (expectedVersion !== undefined && expectedVersion !== current) {
        throw conflict(
          { "zh-CN": "该覆盖已被他人修改，请刷新后重试", en: "This overlay was changed by someone else; reload and try again" },
          { currentVersion: current },
        );
      }
      const [row] = await trx("core_form_overlays")
        .insert({ form_id: formId, tenant_code: tenant, version: current + 1, document: JSON.stringify(doc), base_version: form.version, author: JSON.stringify(actor) })
        .returning("*");
      await writeAudit(trx, {
        actor,
        tenantCode: tenant,
        action: "forms.overlay.put",
        object: `${formId}/${tenant}`,
        before: prev ? { version: prev.version, document: prev.document } : null,
        after: { version: current + 1, baseVersion: form.version, document: doc },
      });
      return overlayRow(row);
    });
    await this.reload();
    const descendants = this.tree
      .subtree(tenant)
      .filter((t) => t !== tenant && this.latest.get(formId)?.has(t))
      .map((t) => ({ tenant: t, problems: this.current(form, t).problems.filter((p) => p.tenant === t) }))
      .filter((d) => d.problems.length);
    return { record, effective: this.effective(formId, tenant), descendants };
  }

  /** Re-reads the latest overlays (after a change on this node or another). */
  async reload(): Promise<void> {
    const read = ++this.reads;
    const ids = [...this.forms.keys()];
    const { rows } = ids.length
      ? await this.knex.raw(
          `select distinct on (form_id, tenant_code) * from core_form_overlays where form_id = any(?) order by form_id, tenant_code, version desc`,
          [ids],
        )
      : { rows: [] };
    if (read < this.applied) return;
    this.applied = read;
    const latest = new Map<string, Map<string, OverlayRecord>>();
    for (const r of rows as Array<Record<string, unknown>>) {
      const o = overlayRow(r);
      let byTenant = latest.get(o.formId);
      if (!byTenant) latest.set(o.formId, (byTenant = new Map()));
      byTenant.set(o.tenant, o);
    }
    const same = (a: Map<string, OverlayRecord> | undefined, b: Map<string, OverlayRecord> | undefined) =>
      (a?.size ?? 0) === (b?.size ?? 0) && [...(a ?? new Map<string, OverlayRecord>()).entries()].every(([t, o]) => b?.get(t)?.version === o.version);
    const changed = ids.some((id) => !same(this.latest.get(id), latest.get(id)));
    this.latest = latest;
    if (changed) this.byTenant = new Map();
  }

  // -------------------------------------------------------------------------------------------

  private form(formId: string): LoadedForm {
    const f = this.forms.get(formId);
    if (!f) throw formNotFound();
    return f;
  }

  /** The overlays that apply to a tenant, province first (`self`: including its own). */
  private chain(formId: string, tenant: string | null, self: boolean): Array<{ tenant: string; version: number; document: OverlayDocument }> {
    if (tenant === null) return [];
    if (!this.tree.get(tenant)) throw new Error(`forms: unknown tenant "${tenant}"`);
    const overlays = this.latest.get(formId);
    const out: Array<{ tenant: string; version: number; document: OverlayDocument }> = [];
    for (const t of this.tree.lineage(tenant)) {
      if (!self && t.code === tenant) continue;
      const o = overlays?.get(t.code);
      if (o && !isEmptyOverlay(o.document)) out.unshift({ tenant: o.tenant, version: o.version, document: o.document });
    }
    return out;
  }

  private current(form: LoadedForm, tenant: string | null): Composition {
    const key = `${form.id}\0${tenant ?? ""}`;
    let c = this.byTenant.get(key);
    if (!c) {
      const chain = this.chain(form.id, tenant, true);
      const ref: FormRef = { formId: form.id, version: form.version, overlays: chain.map((o) => ({ tenant: o.tenant, version: o.version })) };
      c = this.compositionOf(ref, form.base, chain);
      this.byTenant.set(key, c);
    }
    return c;
  }

  private compositionOf(ref: FormRef, base: FormDoc, chain: Array<{ tenant: string; version: number; document: OverlayDocument }>): Composition {
    const key = refKey(ref.formId, ref.version, ref.overlays);
    let c = this.compositions.get(key);
    if (!c) {
      const { form, problems } = compose(base, chain);
      for (const p of problems) this.log(`[forms] ${ref.formId}: overlay of ${p.tenant} v${p.overlayVersion} no longer fits version ${ref.version} at ${p.path}: ${p.message?.en}; left out`);
      c = { ref: frozenRef(ref), form, problems, validate: compileFormSchema(form.schema, `form "${ref.formId}" (version ${ref.version}, overlays ${key.split("|")[1] || "none"})`) };
      this.compositions.set(key, c);
    }
    return c;
  }

  private async composition(ref: FormRef): Promise<Composition> {
    const key = refKey(ref.formId, ref.version, ref.overlays);
    const cached = this.compositions.get(key);
    if (cached) return cached;
    const loaded = this.forms.get(ref.formId);
    let base: FormDoc;
    if (loaded && loaded.version === ref.version) base = loaded.base;
    else {
      const row = await this.knex("core_form_versions").where({ form_id: ref.formId, version: ref.version }).first();
      if (!row) throw formNotFound();
      base = { schema: row.schema, ui: row.ui_schema };
    }
    const chain: Array<{ tenant: string; version: number; document: OverlayDocument }> = [];
    for (const o of ref.overlays) {
      const row = await this.knex("core_form_overlays").where({ form_id: ref.formId, tenant_code: o.tenant, version: o.version }).first();
      if (!row) throw new PlatformError("NOT_FOUND", { "zh-CN": `未找到 ${o.tenant} 的表单覆盖第 ${o.version} 版`, en: `No version ${o.version} of ${o.tenant}'s overlay` });
      chain.push({ tenant: o.tenant, version: o.version, document: row.document });
    }
    return this.compositionOf(ref, base, chain);
  }
}

const OVERLAY_REFUSED: Localized = {
  "zh-CN": "表单覆盖未通过校验：只能增加字段或收紧规则，不能放宽基础表单",
  en: "The overlay is refused: it may add fields and tighten rules, never loosen the form",
};
