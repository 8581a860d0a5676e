import { fieldError, validationFailed, type ErrorDetail } from "../errors";

/**
 * A list's query-string parameters, read the same way by every list. The gateway has already
 * refused arrays and objects (./input.ts); a call from another action may pass a number.
 */

/** A parameter as one string: undefined when absent, null when it is not one value. */
export const single = (v: unknown): string | undefined | null =>
  v === undefined ? undefined : typeof v === "string" ? v : typeof v === "number" && Number.isFinite(v) ? String(v) : null;

/**
 * A whole number from `min` to `max`, or `fallback` when absent or empty; anything else (negative,
 * fractional, 1e400, NaN, 20 digits) adds a problem at `/<name>`, since OFFSET and LIMIT take
 * only what fits PostgreSQL's bigint and a silently clamped page shows the wrong rows.
 */
export function wholeParam(name: string, raw: unknown, min: number, max: number, fallback: number, problems: ErrorDetail[]): number {
  const v = single(raw);
  if (v === undefined || v === "") return fallback;
  const n = v !== null && /^\d{1,9}$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!(n >= min && n <= max)) {
    problems.push(fieldError(`/${name}`, "range", `应为 ${min} 到 ${max} 之间的整数`, `must be a whole number from ${min} to ${max}`));
  }
  return n;
}

// Deep pages cost an OFFSET scan each; nobody reads 10,000 pages of a list (they search).
export const MAX_PAGE = 10_000;

export interface PageOptions {
  /** rows per page when pageSize is not given */
  pageSize: number;
  /** the largest pageSize allowed */
  maxPageSize: number;
  maxPage?: number;
}

/** `page` (from 1) and `pageSize` of a list, checked; 400 VALIDATION_FAILED naming each bad one. */
export function pageOf(params: { page?: unknown; pageSize?: unknown }, opts: PageOptions): { page: number; pageSize: number } {
  const problems: ErrorDetail[] = [];
  const page = wholeParam("page", params.page, 1, opts.maxPage ?? MAX_PAGE, 1, problems);
  const pageSize = wholeParam("pageSize", params.pageSize, 1, opts.maxPageSize, opts.pageSize, problems);
  if (problems.length) throw validationFailed(problems);
  return { page, pageSize };
}

/** A list's filter that is one of `allowed` (undefined when absent or empty), or a problem at `/<name>` naming the allowed values. */
export function oneOfParam<T extends string>(name: string, raw: unknown, allowed: readonly T[], problems: ErrorDetail[]): T | undefined {
  const v = single(raw);
  if (v === undefined || v === "") return undefined;
  if (v !== null && (allowed as readonly string[]).includes(v)) return v as T;
  problems.push({ ...fieldError(`/${name}`, "enum", `应为 ${allowed.join("、")} 之一`, `must be one of ${allowed.join(", ")}`), allowed: [...allowed] });
  return undefined;
}
