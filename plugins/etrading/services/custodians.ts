import type { SessionUser } from "../../../core/sdk";

/** A tender as far as its custodian places go (etrading_tenders: the places as publication wrote them). */
export interface CustodianTender {
  unit: string;
  agency_code: string | null;
  tenant_code: string;
  custodians: Array<{ role?: string; unit?: string; account?: string; tenantCode?: string }>;
}

/** The custodian places of a tender (its roles there), in the order the tender lists them. */
export const custodianIds = (t: Pick<CustodianTender, "custodians">): string[] => (t.custodians ?? []).map((c, i) => c.role ?? `custodian-${i + 1}`);

/**
 * Whether the user holds that custodian place: the named account if the tender names one; else the
 * agency's people, the purchasing unit's, the regulators of the tender's region (services/tenders.ts
 * writes the places without the purchaser's budget code, which is the tender's own `unit`).
 */
export function holds(u: SessionUser, t: CustodianTender, custodian: string): boolean {
  const i = custodianIds(t).indexOf(custodian);
  if (i < 0) return false;
  const c = t.custodians[i];
  if (c.account) return c.account === u.id;
  if (c.unit) return c.unit === u.unitCode;
  if (c.role === "agency") return u.roles.includes("agency") && !!u.unitCode && u.unitCode === t.agency_code;
  if (c.role === "purchaser") return u.roles.includes("purchaser") && !!u.unitCode && u.unitCode === t.unit;
  if (c.role === "supervisor") return u.roles.includes("regulator") && u.tenantCode === (c.tenantCode ?? t.tenant_code);
  return false;
}
