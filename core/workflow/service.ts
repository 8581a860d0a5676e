import { abilityOf } from "../access/ability";
import type { PlatformContext, PlatformServiceSchema } from "../plugins/types";
import { scopeQuery } from "../access/sql-scope";
import { seesUnitCode, withoutCode } from "../access/unit-code";
import { unitProblems } from "../access/units";
import { tenantTree } from "../tenancy";
import { fieldError, validationFailed } from "../errors";
import { pageOf, single } from "../gateway/query";
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
export function workflowsService(engine: WorkflowEngine): PlatformServiceSchema {
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
        async handler(ctx: PlatformContext<{ workflow?: string; state?: string; mine?: string; actionable?: string; tenantCode?: string; ids?: string; page?: string; pageSize?: string }>) {
          const user = ctx.meta.user!;
          const { page, pageSize } = pageOf(ctx.params, { pageSize: 20, maxPageSize: 100 });
          const ids = idsParam(ctx.params.ids);
          const query = scopeQuery(engine.knex<InstanceRow>("core_workflow_instances"), abilityOf(ctx), "read", "WorkflowInstance", {}, ["parties"]);
          // ?ids=a,b,c: these instances (those the caller may read), as a page that lists items for one look-up
          if (ids) query.whereIn("id", ids);
          if (ctx.params.workflow) query.where("workflow_id", ctx.params.workflow);
          if (ctx.params.state) query.where("state", ctx.params.state);
          if (ctx.params.tenantCode) query.where("tenant_code", ctx.params.tenantCode);
          if (ctx.params.mine === "1" || ctx.params.mine === "true") {
            query.where((w) => {
              w.where("created_by", user.id);
              if (user.unitCode) w.orWhere("owner_unit", user.unitCode);
            });
          }
          // ?actionable=1: only where the caller can take a transition now (the workspace's "my tasks"),
          // each with those transitions: the states where one of their roles has a way out, by workflow
          const actionable = ctx.params.actionable === "1" || ctx.params.actionable === "true";
          if (actionable) {
            const pairs = engine.actionableStates(user);
            if (!pairs.length) query.whereRaw("false");
            else query.whereIn(["workflow_id", "state"] as never, pairs as never);
          }
          const [{ count }] = await query.clone().count({ count: "*" });
          const rows = await query.orderBy("updated_at", "desc").orderBy("id").limit(pageSize).offset((page - 1) * pageSize);
          const items = rows.map((r) => {
            const view = instanceView(engine.workflows.get(r.workflow_id), r);
            return shown(ctx, actionable ? { ...view, actions: engine.available(user, r).map(transitionView) } : view);
          });
          return { items, total: Number(count), page, pageSize };
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
