import { fieldError, type ErrorDetail } from "../../../core/errors";
import { tenantTree } from "../../../core/tenancy";

/** A division code that is well formed but not a tenant of this platform (or is Shenzhen). */
export function tenantProblem(code: string | undefined): ErrorDetail | null {
  if (!code) return null;
  const t = tenantTree().get(code);
  if (!t) return fieldError("/tenantCode", "tenant", `区划 ${code} 不在本平台`, `division ${code} is not a tenant of this platform`);
  if (t.onPlatform === false) {
    return fieldError("/tenantCode", "tenant", `${t.name["zh-CN"]}不在本平台运行`, `${t.name.en} does not run on this platform`);
  }
  return null;
}

export const creditCodeTaken = () => fieldError("/creditCode", "unique", "该统一社会信用代码已被其他单位使用", "another unit already has this credit code");

/** Unique violations become field errors a form can show, not a 500. */
export function uniqueViolation(err: unknown): ErrorDetail | null {
  const e = err as { code?: string; constraint?: string; nativeError?: { code?: string; constraint?: string } };
  const code = e.code ?? e.nativeError?.code;
  const constraint = e.constraint ?? e.nativeError?.constraint ?? "";
  if (code !== "23505") return null;
  if (constraint.includes("credit_code")) {
    return creditCodeTaken();
  }
  return fieldError("/budgetCode", "unique", "该预算单位编码已存在", "a unit with this budget code already exists");
}
