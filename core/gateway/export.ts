import { PassThrough, type Readable } from "node:stream";
import { stringify } from "csv-stringify";
import ExcelJS from "exceljs";
import type { Knex } from "knex";
import { type ErrorDetail, fieldError, type Lang, type Localized, pickLang, validationFailed } from "../errors";
import { contentDisposition } from "../files/files";
import { countUpTo, decodeCursor, type ListOrder, type ListQuery, pageRows } from "./list-query";
import { single } from "./query";

/**
 * Any list as a file, CSV or Excel, with the list's own filters: the same filtered query the list
 * pages through, read by keyset in batches and written as the client takes it, so an export of
 * 100,000 rows holds one batch in memory and no connection between batches.
 */

export const EXPORT_FORMATS = ["csv", "xlsx"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Rows an export may hold: beyond it the caller is asked to narrow the filters. */
export const EXPORT_ROW_LIMIT = 200_000;
const BATCH = 1000;
const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

export interface ExportColumn<Row> {
  title: Localized;
  value: (row: Row) => string | number | Date | null | undefined;
  /** Excel's column width in characters */
  width?: number;
}

export interface ExportSpec<Row> {
  db: Knex;
  /** the list's query, filtered and with its columns, unordered (the order's keys are added) */
  query: ListQuery;
  order: ListOrder;
  columns: ExportColumn<Row>[];
  format: ExportFormat;
  lang: Lang;
  /** the file's name without its extension (may be Chinese: Content-Disposition carries UTF-8) */
  filename: string;
  /** the sheet's name in Excel */
  sheet?: Localized;
  limit?: number;
}

/** `?format=` of an export: csv or xlsx; a problem at `/format` otherwise. */
export function exportFormatParam(raw: unknown, problems: ErrorDetail[]): ExportFormat {
  const v = single(raw);
  if (v === undefined || v === "") return "csv";
  if (v !== null && (EXPORT_FORMATS as readonly string[]).includes(v)) return v as ExportFormat;
  problems.push({ ...fieldError("/format", "enum", "导出格式应为 csv 或 xlsx", "format must be csv or xlsx"), allowed: [...EXPORT_FORMATS] });
  return "csv";
}

/** The language of an export's column titles: `?lang=en`, else Chinese. */
export const exportLang = (raw: unknown): Lang => pickLang(undefined, single(raw) ?? undefined);

/**
 * A spreadsheet runs a cell that begins with = + - @ (or a tab or return before them) as a formula:
 * CSV injection (OWASP). Such text is written with a leading apostrophe, which shows it as text.
 */
export function neutralized(v: string): string {
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

async function* batches<Row extends object>(spec: ExportSpec<Row>): AsyncGenerator<Row[]> {
  let after: unknown[] | undefined;
  for (;;) {
    const { rows, nextCursor } = await pageRows<Row>(spec.db, spec.query, spec.order, { page: 1, pageSize: BATCH, after });
    if (rows.length) yield rows;
    if (!nextCursor) return;
    after = decodeCursor(spec.order, nextCursor, []);
  }
}

/** Waits until the reader has taken what was written (backpressure between batches). */
const drained = (out: PassThrough) => (out.writableNeedDrain ? new Promise<void>((resolve) => out.once("drain", resolve)) : Promise.resolve());

/**
 * The export as the action's answer: refuses above the row limit (400 with a hint to narrow) before
 * anything is sent, then sets the file's headers and returns its stream. `X-Export-Rows` says how
 * many rows to expect (exact up to the limit unless the planner expects far more: `X-Export-Rows-Estimate`), for
 * the client's progress.
 */
export async function exportList<Row extends object>(ctx: { meta: Record<string, unknown> }, spec: ExportSpec<Row>): Promise<Readable> {
  const limit = spec.limit ?? EXPORT_ROW_LIMIT;
  const { total, totalIsEstimate } = await countUpTo(spec.db, spec.query, limit);
  if (total > limit) {
    throw validationFailed([
      {
        ...fieldError("/", "rowLimit", `符合条件的记录约 ${total} 条，超过导出上限 ${limit} 条：请缩小筛选范围（如日期、地区、类型）后再导出`, `About ${total} rows match, above the export limit of ${limit}: narrow the filters (dates, region, type) and export again`),
        limit,
        total,
      },
    ]);
  }
  ctx.meta.$responseType = spec.format === "csv" ? "text/csv; charset=utf-8" : XLSX_TYPE;
  ctx.meta.$responseHeaders = {
    "Content-Disposition": contentDisposition(`${spec.filename}.${spec.format}`),
    "Cache-Control": "no-store",
    "X-Export-Rows": String(total),
    "X-Export-Rows-Estimate": String(totalIsEstimate),
  };
  const out = new PassThrough();
  const write = spec.format === "csv" ? writeCsv(spec, out) : writeXlsx(spec, out);
  // an error half-way (the database gone) breaks the download rather than ending it short and whole-looking
  write.catch((err: Error) => out.destroy(err));
  return out;
}

async function writeCsv<Row extends object>(spec: ExportSpec<Row>, out: PassThrough): Promise<void> {
  // a BOM, so that Excel opens the UTF-8 file with its Chinese intact; CRLF, as RFC 4180 has it
  const csv = stringify({ bom: true, record_delimiter: "windows" });
  csv.pipe(out);
  csv.write(spec.columns.map((c) => c.title[spec.lang]));
  for await (const rows of batches(spec)) {
    for (const row of rows) {
      csv.write(
        spec.columns.map((c) => {
          const v = c.value(row);
          if (v === null || v === undefined) return "";
          if (v instanceof Date) return v.toISOString();
          return typeof v === "string" ? neutralized(v) : v;
        }),
      );
    }
    await drained(out);
  }
  csv.end();
}

async function writeXlsx<Row extends object>(spec: ExportSpec<Row>, out: PassThrough): Promise<void> {
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const sheet = book.addWorksheet((spec.sheet ?? { "zh-CN": "导出", en: "Export" })[spec.lang].slice(0, 31));
  sheet.columns = spec.columns.map((c, i) => ({ key: String(i), header: c.title[spec.lang], width: c.width ?? 18 }));
  sheet.getRow(1).font = { bold: true };
  for await (const rows of batches(spec)) {
    for (const row of rows) sheet.addRow(spec.columns.map((c) => c.value(row) ?? null)).commit();
    await drained(out);
  }
  sheet.commit();
  await book.commit();
}
