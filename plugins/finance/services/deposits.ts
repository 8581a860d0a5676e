import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import type { Service } from "moleculer";
import {
  oneOfParam, actorOf, conflict, daysBetween, enqueue, type ErrorDetail, type ExportColumn, exportFormatParam, exportLang, exportList, fieldError, isDate, listPage, listParams,
  type ListOrder, localDate, money, notFound, onceHandler, type PlatformContext, type PlatformServiceSchema, periodEnd, platformNow, PlatformError, type PluginServiceThis,
  type SearchColumn, single, tenantTree, toMoney, validationFailed, whereContains, writeAudit,
} from "../../../core/sdk";
import type { CreditFactEvent } from "../../credit/api";
import type { RefundClockEvent } from "../api";
import { beforeDeadline, DEPOSIT, idOf, iso, isRegulator, type ListQueryParams, RULE, securityAmount, supplierOnly, tenderOf } from "./shared";

/**
 * Deposits (保证金): paid in a non-cash form the supplier chooses (deposit.nonCashAndGuarantee), at most
 * deposit.max of the budget, confirmed by the agency; each refund runs on its clock from the event that
 * starts it (a withdrawal, the award notice, the contract), counted in working days on the platform's
 * calendar; a refund past its day carries the interest deposit.lateRefundInterest says, and is a red
 * item for the agency and the regulator until it is made.
 */

const FORMS = {
  cheque: { "zh-CN": "支票", en: "cheque" },
  draft: { "zh-CN": "汇票", en: "bank draft" },
  "promissory-note": { "zh-CN": "本票", en: "promissory note" },
} as const;

/** Which event starts which refund clock. */
const CLOCKS = {
  "deposit.refund.onWithdrawal": { "zh-CN": "投标截止前撤回投标", en: "bid withdrawn before the deadline" },
  "deposit.refund.losers": { "zh-CN": "中标（成交）通知书发出（未中标供应商）", en: "award notice sent (a losing bidder)" },
  "deposit.refund.winner": { "zh-CN": "政府采购合同签订（中标供应商）", en: "contract signed (the winner)" },
} as const;
type ClockRule = keyof typeof CLOCKS;

/**
 * The People's Bank of China's one-year benchmark lending rate, 4.35 % a year since 2015-10-24 (the last
 * change before the LPR took over as the market's reference); deposit.lateRefundInterest marks it up.
 */
export const PBOC_BENCHMARK_RATE_PERCENT = "4.35";

interface DepositRow {
  id: string;
  tender_id: string;
  tenant_code: string;
  title: string;
  agency_code: string | null;
  unit: string | null;
  supplier_code: string;
  amount: string;
  form: keyof typeof FORMS;
  reference: string;
  status: "declared" | "confirmed" | "refunded";
  declared_at: Date;
  confirmed_at: Date | null;
  refund_rule: ClockRule | null;
  refund_from: string | null;
  refund_due: string | null;
  refunded_on: string | null;
  late_interest: string | null;
}

const dayText = (d: unknown) => (d ? (typeof d === "string" ? d.slice(0, 10) : localDate(d as Date)) : null);

/** Interest owed for a refund made (or still unmade) on `on` past its due day: principal × rate × (1 + markup) × days / 365. */
export function lateInterest(amount: string, due: string, on: string): { days: number; interest: string } {
  const days = daysBetween(due, on, "calendar-days");
  // percent × percent: the benchmark (4.35) times 100 + the markup (120), over 100 × 100
  const yearly = money(amount).times(PBOC_BENCHMARK_RATE_PERCENT).times(100 + RULE["deposit.lateRefundInterest"].value).dividedBy(10_000);
  return { days, interest: toMoney(yearly.times(days).dividedBy(365).toDecimalPlaces(2, 1)) };
}

function view(d: DepositRow, today: string) {
  const due = dayText(d.refund_due);
  const refunded = dayText(d.refunded_on);
  const late = due ? lateInterest(toMoney(d.amount), due, refunded ?? today) : { days: 0, interest: "0.00" };
  return {
    id: d.id, tenderId: d.tender_id, tenantCode: d.tenant_code, title: d.title, supplierCode: d.supplier_code, amount: toMoney(d.amount),
    form: d.form, formTitle: FORMS[d.form], reference: d.reference, status: d.status, declaredAt: iso(d.declared_at), confirmedAt: iso(d.confirmed_at),
    refund: d.refund_rule ? { rule: d.refund_rule, ruleTitle: CLOCKS[d.refund_rule], from: dayText(d.refund_from), due, refundedOn: refunded } : null,
    overdue: !!due && late.days > 0,
    overdueDays: late.days,
    interest: d.late_interest ? toMoney(d.late_interest) : late.interest,
    interestRule: "deposit.lateRefundInterest",
  };
}

type This = PluginServiceThis;

const STATUS_TITLES: Record<DepositRow["status"], { "zh-CN": string; en: string }> = {
  declared: { "zh-CN": "待确认", en: "Declared" },
  confirmed: { "zh-CN": "已确认", en: "Confirmed" },
  refunded: { "zh-CN": "已退还", en: "Refunded" },
};

/** Newest first (finance_deposits_recent; a supplier's own by finance_deposits_supplier_recent). */
const DEPOSIT_ORDER: ListOrder = { name: "finance.deposits", keys: [{ column: "declared_at", kind: "timestamp" }, { column: "id", kind: "uuid" }], direction: "desc" };
/** `q`: the tender's title and the deposit's reference, normalised (migration 20261208100000_list_search). */
const DEPOSIT_SEARCH: SearchColumn = { column: "search", bigrams: "finance_bigrams(search)", trigram: true };

type DepositParams = ListQueryParams & { tenderId?: unknown; status?: unknown };

/**
 * The deposits the caller may read (a supplier's own; a regulator's region's; an agency's or a
 * purchaser's tenders', or one tender of theirs as e-trading says), filtered as the query string
 * says: the list and its export read the same rows. 400 naming every bad parameter.
 */
async function filteredDeposits(db: Knex, ctx: PlatformContext<DepositParams>, problems: ErrorDetail[] = []) {
  const u = ctx.meta.user!;
  const rawTender = single(ctx.params.tenderId);
  const tenderId = rawTender ? idOf(rawTender) : null;
  if (rawTender === null || (rawTender && !tenderId)) problems.push(fieldError("/tenderId", "uuid", "采购项目编号无效", "not a tender's id"));
  const status = oneOfParam("status", ctx.params.status, Object.keys(STATUS_TITLES) as DepositRow["status"][], problems);
  const req = listParams(ctx.params, DEPOSIT_ORDER, { pageSize: 50, maxPageSize: 200 }, problems);
  const q = db<DepositRow>("finance_deposits");
  if (tenderId) q.where({ tender_id: tenderId });
  if (u.roles.includes("supplier")) q.where({ supplier_code: supplierOnly(u) });
  else if (isRegulator(u)) q.whereIn("tenant_code", tenantTree().subtree(u.tenantCode));
  else if (tenderId && (u.roles.includes("agency") || u.roles.includes("purchaser"))) {
    const t = await tenderOf(ctx, tenderId);
    if (!t.mine) throw notFound({ "zh-CN": "采购项目", en: "tender" });
  } else if (u.roles.includes("agency") && u.unitCode) q.where({ agency_code: u.unitCode });
  else if (u.roles.includes("purchaser") && u.unitCode) q.where({ unit: u.unitCode });
  else throw new PlatformError("FORBIDDEN", { "zh-CN": "无权查看保证金", en: "You may not read deposits" });
  if (status) q.where({ status });
  whereContains(q, DEPOSIT_SEARCH, req.terms);
  return { query: q, req };
}

type DepositView = ReturnType<typeof view>;

/** The export's columns: what the deposits page shows, with the refund's clock and any interest owed. */
function exportColumns(lang: "zh-CN" | "en"): ExportColumn<DepositView>[] {
  return [
    { title: { "zh-CN": "提交时间", en: "Declared" }, value: (d) => d.declaredAt, width: 26 },
    { title: { "zh-CN": "采购项目", en: "Tender" }, value: (d) => d.title, width: 36 },
    { title: { "zh-CN": "区划代码", en: "Division code" }, value: (d) => d.tenantCode, width: 10 },
    { title: { "zh-CN": "供应商", en: "Supplier" }, value: (d) => d.supplierCode, width: 22 },
    { title: { "zh-CN": "金额（元）", en: "Amount (CNY)" }, value: (d) => d.amount, width: 16 },
    { title: { "zh-CN": "形式", en: "Form" }, value: (d) => d.formTitle[lang], width: 10 },
    { title: { "zh-CN": "票据号", en: "Reference" }, value: (d) => d.reference, width: 18 },
    { title: { "zh-CN": "状态", en: "Status" }, value: (d) => STATUS_TITLES[d.status][lang], width: 10 },
    { title: { "zh-CN": "退还起算事由", en: "Refund clock" }, value: (d) => d.refund?.ruleTitle[lang] ?? null, width: 30 },
    { title: { "zh-CN": "应退还日期", en: "Refund due" }, value: (d) => d.refund?.due ?? null, width: 12 },
    { title: { "zh-CN": "退还日期", en: "Refunded on" }, value: (d) => d.refund?.refundedOn ?? null, width: 12 },
    { title: { "zh-CN": "逾期天数", en: "Days late" }, value: (d) => d.overdueDays, width: 10 },
    { title: { "zh-CN": "逾期利息（元）", en: "Interest (CNY)" }, value: (d) => d.interest, width: 14 },
  ];
}

/** The deposit, for the agency (or purchaser) that runs its tender as e-trading says: anyone else is told there is none. */
async function runDeposit(svc: This, ctx: PlatformContext<{ id: string }>): Promise<DepositRow> {
  const id = idOf(ctx.params.id);
  const d = id ? await svc.db<DepositRow>("finance_deposits").where({ id }).first() : undefined;
  if (!d) throw notFound(DEPOSIT);
  const t = await tenderOf(ctx, d.tender_id).catch(() => null);
  if (!t?.mine) throw notFound(DEPOSIT);
  return d;
}

async function update(svc: This, ctx: PlatformContext, d: DepositRow, patch: Partial<DepositRow>, action: string, also?: (trx: Knex.Transaction) => Promise<void>) {
  return svc.db.transaction(async (trx: Knex.Transaction) => {
    await trx("finance_deposits").where({ id: d.id }).update(patch);
    await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: d.tenant_code, action, object: d.id, after: patch as Record<string, unknown> });
    await also?.(trx);
    return view({ ...d, ...patch }, localDate(platformNow()));
  });
}

/** The refund is due the rule's working days after `from`. */
const dueAfter = (rule: ClockRule, from: string) => periodEnd(from, RULE[rule].value, RULE[rule].unit as "working-days");

/**
 * A refund made after its day is a fact in the credit file of whoever held the deposit (the agency, or the
 * purchaser running the tender itself): "deposits not refunded" of issue 20, with the days and the interest.
 */
async function lateRefundFact(trx: Knex.Transaction, d: DepositRow, on: string, days: number, interest: string) {
  const holder = d.agency_code ? { code: d.agency_code, kind: "agency" as const } : d.unit ? { code: d.unit, kind: "purchaser" as const } : null;
  if (!holder || days <= 0) return;
  const fact: CreditFactEvent = {
    subjectCode: holder.code, subjectKind: holder.kind, kind: "late-deposit-refund", rule: d.refund_rule ?? undefined,
    title: { "zh-CN": `${d.title}：投标保证金逾期 ${days} 日退还，应付利息 ${interest} 元`, en: `${d.title}: a bid deposit refunded ${days} days late, interest owed ${interest} CNY` },
    reference: d.id, occurredOn: on, appealState: "none", tenantCode: d.tenant_code,
  };
  await enqueue(trx, { event: "credit.fact", key: `finance:${d.id}:late-refund`, payload: fact });
}

export const depositsService: PlatformServiceSchema = {
  name: "finance.deposits",
  events: {
    /**
     * What starts a refund clock happened (plugins/finance/api.ts): each named supplier's confirmed deposit
     * on the tender that has no clock yet gets this one, once per event.
     */
    "finance.refundClock": onceHandler<RefundClockEvent>("finance.deposits", (svc) => (svc as unknown as This).db, async function (this: Service, ctx, trx) {
      const e = ctx.params.data as RefundClockEvent;
      if (!e || !idOf(e.tenderId) || !(e.rule in CLOCKS) || typeof e.from !== "string" || !isDate(e.from) || !Array.isArray(e.supplierCodes)) {
        this.logger.warn(`finance.refundClock ${ctx.params.eventId} ignored: no tender, rule, day or suppliers`);
        return;
      }
      const started = await trx<DepositRow>("finance_deposits")
        .where({ tender_id: e.tenderId, status: "confirmed" }).whereNull("refund_rule").whereIn("supplier_code", e.supplierCodes)
        .update({ refund_rule: e.rule, refund_from: e.from, refund_due: dueAfter(e.rule, e.from) }).returning(["id", "tenant_code"]);
      for (const d of started as Array<{ id: string; tenant_code: string }>) {
        await writeAudit(trx, { actor: { system: "finance.refundClock" }, tenantCode: d.tenant_code, action: "finance.deposit.clock", object: d.id, after: { rule: e.rule, from: e.from } });
      }
    }),
  },
  actions: {
    /** POST /api/finance/deposits { tenderId, form, reference, amount? }: the supplier declares its deposit, in a non-cash form it chooses. */
    declare: {
      kind: "create",
      permission: "authenticated",
      rest: "POST /deposits",
      params: { tenderId: { type: "any", optional: true }, form: { type: "any", optional: true }, reference: { type: "any", optional: true }, amount: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ tenderId?: unknown; form?: unknown; reference?: unknown; amount?: unknown }>) {
        const supplier = supplierOnly(ctx.meta.user!);
        const problems = [];
        if (typeof ctx.params.form !== "string" || !(ctx.params.form in FORMS)) {
          problems.push(fieldError("/form", "deposit.nonCashAndGuarantee", "保证金应以支票、汇票、本票或保函等非现金形式提交", "A deposit is non-cash: a cheque, a bank draft, a promissory note or a guarantee letter"));
        }
        if (typeof ctx.params.reference !== "string" || !/^[A-Za-z0-9-]{4,40}$/.test(ctx.params.reference.trim())) problems.push(fieldError("/reference", "pattern", "请填写票据号码（4 至 40 位字母数字）", "Give the instrument's number (4 to 40 letters and digits)"));
        if (problems.length) throw validationFailed(problems);
        const t = await tenderOf(ctx, ctx.params.tenderId);
        const amount = securityAmount(t, ctx.params.amount, DEPOSIT);
        if (!t.registered) throw conflict({ "zh-CN": "请先获取采购文件", en: "Obtain the documents first" }, { rule: "registered" });
        const now = platformNow();
        beforeDeadline(t, now);
        const row: DepositRow = {
          id: randomUUID(), tender_id: t.id, tenant_code: t.tenantCode, title: t.title, agency_code: null, unit: null, supplier_code: supplier, amount, form: ctx.params.form as DepositRow["form"],
          reference: (ctx.params.reference as string).trim(), status: "declared", declared_at: now, confirmed_at: null, refund_rule: null, refund_from: null, refund_due: null, refunded_on: null, late_interest: null,
        };
        return this.db.transaction(async (trx) => {
          const made = await trx("finance_deposits").insert(row).onConflict(["tender_id", "supplier_code"]).ignore().returning("id");
          if (!made.length) throw conflict({ "zh-CN": "本项目的保证金已登记", en: "A deposit for this tender is declared already" });
          await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: t.tenantCode, action: "finance.deposit.declare", object: row.id, after: { tender: t.id, amount, form: row.form } });
          ctx.meta.$statusCode = 201;
          return view(row, localDate(now));
        });
      },
    },

    /** POST /api/finance/deposits/:id/confirm: the agency running the tender confirms the deposit received. */
    confirm: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /deposits/:id/confirm",
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const d = await runDeposit(this, ctx);
        if (d.status !== "declared") throw conflict({ "zh-CN": "该保证金已确认", en: "This deposit is confirmed already" }, { status: d.status });
        const u = ctx.meta.user!;
        return update(this, ctx, d, { status: "confirmed", confirmed_at: platformNow(), agency_code: u.roles.includes("agency") ? u.unitCode! : null, unit: u.roles.includes("purchaser") ? u.unitCode! : null }, "finance.deposit.confirm");
      },
    },

    /**
     * POST /api/finance/deposits/:id/clock { rule, from }: the event that starts the refund clock happened
     * on `from` (a withdrawal, the award notice, the contract); the refund is due 5 working days later.
     */
    clock: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /deposits/:id/clock",
      params: { id: "string", rule: { type: "any", optional: true }, from: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ id: string; rule?: unknown; from?: unknown }>) {
        const problems = [];
        if (typeof ctx.params.rule !== "string" || !(ctx.params.rule in CLOCKS)) problems.push(fieldError("/rule", "enum", "请选择退还事由", "Choose what starts the refund"));
        if (typeof ctx.params.from !== "string" || !isDate(ctx.params.from)) problems.push(fieldError("/from", "date", "请填写日期（YYYY-MM-DD）", "Give a date (YYYY-MM-DD)"));
        if (problems.length) throw validationFailed(problems);
        if ((ctx.params.from as string) > localDate(platformNow())) throw validationFailed([fieldError("/from", "past", "日期不能晚于今天", "The day cannot be later than today")]);
        const d = await runDeposit(this, ctx);
        if (d.status !== "confirmed") throw conflict({ "zh-CN": "仅已确认且未退还的保证金可起算退还期限", en: "Only a confirmed deposit not yet refunded has a refund clock" }, { status: d.status });
        const rule = ctx.params.rule as ClockRule;
        return update(this, ctx, d, { refund_rule: rule, refund_from: ctx.params.from as string, refund_due: dueAfter(rule, ctx.params.from as string) }, "finance.deposit.clock");
      },
    },

    /** POST /api/finance/deposits/:id/refund { on }: the deposit went back on `on`; late, it owes the interest counted to that day. */
    refund: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /deposits/:id/refund",
      params: { id: "string", on: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ id: string; on?: unknown }>) {
        const today = localDate(platformNow());
        const on = ctx.params.on === undefined ? today : ctx.params.on;
        if (typeof on !== "string" || !isDate(on) || on > today) throw validationFailed([fieldError("/on", "date", "请填写不晚于今天的退还日期", "Give the day it was refunded, not later than today")]);
        const d = await runDeposit(this, ctx);
        if (d.status !== "confirmed") throw conflict({ "zh-CN": "该保证金不在待退还状态", en: "This deposit is not awaiting a refund" }, { status: d.status });
        const due = dayText(d.refund_due);
        const late = due ? lateInterest(toMoney(d.amount), due, on) : { days: 0, interest: "0.00" };
        return update(this, ctx, d, { status: "refunded", refunded_on: on, late_interest: late.interest }, "finance.deposit.refund", (trx) => lateRefundFact(trx, d, on, late.days, late.interest));
      },
    },

    /**
     * GET /api/finance/deposits?tenderId=&status=&q=&page=&pageSize=&cursor=: a supplier's own; the agency's or purchaser's
     * for a tender it runs; a regulator's region's. Newest first.
     */
    list: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /deposits",
      async handler(this: This, ctx: PlatformContext<DepositParams>) {
        const { query, req } = await filteredDeposits(this.db, ctx);
        const { rows, nextCursor, total, totalIsEstimate } = await listPage<DepositRow>(this.db, query, DEPOSIT_ORDER, req);
        const today = localDate(platformNow());
        return { items: rows.map((d) => view(d, today)), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
      },
    },

    /** GET /api/finance/deposits/export?format=csv|xlsx&lang=: the same deposits with the same filters, as a file. */
    export: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /deposits/export",
      async handler(this: This, ctx: PlatformContext<DepositParams>) {
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const { query } = await filteredDeposits(this.db, ctx, problems);
        const lang = exportLang(ctx.params.lang);
        const today = localDate(platformNow());
        return exportList<DepositRow>(ctx, {
          db: this.db,
          query,
          order: DEPOSIT_ORDER,
          columns: exportColumns(lang).map((c) => ({ ...c, value: (row: DepositRow) => c.value(view(row, today)) })),
          format,
          lang,
          filename: lang === "en" ? "deposits" : "投标保证金",
          sheet: { "zh-CN": "投标保证金", en: "Deposits" },
        });
      },
    },

    /**
     * GET /api/finance/deposits/overdue: the refunds past their day and not made, with the interest owed
     * so far: the agency's own red items, a regulator's region's.
     */
    overdue: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /deposits/overdue",
      async handler(this: This, ctx: PlatformContext) {
        const u = ctx.meta.user!;
        const today = localDate(platformNow());
        const q = this.db<DepositRow>("finance_deposits").where({ status: "confirmed" }).where("refund_due", "<", today).orderBy("refund_due");
        if (isRegulator(u)) q.whereIn("tenant_code", tenantTree().subtree(u.tenantCode));
        else if (u.roles.includes("agency") && u.unitCode) q.where({ agency_code: u.unitCode });
        else if (u.roles.includes("purchaser") && u.unitCode) q.where({ unit: u.unitCode });
        else throw new PlatformError("FORBIDDEN", { "zh-CN": "仅代理机构、采购人和监管部门可查看", en: "For agencies, purchasers and regulators" });
        const items = (await q).map((d) => view(d, today));
        return { items, rule: "deposit.lateRefundInterest", benchmarkRatePercent: PBOC_BENCHMARK_RATE_PERCENT, markupPercent: RULE["deposit.lateRefundInterest"].value };
      },
    },
  },
};
