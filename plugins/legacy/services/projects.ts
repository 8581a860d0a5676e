import { pipeline, Readable } from "node:stream";
import { compareMoney, type ErrorDetail, fieldError, inputProblems, isDate, isUnsignedMoney, money, type PlatformContext, type PlatformServiceSchema, readCsv, toMoney, uploadLimit, validationFailed, type WorkflowHooks } from "../../../core/sdk";

/** The day the platform took over (粤财采购函〔2020〕59号): only projects begun before it come over. */
export const CUTOVER = "2021-01-01";
const STAGES = ["planned", "executing", "contracted", "accepted"] as const;
const COLUMNS = ["legacyId", "projectName", "tenantCode", "unitCode", "unitName", "stage", "startedOn", "budget", "supplierName", "contractAmount", "signedOn", "paidAmount"] as const;
const REQUIRED = ["legacyId", "projectName", "tenantCode", "unitCode", "stage", "startedOn", "budget"] as const;
const MAX_BYTES = 16 * 1024 * 1024;

type Row = Partial<Record<(typeof COLUMNS)[number], string>>;
export interface LegacyImportReport {
  rows: number;
  imported: number;
  unchanged: number;
  rejected: Array<{ line: number; legacyId: string | null; reasons: ErrorDetail[] }>;
}

/** What is wrong with one exported project, or null. */
function problems(r: Row): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const c of REQUIRED) if (!r[c]) out.push(fieldError(`/${c}`, "required", "必填", "required"));
  if (out.length) return out;
  if (!(STAGES as readonly string[]).includes(r.stage!)) out.push(fieldError("/stage", "enum", `应为 ${STAGES.join("、")} 之一（已支付的项目无需迁移）`, `must be one of ${STAGES.join(", ")} (paid projects need not come over)`));
  if (!isDate(r.startedOn!)) out.push(fieldError("/startedOn", "format", "应为日期 yyyy-mm-dd", "a date, yyyy-mm-dd"));
  else if (r.startedOn! >= CUTOVER) out.push(fieldError("/startedOn", "cutover", `${CUTOVER} 起开始的项目应在新平台办理采购计划备案`, `projects begun from ${CUTOVER} on are filed as new plans on the platform`));
  for (const m of ["budget", "contractAmount", "paidAmount"] as const) if (r[m] && !isUnsignedMoney(r[m]!)) out.push(fieldError(`/${m}`, "format:money", "应为不小于 0 的金额（元，最多两位小数）", "an amount in yuan, not below zero, at most two decimals"));
  const contracted = r.stage === "contracted" || r.stage === "accepted";
  if (contracted) {
    if (!r.contractAmount) out.push(fieldError("/contractAmount", "required", "已签合同的项目须有合同金额", "a contracted project has a contract amount"));
    if (!r.supplierName) out.push(fieldError("/supplierName", "required", "已签合同的项目须有供应商", "a contracted project has a supplier"));
    if (!r.signedOn || !isDate(r.signedOn)) out.push(fieldError("/signedOn", "required", "已签合同的项目须有签订日期", "a contracted project has the date it was signed"));
  }
  if (r.paidAmount && r.contractAmount && isUnsignedMoney(r.paidAmount) && isUnsignedMoney(r.contractAmount) && compareMoney(r.paidAmount, r.contractAmount) >= 0) {
    out.push(fieldError("/paidAmount", "paid", "已付清的项目无需迁移", "a project paid in full need not come over"));
  }
  return out;
}

/** Reads a CSV or a JSON array (the old system exports both); JSON is told by its first character. */
async function* rowsOf(upload: Readable): AsyncGenerator<{ line: number; row: Row; problem: ErrorDetail | null }> {
  // past MAX_BYTES, PAYLOAD_TOO_LARGE, for either kind of file (the gateway's bound for uploads)
  const input = pipeline(upload, uploadLimit(MAX_BYTES), () => {});
  const chunks: Buffer[] = [];
  const iterator = input[Symbol.asyncIterator]();
  // peek at the start: "[" means a JSON export
  const head = await iterator.next();
  if (head.done) return;
  const buf = Buffer.from(head.value);
  if (buf.toString("utf8").trimStart().startsWith("[")) {
    chunks.push(buf);
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) chunks.push(Buffer.from(next.value));
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch (err) {
      throw validationFailed([fieldError("/", "json", `不是有效的 JSON：${(err as Error).message}`, `not valid JSON: ${(err as Error).message}`)]);
    }
    // NUL and lone surrogates, which PostgreSQL stores in no text column, refuse the file as the gateway refuses a body
    const unusable = inputProblems(parsed);
    if (unusable.length) throw validationFailed(unusable);
    let i = 0;
    for (const item of parsed as unknown[]) {
      i++;
      if (!item || typeof item !== "object") {
        yield { line: i, row: {}, problem: fieldError("/", "type", "每项应为对象", "each item must be an object") };
        continue;
      }
      const row: Row = {};
      for (const c of COLUMNS) {
        const v = (item as Record<string, unknown>)[c];
        if (v !== undefined && v !== null && v !== "") row[c] = String(v).trim();
      }
      yield { line: i, row, problem: null };
    }
    return;
  }
  // a CSV: hand the bytes read so far and the rest to the shared reader
  const rest = Readable.from((async function* () {
    yield buf;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  })());
  // the shared reader knows column names in lower case (headers are matched without regard to case)
  const lower = (names: readonly string[]) => names.map((c) => c.toLowerCase());
  for await (const { line, values, problem } of readCsv(rest, { columns: lower(COLUMNS), required: lower(REQUIRED) })) {
    const row: Row = {};
    for (const c of COLUMNS) if (values[c.toLowerCase()]) row[c] = values[c.toLowerCase()];
    yield { line, row, problem };
  }
}

const stateData = (r: Row) => ({
  projectName: r.projectName,
  ...(r.unitName ? { unitName: r.unitName } : {}),
  budget: toMoney(money(r.budget!)),
  startedOn: r.startedOn,
  ...(r.contractAmount ? { contractAmount: toMoney(money(r.contractAmount)), supplierName: r.supplierName, signedOn: r.signedOn } : {}),
  paidAmount: toMoney(money(r.paidAmount ?? "0")),
  legacyId: r.legacyId,
});

export const legacyService: PlatformServiceSchema = {
  name: "legacy",
  actions: {
    import: {
      rest: "POST /projects/import",
      stream: true,
      // brings existing business over: allowed while the old system is in sunset
      kind: "continue",
      permission: ["import", "WorkflowInstance"],
      async handler(ctx: PlatformContext) {
        const report: LegacyImportReport = { rows: 0, imported: 0, unchanged: 0, rejected: [] };
        // The whole file is read (at most MAX_BYTES) before the first adoption: a file malformed
        // further down is refused whole instead of leaving the rows above it adopted.
        const rows = [];
        for await (const r of rowsOf(ctx.stream as Readable)) rows.push(r);
        for (const { line, row, problem } of rows) {
          report.rows++;
          const reasons = problem ? [problem] : problems(row);
          if (reasons.length) {
            report.rejected.push({ line, legacyId: row.legacyId ?? null, reasons });
            continue;
          }
          try {
            const done = await ctx.call<{ created: boolean }, Record<string, unknown>>("workflows.adopt", {
              workflowId: "legacy.project", externalId: row.legacyId, state: row.stage, tenantCode: row.tenantCode, ownerUnit: row.unitCode, data: stateData(row),
            });
            if (done.created) report.imported++;
            else report.unchanged++;
          } catch (err) {
            const e = err as { type?: string; message?: string; data?: { messages?: { "zh-CN": string; en: string }; details?: unknown } };
            // the fields the workflow's form or the unit check refused, else the refusal itself
            const details = e.type === "VALIDATION_FAILED" && Array.isArray(e.data?.details) ? (e.data.details as ErrorDetail[]) : null;
            report.rejected.push({ line, legacyId: row.legacyId ?? null, reasons: details ?? [fieldError("/", String(e.type ?? "error").toLowerCase(), e.data?.messages?.["zh-CN"] ?? String(e.message), e.data?.messages?.en ?? String(e.message))] });
          }
        }
        // (each adoption's answer code came back with its meta: the report is the answer)
        ctx.meta.$statusCode = 200;
        return report;
      },
    },
  },
};

/** The balance closes the project: exactly what the contract leaves unpaid. */
export const legacyHooks: Record<string, WorkflowHooks> = {
  "legacy.project": {
    transitions: {
      pay(step) {
        const due = money(String(step.before.contractAmount)).minus(money(String(step.before.paidAmount ?? "0")));
        if (!money(String(step.submitted.amount)).equals(due)) {
          throw validationFailed([fieldError("/amount", "balance", `应为合同尚未支付的余额 ${toMoney(due)}`, `must be the contract's unpaid balance, ${toMoney(due)}`)]);
        }
        return { data: { paidAmount: toMoney(String(step.before.contractAmount)) } };
      },
    },
  },
};
