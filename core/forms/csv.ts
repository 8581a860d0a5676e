import { pipeline, Transform, type Readable } from "node:stream";
import { parse } from "csv-parse";
import { fieldError, PlatformError, validationFailed, type ErrorDetail } from "../errors";
import { uploadLimit } from "../gateway/upload";

/**
 * Reading a CSV file of rows to import (spreadsheets exported from the old systems): streaming,
 * so a 100,000-row file never sits in memory whole, with the line of every row for the report.
 *
 * What is refused whole, as VALIDATION_FAILED, is the file that cannot be read as intended:
 * not UTF-8 (rule `encoding`), empty or with unknown or missing columns (path `/header`),
 * malformed CSV (rule `csv`); past `maxBytes` it is PAYLOAD_TOO_LARGE. These errors come out of
 * the iteration, so an importer that writes in one transaction around it writes nothing.
 */
export interface CsvOptions {
  /** the columns a file may have (header names are matched without regard to case) */
  columns: readonly string[];
  /** the columns it must have */
  required: readonly string[];
  /** past this many bytes the read fails with PAYLOAD_TOO_LARGE */
  maxBytes?: number;
}

export interface CsvRow {
  /** the line the record ends on; the header is line 1 */
  line: number;
  /** bytes of the file read so far (a little ahead of this row: the parser reads in chunks) */
  bytes: number;
  /** column → trimmed value, "" when empty or missing */
  values: Record<string, string>;
  /** set when the record does not have one field per column; the row should be rejected */
  problem: ErrorDetail | null;
}

export const NOT_UTF8 = {
  "zh-CN": "文件不是 UTF-8 编码（Excel 保存的 CSV 常为 GBK 编码），未导入任何数据：请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）”后重新导入",
  en: 'The file is not UTF-8 text (Excel often saves CSV as GBK); nothing was imported. In Excel, use "Save As" "CSV UTF-8 (Comma delimited)" and import that file',
};

/** Counts the bytes that pass and refuses the stream at the first byte sequence that is not UTF-8. */
function utf8Bytes(counted: (bytes: number) => void): Transform {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let bytes = 0;
  const refuse = () => validationFailed([fieldError("", "encoding", NOT_UTF8["zh-CN"], NOT_UTF8.en)], NOT_UTF8);
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        // Only to check: `stream` keeps a character split across two chunks for the next.
        decoder.decode(chunk, { stream: true });
      } catch {
        done(refuse());
        return;
      }
      bytes += chunk.length;
      counted(bytes);
      done(null, chunk);
    },
    flush(done) {
      try {
        decoder.decode();
      } catch {
        done(refuse());
        return;
      }
      done();
    },
  });
}

function checkHeader(header: string[], opts: CsvOptions): void {
  const details: ErrorDetail[] = [];
  header.forEach((h, i) => {
    if (!opts.columns.includes(h)) details.push(fieldError(`/header/${i}`, "column", `未知的列 "${h}"`, `unknown column "${h}"`));
    else if (header.indexOf(h) !== i) details.push(fieldError(`/header/${i}`, "unique", `列 "${h}" 出现了两次`, `column "${h}" is there twice`));
  });
  for (const c of opts.required) {
    if (!header.includes(c)) details.push(fieldError("/header", "required", `缺少必需的列 "${c}"`, `required column "${c}" is missing`));
  }
  if (details.length) {
    throw validationFailed(details, {
      "zh-CN": `CSV 表头应为：${opts.columns.join(",")}`,
      en: `The CSV header must use the columns: ${opts.columns.join(",")}`,
    });
  }
}

/** The rows of a CSV file after its header, checked as described above. */
export async function* readCsv(input: Readable, opts: CsvOptions): AsyncGenerator<CsvRow> {
  let bytes = 0;
  // pipeline() carries an error of any stage (too large, not UTF-8, a dropped connection) to the
  // parser, whose iteration below then throws it.
  const stages: NodeJS.ReadWriteStream[] = [
    ...(opts.maxBytes !== undefined ? [uploadLimit(opts.maxBytes)] : []),
    utf8Bytes((n) => (bytes = n)),
    parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true, max_record_size: 64 * 1024 }),
  ];
  const parser = pipeline([input, ...stages], () => {}) as unknown as AsyncIterable<{ record: string[]; info: { lines: number } }>;
  let header: string[] | null = null;
  try {
    for await (const { record, info } of parser) {
      if (!header) {
        header = record.map((h) => h.toLowerCase());
        checkHeader(header, opts);
        continue;
      }
      const values: Record<string, string> = {};
      for (let i = 0; i < header.length; i++) values[header[i]] = record[i] ?? "";
      const problem =
        record.length === header.length
          ? null
          : fieldError("", "columns", `应有 ${header.length} 列，实际 ${record.length} 列`, `expected ${header.length} columns, found ${record.length}`);
      yield { line: info.lines, bytes, values, problem };
    }
  } catch (err) {
    if (err instanceof PlatformError) throw err;
    const e = err as { code?: string; message?: string };
    if (typeof e.code === "string" && e.code.startsWith("CSV_")) {
      throw validationFailed([fieldError("", "csv", `CSV 格式错误，未导入任何数据：${e.message}`, `malformed CSV, nothing was imported: ${e.message}`)], {
        "zh-CN": `CSV 格式错误，未导入任何数据：${e.message}`,
        en: `Malformed CSV, nothing was imported: ${e.message}`,
      });
    }
    throw err;
  }
  if (!header) throw validationFailed([fieldError("/header", "required", "文件为空", "the file is empty")], { "zh-CN": "文件为空", en: "The file is empty" });
}
