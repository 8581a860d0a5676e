import { type ErrorDetail, fieldError, isDate, listParams, single } from "../../../core/sdk";
export { searchTerms } from "../../../core/sdk";
import { NOTICE_ORDER, NOTICE_TYPES, type NoticeFilter, type NoticeType } from "./notice-store";
import type { TenantEntry } from "./tenants";

export const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 20;

export interface ListParams {
  tenant?: unknown;
  type?: unknown;
  q?: unknown;
  from?: unknown;
  to?: unknown;
  page?: unknown;
  pageSize?: unknown;
  cursor?: unknown;
}

/** A publication day (YYYY-MM-DD, the platform's local day) at `/<name>`, or a problem. */
function dayParam(name: string, raw: unknown, problems: ErrorDetail[]): string | undefined {
  const v = single(raw);
  if (v === undefined || v === "") return undefined;
  if (v !== null && isDate(v.trim())) return v.trim();
  problems.push(fieldError(`/${name}`, "format", "日期应为 YYYY-MM-DD 格式的有效日期", "must be a valid date as YYYY-MM-DD"));
  return undefined;
}

/** The list's query string, checked: every problem at once (with those the caller found), each with its field (400 otherwise). */
export function parseListParams(params: ListParams, tenants: Map<string, TenantEntry>, problems: ErrorDetail[] = []): NoticeFilter {

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

  const from = dayParam("from", params.from, problems);
  const to = dayParam("to", params.to, problems);
  // throws every problem found so far with its own
  const req = listParams(params, NOTICE_ORDER, { pageSize: DEFAULT_PAGE_SIZE, maxPageSize: MAX_PAGE_SIZE }, problems);
  return { tenantCodes, type, from, to, ...req };
}
