import type { Knex } from "knex";
import type { QueryBuilder as ObjectionQuery } from "objection";
import { fieldError, validationFailed, type ErrorDetail } from "../errors";
import { isUuid } from "../db";
import { MAX_PAGE, single, wholeParam } from "./query";

/**
 * One way for every searchable list (portal notices, registries, projects, later subsystems) to
 * read its query string, search Chinese text by substring, page by keyset and count:
 *
 * - `listParams`: `page`, `pageSize`, `cursor` and `q`, checked together (400 naming each bad one);
 * - `whereContains`: every search term as an exact substring of a normalised text column, served
 *   by a GIN index of the column's two-character pieces (`bigramsSql`) and, for runs of three
 *   letters or digits, by pg_trgm when the column has that index too;
 * - `pageRows`: a page in the list's order, after a cursor (keyset: page 10,000 costs what page 1
 *   costs) or at an OFFSET (`page`, kept for the web app's pager), with the next page's cursor;
 *   with `mergeBy`, a list kept to several values of one column (a tenant and those below it) is
 *   read value by value along a (column, keys…) index and merged;
 * - `countUpTo`: exact totals up to 10,000, PostgreSQL's estimate beyond, and says which (a list's
 *   count that the plan expects in thousands gives way to the estimate too when its plan is costly
 *   or it takes more than COUNT_WITHIN_MS);
 * - `listPage`: both, and with `words` (a list's search given apart from its other filters) the
 *   words of a frequent search tested on the rows the other filters' indexes lead to, never through
 *   the bitmap of all their matches in the pair index.
 */

/** Exact totals stop here: counting a million matches costs more than finding a page of them. */
export const EXACT_TOTAL_LIMIT = 10_000;

const MAX_QUERY_CHARS = 100;
const MAX_TERMS = 5;
const MAX_CURSOR_CHARS = 1000;

/** What a sort column holds, so that a cursor's values are checked before they reach SQL. */
/** `bigint`: a bigint column, which the driver hands back as a string of digits (its full range, not a JavaScript number's) */
export type KeyKind = "timestamp" | "uuid" | "text" | "integer" | "bigint";

export interface SortKey {
  /** the column (or qualified column) the list orders by */
  column: string;
  kind: KeyKind;
  /** whether the column may be null (nulls sort last in either direction) */
  nullable?: boolean;
}

/**
 * A list's order: its keys, the last one unique (an id) so that the order is total, all in one
 * direction so that a row comparison `(a, b) < (x, y)` walks one index.
 */
export interface ListOrder {
  /** names the list inside its cursors: a cursor of another list is refused */
  name: string;
  keys: SortKey[];
  direction: "asc" | "desc";
}

export interface ListParamsInput {
  page?: unknown;
  pageSize?: unknown;
  cursor?: unknown;
  q?: unknown;
}

export interface ListRequest {
  page: number;
  pageSize: number;
  /** the last row of the previous page, by the order's keys (decoded and checked) */
  after?: unknown[];
  /** search terms, normalised (see searchTerms) */
  terms: string[];
}

/**
 * The search text as terms a row must all contain: NFKC (full-width letters, digits and spaces as
 * ASCII), lowercased as the stored search columns are, split on spaces and control characters.
 */
export function searchTerms(q: string): string[] {
  return [...new Set(q.normalize("NFKC").toLowerCase().split(/[\s\p{Cc}]+/u).filter(Boolean))];
}

/** Checks `q` into `terms`, adding a problem at `/q` when it is not one string, too long or too many words. */
export function termsParam(raw: unknown, problems: ErrorDetail[]): string[] {
  const q = single(raw);
  if (q === null) {
    problems.push(fieldError("/q", "type", "搜索词应为一个字符串", "q must be one string"));
    return [];
  }
  if (q === undefined) return [];
  if ([...q.trim()].length > MAX_QUERY_CHARS) {
    problems.push(fieldError("/q", "maxLength", `搜索词最多 ${MAX_QUERY_CHARS} 个字`, `q may be at most ${MAX_QUERY_CHARS} characters`));
    return [];
  }
  const terms = searchTerms(q);
  if (terms.length > MAX_TERMS) problems.push(fieldError("/q", "maxItems", `最多 ${MAX_TERMS} 个搜索词`, `at most ${MAX_TERMS} search words`));
  return terms;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64url");

/** The opaque cursor after `row` (an object holding the order's key values under their column's last segment or alias). */
export function encodeCursor(order: ListOrder, values: unknown[]): string {
  const plain = values.map((v) => (v instanceof Date ? v.toISOString() : v));
  return b64(JSON.stringify([order.name, ...plain]));
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

function keyValueOk(kind: KeyKind, v: unknown, nullable: boolean): boolean {
  if (v === null) return nullable;
  switch (kind) {
    case "timestamp":
      return typeof v === "string" && ISO_TIME.test(v) && !Number.isNaN(Date.parse(v));
    case "uuid":
      return isUuid(v);
    case "text":
      return typeof v === "string" && v.length <= 500;
    case "integer":
      return Number.isSafeInteger(v);
    case "bigint":
      return typeof v === "string" && /^-?\d{1,19}$/.test(v);
  }
}

/**
 * A cursor's key values, or a problem at `/cursor`: a cursor is only ever one this list handed out,
 * so anything else (edited, truncated, from another list) is refused before it reaches SQL, where a
 * bad value would be a type error (500) or, worse, a plausible but wrong page.
 */
export function decodeCursor(order: ListOrder, raw: unknown, problems: ErrorDetail[]): unknown[] | undefined {
  const s = single(raw);
  if (s === undefined || s === "") return undefined;
  const bad = () => {
    problems.push(fieldError("/cursor", "cursor", "翻页标记无效或已被改动，请从第一页重新浏览", "the cursor is not one this list gave out; start again from the first page"));
    return undefined;
  };
  if (s === null || s.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(s)) return bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
  } catch {
    return bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== order.keys.length + 1 || parsed[0] !== order.name) return bad();
  const values = parsed.slice(1);
  if (!order.keys.every((k, i) => keyValueOk(k.kind, values[i], !!k.nullable))) return bad();
  return values;
}

/** `page`, `pageSize`, `cursor` and `q` of a list, checked together: 400 VALIDATION_FAILED naming each bad one. */
export function listParams(
  params: ListParamsInput,
  order: ListOrder,
  opts: { pageSize: number; maxPageSize: number },
  problems: ErrorDetail[] = [],
): ListRequest {
  const page = wholeParam("page", params.page, 1, MAX_PAGE, 1, problems);
  const pageSize = wholeParam("pageSize", params.pageSize, 1, opts.maxPageSize, opts.pageSize, problems);
  const after = decodeCursor(order, params.cursor, problems);
  const terms = termsParam(params.q, problems);
  if (problems.length) throw validationFailed(problems);
  return { page, pageSize, after, terms };
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => "\\" + c);

// pg_trgm (in a UTF-8 database with a C.UTF-8 or similar locale) makes trigrams of runs of letters
// and digits only, Chinese characters included; a term with no run of three gets none from LIKE.
const TRIGRAM_WORD = /[\p{L}\p{N}]{3}/u;

/** A term's two-character pieces, as `bigramsSql` makes them of the stored text. */
export const bigramsOf = (term: string): string[] => {
  const chars = [...term];
  return [...new Set(chars.slice(1).map((c, i) => chars[i] + c))];
};

/**
 * The SQL of an IMMUTABLE function `name(text) returns text[]` giving every two-character piece of
 * a text, for a plugin's migration (one function per plugin, so that each plugin's migrations stay
 * its own): a GIN index over `name(column)` finds 2-character Chinese words, which pg_trgm cannot
 * (DESIGN.md §10). Plain SQL rather than a plpgsql loop: about 3× faster when an index is built
 * over a million rows. COST tells the planner that calling it per row is not cheap.
 */
export function bigramsSql(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bigram function name ${JSON.stringify(name)} must be a plain SQL identifier`);
  return `create or replace function ${name}(s text) returns text[] language sql immutable strict parallel safe cost 1000 as $$
    select coalesce(array_agg(distinct substr(s, i, 2)), '{}') from generate_series(1, char_length(s) - 1) as i
  $$`;
}

export interface SearchColumn {
  /** a column holding lower(normalize(text, NFKC)), as searchTerms normalises the query */
  column: string;
  /** the indexed bigram expression over it, e.g. `portal_pairs(search)` */
  bigrams: string;
  /** whether the column also has a gin_trgm_ops index (then terms of 3+ letters use LIKE) */
  trigram?: boolean;
}

/**
 * Narrows a query to rows whose search column contains every term, exactly (substrings across word
 * boundaries too). Which index serves each term is chosen here, once, for every list:
 * - a run of 3 letters or digits, with a trigram index: `LIKE '%term%'` (exact, indexed);
 * - otherwise every 2-character piece in the bigram index, then `strpos` decides (cheap, and run
 *   first where the planner scans a narrow filter instead, so the function is called on few rows);
 * - one character: strpos alone (a scan; a one-character search is rare and matches most rows).
 */
export function whereContains<Q extends ListQuery>(query: Q, search: SearchColumn, terms: string[], use: SearchUse = "list"): Q {
  const q = query as Knex.QueryBuilder;
  for (const term of terms) {
    if (search.trigram && TRIGRAM_WORD.test(term)) {
      q.whereRaw(`${search.column} like ?`, [`%${likeEscape(term)}%`]);
    } else {
      if (use !== "index") q.whereRaw(`strpos(${search.column}, ?) > 0`, [term]);
      const pieces = bigramsOf(term);
      if (pieces.length && use !== "walk") q.whereRaw(`${search.bigrams} @> ?::text[]`, [pieces]);
    }
  }
  return query;
}

/**
 * How whereContains narrows: `list` exactly, through the indexes where they serve; `index` by the
 * index conditions alone (a superset, and what the planner has statistics for: ANALYZE keeps each
 * pair's frequency, a strpos it can only guess at); `walk` exactly without the pair index (a walk
 * along another index tests each row it passes, and a pair condition would only tempt the planner
 * into building the word's whole bitmap first).
 */
export type SearchUse = "list" | "index" | "walk";

/**
 * A list's query: knex's, or objection's (scopeQuery's, whose rows come back as the model's
 * instances). Both builders have the methods used here.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ListQuery = Knex.QueryBuilder | ObjectionQuery<any, any>;

const keyColumn = (column: string) => column.replace(/\s+as\s+\w+$/i, "");
/** Where a page's query carries a key's exact value for the cursor (removed from the rows returned). */
// no underscore: objection's snakeCaseMappers would rename it
const cursorField = (i: number) => `listcursorkey${i}`;

/**
 * One page in the order: after `req.after` when a cursor was given (keyset), else at the page's
 * OFFSET. Reads one row more than the page to know whether there is a next page, whose cursor it
 * returns (null on the last page).
 */
export async function pageRows<T extends object>(
  db: Knex,
  query: ListQuery,
  order: ListOrder,
  req: Pick<ListRequest, "page" | "pageSize" | "after">,
  options: PageOptions = {},
): Promise<{ rows: T[]; nextCursor: string | null }> {
  const offset = req.after ? 0 : (req.page - 1) * req.pageSize;
  const merge = options.mergeBy && options.mergeBy.values.length > 1 ? options.mergeBy : undefined;
  let rows: Array<Record<string, unknown>>;
  if (!merge) rows = (await ordered(db, query, order, req).limit(req.pageSize + 1).offset(offset)) as Array<Record<string, unknown>>;
  else {
    // Each value's rows walk its own (column, keys…) index, as far as the page needs, and the
    // walks are merged by the cursor's keys: a tenant and the tenants below it cost a few index
    // probes, where one walk of the order's index would read past every other region's rows.
    const plainOf = (b: ListQuery) => ("toKnexQuery" in b ? b.toKnexQuery() : b) as Knex.QueryBuilder;
    const byKeys = order.keys.map((k, i) => `${cursorField(i)} ${order.direction}${nullsLast(k)}`).join(", ");
    const reach = offset + req.pageSize + 1;
    const union = (walk: Knex.QueryBuilder) => {
      const parts = merge.values.map((v) => plainOf((walk.clone() as Knex.QueryBuilder).where(merge.column, v as Knex.Value).limit(reach)).toSQL());
      return { sql: `(${parts.map((p) => `(${p.sql})`).join(" union all ")}) as merged`, bindings: parts.flatMap((p) => p.bindings as Knex.Value[]) };
    };
    if (order.keys.some((k) => k.nullable)) {
      // (a row comparison cannot find a null key: the walks read the rows themselves)
      const merged = union(ordered(db, query, order, req));
      const outer = ("modelClass" in query ? query.modelClass().query(db) : db.queryBuilder()) as unknown as Knex.QueryBuilder;
      outer.select("*").from(db.raw(merged.sql, merged.bindings));
      rows = (await outer.orderByRaw(byKeys).limit(req.pageSize + 1).offset(offset)) as Array<Record<string, unknown>>;
    } else {
      // The walks read the keys alone, the page's rows are then read by them: a walk that tests the
      // words on an index holding the search text (portal_notices_tenant_type_newest) never visits
      // the table for the rows it passes, only for the page's own.
      const merged = union(ordered(db, query, order, req, true));
      const keys = order.keys.map((k) => keyColumn(k.column));
      const fields = order.keys.map((_, i) => cursorField(i)).join(", ");
      const inPage = `(${keys.join(", ")}) in (select ${fields} from ${merged.sql} order by ${byKeys} limit ?)`;
      rows = (await ordered(db, query, order, req).whereRaw(inPage, [...merged.bindings, reach]).limit(req.pageSize + 1).offset(offset)) as Array<Record<string, unknown>>;
    }
  }
  const more = rows.length > req.pageSize;
  if (more) rows.length = req.pageSize;
  const last = rows[rows.length - 1];
  const nextCursor = more && last ? encodeCursor(order, order.keys.map((_, i) => last[cursorField(i)] ?? null)) : null;
  for (const r of rows) order.keys.forEach((_, i) => delete r[cursorField(i)]);
  return { rows: rows as T[], nextCursor };
}

// "nulls last" only where a key may be null: on a not-null key it would not match a plain
// (published_at desc) index, and PostgreSQL would sort the whole match instead of walking it.
const nullsLast = (k: SortKey) => (k.nullable ? " nulls last" : "");

/**
 * The query with the cursor's keys selected, after the cursor when one was given, in the order; no
 * limit yet. `keysOnly`: the keys alone, as stored (what an index-only walk can read).
 */
function ordered(db: Knex, query: ListQuery, order: ListOrder, req: Pick<ListRequest, "after">, keysOnly = false): Knex.QueryBuilder {
  const q = query.clone() as Knex.QueryBuilder;
  const cols = order.keys.map((k) => keyColumn(k.column));
  if (keysOnly) q.clearSelect();
  // The cursor's columns are added to the query's own; a query that chose none reads every column.
  const chose = "hasSelects" in query ? query.hasSelects() : (query as unknown as { _statements: Array<{ grouping: string }> })._statements.some((s) => s.grouping === "columns");
  if (!chose && !keysOnly) q.select("*");
  // The keys as the cursor needs them: a timestamp in full (PostgreSQL keeps microseconds, a
  // JavaScript Date only milliseconds, and a rounded key would skip the rows between).
  order.keys.forEach((k, i) =>
    q.select(
      k.kind === "timestamp" && !keysOnly
        ? db.raw(`to_char(${cols[i]} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ??`, [cursorField(i)])
        : db.raw(`${cols[i]} as ??`, [cursorField(i)]),
    ),
  );
  if (req.after) {
    const cmp = order.direction === "desc" ? "<" : ">";
    if (order.keys.some((k) => k.nullable)) {
      // A row comparison treats null as unknown: spell the order out key by key, nulls last.
      q.where((w) => {
        order.keys.forEach((_, i) => {
          w.orWhere((and) => {
            for (let j = 0; j < i; j++) {
              if (req.after![j] === null) and.whereNull(cols[j]);
              else and.where(cols[j], req.after![j] as Knex.Value);
            }
            if (req.after![i] === null) and.whereRaw("false");
            else and.where((x) => x.where(cols[i], cmp, req.after![i] as Knex.Value).modify((y) => (order.keys[i].nullable ? y.orWhereNull(cols[i]) : y)));
          });
        });
      });
    } else {
      q.whereRaw(`(${cols.join(", ")}) ${cmp} (${cols.map(() => "?").join(", ")})`, req.after as Knex.Value[]);
    }
  }
  order.keys.forEach((k, i) => q.orderByRaw(`${cols[i]} ${order.direction}${nullsLast(k)}`));
  return q;
}

export interface PageOptions {
  /**
   * The query keeps `column` to one of `values` (a tenant and those below it), and an index on
   * (column, the order's keys) exists: the page is read per value and merged (see pageRows).
   */
  mergeBy?: { column: string; values: readonly (string | number)[] };
}

/**
 * A list's search, given to listPage apart from its other filters: the list's query is `without`
 * narrowed by whereContains(search, terms), and `table` is the list's table (its own conditions at
 * most, no filters), where the planner is asked how many rows hold the words.
 */
export interface ListWords {
  without: ListQuery;
  table: ListQuery;
  search: SearchColumn;
  terms: string[];
}

/**
 * Where a search's matches are about this many, its pair index and a walk cost alike (1.1 million
 * notices on the machine of the README's benchmarks: a word in 88,000 titles took 124 ms as one
 * query and 8 ms merged, one in 109 titles 3–5 ms as one query and 33–105 ms merged). Words the
 * planner expects in more rows than this are tested row by row (whereContains' `walk`) on the rows
 * the list's other filters and order lead to: the page's walks meet their matches soon, and a
 * count reads the filters' rows (from a covering index where there is one) instead of building the
 * bitmap of every match first (「医院」 in one region, type and year: 88,000 matches in the pair
 * index ANDed with 11,000 rows, 50 ms, where the region-type index alone with `strpos` took 3 ms).
 */
export const MERGE_MIN_MATCHES = 20_000;

/** The planner's estimate of the rows a (filtered, unordered) query matches: one EXPLAIN, no rows read. */
export async function estimatedRows(db: Knex, query: ListQuery): Promise<number> {
  const plain = estimated(db, query);
  const { rows: plan } = await db.raw(`explain (format json) ${plain.sql}`, plain.bindings as Knex.Value[]);
  return Math.round(Number(plan[0]["QUERY PLAN"][0].Plan["Plan Rows"]));
}

/** The statement estimatedRows explains. */
function estimated(db: Knex, query: ListQuery): Knex.Sql {
  const plainQuery = ("toKnexQuery" in query ? query.toKnexQuery() : query) as Knex.QueryBuilder;
  return plainQuery.clone().clearSelect().clearOrder().select(db.raw("1")).toSQL();
}

/**
 * How many rows of their table hold a search's words, as the planner expects (its statistics change
 * at each ANALYZE, not from one request to the next): kept a minute, for the most recent searches,
 * where a list with other filters would otherwise explain it once more for each request.
 */
const wordRows = new Map<string, { rows: number; until: number }>();
const WORD_ROWS_MS = 60_000;
const WORD_ROWS_KEPT = 1_000;

/**
 * The estimates listPage needs of its words: how many rows of their table hold them (are they
 * frequent?) and how many rows of the list (the total's estimate), one EXPLAIN each, at once; one
 * only where the list has no other condition, and the two statements are the same.
 */
function wordEstimates(db: Knex, words: ListWords): { frequent: Promise<boolean>; matches: Promise<number> } {
  const inTable = whereContains(words.table.clone(), words.search, words.terms, "index");
  const inList = whereContains(words.without.clone(), words.search, words.terms, "index");
  const [a, b] = [estimated(db, inTable), estimated(db, inList)];
  const key = JSON.stringify([a.sql, a.bindings]);
  const same = key === JSON.stringify([b.sql, b.bindings]);
  const known = same ? undefined : wordRows.get(key);
  const inTableRows = known && known.until > Date.now() ? Promise.resolve(known.rows) : estimatedRows(db, inTable);
  if (!same && !(known && known.until > Date.now())) {
    void inTableRows.then((rows) => {
      if (wordRows.size >= WORD_ROWS_KEPT) wordRows.delete(wordRows.keys().next().value!);
      wordRows.set(key, { rows, until: Date.now() + WORD_ROWS_MS });
    }, () => undefined);
  }
  const matches = same ? inTableRows : estimatedRows(db, inList);
  // awaited only once the other is known: a failure of this one alone is the caller's still, never unhandled meanwhile
  matches.catch(() => undefined);
  return { frequent: inTableRows.then((n) => n >= MERGE_MIN_MATCHES), matches };
}

/**
 * The number of rows a (filtered, unordered) query matches: exact up to EXACT_TOTAL_LIMIT, beyond
 * that PostgreSQL's own estimate, never below the limit. A frequent word matches most of a million
 * rows, and even counting the first 10,001 of them costs more than finding the page (the bitmap of
 * every match is built first: 80 ms for 「采购」 in 1.1 million notices), so where the plan
 * (read in about a millisecond, no rows) expects well over the limit, the estimate is the answer;
 * below that the count is exact, stopping at limit + 1.
 *
 * With `withinMs` (lists give COUNT_WITHIN_MS) a count the plan expects in thousands is not even
 * started when its plan costs more than COUNT_MAX_COST, and stops after `withinMs` otherwise; the
 * estimate answers instead: counting reads every candidate row (10,000 suppliers of a frequent
 * word: 10–16 ms alone, several times that with ten callers on two cores), while the page beside it
 * stops at its first rows, and a count cut short at its time limit has spent that time for nothing.
 * Without it (exports, which refuse more rows than they take) the count is exact. `estimateOf`: the
 * query whose plan gives the estimate, when it has better statistics than `query` (listPage's
 * search by its index conditions alone), or that estimate itself.
 */
export async function countUpTo(db: Knex, query: ListQuery, limit = EXACT_TOTAL_LIMIT, withinMs?: number, estimateOf: ListQuery | Promise<number> = query): Promise<{ total: number; totalIsEstimate: boolean }> {
  const plainQuery = ("toKnexQuery" in query ? query.toKnexQuery() : query) as Knex.QueryBuilder;
  // (a query builder is a thenable too: only a real promise is awaited as the estimate itself)
  const estimate = estimateOf instanceof Promise ? await estimateOf : await estimatedRows(db, estimateOf);
  if (estimate > ESTIMATE_TRUSTED * limit) return { total: estimate, totalIsEstimate: true };
  const capped = plainQuery.clone().clearSelect().clearOrder().select(db.raw("1")).limit(limit + 1);
  // a count the plan expects in hundreds runs as one statement: a transaction to keep parallel
  // workers off (countWithin) would cost it more round trips than the workers it is never planned with
  const count = withinMs === undefined || estimate < TIMED_FROM_ESTIMATE ? await countOf(db, capped) : await countWithin(db, capped, withinMs);
  if (count === null) return { total: estimate, totalIsEstimate: true };
  if (count <= limit) return { total: count, totalIsEstimate: false };
  return { total: Math.max(limit + 1, estimate), totalIsEstimate: true };
}

/** How long a list's exact count may take before the estimate answers instead (countUpTo). */
export const COUNT_WITHIN_MS = 40;

/**
 * The plan cost (PostgreSQL's units) above which a list's count that the plan expects in thousands
 * is not started (countUpTo). Over the seeded scale database the counts measured cost
 * 330–620 units a millisecond of one core (10,000 suppliers of 「信息技术」: 6,235, 10 ms; 928
 * notices of 「医院」 in a region, type and year from a covering index: 1,285, 3 ms; 19,000 notices
 * of a month: 524, 1 ms): about 5 ms of counting, a request's whole share of two cores when ten
 * callers wait on them.
 */
export const COUNT_MAX_COST = 2_500;

/**
 * Counts the plan expects below this are not timed: they are cheap, and a count cut short on a busy
 * machine would turn a small exact total into an estimate.
 */
const TIMED_FROM_ESTIMATE = 1_000;

async function countOf(db: Knex, capped: Knex.QueryBuilder): Promise<number> {
  const [row] = await db.count({ n: "*" }).from(capped.as("capped"));
  return Number((row as { n: string | number }).n);
}

/**
 * A list's count, on one process: null when it took longer than `withinMs` (PostgreSQL cancels it:
 * nothing is left running) or its plan costs more than COUNT_MAX_COST. No parallel workers: they spend two more processes'
 * CPU on a count that is no faster for it (10,000 of 200,000 suppliers: 16.8 ms with two workers,
 * 15.9 without), while the page beside it and the other callers wait for the cores.
 */
async function countWithin(db: Knex, capped: Knex.QueryBuilder, withinMs: number): Promise<number | null> {
  // The count's plan: too costly, and it is not started. (Planned here as the server would, with
  // parallel workers, a plan no costlier than the one process's that counts: a count let through
  // by it is still stopped by the time limit.)
  const sql = db.count({ n: "*" }).from(capped.clone().as("capped")).toSQL();
  const { rows: plan } = await db.raw(`explain (format json) ${sql.sql}`, sql.bindings as Knex.Value[]);
  if (Number(plan[0]["QUERY PLAN"][0].Plan["Total Cost"]) > COUNT_MAX_COST) return null;
  try {
    return await db.transaction(async (trx) => {
      await trx.raw("select set_config('max_parallel_workers_per_gather', '0', true), set_config('statement_timeout', ?, true)", [String(Math.max(1, Math.round(withinMs)))]);
      return countOf(trx, capped);
    });
  } catch (err) {
    if ((err as { code?: string }).code === QUERY_CANCELED) return null;
    throw err;
  }
}

/** PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout. */
const QUERY_CANCELED = "57014";

/**
 * Plans misjudge by a factor of two or so (correlated words, stale statistics): an estimate this
 * many times over the limit is taken as "beyond the limit" without counting.
 */
const ESTIMATE_TRUSTED = 2;

/**
 * A list's answer: the page (pageRows) and the total (countUpTo), read at once on two connections.
 * A page that ends the list when reached by number tells the exact total itself, and that total
 * wins: it corrects an estimate that was far off (a plan expecting thousands where a few rows
 * match), and it agrees with the rows shown when a row was written between the two reads (the
 * count's snapshot is not the page's). With `words` (the list's search: `query` is `words.without`
 * narrowed by them), frequent words are tested on the rows the other filters lead to, and the
 * total's estimate is the plan's of the words' index conditions (see MERGE_MIN_MATCHES, countUpTo);
 * `mergeBy` then merges the page only when the words are frequent.
 */
export async function listPage<T extends object>(
  db: Knex,
  query: ListQuery,
  order: ListOrder,
  req: Pick<ListRequest, "page" | "pageSize" | "after">,
  options: PageOptions & { words?: ListWords } = {},
): Promise<{ rows: T[]; nextCursor: string | null; total: number; totalIsEstimate: boolean }> {
  const words = options.words?.terms.length ? options.words : undefined;
  // Frequent words are tested on the rows the other filters lead to (see MERGE_MIN_MATCHES), by the
  // page and the count alike; rare ones are found by their own index, and a region's page is then
  // one query, not walks that would read on for matches that are not there.
  // (a query builder is a thenable: never the value of a promise, or awaiting it would run it)
  const estimates = words && wordEstimates(db, words);
  const frequent = estimates ? estimates.frequent : Promise.resolve(false);
  const exactly = (isFrequent: boolean) => (isFrequent ? whereContains(words!.without.clone(), words!.search, words!.terms, "walk") : query);
  const [page, count] = await Promise.all([
    frequent.then((f) => pageRows<T>(db, exactly(f), order, req, { mergeBy: !words || f ? options.mergeBy : undefined })),
    frequent.then((f) => countUpTo(db, exactly(f), EXACT_TOTAL_LIMIT, COUNT_WITHIN_MS, estimates?.matches)),
  ]);
  if (!page.nextCursor && !req.after && (page.rows.length > 0 || req.page === 1)) {
    return { ...page, total: (req.page - 1) * req.pageSize + page.rows.length, totalIsEstimate: false };
  }
  // an estimate is never fewer than the rows shown and the one after them (a page by number)
  if (count.totalIsEstimate && !req.after) count.total = Math.max(count.total, req.page * req.pageSize + 1);
  return { ...page, ...count };
}
