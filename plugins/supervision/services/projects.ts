import { abilityOf, allows, oneOfParam, localDate, money as decimal, platformNow, sumMoney, type ErrorDetail, type ExportColumn, exportFormatParam, exportLang, exportList, isUuid, listPage, listParams, type ListOrder, notFound, type PlatformContext, type PlatformServiceSchema, type PluginServiceThis, scopeQuery, type SearchColumn, seesUnitCode, type SessionUser, toMoney, whereContains } from "../../../core/sdk";
import type { Knex } from "knex";
import { subject } from "@casl/ability";
import { channelOptions } from "./channels";
import { PROJECT, type ProjectRow } from "./rules";
import { type ContractHold, contractHolds, type ContractRecord, contractRecords, type PaymentLock, paymentLocks } from "../api";

const STAGES = ["intention", "plan", "execution", "contract", "acceptance", "payment", "paid", "withdrawn"] as const;
const STAGE_TITLES: Record<string, { "zh-CN": string; en: string }> = {
  intention: { "zh-CN": "采购意向", en: "Intention" },
  plan: { "zh-CN": "采购计划备案", en: "Plan filing" },
  execution: { "zh-CN": "采购执行", en: "Execution" },
  contract: { "zh-CN": "合同备案", en: "Contract filing" },
  acceptance: { "zh-CN": "履约验收", en: "Acceptance" },
  payment: { "zh-CN": "合同支付", en: "Payment" },
  paid: { "zh-CN": "已完成支付", en: "Paid" },
  withdrawn: { "zh-CN": "已撤回", en: "Withdrawn" },
};

const money = (v: string | null) => (v === null ? null : toMoney(v));
const date = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v));

export const projectSubject = (row: ProjectRow) =>
  subject("Project", { id: row.id, tenantCode: row.tenant_code, ownerUnit: row.owner_unit, supplierCode: row.supplier_code, agencyCode: row.agency_code });

/**
 * What the workspace shows of a project (contacts and internal notes live in the stages, under their
 * own permissions). The unit's code is its budget code, its accounts' first password: a supplier or
 * an agency taking part gets the unit's registry id and name, not `unitCode`.
 */
function view(row: ProjectRow, user: SessionUser | null | undefined) {
  const unit = seesUnitCode(user, { tenantCode: row.tenant_code, unitCode: row.owner_unit }) ? { unitCode: row.owner_unit } : {};
  return {
    id: row.id,
    name: row.name,
    tenantCode: row.tenant_code,
    ...unit,
    unitId: row.unit_id,
    unitName: row.unit_name,
    stage: row.stage,
    stageTitle: STAGE_TITLES[row.stage],
    budget: money(row.budget),
    method: row.method,
    channel: row.channel,
    exemptionReason: row.exemption_reason,
    planTotal: money(row.plan_total),
    agencyCode: row.agency_code,
    supplier: row.supplier_code ? { code: row.supplier_code, name: row.supplier_name, sme: !!row.supplier_sme } : null,
    awardedAmount: money(row.awarded_amount),
    contractAmount: money(row.contract_amount),
    signedOn: row.signed_on,
    contractFiledOn: row.contract_filed_on,
    acceptedOn: row.accepted_on,
    paymentDue: row.payment_due,
    requestedTotal: money(row.requested_total),
    paidTotal: money(row.paid_total),
    // records.retention: once the procurement has ended, the day until which its files are kept at least
    retention: row.ended_on ? { endedOn: row.ended_on, retainUntil: row.retain_until, rule: "records.retention" } : null,
    flags: [
      ...(row.exemption_reason ? [{ kind: "intention-exempt", title: { "zh-CN": `意向公开时限豁免：${row.exemption_reason}`, en: `Exempt from the intention lead: ${row.exemption_reason}` } }] : []),
      ...(row.late_filing ? [{ kind: "late-contract-filing", title: { "zh-CN": `合同逾期备案（${row.contract_filed_on}）`, en: `Contract filed late (${row.contract_filed_on})` } }] : []),
      ...(row.payment_overdue ? [{ kind: "payment-overdue", title: { "zh-CN": `中小企业款项逾期（应于 ${row.payment_due} 前支付）`, en: `SME payment overdue (due by ${row.payment_due})` } }] : []),
    ],
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
}

async function visibleProject(db: Knex, ctx: PlatformContext, id: unknown): Promise<ProjectRow> {
  if (!isUuid(id)) throw notFound(PROJECT);
  const row = await db<ProjectRow>("supervision_projects").where({ id }).first();
  if (!row || !abilityOf(ctx).can("read", projectSubject(row))) throw notFound(PROJECT);
  return row;
}

interface ModuleNow { module: string; state: Parameters<typeof allows>[0]; units: string[] | null; next: { at: string; state: string } | null }

/** Recently changed first (the index supervision_projects_recent). */
const PROJECT_ORDER: ListOrder = {
  name: "supervision.projects",
  keys: [
    { column: "updated_at", kind: "timestamp" },
    { column: "id", kind: "uuid" },
  ],
  direction: "desc",
};

/** `q`: the project's and the unit's names, normalised, with their indexes (migration 20261206000200_project_search). */
const PROJECT_SEARCH: SearchColumn = { column: "search", bigrams: "supervision_bigrams(search)", trigram: true };

interface ListQueryParams {
  stage?: string;
  q?: string;
  tenantCode?: string;
  page?: string;
  pageSize?: string;
  cursor?: string;
}

/** The projects the caller may read, filtered as the list's query string says (400 with every problem). */
function filteredProjects(db: Knex, ctx: PlatformContext<ListQueryParams>, problems: ErrorDetail[] = []) {
  const stage = oneOfParam("stage", ctx.params.stage, STAGES, problems);
  const req = listParams(ctx.params, PROJECT_ORDER, { pageSize: 20, maxPageSize: 100 }, problems);
  const query = scopeQuery(db<ProjectRow>("supervision_projects"), abilityOf(ctx), "read", "Project");
  if (stage) query.where("stage", stage);
  if (ctx.params.tenantCode) query.where("tenant_code", ctx.params.tenantCode);
  whereContains(query, PROJECT_SEARCH, req.terms);
  return { query, req };
}

type ProjectView = ReturnType<typeof view>;

/** The export's columns: what the workspace's list and a project's page show, never a unit's code. */
function exportColumns(lang: "zh-CN" | "en"): ExportColumn<ProjectView>[] {
  return [
    { title: { "zh-CN": "项目名称", en: "Project" }, value: (p) => p.name, width: 40 },
    { title: { "zh-CN": "采购单位", en: "Purchasing unit" }, value: (p) => p.unitName, width: 28 },
    { title: { "zh-CN": "区划代码", en: "Division code" }, value: (p) => p.tenantCode, width: 10 },
    { title: { "zh-CN": "阶段", en: "Stage" }, value: (p) => p.stageTitle?.[lang] ?? p.stage, width: 14 },
    { title: { "zh-CN": "采购方式", en: "Method" }, value: (p) => p.method, width: 22 },
    { title: { "zh-CN": "预算（元）", en: "Budget (CNY)" }, value: (p) => p.budget, width: 16 },
    { title: { "zh-CN": "计划金额（元）", en: "Plan total (CNY)" }, value: (p) => p.planTotal, width: 16 },
    { title: { "zh-CN": "成交供应商", en: "Supplier" }, value: (p) => p.supplier?.name ?? null, width: 28 },
    { title: { "zh-CN": "成交金额（元）", en: "Award (CNY)" }, value: (p) => p.awardedAmount, width: 16 },
    { title: { "zh-CN": "合同金额（元）", en: "Contract (CNY)" }, value: (p) => p.contractAmount, width: 16 },
    { title: { "zh-CN": "已支付（元）", en: "Paid (CNY)" }, value: (p) => p.paidTotal, width: 16 },
    { title: { "zh-CN": "提示", en: "Flags" }, value: (p) => p.flags.map((f) => f.title[lang]).join("；"), width: 36 },
    { title: { "zh-CN": "更新时间", en: "Updated" }, value: (p) => p.updatedAt, width: 26 },
  ];
}

/**
 * Each plan line's amount against what the contracts of other channels spent of it (contracted) and
 * paid; the plan as the plan stage's data shows it to this caller (none when they may not read it).
 */
function lineSpend(stages: Array<{ stage: string; data: unknown }>, records: ContractRecord[]) {
  const items = ((stages.find((s) => s.stage === "plan")?.data as { items?: Array<{ name: string; category: string; amount: string }> } | undefined)?.items) ?? [];
  return items.map((it, line) => {
    const mine = records.filter((r) => r.planLine === line);
    const sum = (rs: ContractRecord[]) => toMoney(sumMoney(rs.map((r) => r.amount)));
    const contracted = sum(mine);
    return { line, name: it.name, category: it.category, amount: toMoney(it.amount), contracted, paid: sum(mine.filter((r) => r.status === "paid")), remaining: toMoney(decimal(toMoney(it.amount)).minus(contracted)) };
  });
}

/**
 * The projects API: the workspace's list and a project's page across its stages. The stages
 * themselves are changed through the generic workflow API (core/workflow); the rules between
 * them are the step hooks (./rules.ts).
 */
export const projectsService: PlatformServiceSchema & ThisType<PluginServiceThis> = {
  name: "supervision",
  actions: {
    list: {
      rest: "GET /projects",
      kind: "read",
      permission: ["read", "Project"],
      async handler(this: PluginServiceThis, ctx: PlatformContext<ListQueryParams>) {
        const { query, req } = filteredProjects(this.db, ctx);
        const { rows, nextCursor, total, totalIsEstimate } = await listPage<ProjectRow>(this.db, query, PROJECT_ORDER, req);
        return { items: rows.map((r) => view(r, ctx.meta.user)), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
      },
    },

    // before `get`, whose /projects/:id would take "export" for an id
    export: {
      rest: "GET /projects/export",
      kind: "read",
      permission: ["read", "Project"],
      async handler(this: PluginServiceThis, ctx: PlatformContext<ListQueryParams & { format?: unknown; lang?: unknown }>) {
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const { query } = filteredProjects(this.db, ctx, problems);
        const lang = exportLang(ctx.params.lang);
        const user = ctx.meta.user;
        return exportList<ProjectRow>(ctx, {
          db: this.db,
          query,
          order: PROJECT_ORDER,
          columns: exportColumns(lang).map((c) => ({ ...c, value: (row: ProjectRow) => c.value(view(row, user)) })),
          format,
          lang,
          filename: lang === "en" ? "projects" : "采购项目",
          sheet: { "zh-CN": "采购项目", en: "Projects" },
        });
      },
    },

    get: {
      rest: "GET /projects/:id",
      kind: "read",
      permission: ["read", "Project"],
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string }>) {
        const row = await visibleProject(this.db, ctx, ctx.params.id);
        const links = await this.db("supervision_project_instances").where({ project_id: row.id }).orderBy("seq");
        const stages = [];
        for (const l of links) {
          // Each stage as the workflow API shows it to this caller; one they may not read is left out.
          try {
            const inst = await ctx.call<Record<string, unknown>, { id: string }>("workflows.instance", { id: l.instance_id });
            stages.push({ stage: l.stage, workflowId: inst.workflowId, instanceId: inst.id, state: inst.state, stateTitle: inst.stateTitle, terminal: inst.terminal, data: inst.data, history: inst.history });
          } catch (err) {
            if ((err as { type?: string }).type !== "NOT_FOUND") throw err;
          }
        }
        // where the contract's payments must go, as the providers of supervision.payment-locks say (contract financing)
        const locks: PaymentLock[] = [];
        if (row.contract_filed_on) for (const p of this.extensions.providers(ctx, paymentLocks)) locks.push(...(await p.call.locks({ projectId: row.id, tenantCode: row.tenant_code })).locks);
        const shown = { ...view(row, ctx.meta.user), paymentLocks: locks };
        const records: ContractRecord[] = [];
        for (const p of this.extensions.providers(ctx, contractRecords)) records.push(...(await p.call.records({ projectId: row.id, tenantCode: row.tenant_code })).records);
        if (!records.length) return { ...shown, stages };
        const today = localDate(platformNow());
        // an accepted record unpaid past its due day is the same flag as the project's own contract's
        const overdue = records.filter((r) => r.status === "accepted" && r.paymentDue !== null && today > r.paymentDue);
        const flags = [...shown.flags, ...overdue.map((r) => ({ kind: "payment-overdue", title: { "zh-CN": `${r.supplier.name}的合同款逾期未付（应于 ${r.paymentDue} 前支付）`, en: `Payment to ${r.supplier.name} overdue (due by ${r.paymentDue})` } }))];
        return { ...shown, flags, stages, contractRecords: records, lineSpend: lineSpend(stages, records) };
      },
    },

    channels: {
      rest: "GET /projects/:id/channels",
      kind: "read",
      permission: ["read", "Project"],
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string }>) {
        const row = await visibleProject(this.db, ctx, ctx.params.id);
        if (!row.method) return { method: null, channels: [] };
        const now = await ctx.call<{ modules: ModuleNow[] }, { code: string }>("tenancy.modules", { code: row.tenant_code });
        const byKey = new Map(now.modules.map((m) => [m.module, m]));
        const user = ctx.meta.user as SessionUser;
        const asOwner = { ...user, unitCode: row.owner_unit };
        const channels = channelOptions(row.method, (module) => {
          const m = byKey.get(module);
          const open = !!m && allows(m.state, "create", asOwner, m.units);
          return { open, opensAt: !open && m?.next?.state === "live" ? m.next.at : null };
        }).map(({ refusal: _r, ...c }) => ({ ...c, state: c.module ? (byKey.get(c.module)?.state ?? "off") : null }));
        return { method: row.method, chosen: row.channel, channels };
      },
    },

    /**
     * Whether the project's contract may be filed now, by every provider of `supervision.contract-holds`
     * (a challenge awaiting its answer, …), asked as the caller. No route: the contract's step hooks call
     * it in their prepare phase, before the step's transaction opens (core/workflow/README.md).
     */
    contractHolds: {
      kind: "read",
      permission: "authenticated",
      params: { projectId: "string" },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ projectId: string }>): Promise<{ holds: ContractHold[] }> {
        if (!isUuid(ctx.params.projectId)) return { holds: [] };
        // one the caller cannot see has nothing to say here: the step itself refuses it as before
        const row = await this.db<ProjectRow>("supervision_projects").where({ id: ctx.params.projectId }).first();
        if (!row) return { holds: [] };
        const holds: ContractHold[] = [];
        for (const p of this.extensions.providers(ctx, contractHolds)) holds.push(...(await p.call.holds({ projectId: row.id, tenantCode: row.tenant_code })).holds);
        return { holds };
      },
    },
  },
};
