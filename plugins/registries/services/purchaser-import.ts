import type { Readable } from "node:stream";
import { raw, type Transaction } from "objection";
import { subject } from "@casl/ability";
import { type AppAbility, type AuditEntry, checkForm, type ErrorDetail, fieldError, readCsv, writeAudit } from "../../../core/sdk";

/** audit entries written per statement */
const AUDIT_CHUNK = 1000;
import { Purchaser, purchaserFields, type PurchaserInput } from "./purchaser-model";
import { creditCodeTaken, tenantProblem } from "./purchaser-rules";

/** CSV columns (snake_case, as spreadsheets exported from the old system name them) → form fields. */
const COLUMNS: Record<string, (typeof purchaserFields)[number]> = {
  name: "name",
  credit_code: "creditCode",
  budget_code: "budgetCode",
  tenant_code: "tenantCode",
  unit_type: "unitType",
  contact_name: "contactName",
  contact_phone: "contactPhone",
  contact_email: "contactEmail",
  address: "address",
  status: "status",
};
const REQUIRED_COLUMNS = ["name", "budget_code", "tenant_code", "unit_type"];
const BATCH = 500;
// 100,000 units are about 15 MiB of CSV.
export const IMPORT_MAX_BYTES = 64 * 1024 * 1024;

export interface ImportRejection {
  line: number;
  budgetCode?: string;
  reasons: ErrorDetail[];
}

export interface ImportReport {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: ImportRejection[];
}

interface Row {
  line: number;
  data: PurchaserInput;
}

/**
 * Imports purchasing units from CSV, streaming, in batches, all in one transaction. Each row is
 * checked against the same form as the API; a bad row is reported with its line and reasons and
 * the good rows still import. A file that cannot be read to its end (malformed CSV, too large, a
 * dropped connection) imports nothing. A unit already present (by budget code) is updated if the
 * row differs and left alone if not, so running the same file twice changes nothing.
 */
export async function importPurchasers(input: Readable, ability: AppAbility, actor: Record<string, unknown>, maxBytes = IMPORT_MAX_BYTES): Promise<ImportReport> {
  const report: ImportReport = { rows: 0, created: 0, updated: 0, unchanged: 0, rejected: [] };
  const audits: Array<Omit<AuditEntry, "actor">> = [];
  const seenBudget = new Map<string, number>();
  const seenCredit = new Map<string, number>();
  let batch: Row[] = [];

  await Purchaser.transaction(async (trx) => {
    for await (const { line, values, problem } of readCsv(input, { columns: Object.keys(COLUMNS), required: REQUIRED_COLUMNS, maxBytes })) {
      report.rows++;
      if (problem) {
        report.rejected.push({ line, reasons: [problem] });
        continue;
      }
      const data: Record<string, string> = {};
      for (const [column, value] of Object.entries(values)) if (value !== "") data[COLUMNS[column]] = value;
      const rejected = checkRow(data as PurchaserInput, line, ability, seenBudget, seenCredit);
      if (rejected) {
        report.rejected.push(rejected);
        continue;
      }
      batch.push({ line, data: data as PurchaserInput });
      if (batch.length >= BATCH) {
        await writeBatch(trx, batch, ability, report, audits);
        batch = [];
      }
    }
    if (batch.length) await writeBatch(trx, batch, ability, report, audits);
    // Last in the transaction (the audit chain's rule): an entry per unit created or changed, and one for the import.
    const entries: AuditEntry[] = audits.map((a) => ({ actor, ...a }));
    entries.push({
      actor,
      action: "registries.purchaser.import",
      object: "registries_purchasers",
      after: { rows: report.rows, created: report.created, updated: report.updated, unchanged: report.unchanged, rejected: report.rejected.length },
    });
    for (let i = 0; i < entries.length; i += AUDIT_CHUNK) await writeAudit(trx, entries.slice(i, i + AUDIT_CHUNK));
  });
  report.rejected.sort((a, b) => a.line - b.line);
  return report;
}

function checkRow(
  data: PurchaserInput,
  line: number,
  ability: AppAbility,
  seenBudget: Map<string, number>,
  seenCredit: Map<string, number>,
): ImportRejection | null {
  const reasons = checkForm("registries.purchaser", data);
  const tenant = tenantProblem(data.tenantCode);
  if (tenant && !reasons.some((r) => r.path === "/tenantCode")) reasons.push(tenant);
  if (!reasons.length && !ability.can("create", subject("Purchaser", { ...data }))) {
    reasons.push(fieldError("/tenantCode", "permission", "无权为该区划导入采购人", "you may not import purchasing units for this division"));
  }
  if (data.budgetCode) {
    const first = seenBudget.get(data.budgetCode);
    if (first !== undefined) reasons.push(fieldError("/budgetCode", "unique", `与第 ${first} 行的预算单位编码重复`, `same budget code as line ${first}`));
    else seenBudget.set(data.budgetCode, line);
  }
  if (data.creditCode) {
    const first = seenCredit.get(data.creditCode);
    if (first !== undefined) reasons.push(fieldError("/creditCode", "unique", `与第 ${first} 行的统一社会信用代码重复`, `same credit code as line ${first}`));
    else seenCredit.set(data.creditCode, line);
  }
  return reasons.length ? { line, budgetCode: data.budgetCode, reasons } : null;
}

const differs = (row: Purchaser, data: PurchaserInput): boolean =>
  purchaserFields.some((f) => (f === "status" ? (data.status ?? "active") !== row.status : (data[f] ?? null) !== (row[f] ?? null)));

/** Looks up a batch's existing units in one query each, then writes what changed. */
async function writeBatch(trx: Transaction, batch: Row[], ability: AppAbility, report: ImportReport, audits: Array<Omit<AuditEntry, "actor">>): Promise<void> {
  const existing = new Map(
    (await Purchaser.query(trx).whereIn("budget_code", batch.map((r) => r.data.budgetCode!))).map((p) => [p.budgetCode, p]),
  );
  const credits = batch.map((r) => r.data.creditCode).filter((c): c is string => !!c);
  const creditOwners = new Map(
    credits.length
      ? (await Purchaser.query(trx).select("credit_code", "budget_code").whereIn("credit_code", credits)).map((p) => [p.creditCode!, p.budgetCode])
      : [],
  );
  const inserts: PurchaserInput[] = [];
  for (const { line, data } of batch) {
    const owner = data.creditCode ? creditOwners.get(data.creditCode) : undefined;
    if (owner && owner !== data.budgetCode) {
      report.rejected.push({ line, budgetCode: data.budgetCode, reasons: [creditCodeTaken()] });
      continue;
    }
    const row = existing.get(data.budgetCode!);
    if (!row) {
      inserts.push({ status: "active", ...data });
      continue;
    }
    if (!differs(row, data)) {
      report.unchanged++;
      continue;
    }
    if (!ability.can("update", subject("Purchaser", { ...row })) || !ability.can("update", subject("Purchaser", { ...row, ...data }))) {
      report.rejected.push({ line, budgetCode: data.budgetCode, reasons: [fieldError("/budgetCode", "permission", "该单位已存在且您无权修改", "this unit exists and you may not change it")] });
      continue;
    }
    const patch = Object.fromEntries(purchaserFields.map((f) => [f, data[f] ?? (f === "status" ? "active" : null)]));
    await Purchaser.query(trx)
      .patch({ ...patch, version: raw("version + 1"), updatedAt: raw("now()") } as unknown as Partial<Purchaser>)
      .where("id", row.id);
    report.updated++;
    audits.push({ tenantCode: data.tenantCode, action: "registries.purchaser.update", object: data.budgetCode!, before: Object.fromEntries(purchaserFields.map((f) => [f, row[f] ?? null])), after: { ...patch, via: "import" } });
  }
  if (inserts.length) {
    await Purchaser.query(trx).insert(inserts as Partial<Purchaser>[]);
    report.created += inserts.length;
    for (const d of inserts) audits.push({ tenantCode: d.tenantCode, action: "registries.purchaser.create", object: d.budgetCode!, after: { ...d, via: "import" } });
  }
}
