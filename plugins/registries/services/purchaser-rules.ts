import type { ErrorDetail } from "../../../core/errors";
import { tenantTree } from "../../../core/tenancy";

/** A division code that is well formed but not a tenant of this platform (or is Shenzhen). */
export function tenantProblem(code: string | undefined): ErrorDetail | null {
  if (!code) return null;
  const t = tenantTree().get(code);
  if (!t) return { path: "/tenantCode", rule: "tenant", message: { "zh-CN": `区划 ${code} 不在本平台`, en: `division ${code} is not a tenant of this platform` } };
  if (t.onPlatform === false) {
    return { path: "/tenantCode", rule: "tenant", message: { "zh-CN": `${t.name["zh-CN"]}不在本平台运行`, en: `${t.name.en} does not run on this platform` } };
  }
  return null;
}

/** Unique violations become field errors a form can show, not a 500. */
export function uniqueViolation(err: unknown): ErrorDetail | null {
  const e = err as { code?: string; constraint?: string; nativeError?: { code?: string; constraint?: string } };
  const code = e.code ?? e.nativeError?.code;
  const constraint = e.constraint ?? e.nativeError?.constraint ?? "";
  if (code !== "23505") return null;
  if (constraint.includes("credit_code")) {
    return { path: "/creditCode", rule: "unique", message: { "zh-CN": "该统一社会信用代码已被其他单位使用", en: "another unit already has this credit code" } };
  }
  return { path: "/budgetCode", rule: "unique", message: { "zh-CN": "该预算单位编码已存在", en: "a unit with this budget code already exists" } };
}
