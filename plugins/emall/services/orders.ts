import type { Knex } from "knex";
import {
  oneOfParam, allows, conflict, type ErrorDetail, type ExportColumn, exportFormatParam, exportLang, exportList, fieldError, forbidden, isUuid, listPage, listParams, type ListOrder,
  localDate, money, notFound, periodEnd, type PlatformContext, type PlatformServiceSchema, implement, type PluginServiceThis, prepared, type PrepareContext,
  type SearchColumn, type SessionUser, type StepContext, toMoney, validationFailed, whereContains, type WorkflowHooks,
} from "../../../core/sdk";
import RULES from "../statutory-rules.json";
import { type ContractRecord, contractRecords } from "../../supervision/api";

/** payment.invoice30days: the purchaser pays within 30 days of the invoice, which comes with the acceptance here */
const PAY_WITHIN = RULES.rules["payment.invoice30days"].value;
const CONFIRM_DAYS = RULES.settings.confirmWithinDays.value;

/**
 * emall.scope: the e-mall is for purchases below the public-tender threshold (Guangdong's, in the rule's
 * `publicTenderThresholdCNY`); a purchase at or above it is a public tender, refused here with the figure.
 */
export function withinMallScope(amount: string, path: string): ErrorDetail | null {
  const threshold = RULES.rules["emall.scope"].publicTenderThresholdCNY;
  if (money(amount).lessThan(threshold)) return null;
  const yuan = threshold.toLocaleString("en-US");
  return fieldError(path, "emall.scope", `${amount} 元达到公开招标数额标准（${yuan} 元），应依法公开招标，不能在电子卖场采购`, `${amount} yuan reaches the public-tender threshold (${yuan} yuan): it is publicly tendered, not bought on the e-mall`);
}
const DAY = 86_400_000;
const ORDER = { "zh-CN": "订单", en: "order" };
/** orders that hold budget: every one not lapsed or cancelled */
const HOLDING = ["placed", "confirmed", "accepted", "paid"];

export interface OrderRow {
  id: string; tenant_code: string; unit_code: string; unit_name: string; project_id: string; plan_line: number; supplier_code: string; supplier_name: string;
  total: string; lines: OrderLine[]; status: string; confirm_by: Date; confirmed_on: string | null; accepted_on: string | null; payment_due: string | null;
  paid_on: string | null; paid_late: boolean; kind: string; created_at: Date; updated_at: Date;
}
interface OrderLine { offerId: string | null; productId: string; productName: string; brand: string; model: string; quantity: number; unitPrice: string; amount: string }

interface PlanItem { category: string; name: string; amount: string }
export interface ProjectView { id: string; tenantCode: string; unitName: string; stage: string; channel: string | null; method: string | null; stages: Array<{ stage: string; data: { items?: PlanItem[] } }> }
export interface OfferForOrder {
  id: string; productId: string; productName: string; model: string; brand: string; price: string; stock: number; regions: string[]; status: string;
  supplier: { code: string; name: string }; mayTrade: boolean; lapsedLicences: Array<{ kind: string; number: string; expiresOn: string }>;
}

/** The plan's lines, from the project as supervision shows it to the caller. */
export const planItems = (project: ProjectView): PlanItem[] => project.stages.find((s) => s.stage === "plan")?.data.items ?? [];

/** What the orders of a plan line hold, in the step's transaction, the line locked against concurrent orders. */
export async function spentOn(trx: Knex.Transaction, projectId: string, line: number): Promise<string> {
  // one lock per plan line: two orders at once cannot both fit the same remainder
  await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`emall.plan-line:${projectId}:${line}`]);
  const row = await trx("emall_orders").where({ project_id: projectId, plan_line: line }).whereIn("status", HOLDING).sum({ s: "total" }).first();
  return toMoney(row?.s ?? "0");
}

async function gather(step: PrepareContext) {
  if (!step.call) throw new Error("an order is started by a user");
  const project = await step.call<ProjectView>("supervision.get", { id: step.result.projectId }).catch((err) => {
    if ((err as { type?: string }).type !== "NOT_FOUND") throw err;
    throw validationFailed([fieldError("/projectId", "project", "没有这个采购项目，或您无权查看", "No such procurement project, or not yours to see")]);
  });
  const lines = step.result.lines as Array<{ offerId: string; quantity: number }>;
  const { items } = await step.call<{ items: OfferForOrder[] }>("commodities.forOrder", { ids: lines.map((l) => l.offerId) });
  return { project, offers: new Map(items.map((o) => [o.id, o])) };
}

/** Whose an order is and what it takes from stock, from its instance's data (a direct order's items, an award's winner). */
function orderedFrom(data: Record<string, unknown>): { supplierCode: string | undefined; lines: Array<{ offerId: string; quantity: number }> } {
  const items = (data.items ?? []) as OrderLine[];
  const winner = data.winner as { supplierCode: string; offerId?: string; quantity?: number } | undefined;
  if (winner) return { supplierCode: winner.supplierCode, lines: winner.offerId ? [{ offerId: winner.offerId, quantity: Number(winner.quantity) }] : [] };
  return { supplierCode: data.supplierCode as string | undefined, lines: items.filter((l) => l.offerId).map((l) => ({ offerId: l.offerId!, quantity: l.quantity })) };
}

async function orderOf(trx: Knex.Transaction, id: string): Promise<OrderRow> {
  const row = await trx<OrderRow>("emall_orders").where({ id }).forUpdate().first();
  if (!row) throw notFound(ORDER);
  return row;
}

async function setStatus(step: StepContext, patch: Partial<OrderRow>) {
  await step.trx("emall_orders").where({ id: step.instanceId }).update({ ...patch, updated_at: step.now });
}

/**
 * The order's rules: a filed plan executed on the e-mall, the line's remaining budget, offers that
 * may be sold today (admitted supplier, licences valid, in stock, delivered to the unit's region), one
 * supplier per order; the supplier confirms its own orders only; acceptance sets the payment term.
 */
export const orderHooks: WorkflowHooks = {
  start: prepared({
    prepare: gather,
    async apply(step, { project, offers }) {
      const user = step.user as SessionUser;
      if (project.stage !== "execution" || project.channel !== "emall") {
        throw validationFailed([fieldError("/projectId", "plan-filed", "该项目的采购计划尚未备案，或未选择电子卖场执行", "The project's plan is not filed, or is not executed on the e-mall")]);
      }
      const planLine = Number(step.result.planLine);
      const item = planItems(project)[planLine];
      if (!item) throw validationFailed([fieldError("/planLine", "plan-line", "计划中没有这一明细行", "The plan has no such line")]);
      const problems: ErrorDetail[] = [];
      const wanted = step.result.lines as Array<{ offerId: string; quantity: number }>;
      const lines: OrderLine[] = [];
      const lapsed: OfferForOrder["lapsedLicences"] = [];
      wanted.forEach((w, i) => {
        const o = offers.get(w.offerId);
        if (!o || (o.status !== "active" && o.mayTrade)) {
          problems.push(fieldError(`/lines/${i}/offerId`, "offer", "该报价不存在或已下架", "This offer does not exist or is withdrawn"));
          return;
        }
        if (!o.mayTrade) lapsed.push(...o.lapsedLicences);
        if (o.stock < w.quantity) problems.push(fieldError(`/lines/${i}/quantity`, "stock", `库存仅 ${o.stock}`, `only ${o.stock} in stock`));
        if (!o.regions.includes(project.tenantCode) && !o.regions.includes(user.tenantCode)) problems.push(fieldError(`/lines/${i}/offerId`, "region", "该报价不向贵单位所在地区供货", "This offer does not deliver to your region"));
        lines.push({ offerId: o.id, productId: o.productId, productName: o.productName, brand: o.brand, model: o.model, quantity: w.quantity, unitPrice: o.price, amount: toMoney(money(o.price).times(w.quantity)) });
      });
      if (new Set(lines.map((l) => offers.get(l.offerId!)!.supplier.code)).size > 1) problems.push(fieldError("/lines", "one-supplier", "一张订单只能向一家供应商订购，请按供应商分开下单", "One order is to one supplier: split the cart by supplier"));
      if (problems.length) throw validationFailed(problems);
      if (lapsed.length) {
        throw conflict({ "zh-CN": "该供应商的资质证照已过期，暂停交易", en: "The supplier's licence has expired: it may not trade until renewed" }, { rule: "licence-expired", lapsed });
      }
      const total = toMoney(lines.reduce((s, l) => s.plus(l.amount), money("0")));
      const scope = withinMallScope(total, "/lines");
      if (scope) throw validationFailed([scope]);
      const spent = await spentOn(step.trx, project.id, planLine);
      const remaining = toMoney(money(toMoney(item.amount)).minus(spent));
      if (money(total).greaterThan(remaining)) {
        throw validationFailed([fieldError("/lines", "plan-line-budget", `订单金额 ${total} 元超过计划明细“${item.name}”的剩余预算 ${remaining} 元`, `The order's ${total} yuan exceeds the remaining ${remaining} yuan of the plan line "${item.name}"`)]);
      }
      const supplier = offers.get(lines[0].offerId!)!.supplier;
      const confirmBy = new Date(step.now.getTime() + CONFIRM_DAYS * DAY);
      await step.trx("emall_orders").insert({
        id: step.instanceId, tenant_code: project.tenantCode, unit_code: user.unitCode, unit_name: project.unitName, project_id: project.id, plan_line: planLine,
        supplier_code: supplier.code, supplier_name: supplier.name, total, lines: JSON.stringify(lines), status: "placed", confirm_by: confirmBy, created_at: step.now, updated_at: step.now,
      });
      return {
        data: { supplierCode: supplier.code, supplierName: supplier.name, purchaserName: project.unitName, planLineName: item.name, items: lines, total, remainingAfter: toMoney(money(remaining).minus(total)), confirmBy: confirmBy.toISOString() },
        parties: [supplier.code],
      };
    },
  }),
  transitions: {
    confirm: prepared({
      // the stock is the registry's: taken there, once per order, before this step's transaction
      async prepare(step) {
        const { supplierCode, lines } = orderedFrom(step.before);
        if (!step.call || step.user?.unitCode !== supplierCode || !lines.length) return { taken: false };
        await step.call("commodities.takeStock", { orderId: step.instanceId, lines });
        return { taken: true };
      },
      async apply(step) {
        const order = await orderOf(step.trx, step.instanceId);
        // a party sees the order; only its own supplier confirms it
        if (step.user?.unitCode !== order.supplier_code) throw forbidden();
        await setStatus(step, { status: "confirmed", confirmed_on: localDate(step.now) });
        return { data: { confirmedOn: localDate(step.now) } };
      },
    }),
    async lapse(step) {
      await orderOf(step.trx, step.instanceId);
      await setStatus(step, { status: "lapsed" });
      return {};
    },
    async cancel(step) {
      await orderOf(step.trx, step.instanceId);
      await setStatus(step, { status: "cancelled" });
      return {};
    },
    async accept(step) {
      await orderOf(step.trx, step.instanceId);
      const acceptedOn = localDate(step.now);
      const due = periodEnd(acceptedOn, PAY_WITHIN, "calendar-days");
      await setStatus(step, { status: "accepted", accepted_on: acceptedOn, payment_due: due });
      return { data: { acceptedOn, paymentDue: due } };
    },
    async pay(step) {
      const order = await orderOf(step.trx, step.instanceId);
      const paidOn = localDate(step.now);
      const late = paidOn > order.payment_due!;
      await setStatus(step, { status: "paid", paid_on: paidOn, paid_late: late });
      return { data: { paidOn, paidLate: late } };
    },
  },
};

const view = (r: OrderRow) => ({
  id: r.id, tenantCode: r.tenant_code, unitName: r.unit_name, projectId: r.project_id, planLine: r.plan_line,
  supplier: { code: r.supplier_code, name: r.supplier_name }, total: toMoney(r.total), lines: r.lines, status: r.status, kind: r.kind,
  confirmBy: new Date(r.confirm_by).toISOString(), confirmedOn: r.confirmed_on, acceptedOn: r.accepted_on, paymentDue: r.payment_due, paidOn: r.paid_on, paidLate: r.paid_late,
  createdAt: new Date(r.created_at).toISOString(),
});

const STATUSES = ["placed", "confirmed", "accepted", "paid", "lapsed", "cancelled"];
const STATUS_TITLES: Record<string, { "zh-CN": string; en: string }> = {
  placed: { "zh-CN": "待确认", en: "Awaiting confirmation" },
  confirmed: { "zh-CN": "已确认", en: "Confirmed" },
  accepted: { "zh-CN": "已验收", en: "Accepted" },
  paid: { "zh-CN": "已付款", en: "Paid" },
  lapsed: { "zh-CN": "已失效", en: "Lapsed" },
  cancelled: { "zh-CN": "已撤销", en: "Cancelled" },
};
const KIND_TITLES: Record<string, { "zh-CN": string; en: string }> = {
  order: { "zh-CN": "直接订购", en: "Direct order" },
  auction: { "zh-CN": "网上竞价", en: "Reverse auction" },
  "call-off": { "zh-CN": "框架协议采购", en: "Framework call-off" },
  designated: { "zh-CN": "定点采购", en: "Designated point" },
};

/** Newest first (the indexes emall_orders_recent and, per party, (supplier_code | unit_code | tenant_code, created_at)). */
const ORDER_ORDER: ListOrder = {
  name: "emall.orders",
  keys: [
    { column: "created_at", kind: "timestamp" },
    { column: "id", kind: "uuid" },
  ],
  direction: "desc",
};

/** `q`: the purchaser's, the supplier's and the products' names, normalised (migration 20261208100000_order_search). */
const ORDER_SEARCH: SearchColumn = { column: "search", bigrams: "emall_bigrams(search)", trigram: true };

interface OrderListParams { status?: unknown; q?: unknown; page?: unknown; pageSize?: unknown; cursor?: unknown }

/**
 * The orders the caller is a party to (a supplier its own, a purchasing unit its own, a region's
 * regulators and administrators the region's), filtered as the query string says: the list and its
 * export read the same rows. 400 naming every bad parameter.
 */
function filteredOrders(db: Knex, ctx: PlatformContext<OrderListParams>, problems: ErrorDetail[] = []) {
  const u = ctx.meta.user as SessionUser;
  const status = oneOfParam("status", ctx.params.status, STATUSES, problems);
  const req = listParams(ctx.params, ORDER_ORDER, { pageSize: 20, maxPageSize: 100 }, problems);
  const query = db<OrderRow>("emall_orders");
  if (u.roles.includes("supplier") && u.unitCode) query.where({ supplier_code: u.unitCode });
  else if (u.roles.includes("purchaser") && u.unitCode) query.where({ unit_code: u.unitCode });
  else if (u.roles.includes("regulator") || u.roles.includes("tenant-admin")) query.where({ tenant_code: u.tenantCode });
  else throw forbidden();
  if (status) query.where({ status });
  whereContains(query, ORDER_SEARCH, req.terms);
  return { query, req };
}

type OrderView = ReturnType<typeof view>;

/** The export's columns: what the orders page shows, and each order's products. */
function exportColumns(lang: "zh-CN" | "en"): ExportColumn<OrderView>[] {
  return [
    { title: { "zh-CN": "下单时间", en: "Placed" }, value: (o) => o.createdAt, width: 26 },
    { title: { "zh-CN": "方式", en: "Kind" }, value: (o) => KIND_TITLES[o.kind]?.[lang] ?? o.kind, width: 14 },
    { title: { "zh-CN": "采购单位", en: "Purchasing unit" }, value: (o) => o.unitName, width: 28 },
    { title: { "zh-CN": "供应商", en: "Supplier" }, value: (o) => o.supplier.name, width: 28 },
    { title: { "zh-CN": "商品", en: "Products" }, value: (o) => o.lines.map((l) => `${l.productName} × ${l.quantity}`).join("；"), width: 40 },
    { title: { "zh-CN": "金额（元）", en: "Total (CNY)" }, value: (o) => o.total, width: 16 },
    { title: { "zh-CN": "状态", en: "Status" }, value: (o) => STATUS_TITLES[o.status]?.[lang] ?? o.status, width: 14 },
    { title: { "zh-CN": "确认日期", en: "Confirmed on" }, value: (o) => o.confirmedOn, width: 12 },
    { title: { "zh-CN": "验收日期", en: "Accepted on" }, value: (o) => o.acceptedOn, width: 12 },
    { title: { "zh-CN": "付款期限", en: "Payment due" }, value: (o) => o.paymentDue, width: 12 },
    { title: { "zh-CN": "付款日期", en: "Paid on" }, value: (o) => o.paidOn, width: 12 },
  ];
}

/** An order its supplier confirmed is a contract (supervision.contract-records); its status there. */
const CONTRACTED: Record<string, "contracted" | "accepted" | "paid"> = { confirmed: "contracted", accepted: "accepted", paid: "paid" };
const RECORD_TITLES: Record<string, { "zh-CN": string; en: string }> = {
  contracted: { "zh-CN": "已签订", en: "Contracted" },
  accepted: { "zh-CN": "已验收", en: "Accepted" },
  paid: { "zh-CN": "已付款", en: "Paid" },
};
/** A project's contracts in the order they were made, as its page lists them. */
const CONTRACT_ORDER: ListOrder = {
  name: "emall.contracts",
  keys: [
    { column: "created_at", kind: "timestamp" },
    { column: "id", kind: "uuid" },
  ],
  direction: "asc",
};

/** The export's columns: the project page's contract records, with the plan line each spends. */
function contractColumns(lang: "zh-CN" | "en"): ExportColumn<OrderView>[] {
  const status = (o: OrderView) => CONTRACTED[o.status];
  return [
    { title: { "zh-CN": "方式", en: "Kind" }, value: (o) => KIND_TITLES[o.kind]?.[lang] ?? o.kind, width: 16 },
    { title: { "zh-CN": "计划明细行", en: "Plan line" }, value: (o) => o.planLine + 1, width: 10 },
    { title: { "zh-CN": "供应商", en: "Supplier" }, value: (o) => o.supplier.name, width: 28 },
    { title: { "zh-CN": "统一社会信用代码", en: "Credit code" }, value: (o) => o.supplier.code, width: 22 },
    { title: { "zh-CN": "金额（元）", en: "Amount (CNY)" }, value: (o) => o.total, width: 16 },
    { title: { "zh-CN": "签订日期", en: "Signed on" }, value: (o) => o.confirmedOn, width: 12 },
    { title: { "zh-CN": "状态", en: "Status" }, value: (o) => RECORD_TITLES[status(o)][lang], width: 10 },
    { title: { "zh-CN": "验收日期", en: "Accepted on" }, value: (o) => o.acceptedOn, width: 12 },
    { title: { "zh-CN": "付款期限", en: "Payment due" }, value: (o) => o.paymentDue, width: 12 },
    { title: { "zh-CN": "付款日期", en: "Paid on" }, value: (o) => o.paidOn, width: 12 },
    { title: { "zh-CN": "逾期付款", en: "Paid late" }, value: (o) => (o.paidLate ? (lang === "en" ? "yes" : "是") : ""), width: 10 },
  ];
}

export const ordersService: PlatformServiceSchema & ThisType<PluginServiceThis> = {
  name: "emall",
  actions: {
    /** GET /api/emall/orders?status=&q=&page=&pageSize=&cursor=: a unit's orders, a supplier's inbox, a region's for its regulators. */
    orders: {
      rest: "GET /orders",
      kind: "read",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<OrderListParams>) {
        const { query, req } = filteredOrders(this.db, ctx);
        const { rows, nextCursor, total, totalIsEstimate } = await listPage<OrderRow>(this.db, query, ORDER_ORDER, req);
        return { items: rows.map(view), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
      },
    },

    /** GET /api/emall/orders/export?format=csv|xlsx&lang=: the same orders, the same filters, as a file. */
    ordersExport: {
      rest: "GET /orders/export",
      kind: "read",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<OrderListParams & { format?: unknown; lang?: unknown }>) {
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const { query } = filteredOrders(this.db, ctx, problems);
        const lang = exportLang(ctx.params.lang);
        return exportList<OrderRow>(ctx, {
          db: this.db,
          query,
          order: ORDER_ORDER,
          columns: exportColumns(lang).map((c) => ({ ...c, value: (row: OrderRow) => c.value(view(row)) })),
          format,
          lang,
          filename: lang === "en" ? "emall-orders" : "电子卖场订单",
          sheet: { "zh-CN": "电子卖场订单", en: "E-mall orders" },
        });
      },
    },

    /**
     * supervision.contract-records: each order of the project its supplier confirmed is a contract
     * (confirmed on the day), then accepted and paid here; a supplier sees its own only.
     */
    contractRecords: implement(contractRecords, "records", {
      kind: "read",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx) {
        const u = ctx.meta.user as SessionUser | undefined;
        const q = this.db<OrderRow>("emall_orders").where({ project_id: ctx.params.projectId }).whereIn("status", Object.keys(CONTRACTED)).orderBy([{ column: "created_at" }, { column: "id" }]);
        if (u?.roles.includes("supplier")) q.where({ supplier_code: u.unitCode ?? "" });
        const rows = await q;
        return {
          records: rows.map((r): ContractRecord => ({
            source: "emall", kind: r.kind, instanceId: r.id, planLine: r.plan_line, supplier: { code: r.supplier_code, name: r.supplier_name }, amount: toMoney(r.total),
            status: CONTRACTED[r.status], signedOn: r.confirmed_on!, acceptedOn: r.accepted_on,
            paymentDue: r.payment_due, paidOn: r.paid_on, paidLate: r.paid_late,
          })),
        };
      },
    }),

    /**
     * GET /api/emall/projects/:projectId/contracts/export?status=&format=csv|xlsx&lang=: the contract records the
     * project's page shows (an order its supplier confirmed, an award, a call-off), as a file: for those who may
     * read the project (supervision says, as the caller), a supplier its own only, as the records themselves.
     */
    contractsExport: {
      rest: "GET /projects/:projectId/contracts/export",
      kind: "read",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ projectId: string; status?: unknown; format?: unknown; lang?: unknown }>) {
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const status = oneOfParam("status", ctx.params.status, Object.values(CONTRACTED), problems);
        if (problems.length) throw validationFailed(problems);
        if (!isUuid(ctx.params.projectId)) throw notFound({ "zh-CN": "采购项目", en: "project" });
        const project = await ctx.call<ProjectView, { id: string }>("supervision.get", { id: ctx.params.projectId });
        const u = ctx.meta.user as SessionUser;
        const query = this.db<OrderRow>("emall_orders").where({ project_id: project.id });
        query.whereIn("status", status ? Object.keys(CONTRACTED).filter((k) => CONTRACTED[k] === status) : Object.keys(CONTRACTED));
        if (u.roles.includes("supplier")) query.where({ supplier_code: u.unitCode ?? "" });
        const lang = exportLang(ctx.params.lang);
        return exportList<OrderRow>(ctx, {
          db: this.db,
          query,
          order: CONTRACT_ORDER,
          columns: contractColumns(lang).map((c) => ({ ...c, value: (row: OrderRow) => c.value(view(row)) })),
          format,
          lang,
          filename: lang === "en" ? "contract-records" : "合同记录",
          sheet: { "zh-CN": "合同记录", en: "Contract records" },
        });
      },
    },

    /** GET /api/emall/budget/:projectId: each plan line, what its orders hold and what remains. */
    budget: {
      rest: "GET /budget/:projectId",
      kind: "read",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ projectId: string }>) {
        if (!isUuid(ctx.params.projectId)) throw notFound({ "zh-CN": "采购项目", en: "project" });
        const project = await ctx.call<ProjectView, { id: string }>("supervision.get", { id: ctx.params.projectId });
        const held: Array<{ plan_line: number; s: string }> = await this.db("emall_orders").where({ project_id: project.id }).whereIn("status", HOLDING).groupBy("plan_line").select("plan_line").sum({ s: "total" }) as never;
        const byLine = new Map(held.map((h) => [h.plan_line, toMoney(h.s)]));
        return {
          projectId: project.id,
          open: project.stage === "execution" && project.channel === "emall",
          lines: planItems(project).map((it, i) => {
            const spent = byLine.get(i) ?? "0.00";
            return { line: i, category: it.category, name: it.name, amount: toMoney(it.amount), spent, remaining: toMoney(money(toMoney(it.amount)).minus(spent)) };
          }),
        };
      },
    },

    /**
     * GET /api/emall/access: what the caller may do in the mall now, from the e-mall's state where they
     * are (create: order; continue: confirm, accept, pay orders in progress; read) and whether the old
     * execution platform is still open to them. A state that refuses even reads answers 403 MODULE_NOT_ENABLED
     * at the gate; the web page then reads the schedule (GET /api/tenants/:code/modules) to send them on.
     */
    access: {
      rest: "GET /access",
      kind: "read",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext) {
        const u = ctx.meta.user as SessionUser;
        const { modules } = await ctx.call<{ modules: Array<{ module: string; state: string; units: string[] | null; next: { at: string; state: string } | null }> }, { code: string }>("tenancy.modules", { code: u.tenantCode });
        const at = (key: string) => modules.find((m) => m.module === key);
        const mall = at("emall"), legacy = at("legacy-execution");
        const can = (kind: "create" | "continue" | "read") => !!mall && allows(mall.state as Parameters<typeof allows>[0], kind, u, mall.units);
        const legacyOpen = !!legacy && allows(legacy.state as Parameters<typeof allows>[0], "create", u, legacy.units);
        const mode = can("create") ? "open" : legacyOpen ? "legacy" : "read-only";
        return { state: mall?.state ?? "off", create: can("create"), continue: can("continue"), read: can("read"), legacy: { state: legacy?.state ?? "off", open: legacyOpen }, mode, opensAt: mall?.next?.state === "live" ? mall.next.at : null };
      },
    },
  },
};
