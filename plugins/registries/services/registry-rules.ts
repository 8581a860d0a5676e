import { type ErrorDetail, fieldError, tenantTree } from "../../../core/sdk";

/**
 * `code`, found at `path` of a record, is a division that is not a tenant of this platform (or is
 * Shenzhen, which runs its own): the detail a form shows by that field; null when it is fine.
 */
export function tenantProblemAt(path: string, code: string | undefined): ErrorDetail | null {
  if (!code) return null;
  const t = tenantTree().get(code);
  if (!t) return fieldError(path, "tenant", `区划 ${code} 不在本平台`, `division ${code} is not a tenant of this platform`);
  if (t.onPlatform === false) {
    return fieldError(path, "tenant", `${t.name["zh-CN"]}不在本平台运行`, `${t.name.en} does not run on this platform`);
  }
  return null;
}

/** The unique index a PostgreSQL error violated, or null when it is another error. */
export function violatedUnique(err: unknown): string | null {
  const e = err as { code?: string; constraint?: string; nativeError?: { code?: string; constraint?: string } };
  if ((e.code ?? e.nativeError?.code) !== "23505") return null;
  return e.constraint ?? e.nativeError?.constraint ?? "";
}

/** Today's date in China (UTC+8, no daylight saving), YYYY-MM-DD. */
export const todayInChina = (now = Date.now()): string => new Date(now + 8 * 3600_000).toISOString().slice(0, 10);
