import { fieldError, validationFailed, type ErrorDetail } from "../errors";

/**
 * What the gateway refuses in every request before any action sees it, because nothing can
 * store or use it and each would otherwise surface as a 500 from wherever it first hurt:
 *  - NUL (U+0000) and unpaired UTF-16 surrogates in any string or key (PostgreSQL refuses both
 *    in text and jsonb; a sign-in with one failed in the database, after the rate limit and
 *    before its audit entry);
 *  - JSON nested deeper than MAX_DEPTH (PostgreSQL's jsonb parser, ajv and the audit hashing are
 *    recursive; no form is nested more than a handful of levels);
 *  - a query parameter that is not one string (`q[]=a`, `q[x]=a`, `status=a&status=b`): qs makes
 *    arrays and objects of them, which every list would otherwise read as something else.
 */
export const MAX_DEPTH = 32;

const NUL = /\u0000/;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string cannot be taken as text, or null when it can. */
export function textProblem(path: string, s: string): ErrorDetail | null {
  if (NUL.test(s)) return fieldError(path, "text", "不能包含空字符（U+0000）", "must not contain the NUL character (U+0000)");
  if (LONE_SURROGATE.test(s)) return fieldError(path, "text", "含有无效的 Unicode 字符（不成对的代理项）", "contains an invalid Unicode character (an unpaired surrogate)");
  return null;
}

const pointer = (parent: string, key: string | number) => `${parent}/${String(key).replace(/~/g, "~0").replace(/\//g, "~1")}`;

// At most this many problems are reported: a body full of NULs needs no 100,000-entry answer.
const MAX_DETAILS = 20;

/**
 * The problems of a decoded JSON value (or merged request parameters): strings and keys that are
 * not text, and nesting past MAX_DEPTH (reported once, at the root: where it is matters less than
 * that the whole document is refused). The walk never goes deeper than MAX_DEPTH itself.
 */
export function inputProblems(value: unknown, base = ""): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  let tooDeep = false;
  const walk = (v: unknown, path: string, depth: number) => {
    if (problems.length >= MAX_DETAILS || tooDeep) return;
    if (typeof v === "string") {
      const p = textProblem(path, v);
      if (p) problems.push(p);
      return;
    }
    if (!v || typeof v !== "object") return;
    if (depth >= MAX_DEPTH) {
      tooDeep = true;
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, pointer(path, i), depth + 1));
      return;
    }
    for (const [k, item] of Object.entries(v)) {
      const key = textProblem(pointer(path, k.replace(/[\u0000\ud800-\udfff]/g, "\ufffd")), k);
      if (key) problems.push({ ...key, key: true });
      walk(item, pointer(path, k), depth + 1);
    }
  };
  walk(value, base, 0);
  if (tooDeep) {
    return [fieldError("", "depth", `数据嵌套超过 ${MAX_DEPTH} 层`, `the data is nested more than ${MAX_DEPTH} levels deep`)];
  }
  return problems;
}

/** Query parameters that are arrays or objects where every list reads one string. */
export function queryShapeProblems(query: Record<string, unknown> | undefined): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  for (const [k, v] of Object.entries(query ?? {})) {
    if (typeof v !== "string") problems.push(fieldError(pointer("", k), "type", "应为一个值（不能重复或带方括号）", "must be one value (not repeated, no brackets)"));
  }
  return problems;
}

/**
 * The gateway's check of a request's parameters as moleculer-web merged them (JSON body, query
 * string, path parameters); throws VALIDATION_FAILED listing every problem found.
 */
export function checkRequestInput(query: Record<string, unknown> | undefined, params: unknown): void {
  const problems = [...queryShapeProblems(query), ...inputProblems(params)];
  if (problems.length) {
    const depth = problems.find((p) => p.rule === "depth");
    throw validationFailed(depth ? [depth] : problems, depth ? { "zh-CN": "提交的数据嵌套过深", en: "The submitted data is nested too deeply" } : undefined);
  }
}
