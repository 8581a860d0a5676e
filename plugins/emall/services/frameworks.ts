import crypto from "node:crypto";
import type { Knex } from "knex";
import {
  conflict, daysBetween, enqueue, type ErrorDetail, fieldError, forbidden, isMoney, isUuid, localDate, money, notFound, periodEnd, type PlatformContext, platformNow,
  type PlatformServiceSchema, type PluginServiceThis, prepared, type SessionUser, type StepContext, toMoney, validationFailed, type WorkflowHooks,
} from "../../../core/sdk";
import RULES from "../statutory-rules.json";
import { orderHooks, planItems, type ProjectView, spentOn } from "./orders";

/**
 * Framework agreements (框架协议, MOF order 110; plugins/emall/README.md "Framework agreements"): a
 * closed one whose suppliers a first stage run as a public tender chose, an open one that suppliers
 * join while it runs, and the call-offs under either (direct selection, rotation here; a second-round
 * price competition is an auction among the members, ./auctions.ts).
 */

const R = RULES.rules;
const FRAMEWORK = { "zh-CN": "框架协议", en: "framework agreement" };
const isDay = (v: unknown): v is string => typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`));
const plusYears = (day: string, n: number) => `${Number(day.slice(0, 4)) + n}${day.slice(4)}`;

export interface FrameworkRow {
  id: string; tenant_code: string; kind: "closed" | "open"; title: string; category_code: string; subject: "goods" | "services"; max_unit_price: string;
  starts_on: string; ends_on: string; first_stage: FirstStage | null; signed_on: string | null; filing_due: string | null; rotation_next: number; created_at: Date;
}
interface MemberRow { framework_id: string; supplier_code: string; supplier_name: string; unit_price: string; status: string; seq: number; applied_at: Date; review_due: string | null; reviewed_on: string | null }
interface FirstStage { callNoticeOn: string; responsesDueOn: string; admissionNoticeOn: string; responses: Array<{ supplierCode: string; unitPrice: string; qualified: boolean }>; admitted: string[] }

export async function frameworkOf(db: Knex, id: unknown, forUpdate = false): Promise<FrameworkRow> {
  if (!isUuid(id)) throw notFound(FRAMEWORK);
  const q = db<FrameworkRow>("emall_frameworks").where({ id });
  const row = await (forUpdate ? q.forUpdate() : q).first();
  if (!row) throw notFound(FRAMEWORK);
  return row;
}

/** An admitted member of an agreement in force today, or the refusal at `at` (a call-off's field). */
export async function memberOf(db: Knex, f: FrameworkRow, supplierCode: string, today: string, at: string): Promise<MemberRow> {
  if (today < f.starts_on || today > f.ends_on) {
    throw validationFailed([fieldError("/frameworkId", "framework.term", `框架协议有效期为 ${f.starts_on} 至 ${f.ends_on}，今天不在其内`, `The agreement runs from ${f.starts_on} to ${f.ends_on}: not today`)]);
  }
  const m = await db<MemberRow>("emall_framework_members").where({ framework_id: f.id, supplier_code: supplierCode, status: "admitted" }).first();
  if (!m) throw validationFailed([fieldError(at, "framework-member", "该供应商不是本框架协议的入围供应商", "This supplier is not in the agreement")]);
  return m;
}

/** The portal's result notice of an award under an agreement, published at once: inside framework.callOffResultNotice. */
export async function publishCallOff(step: StepContext, f: FrameworkRow, award: { supplierName: string; unitPrice: string; quantity: number; total: string; method: string; unitName: string }) {
  const due = periodEnd(step.now, R["framework.callOffResultNotice"].value, "working-days");
  await step.publish("portal.publish", {
    instanceId: step.instanceId, workflowId: step.workflow.id, plugin: "emall", tenantCode: step.tenantCode, ownerUnit: null, state: step.to, transition: step.transition, version: 1,
    notice: "result",
    title: `${f.title}（框架协议采购）成交结果`,
    unitName: award.unitName,
    data: { framework: f.title, method: award.method, supplierName: award.supplierName, unitPrice: award.unitPrice, quantity: award.quantity, total: award.total, awardedOn: localDate(step.now) },
  });
  return { resultNoticeDue: due, resultPublishedOn: localDate(step.now) };
}

const view = (f: FrameworkRow, members: MemberRow[], seesPending: boolean) => ({
  id: f.id, tenantCode: f.tenant_code, kind: f.kind, title: f.title, categoryCode: f.category_code, subject: f.subject, maxUnitPrice: toMoney(f.max_unit_price),
  startsOn: f.starts_on, endsOn: f.ends_on, signedOn: f.signed_on, filingDue: f.filing_due, firstStage: f.first_stage, electronic: true,
  members: members.filter((m) => seesPending || m.status === "admitted").map((m) => ({ supplierCode: m.supplier_code, supplierName: m.supplier_name, unitPrice: toMoney(m.unit_price), status: m.status, seq: m.seq, reviewDue: m.review_due, reviewedOn: m.reviewed_on })),
});

/** Who runs agreements (征集人): the region's administrators act for the centralised procurement agency. */
const convenes = (u: SessionUser, tenantCode: string) => u.roles.includes("platform-admin") || (u.roles.includes("tenant-admin") && u.tenantCode === tenantCode);

type Body = {
  kind?: unknown; title?: unknown; categoryCode?: unknown; subject?: unknown; maxUnitPrice?: unknown; startsOn?: unknown; endsOn?: unknown; channel?: unknown; signedOn?: unknown;
  firstStage?: Partial<FirstStage>;
};

/** Every refusal of an agreement's terms at once, each naming its rule (statutory-rules.json). */
function checkTerms(b: Body): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  // framework.electronic: the whole procedure is on the platform; nothing else is offered
  if (b.channel !== undefined && b.channel !== "electronic") problems.push(fieldError("/channel", "framework.electronic", "框架协议采购应当实行电子化采购，不接受线下方式", "Framework procurement is electronic only: no paper procedure"));
  if (b.kind !== "closed" && b.kind !== "open") problems.push(fieldError("/kind", "enum", "应为封闭式（closed）或开放式（open）", "must be closed or open"));
  if (typeof b.title !== "string" || b.title.trim().length < 2) problems.push(fieldError("/title", "minLength", "请填写协议名称", "A title is required"));
  if (typeof b.categoryCode !== "string" || !/^[ABC][0-9]{2,12}$/.test(b.categoryCode)) problems.push(fieldError("/categoryCode", "pattern", "应为政府采购品目代码，如 A02010104", "must be an item classification code, e.g. A02010104"));
  if (b.subject !== "goods" && b.subject !== "services") problems.push(fieldError("/subject", "enum", "应为货物（goods）或服务（services）", "must be goods or services"));
  if (typeof b.maxUnitPrice !== "string" || !isMoney(b.maxUnitPrice) || !money(b.maxUnitPrice).greaterThan(0)) problems.push(fieldError("/maxUnitPrice", "money", "应为大于 0 的金额", "must be an amount above 0"));
  if (!isDay(b.startsOn)) problems.push(fieldError("/startsOn", "date", "应为日期，如 2021-03-01", "must be a date, e.g. 2021-03-01"));
  if (!isDay(b.endsOn)) problems.push(fieldError("/endsOn", "date", "应为日期，如 2022-02-28", "must be a date, e.g. 2022-02-28"));
  if (isDay(b.startsOn) && isDay(b.endsOn) && (b.subject === "goods" || b.subject === "services")) {
    // framework.term: goods at most 1 year, services at most 2
    const years = R["framework.term"].value[b.subject === "goods" ? 0 : 1];
    if (b.endsOn <= b.startsOn || b.endsOn > plusYears(b.startsOn, years)) {
      problems.push(fieldError("/endsOn", "framework.term", `${b.subject === "goods" ? "货物" : "服务"}项目框架协议有效期不超过 ${years} 年，应在 ${b.startsOn} 之后、不晚于 ${plusYears(b.startsOn, years)}`, `A ${b.subject} agreement lasts at most ${years} year(s): end after ${b.startsOn} and by ${plusYears(b.startsOn, years)}`));
    }
  }
  return problems;
}

/** A closed agreement's first stage: a public tender's periods, its elimination, the signing in time. */
function checkFirstStage(b: Body, max: string | null): ErrorDetail[] {
  const s = b.firstStage;
  const problems: ErrorDetail[] = [];
  if (!s || typeof s !== "object") return [fieldError("/firstStage", "framework.closedCallFollowsTenderRules", "封闭式框架协议须经公开征集（第一阶段）确定入围供应商", "A closed agreement's suppliers are chosen by a public call (the first stage)")];
  for (const k of ["callNoticeOn", "responsesDueOn", "admissionNoticeOn"] as const) if (!isDay(s[k])) problems.push(fieldError(`/firstStage/${k}`, "date", "应为日期", "must be a date"));
  if (!isDay(b.signedOn)) problems.push(fieldError("/signedOn", "date", "应为框架协议签订日期", "must be the day the agreement was signed"));
  if (problems.length) return problems;
  // framework.closedCallFollowsTenderRules: the public call runs as a public tender, its 20-day response period included (tender.biddingPeriod)
  const period = R["tender.biddingPeriod"].value;
  if (daysBetween(s.callNoticeOn!, s.responsesDueOn!, "calendar-days") < period) {
    problems.push(fieldError("/firstStage/responsesDueOn", "framework.closedCallFollowsTenderRules", `封闭式框架协议的公开征集按公开招标规定执行：自征集文件发出至提交响应文件截止不得少于 ${period} 日（tender.biddingPeriod）`, `The closed call follows the public-tender rules: at least ${period} days from the call to the responses' deadline (tender.biddingPeriod)`));
  }
  if (s.admissionNoticeOn! < s.responsesDueOn!) problems.push(fieldError("/firstStage/admissionNoticeOn", "order", "入围通知书应在响应截止之后发出", "The admission notice comes after the responses' deadline"));
  // framework.signWithin: signed within 30 days of the admission notice, filed within 7 working days of signing
  const within = R["framework.signWithin"].value;
  if (b.signedOn! < s.admissionNoticeOn! || daysBetween(s.admissionNoticeOn!, b.signedOn as string, "calendar-days") > within) {
    problems.push(fieldError("/signedOn", "framework.signWithin", `应在入围通知书发出之日（${s.admissionNoticeOn}）起 ${within} 日内签订框架协议，即不晚于 ${periodEnd(s.admissionNoticeOn!, within, "calendar-days")}`, `Sign within ${within} days of the admission notice (${s.admissionNoticeOn}): by ${periodEnd(s.admissionNoticeOn!, within, "calendar-days")}`));
  }
  // framework.firstStageElimination: at least 2 qualified responses, at least 20 % and at least one eliminated
  const responses = Array.isArray(s.responses) ? s.responses : [];
  const qualified = responses.filter((r) => r && r.qualified === true);
  const admitted = Array.isArray(s.admitted) ? s.admitted : [];
  const rule = R["framework.firstStageElimination"];
  responses.forEach((r, i) => {
    if (!r || typeof r.unitPrice !== "string" || !isMoney(r.unitPrice)) problems.push(fieldError(`/firstStage/responses/${i}/unitPrice`, "money", "应为金额", "must be an amount"));
    else if (max && money(r.unitPrice).greaterThan(max)) problems.push(fieldError(`/firstStage/responses/${i}/unitPrice`, "max-price", `响应报价高于最高限价 ${max} 元`, `Above the maximum of ${max} yuan`));
  });
  admitted.forEach((code, i) => {
    if (!qualified.some((r) => r.supplierCode === code)) problems.push(fieldError(`/firstStage/admitted/${i}`, "qualified", "入围供应商应为提交响应文件且符合资格条件、实质性要求的供应商", "An admitted supplier must have responded and qualified"));
  });
  if (qualified.length < rule.minResponsive) {
    problems.push(fieldError("/firstStage/responses", "framework.firstStageElimination", `提交响应文件且符合资格条件、实质性要求的供应商不少于 ${rule.minResponsive} 家（现 ${qualified.length} 家）`, `At least ${rule.minResponsive} qualified responses are needed (${qualified.length} now)`));
  } else {
    const eliminate = Math.max(1, Math.ceil((qualified.length * rule.value) / 100));
    if (qualified.length - new Set(admitted).size < eliminate) {
      problems.push(fieldError("/firstStage/admitted", "framework.firstStageElimination", `${qualified.length} 家合格供应商中至少淘汰 ${eliminate} 家（淘汰比例不低于 ${rule.value}%，且至少淘汰一家），入围不超过 ${qualified.length - eliminate} 家`, `Of ${qualified.length} qualified suppliers at least ${eliminate} are eliminated (at least ${rule.value} %, at least one): at most ${qualified.length - eliminate} admitted`));
    }
  }
  return problems;
}

async function supplierName(ctx: PlatformContext, code: string, at: string): Promise<string> {
  const s = await ctx.call<{ name: string; status: string }, { code: string }>("registries.suppliers.get", { code }).catch((err) => {
    if ((err as { type?: string }).type !== "NOT_FOUND") throw err;
    return null;
  });
  if (!s || s.status !== "active") throw validationFailed([fieldError(at, "supplier", "供应商库中没有这家有效的供应商", "No such active supplier in the suppliers registry")]);
  return s.name;
}

export const frameworksService: PlatformServiceSchema & ThisType<PluginServiceThis> = {
  name: "emall.frameworks",
  actions: {
    /**
     * POST /api/emall/frameworks: an agreement, by the region's administrator for the procurement
     * agency. A closed one brings its first stage (the public call's dates, the responses, who is
     * admitted) and its signing; the admission result is published on the portal.
     */
    create: {
      rest: "POST /frameworks",
      kind: "create",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<Body>) {
        const u = ctx.meta.user as SessionUser;
        if (!convenes(u, u.tenantCode)) throw forbidden();
        const b = ctx.params;
        const problems = checkTerms(b);
        const max = typeof b.maxUnitPrice === "string" && isMoney(b.maxUnitPrice) ? toMoney(b.maxUnitPrice) : null;
        if (b.kind === "closed") problems.push(...checkFirstStage(b, max));
        if (problems.length) throw validationFailed(problems);
        const stage = b.kind === "closed" ? (b.firstStage as FirstStage) : null;
        const names = new Map<string, string>();
        for (const [i, code] of (stage?.admitted ?? []).entries()) names.set(code, await supplierName(ctx, code, `/firstStage/admitted/${i}`));
        const id = crypto.randomUUID();
        const now = platformNow();
        const signedOn = stage ? (b.signedOn as string) : null;
        await this.db.transaction(async (trx) => {
          await trx("emall_frameworks").insert({
            id, tenant_code: u.tenantCode, kind: b.kind, title: (b.title as string).trim(), category_code: b.categoryCode, subject: b.subject, max_unit_price: max,
            starts_on: b.startsOn, ends_on: b.endsOn, first_stage: stage ? JSON.stringify(stage) : null, signed_on: signedOn,
            filing_due: signedOn ? periodEnd(signedOn, R["framework.signWithin"].filingWorkingDays, "working-days") : null, created_at: now,
          });
          for (const [i, code] of (stage?.admitted ?? []).entries()) {
            const price = stage!.responses.find((r) => r.supplierCode === code)!.unitPrice;
            await trx("emall_framework_members").insert({ framework_id: id, supplier_code: code, supplier_name: names.get(code), unit_price: toMoney(price), status: "admitted", seq: i + 1, applied_at: now, reviewed_on: stage!.admissionNoticeOn });
          }
        });
        const f = await frameworkOf(this.db, id);
        return view(f, await this.db<MemberRow>("emall_framework_members").where({ framework_id: id }).orderBy("seq"), true);
      },
    },

    list: {
      rest: "GET /frameworks",
      kind: "read",
      permission: "authenticated",
      async handler(this: PluginServiceThis) {
        const rows = await this.db<FrameworkRow>("emall_frameworks").orderBy("created_at", "desc").limit(200);
        return { items: rows.map((f) => ({ id: f.id, tenantCode: f.tenant_code, kind: f.kind, title: f.title, categoryCode: f.category_code, maxUnitPrice: toMoney(f.max_unit_price), startsOn: f.starts_on, endsOn: f.ends_on })) };
      },
    },

    get: {
      rest: "GET /frameworks/:id",
      kind: "read",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string }>) {
        const f = await frameworkOf(this.db, ctx.params.id);
        const members = await this.db<MemberRow>("emall_framework_members").where({ framework_id: f.id }).orderBy("seq");
        return view(f, members, convenes(ctx.meta.user as SessionUser, f.tenant_code));
      },
    },

    /**
     * POST /api/emall/frameworks/:id/join { unitPrice }: a supplier applies to an open agreement at any
     * time while it runs (framework.openJoin); reviewed within 7 working days. A closed one is refused.
     */
    join: {
      rest: "POST /frameworks/:id/join",
      kind: "continue",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string; unitPrice?: unknown }>) {
        const u = ctx.meta.user as SessionUser;
        if (!u.roles.includes("supplier") || !u.unitCode) throw forbidden();
        const f = await frameworkOf(this.db, ctx.params.id);
        const today = localDate(platformNow());
        if (f.kind !== "open") throw conflict({ "zh-CN": "封闭式框架协议的入围供应商由第一阶段确定，有效期内不能申请加入", en: "A closed agreement's suppliers were chosen in its first stage: none may join while it runs" }, { rule: "framework.openJoin" });
        if (today < f.starts_on || today > f.ends_on) throw conflict({ "zh-CN": `框架协议有效期为 ${f.starts_on} 至 ${f.ends_on}`, en: `The agreement runs from ${f.starts_on} to ${f.ends_on}` }, { rule: "framework.term" });
        const price = ctx.params.unitPrice;
        if (typeof price !== "string" || !isMoney(price) || !money(price).greaterThan(0)) throw validationFailed([fieldError("/unitPrice", "money", "应为大于 0 的金额", "must be an amount above 0")]);
        if (money(price).greaterThan(f.max_unit_price)) throw validationFailed([fieldError("/unitPrice", "max-price", `报价高于协议最高限价 ${toMoney(f.max_unit_price)} 元`, `Above the agreement's maximum of ${toMoney(f.max_unit_price)} yuan`)]);
        const name = await supplierName(ctx, u.unitCode, "/supplierCode");
        const reviewDue = periodEnd(today, R["framework.openJoin"].value, "working-days");
        await this.db.transaction(async (trx) => {
          await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`emall.framework:${f.id}`]);
          const had = await trx("emall_framework_members").where({ framework_id: f.id, supplier_code: u.unitCode }).first();
          if (had && had.status !== "rejected") throw conflict({ "zh-CN": "贵单位已申请或已入围", en: "You have applied already or are in the agreement" }, { rule: "joined", status: had.status });
          const [{ n }] = await trx("emall_framework_members").where({ framework_id: f.id }).max({ n: "seq" });
          const row = { supplier_name: name, unit_price: toMoney(price), status: "pending", applied_at: platformNow(), review_due: reviewDue, reviewed_on: null };
          if (had) await trx("emall_framework_members").where({ framework_id: f.id, supplier_code: u.unitCode }).update(row);
          else await trx("emall_framework_members").insert({ framework_id: f.id, supplier_code: u.unitCode, seq: Number(n ?? 0) + 1, ...row });
        });
        return { frameworkId: f.id, status: "pending", reviewDue };
      },
    },

    /** POST /api/emall/frameworks/:id/members/:code/review { decision }: the convener admits or rejects an application. */
    review: {
      rest: "POST /frameworks/:id/members/:code/review",
      kind: "continue",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string; code: string; decision?: unknown }>) {
        const f = await frameworkOf(this.db, ctx.params.id);
        if (!convenes(ctx.meta.user as SessionUser, f.tenant_code)) throw forbidden();
        if (ctx.params.decision !== "admitted" && ctx.params.decision !== "rejected") throw validationFailed([fieldError("/decision", "enum", "应为 admitted 或 rejected", "must be admitted or rejected")]);
        const today = localDate(platformNow());
        const m = await this.db<MemberRow>("emall_framework_members").where({ framework_id: f.id, supplier_code: ctx.params.code, status: "pending" }).first();
        if (!m) throw notFound({ "zh-CN": "加入申请", en: "application" });
        await this.db.transaction(async (trx) => {
          await trx("emall_framework_members").where({ framework_id: f.id, supplier_code: m.supplier_code }).update({ status: ctx.params.decision, reviewed_on: today });
          if (ctx.params.decision !== "admitted") return;
          // framework.openJoin: the admission is published (within 2 working days of the review: at once here)
          await enqueue(trx, {
            event: "portal.publish", key: `${f.id}:${m.supplier_code}`,
            payload: { instanceId: crypto.randomUUID(), workflowId: "emall.framework", plugin: "emall", tenantCode: f.tenant_code, ownerUnit: null, state: "admitted", transition: "review", version: 1, notice: "result", title: `${f.title}（开放式框架协议）入围结果：${m.supplier_name}`, data: { framework: f.title, supplierName: m.supplier_name, unitPrice: toMoney(m.unit_price), admittedOn: today } },
          });
        });
        return { frameworkId: f.id, supplierCode: m.supplier_code, status: ctx.params.decision, reviewedOn: today, inTime: today <= (m.review_due ?? today) };
      },
    },
  },
};

/**
 * A call-off by direct selection or rotation (framework.callOffMethods): the supplier chosen, or the
 * next in turn, orders at its agreement price within the plan line's remaining budget; a rotation's
 * award is published on the portal (framework.callOffResultNotice). Then the direct order's own steps.
 */
export const callOffHooks: WorkflowHooks = {
  start: prepared({
    async prepare(step) {
      if (!step.call) throw new Error("a call-off is started by a user");
      return step.call<ProjectView>("supervision.get", { id: step.result.projectId }).catch((err) => {
        if ((err as { type?: string }).type !== "NOT_FOUND") throw err;
        throw validationFailed([fieldError("/projectId", "project", "没有这个采购项目，或您无权查看", "No such procurement project, or not yours to see")]);
      });
    },
    async apply(step, project) {
      const user = step.user as SessionUser;
      const d = step.result as { frameworkId: string; planLine: number; method: "direct" | "rotation"; supplierCode?: string; quantity: number };
      if (project.stage !== "execution" || project.channel !== "emall") {
        throw validationFailed([fieldError("/projectId", "plan-filed", "该项目的采购计划尚未备案，或未选择电子卖场执行", "The project's plan is not filed, or is not executed on the e-mall")]);
      }
      const item = planItems(project)[d.planLine];
      if (!item) throw validationFailed([fieldError("/planLine", "plan-line", "计划中没有这一明细行", "The plan has no such line")]);
      const f = await frameworkOf(step.trx, d.frameworkId, true).catch(() => {
        throw validationFailed([fieldError("/frameworkId", "framework", "没有这份框架协议", "No such framework agreement")]);
      });
      const today = localDate(step.now);
      let member: MemberRow;
      if (d.method === "direct") {
        if (!d.supplierCode) throw validationFailed([fieldError("/supplierCode", "required", "直接选定须选择一家入围供应商", "Direct selection names a supplier of the agreement")]);
        member = await memberOf(step.trx, f, d.supplierCode, today, "/supplierCode");
      } else {
        // the row lock on the agreement orders two rotations at once: each takes the next in turn
        const members = await step.trx<MemberRow>("emall_framework_members").where({ framework_id: f.id, status: "admitted" }).orderBy("seq");
        if (!members.length) throw validationFailed([fieldError("/frameworkId", "framework-member", "该框架协议没有入围供应商", "The agreement has no suppliers")]);
        member = await memberOf(step.trx, f, members[f.rotation_next % members.length].supplier_code, today, "/frameworkId");
        await step.trx("emall_frameworks").where({ id: f.id }).update({ rotation_next: f.rotation_next + 1 });
      }
      const total = toMoney(money(member.unit_price).times(d.quantity));
      const remaining = toMoney(money(toMoney(item.amount)).minus(await spentOn(step.trx, project.id, d.planLine)));
      if (money(total).greaterThan(remaining)) {
        throw validationFailed([fieldError("/quantity", "plan-line-budget", `订单金额 ${total} 元超过计划明细“${item.name}”的剩余预算 ${remaining} 元`, `The order's ${total} yuan exceeds the remaining ${remaining} yuan of the plan line "${item.name}"`)]);
      }
      const line = { offerId: null, productId: null, productName: f.title, brand: "", model: "", quantity: d.quantity, unitPrice: toMoney(member.unit_price), amount: total };
      const confirmBy = new Date(step.now.getTime() + RULES.settings.confirmWithinDays.value * 86_400_000);
      await step.trx("emall_orders").insert({
        id: step.instanceId, tenant_code: project.tenantCode, unit_code: user.unitCode, unit_name: project.unitName, project_id: project.id, plan_line: d.planLine,
        supplier_code: member.supplier_code, supplier_name: member.supplier_name, total, lines: JSON.stringify([line]), status: "placed", kind: "call-off", confirm_by: confirmBy, created_at: step.now, updated_at: step.now,
      });
      // framework.callOffResultNotice: a rotation's (and a second round's) award is published, each within 2 working days
      const notice = d.method === "rotation" ? await publishCallOff(step, f, { supplierName: member.supplier_name, unitPrice: toMoney(member.unit_price), quantity: d.quantity, total, method: d.method, unitName: project.unitName }) : {};
      return {
        data: { supplierCode: member.supplier_code, supplierName: member.supplier_name, purchaserName: project.unitName, planLineName: item.name, framework: f.title, unitPrice: toMoney(member.unit_price), items: [line], total, confirmBy: confirmBy.toISOString(), ...notice },
        parties: [member.supplier_code],
      };
    },
  }),
  transitions: orderHooks.transitions,
};
