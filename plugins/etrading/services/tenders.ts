import { randomInt, randomUUID } from "node:crypto";
import type { Knex } from "knex";
import type { Service } from "moleculer";
import { subject } from "@casl/ability";
import {
  oneOfParam, type ActionGate, abilityOf, type ErrorDetail, type ExportColumn, exportFormatParam, exportLang, exportList, listPage, listParams, type ListOrder, type ListParamsInput, type SearchColumn, whereContains, actorOf, compareMoney, money, platformNow, scopeQuery, conflict, endOfDay, enqueue, fieldError, forbidden, localDate, type Localized, notFound, type PlatformContext,
  type PlatformServiceSchema, type PluginServiceThis, type PrepareContext, periodEnd, prepared, type SessionUser, type StepContext, type StepHook,
  toMoney, validationFailed, type WorkflowHooks, writeAudit,
} from "../../../core/sdk";
import { type CustodianTender, custodianIds, holds } from "./custodians";
import { corrigendumNotice, type NoticeFacts, noticeOf, singleSourcePublicity } from "./notice-format";
import { METHODS, type Method, type Period, PROCEDURES, type ProcedureConfig, OBJECTION_REVIEW, PUBLIC_TENDER_THRESHOLD, QUESTION_ANSWER, STATUTE } from "./procedures";

export const TENDER: Localized = { "zh-CN": "采购项目", en: "procurement" };

export interface TenderRow {
  id: string;
  instance_id: string;
  tenant_code: string;
  unit: string;
  unit_name: string;
  agency_code: string | null;
  project_id: string | null;
  plan_id: string | null;
  method: Method;
  title: string;
  max_price: string;
  published_at: Date | null;
  docs_until: string | null;
  bid_deadline: Date;
  opening_at: Date;
  status: string;
  custodians: Array<Record<string, unknown>>;
  config: ProcedureConfig & { planTotal?: string; agencyName?: string | null; unitId?: string | null };
  docs_version: number;
  /** the documents as published and corrected (DOCUMENT_FIELDS) */
  documents: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const str = (v: unknown) => (typeof v === "string" ? v : "");
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
const ruleName = (p: Period) => `${p.days} ${p.unit === "working-days" ? "个工作日" : "日"}`;
const ruleNameEn = (p: Period) => `${p.days} ${p.unit === "working-days" ? "working days" : "days"}`;

// ── Periods ─────────────────────────────────────────────────────────────────────────────────

/**
 * The earliest deadline the law allows when the documents go out at `from`: the last day of the
 * period (calc.dayCounting), at the same time of day the purchaser chose. A deadline on that day is
 * allowed; the day before is not.
 */
export function earliestDeadline(p: Period, from: Date, wanted: Date): Date {
  const lastDay = periodEnd(from, p.days, p.unit);
  // same time of day (China) as the deadline asked for, on the period's last day
  const timeOfDay = (wanted.getTime() + 8 * 3600_000) % 86_400_000;
  return new Date(Date.parse(`${lastDay}T00:00:00+08:00`) + timeOfDay);
}

/** A deadline shorter than the law allows: refused at /bidDeadline, naming the rule and the earliest lawful day. */
function checkDeadline(p: Period | null, from: Date, deadline: Date): void {
  if (!p) return;
  const earliest = periodEnd(from, p.days, p.unit);
  if (localDate(deadline) < earliest) {
    throw validationFailed(
      [fieldError("/bidDeadline", p.rule, `自采购文件发出之日（${localDate(from)}）起不得少于 ${ruleName(p)}：截止时间最早为 ${earliest}（${p.rule}）`, `must be at least ${ruleNameEn(p)} after the documents go out (${localDate(from)}): ${earliest} at the earliest (${p.rule})`)],
      { "zh-CN": "投标（响应）截止时间短于法定期限", en: "The deadline is shorter than the law allows" },
    );
  }
}

/** A single source's publicity, begun at `from`: its last day; a deadline before it is over is refused. */
function checkPublicity(p: Period, from: Date, deadline: Date): string {
  const until = periodEnd(from, p.days, p.unit);
  if (deadline <= endOfDay(until)) {
    throw validationFailed([fieldError("/bidDeadline", p.rule, `单一来源公示期不得少于 ${ruleName(p)}（至 ${until}），截止时间应在公示期满之后（${p.rule}）`, `the single-source publicity lasts at least ${ruleNameEn(p)} (to ${until}); the deadline must come after it (${p.rule})`)]);
  }
  return until;
}

/** Where a clarification or corrigendum leaves the deadline: moved to the lead time's end if it came too late. */
function deadlineAfterChange(cfg: ProcedureConfig, now: Date, current: Date, asked: Date | null, affectsBids: boolean): { deadline: Date; moved: boolean } {
  let deadline = asked && asked > current ? asked : current;
  const lead = cfg.clarificationLead;
  if (lead && affectsBids && localDate(deadline) < periodEnd(now, lead.days, lead.unit)) {
    deadline = earliestDeadline(lead, now, deadline);
    return { deadline, moved: true };
  }
  return { deadline, moved: deadline.getTime() !== current.getTime() };
}

/**
 * A corrigendum may not change the object of the procurement nor the qualification conditions
 * (tender.clarification.noChangeOfSubjectOrQualification): they are what suppliers decided to take part on.
 */
const NO_CHANGE = "tender.clarification.noChangeOfSubjectOrQualification" as const;
const FIXED_BY_LAW: Record<string, Localized> = {
  projectId: { "zh-CN": "采购项目（采购标的）", en: "the project (the object of the procurement)" },
  title: { "zh-CN": "项目名称（采购标的）", en: "the title (the object of the procurement)" },
  qualifications: { "zh-CN": "资格条件", en: "the qualification conditions" },
};
function refuseChangeOfSubject(submitted: Record<string, unknown>): void {
  if (STATUTE[NO_CHANGE].value !== true) return;
  const touched = Object.keys(FIXED_BY_LAW).filter((k) => submitted[k] !== undefined);
  if (!touched.length) return;
  throw validationFailed(
    touched.map((k) => fieldError(`/${k}`, NO_CHANGE, `更正不得改变${FIXED_BY_LAW[k]["zh-CN"]}（${NO_CHANGE}）`, `a corrigendum may not change ${FIXED_BY_LAW[k].en} (${NO_CHANGE})`)),
    { "zh-CN": "澄清或者修改不得改变采购标的和资格条件", en: "A clarification or corrigendum may not change the object of the procurement or the qualification conditions" },
  );
}

// ── The filed plan, through supervision's action ────────────────────────────────────────────

interface ProjectView {
  id: string;
  name: string;
  tenantCode: string;
  unitCode?: string;
  unitId: string | null;
  unitName: string;
  stage: string;
  method: string | null;
  channel: string | null;
  planTotal: string | null;
  agencyCode: string | null;
}
/** a supplier's registry record, with the code it was asked by (the registry calls it creditCode) */
interface SupplierView { code: string; name: string; status: string }
interface Facts { project: ProjectView; agencyName: string | null; suppliers: SupplierView[] }

async function lookup<T>(step: PrepareContext, action: string, params: Record<string, unknown>, path: string, zh: string, en: string): Promise<T> {
  if (!step.call) throw new Error(`${action} needs a caller`);
  try {
    return await step.call<T>(action, params);
  } catch (err) {
    if ((err as { type?: string }).type !== "NOT_FOUND") throw err;
    throw validationFailed([fieldError(path, "registry", zh, en)]);
  }
}

/** Before the transaction: the filed plan's project, the agency's and the invited suppliers' registry records. */
async function gather(step: PrepareContext): Promise<Facts> {
  const id = str(step.result.projectId);
  const project = await lookup<ProjectView>(step, "supervision.get", { id }, "/projectId", "没有这个采购项目，或您无权查看", "No such procurement project, or not yours to see");
  const agencyName = project.agencyCode
    ? (await lookup<{ name: string }>(step, "registries.agencies.get", { code: project.agencyCode }, "/projectId", `代理机构库中没有 ${project.agencyCode}`, `No agency ${project.agencyCode} in the registry`)).name
    : null;
  // an agency is not shown the purchaser's budget code: the platform reads it, and keeps it in the tender row only
  if (!project.unitCode) project.unitCode = (await lookup<{ unitCode: string | null }>(step, "etrading.purchaserUnit", { projectId: project.id }, "/projectId", "没有这个采购项目，或您无权查看", "No such procurement project, or not yours to see")).unitCode ?? undefined;
  const codes = Array.isArray(step.result.invitees) ? (step.result.invitees as string[]) : [];
  const suppliers: SupplierView[] = [];
  for (const [i, code] of codes.entries()) {
    const found = await lookup<SupplierView>(step, "registries.suppliers.get", { code }, `/invitees/${i}`, `供应商库中没有 ${code}`, `No supplier ${code} in the registry`);
    suppliers.push({ ...found, code });
  }
  return { project, agencyName, suppliers };
}

/**
 * What the documents must satisfy before and after publication: a filed plan executed on this
 * platform, a method its amount allows, a maximum price within the plan, the invitations the
 * method needs, and a deadline the law allows if published today.
 */
function checkDocuments(cfg: ProcedureConfig, step: PrepareContext | StepContext, facts: Facts): void {
  const { project } = facts;
  const user = step.user!;
  if (user.roles.includes("agency") && !user.roles.includes("purchaser") && project.agencyCode !== user.unitCode) {
    throw validationFailed([fieldError("/projectId", "entrusted", "贵机构未受该项目的采购人委托", "Your agency is not entrusted with this project")]);
  }
  if (project.stage !== "execution" || (project.channel !== null && project.channel !== "etrading")) {
    throw validationFailed([fieldError("/projectId", "plan-filed", "该项目的采购计划尚未备案，或未选择电子交易系统执行", "The project's plan is not filed, or is not executed on the e-trading system")]);
  }
  const problems = [];
  const planTotal = project.planTotal ?? "0";
  // At or above the public-tender amount, only an open tender, or the other method the regulator filed in the plan.
  if (cfg.method !== "public-tender" && cfg.method !== project.method && compareMoney(planTotal, PUBLIC_TENDER_THRESHOLD) >= 0) {
    problems.push(fieldError("/projectId", "gd.publicTenderThreshold", `计划金额 ${toMoney(planTotal)} 元达到公开招标数额标准（${toMoney(PUBLIC_TENDER_THRESHOLD)} 元），只能公开招标或采用计划备案的采购方式`, `The plan's ${toMoney(planTotal)} yuan reaches the public-tender amount (${toMoney(PUBLIC_TENDER_THRESHOLD)}): only an open tender or the method filed with the plan`));
  }
  if (compareMoney(str(step.result.maxPrice), planTotal) > 0) {
    problems.push(fieldError("/maxPrice", "plan-total", `最高限价不得超过计划金额 ${toMoney(planTotal)} 元`, `may not exceed the plan's total of ${toMoney(planTotal)} yuan`));
  }
  const invitees = facts.suppliers;
  invitees.forEach((s, i) => {
    if (s.status !== "active") problems.push(fieldError(`/invitees/${i}`, "supplier-status", "该供应商不在正常状态", "This supplier is not active"));
  });
  if (cfg.invitation === "draw") {
    const min = cfg.minInvitees!;
    const draw = typeof step.result.drawCount === "number" ? step.result.drawCount : min.value;
    if (draw < min.value) problems.push(fieldError("/drawCount", min.rule, `随机抽取不得少于 ${min.value} 家（${min.rule}）`, `at least ${min.value} suppliers must be drawn (${min.rule})`));
    if (invitees.length < Math.max(draw, min.value)) {
      problems.push(fieldError("/invitees", min.rule, `备选供应商应不少于 ${Math.max(draw, min.value)} 家，才能随机抽取（${min.rule}）`, `the pool needs at least ${Math.max(draw, min.value)} suppliers to draw from (${min.rule})`));
    }
  }
  if (cfg.invitation === "named") {
    if (invitees.length !== 1) problems.push(fieldError("/invitees", "single-source", "单一来源应填写唯一的供应商", "A single source names exactly one supplier"));
    if (!str(step.result.singleSourceReason)) problems.push(fieldError("/singleSourceReason", "required", "请说明采用单一来源方式的理由", "Give the reason for a single source"));
  }
  const deposit = step.result.deposit as { kind?: string; amount?: string } | undefined;
  if (deposit && deposit.kind !== "none") {
    const cap = STATUTE["deposit.max"].value;
    const max = toMoney(money(planTotal).times(cap).dividedBy(100).toDecimalPlaces(2, 1));
    if (!deposit.amount) problems.push(fieldError("/deposit/amount", "required", "请填写保证金金额", "Give the deposit's amount"));
    else if (compareMoney(deposit.amount, max) > 0) problems.push(fieldError("/deposit/amount", "deposit.max", `不得超过采购项目预算的 ${cap}%（${max} 元）`, `may not exceed ${cap}% of the budget (${max} yuan)`));
  }
  if (problems.length) throw validationFailed(problems);
  const deadline = new Date(str(step.result.bidDeadline));
  if (cfg.publicity) checkPublicity(cfg.publicity, step.now, deadline);
  checkDeadline(cfg.biddingPeriod, step.now, deadline);
}

const ROW = (trx: Knex | Knex.Transaction) => trx<TenderRow>("etrading_tenders");

/**
 * A tender's business is its purchaser's region's (DESIGN.md §5): suppliers, experts and agencies of
 * any region act on it by that region's schedule and the purchasing unit's pilot, not their own.
 */
export const tenderGate: ActionGate = {
  async of(ctx) {
    const id = (ctx.params as { id?: unknown }).id;
    const row = typeof id === "string" && /^[0-9a-f-]{36}$/i.test(id) ? await ROW(this.db).where({ id }).first("tenant_code", "unit") : undefined;
    if (!row) throw notFound(TENDER);
    return { tenantCode: row.tenant_code, unitCode: row.unit || null };
  },
};
/** What suppliers read of the documents: the procurement terms, not the project's internal ids. */
const DOCUMENT_FIELDS = ["requirements", "qualifications", "scoring", "smePriceDeduction", "consortiumDeduction", "deposit", "creditQueryCutoff", "singleSourceReason"] as const;
const documentsOf = (data: Record<string, unknown>, cfg: ProcedureConfig) => ({
  ...Object.fromEntries(DOCUMENT_FIELDS.filter((k) => data[k] !== undefined).map((k) => [k, data[k]])),
  // a single source's one supplier is public (its publicity); an invited tender's pool is not
  ...(cfg.invitation === "named" ? { invitees: data.invitees } : {}),
});

async function tenderOf(trx: Knex.Transaction, instanceId: string): Promise<TenderRow> {
  const row = await ROW(trx).where({ instance_id: instanceId }).forUpdate().first();
  if (!row) throw notFound(TENDER);
  return row;
}

/** Everyone who obtained the documents (or was invited), told of a clarification, corrigendum or answer. */
async function tellRegistered(step: StepContext | { publish: StepContext["publish"]; trx: Knex.Transaction }, tender: TenderRow, title: Localized, kind: string): Promise<number> {
  const regs = await step.trx("etrading_registrations").where({ tender_id: tender.id });
  for (const r of regs) {
    await step.publish("notifications.requested", { tenantCode: tender.tenant_code, owner: { unit: r.supplier_code, account: null }, title, link: `/etrading/tenders/${tender.id}`, kind });
  }
  return regs.length;
}

// ── Hooks, one set per procedure, read from its configuration ───────────────────────────────

/** A step the opening hall's outcome (etrading_hall_outcomes) must already stand for; the tender's status follows it. */
function hallConcluded(outcome: "failed" | "awaiting-approval" | "method-changed"): StepHook {
  return async (step: StepContext) => {
    const tender = await tenderOf(step.trx, step.instanceId);
    const o = await step.trx("etrading_hall_outcomes").where({ tender_id: tender.id }).first();
    if (o?.state !== outcome) {
      throw conflict({ "zh-CN": "开标大厅的结论不支持这一步", en: "The opening hall's outcome does not allow this step" }, { rule: o?.rule ?? "tender.minBidders", outcome: o?.state ?? null });
    }
    await ROW(step.trx).where({ id: tender.id }).update({ status: outcome, updated_at: step.now });
    return { data: { hallOutcome: outcome, hallRule: o.rule, validBids: o.valid_bids, ...(o.method ? { newMethod: o.method } : {}) } };
  };
}

/** The public facts a notice in the national format is written from (notice-format.ts): never the unit's code nor who registered. */
function noticeFacts(tender: TenderRow, data: Record<string, unknown>, publishedAt: Date): NoticeFacts {
  const d = tender.documents;
  return {
    tenderId: tender.id, projectName: str(data.projectName) || tender.title, title: tender.title, budget: tender.config.planTotal ?? null, maxPrice: tender.max_price,
    requirements: str(d.requirements), qualifications: str(d.qualifications), deposit: (d.deposit as NoticeFacts["deposit"]) ?? null, creditQueryCutoff: str(d.creditQueryCutoff) || null,
    singleSourceReason: str(d.singleSourceReason) || null, publishedAt, docsUntil: tender.docs_until, bidDeadline: new Date(tender.bid_deadline), openingAt: new Date(tender.opening_at),
    purchaserName: tender.unit_name, agencyName: tender.config.agencyName ?? null,
  };
}

function hooksFor(cfg: ProcedureConfig): WorkflowHooks {
  const draft = prepared({
    prepare: async (step) => {
      const facts = await gather(step);
      checkDocuments(cfg, step, facts);
      return facts;
    },
    async apply(step, facts) {
      const { project } = facts;
      const open = await ROW(step.trx).where({ project_id: project.id }).whereNotIn("status", ["cancelled", "failed"]).whereNot({ instance_id: step.instanceId }).first();
      if (open) throw conflict({ "zh-CN": "该项目已有进行中的采购", en: "This project already has a procurement under way" }, { rule: "one-procurement", tenderId: open.id });
      const deadline = new Date(str(step.result.bidDeadline));
      const fields = {
        title: str(step.result.title), max_price: str(step.result.maxPrice), bid_deadline: deadline, opening_at: deadline,
        config: JSON.stringify({ ...cfg, planTotal: project.planTotal, agencyName: facts.agencyName, unitId: project.unitId }) as unknown as TenderRow["config"], updated_at: step.now,
        documents: JSON.stringify(documentsOf(step.result, cfg)) as unknown as TenderRow["documents"],
      };
      if (step.transition === "$start") {
        await ROW(step.trx).insert({
          id: step.instanceId, instance_id: step.instanceId, tenant_code: step.tenantCode,
          unit: project.unitCode ?? "", unit_name: project.unitName,
          agency_code: project.agencyCode, project_id: project.id, method: cfg.method, status: "draft", created_at: step.now, ...fields,
        });
      } else {
        const row = await tenderOf(step.trx, step.instanceId);
        if (row.project_id !== project.id) throw validationFailed([fieldError("/projectId", "project", "不能改为其他项目", "cannot move to another project")]);
        await ROW(step.trx).where({ id: row.id }).update(fields);
      }
      const parties = [project.agencyCode].filter((c): c is string => !!c);
      const inviteeNames = facts.suppliers.map((x) => ({ code: x.code, name: x.name }));
      return { data: { method: cfg.method, purchaserName: project.unitName, agencyName: facts.agencyName, projectName: project.name, inviteeNames }, parties };
    },
  });

  const transitions: Record<string, StepHook> = {
    revise: draft,
    async publish(step) {
      const tender = await tenderOf(step.trx, step.instanceId);
      const deadline = new Date(tender.bid_deadline);
      const publishedOn = localDate(step.now);
      const data: Record<string, unknown> = { publishedOn, method: cfg.method };
      if (cfg.publicity) {
        const until = checkPublicity(cfg.publicity, step.now, deadline);
        data.publicityUntil = until;
        data.publicityEnds = endOfDay(until).toISOString();
      }
      checkDeadline(cfg.biddingPeriod, step.now, deadline);
      let docsUntil: string | null = null;
      if (cfg.docAvailability) {
        docsUntil = periodEnd(step.now, cfg.docAvailability.days, cfg.docAvailability.unit);
        const closes = endOfDay(docsUntil);
        if (closes > deadline) {
          throw validationFailed([fieldError("/bidDeadline", cfg.docAvailability.rule, `采购文件提供期限不得少于 ${ruleName(cfg.docAvailability)}（至 ${docsUntil}），截止时间不能早于此（${cfg.docAvailability.rule}）`, `documents are available for at least ${ruleNameEn(cfg.docAvailability)} (to ${docsUntil}); the deadline cannot be earlier (${cfg.docAvailability.rule})`)]);
        }
        data.docsUntil = docsUntil;
        data.docsCloseAt = closes.toISOString();
      }
      const custodians = [
        tender.agency_code ? { role: "agency", unit: tender.agency_code } : null,
        { role: "purchaser", unitId: tender.config.unitId ?? null, unitName: tender.unit_name },
        { role: "supervisor", tenantCode: tender.tenant_code },
      ].filter(Boolean);
      if (cfg.invitation !== "notice") {
        const codes = (step.result.invitees as string[] | undefined) ?? [];
        const drawCount = cfg.invitation === "draw" ? (typeof step.result.drawCount === "number" ? step.result.drawCount : cfg.minInvitees!.value) : codes.length;
        // 随机抽取: an unpredictable draw from the pool, kept in the table only (tender.bidderListConfidential)
        const pool = [...codes];
        const drawn: string[] = [];
        while (drawn.length < drawCount && pool.length) drawn.push(pool.splice(randomInt(pool.length), 1)[0]);
        const names = new Map(((step.result.inviteeNames as Array<{ code: string; name: string }>) ?? []).map((s) => [s.code, s.name]));
        await step.trx("etrading_registrations").insert(drawn.map((code) => ({ tender_id: tender.id, supplier_code: code, supplier_name: names.get(code) ?? code, invited: true })));
        for (const code of drawn) {
          await step.publish("notifications.requested", {
            tenantCode: tender.tenant_code, owner: { unit: code, account: null }, link: `/etrading/tenders/${tender.id}`, kind: "etrading.invitation",
            title: { "zh-CN": `投标邀请：${tender.title}`, en: `Invitation to bid: ${tender.title}` },
          });
        }
      }
      await ROW(step.trx).where({ id: tender.id }).update({ status: "published", published_at: step.now, docs_until: docsUntil, custodians: JSON.stringify(custodians) as unknown as TenderRow["custodians"], updated_at: step.now });
      const facts = noticeFacts({ ...tender, docs_until: docsUntil }, step.result, step.now);
      if (cfg.publicity) {
        const names = (step.result.inviteeNames as Array<{ name: string }> | undefined) ?? [];
        data.notice = singleSourcePublicity(facts, { supplierName: names.map((n) => n.name).join("、"), until: str(data.publicityUntil) });
      } else {
        const notice = noticeOf(cfg.method, facts);
        if (notice) data.notice = notice;
      }
      return { data };
    },
    async "close-documents"(step) {
      const tender = await tenderOf(step.trx, step.instanceId);
      const below = cfg.docExtendBelow;
      const [{ n }] = await step.trx("etrading_registrations").where({ tender_id: tender.id }).whereNotNull("registered_at").count({ n: "*" });
      const deadline = new Date(tender.bid_deadline);
      if (below && cfg.docAvailability && Number(n) < below.value) {
        // fewer than 3 took the documents: offered for another period, never past the deadline
        const next = periodEnd(tender.docs_until!, cfg.docAvailability.days, cfg.docAvailability.unit);
        const closes = new Date(Math.min(endOfDay(next).getTime(), deadline.getTime()));
        const until = localDate(new Date(closes.getTime() - 1));
        if (until > tender.docs_until!) {
          await ROW(step.trx).where({ id: tender.id }).update({ docs_until: until, updated_at: step.now });
          await step.publish("notifications.requested", {
            tenantCode: tender.tenant_code, owner: { unit: tender.unit, account: null }, link: `/etrading/tenders/${tender.id}`, kind: "etrading.documents-extended",
            title: { "zh-CN": `获取采购文件的供应商不足 ${below.value} 家，提供期限顺延至 ${until}：${tender.title}`, en: `Fewer than ${below.value} suppliers obtained the documents: offered until ${until}: ${tender.title}` },
          });
          return { data: { docsUntil: until, docsCloseAt: closes.toISOString(), docsExtended: true } };
        }
      }
      return { data: { docsCloseAt: null, docsClosed: true } };
    },
    async clarify(step) {
      const tender = await tenderOf(step.trx, step.instanceId);
      const asked = step.submitted.bidDeadline ? new Date(str(step.submitted.bidDeadline)) : null;
      const current = new Date(tender.bid_deadline);
      if (asked && asked < current) throw validationFailed([fieldError("/bidDeadline", "later-only", "澄清只能延后截止时间", "A clarification may only move the deadline later")]);
      const { deadline, moved } = deadlineAfterChange(cfg, step.now, current, asked, step.submitted.affectsBids !== false);
      await step.trx("etrading_messages").insert({ id: randomUUID(), tender_id: tender.id, kind: "clarification", text: str(step.submitted.text), deadline_before: current, deadline_after: deadline, created_at: step.now });
      await ROW(step.trx).where({ id: tender.id }).update({ bid_deadline: deadline, opening_at: deadline, updated_at: step.now });
      await tellRegistered(step, tender, { "zh-CN": `澄清：${tender.title}${moved ? `（截止时间改为 ${deadline.toISOString()}）` : ""}`, en: `Clarification: ${tender.title}${moved ? ` (deadline now ${deadline.toISOString()})` : ""}` }, "etrading.clarification");
      // a clarification that moves the deadline re-issues the notice with the new one
      const notice = cfg.publicity ? null : noticeOf(cfg.method, noticeFacts(await tenderOf(step.trx, step.instanceId), step.result, tender.published_at ?? step.now));
      const clarified = notice ? { notice } : {};
      return { data: { bidDeadline: deadline.toISOString(), deadlineMoved: moved, lastChangeAt: step.now.toISOString(), ...clarified } };
    },
    async corrigendum(step) {
      // the form carries neither the object nor the qualifications; a tenant's overlay that added them is still refused here
      refuseChangeOfSubject(step.submitted);
      const tender = await tenderOf(step.trx, step.instanceId);
      const planTotal = tender.config.planTotal ?? "0";
      if (step.submitted.maxPrice && compareMoney(str(step.submitted.maxPrice), planTotal) > 0) {
        throw validationFailed([fieldError("/maxPrice", "plan-total", `最高限价不得超过计划金额 ${toMoney(planTotal)} 元`, `may not exceed the plan's total of ${toMoney(planTotal)} yuan`)]);
      }
      const asked = step.submitted.bidDeadline ? new Date(str(step.submitted.bidDeadline)) : null;
      const current = new Date(tender.bid_deadline);
      if (asked && asked < current) throw validationFailed([fieldError("/bidDeadline", "later-only", "更正只能延后截止时间", "A corrigendum may only move the deadline later")]);
      const { deadline, moved } = deadlineAfterChange(cfg, step.now, current, asked, true);
      const changes = Object.fromEntries(Object.entries(step.submitted).filter(([k]) => k !== "reason"));
      await step.trx("etrading_messages").insert({ id: randomUUID(), tender_id: tender.id, kind: "corrigendum", text: str(step.submitted.reason), changes: JSON.stringify(changes), deadline_before: current, deadline_after: deadline, created_at: step.now });
      const version = tender.docs_version + 1;
      await ROW(step.trx).where({ id: tender.id }).update({
        bid_deadline: deadline, opening_at: deadline, docs_version: version, updated_at: step.now, ...(step.submitted.maxPrice ? { max_price: str(step.submitted.maxPrice) } : {}),
        documents: JSON.stringify(documentsOf({ ...tender.documents, ...step.submitted }, cfg)) as unknown as TenderRow["documents"],
      });
      // Bids made against the earlier documents must be confirmed again (ProZorro's invalidation): the bids service listens.
      await step.publish("etrading.tender.amended", { tenderId: tender.id, instanceId: tender.instance_id, tenantCode: tender.tenant_code, docsVersion: version, bidDeadline: deadline.toISOString(), at: step.now.toISOString() });
      const amended = await tenderOf(step.trx, step.instanceId);
      const facts = noticeFacts(amended, step.result, amended.published_at ?? step.now);
      const notices: Record<string, unknown> = { corrigendumNotice: corrigendumNotice(facts, { reason: str(step.submitted.reason), changes, at: step.now, originalPublishedAt: facts.publishedAt }) };
      // the notice itself is re-issued with the corrected facts, the corrigendum beside it
      const reissued = cfg.publicity ? null : noticeOf(cfg.method, facts);
      if (reissued) notices.notice = reissued;
      await tellRegistered(step, tender, { "zh-CN": `更正公告：${tender.title}，已递交的投标须重新确认`, en: `Corrigendum: ${tender.title}; submitted bids must be confirmed again` }, "etrading.corrigendum");
      return { data: { bidDeadline: deadline.toISOString(), deadlineMoved: moved, docsVersion: version, lastChangeAt: step.now.toISOString(), ...notices } };
    },
    async open(step) {
      const tender = await tenderOf(step.trx, step.instanceId);
      await ROW(step.trx).where({ id: tender.id }).update({ status: "opening", updated_at: step.now });
      return { data: { closedAt: step.now.toISOString() } };
    },
    async "record-opening"(step) {
      const tender = await tenderOf(step.trx, step.instanceId);
      await ROW(step.trx).where({ id: tender.id }).update({ status: "opened", updated_at: step.now });
    },
    async fail(step) {
      const tender = await tenderOf(step.trx, step.instanceId);
      await ROW(step.trx).where({ id: tender.id }).update({ status: "failed", updated_at: step.now });
    },
    async cancel(step) {
      const tender = await tenderOf(step.trx, step.instanceId);
      await ROW(step.trx).where({ id: tender.id }).update({ status: "cancelled", updated_at: step.now });
    },
    async "close-failed"(step) {
      const tender = await tenderOf(step.trx, step.instanceId);
      await ROW(step.trx).where({ id: tender.id }).update({ status: "cancelled", updated_at: step.now });
    },
    // What the opening hall concluded moves the tender (services/hall-news.ts takes these): each only
    // when the hall's outcome says so, so that nobody takes one by hand against the record.
    "fail-at-opening": hallConcluded("failed"),
    "await-approval": hallConcluded("awaiting-approval"),
    "approve-method-change": hallConcluded("method-changed"),
    "refuse-method-change": hallConcluded("failed"),
    async "end-publicity"(step) {
      const tender = await tenderOf(step.trx, step.instanceId);
      await ROW(step.trx).where({ id: tender.id }).update({ status: "published", updated_at: step.now });
    },
  };
  // the documents' period and the publicity are transitions only of the procedures that have them;
  // the regulator's change of method only of an open tender (tender.twoBidders.negotiation)
  if (!cfg.docAvailability) delete transitions["close-documents"];
  if (!cfg.publicity) delete transitions["end-publicity"];
  if (cfg.method !== "public-tender") for (const name of ["await-approval", "approve-method-change", "refuse-method-change"]) delete transitions[name];
  return { start: draft, transitions };
}

export const tenderHooks: Record<string, WorkflowHooks> = Object.fromEntries(METHODS.map((m) => [PROCEDURES[m].workflow, hooksFor(PROCEDURES[m])]));

// ── Routes: the supplier's list and tender, registration, questions ─────────────────────────

const isSupplier = (u: SessionUser) => u.roles.includes("supplier");
/** The purchasing unit or its entrusted agency: they run the procurement. */
const runs = (u: SessionUser, t: TenderRow) => !!u.unitCode && ((u.roles.includes("purchaser") && u.unitCode === t.unit) || (u.roles.includes("agency") && u.unitCode === t.agency_code));
/** Regulators and administrators of the tender's region (the manifest's CASL rule). */
const regulates = (ctx: PlatformContext, t: TenderRow) => abilityOf(ctx).can("read", subject("EtradingTender", { tenantCode: t.tenant_code }));
/** Past the deadline the bidder list is no longer secret (tender.bidderListConfidential). */
const listOpen = (t: TenderRow, now: Date) => !t.config.bidderListConfidential || now >= new Date(t.bid_deadline);

async function registrationOf(db: Knex, tenderId: string, supplier: string) {
  return db("etrading_registrations").where({ tender_id: tenderId, supplier_code: supplier }).first();
}

/** What a caller may see of a tender: suppliers see published ones, the purchaser and agency theirs, regulators their region's. */
async function visibleTender(svc: PluginServiceThis, ctx: PlatformContext, id: string): Promise<TenderRow> {
  const user = ctx.meta.user!;
  const row = /^[0-9a-f-]{36}$/.test(id) ? await ROW(svc.db).where({ id }).first() : undefined;
  if (!row) throw notFound(TENDER);
  if (runs(user, row) || regulates(ctx, row)) return row;
  if (row.status === "draft") throw notFound(TENDER);
  if (row.config.invitation !== "notice") {
    const invited = user.unitCode && (await registrationOf(svc.db, row.id, user.unitCode));
    if (!invited) throw notFound(TENDER);
  }
  return row;
}

function view(t: TenderRow, user: SessionUser, now: Date, extra: Record<string, unknown> = {}) {
  const deadline = new Date(t.bid_deadline);
  return {
    id: t.id,
    instanceId: t.instance_id,
    tenantCode: t.tenant_code,
    title: t.title,
    method: t.method,
    methodTitle: PROCEDURES[t.method].title,
    purchaserName: t.unit_name,
    agencyName: t.config.agencyName ?? null,
    maxPrice: toMoney(t.max_price),
    status: t.status,
    publishedAt: iso(t.published_at),
    docsUntil: t.docs_until,
    bidDeadline: deadline.toISOString(),
    openingAt: iso(t.opening_at),
    docsVersion: t.docs_version,
    // the countdown is drawn against the server's clock, not the browser's
    serverTime: now.toISOString(),
    mine: runs(user, t),
    config: { minBidders: t.config.minBidders, finalOfferRounds: t.config.finalOfferRounds, priceMayChange: t.config.priceMayChange, invitation: t.config.invitation },
    ...extra,
  };
}

const NO_TENDER = { "zh-CN": "该采购项目", en: "this procurement" };

const STATUSES = ["draft", "published", "opening", "opened", "awaiting-approval", "method-changed", "failed", "cancelled"] as const;
const STATUS_TITLES: Record<string, Localized> = {
  draft: { "zh-CN": "草稿", en: "Draft" },
  published: { "zh-CN": "接受投标", en: "Taking bids" },
  opening: { "zh-CN": "开标中", en: "Opening" },
  opened: { "zh-CN": "已开标", en: "Opened" },
  "awaiting-approval": { "zh-CN": "待批准变更采购方式", en: "Awaiting approval of a change of method" },
  "method-changed": { "zh-CN": "已变更采购方式", en: "Method changed" },
  failed: { "zh-CN": "采购失败", en: "Failed" },
  cancelled: { "zh-CN": "已终止", en: "Cancelled" },
};

/** Deadline first, the next to close on top (the index etrading_tenders_deadline_order). */
const TENDER_ORDER: ListOrder = {
  name: "etrading.tenders",
  keys: [
    { column: "bid_deadline", kind: "timestamp" },
    { column: "id", kind: "uuid" },
  ],
  direction: "asc",
};

/** `q`: the title and the purchaser's name, normalised, with their indexes (migration 20261207140000_tender_search). */
const TENDER_SEARCH: SearchColumn = { column: "search", bigrams: "etrading_bigrams(search)", trigram: true };

interface TenderListParams {
  q?: unknown;
  mine?: unknown;
  status?: unknown;
  method?: unknown;
  page?: unknown;
  pageSize?: unknown;
  cursor?: unknown;
}


/**
 * The tenders the caller may see, filtered as the list's query string says (400 with every problem).
 * Who sees what is decided here in SQL, so that every page is full and an export holds what the list shows:
 * a purchaser or agency its own; a supplier the published open tenders and those it is registered for or invited to;
 * regulators and administrators their region's (the manifest's rule).
 */
function filteredTenders(db: Knex, ctx: PlatformContext<TenderListParams>, problems: ErrorDetail[] = []) {
  const user = ctx.meta.user!;
  const mine = oneOfParam("mine", ctx.params.mine, ["0", "1"], problems);
  const status = oneOfParam("status", ctx.params.status, STATUSES, problems);
  const method = oneOfParam("method", ctx.params.method, METHODS, problems);
  // the page size the list had before paging (100), so that callers reading one page still get them all
  const req = listParams(ctx.params as ListParamsInput, TENDER_ORDER, { pageSize: 100, maxPageSize: 100 }, problems);
  const query = ROW(db);
  const runner = user.roles.includes("purchaser") || user.roles.includes("agency");
  if (runner && (mine === "1" || !isSupplier(user))) {
    query.where((w) => {
      if (user.roles.includes("purchaser")) w.orWhere({ unit: user.unitCode ?? "" });
      if (user.roles.includes("agency")) w.orWhere({ agency_code: user.unitCode ?? "" });
    });
  } else if (isSupplier(user)) {
    const code = user.unitCode ?? "";
    query.whereNot({ status: "draft" }).where((w) =>
      w.where((o) => o.where("config", "@>", JSON.stringify({ invitation: "notice" })).where({ status: "published" }))
        .orWhereIn("id", db("etrading_registrations").select("tender_id").where({ supplier_code: code })),
    );
  } else {
    // regulators and administrators: their region's, scoped in SQL by the manifest's rule
    scopeQuery(query, abilityOf(ctx), "read", "EtradingTender");
  }
  if (status) query.where({ status });
  if (method) query.where({ method: method as Method });
  whereContains(query, TENDER_SEARCH, req.terms);
  return { query, req };
}

/** The caller's own registrations for these tenders (a supplier's: registered, invited). */
async function registrationsOf(db: Knex, user: SessionUser, rows: TenderRow[]) {
  if (!user.unitCode || !rows.length) return new Map<string, { registered_at: Date | null; invited: boolean }>();
  const regs = await db("etrading_registrations").whereIn("tender_id", rows.map((r) => r.id)).where({ supplier_code: user.unitCode });
  return new Map(regs.map((r) => [r.tender_id as string, r]));
}

type TenderView = ReturnType<typeof view>;

/** The export's columns: what the list shows, never the purchaser's budget code nor who registered. */
function tenderColumns(lang: "zh-CN" | "en"): ExportColumn<TenderView>[] {
  return [
    { title: { "zh-CN": "项目名称", en: "Title" }, value: (x) => x.title, width: 40 },
    { title: { "zh-CN": "采购方式", en: "Method" }, value: (x) => x.methodTitle[lang], width: 16 },
    { title: { "zh-CN": "采购人", en: "Purchaser" }, value: (x) => x.purchaserName, width: 28 },
    { title: { "zh-CN": "代理机构", en: "Agency" }, value: (x) => x.agencyName, width: 28 },
    { title: { "zh-CN": "区划代码", en: "Division code" }, value: (x) => x.tenantCode, width: 10 },
    { title: { "zh-CN": "最高限价（元）", en: "Maximum price (CNY)" }, value: (x) => x.maxPrice, width: 16 },
    { title: { "zh-CN": "状态", en: "Status" }, value: (x) => STATUS_TITLES[x.status]?.[lang] ?? x.status, width: 14 },
    { title: { "zh-CN": "发布时间", en: "Published" }, value: (x) => x.publishedAt, width: 26 },
    { title: { "zh-CN": "文件获取截止日", en: "Documents until" }, value: (x) => x.docsUntil, width: 14 },
    { title: { "zh-CN": "投标截止时间", en: "Bid deadline" }, value: (x) => x.bidDeadline, width: 26 },
  ];
}

export const tendersService: PlatformServiceSchema = {
  name: "etrading",
  actions: {
    /** GET /api/etrading/time: the server's clock, for countdowns drawn in the browser. */
    time: {
      kind: "read",
      permission: "public",
      rest: "GET /time",
      handler(this: PluginServiceThis) {
        return { serverTime: platformNow().toISOString() };
      },
    },

    /**
     * The purchasing unit of a project the caller (its entrusted agency) may draft for. No route: the
     * start hook calls it, and keeps the code in the tender row, which no answer to the agency shows;
     * supervision hides the budget code from an agency, so the platform reads it as the project's
     * region's regulator would.
     */
    purchaserUnit: {
      kind: "read",
      permission: "authenticated",
      params: { projectId: "string" },
      async handler(this: PluginServiceThis & Service, ctx: PlatformContext<{ projectId: string }>) {
        const user = ctx.meta.user!;
        const seen = await ctx.call<ProjectView, { id: string }>("supervision.get", { id: ctx.params.projectId });
        if (seen.unitCode) return { unitCode: seen.unitCode };
        if (!user.roles.includes("agency") || !user.unitCode || seen.agencyCode !== user.unitCode) throw notFound({ "zh-CN": "采购项目", en: "project" });
        const platform: SessionUser = { id: "etrading.tenders", username: "etrading.tenders", tenantCode: seen.tenantCode, roles: ["regulator"], oversees: true };
        const asPlatform = this.broker.ContextFactory.create(this.broker, null as never, {}, { meta: { user: platform }, parentCtx: ctx }) as unknown as PlatformContext;
        const project = await asPlatform.call<ProjectView, { id: string }>("supervision.get", { id: ctx.params.projectId });
        return { unitCode: project.unitCode ?? null };
      },
    },

    /**
     * GET /api/etrading/tenders: for a supplier, the tenders open to it (published, not yet closed
     * unless it took part); for a purchaser or agency, its own (`mine=1`); for a regulator, its region's.
     * Deadline first, by keyset pages (core's list helper); `q` any substring of the title or purchaser.
     */
    list: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /tenders",
      async handler(this: PluginServiceThis, ctx: PlatformContext<TenderListParams>) {
        const user = ctx.meta.user!;
        const now = platformNow();
        const { query, req } = filteredTenders(this.db, ctx);
        const { rows, nextCursor, total, totalIsEstimate } = await listPage<TenderRow>(this.db, query, TENDER_ORDER, req);
        const regs = await registrationsOf(this.db, user, rows);
        const items = rows.map((r) => view(r, user, now, { registered: !!regs.get(r.id)?.registered_at, invited: !!regs.get(r.id)?.invited }));
        return { items, total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor, serverTime: now.toISOString() };
      },
    },

    // before `get`, whose /tenders/:id would take "export" for an id
    export: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /tenders/export",
      async handler(this: PluginServiceThis, ctx: PlatformContext<TenderListParams & { format?: unknown; lang?: unknown }>) {
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const { query } = filteredTenders(this.db, ctx, problems);
        const lang = exportLang(ctx.params.lang);
        const user = ctx.meta.user!;
        const now = platformNow();
        return exportList<TenderRow>(ctx, {
          db: this.db,
          query,
          order: TENDER_ORDER,
          columns: tenderColumns(lang).map((c) => ({ ...c, value: (row: TenderRow) => c.value(view(row, user, now)) })),
          format,
          lang,
          filename: lang === "en" ? "procurements" : "采购项目",
          sheet: { "zh-CN": "采购项目", en: "Procurements" },
        });
      },
    },

    /** GET /api/etrading/tenders/:id: the documents, clarifications, corrigenda and answered questions; the bidder list only after the deadline. */
    get: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /tenders/:id",
      gate: tenderGate,
      params: { id: "string" },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string }>) {
        const user = ctx.meta.user!;
        const now = platformNow();
        const t = await visibleTender(this, ctx, ctx.params.id);
        const mine = user.unitCode ? await registrationOf(this.db, t.id, user.unitCode) : undefined;
        const messages = await this.db("etrading_messages").where({ tender_id: t.id }).orderBy("created_at");
        const shown = messages
          .filter((m) => m.kind !== "question" || m.answer || (mine && m.supplier_code === user.unitCode) || runs(user, t))
          .map((m) => ({
            id: m.id, kind: m.kind, text: m.text, answer: m.answer, answerDue: m.answer_due, answeredAt: iso(m.answered_at), createdAt: iso(m.created_at),
            deadlineBefore: iso(m.deadline_before), deadlineAfter: iso(m.deadline_after), changes: m.changes, ownQuestion: !!mine && m.supplier_code === user.unitCode,
          }));
        const open = listOpen(t, now);
        const registrations = runs(user, t) || regulates(ctx, t)
          ? open
            ? (await this.db("etrading_registrations").where({ tender_id: t.id }).orderBy("supplier_code")).map((r) => ({ supplierCode: r.supplier_code, supplierName: r.supplier_name, invited: r.invited, registeredAt: iso(r.registered_at) }))
            : null
          : undefined;
        // where this caller goes from here: the hall from the deadline on, the screening snapshot, its custodian places
        const places = t.status === "draft" ? [] : custodianIds(t as unknown as CustodianTender).filter((c) => holds(user, t as unknown as CustodianTender, c));
        const overseen = runs(user, t) || regulates(ctx, t);
        const links = {
          hall: t.status !== "draft" && now >= new Date(t.bid_deadline) && (overseen || places.length > 0 || !!mine?.registered_at),
          screening: overseen && t.status !== "draft",
          custodians: places,
          bid: !!mine?.registered_at,
        };
        return view(t, user, now, {
          links,
          documents: t.documents,
          // the filed project it executes, for those who run it: the evaluation's award fact joins the project's record by it
          // and the plan's total, the project's budget (the evaluation sizes a negotiation's group by it)
          ...(runs(user, t) ? { projectId: t.project_id, budget: t.config.planTotal ?? null } : {}),
          registered: !!mine?.registered_at,
          invited: !!mine?.invited,
          messages: shown,
          ...(registrations !== undefined ? { registrations, registrationsHiddenUntil: open ? null : new Date(t.bid_deadline).toISOString() } : {}),
        });
      },
    },

    /** POST /api/etrading/tenders/:id/registrations: the signed-in supplier obtains the documents (获取采购文件). */
    register: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /tenders/:id/registrations",
      gate: tenderGate,
      params: { id: "string" },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string }>) {
        const user = ctx.meta.user!;
        if (!isSupplier(user) || !user.unitCode) throw forbidden();
        const t = await visibleTender(this, ctx, ctx.params.id);
        const supplier = await ctx.call<SupplierView, { code: string }>("registries.suppliers.get", { code: user.unitCode }).catch((err) => {
          if ((err as { type?: string }).type === "NOT_FOUND") throw conflict({ "zh-CN": "贵单位不在供应商库中，请先注册", en: "Your company is not in the supplier registry: register first" }, { rule: "registry" });
          throw err;
        });
        supplier.code = user.unitCode;
        if (supplier.status !== "active") throw conflict({ "zh-CN": "贵单位在供应商库中不是正常状态，不能获取采购文件", en: "Your company is not active in the supplier registry: it cannot obtain the documents" }, { rule: "supplier-status" });
        return this.db.transaction(async (trx) => {
          const row = await ROW(trx).where({ id: t.id }).forShare().first();
          const now = platformNow();
          if (!row || row.status !== "published" || now >= new Date(row.bid_deadline)) {
            throw conflict({ "zh-CN": `${NO_TENDER["zh-CN"]}已不在获取采购文件期间`, en: `${NO_TENDER.en} no longer offers its documents` }, { rule: "documents-period" });
          }
          if (row.docs_until && localDate(now) > row.docs_until) {
            throw conflict({ "zh-CN": `采购文件提供期限已于 ${row.docs_until} 届满`, en: `The documents were offered until ${row.docs_until}` }, { rule: "tender.docAvailability" });
          }
          if (row.config.publicity) {
            // a single source goes on only once each objection to its publicity has had its supplementary review
            const waiting = await trx("etrading_messages").where({ tender_id: row.id, kind: "objection" }).whereNull("answered_at").orderBy("answer_due").first("answer_due");
            if (waiting) {
              throw conflict(
                { "zh-CN": `单一来源公示收到异议，采购人应在 ${waiting.answer_due} 前组织补充论证，论证后方可继续`, en: `The single-source publicity drew an objection: the purchaser reviews it again with experts by ${waiting.answer_due}, and the procurement goes on after that` },
                { rule: OBJECTION_REVIEW.rule, reviewDue: waiting.answer_due },
              );
            }
          }
          const existing = await trx("etrading_registrations").where({ tender_id: row.id, supplier_code: supplier.code }).forUpdate().first();
          if (existing?.registered_at) return { registered: true, registeredAt: iso(existing.registered_at), docsVersion: row.docs_version };
          if (row.config.invitation !== "notice" && !existing) throw notFound(TENDER);
          if (existing) await trx("etrading_registrations").where({ tender_id: row.id, supplier_code: supplier.code }).update({ registered_at: now, supplier_name: supplier.name });
          else await trx("etrading_registrations").insert({ tender_id: row.id, supplier_code: supplier.code, supplier_name: supplier.name, registered_at: now });
          await writeAudit(trx, { actor: actorOf(user), tenantCode: row.tenant_code, action: "etrading.registration.create", object: `${row.id}/${supplier.code}` });
          return { registered: true, registeredAt: now.toISOString(), docsVersion: row.docs_version };
        });
      },
    },

    /** GET /api/etrading/tenders/:id/registrations: who obtained the documents, for the purchaser, agency and regulator, after the deadline only. */
    registrations: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /tenders/:id/registrations",
      gate: tenderGate,
      params: { id: "string" },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string }>) {
        const user = ctx.meta.user!;
        const t = await visibleTender(this, ctx, ctx.params.id);
        if (!runs(user, t) && !regulates(ctx, t)) throw forbidden();
        const now = platformNow();
        if (!listOpen(t, now)) {
          throw conflict(
            { "zh-CN": `投标截止时间（${new Date(t.bid_deadline).toISOString()}）前不得透露获取采购文件的供应商名称和数量`, en: `Who obtained the documents, and how many, stays secret until the deadline (${new Date(t.bid_deadline).toISOString()})` },
            { rule: "tender.bidderListConfidential", until: new Date(t.bid_deadline).toISOString() },
          );
        }
        const rows = await this.db("etrading_registrations").where({ tender_id: t.id }).orderBy("supplier_code");
        return { items: rows.map((r) => ({ supplierCode: r.supplier_code, supplierName: r.supplier_name, invited: r.invited, registeredAt: iso(r.registered_at) })) };
      },
    },

    /** POST /api/etrading/tenders/:id/questions: a supplier that obtained the documents asks (询问); answered within question.answer. */
    ask: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /tenders/:id/questions",
      gate: tenderGate,
      params: { id: "string", text: { type: "string", optional: true } },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string; text?: string }>) {
        const user = ctx.meta.user!;
        if (!isSupplier(user) || !user.unitCode) throw forbidden();
        const text = (ctx.params.text ?? "").trim();
        if (text.length < 2 || text.length > 4000) throw validationFailed([fieldError("/text", "length", "请填写问题（2 至 4000 字）", "Write the question (2 to 4,000 characters)")]);
        const t = await visibleTender(this, ctx, ctx.params.id);
        const reg = await registrationOf(this.db, t.id, user.unitCode);
        if (!reg?.registered_at) throw conflict({ "zh-CN": "请先获取采购文件，再提出询问", en: "Obtain the documents before asking" }, { rule: "registered" });
        const now = platformNow();
        const due = periodEnd(now, QUESTION_ANSWER.days, QUESTION_ANSWER.unit);
        const id = randomUUID();
        await this.db.transaction(async (trx) => {
          await trx("etrading_messages").insert({ id, tender_id: t.id, kind: "question", supplier_code: user.unitCode, text, answer_due: due, created_at: now });
          await enqueue(trx, {
            event: "notifications.requested",
            key: t.instance_id,
            payload: { tenantCode: t.tenant_code, owner: { unit: t.agency_code ?? t.unit, account: null }, link: `/etrading/tenders/${t.id}`, kind: "etrading.question", title: { "zh-CN": `有供应商询问，请于 ${due} 前答复：${t.title}`, en: `A supplier asked a question; answer by ${due}: ${t.title}` } },
          });
          await writeAudit(trx, { actor: actorOf(user), tenantCode: t.tenant_code, action: "etrading.question.create", object: id });
        });
        return { id, answerDue: due, rule: QUESTION_ANSWER.rule };
      },
    },

    /**
     * POST /api/etrading/tenders/:id/objections `{ text }`: anyone signed in (a supplier, a unit) objects to a single
     * source's publicity while it runs; the purchaser's supplementary review is due within singleSource.objectionReview
     * after the publicity ends, and the one supplier obtains the documents only after it.
     */
    object: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /tenders/:id/objections",
      gate: tenderGate,
      params: { id: "string", text: { type: "string", optional: true } },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string; text?: string }>) {
        const user = ctx.meta.user!;
        const text = (ctx.params.text ?? "").trim();
        if (text.length < 2 || text.length > 4000) throw validationFailed([fieldError("/text", "length", "请填写异议及其理由（2 至 4000 字）", "Write the objection and its grounds (2 to 4,000 characters)")]);
        // the publicity is public (the portal shows it): not only the named supplier may object
        const t = /^[0-9a-f-]{36}$/.test(ctx.params.id) ? await ROW(this.db).where({ id: ctx.params.id }).first() : undefined;
        if (!t || t.status === "draft" || !t.config.publicity || !t.published_at) throw notFound(TENDER);
        const now = platformNow();
        const p = t.config.publicity;
        const until = periodEnd(t.published_at, p.days, p.unit);
        if (localDate(now) > until) {
          throw conflict({ "zh-CN": `单一来源公示期已于 ${until} 届满，异议应在公示期内提出`, en: `The single-source publicity ended on ${until}: objections are made within it` }, { rule: p.rule, publicityUntil: until });
        }
        const due = periodEnd(until, OBJECTION_REVIEW.days, OBJECTION_REVIEW.unit);
        const id = randomUUID();
        await this.db.transaction(async (trx) => {
          await trx("etrading_messages").insert({ id, tender_id: t.id, kind: "objection", supplier_code: user.unitCode ?? null, text, answer_due: due, created_at: now });
          for (const unit of [t.unit, t.agency_code].filter((u): u is string => !!u)) {
            await enqueue(trx, {
              event: "notifications.requested",
              key: t.instance_id,
              payload: { tenantCode: t.tenant_code, owner: { unit, account: null }, link: `/etrading/tenders/${t.id}`, kind: "etrading.objection", title: { "zh-CN": `单一来源公示收到异议，请于 ${due} 前组织补充论证：${t.title}`, en: `An objection to the single-source publicity: review it again with experts by ${due}: ${t.title}` } },
            });
          }
          await writeAudit(trx, { actor: actorOf(user), tenantCode: t.tenant_code, action: "etrading.objection.create", object: id });
        });
        return { id, publicityUntil: until, reviewDue: due, rule: OBJECTION_REVIEW.rule };
      },
    },

    /**
     * POST /api/etrading/tenders/:id/objections/:objectionId/review `{ conclusion, upheld }`: the purchaser or agency
     * records the supplementary expert review (补充论证) of an objection; `late` past singleSource.objectionReview.
     * Upheld, the single source cannot go on: the procurement is cancelled and another method used.
     */
    reviewObjection: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /tenders/:id/objections/:objectionId/review",
      gate: tenderGate,
      params: { id: "string", objectionId: "string", conclusion: { type: "string", optional: true }, upheld: { type: "any", optional: true } },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string; objectionId: string; conclusion?: string; upheld?: unknown }>) {
        const user = ctx.meta.user!;
        const t = await visibleTender(this, ctx, ctx.params.id);
        if (!runs(user, t)) throw forbidden();
        const conclusion = (ctx.params.conclusion ?? "").trim();
        const problems: ErrorDetail[] = [];
        if (conclusion.length < 2 || conclusion.length > 8000) problems.push(fieldError("/conclusion", "length", "请填写补充论证意见（2 至 8000 字）", "Write the supplementary review's conclusion (2 to 8,000 characters)"));
        if (typeof ctx.params.upheld !== "boolean") problems.push(fieldError("/upheld", "type", "请说明异议是否成立（true / false）", "Say whether the objection is upheld (true / false)"));
        if (problems.length) throw validationFailed(problems);
        const upheld = ctx.params.upheld as boolean;
        const now = platformNow();
        return this.db.transaction(async (trx) => {
          const o = await trx("etrading_messages").where({ id: /^[0-9a-f-]{36}$/.test(ctx.params.objectionId) ? ctx.params.objectionId : randomUUID(), tender_id: t.id, kind: "objection" }).forUpdate().first();
          if (!o) throw notFound({ "zh-CN": "异议", en: "objection" });
          if (o.answered_at) throw conflict({ "zh-CN": "该异议已完成补充论证", en: "This objection was reviewed already" }, { rule: OBJECTION_REVIEW.rule });
          const answer = `${upheld ? "异议成立" : "异议不成立"}：${conclusion}`;
          await trx("etrading_messages").where({ id: o.id }).update({ answer, answered_at: now, changes: JSON.stringify({ upheld }) });
          const publish = (event: string, payload: unknown) => enqueue(trx, { event, payload, key: t.instance_id }).then(() => undefined);
          await tellRegistered({ trx, publish }, t, { "zh-CN": `单一来源公示异议的补充论证意见：${t.title}`, en: `The supplementary review of an objection to the single-source publicity: ${t.title}` }, "etrading.objection-review");
          await writeAudit(trx, { actor: actorOf(user), tenantCode: t.tenant_code, action: "etrading.objection.review", object: o.id, after: { upheld } });
          return { id: o.id, upheld, reviewedAt: now.toISOString(), reviewDue: o.answer_due, late: localDate(now) > o.answer_due, rule: OBJECTION_REVIEW.rule };
        });
      },
    },

    /** POST /api/etrading/tenders/:id/questions/:questionId/answer: the purchaser or agency answers; every registered supplier is told. */
    answer: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /tenders/:id/questions/:questionId/answer",
      gate: tenderGate,
      params: { id: "string", questionId: "string", answer: { type: "string", optional: true } },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string; questionId: string; answer?: string }>) {
        const user = ctx.meta.user!;
        const t = await visibleTender(this, ctx, ctx.params.id);
        if (!runs(user, t)) throw forbidden();
        const answer = (ctx.params.answer ?? "").trim();
        if (answer.length < 2 || answer.length > 8000) throw validationFailed([fieldError("/answer", "length", "请填写答复（2 至 8000 字）", "Write the answer (2 to 8,000 characters)")]);
        const now = platformNow();
        return this.db.transaction(async (trx) => {
          const q = await trx("etrading_messages").where({ id: /^[0-9a-f-]{36}$/.test(ctx.params.questionId) ? ctx.params.questionId : randomUUID(), tender_id: t.id, kind: "question" }).forUpdate().first();
          if (!q) throw notFound({ "zh-CN": "询问", en: "question" });
          if (q.answered_at) throw conflict({ "zh-CN": "该询问已答复", en: "This question was answered already" }, { rule: "answered" });
          await trx("etrading_messages").where({ id: q.id }).update({ answer, answered_at: now });
          const publish = (event: string, payload: unknown) => enqueue(trx, { event, payload, key: t.instance_id }).then(() => undefined);
          await tellRegistered({ trx, publish }, t, { "zh-CN": `询问答复：${t.title}`, en: `A question was answered: ${t.title}` }, "etrading.answer");
          await writeAudit(trx, { actor: actorOf(user), tenantCode: t.tenant_code, action: "etrading.question.answer", object: q.id });
          return { id: q.id, answeredAt: now.toISOString(), late: localDate(now) > q.answer_due };
        });
      },
    },
  },
};

export type { StepContext };
export { type ProcedureConfig, PROCEDURES };
