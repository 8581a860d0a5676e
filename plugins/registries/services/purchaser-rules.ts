import { type ErrorDetail, fieldError } from "../../../core/sdk";
import { tenantProblemAt, violatedUnique } from "./registry-rules";

/** A division code that is well formed but not a tenant of this platform (or is Shenzhen). */
export const tenantProblem = (code: string | undefined): ErrorDetail | null => tenantProblemAt("/tenantCode", code);

export const creditCodeTaken = () => fieldError("/creditCode", "unique", "该统一社会信用代码已被其他单位使用", "another unit already has this credit code");

/** Unique violations become field errors a form can show, not a 500. */
export function uniqueViolation(err: unknown): ErrorDetail | null {
  const constraint = violatedUnique(err);
  if (constraint === null) return null;
  if (constraint.includes("credit_code")) {
    return creditCodeTaken();
  }
  return fieldError("/budgetCode", "unique", "该预算单位编码已存在", "a unit with this budget code already exists");
}
