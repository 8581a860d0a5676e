import { abilityOf } from "../access/ability";
import type { PlatformContext, PlatformServiceSchema } from "../plugins/types";
import { scopeQuery } from "../access/sql-scope";
import { seesUnitCode, withoutCode } from "../access/unit-code";
import { unitProblems } from "../access/units";
import { tenantTree } from "../tenancy";
import { type ErrorDetail, fieldError, validationFailed } from "../errors";
import { exportFormatParam, exportLang, exportList, type ExportColumn } from "../gateway/export";
import { listPage, listParams, type ListOrder } from "../gateway/list-query";
import { single } from "../gateway/query";
import { isUuid } from "../db";
import type { Transition, Workflow } from "./definition";
import { historyView, instanceView, type Caller, type InstanceRow, type WorkflowEngine } from "./engine";

/** A plugin's step hook calls actions as the requesting user (their token's identity and ability). */
const callerOf = (ctx: PlatformContext): Caller => ({
  ability: abilityOf(ctx),
  call: <T>(action: string, params?: Record<string, unknown>) => ctx.call(action, params ?? {}) as Promise<T>,
  // the time the gateway (or the calling node) gives this call; Moleculer passes on what is left of it
  deadline: ctx.options?.timeout ? Date.now() + ctx.options.timeout : undefined,
  idempotencyKey: ctx.meta.idempotencyKey,
});

/**
 * An instance as this caller may see it: whoever may not know its owner unit's code (a supplier, an
 * agency taking part) gets it without `ownerUnit` and without that code anywhere in its data or
 * history; and a step's actor names its unit only to those who may know that unit's code (the
 * regulator who filed a plan is of the finance bureau, whose code is its accounts' first password).
 */
function shown<V extends { tenantCode: string; ownerUnit: string | null; history?: Array<{ actor: unknown }> }>(ctx: PlatformContext, view: V): V | Omit<V, "ownerUnit"> {
  const user = ctx.meta.user;
  const history = view.history?.map((h) => {
    const actor = h.actor as { tenant?: string; unit?: string | null } | null;
    if (!actor?.unit || seesUnitCode(user, { tenantCode: actor.tenant ?? "", unitCode: actor.unit })) return h;
    const { unit: _hidden, ...rest } = actor;
    return { ...h, actor: rest };
  });
  const safe = history ? { ...view, history } : view;
  if (seesUnitCode(user, { tenantCode: view.tenantCode, unitCode: view.ownerUnit })) return safe;
  const { ownerUnit, ...rest } = safe;
  return withoutCode(rest, ownerUnit!);
}

/** A transition the caller may take, as the API shows it. */
/** Ids a list asks for at once (`?ids=`, comma-separated): at most a page of them, each a uuid. */
const MAX_IDS = 100;
function idsParam(raw: unknown): string[] | null {
  const v = single(raw);
  if (v === undefined || v === null || v === "") return null;
  const ids = [...new Set(v.split(",").map((s) => s.trim()))];
  if (ids.length > MAX_IDS || !ids.every(isUuid)) {
    throw validationFailed([fieldError("/ids", "format", `应为逗号分隔的实例编号，最多 ${MAX_IDS} 个`, `must be instance ids separated by commas, at most ${MAX_IDS}`)]);
  }
  return ids;
}

const transitionView = (t: Transition) => ({ name: t.name, title: t.title, to: t.to, form: t.form ?? null, guard: t.guard ? { message: t.guard.message } : null });

function describe(wf: Workflow) {
  return {
    id: wf.id,
    plugin: wf.plugin,
    title: wf.title,
    description: wf.description ?? null,
    version: wf.version,
    initial: wf.initial,
    states: Object.entries(wf.states).map(([name, s]) => ({ name, title: s.title, terminal: !!s.terminal })),
    start: { roles: wf.start.roles, form: wf.start.form },
    transitions: wf.transitions.map((t) => ({
      name: t.name,
      title: t.title,
      from: t.from,
      to: t.to,
      roles: t.roles,
      form: t.form ?? null,
      guard: t.guard ? { message: t.guard.message } : null,
      deadline: t.deadline ?? null,
      effects: t.effects.map((e) => e.type),
    })),
  };
}

/**
 * The generic API: any workflow a plugin ships as JSON is usable through these routes with no code
 * of its own. The module gate and roles are the engine's to check (per workflow, by its plugin);
 * reading an instance is CASL's `read WorkflowInstance` (core/access/ability.ts and the plugins' rules).
 */
interface InstanceListParams {
  workflow?: unknown;
  state?: unknown;
  mine?: unknown;
  actionable?: unknown;
  tenantCode?: unknown;
  ids?: unknown;
  page?: unknown;
  pageSize?: unknown;
  cursor?: unknown;
}

/** Recently changed first (the index core_workflow_instances_recent). */
const INSTANCE_ORDER: ListOrder = {
  name: "workflow.instances",
  keys: [
    { column: "updated_at", kind: "timestamp" },
    { column: "id", kind: "uuid" },
  ],
  direction: "desc",
};

const yes = (v: unknown) => single(v) === "1" || single(v) === "true";

export function workflowsService(engine: WorkflowEngine): PlatformServiceSchema {
  /** The instances the caller may read, filtered as the list's query string says (400 naming every bad parameter). */
  function filteredInstances(ctx: PlatformContext<InstanceListParams>, problems: ErrorDetail[] = []) {
    const user = ctx.meta.user!;
    const p = ctx.params;
    const req = listParams({ page: p.page, pageSize: p.pageSize, cursor: p.cursor }, INSTANCE_ORDER, { pageSize: 20, maxPageSize: 100 }, problems);
    const ids = idsParam(p.ids);
    const query = scopeQuery(engine.knex<InstanceRow>("core_workflow_instances"), abilityOf(ctx), "read", "WorkflowInstance", {}, ["parties"]);
    // ?ids=a,b,c: these instances (those the caller may read), as a page that lists items for one look-up
    if (ids) query.whereIn("id", ids);
    const workflow = single(p.workflow);
    if (workflow) query.where("workflow_id", workflow);
    const state = single(p.state);
    if (state) query.where("state", state);
    const tenantCode = single(p.tenantCode);
    if (tenantCode) query.where("tenant_code", tenantCode);
    if (yes(p.mine)) {
      query.where((w) => {
        w.where("created_by", user.id);
        if (user.unitCode) w.orWhere("owner_unit", user.unitCode);
      });
    }
    // ?actionable=1: only where the caller can take a transition now (the workspace's "my tasks"),
    // each with those transitions: the states where one of their roles has a way out, by workflow
    const actionable = yes(p.actionable);
    if (actionable) {
      const pairs = engine.actionableStates(user);
      if (!pairs.length) query.whereRaw("false");
      else query.whereIn(["workflow_id", "state"] as never, pairs as never);
    }
    return { query, req, actionable };
  }

  return {
    name: "workflows",
    actions: {
      list: {
        rest: "GET /workflows",
        kind: "read",
        permission: "public",
        handler() {
          return [...engine.workflows.values()].map(describe);
        },
      },

      get: {
        rest: "GET /workflows/:workflowId",
        kind: "read",
        permission: "public",
        handler(ctx: PlatformContext<{ workflowId: string }>) {
          return describe(engine.workflow(ctx.params.workflowId));
        },
      },

      start: {
        rest: "POST /workflows/:workflowId/instances",
        // its key is kept in the step's own transaction (engine.ts)
        idempotency: "own",
        kind: "create",
        permission: "authenticated",
        async handler(ctx: PlatformContext<{ workflowId: string; data?: unknown }>) {
          const row = await engine.start(ctx.meta.user!, ctx.params.workflowId, ctx.params.data, callerOf(ctx));
          ctx.meta.$statusCode = 201;
          // a 201 names what it made; without it the gateway also logged a warning for every start
          ctx.meta.$location = `/api/instances/${row.id}`;
          return shown(ctx, instanceView(engine.workflows.get(row.workflow_id), row));
        },
      },

      adopt: {
        rest: "POST /workflows/:workflowId/adopt",
        kind: "continue",
        permission: ["import", "WorkflowInstance"],
        async handler(ctx: PlatformContext<{ workflowId: string; externalId?: unknown; state?: unknown; tenantCode?: unknown; ownerUnit?: unknown; data?: unknown }>) {
          const p = ctx.params;
          const problems = [];
          if (typeof p.externalId !== "string" || !p.externalId.trim() || p.externalId.length > 100) problems.push(fieldError("/externalId", "type", "应为原系统中的编号（1–100 个字符）", "the id in the other system (1–100 characters)"));
          if (typeof p.state !== "string") problems.push(fieldError("/state", "type", "应为状态名", "a state name"));
          if (typeof p.tenantCode !== "string") problems.push(fieldError("/tenantCode", "type", "应为区划代码", "a division code"));
          if (p.ownerUnit !== undefined && p.ownerUnit !== null && typeof p.ownerUnit !== "string") problems.push(fieldError("/ownerUnit", "type", "应为单位编码", "a unit code"));
          if (!p.data || typeof p.data !== "object" || Array.isArray(p.data)) problems.push(fieldError("/data", "type", "应为对象", "an object"));
          if (problems.length) throw validationFailed(problems);
          const user = ctx.meta.user!;
          const { row, created } = await engine.adopt(
            user,
            abilityOf(ctx),
            p.workflowId,
            { externalId: (p.externalId as string).trim(), state: p.state as string, tenantCode: p.tenantCode as string, ownerUnit: (p.ownerUnit as string | null) ?? null, data: p.data as Record<string, unknown> },
            // a registered unit of the instance's tenant and of the importer's region; another region's is told like an unknown one
            (tenantCode, unit) => unitProblems(ctx, tenantTree(), [{ path: "/ownerUnit", code: unit, regions: [tenantCode, user.tenantCode] }]),
          );
          ctx.meta.$statusCode = created ? 201 : 200;
          return { ...instanceView(engine.workflows.get(row.workflow_id), row), created };
        },
      },

      instances: {
        rest: "GET /instances",
        kind: "read",
        permission: ["read", "WorkflowInstance"],
        async handler(ctx: PlatformContext<InstanceListParams>) {
          const user = ctx.meta.user!;
          const { query, req, actionable } = filteredInstances(ctx);
          const { rows, nextCursor, total, totalIsEstimate } = await listPage<InstanceRow>(engine.knex, query, INSTANCE_ORDER, req);
          const items = rows.map((r) => {
            const view = instanceView(engine.workflows.get(r.workflow_id), r);
            return shown(ctx, actionable ? { ...view, actions: engine.available(user, r).map(transitionView) } : view);
          });
          return { items, total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
        },
      },

      // before `instance`, whose /instances/:id would take "export" for an id
      instancesExport: {
        rest: "GET /instances/export",
        kind: "read",
        permission: ["read", "WorkflowInstance"],
        async handler(ctx: PlatformContext<InstanceListParams & { format?: unknown; lang?: unknown }>) {
          const user = ctx.meta.user!;
          const problems: ErrorDetail[] = [];
          const format = exportFormatParam(ctx.params.format, problems);
          const { query, actionable } = filteredInstances(ctx, problems);
          const lang = exportLang(ctx.params.lang);
          // Only what every instance has: a form's fields are its plugin's to show, by their own rules.
          const columns: ExportColumn<InstanceRow>[] = [
            { title: { "zh-CN": "事项", en: "Workflow" }, value: (r) => engine.workflows.get(r.workflow_id)?.title[lang] ?? r.workflow_id, width: 28 },
            { title: { "zh-CN": "状态", en: "State" }, value: (r) => engine.workflows.get(r.workflow_id)?.states[r.state]?.title[lang] ?? r.state, width: 16 },
            { title: { "zh-CN": "区划代码", en: "Division code" }, value: (r) => r.tenant_code, width: 10 },
            ...(actionable
              ? [{ title: { "zh-CN": "可办理", en: "Open to me" }, value: (r: InstanceRow) => engine.available(user, r).map((t) => t.title[lang]).join(lang === "en" ? ", " : "、"), width: 30 }]
              : []),
            { title: { "zh-CN": "创建时间", en: "Created" }, value: (r) => new Date(r.created_at).toISOString(), width: 26 },
            { title: { "zh-CN": "更新时间", en: "Updated" }, value: (r) => new Date(r.updated_at).toISOString(), width: 26 },
            { title: { "zh-CN": "编号", en: "Id" }, value: (r) => r.id, width: 38 },
          ];
          return exportList<InstanceRow>(ctx, {
            db: engine.knex,
            query,
            order: INSTANCE_ORDER,
            columns,
            format,
            lang,
            filename: lang === "en" ? (actionable ? "my-tasks" : "instances") : actionable ? "待办事项" : "事项",
            sheet: { "zh-CN": "事项", en: "Instances" },
          });
        },
      },

      instance: {
        rest: "GET /instances/:id",
        kind: "read",
        permission: ["read", "WorkflowInstance"],
        async handler(ctx: PlatformContext<{ id: string }>) {
          const row = await engine.visible(abilityOf(ctx), ctx.params.id);
          return shown(ctx, { ...instanceView(engine.workflows.get(row.workflow_id), row), history: (await engine.history(row.id)).map(historyView) });
        },
      },

      available: {
        rest: "GET /instances/:id/transitions",
        kind: "read",
        permission: ["read", "WorkflowInstance"],
        async handler(ctx: PlatformContext<{ id: string }>) {
          const row = await engine.visible(abilityOf(ctx), ctx.params.id);
          return engine.available(ctx.meta.user!, row).map(transitionView);
        },
      },

      transition: {
        rest: "POST /instances/:id/transitions/:name",
        // its key is kept in the step's own transaction (engine.ts)
        idempotency: "own",
        kind: "continue",
        permission: ["read", "WorkflowInstance"],
        async handler(ctx: PlatformContext<{ id: string; name: string; data?: unknown; expectedVersion?: unknown }>) {
          const row = await engine.transition(ctx.meta.user!, abilityOf(ctx), ctx.params.id, ctx.params.name, ctx.params.data, ctx.params.expectedVersion, callerOf(ctx));
          return shown(ctx, instanceView(engine.workflows.get(row.workflow_id), row));
        },
      },
    },
  };
}
