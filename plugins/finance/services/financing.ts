import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import {
  oneOfParam, actorOf, compareMoney, conflict, type ErrorDetail, type ExportColumn, exportFormatParam, exportLang, exportList, fieldError, implement, listPage, listParams, type ListOrder,
  localDate, notFound, type PlatformContext, type PlatformServiceSchema, platformNow, PlatformError, type PluginServiceThis, type SearchColumn, sumMoney, toMoney,
  validationFailed, whereContains, writeAudit,
} from "../../../core/sdk";
import type { CreditSummary } from "../../credit/api";
import { paymentLocks, type PaymentLock } from "../../supervision/api";
import { assertAdmitted, institutionOf, type InstitutionRow, institutionsByCode, myInstitution } from "./institutions";
import { covers, idOf, isAmount, isInstitution, iso, type ListQueryParams, supplierOnly, wonContract } from "./shared";

/**
 * Contract financing (政采贷, finance.smeGuaranteeAndFinancing): the winning supplier applies against
 * its filed contract to an admitted institution, consenting to it reading its credit summary; the
 * institution sees the contract, approves an amount and a term or declines; while the loan is unpaid
 * the contract's payments are locked to the lender's collection account (supervision.payment-locks).
 */

const FINANCING = { "zh-CN": "融资申请", en: "financing application" };
const CONSENT = "本人（本单位）同意所选金融机构为审核本次政府采购合同融资申请查询本单位在平台的信用信息摘要。";
const MAX_DAYS = 1095;


interface Row {
  id: string;
  project_id: string;
  tenant_code: string;
  supplier_code: string;
  institution_code: string;
  contract: { name: string; unitName: string; supplierName: string; sme: boolean; amount: string; signedOn: string | null; filedOn: string; paidTotal: string | null };
  requested_amount: string;
  requested_days: number;
  consent_at: Date;
  consent_text: string;
  status: "pending" | "approved" | "declined" | "repaid";
  approved_amount: string | null;
  approved_days: number | null;
  due_on: string | null;
  collection_account: string | null;
  decline_reason: string | null;
  created_at: Date;
  decided_at: Date | null;
  repaid_at: Date | null;
}

const view = (r: Row, inst?: InstitutionRow) => ({
  id: r.id, projectId: r.project_id, tenantCode: r.tenant_code, supplierCode: r.supplier_code, institutionCode: r.institution_code, institutionName: inst?.name ?? null,
  contract: r.contract, requestedAmount: toMoney(r.requested_amount), requestedDays: r.requested_days,
  consent: { at: iso(r.consent_at), text: r.consent_text }, status: r.status,
  approvedAmount: r.approved_amount ? toMoney(r.approved_amount) : null, approvedDays: r.approved_days, dueOn: r.due_on, collectionAccount: r.collection_account,
  declineReason: r.decline_reason, createdAt: iso(r.created_at), decidedAt: iso(r.decided_at), repaidAt: iso(r.repaid_at), rule: "finance.smeGuaranteeAndFinancing",
});

type This = PluginServiceThis;

const STATUS_TITLES: Record<Row["status"], { "zh-CN": string; en: string }> = {
  pending: { "zh-CN": "待审核", en: "Pending" },
  approved: { "zh-CN": "已放款", en: "Approved" },
  declined: { "zh-CN": "已拒绝", en: "Declined" },
  repaid: { "zh-CN": "已还款", en: "Repaid" },
};

/** Newest first (finance_financings_recent; an institution's by its (institution_code, status) index). */
const FINANCING_ORDER: ListOrder = { name: "finance.financing", keys: [{ column: "created_at", kind: "timestamp" }, { column: "id", kind: "uuid" }], direction: "desc" };
/** `q`: the contract's name and purchaser, normalised (migration 20261208100000_list_search). */
const FINANCING_SEARCH: SearchColumn = { column: "search", bigrams: "finance_bigrams(search)", trigram: true };

type FinancingParams = ListQueryParams & { status?: unknown };

/**
 * A supplier's applications or an institution's, filtered as the query string says: the list and
 * its export read the same rows. 400 naming every bad parameter.
 */
async function filteredFinancing(db: Knex, ctx: PlatformContext<FinancingParams>, problems: ErrorDetail[] = []) {
  const u = ctx.meta.user!;
  const status = oneOfParam("status", ctx.params.status, Object.keys(STATUS_TITLES) as Row["status"][], problems);
  const req = listParams(ctx.params, FINANCING_ORDER, { pageSize: 50, maxPageSize: 200 }, problems);
  const q = db<Row>("finance_financings");
  if (isInstitution(u)) q.where({ institution_code: (await myInstitution(db, ctx)).code });
  else q.where({ supplier_code: supplierOnly(u) });
  if (status) q.where({ status });
  whereContains(q, FINANCING_SEARCH, req.terms);
  return { query: q, req, institution: isInstitution(u) };
}

type FinancingView = ReturnType<typeof view>;

/** The export's columns: the application and the decision, never the applicant's credit summary. */
function exportColumns(lang: "zh-CN" | "en"): ExportColumn<FinancingView>[] {
  return [
    { title: { "zh-CN": "申请时间", en: "Applied" }, value: (f) => f.createdAt, width: 26 },
    { title: { "zh-CN": "合同", en: "Contract" }, value: (f) => f.contract.name, width: 36 },
    { title: { "zh-CN": "采购单位", en: "Purchasing unit" }, value: (f) => f.contract.unitName, width: 28 },
    { title: { "zh-CN": "供应商", en: "Supplier" }, value: (f) => f.contract.supplierName, width: 28 },
    { title: { "zh-CN": "合同金额（元）", en: "Contract (CNY)" }, value: (f) => f.contract.amount, width: 16 },
    { title: { "zh-CN": "金融机构", en: "Institution" }, value: (f) => f.institutionName ?? f.institutionCode, width: 24 },
    { title: { "zh-CN": "申请金额（元）", en: "Requested (CNY)" }, value: (f) => f.requestedAmount, width: 16 },
    { title: { "zh-CN": "申请期限（天）", en: "Requested days" }, value: (f) => f.requestedDays, width: 12 },
    { title: { "zh-CN": "状态", en: "Status" }, value: (f) => STATUS_TITLES[f.status][lang], width: 10 },
    { title: { "zh-CN": "批准金额（元）", en: "Approved (CNY)" }, value: (f) => f.approvedAmount, width: 16 },
    { title: { "zh-CN": "到期日", en: "Due on" }, value: (f) => f.dueOn, width: 12 },
    { title: { "zh-CN": "拒绝理由", en: "Reason declined" }, value: (f) => f.declineReason, width: 28 },
  ];
}

/**
 * What the institution reads of the applicant's credit, by the consent the application records: credit's
 * summary (plugins/credit/api.ts), never the file; none where credit is not installed.
 */
async function creditSummaryOf(svc: This, ctx: PlatformContext, r: Row): Promise<CreditSummary | null> {
  if (!svc.extensions.get("credit")) return null;
  return ctx.call<CreditSummary, { code: string; consentAt: string }>("credit.files.summary", { code: r.supplier_code, consentAt: iso(r.consent_at)! });
}

/** A loan's last day is the contract's: the term in calendar days from approval, not moved off holidays as a statutory period is. */
const dueOn = (from: string, days: number) => new Date(Date.parse(`${from}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

const isDays = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_DAYS;

async function own(db: Knex | Knex.Transaction, ctx: PlatformContext<{ id: string }>, lock = false): Promise<Row> {
  const u = ctx.meta.user!;
  const id = idOf(ctx.params.id);
  const q = db<Row>("finance_financings").where({ id: id ?? "" });
  const r = id ? await (lock ? q.forUpdate() : q).first() : undefined;
  const party = r && ((u.roles.includes("supplier") && u.unitCode === r.supplier_code) || (isInstitution(u) && u.unitCode === r.institution_code));
  if (!r || !party) throw notFound(FINANCING);
  return r;
}

export const financingService: PlatformServiceSchema = {
  name: "finance.financing",
  actions: {
    /** POST /api/finance/financing { projectId, institutionCode, amount, days, consent: true }: the winning supplier applies against its filed contract. */
    apply: {
      kind: "create",
      permission: "authenticated",
      rest: "POST /financing",
      params: { $$strict: false },
      async handler(this: This, ctx: PlatformContext<Record<string, unknown>>) {
        const supplier = supplierOnly(ctx.meta.user!);
        const p = ctx.params;
        const problems = [];
        if (!isAmount(p.amount)) problems.push(fieldError("/amount", "money", "融资金额应为元，至多两位小数", "The amount is yuan with at most two decimals"));
        if (!isDays(p.days)) problems.push(fieldError("/days", "range", `融资期限为 1 至 ${MAX_DAYS} 天`, `The term is 1 to ${MAX_DAYS} days`));
        if (p.consent !== true) problems.push(fieldError("/consent", "consent", "须同意金融机构查询信用信息摘要", "Consent to the institution reading the credit summary"));
        if (problems.length) throw validationFailed(problems);
        const project = await wonContract(ctx, p.projectId, supplier, "finance.smeGuaranteeAndFinancing");
        const unpaid = toMoney(sumMoney([project.contractAmount, `-${toMoney(project.paidTotal ?? "0")}`]));
        if (compareMoney(p.amount as string, unpaid) > 0) throw validationFailed([fieldError("/amount", "maximum", `不得超过合同未付金额 ${unpaid} 元`, `may not exceed the contract's unpaid ${unpaid} yuan`)]);
        const inst = typeof p.institutionCode === "string" ? await institutionOf(this.db, p.institutionCode) : undefined;
        if (!inst || !covers(inst.regions, project.tenantCode)) throw validationFailed([fieldError("/institutionCode", "admitted", "请选择在合同所在地区准入的金融机构", "Choose an institution admitted in the contract's region")]);
        const now = platformNow();
        const row: Row = {
          id: randomUUID(), project_id: project.id, tenant_code: project.tenantCode, supplier_code: supplier, institution_code: inst.code,
          contract: { name: project.name, unitName: project.unitName, supplierName: project.supplier.name, sme: project.supplier.sme, amount: project.contractAmount, signedOn: project.signedOn, filedOn: project.contractFiledOn, paidTotal: project.paidTotal },
          requested_amount: toMoney(p.amount as string), requested_days: p.days as number, consent_at: now, consent_text: CONSENT, status: "pending",
          approved_amount: null, approved_days: null, due_on: null, collection_account: null, decline_reason: null, created_at: now, decided_at: null, repaid_at: null,
        };
        return this.db.transaction(async (trx) => {
          const open = await trx("finance_financings").where({ project_id: project.id }).whereIn("status", ["pending", "approved"]).forUpdate().first();
          if (open) throw conflict({ "zh-CN": "该合同已有待审或未结清的融资", en: "This contract has a pending or unpaid financing already" }, { id: open.id });
          await trx("finance_financings").insert({ ...row, contract: JSON.stringify(row.contract) });
          await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: row.tenant_code, action: "finance.financing.apply", object: row.id, after: { project: row.project_id, institution: inst.code, amount: row.requested_amount, consentAt: now.toISOString() } });
          ctx.meta.$statusCode = 201;
          return view(row, inst);
        });
      },
    },

    /** GET /api/finance/financing?status=&q=&page=&pageSize=&cursor=: a supplier's applications; an institution's. Newest first. */
    list: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /financing",
      async handler(this: This, ctx: PlatformContext<FinancingParams>) {
        const { query, req, institution } = await filteredFinancing(this.db, ctx);
        const { rows, nextCursor, total, totalIsEstimate } = await listPage<Row>(this.db, query, FINANCING_ORDER, req);
        const insts = await institutionsByCode(this.db, rows.map((r) => r.institution_code));
        const items = [];
        // an institution's application still to decide shows the applicant's credit summary, by its consent
        for (const r of rows) items.push(institution ? { ...view(r, insts.get(r.institution_code)), creditSummary: r.status === "pending" ? await creditSummaryOf(this, ctx, r) : null } : view(r, insts.get(r.institution_code)));
        return { items, total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
      },
    },

    /** GET /api/finance/financing/export?format=csv|xlsx&lang=: the same applications with the same filters, as a file. */
    export: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /financing/export",
      async handler(this: This, ctx: PlatformContext<FinancingParams>) {
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const { query } = await filteredFinancing(this.db, ctx, problems);
        const lang = exportLang(ctx.params.lang);
        const insts = await institutionsByCode(this.db);
        return exportList<Row>(ctx, {
          db: this.db,
          query,
          order: FINANCING_ORDER,
          columns: exportColumns(lang).map((c) => ({ ...c, value: (row: Row) => c.value(view(row, insts.get(row.institution_code))) })),
          format,
          lang,
          filename: lang === "en" ? "contract-financing" : "合同融资",
          sheet: { "zh-CN": "合同融资", en: "Contract financing" },
        });
      },
    },

    /** GET /api/finance/financing/dashboard: an institution's applications by state and its exposure (approved, not repaid). */
    dashboard: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /financing/dashboard",
      async handler(this: This, ctx: PlatformContext) {
        const inst = await myInstitution(this.db, ctx);
        const rows = await this.db<Row>("finance_financings").where({ institution_code: inst.code });
        const byStatus = { pending: 0, approved: 0, declined: 0, repaid: 0 };
        for (const r of rows) byStatus[r.status]++;
        const live = rows.filter((r) => r.status === "approved");
        const guarantees = await this.db("finance_guarantees").where({ institution_code: inst.code }).whereIn("status", ["issued", "claimed"]).select("amount");
        return {
          institution: inst.code, applications: byStatus,
          exposure: { financing: toMoney(sumMoney(live.map((r) => toMoney(r.approved_amount!)))), guarantees: toMoney(sumMoney(guarantees.map((g) => toMoney(g.amount)))) },
          overdue: live.filter((r) => r.due_on && r.due_on < localDate(platformNow())).length,
        };
      },
    },

    /** POST /api/finance/financing/:id/decision { approve, amount?, days?, reason? }: the institution approves an amount and term (locking the payments) or declines. */
    decide: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /financing/:id/decision",
      params: { $$strict: false },
      async handler(this: This, ctx: PlatformContext<{ id: string; approve?: unknown; amount?: unknown; days?: unknown; reason?: unknown }>) {
        const inst = await myInstitution(this.db, ctx);
        // another institution's application is not found, before anything is said about the input
        await own(this.db, ctx as PlatformContext<{ id: string }>);
        const p = ctx.params;
        if (typeof p.approve !== "boolean") throw validationFailed([fieldError("/approve", "type", "请选择批准或拒绝", "Choose to approve or decline")]);
        const reason = typeof p.reason === "string" ? p.reason.trim().slice(0, 500) : "";
        const problems = [];
        if (p.approve) {
          if (!isAmount(p.amount)) problems.push(fieldError("/amount", "money", "请填写批准金额", "Give the approved amount"));
          if (!isDays(p.days)) problems.push(fieldError("/days", "range", `融资期限为 1 至 ${MAX_DAYS} 天`, `The term is 1 to ${MAX_DAYS} days`));
          if (!inst.collection_account) problems.push(fieldError("/collectionAccount", "required", "本机构尚未登记回款账户", "This institution has no collection account registered"));
        } else if (!reason) problems.push(fieldError("/reason", "required", "拒绝时请说明理由", "Give the reason for declining"));
        if (problems.length) throw validationFailed(problems);
        const now = platformNow();
        return this.db.transaction(async (trx) => {
          const r = await own(trx, ctx as PlatformContext<{ id: string }>, true);
          assertAdmitted(inst, r.tenant_code);
          if (r.status !== "pending") throw conflict({ "zh-CN": "该申请已处理", en: "This application is decided already" }, { status: r.status });
          if (p.approve && compareMoney(p.amount as string, r.requested_amount) > 0) throw validationFailed([fieldError("/amount", "maximum", `不得超过申请金额 ${toMoney(r.requested_amount)} 元`, `may not exceed the ${toMoney(r.requested_amount)} yuan applied for`)]);
          const patch: Partial<Row> = p.approve
            ? { status: "approved", approved_amount: toMoney(p.amount as string), approved_days: p.days as number, due_on: dueOn(localDate(now), p.days as number), collection_account: inst.collection_account, decided_at: now }
            : { status: "declined", decline_reason: reason, decided_at: now };
          await trx("finance_financings").where({ id: r.id }).update(patch);
          await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: r.tenant_code, action: p.approve ? "finance.financing.approve" : "finance.financing.decline", object: r.id, after: patch as Record<string, unknown> });
          return view({ ...r, ...patch } as Row, inst);
        });
      },
    },

    /** POST /api/finance/financing/:id/repaid: the institution records the loan repaid, which releases the payment lock. */
    repaid: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /financing/:id/repaid",
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const inst = await myInstitution(this.db, ctx);
        return this.db.transaction(async (trx) => {
          const r = await own(trx, ctx, true);
          if (!isInstitution(ctx.meta.user!)) throw new PlatformError("FORBIDDEN", { "zh-CN": "由放款机构登记结清", en: "The lender records the repayment" });
          if (r.status !== "approved") throw conflict({ "zh-CN": "仅已批准的融资可登记结清", en: "Only an approved financing can be repaid" }, { status: r.status });
          const patch: Partial<Row> = { status: "repaid", repaid_at: platformNow() };
          await trx("finance_financings").where({ id: r.id }).update(patch);
          await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: r.tenant_code, action: "finance.financing.repaid", object: r.id, after: { status: "repaid" } });
          return view({ ...r, ...patch } as Row, inst);
        });
      },
    },

    /** supervision.payment-locks: an approved, unpaid financing locks the contract's payments to the lender's collection account. */
    locks: implement(paymentLocks, "locks", {
      kind: "read",
      permission: "authenticated",
      async handler(ctx): Promise<{ locks: PaymentLock[] }> {
        const rows = await this.db<Row>("finance_financings").where({ project_id: ctx.params.projectId, status: "approved" });
        const locks: PaymentLock[] = [];
        for (const r of rows) {
          const inst = await institutionOf(this.db, r.institution_code);
          locks.push({
            rule: "finance.smeGuaranteeAndFinancing", holder: inst?.name ?? r.institution_code, account: r.collection_account!, amount: toMoney(r.approved_amount!), until: r.due_on,
            message: { "zh-CN": `本合同已办理政府采购合同融资，合同款项须支付至 ${inst?.name ?? ""} 回款账户 ${r.collection_account}，直至融资结清`, en: `This contract is financed: its payments go to ${inst?.name ?? ""}'s collection account ${r.collection_account} until the loan is repaid` },
            reference: { financing: r.id },
          });
        }
        return { locks };
      },
    }),
  },
};
