import type { Readable } from "node:stream";
import { subject } from "@casl/ability";
import { Model, raw, type PartialModelObject, type Transaction } from "objection";
import { abilityOf, actorOf, type AppAbility, type AuditEntry, checkForm, conflict, type ErrorDetail, fieldError, type PlatformActionSchema, type PlatformContext, readCsv, type SessionUser, writeAudit } from "../../../core/sdk";
import {
  createRecord,
  deactivateRecord,
  normalized,
  readRecord,
  sameValue,
  updateRecord,
  type CodedRecord,
  type CodedRegistry,
  type FormData,
} from "./coded-registry";
import { violatedUnique } from "./registry-rules";

const BATCH = 500;
// 140,000 suppliers are about 25 MiB of CSV.
export const IMPORT_MAX_BYTES = 64 * 1024 * 1024;
// Audit entries per statement at the end of an import.
const AUDIT_CHUNK = 1000;

/** How a registry's CSV files look. */
export interface CsvLayout {
  /** the columns a file may have (snake_case, as the old systems' spreadsheets name them) */
  columns: readonly string[];
  /** the columns it must have */
  required: readonly string[];
  /**
   * One row's values (only the columns the file has) as form data. `cleared`: optional fields whose
   * column is there but empty on this row; a column the file does not have leaves its field alone.
   */
  read(values: Record<string, string>): { data: FormData; cleared: string[] };
}

/** A unique key of a record besides its credit code (an agency's record number). */
export interface SecondaryKey {
  of(data: FormData): string | null;
  /** which records hold these keys now: key → credit code */
  holders(trx: Transaction, keys: string[]): Promise<Map<string, string>>;
  taken(): ErrorDetail;
  repeated(firstLine: number): ErrorDetail;
}

export interface ImportRejection {
  line: number;
  creditCode?: string;
  reasons: ErrorDetail[];
}

export interface ImportReport {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: ImportRejection[];
}

const registeredMeanwhile = () =>
  fieldError("/creditCode", "unique", "导入期间已有相同代码或编号的记录被登记", "a record with the same code or number was registered while the file was imported");

interface Row {
  line: number;
  code: string;
  data: FormData;
  cleared: string[];
}

/**
 * The columns of `map` (column → field) that the file has, as form data; an empty optional
 * column (one of `clearable`) clears its field, an empty `status` leaves the record's as it is.
 */
export function readColumns(values: Record<string, string>, map: Record<string, string>, clearable: readonly string[]): { data: FormData; cleared: string[] } {
  const data: FormData = {};
  const cleared: string[] = [];
  for (const [column, field] of Object.entries(map)) {
    if (!(column in values)) continue;
    const v = values[column];
    if (v !== "") data[field] = v;
    else if (clearable.includes(field)) cleared.push(field);
  }
  return { data, cleared };
}

/**
 * Imports records from CSV, streaming, in batches of 500, all in one transaction. Each row is
 * checked with the same form and rules as the API; a bad row is reported with its line and reasons
 * and the good rows still import. A record already registered (same credit code) is updated when
 * the row differs and counted unchanged when not, so running a file twice changes nothing. A file
 * that cannot be read to its end (malformed, too large, cut off) imports nothing.
 *
 * Every record created or changed gets its audit entry (actor `via: "import"`), and the import one
 * entry of its own with the counts; they are written at the end, in the same transaction, because
 * the audit chain's lock, once taken, makes every other audited change of the platform wait.
 */
export async function importRecords<R extends CodedRecord>(
  spec: CodedRegistry<R>,
  layout: CsvLayout,
  input: Readable,
  ability: AppAbility,
  user: SessionUser,
  opts: { keys?: SecondaryKey[]; maxBytes?: number } = {},
): Promise<ImportReport> {
  const report: ImportReport = { rows: 0, created: 0, updated: 0, unchanged: 0, rejected: [] };
  const keys = opts.keys ?? [];
  const seenCodes = new Map<string, number>();
  const seenKeys = keys.map(() => new Map<string, number>());
  const actor = { ...actorOf(user), via: "import" };
  const audits: AuditEntry[] = [];
  const reject = (line: number, creditCode: string | undefined, reasons: ErrorDetail[]) => report.rejected.push({ line, creditCode, reasons });

  const checkRow = (line: number, data: FormData): ErrorDetail[] => {
    const reasons = checkForm(spec.form, data);
    for (const p of spec.check(data)) if (!reasons.some((r) => r.path === p.path)) reasons.push(p);
    const code = typeof data.creditCode === "string" ? data.creditCode : undefined;
    if (code) {
      const first = seenCodes.get(code);
      if (first !== undefined) reasons.push(fieldError("/creditCode", "unique", `与第 ${first} 行的统一社会信用代码重复`, `same credit code as line ${first}`));
      else seenCodes.set(code, line);
    }
    keys.forEach((k, i) => {
      const key = k.of(data);
      if (!key) return;
      const first = seenKeys[i].get(key);
      if (first !== undefined) reasons.push(k.repeated(first));
      else seenKeys[i].set(key, line);
    });
    return reasons;
  };

  /** Looks up a batch's existing records in one query (and each other key in one), then writes what changed. */
  const writeBatch = async (trx: Transaction, batch: Row[]) => {
    const found = (await spec.model.query(trx).whereIn("credit_code", batch.map((r) => r.code))) as R[];
    const existing = new Map(found.map((r) => [r.creditCode, r]));
    const holders = await Promise.all(
      keys.map((k) => {
        const wanted = batch.map((r) => k.of(r.data)).filter((v): v is string => !!v);
        return wanted.length ? k.holders(trx, wanted) : Promise.resolve(new Map<string, string>());
      }),
    );
    const inserts: Array<{ line: number; code: string; columns: PartialModelObject<R> }> = [];
    for (const { line, code, data, cleared } of batch) {
      const clash = keys.findIndex((k, i) => {
        const key = k.of(data);
        const holder = key ? holders[i].get(key) : undefined;
        return holder !== undefined && holder !== code;
      });
      if (clash >= 0) {
        reject(line, code, [keys[clash].taken()]);
        continue;
      }
      const row = existing.get(code);
      if (!row) {
        const columns = spec.toColumns({ status: "active", ...data });
        if (!ability.can("create", subject(spec.subject, { ...columns }))) {
          reject(line, code, [fieldError("/region", "permission", "无权为该地区登记", "you may not register records in this region")]);
          continue;
        }
        inserts.push({ line, code, columns });
        continue;
      }
      const current = spec.toData(row);
      const merged: FormData = { ...current, ...data };
      for (const f of cleared) delete merged[f];
      if (sameValue(current, merged)) {
        report.unchanged++;
        continue;
      }
      const columns = spec.toColumns(merged);
      if (!ability.can("update", subject(spec.subject, { ...row })) || !ability.can("update", subject(spec.subject, { ...row, ...columns }))) {
        reject(line, code, [fieldError("/creditCode", "permission", "该记录已登记且您无权修改", "this record is registered and you may not change it")]);
        continue;
      }
      const next = (await spec.model
        .query(trx)
        .patch({ ...columns, version: raw("version + 1"), updatedAt: raw("now()") } as PartialModelObject<R>)
        .where("credit_code", code)
        .returning("*")
        .first()) as unknown as R;
      audits.push({ actor, tenantCode: next.region, action: `${spec.audit}.update`, object: code, before: spec.view(row), after: spec.view(next) });
      report.updated++;
    }
    if (!inserts.length) return;
    // A record registered by someone else since the lookup is reported, not a failed import.
    const stored = await trx(spec.model.tableName)
      .insert(inserts.map((i) => spec.model.fromJson(i.columns as object, { skipValidation: true }).$toDatabaseJson()))
      .onConflict()
      .ignore()
      .returning("*");
    const made = new Map(stored.map((r: Record<string, unknown>) => {
      const row = spec.model.fromDatabaseJson(r) as R;
      return [row.creditCode, row];
    }));
    for (const { line, code } of inserts) {
      const row = made.get(code);
      if (!row) {
        reject(line, code, [registeredMeanwhile()]);
        continue;
      }
      audits.push({ actor, tenantCode: row.region, action: `${spec.audit}.create`, object: code, after: spec.view(row) });
      report.created++;
    }
  };

  try {
    await Model.transaction(async (trx) => {
      let batch: Row[] = [];
      for await (const { line, values, problem } of readCsv(input, { columns: layout.columns, required: layout.required, maxBytes: opts.maxBytes ?? IMPORT_MAX_BYTES })) {
        report.rows++;
        if (problem) {
          reject(line, values.credit_code || undefined, [problem]);
          continue;
        }
        const { data, cleared } = layout.read(values);
        const reasons = checkRow(line, data);
        if (reasons.length) {
          reject(line, typeof data.creditCode === "string" ? data.creditCode : undefined, reasons);
          continue;
        }
        batch.push({ line, code: data.creditCode as string, data: normalized(spec, data), cleared });
        if (batch.length >= BATCH) {
          await writeBatch(trx, batch);
          batch = [];
        }
      }
      if (batch.length) await writeBatch(trx, batch);
      report.rejected.sort((a, b) => a.line - b.line);
      audits.push({
        actor,
        action: `${spec.audit}.import`,
        object: spec.model.tableName,
        after: { rows: report.rows, created: report.created, updated: report.updated, unchanged: report.unchanged, rejected: report.rejected.length },
      });
      for (let i = 0; i < audits.length; i += AUDIT_CHUNK) await writeAudit(trx, audits.slice(i, i + AUDIT_CHUNK));
    });
  } catch (err) {
    // Another change took a key this import was about to write, after the import looked: nothing was imported.
    if (violatedUnique(err) !== null) {
      throw conflict({
        "zh-CN": "导入期间登记库被同时修改，未导入任何数据，请重新导入",
        en: "The registry was changed while the file was imported; nothing was imported. Import it again",
      });
    }
    throw err;
  }
  return report;
}

/**
 * The actions every coded registry has on one record and on files, declared once:
 * `GET /<path>/:code` (also what other plugins call with their caller's ctx:
 * `ctx.call("registries.<path>.get", { code })`), `POST /<path>`, `PATCH /<path>/:code`,
 * `DELETE /<path>/:code` (deactivates) and `POST /<path>/import` (CSV). Only the list differs.
 */
export function recordActions<R extends CodedRecord>(
  spec: CodedRegistry<R>,
  o: { path: string; subject: string; csv: CsvLayout; keys?: SecondaryKey[] },
): Record<string, PlatformActionSchema> {
  return {
    get: {
      rest: `GET /${o.path}/:code`,
      kind: "read",
      permission: ["read", o.subject],
      handler: (ctx: PlatformContext<{ code?: unknown }>) => readRecord(spec, ctx),
    },
    create: {
      rest: `POST /${o.path}`,
      kind: "create",
      permission: ["create", o.subject],
      handler: (ctx: PlatformContext<Record<string, unknown>>) => createRecord(spec, ctx),
    },
    update: {
      rest: `PATCH /${o.path}/:code`,
      kind: "continue",
      // On one record: 404 for one the caller cannot read, 403 for one it may read but not change.
      permission: ["read", o.subject],
      handler: (ctx: PlatformContext<Record<string, unknown>>) => updateRecord(spec, ctx),
    },
    deactivate: {
      rest: `DELETE /${o.path}/:code`,
      kind: "continue",
      permission: ["read", o.subject],
      handler: (ctx: PlatformContext<{ code?: unknown }>) => deactivateRecord(spec, ctx),
    },
    import: {
      rest: `POST /${o.path}/import`,
      stream: true,
      kind: "create",
      permission: ["import", o.subject],
      handler: (ctx: PlatformContext) => importRecords(spec, o.csv, ctx.stream as Readable, abilityOf(ctx), ctx.meta.user!, o.keys ? { keys: o.keys } : {}),
    },
  };
}
