import type { Knex } from "knex";
import { findWorkday } from "chinese-days";
import { compareMoney, conflict, enqueue, fieldError, localDate, type Localized, money, notFound, type PrepareContext, prepared, type StepContext, type StepOutcome, sumMoney, toMoney, validationFailed, type WorkflowHooks } from "../../../core/sdk";
import { channelOptions } from "./channels";
import type { ContractHold } from "../api";
import type { CreditFactEvent } from "../../credit/api";
import type { SupervisionPlan } from "../../../forms/types/supervision.plan";
import statutoryRules from "../statutory-rules.json";

/** The law's numbers, by rule id, with their sources: ../statutory-rules.json. */
const STATUTE = statutoryRules.rules;
export const INTENTION_LEAD_DAYS = STATUTE["gd.intentionLead"].value;
export const CONTRACT_FILING_WORKING_DAYS = STATUTE["contract.publish"].value;
export const SME_PAYMENT_DAYS = STATUTE["gd.smePayment"].value;
export const RETENTION_YEARS = STATUTE["records.retention"].value;

export const PROJECT: Localized = { "zh-CN": "采购项目", en: "procurement project" };

export interface ProjectRow {
  id: string;
  tenant_code: string;
  owner_unit: string;
  /** the unit's record in the purchasers registry: what others are shown instead of its budget code */
  unit_id: string | null;
  unit_name: string;
  name: string;
  stage: string;
  budget: string;
  intention_id: string;
  intention_published_at: Date | null;
  intention_withdrawn: boolean;
  plan_id: string | null;
  plan_total: string | null;
  method: string | null;
  exemption_reason: string | null;
  agency_code: string | null;
  channel: string | null;
  supplier_code: string | null;
  supplier_name: string | null;
  supplier_sme: boolean | null;
  awarded_amount: string | null;
  contract_id: string | null;
  contract_amount: string | null;
  signed_on: string | null;
  contract_filed_on: string | null;
  late_filing: boolean;
  acceptance_id: string | null;
  acceptance_result: string | null;
  accepted_on: string | null;
  payment_due: string | null;
  payment_overdue: boolean;
  requested_total: string;
  paid_total: string;
  /** the day the procurement ended (paid in full, or its intention withdrawn); null while it runs */
  ended_on: string | null;
  /** records.retention: its files are kept at least until this day */
  retain_until: string | null;
  created_at: Date;
  updated_at: Date;
}

const str = (v: unknown) => (typeof v === "string" ? v : "");
const days = (ms: number) => Math.floor(ms / 86_400_000);
/**
 * The procurement's end and how long its files are kept: at least records.retention's years from the end
 * ("至少保存十五年"). The same day that many years on; a 29 February without its twin goes to 1 March, so the
 * span is never shorter than the rule.
 */
export function retention(endedOn: string): Pick<ProjectRow, "ended_on" | "retain_until"> {
  const [y, m, d] = endedOn.split("-").map(Number);
  const until = new Date(Date.UTC(y + RETENTION_YEARS, m - 1, d)).toISOString().slice(0, 10);
  return { ended_on: endedOn, retain_until: until };
}

/** A calendar date n days after another (both yyyy-mm-dd). */
export const addDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** The project a stage names, locked for the step (rules between stages read and change it together). */
async function lockProject(trx: Knex.Transaction, step: StepContext, id: unknown, path = "/projectId"): Promise<ProjectRow> {
  const row = typeof id === "string" ? await trx<ProjectRow>("supervision_projects").where({ id }).forUpdate().first() : undefined;
  // A unit sees only its own projects here: another unit's id is answered like one that does not exist.
  const mine = row && row.tenant_code === step.tenantCode && row.owner_unit === step.ownerUnit;
  if (!mine) throw validationFailed([fieldError(path, "project", "没有这个采购项目", "No such procurement project")]);
  return row;
}

/** The project of an instance that is already linked (for steps after the start). */
async function projectOf(trx: Knex.Transaction, instanceId: string): Promise<ProjectRow> {
  const link = await trx("supervision_project_instances").where({ instance_id: instanceId }).first();
  const row = link && (await trx<ProjectRow>("supervision_projects").where({ id: link.project_id }).forUpdate().first());
  if (!row) throw notFound(PROJECT);
  return row;
}

async function link(trx: Knex.Transaction, projectId: string, step: StepContext, stage: string, amount: string | null = null): Promise<void> {
  await trx("supervision_project_instances").insert({ instance_id: step.instanceId, project_id: projectId, stage, amount, created_at: step.now });
}

async function update(trx: Knex.Transaction, id: string, now: Date, patch: Partial<ProjectRow>): Promise<void> {
  await trx("supervision_projects").where({ id }).update({ ...patch, updated_at: now });
}

/**
 * A registry record through the broker, as the step's user; one missing or hidden from them is a
 * field error. Registries may run on another node: hooks look up in their prepare phase, before
 * the step's transaction holds a connection and the project's row lock (core/workflow/README.md).
 */
async function lookup<T>(step: PrepareContext, action: string, code: string, path: string, what: Localized): Promise<T> {
  if (!step.call) throw new Error(`${action} needs a caller`);
  try {
    return await step.call<T>(action, { code });
  } catch (err) {
    if ((err as { type?: string }).type !== "NOT_FOUND") throw err;
    throw validationFailed([fieldError(path, "registry", `${what["zh-CN"]}库中没有 ${code}`, `No ${what.en} ${code} in the registry`)]);
  }
}

interface Supplier { code: string; name: string; sizeClass: string; sme: boolean; status: string }
interface PurchaserView { id: string; name: string; budgetCode: string }

/** The purchasing unit's registry record: its name, which public notices carry, and its id. */
async function purchaserOf(step: PrepareContext): Promise<PurchaserView> {
  const unit = step.ownerUnit;
  if (!unit || !step.call) throw validationFailed([fieldError("/", "unit", "账号未关联采购单位", "The account belongs to no purchasing unit")]);
  try {
    return await step.call<PurchaserView>("registries.purchasers.byCode", { code: unit });
  } catch (err) {
    if ((err as { type?: string }).type !== "NOT_FOUND") throw err;
    throw validationFailed([fieldError("/", "unit", `采购人库中没有预算单位 ${unit}，请先由管理员登记`, `Budget unit ${unit} is not in the purchasers registry; ask an administrator to register it`)]);
  }
}

// ── 1. intention ────────────────────────────────────────────────────────────────────────────

const intention: WorkflowHooks = {
  start: prepared({
    prepare: purchaserOf,
    async apply(step, unit) {
      const projectId = step.instanceId; // a project is named after the intention that began it
      // the project and its link to the intention in one statement (a round trip less for every
      // intention; the link's foreign key is checked at the statement's end, when both rows exist)
      await step.trx
        .with("project", (q) =>
          q.insert({
            id: projectId,
            tenant_code: step.tenantCode,
            owner_unit: step.ownerUnit,
            unit_id: unit.id,
            unit_name: unit.name,
            name: str(step.result.projectName),
            stage: "intention",
            budget: step.result.budget,
            intention_id: step.instanceId,
            created_at: step.now,
            updated_at: step.now,
          }).into("supervision_projects"),
        )
        .insert({ instance_id: step.instanceId, project_id: projectId, stage: "intention", amount: null, created_at: step.now })
        .into("supervision_project_instances");
      return { data: { projectId, purchaserName: unit.name } };
    },
  }),
  transitions: {
    async publish(step) {
      // drafted for a month that is over by now: the notice would announce a past purchase
      const expected = str(step.result.expectedMonth);
      if (expected < localDate(step.now).slice(0, 7)) {
        throw conflict(
          { "zh-CN": `预计采购时间 ${expected} 已过，不能公开；请撤回后重新填报`, en: `The expected month ${expected} is over: this intention cannot be published; withdraw it and file a new one` },
          { rule: "expected-month-past" },
        );
      }
      const project = await projectOf(step.trx, step.instanceId);
      await update(step.trx, project.id, step.now, { intention_published_at: step.now });
      return { data: { publishedAt: step.now.toISOString() } };
    },
    async withdraw(step) {
      const project = await projectOf(step.trx, step.instanceId);
      if (project.plan_id) {
        throw conflict({ "zh-CN": "该项目已有采购计划，不能撤回采购意向", en: "The project already has a plan: its intention can no longer be withdrawn" }, { rule: "intention-has-plan" });
      }
      await update(step.trx, project.id, step.now, { intention_withdrawn: true, stage: "withdrawn", ...retention(localDate(step.now)) });
    },
  },
};

// ── 2. plan, 3. execution ───────────────────────────────────────────────────────────────────

/**
 * What the law asks of a plan's content: items that add up, a total within the intention's
 * budget, the unit's own budget code, and an intention public for 30 days or a recorded exemption.
 */
function checkPlan(project: ProjectRow, plan: Record<string, unknown>, now: Date): Record<string, unknown> {
  const problems = [];
  if (plan.budgetCode !== project.owner_unit) {
    problems.push(fieldError("/budgetCode", "budget-code", `应为本单位的预算单位编码 ${project.owner_unit}`, `must be the unit's own budget code ${project.owner_unit}`));
  }
  const { items } = plan as unknown as SupervisionPlan;
  items.forEach((item, i) => {
    const expected = money(item.unitPrice).times(item.quantity).toDecimalPlaces(2);
    if (!expected.equals(money(item.amount))) {
      problems.push(fieldError(`/items/${i}/amount`, "amount", `应为 数量×单价 = ${toMoney(expected)}`, `must be quantity × unit price = ${toMoney(expected)}`));
    }
  });
  const sum = sumMoney(items.map((i) => i.amount));
  if (!sum.equals(money(str(plan.total)))) {
    problems.push(fieldError("/total", "sum", `应等于各明细金额之和 ${toMoney(sum)}`, `must equal the sum of the items, ${toMoney(sum)}`));
  } else if (compareMoney(str(plan.total), String(project.budget)) > 0) {
    problems.push(fieldError("/total", "budget", `不得超过采购意向的预算金额 ${toMoney(project.budget)}`, `may not exceed the intention's budget of ${toMoney(project.budget)}`));
  }
  if (problems.length) throw validationFailed(problems);
  return checkLead(project, plan, now);
}

/** The 30-day lead of the intention, or its exemption; refused otherwise. */
function checkLead(project: ProjectRow, plan: Record<string, unknown>, now: Date): Record<string, unknown> {
  if (project.intention_withdrawn) throw conflict({ "zh-CN": "采购意向已撤回", en: "The intention was withdrawn" }, { rule: "intention-withdrawn" });
  const exemption = str(plan.exemptionReason) || null;
  const published = project.intention_published_at;
  const publicDays = published ? days(now.getTime() - new Date(published).getTime()) : 0;
  if (!exemption && publicDays < INTENTION_LEAD_DAYS) {
    const since = published ? `已公开 ${publicDays} 天` : "尚未公开";
    throw validationFailed(
      [fieldError("/exemptionReason", "intention-lead", `采购意向应至少提前 ${INTENTION_LEAD_DAYS} 日公开（${since}）；如属豁免情形请填写理由`, `The intention must be public ${INTENTION_LEAD_DAYS} days before procurement (${published ? `public for ${publicDays} days` : "not yet published"}); give the reason if exempt`)],
      { "zh-CN": "采购意向公开时间不足30日", en: "The intention has not been public for 30 days" },
    );
  }
  return { intentionPublishedAt: published ? new Date(published).toISOString() : null, intentionPublicDays: publicDays, exempt: !!exemption, intentionBudget: toMoney(project.budget) };
}

/** The plan's agency, checked in the registry (prepare phase); "" when the plan names none. */
async function agencyOf(step: PrepareContext): Promise<string> {
  const agency = str(step.result.agencyCode);
  if (agency) await lookup(step, "registries.agencies.get", agency, "/agencyCode", { "zh-CN": "代理机构", en: "agency" });
  return agency;
}

const plan: WorkflowHooks = {
  start: prepared({
    prepare: agencyOf,
    async apply(step, agency) {
      const project = await lockProject(step.trx, step, step.result.projectId);
      if (project.plan_id) throw conflict({ "zh-CN": "该项目已有采购计划", en: "This project already has a plan" }, { rule: "one-plan", planId: project.plan_id });
      const derived = checkPlan(project, step.result, step.now);
      const parties = agency ? [agency] : [];
      await link(step.trx, project.id, step, "plan", str(step.result.total));
      await update(step.trx, project.id, step.now, {
        plan_id: step.instanceId, stage: "plan", plan_total: str(step.result.total), method: str(step.result.method),
        agency_code: agency || null, exemption_reason: str(step.result.exemptionReason) || null,
      });
      return { data: { ...derived, projectName: project.name, purchaserName: project.unit_name }, parties };
    },
  }),
  transitions: {
    revise: prepared({
      prepare: agencyOf,
      async apply(step, agency) {
        const project = await projectOf(step.trx, step.instanceId);
        if (step.result.projectId !== project.id) throw validationFailed([fieldError("/projectId", "project", "不能改为其他项目", "cannot move to another project")]);
        const derived = checkPlan(project, step.result, step.now);
        await update(step.trx, project.id, step.now, { plan_total: str(step.result.total), method: str(step.result.method), agency_code: agency || null, exemption_reason: str(step.result.exemptionReason) || null });
        return { data: derived, parties: agency ? [agency] : [] };
      },
    }),
    async submit(step) {
      const project = await projectOf(step.trx, step.instanceId);
      return { data: checkLead(project, step.result, step.now) };
    },
    async file(step) {
      const project = await projectOf(step.trx, step.instanceId);
      await update(step.trx, project.id, step.now, { stage: "execution" });
      return { data: { filedOn: localDate(step.now) } };
    },
    async "choose-channel"(step) {
      const project = await projectOf(step.trx, step.instanceId);
      const wanted = str(step.result.channel);
      const options = channelOptions(str(step.result.method), (module) => {
        const refusal = step.moduleRefusal(module, "create");
        return { open: refusal === null, refusal };
      });
      const option = options.find((o) => o.channel === wanted);
      if (!option) {
        throw validationFailed([fieldError("/channel", "channel", `该采购方式不能通过此渠道执行；可选：${options.map((o) => o.channel).join("、")}`, `this method cannot run on that channel; possible: ${options.map((o) => o.channel).join(", ")}`)]);
      }
      if (!option.open) {
        if (option.refusal) throw option.refusal;
        throw conflict(
          { "zh-CN": `已有可用的平台渠道（${options.filter((o) => o.open).map((o) => o.channel).join("、")}），不能线下执行`, en: `A platform channel is open (${options.filter((o) => o.open).map((o) => o.channel).join(", ")}): offline execution is not allowed` },
          { rule: "offline-only-where-nothing-else", open: options.filter((o) => o.open).map((o) => o.channel) },
        );
      }
      await update(step.trx, project.id, step.now, { channel: wanted });
      return { data: { channelChosenOn: localDate(step.now) } };
    },
    "record-result": prepared({
      prepare: (step) => lookup<Supplier>(step, "registries.suppliers.get", str(step.result.supplierCode), "/supplierCode", { "zh-CN": "供应商", en: "supplier" }),
      async apply(step, supplier) {
        const project = await projectOf(step.trx, step.instanceId);
        const code = str(step.result.supplierCode);
        if (supplier.status !== "active") throw validationFailed([fieldError("/supplierCode", "supplier-status", "该供应商不在正常状态", "This supplier is not active")]);
        if (compareMoney(str(step.result.amount), String(project.plan_total)) > 0) {
          throw validationFailed([fieldError("/amount", "plan-total", `成交金额不得超过计划金额 ${toMoney(project.plan_total!)}`, `may not exceed the plan's total of ${toMoney(project.plan_total!)}`)]);
        }
        await update(step.trx, project.id, step.now, {
          stage: "contract", supplier_code: code, supplier_name: supplier.name, supplier_sme: !!supplier.sme, awarded_amount: str(step.result.amount),
        });
        return { data: { supplierName: supplier.name, supplierSme: !!supplier.sme }, parties: [code] };
      },
    }),
  },
};

// ── 4. contract ─────────────────────────────────────────────────────────────────────────────

/** The last day a contract signed on `signedOn` may be filed: the 2nd working day after it (Chinese calendar, 调休 included). */
export function filingDeadline(signedOn: string): string {
  return findWorkday(CONTRACT_FILING_WORKING_DAYS, signedOn);
}

/**
 * What the providers of `supervision.contract-holds` say against filing this project's contract now
 * (asked in the prepare phase, through supervision's own action, as the step's user).
 */
const holdsOf = async (step: PrepareContext, projectId: unknown): Promise<ContractHold[]> =>
  step.call ? (await step.call<{ holds: ContractHold[] }>("supervision.contractHolds", { projectId: str(projectId) })).holds : [];

/** A contract held by a provider is refused with the rule and the case: `409` naming each. */
function refuseHeld(holds: ContractHold[]): void {
  if (!holds.length) return;
  const message: Localized = { "zh-CN": holds.map((h) => h.message["zh-CN"]).join("；"), en: holds.map((h) => h.message.en).join("; ") };
  throw conflict(message, { rule: holds[0].rule, holds: holds.map((h) => ({ rule: h.rule, ...(h.reference ?? {}) })) });
}

const contract: WorkflowHooks = {
  start: prepared({
    prepare: (step) => holdsOf(step, step.result.projectId),
    apply: (step, holds: ContractHold[]) => startContract(step, holds),
  }),
  transitions: {
    file: prepared({
      prepare: async (step) => holdsOf(step, step.before.projectId),
      apply: (step, holds: ContractHold[]) => fileContract(step, holds),
    }),
  },
};

async function startContract(step: StepContext, holds: ContractHold[]): Promise<StepOutcome> {
  const project = await lockProject(step.trx, step, step.result.projectId);
  refuseHeld(holds);
  if (!project.supplier_code) throw conflict({ "zh-CN": "该项目尚未确定成交供应商", en: "This project has no awarded supplier yet" }, { rule: "not-awarded" });
  if (project.contract_id) throw conflict({ "zh-CN": "该项目已有合同", en: "This project already has a contract" }, { rule: "one-contract" });
  const problems = [];
  if (step.result.supplierCode !== project.supplier_code) {
    problems.push(fieldError("/supplierCode", "awarded-supplier", `应为成交供应商 ${project.supplier_name}（${project.supplier_code}）`, `must be the awarded supplier ${project.supplier_code}`));
  }
  if (compareMoney(str(step.result.amount), String(project.awarded_amount)) > 0 && !step.result.overAwardReason) {
    problems.push(fieldError("/amount", "awarded-amount", `超过成交金额 ${toMoney(project.awarded_amount!)}，须说明理由`, `exceeds the awarded ${toMoney(project.awarded_amount!)}: give the reason`));
  }
  if (str(step.result.endDate) < str(step.result.startDate)) problems.push(fieldError("/endDate", "order", "不得早于开始日期", "may not be before the start"));
  if (problems.length) throw validationFailed(problems);
  await link(step.trx, project.id, step, "contract", str(step.result.amount));
  await update(step.trx, project.id, step.now, { contract_id: step.instanceId });
  return {
    data: { projectName: project.name, purchaserName: project.unit_name, supplierName: project.supplier_name, awardedAmount: toMoney(project.awarded_amount!), filingDue: filingDeadline(str(step.result.signedOn)) },
    parties: [project.supplier_code],
  };
}

async function fileContract(step: StepContext, holds: ContractHold[]): Promise<StepOutcome> {
  const project = await projectOf(step.trx, step.instanceId);
  refuseHeld(holds);
  const filedOn = localDate(step.now);
  const due = filingDeadline(str(step.result.signedOn));
  const late = filedOn > due;
  if (late) {
    // Late filings are the regulator's to follow up: told in the same transaction as the filing.
    await step.publish("notifications.requested", {
      tenantCode: project.tenant_code,
      roles: ["regulator"],
      title: { "zh-CN": `合同备案逾期：${project.name}（应于 ${due} 前备案）`, en: `Contract filed late: ${project.name} (due by ${due})` },
      link: `/instances/${step.instanceId}`,
      instanceId: step.instanceId,
      kind: "supervision.late-contract-filing",
    });
    await creditFact(step, project, {
      kind: "late-contract-filing", rule: "contract.publish", occurredOn: filedOn, startsOn: due,
      title: { "zh-CN": `合同逾期备案公告：${project.name}（${str(step.result.signedOn)} 签订，应于 ${due} 前，实际 ${filedOn}）`, en: `Contract published late: ${project.name} (signed ${str(step.result.signedOn)}, due by ${due}, filed ${filedOn})` },
    });
  }
  await update(step.trx, project.id, step.now, {
    stage: "acceptance", contract_amount: str(step.result.amount), signed_on: str(step.result.signedOn), contract_filed_on: filedOn, late_filing: late,
  });
  return { data: { filedOn, filingDue: due, lateFiling: late } };
}

/** A fact for the purchasing unit's credit file (plugins/credit/api.ts), in the step's transaction: once per instance and kind. */
function creditFact(step: StepContext, project: ProjectRow, f: Pick<CreditFactEvent, "kind" | "rule" | "occurredOn" | "startsOn" | "title">) {
  const payload: CreditFactEvent = { subjectCode: project.owner_unit, subjectKind: "purchaser", subjectName: project.unit_name, reference: `${project.name}（${step.instanceId}）`, appealState: "none", tenantCode: project.tenant_code, ...f };
  return enqueue(step.trx, { event: "credit.fact", key: `supervision:${step.instanceId}:${f.kind}`, payload });
}

// ── 5. acceptance ───────────────────────────────────────────────────────────────────────────

const acceptance: WorkflowHooks = {
  async start(step) {
    const project = await lockProject(step.trx, step, step.result.projectId);
    if (!project.contract_filed_on) throw conflict({ "zh-CN": "合同尚未备案", en: "The contract is not filed yet" }, { rule: "contract-not-filed" });
    if (project.acceptance_id) throw conflict({ "zh-CN": "该项目已有验收记录", en: "This project already has an acceptance record" }, { rule: "one-acceptance" });
    if (str(step.result.acceptedOn) < String(project.signed_on)) throw validationFailed([fieldError("/acceptedOn", "order", "不得早于合同签订日期", "may not be before the contract was signed")]);
    await link(step.trx, project.id, step, "acceptance");
    await update(step.trx, project.id, step.now, { acceptance_id: step.instanceId });
    return { data: { projectName: project.name, supplierName: project.supplier_name, supplierSme: !!project.supplier_sme }, parties: [project.supplier_code!] };
  },
  transitions: {
    async submit(step) {
      const project = await projectOf(step.trx, step.instanceId);
      const acceptedOn = str(step.result.acceptedOn);
      // Small and micro suppliers are paid within 30 days of acceptance; the day after, the
      // acceptance's deadline flags it (unless paid in full by then).
      const due = project.supplier_sme ? addDays(acceptedOn, SME_PAYMENT_DAYS) : null;
      await update(step.trx, project.id, step.now, { stage: "payment", accepted_on: acceptedOn, acceptance_result: str(step.result.result), payment_due: due });
      await step.publish("notifications.requested", {
        tenantCode: project.tenant_code,
        owner: { unit: project.supplier_code, account: null },
        title: { "zh-CN": `请确认验收结果：${project.name}`, en: `Please acknowledge the acceptance of ${project.name}` },
        link: `/instances/${step.instanceId}`,
        instanceId: step.instanceId,
        kind: "supervision.acknowledge-acceptance",
      });
      return { data: due ? { paymentDue: due, overdueFrom: addDays(due, 1) } : { paymentDue: null } };
    },
    async "flag-overdue"(step) {
      const project = await projectOf(step.trx, step.instanceId);
      if (compareMoney(project.paid_total, String(project.contract_amount)) >= 0) {
        throw conflict({ "zh-CN": "已足额支付", en: "Paid in full" }, { rule: "paid" });
      }
      await update(step.trx, project.id, step.now, { payment_overdue: true });
      // told to the regulators of the region and the supplier, and to the purchasing unit
      const title = { "zh-CN": `中小企业合同款项逾期未付：${project.name}（应于 ${project.payment_due} 前支付）`, en: `Payment to a small or micro supplier overdue: ${project.name} (due by ${project.payment_due})` };
      const about = { tenantCode: project.tenant_code, title, link: `/supervision/projects/${project.id}`, kind: "supervision.payment-overdue" };
      await step.publish("notifications.requested", { ...about, roles: ["regulator"], owner: { unit: project.supplier_code, account: null }, instanceId: step.instanceId });
      await step.publish("notifications.requested", { ...about, owner: { unit: project.owner_unit, account: null }, followers: false });
      await creditFact(step, project, {
        kind: "late-payment", rule: "gd.smePayment", occurredOn: localDate(step.now), startsOn: project.payment_due ?? undefined,
        title: { "zh-CN": `中小企业合同款项逾期未付：${project.name}（应于 ${project.payment_due} 前支付）`, en: `Payment to a small or micro supplier overdue: ${project.name} (due by ${project.payment_due})` },
      });
      return { data: { paymentOverdue: true } };
    },
  },
};

// ── 6. payment ──────────────────────────────────────────────────────────────────────────────

const payment: WorkflowHooks = {
  async start(step) {
    // The project row is locked: two requests at once are added up one after the other.
    const project = await lockProject(step.trx, step, step.result.projectId);
    if (!project.accepted_on) throw conflict({ "zh-CN": "尚未验收，不能申请支付", en: "Not accepted yet: no payment can be requested" }, { rule: "not-accepted" });
    if (project.acceptance_result === "fail") throw conflict({ "zh-CN": "验收不合格，不能申请支付", en: "The acceptance failed: no payment can be requested" }, { rule: "acceptance-failed" });
    const requested = money(project.requested_total).plus(money(str(step.result.amount)));
    if (requested.greaterThan(money(String(project.contract_amount)))) {
      const left = money(String(project.contract_amount)).minus(money(project.requested_total));
      throw validationFailed([fieldError("/amount", "contract-amount", `累计支付不得超过合同金额 ${toMoney(project.contract_amount!)}（尚可申请 ${toMoney(left)}）`, `payments may not exceed the contract amount ${toMoney(project.contract_amount!)} (${toMoney(left)} left)`)]);
    }
    const [{ n }] = await step.trx("supervision_project_instances").where({ project_id: project.id, stage: "payment" }).count({ n: "*" });
    await link(step.trx, project.id, step, "payment", str(step.result.amount));
    await update(step.trx, project.id, step.now, { requested_total: toMoney(requested) });
    return {
      data: { instalment: Number(n) + 1, projectName: project.name, supplierName: project.supplier_name, contractAmount: toMoney(project.contract_amount!), paymentDue: project.payment_due },
      parties: [project.supplier_code!],
    };
  },
  transitions: {
    async pay(step) {
      const project = await projectOf(step.trx, step.instanceId);
      const paid = money(project.paid_total).plus(money(str(step.result.amount)));
      const complete = paid.equals(money(String(project.contract_amount)));
      // paid in full: the procurement ends on the last payment's day, and its files' retention starts (records.retention)
      await update(step.trx, project.id, step.now, { paid_total: toMoney(paid), ...(complete ? { stage: "paid", ...retention(str(step.result.paidOn) || localDate(step.now)) } : {}) });
      const due = project.payment_due;
      return { data: { late: !!due && str(step.result.paidOn) > due } };
    },
    async cancel(step) {
      const project = await projectOf(step.trx, step.instanceId);
      await update(step.trx, project.id, step.now, { requested_total: toMoney(money(project.requested_total).minus(money(str(step.result.amount)))) });
    },
  },
};

export const hooks: Record<string, WorkflowHooks> = {
  "supervision.intention": intention,
  "supervision.plan": plan,
  "supervision.contract": contract,
  "supervision.acceptance": acceptance,
  "supervision.payment": payment,
};

export type { StepOutcome };
