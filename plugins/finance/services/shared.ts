import type { Context } from "moleculer";
import {
  compareMoney, conflict, fieldError, forbidden, isUnsignedMoney, isUuid, type Localized, money, notFound, type PlatformContext, type SessionUser,
  tenantTree, toMoney, validationFailed,
} from "../../../core/sdk";
import RULES from "../statutory-rules.json";

export const RULE = RULES.rules;

/** The tender as the caller sees it through e-trading (GET /api/etrading/tenders/:id), the fields finance uses. */
export interface TenderSeen {
  id: string;
  tenantCode: string;
  title: string;
  purchaserName: string;
  agencyName: string | null;
  maxPrice: string;
  status: string;
  bidDeadline: string;
  mine: boolean;
  registered?: boolean;
  documents?: { deposit?: { kind?: string; amount?: string } | null } | null;
}

/** The tender through e-trading's own action, with the caller's rights: a tender the caller may not see is not found here either. */
export async function tenderOf(ctx: PlatformContext, id: unknown): Promise<TenderSeen> {
  if (typeof id !== "string" || !id) throw validationFailed([fieldError("/tenderId", "required", "请选择采购项目", "Choose a tender")]);
  return (ctx as unknown as Context).call<TenderSeen, { id: string }>("etrading.get", { id });
}

/** What the documents ask as bid security, or null when they ask none (then no deposit or guarantee is taken). */
export function securityAsked(t: TenderSeen): { kind: string; amount: string } | null {
  const d = t.documents?.deposit;
  if (!d || !d.kind || d.kind === "none" || !d.amount) return null;
  return { kind: d.kind, amount: toMoney(d.amount) };
}

/** deposit.max: the cap on a bid security, that share of the tender's budget ceiling (its published maximum price). */
export function depositCap(t: TenderSeen): string {
  return toMoney(money(t.maxPrice).times(RULE["deposit.max"].value).dividedBy(100).toDecimalPlaces(2, 1));
}

/**
 * The amount of a security for the tender: what the documents ask unless the supplier gives more,
 * never above deposit.max; a tender that asks no security takes none (deposit.nonCashAndGuarantee
 * lets the supplier choose the form of a security the documents ask, not ask one itself).
 */
export function securityAmount(t: TenderSeen, given: unknown, what: Localized): string {
  const asked = securityAsked(t);
  if (!asked) {
    throw validationFailed([fieldError("/tenderId", "deposit.nonCashAndGuarantee", `该项目采购文件未要求投标保证金，不接受${what["zh-CN"]}`, `This tender asks for no bid security: it takes no ${what.en}`)]);
  }
  if (given === undefined || given === null || given === "") return asked.amount;
  if (!isAmount(given)) throw validationFailed([fieldError("/amount", "money", "金额应为元，至多两位小数", "An amount is yuan with at most two decimals")]);
  const cap = depositCap(t);
  if (compareMoney(given, cap) > 0) {
    throw validationFailed([fieldError("/amount", "deposit.max", `不得超过采购项目预算的 ${RULE["deposit.max"].value}%（${cap} 元）`, `may not exceed ${RULE["deposit.max"].value}% of the budget (${cap} yuan)`)]);
  }
  if (compareMoney(given, asked.amount) < 0) {
    throw validationFailed([fieldError("/amount", "minimum", `不得低于采购文件要求的 ${asked.amount} 元`, `may not be less than the ${asked.amount} yuan the documents ask`)]);
  }
  return toMoney(given);
}

export function beforeDeadline(t: TenderSeen, now: Date): void {
  // deposit.nonCashAndGuarantee: the security is due by the bid deadline, not after it
  if (now >= new Date(t.bidDeadline)) {
    throw conflict({ "zh-CN": "已过投标截止时间，保证金（保函）应在截止时间前提交", en: "The bid deadline has passed: a security is due by the deadline" }, { rule: "deposit.nonCashAndGuarantee", deadline: t.bidDeadline });
  }
}

/** A project as its winning supplier reads it in supervision (GET /api/supervision/projects/:id), the fields finance uses. */
export interface ProjectSeen {
  id: string;
  name: string;
  tenantCode: string;
  unitName: string;
  supplier: { code: string; name: string; sme: boolean } | null;
  contractAmount: string | null;
  signedOn: string | null;
  contractFiledOn: string | null;
  paidTotal: string | null;
}

/**
 * The filed contract of a project the supplier won, through supervision's own action with the
 * supplier's rights: another's project, or one it did not win, is not found; one not yet filed is refused.
 */
type WonContract = ProjectSeen & { contractAmount: string; contractFiledOn: string; supplier: NonNullable<ProjectSeen["supplier"]> };
export async function wonContract(ctx: PlatformContext, projectId: unknown, supplier: string, rule: string): Promise<WonContract> {
  if (typeof projectId !== "string" || !projectId) throw validationFailed([fieldError("/projectId", "required", "请选择合同", "Choose a contract")]);
  const project = await (ctx as unknown as Context).call<ProjectSeen, { id: string }>("supervision.get", { id: projectId });
  if (project.supplier?.code !== supplier) throw notFound({ "zh-CN": "合同", en: "contract" });
  if (!project.contractFiledOn || !project.contractAmount) throw conflict({ "zh-CN": "合同备案后方可办理", en: "Only for a filed contract" }, { rule });
  return project as WonContract;
}

export const isSupplier = (u: SessionUser) => u.roles.includes("supplier") && !!u.unitCode;
export const isInstitution = (u: SessionUser) => u.roles.includes("institution") && !!u.unitCode;
export const isRegulator = (u: SessionUser) => u.roles.includes("regulator");
/** The province's regulator admits institutions, region by region. */
export const isProvinceRegulator = (u: SessionUser) => isRegulator(u) && u.tenantCode === tenantTree().root().code;

export function supplierOnly(u: SessionUser): string {
  if (!isSupplier(u)) throw forbidden();
  return u.unitCode!;
}

/** Whether a tenant is in a region an institution is admitted in (a city's admission covers its counties). */
export function covers(regions: string[], tenantCode: string): boolean {
  const tree = tenantTree();
  return regions.some((r) => tree.subtree(r).includes(tenantCode));
}


export const GUARANTEE: Localized = { "zh-CN": "保函", en: "guarantee" };
export const DEPOSIT: Localized = { "zh-CN": "保证金", en: "deposit" };
export const INSTITUTION: Localized = { "zh-CN": "金融机构", en: "institution" };
export const missing = (what: Localized) => notFound(what);

/** A positive amount of money as the API takes it: a decimal string of yuan, at most two decimals. */
export const isAmount = (v: unknown): v is string => typeof v === "string" && isUnsignedMoney(v) && compareMoney(v, "0") > 0;

/** The id of a path, or null when it cannot be one (then the object is simply not found). */
export const idOf = (v: unknown): string | null => (typeof v === "string" && isUuid(v) ? v : null);

export const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);


/** The list parameters every finance list takes (core's list helper), besides its own filters. */
export interface ListQueryParams { q?: unknown; page?: unknown; pageSize?: unknown; cursor?: unknown; format?: unknown; lang?: unknown }
