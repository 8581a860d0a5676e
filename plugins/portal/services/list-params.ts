import { type ErrorDetail, fieldError, MAX_PAGE, single, validationFailed, wholeParam } from "../../../core/sdk";
import { NOTICE_TYPES, type NoticeFilter, type NoticeType } from "./notice-store";
import type { TenantEntry } from "./tenants";

export const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 20;
const MAX_QUERY_CHARS = 100;
const MAX_TERMS = 5;

export interface ListParams {
  tenant?: unknown;
  type?: unknown;
  q?: unknown;
  page?: unknown;
  pageSize?: unknown;
}

/**
 * The search text as terms a notice must all contain: NFKC (full-width letters, digits and spaces
 * as ASCII), lowercased as the stored search column is, split on spaces and control characters.
 */
export function searchTerms(q: string): string[] {
  return [...new Set(q.normalize("NFKC").toLowerCase().split(/[\s\p{Cc}]+/u).filter(Boolean))];
}

/** The list's query string, checked: every problem at once, each with its field (400 otherwise). */
export function parseListParams(params: ListParams, tenants: Map<string, TenantEntry>): NoticeFilter {
  const problems: ErrorDetail[] = [];

  let tenantCodes: string[] | undefined;
  const tenant = single(params.tenant);
  if (tenant !== undefined && tenant !== "") {
    const entry = tenant === null ? undefined : tenants.get(tenant.trim());
    if (!entry) {
      problems.push(fieldError("/tenant", "tenant", `区划「${String(tenant)}」不在本平台`, `${JSON.stringify(tenant)} is not a tenant of this platform`));
    } else if (!entry.onPlatform) {
      problems.push(fieldError("/tenant", "tenant", `${entry.name["zh-CN"]}使用自己的政府采购平台，其公告不在本平台`, `${entry.name.en} runs its own procurement platform; its notices are not here`));
    } else {
      tenantCodes = entry.subtree;
    }
  }

  let type: NoticeType | undefined;
  const rawType = single(params.type);
  if (rawType !== undefined && rawType !== "") {
    if (rawType !== null && (NOTICE_TYPES as readonly string[]).includes(rawType.trim())) type = rawType.trim() as NoticeType;
    else problems.push({ ...fieldError("/type", "enum", `公告类型应为 ${NOTICE_TYPES.join("、")} 之一`, `type must be one of ${NOTICE_TYPES.join(", ")}`), allowed: [...NOTICE_TYPES] });
  }

  let terms: string[] = [];
  const q = single(params.q);
  if (q === null) {
    problems.push(fieldError("/q", "type", "搜索词应为一个字符串", "q must be one string"));
  } else if (q !== undefined) {
    if ([...q.trim()].length > MAX_QUERY_CHARS) {
      problems.push(fieldError("/q", "maxLength", `搜索词最多 ${MAX_QUERY_CHARS} 个字`, `q may be at most ${MAX_QUERY_CHARS} characters`));
    } else {
      terms = searchTerms(q);
      if (terms.length > MAX_TERMS) problems.push(fieldError("/q", "maxItems", `最多 ${MAX_TERMS} 个搜索词`, `at most ${MAX_TERMS} search words`));
    }
  }

  const page = wholeParam("page", params.page, 1, MAX_PAGE, 1, problems);
  const pageSize = wholeParam("pageSize", params.pageSize, 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, problems);
  if (problems.length) throw validationFailed(problems);
  return { tenantCodes, type, terms, page, pageSize };
}
