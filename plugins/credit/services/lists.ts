import { randomUUID } from "node:crypto";
import readline from "node:readline";
import { Readable } from "node:stream";
import type { Knex } from "knex";
import {
  oneOfParam, actorOf, conflict, type ErrorDetail, type ExportColumn, exportFormatParam, exportLang, exportList, fieldError, forbidden, isDate, isUnifiedSocialCreditCode, isUuid,
  listPage, listParams, type ListOrder, type Localized, notFound, pageRows, type PlatformContext, type PlatformServiceSchema, platformNow, type PluginServiceThis, readCsv,
  type SearchColumn, type SessionUser, single, uploadLimit, validationFailed, whereContains, writeAudit,
} from "../../../core/sdk";

/**
 * External lists (失信被执行人, 重大税收违法失信主体, 政府采购严重违法失信行为记录) and the enterprise
 * registrations (法定代表人, 控股方) screening uses for related parties. The province's regulator imports
 * each from CSV or JSON with its provenance; an import is all or nothing, diffed against the one
 * before, and kept as a version that screening at a past cutoff still reads.
 */

export interface ListDecl {
  key: string;
  title: Localized;
  /** the rule it serves; a blacklist excludes, the registrations only flag */
  rule: "credit.blacklists" | "supplier.relatedParties";
  /** what the law publishes (the public credit page) */
  published: boolean;
  /** a listing that lasts until a date (a procurement ban): past it, the entry no longer excludes */
  hasUntil: boolean;
}

export const LISTS: ListDecl[] = [
  { key: "dishonest-debtors", title: { "zh-CN": "失信被执行人名单", en: "Dishonest judgment debtors" }, rule: "credit.blacklists", published: true, hasUntil: false },
  { key: "tax-violations", title: { "zh-CN": "重大税收违法失信主体名单", en: "Major tax violations" }, rule: "credit.blacklists", published: true, hasUntil: false },
  { key: "procurement-violations", title: { "zh-CN": "政府采购严重违法失信行为记录名单", en: "Serious violations in government procurement" }, rule: "credit.blacklists", published: true, hasUntil: true },
  { key: "enterprise-registrations", title: { "zh-CN": "企业登记信息（法定代表人、控股方）", en: "Enterprise registrations (legal representative, controller)" }, rule: "supplier.relatedParties", published: false, hasUntil: false },
];
export const LIST_BY_KEY = new Map(LISTS.map((l) => [l.key, l]));

/** The columns of a list file (CSV header, JSON keys in camelCase). */
const FIELDS = ["code", "name", "reason", "authority", "case_number", "listed_on", "until", "legal_representative", "controller"] as const;
type Field = (typeof FIELDS)[number];
const JSON_KEYS: Record<string, Field> = { code: "code", name: "name", reason: "reason", authority: "authority", caseNumber: "case_number", listedOn: "listed_on", until: "until", legalRepresentative: "legal_representative", controller: "controller" };

/** Rows staged per INSERT (one statement of arrays: the fastest way in without COPY). */
const BATCH = 5000;
/** How many malformed rows the report lists; the count is always whole. */
const REPORT_ROWS = 1000;
/** How often the job's progress row is written while a file streams in. */
const PROGRESS_MS = 300;
/** Largest list file accepted (a million entries of CSV is about 150 MB). */
const MAX_BYTES = Number(process.env.CREDIT_IMPORT_MAX_BYTES ?? 1024 * 1024 * 1024);
/** A JSON array is parsed whole, so it is kept smaller; JSON Lines streams like CSV. */
const MAX_JSON_ARRAY_BYTES = 64 * 1024 * 1024;
const SAMPLES = 50;

const pad = (n: number) => String(n).padStart(2, "0");
/** A `date` column as the day it names (node-postgres reads it as local midnight). */
export const day = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? `${v.getFullYear()}-${pad(v.getMonth() + 1)}-${pad(v.getDate())}` : String(v));

type Row = Record<Field, string>;
interface Read { line: number; bytes: number; row: Row | null; problem: ErrorDetail | null }

const NOTHING: Localized = { "zh-CN": "文件中有格式错误的行，未导入任何数据", en: "The file has malformed rows; nothing was imported" };

/** One row checked: a problem per field, at the row's line. */
function checkRow(list: ListDecl, row: Row, line: number): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  const at = (field: Field, rule: string, zh: string, en: string) => out.push({ ...fieldError(`/rows/${line}/${field}`, rule, `第 ${line} 行：${zh}`, `line ${line}: ${en}`), line });
  if (!isUnifiedSocialCreditCode(row.code)) at("code", "uscc", "不是有效的统一社会信用代码", "not a valid unified social credit code");
  if (!row.name) at("name", "required", "缺少名称", "the name is missing");
  else if (row.name.length > 200) at("name", "maxLength", "名称超过 200 字", "the name is longer than 200 characters");
  for (const f of ["reason", "authority", "case_number", "legal_representative"] as const) {
    if (row[f].length > 500) at(f, "maxLength", `${f} 超过 500 字`, `${f} is longer than 500 characters`);
  }
  if (list.rule === "credit.blacklists" && !row.reason) at("reason", "required", "缺少列入事由", "the reason for listing is missing");
  if (list.rule === "supplier.relatedParties" && !row.legal_representative && !row.controller) at("legal_representative", "required", "应有法定代表人或控股方", "a legal representative or a controller is needed");
  for (const f of ["listed_on", "until"] as const) if (row[f] && !isDate(row[f])) at(f, "date", "日期格式应为 YYYY-MM-DD", "dates are YYYY-MM-DD");
  if (row.until && !list.hasUntil) at("until", "not-allowed", "该名单没有期限", "this list has no end dates");
  if (row.until && row.listed_on && isDate(row.until) && isDate(row.listed_on) && row.until < row.listed_on) at("until", "order", "截止日期早于列入日期", "ends before it begins");
  if (row.controller && !isUnifiedSocialCreditCode(row.controller)) at("controller", "uscc", "控股方不是有效的统一社会信用代码", "the controller is not a valid unified social credit code");
  return out;
}

const emptyRow = (): Row => Object.fromEntries(FIELDS.map((f) => [f, ""])) as Row;

async function* csvRows(input: Readable): AsyncGenerator<Read> {
  for await (const r of readCsv(input, { columns: FIELDS, required: ["code", "name"], maxBytes: MAX_BYTES })) {
    const row = emptyRow();
    for (const f of FIELDS) row[f] = r.values[f] ?? "";
    row.code = row.code.toUpperCase();
    yield { line: r.line, bytes: r.bytes, row: r.problem ? null : row, problem: r.problem ? { ...r.problem, path: `/rows/${r.line}`, line: r.line } : null };
  }
}

function jsonRow(value: unknown, line: number): Read & { bytes: 0 } {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    return { line, bytes: 0, row: null, problem: { ...fieldError(`/rows/${line}`, "type", `第 ${line} 行：应为一个对象`, `line ${line}: must be an object`), line } };
  }
  const row = emptyRow();
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const f = JSON_KEYS[k];
    if (!f) return { line, bytes: 0, row: null, problem: { ...fieldError(`/rows/${line}/${k}`, "column", `第 ${line} 行：未知字段 "${k}"`, `line ${line}: unknown field "${k}"`), line } };
    if (v !== null && v !== undefined && typeof v !== "string") return { line, bytes: 0, row: null, problem: { ...fieldError(`/rows/${line}/${k}`, "type", `第 ${line} 行：${k} 应为文本`, `line ${line}: ${k} must be text`), line } };
    row[f] = typeof v === "string" ? v.trim() : "";
  }
  row.code = row.code.toUpperCase();
  return { line, bytes: 0, row, problem: null };
}

/** JSON: an array of objects (parsed whole, up to 64 MiB) or JSON Lines (one object a line, streamed). */
async function* jsonRows(input: Readable): AsyncGenerator<Read> {
  let bytes = 0;
  const limited = input.pipe(uploadLimit(MAX_BYTES));
  input.on("error", (e) => limited.destroy(e));
  const lines = readline.createInterface({ input: limited, crlfDelay: Infinity });
  let n = 0;
  let array: string[] | null = null;
  for await (const text of lines) {
    n++;
    bytes += Buffer.byteLength(text) + 1;
    if (array) {
      array.push(text);
      if (bytes > MAX_JSON_ARRAY_BYTES) throw validationFailed([fieldError("", "size", "JSON 数组文件过大，请改用 JSON Lines（每行一个对象）", "A JSON array this large: send JSON Lines (one object a line) instead")]);
      continue;
    }
    const trimmed = text.trim();
    if (!trimmed) continue;
    if (n === 1 && trimmed.replace(/^\uFEFF/, "").startsWith("[")) {
      array = [text.replace(/^\uFEFF/, "")];
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(trimmed.replace(/^\uFEFF/, ""));
    } catch {
      yield { line: n, bytes, row: null, problem: { ...fieldError(`/rows/${n}`, "json", `第 ${n} 行不是有效的 JSON`, `line ${n} is not valid JSON`), line: n } };
      continue;
    }
    yield { ...jsonRow(value, n), bytes };
  }
  if (array) {
    let values: unknown;
    try {
      values = JSON.parse(array.join("\n"));
    } catch (err) {
      throw validationFailed([fieldError("", "json", `JSON 格式错误：${(err as Error).message}，未导入任何数据`, `Malformed JSON: ${(err as Error).message}; nothing was imported`)], NOTHING);
    }
    if (!Array.isArray(values)) throw validationFailed([fieldError("", "json", "应为对象数组", "must be an array of objects")], NOTHING);
    // in an array, a row's "line" is its position (1-based)
    for (const [i, v] of values.entries()) yield { ...jsonRow(v, i + 1), bytes };
  }
}

type This = Service & PluginServiceThis;
type Service = import("moleculer").Service;

interface Job {
  id: string;
  list: string;
  version: string;
  source: string;
  fetched_at: Date;
  format: "csv" | "json";
  status: "waiting" | "reading" | "refused" | "done" | "failed";
  bytes_total: string | null;
  bytes_read: string;
  rows_read: number;
  problem_count: number;
  problems: ErrorDetail[] | null;
  result: Record<string, unknown> | null;
  created_by: string | null;
  created_by_name: string;
  created_at: Date;
  finished_at: Date | null;
}

const jobView = (j: Job) => ({
  id: j.id, list: j.list, listTitle: LIST_BY_KEY.get(j.list)?.title ?? null, version: j.version, source: j.source, fetchedAt: new Date(j.fetched_at).toISOString(), format: j.format,
  status: j.status, bytesTotal: j.bytes_total === null ? null : Number(j.bytes_total), bytesRead: Number(j.bytes_read), rowsRead: j.rows_read,
  // the share read, for the progress bar; null when the size was not given
  progress: j.status === "done" ? 1 : j.bytes_total ? Math.min(1, Number(j.bytes_read) / Number(j.bytes_total)) : null,
  problemCount: j.problem_count, problems: j.problems ?? [], result: j.result, createdBy: j.created_by_name, createdAt: new Date(j.created_at).toISOString(),
  finishedAt: j.finished_at ? new Date(j.finished_at).toISOString() : null,
});

export interface ImportResult {
  list: string;
  seq: number;
  version: string;
  entries: number;
  added: number;
  removed: number;
  changed: number;
  samples: { added: string[]; removed: string[]; changed: string[] };
}

/**
 * Reads the file into a staging table inside one transaction, checks every row (all malformed rows
 * reported, nothing kept if any), then diffs it against the list's current entries and applies the
 * difference as a new version. Progress goes to the job row from outside the transaction.
 */
export async function importList(
  db: Knex, job: Job, input: Readable, user: SessionUser, onProgress: (bytes: number, rows: number) => Promise<void>,
  /** where the time goes, phase by phase (the bench prints it) */
  onPhase: (phase: string, ms: number) => void = () => {},
): Promise<ImportResult> {
  const list = LIST_BY_KEY.get(job.list)!;
  const rows = job.format === "csv" ? csvRows(input) : jsonRows(input);
  const problems: ErrorDetail[] = [];
  let problemCount = 0;
  let read = 0;
  let lastProgress = Date.now();
  let phaseStart = Date.now();
  const phase = (name: string) => {
    const now = Date.now();
    onPhase(name, now - phaseStart);
    phaseStart = now;
  };
  return db.transaction(async (trx) => {
    // the diff's joins and the index builds of a million rows want more than the defaults
    await trx.raw("set local work_mem = '128MB'");
    await trx.raw("set local maintenance_work_mem = '256MB'");
    // one import of a list at a time: the diff is against what the last one left
    await trx.raw("select pg_advisory_xact_lock(hashtextextended(?, 0))", [`credit.list|${list.key}`]);
    const last = await trx("credit_lists").where({ list: list.key }).max<{ seq: number | null }[]>("seq as seq");
    const seq = (last[0]?.seq ?? 0) + 1;
    // A list with no current entry (its first import) has nothing to diff against: its rows go
    // straight into the entries, as this version's, which nobody sees before the commit. Otherwise
    // they are staged, and the difference alone is applied.
    const fresh = !(await trx("credit_list_entries").where({ list: list.key }).whereNull("valid_to").first("code"));
    await trx.raw(`create temp table credit_stage (line int, code text, name text, reason text, authority text, case_number text, listed_on date, until date,
      legal_representative text, controller text, row_hash text) on commit drop`);
    // every field, NULL as empty, so that a value moving between two fields still changes the hash
    const hash = (p: string) => `md5(concat_ws('|', ${["name", "reason", "authority", "case_number", "listed_on", "until", "legal_representative", "controller"].map((f) => `coalesce(${p}${f}::text, '')`).join(", ")}))`;
    const cols: unknown[][] = FIELDS.map(() => []);
    const lines: number[] = [];
    // one batch in the database while the next is parsed: the two cores both work
    let inFlight: Promise<unknown> = Promise.resolve();
    const flush = async () => {
      if (!lines.length) return;
      // empty cells are NULL (an empty date is no date)
      const params = [lines.splice(0), ...cols.map((c) => c.splice(0).map((v) => v || null))];
      await inFlight;
      // a knex query runs each time it is awaited: made a promise once, it runs once
      const batch = `unnest(?::int[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::date[], ?::date[], ?::text[], ?::text[])
           as u(line, code, name, reason, authority, case_number, listed_on, until, legal_representative, controller)`;
      inFlight = Promise.resolve(fresh
        ? trx.raw(
          `insert into credit_list_entries (list, code, name, reason, authority, case_number, listed_on, until, legal_representative, controller, row_hash, valid_from)
           select ?, u.code, u.name, u.reason, u.authority, u.case_number, u.listed_on, u.until, u.legal_representative, u.controller, ${hash("u.")}, ? from ${batch}`,
          [list.key, seq, ...params],
        )
        : trx.raw(`insert into credit_stage select u.*, ${hash("u.")} from ${batch}`, params));
      // a failed batch fails the import when it is awaited; until then it must not be an unhandled rejection
      inFlight.catch(() => {});
    };
    // each code's first line: a code twice in a file is a malformed row
    const seen = new Map<string, number>();
    for await (const r of rows) {
      read++;
      const found = r.problem ? [r.problem] : checkRow(list, r.row!, r.line);
      if (!found.length) {
        const first = seen.get(r.row!.code);
        if (first === undefined) seen.set(r.row!.code, r.line);
        else found.push({ ...fieldError(`/rows/${r.line}/code`, "unique", `第 ${first}、${r.line} 行：统一社会信用代码 ${r.row!.code} 重复`, `lines ${first}, ${r.line}: credit code ${r.row!.code} appears twice`), line: r.line });
      }
      if (found.length) {
        problemCount += found.length;
        for (const p of found) if (problems.length < REPORT_ROWS) problems.push(p);
      } else if (!problemCount) {
        // once a row is bad nothing will be kept: the rest is only checked
        lines.push(r.line);
        FIELDS.forEach((f, i) => cols[i].push(r.row![f]));
        if (lines.length >= BATCH) await flush();
      }
      if (Date.now() - lastProgress >= PROGRESS_MS) {
        lastProgress = Date.now();
        await onProgress(r.bytes, read);
      }
    }
    await onProgress(Number.MAX_SAFE_INTEGER, read);
    if (!problemCount) await flush();
    await inFlight;
    phase("read, check and stage");
    if (!problemCount && !read) problems.push(fieldError("", "empty", "文件中没有数据行", "the file has no rows")), (problemCount = 1);
    if (problemCount) {
      const messages = { "zh-CN": `${NOTHING["zh-CN"]}（共 ${problemCount} 处错误）`, en: `${NOTHING.en} (${problemCount} problems)` };
      throw Object.assign(validationFailed(problems.slice(0, 100), messages), { report: { problems, problemCount, rowsRead: read } });
    }
    seen.clear();
    const result: ImportResult = fresh
      ? { list: list.key, seq, version: job.version, entries: read, added: read, removed: 0, changed: 0, samples: { added: await firstCodes(trx, list.key, seq), removed: [], changed: [] } }
      : await applyDiff(trx, list.key, seq, job.version, read, phase);
    if (fresh) phase("apply");
    const now = platformNow();
    await trx("credit_lists").insert({
      list: list.key, seq, version: job.version, source: job.source, fetched_at: job.fetched_at, imported_at: now, job_id: job.id, entries: read,
      added: result.added, removed: result.removed, changed: result.changed, samples: JSON.stringify(result.samples), imported_by: user.username,
    });
    await trx("credit_import_jobs").where({ id: job.id }).update({ status: "done", rows_read: read, result: JSON.stringify(result), finished_at: now });
    await writeAudit(trx, { actor: actorOf(user), tenantCode: user.tenantCode, action: "credit.list.import", object: `${list.key}/${seq}`, after: { version: job.version, source: job.source, added: result.added, removed: result.removed, changed: result.changed } });
    return result;
  });
}

/** Each code of a list's current entries against the staged rows: added, removed, changed (by the row's hash), applied as version `seq`. */
async function applyDiff(trx: Knex.Transaction, list: string, seq: number, version: string, read: number, phase: (name: string) => void): Promise<ImportResult> {
  await trx.raw("create index on credit_stage (code)");
  await trx.raw("analyze credit_stage");
  // a first import of a million rows is not in the statistics until autovacuum comes by: without them
  // the planner walks the index once per staged row instead of hashing both sides
  await trx.raw("analyze credit_list_entries");
  phase("index the staged rows");
  await trx.raw("create temp table credit_diff (code text, kind text) on commit drop");
  await trx.raw(
    `insert into credit_diff select s.code, case when e.code is null then 'added' else 'changed' end from credit_stage s
       left join credit_list_entries e on e.list = ? and e.valid_to is null and e.code = s.code
      where e.code is null or e.row_hash <> s.row_hash`,
    [list],
  );
  await trx.raw(
    `insert into credit_diff select e.code, 'removed' from credit_list_entries e
      where e.list = ? and e.valid_to is null and not exists (select 1 from credit_stage s where s.code = e.code)`,
    [list],
  );
  phase("diff");
  await trx.raw(
    `update credit_list_entries e set valid_to = ? from credit_diff d
      where d.kind in ('removed', 'changed') and e.list = ? and e.valid_to is null and e.code = d.code`,
    [seq, list],
  );
  await trx.raw(
    `insert into credit_list_entries (list, code, name, reason, authority, case_number, listed_on, until, legal_representative, controller, row_hash, valid_from)
     select ?, s.code, s.name, s.reason, s.authority, s.case_number, s.listed_on, s.until, s.legal_representative, s.controller, s.row_hash, ?
       from credit_stage s join credit_diff d on d.code = s.code and d.kind in ('added', 'changed')`,
    [list, seq],
  );
  phase("apply");
  const counts = await trx.raw(`select kind, count(*)::int as n, (array_agg(code order by code))[1:${SAMPLES}] as sample from credit_diff group by kind`);
  const kinds = Object.fromEntries((counts.rows as Array<{ kind: string; n: number; sample: string[] }>).map((c) => [c.kind, c]));
  return {
    list, seq, version, entries: read,
    added: kinds.added?.n ?? 0, removed: kinds.removed?.n ?? 0, changed: kinds.changed?.n ?? 0,
    samples: { added: kinds.added?.sample ?? [], removed: kinds.removed?.sample ?? [], changed: kinds.changed?.sample ?? [] },
  };
}

/** The first codes of a version, for the diff's samples. */
async function firstCodes(trx: Knex.Transaction, list: string, seq: number): Promise<string[]> {
  const rows: Array<{ code: string }> = await trx("credit_list_entries").where({ list, valid_from: seq }).orderBy("code").limit(SAMPLES).select("code");
  return rows.map((r) => r.code);
}

const isAdmin = (ctx: PlatformContext) => ctx.meta.user!.roles.includes("platform-admin") || (ctx.meta.user!.roles.includes("regulator") && ctx.meta.user!.tenantCode === "440000");

/** The file (or rows) of an import job: read, checked, applied; the job row follows. */
async function receive(svc: This, ctx: PlatformContext<{ id: string }>, input: Readable, format?: "json"): Promise<unknown> {
  const user = ctx.meta.user!;
  const job = isUuid(ctx.params.id) ? await svc.db<Job>("credit_import_jobs").where({ id: ctx.params.id }).first() : undefined;
  if (!job || !isAdmin(ctx)) {
    input.resume();
    throw notFound({ "zh-CN": "导入任务", en: "import job" });
  }
  const claimed = await svc.db("credit_import_jobs").where({ id: job.id, status: "waiting" }).update({ status: "reading" });
  if (!claimed) {
    input.resume();
    throw conflict({ "zh-CN": "该导入任务已收到文件", en: "This import job has its file already" }, { rule: "once", status: job.status });
  }
  const progress = (bytes: number, rows: number) =>
    svc.db("credit_import_jobs").where({ id: job.id }).update({ bytes_read: bytes === Number.MAX_SAFE_INTEGER ? svc.db.raw("coalesce(bytes_total, bytes_read)") : bytes, rows_read: rows }).then(() => undefined);
  try {
    const result = await importList(svc.db, format ? { ...job, format } : job, input, user, progress);
    return { ...jobView((await svc.db<Job>("credit_import_jobs").where({ id: job.id }).first())!), result };
  } catch (err) {
    const report = (err as { report?: { problems: ErrorDetail[]; problemCount: number; rowsRead: number } }).report;
    const details = (err as { details?: ErrorDetail[] }).details;
    const refused = report || (err as { code?: string; type?: string }).type === "VALIDATION_FAILED";
    await svc.db("credit_import_jobs").where({ id: job.id }).update({
      status: refused ? "refused" : "failed", finished_at: platformNow(),
      problems: JSON.stringify(report?.problems ?? details ?? []), problem_count: report?.problemCount ?? details?.length ?? 1, ...(report ? { rows_read: report.rowsRead } : {}),
    });
    await svc.db.transaction((trx) => writeAudit(trx, { actor: actorOf(user), tenantCode: user.tenantCode, action: "credit.list.refuse", object: job.id, after: { list: job.list, version: job.version, problems: report?.problemCount ?? 1 } }));
    throw err;
  }
}


/** The lists the law publishes (the public credit page); the enterprise registrations are not among them. */
const PUBLISHED = LISTS.filter((l) => l.published).map((l) => l.key);

/**
 * The public page's entries, newest listing first (undated last), then by list and code
 * (credit_list_entries_recent). A day is its number since 1970 here: core's cursors carry integers,
 * and an undated entry is -1, last in this order.
 */
export const ENTRY_ORDER: ListOrder = {
  name: "credit.public.entries",
  keys: [
    { column: "coalesce(listed_on - date '1970-01-01', -1)", kind: "integer" },
    { column: "list", kind: "text" },
    { column: "code", kind: "text" },
    { column: "valid_from", kind: "integer" },
  ],
  direction: "desc",
};
/** The published penalties, the latest decision first (credit_facts_penalties_recent). */
const PENALTY_ORDER: ListOrder = {
  name: "credit.public.penalties",
  keys: [
    { column: "(occurred_on - date '1970-01-01')", kind: "integer" },
    { column: "id", kind: "uuid" },
  ],
  direction: "desc",
};
/**
 * `q`: the credit code and the name (a penalty's title too), normalised (migration 20261208100000_public_search);
 * the entries' column has no GIN index (it would slow a million-row import eightfold), the penalties' has both.
 */
const ENTRY_SEARCH: SearchColumn = { column: "search", bigrams: "credit_bigrams(search)" };
const PENALTY_SEARCH: SearchColumn = { column: "search", bigrams: "credit_bigrams(search)", trigram: true };
const PAGE = { pageSize: 50, maxPageSize: 200 };

interface PublicParams { q?: unknown; list?: unknown; kind?: unknown; page?: unknown; pageSize?: unknown; cursor?: unknown; format?: unknown; lang?: unknown }


/** The current entries of the published lists (or of `list`), searched: the list, its export and the page's first view read these. */
export function filteredEntries(db: Knex, params: PublicParams, problems: ErrorDetail[] = [], list = oneOfParam("list", params.list, PUBLISHED, problems)) {
  const req = listParams(params, ENTRY_ORDER, PAGE, problems);
  const query = db("credit_list_entries").whereIn("list", list ? [list] : PUBLISHED).whereNull("valid_to");
  whereContains(query, ENTRY_SEARCH, req.terms);
  return { query, req };
}

/** The penalties regulators published and no appeal overturned, searched. */
function filteredPenalties(db: Knex, params: PublicParams, problems: ErrorDetail[] = []) {
  const req = listParams(params, PENALTY_ORDER, PAGE, problems);
  const query = db("credit_facts").where({ published: true, kind: "penalty" }).whereNot({ appeal_state: "overturned" });
  whereContains(query, PENALTY_SEARCH, req.terms);
  return { query, req };
}

type Rec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const entryView = (e: Rec) => ({ list: e.list, listTitle: LIST_BY_KEY.get(e.list)!.title, code: e.code, name: e.name, reason: e.reason, authority: e.authority, caseNumber: e.case_number, listedOn: day(e.listed_on), until: day(e.until) });
const penaltyView = (f: Rec) => ({ id: f.id, code: f.subject_code, name: f.subject_name, title: { "zh-CN": f.title_zh, en: f.title_en }, reference: f.reference, occurredOn: day(f.occurred_on), startsOn: day(f.starts_on), endsOn: day(f.ends_on), appealState: f.appeal_state, source: f.source });

function entryColumns(lang: "zh-CN" | "en"): ExportColumn<ReturnType<typeof entryView>>[] {
  return [
    { title: { "zh-CN": "名称", en: "Name" }, value: (e) => e.name, width: 32 },
    { title: { "zh-CN": "统一社会信用代码", en: "Credit code" }, value: (e) => e.code, width: 22 },
    { title: { "zh-CN": "名单", en: "List" }, value: (e) => e.listTitle[lang], width: 28 },
    { title: { "zh-CN": "列入事由", en: "Reason" }, value: (e) => e.reason, width: 36 },
    { title: { "zh-CN": "认定机关", en: "Authority" }, value: (e) => e.authority, width: 24 },
    { title: { "zh-CN": "文书编号", en: "Case number" }, value: (e) => e.caseNumber, width: 22 },
    { title: { "zh-CN": "列入日期", en: "Listed on" }, value: (e) => e.listedOn, width: 12 },
    { title: { "zh-CN": "截止日期", en: "Until" }, value: (e) => e.until, width: 12 },
  ];
}

function penaltyColumns(lang: "zh-CN" | "en"): ExportColumn<ReturnType<typeof penaltyView>>[] {
  return [
    { title: { "zh-CN": "名称", en: "Name" }, value: (p) => p.name, width: 32 },
    { title: { "zh-CN": "统一社会信用代码", en: "Credit code" }, value: (p) => p.code, width: 22 },
    { title: { "zh-CN": "处罚", en: "Penalty" }, value: (p) => p.title[lang], width: 40 },
    { title: { "zh-CN": "决定文号", en: "Reference" }, value: (p) => p.reference, width: 22 },
    { title: { "zh-CN": "决定日期", en: "Decided on" }, value: (p) => p.occurredOn, width: 12 },
    { title: { "zh-CN": "起始日期", en: "From" }, value: (p) => p.startsOn, width: 12 },
    { title: { "zh-CN": "截止日期", en: "Until" }, value: (p) => p.endsOn, width: 12 },
  ];
}

export const listsService: PlatformServiceSchema = {
  name: "credit.lists",
  actions: {
    /** GET /api/credit/lists: each list, its current version and its imports, newest first. */
    list: {
      kind: "read",
      permission: ["read", "CreditList"],
      rest: "GET /lists",
      async handler(this: This) {
        const versions = await this.db("credit_lists").orderBy([{ column: "list" }, { column: "seq", order: "desc" }]);
        return {
          lists: LISTS.map((l) => ({
            key: l.key, title: l.title, rule: l.rule, published: l.published,
            versions: versions.filter((v) => v.list === l.key).map((v) => ({
              seq: v.seq, version: v.version, source: v.source, fetchedAt: new Date(v.fetched_at).toISOString(), importedAt: new Date(v.imported_at).toISOString(),
              entries: v.entries, added: v.added, removed: v.removed, changed: v.changed, samples: v.samples, importedBy: v.imported_by,
            })),
          })),
        };
      },
    },

    /**
     * POST /api/credit/imports `{ list, source, fetchedAt, version, format, bytes? }`: an import job,
     * for the province's regulator (or a platform administrator); the file follows on PUT .../file.
     */
    create: {
      kind: "create",
      permission: ["import", "CreditList"],
      rest: "POST /imports",
      params: { list: { type: "any", optional: true }, source: { type: "any", optional: true }, fetchedAt: { type: "any", optional: true }, version: { type: "any", optional: true }, format: { type: "any", optional: true }, bytes: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<Record<string, unknown>>) {
        if (!isAdmin(ctx)) throw forbidden();
        const p = ctx.params;
        const problems: ErrorDetail[] = [];
        const text = (v: unknown) => (typeof v === "string" ? v.trim() : "");
        if (!LIST_BY_KEY.has(text(p.list))) problems.push(fieldError("/list", "enum", `名单应为 ${LISTS.map((l) => l.key).join("、")} 之一`, `the list is one of ${LISTS.map((l) => l.key).join(", ")}`));
        if (!text(p.source) || text(p.source).length > 500) problems.push(fieldError("/source", "required", "请填写数据来源（如 信用中国 的网址）", "State the source (e.g. Credit China's address)"));
        const fetchedAt = new Date(text(p.fetchedAt));
        if (!text(p.fetchedAt) || Number.isNaN(fetchedAt.getTime())) problems.push(fieldError("/fetchedAt", "date-time", "请填写获取时间", "State when it was fetched"));
        else if (fetchedAt > platformNow()) problems.push(fieldError("/fetchedAt", "past", "获取时间不能晚于现在", "It cannot have been fetched in the future"));
        if (!text(p.version) || text(p.version).length > 100) problems.push(fieldError("/version", "required", "请填写版本号（数据源的批次或日期）", "State the version (the source's batch or date)"));
        const format = text(p.format) || "csv";
        if (format !== "csv" && format !== "json") problems.push(fieldError("/format", "enum", "格式应为 csv 或 json", "the format is csv or json"));
        const bytes = p.bytes === undefined || p.bytes === null ? null : Number(p.bytes);
        if (bytes !== null && !(Number.isInteger(bytes) && bytes > 0)) problems.push(fieldError("/bytes", "integer", "文件大小应为正整数（字节）", "the size is a positive number of bytes"));
        if (problems.length) throw validationFailed(problems);
        const done = await this.db("credit_lists").where({ list: text(p.list), version: text(p.version) }).first();
        if (done) throw conflict({ "zh-CN": `${text(p.list)} 的版本 ${text(p.version)} 已于 ${new Date(done.imported_at).toISOString()} 导入`, en: `Version ${text(p.version)} of ${text(p.list)} was imported at ${new Date(done.imported_at).toISOString()}` }, { rule: "version-unique" });
        const user = ctx.meta.user!;
        const id = randomUUID();
        await this.db("credit_import_jobs").insert({
          id, list: text(p.list), version: text(p.version), source: text(p.source), fetched_at: fetchedAt, format, status: "waiting", bytes_total: bytes,
          created_by: isUuid(user.id) ? user.id : null, created_by_name: user.username, created_at: platformNow(),
        });
        ctx.meta.$statusCode = 201;
        return jobView((await this.db<Job>("credit_import_jobs").where({ id }).first())!);
      },
    },

    /** PUT /api/credit/imports/:id/file: the list file, streamed; answers the diff, or the malformed rows (nothing imported). */
    upload: {
      kind: "continue",
      permission: ["import", "CreditList"],
      rest: "PUT /imports/:id/file",
      stream: true,
      params: { id: "string" },
      handler(this: This, ctx: PlatformContext<{ id: string }>) {
        return receive(this, ctx, ctx.stream as Readable);
      },
    },

    /**
     * PUT /api/credit/imports/:id/rows `{ rows: [...] }`: a small list (up to 10,000 entries) as JSON
     * in the body, for integrations and the demo; checked and applied exactly as a file.
     */
    rows: {
      kind: "continue",
      permission: ["import", "CreditList"],
      rest: "PUT /imports/:id/rows",
      params: { id: "string", rows: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ id: string; rows?: unknown }>) {
        const rows = ctx.params.rows;
        if (!Array.isArray(rows) || rows.length > 10_000) throw validationFailed([fieldError("/rows", "type", "rows 应为不超过 10000 个对象的数组；更大的名单请上传文件", "rows is an array of at most 10,000 objects; upload a file for a larger list")]);
        // the same path as an uploaded file of JSON Lines: one object a line
        return receive(this, ctx, Readable.from([rows.map((r) => JSON.stringify(r)).join("\n")]), "json");
      },
    },

    /** GET /api/credit/imports/:id: the job's progress (bytes and rows read), then its diff or its report. */
    job: {
      kind: "read",
      permission: ["read", "CreditList"],
      rest: "GET /imports/:id",
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const job = isUuid(ctx.params.id) ? await this.db<Job>("credit_import_jobs").where({ id: ctx.params.id }).first() : undefined;
        if (!job) throw notFound({ "zh-CN": "导入任务", en: "import job" });
        return jobView(job);
      },
    },

    /**
     * GET /api/credit/public?q=&kind=: what the law publishes, searchable by name or credit code: the
     * first page of the current entries of the published lists and of the penalties regulators
     * published (kind: one list, or "penalty"), with their totals; the pages beyond are at
     * GET /public/entries and /public/penalties.
     */
    public: {
      kind: "read",
      permission: "public",
      rest: "GET /public",
      async handler(this: This, ctx: PlatformContext<PublicParams>) {
        const problems: ErrorDetail[] = [];
        const kind = oneOfParam("kind", ctx.params.kind, [...PUBLISHED, "penalty"], problems);
        const params = { q: ctx.params.q };
        const entries = filteredEntries(this.db, params, problems, kind === "penalty" ? undefined : kind);
        const penalties = filteredPenalties(this.db, params);
        const first = { page: 1, pageSize: PAGE.pageSize };
        const [e, p] = await Promise.all([
          kind === "penalty" ? null : pageRows<Rec>(this.db, entries.query, ENTRY_ORDER, first),
          !kind || kind === "penalty" ? pageRows<Rec>(this.db, penalties.query, PENALTY_ORDER, first) : null,
        ]);
        return {
          q: (single(ctx.params.q) ?? "").trim(),
          lists: LISTS.filter((l) => l.published).map((l) => ({ key: l.key, title: l.title })),
          entries: (e?.rows ?? []).map(entryView),
          penalties: (p?.rows ?? []).map(penaltyView),
        };
      },
    },

    /** GET /api/credit/public/entries?q=&list=&page=&pageSize=&cursor=: the published lists' current entries, page by page. */
    publicEntries: {
      kind: "read",
      permission: "public",
      rest: "GET /public/entries",
      async handler(this: This, ctx: PlatformContext<PublicParams>) {
        const { query, req } = filteredEntries(this.db, ctx.params);
        const { rows, nextCursor, total, totalIsEstimate } = await listPage<Rec>(this.db, query, ENTRY_ORDER, req);
        return { items: rows.map(entryView), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
      },
    },

    /** GET /api/credit/public/entries/export?format=csv|xlsx&lang=: the same entries with the same filters, as a file. */
    publicEntriesExport: {
      kind: "read",
      permission: "public",
      rest: "GET /public/entries/export",
      async handler(this: This, ctx: PlatformContext<PublicParams>) {
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const { query } = filteredEntries(this.db, ctx.params, problems);
        const lang = exportLang(ctx.params.lang);
        return exportList<Rec>(ctx, {
          db: this.db, query, order: ENTRY_ORDER, format, lang,
          columns: entryColumns(lang).map((c) => ({ ...c, value: (row: Rec) => c.value(entryView(row)) })),
          filename: lang === "en" ? "credit-lists" : "信用名单",
          sheet: { "zh-CN": "信用名单", en: "Credit lists" },
        });
      },
    },

    /** GET /api/credit/public/penalties?q=&page=&pageSize=&cursor=: the published penalties, page by page. */
    publicPenalties: {
      kind: "read",
      permission: "public",
      rest: "GET /public/penalties",
      async handler(this: This, ctx: PlatformContext<PublicParams>) {
        const { query, req } = filteredPenalties(this.db, ctx.params);
        const { rows, nextCursor, total, totalIsEstimate } = await listPage<Rec>(this.db, query, PENALTY_ORDER, req);
        return { items: rows.map(penaltyView), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
      },
    },

    /** GET /api/credit/public/penalties/export?format=csv|xlsx&lang=: the same penalties with the same search, as a file. */
    publicPenaltiesExport: {
      kind: "read",
      permission: "public",
      rest: "GET /public/penalties/export",
      async handler(this: This, ctx: PlatformContext<PublicParams>) {
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const { query } = filteredPenalties(this.db, ctx.params, problems);
        const lang = exportLang(ctx.params.lang);
        return exportList<Rec>(ctx, {
          db: this.db, query, order: PENALTY_ORDER, format, lang,
          columns: penaltyColumns(lang).map((c) => ({ ...c, value: (row: Rec) => c.value(penaltyView(row)) })),
          filename: lang === "en" ? "credit-penalties" : "行政处罚",
          sheet: { "zh-CN": "行政处罚", en: "Penalties" },
        });
      },
    },
  },
};
