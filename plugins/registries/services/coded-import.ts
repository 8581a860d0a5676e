import type { Readable } from "node:stream";
import { subject } from "@casl/ability";
import { Model, raw, type PartialModelObject, type Transaction } from "objection";
import { actorOf, type AppAbility, type AuditEntry, checkForm, conflict, type ErrorDetail, fieldError, readCsv, type SessionUser, writeAudit } from "../../../core/sdk";
import { columnsFrom, dataOf, normalized, sameValue, valueOf, type CodedRecord, type CodedRegistry, type FormData } from "./coded-registry";
import { violatedUnique } from "./registry-rules";

const BATCH = 500;
// 140,000 suppliers (or 100,000 purchasing units) are about 25 MiB of CSV.
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

/** A unique key of a record besides its code (an agency's record number, a unit's credit code). */
export interface SecondaryKey {
  of(data: FormData): string | null;
  /** which records hold these keys now: key → the record's code */
  holders(trx: Transaction, keys: string[]): Promise<Map<string, string>>;
  taken(): ErrorDetail;
  repeated(firstLine: number): ErrorDetail;
}

/** A row not imported: its line, its code under the registry's name for it (`creditCode`, `budgetCode`), why. */
export interface ImportRejection {
  line: number;
  reasons: ErrorDetail[];
  [code: string]: unknown;
}

export interface ImportReport {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: ImportRejection[];
}

const registeredMeanwhile = (path: string) =>
  fieldError(path, "unique", "导入期间已有相同代码或编号的记录被登记", "a record with the same code or number was registered while the file was imported");

interface Row {
  line: number;
  code: string;
  data: FormData;
  cleared: string[];
}

/** CSV columns named as the old systems' spreadsheets name them (snake_case) → the form's fields. */
export const columnsOf = (fields: readonly string[]): Record<string, string> =>
  Object.fromEntries(fields.map((f) => [f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), f]));

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
 * and the good rows still import. A record already registered (same code) is updated when
 * the row differs and counted unchanged when not, so running a file twice changes nothing. A file
 * that cannot be read to its end (malformed, too large, cut off) imports nothing.
 *
 * Every record created or changed gets its audit entry (actor `via: "import"`), and the import one
 * entry of its own with the counts; they are written at the end, in the same transaction, because
 * the audit chain's lock, once taken, makes every other audited change of the platform wait.
 */
export async function importRecords<R extends CodedRecord>(
  spec: CodedRegistry<R>,
  input: Readable,
  ability: AppAbility,
  user: SessionUser,
  opts: { maxBytes?: number } = {},
): Promise<ImportReport> {
  const report: ImportReport = { rows: 0, created: 0, updated: 0, unchanged: 0, rejected: [] };
  const layout = spec.csv;
  const keys = spec.keys ?? [];
  const { field: codeField, column: codeColumn, label } = spec.code;
  const codePath = `/${codeField}`;
  const seenCodes = new Map<string, number>();
  const seenKeys = keys.map(() => new Map<string, number>());
  const actor = { ...actorOf(user), via: "import" };
  const audits: AuditEntry[] = [];
  const reject = (line: number, code: string | undefined, reasons: ErrorDetail[]) => report.rejected.push({ line, [codeField]: code, reasons });

  const checkRow = (line: number, data: FormData): ErrorDetail[] => {
    const reasons = checkForm(spec.form, data);
    for (const p of spec.check(data)) if (!reasons.some((r) => r.path === p.path)) reasons.push(p);
    const code = typeof data[codeField] === "string" ? (data[codeField] as string) : undefined;
    if (code) {
      const first = seenCodes.get(code);
      if (first !== undefined) reasons.push(fieldError(codePath, "unique", `与第 ${first} 行的${label["zh-CN"]}重复`, `same ${label.en} as line ${first}`));
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
    const found = (await spec.model.query(trx).whereIn(codeColumn, batch.map((r) => r.code))) as R[];
    const existing = new Map(found.map((r) => [valueOf(r, codeField), r]));
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
        const columns = columnsFrom(spec, { status: "active", ...data });
        if (!ability.can("create", subject(spec.subject, { ...columns }))) {
          reject(line, code, [fieldError(`/${spec.tenant.field}`, "permission", "无权为该地区登记", "you may not register records in this region")]);
          continue;
        }
        inserts.push({ line, code, columns });
        continue;
      }
      const current = dataOf(spec, row);
      const merged: FormData = { ...current, ...data };
      for (const f of cleared) delete merged[f];
      if (sameValue(current, merged)) {
        report.unchanged++;
        continue;
      }
      const columns = columnsFrom(spec, merged);
      if (!ability.can("update", subject(spec.subject, { ...row })) || !ability.can("update", subject(spec.subject, { ...row, ...columns }))) {
        reject(line, code, [fieldError(codePath, "permission", "该记录已登记且您无权修改", "this record is registered and you may not change it")]);
        continue;
      }
      const next = (await spec.model
        .query(trx)
        .patch({ ...columns, version: raw("version + 1"), updatedAt: raw("now()") } as PartialModelObject<R>)
        .where(codeColumn, code)
        .returning("*")
        .first()) as unknown as R;
      audits.push({ actor, tenantCode: valueOf(next, spec.tenant.field), action: `${spec.audit}.update`, object: code, before: spec.view(row), after: spec.view(next) });
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
      return [valueOf(row, codeField), row];
    }));
    for (const { line, code } of inserts) {
      const row = made.get(code);
      if (!row) {
        reject(line, code, [registeredMeanwhile(codePath)]);
        continue;
      }
      audits.push({ actor, tenantCode: valueOf(row, spec.tenant.field), action: `${spec.audit}.create`, object: code, after: spec.view(row) });
      report.created++;
    }
  };

  try {
    await Model.transaction(async (trx) => {
      let batch: Row[] = [];
      for await (const { line, values, problem } of readCsv(input, { columns: layout.columns, required: layout.required, maxBytes: opts.maxBytes ?? IMPORT_MAX_BYTES })) {
        report.rows++;
        if (problem) {
          reject(line, values[codeColumn] || undefined, [problem]);
          continue;
        }
        const { data, cleared } = layout.read(values);
        const reasons = checkRow(line, data);
        if (reasons.length) {
          reject(line, typeof data[codeField] === "string" ? (data[codeField] as string) : undefined, reasons);
          continue;
        }
        batch.push({ line, code: data[codeField] as string, data: normalized(spec, data), cleared });
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
