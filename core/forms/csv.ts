import { pipeline, Transform, type Readable } from "node:stream";
import { CsvError, parse } from "csv-parse";
import { fieldError, PlatformError, validationFailed, type ErrorDetail, type Localized } from "../errors";
import { uploadLimit } from "../gateway/upload";
import { textProblem } from "../gateway/input";

/**
 * Reading a CSV file of rows to import (spreadsheets exported from the old systems): streaming,
 * so a 100,000-row file never sits in memory whole, with the line of every row for the report.
 *
 * What is refused whole, as VALIDATION_FAILED, is the file that cannot be read as intended:
 * not UTF-8 (rule `encoding`), empty or with unknown or missing columns (path `/header`),
 * malformed CSV (rule `csv`, with the line: a quote inside an unquoted field, a quote never
 * closed), a NUL character (rule `text`: PostgreSQL stores no NUL in text, and a text file has
 * none); past `maxBytes` it is PAYLOAD_TOO_LARGE. These errors come out of
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

/**
 * What each stage may hold ahead of the row being imported. Node 22 raised streams' default from
 * 16 KiB to 64 KiB, with which a file of a few hundred KiB was read whole before its first row was
 * written and the progress's `bytes` stood still; 16 KiB keeps it close to the rows.
 */
const READ_AHEAD = 16 * 1024;

/** Counts the bytes that pass and refuses the stream at the first byte sequence that is not UTF-8. */
function utf8Bytes(counted: (bytes: number) => void): Transform {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let bytes = 0;
  const refuse = () => validationFailed([fieldError("", "encoding", NOT_UTF8["zh-CN"], NOT_UTF8.en)], NOT_UTF8);
  return new Transform({
    highWaterMark: READ_AHEAD,
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

// What csv-parse's codes mean to someone who exported the file from a spreadsheet.
const CSV_PROBLEMS: Record<string, Localized> = {
  INVALID_OPENING_QUOTE: { "zh-CN": "未加引号的字段中出现了双引号（含双引号的字段应整体加双引号，其中的双引号写两遍）", en: 'a quote inside a field that is not quoted (quote the whole field and double the quotes inside it: "a ""b"" c")' },
  CSV_INVALID_CLOSING_QUOTE: { "zh-CN": "引号闭合后、逗号之前还有其他字符", en: "characters after a closing quote, before the comma" },
  CSV_QUOTE_NOT_CLOSED: { "zh-CN": "此行起的引号没有闭合", en: "a quote opened on or after this line is never closed" },
  CSV_MAX_RECORD_SIZE: { "zh-CN": "一行超过 64 KiB", en: "a line longer than 64 KiB" },
};

/** A file the parser cannot read: the whole file is refused, naming the line and what is wrong there. */
function malformed(err: CsvError, recordStart: number): PlatformError {
  // a quote never closed runs to the end of the file: where it opened is what the user must find
  const line = err.code === "CSV_QUOTE_NOT_CLOSED" ? recordStart : err.lines;
  const what = CSV_PROBLEMS[err.code] ?? { "zh-CN": err.message, en: err.message };
  const messages = {
    "zh-CN": `CSV 格式错误（第 ${line} 行：${what["zh-CN"]}），未导入任何数据`,
    en: `Malformed CSV (line ${line}: ${what.en}); nothing was imported`,
  };
  return validationFailed([{ ...fieldError("", "csv", messages["zh-CN"], messages.en), line }], messages);
}

/** The rows of a CSV file after its header, checked as described above. */
export async function* readCsv(input: Readable, opts: CsvOptions): AsyncGenerator<CsvRow> {
  let bytes = 0;
  // where the record being parsed began; set as the parser goes, which is ahead of the rows read
  let recordStart = 1;
  // pipeline() carries an error of any stage (too large, not UTF-8, a dropped connection) to the
  // parser, whose iteration below then throws it.
  const stages: NodeJS.ReadWriteStream[] = [
    ...(opts.maxBytes !== undefined ? [uploadLimit(opts.maxBytes)] : []),
    utf8Bytes((n) => (bytes = n)),
    parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true, max_record_size: 64 * 1024,
      on_record: (record: string[], context: { lines: number }) => ((recordStart = context.lines + 1), record) }),
  ];
  const parser = pipeline([input, ...stages], () => {}) as unknown as AsyncIterable<{ record: string[]; info: { lines: number } }>;
  let header: string[] | null = null;
  try {
    for await (const { record, info } of parser) {
      const bad = record.map((v) => textProblem("", v)).find((p) => p);
      if (bad) {
        const messages = { "zh-CN": `第 ${info.lines} 行${bad.message!["zh-CN"]}，未导入任何数据`, en: `Line ${info.lines} ${bad.message!.en}; nothing was imported` };
        throw validationFailed([{ ...fieldError("", "text", messages["zh-CN"], messages.en), line: info.lines }], messages);
      }
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
    if (err instanceof CsvError) throw malformed(err, recordStart);
    throw err;
  }
  if (!header) throw validationFailed([fieldError("/header", "required", "文件为空", "the file is empty")], { "zh-CN": "文件为空", en: "The file is empty" });
}
