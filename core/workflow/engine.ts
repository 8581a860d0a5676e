import { subject } from "@casl/ability";
import { idempotencyKeyOf as checkedIdempotencyKey } from "../broker/idempotency";
import jsonLogic from "json-logic-js";
import type { Knex } from "knex";
import { findWorkday } from "chinese-days";
import { conflict, fieldError, forbidden, notFound, validationFailed, PlatformError, type ErrorDetail, type Localized } from "../errors";
import { actorOf, writeAudit } from "../audit/log";
import type { AppAbility, SessionUser } from "../plugins/types";
import type { Clock } from "../tenancy/clock";
import { localDate, parseScheduleTime } from "../tenancy/time";
import { isPointer, type Deadline, type Effect, type Transition, type Workflow } from "./definition";
import { isUuid } from "../db";
import { UNAVAILABLE } from "../broker/middlewares";
import { randomUUID } from "node:crypto";
import type { PrepareContext, StepBase, StepHook, StepOutcome, WorkflowHooks } from "./hooks";
import type { Attached } from "../files/files";
import { GroupWriter } from "./group";
import { batchedReads } from "../db/batched";

/**
 * The uploads a step's data names (core/files): checked as the caller before the transaction opens
 * (theirs, or already this instance's; of a type and size the field takes), recorded in it.
 */
export interface AttachmentCheck {
  check(formRef: unknown, data: Record<string, unknown>, user: SessionUser, instanceId: string | null): Promise<Attached[]>;
  attach(trx: Knex.Transaction, attached: Attached[], instanceId: string): Promise<Array<{ id: string; sha256: string; pointer: string }>>;
}

/** Submitted data as its form checked it, and the attachments it names. */
type Checked = { data: Record<string, unknown>; formRef: unknown; attachments?: Attached[] };

/** What the engine needs of the forms registry: check submitted data, and say exactly which form version checked it. */
export interface FormCheck {
  validate(formId: string, tenantCode: string, data: unknown): Promise<{ data: Record<string, unknown>; formRef: unknown }> | { data: Record<string, unknown>; formRef: unknown };
}

/** Puts events in the outbox, in the caller's transaction and in this order (core/events). */
export type Publish = (trx: Knex.Transaction, messages: Array<{ event: string; payload: unknown; key?: string }>) => Promise<unknown>;

/**
 * Whether a plugin's module is open for this user and kind of business (core/tenancy's gate); null
 * when it is. `place`: the tenant and owner unit of the instance acted on, whose schedule governs;
 * the user's own when absent (a start).
 */
export type ModuleCheck = (plugin: string, kind: "create" | "continue" | "read", user: SessionUser | null | undefined, place?: { tenantCode: string; unitCode?: string | null }) => PlatformError | null;

/** Where an instance's business is, for the gate: its tenant and owner unit. */
const placeOf = (row: { tenant_code: string; owner_unit: string | null }) => ({ tenantCode: row.tenant_code, unitCode: row.owner_unit });

export interface InstanceRow {
  id: string;
  workflow_id: string;
  workflow_version: number;
  plugin: string;
  tenant_code: string;
  owner_unit: string | null;
  created_by: string | null;
  /** registry units taking part besides the owner (a supplier, an agency): they may read it */
  parties: string[];
  state: string;
  data: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface HistoryRow {
  id: number;
  instance_id: string;
  seq: number;
  transition: string;
  from_state: string | null;
  to_state: string;
  actor: Record<string, unknown>;
  data: Record<string, unknown> | null;
  form_ref: unknown;
  at: Date;
}

export const INSTANCE: Localized = { "zh-CN": "业务实例", en: "workflow instance" };
const WORKFLOW: Localized = { "zh-CN": "流程", en: "workflow" };
/** the start of an instance, in its history */
export const START = "$start";
/** the arrival of an instance brought from another system, in its history */
export const IMPORT = "$import";

/** The fields CASL conditions on WorkflowInstance read. */
export const instanceSubject = (row: InstanceRow) =>
  subject("WorkflowInstance", {
    id: row.id,
    workflowId: row.workflow_id,
    plugin: row.plugin,
    tenantCode: row.tenant_code,
    ownerUnit: row.owner_unit,
    createdBy: row.created_by,
    parties: row.parties ?? [],
    state: row.state,
  });


/** The keys a JSON pointer names, unescaped ("/a~1b/c" → ["a/b", "c"]). */
const pointerKeys = (pointer: string) => pointer.split("/").slice(1).map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"));

export function pointerGet(data: unknown, pointer: string): unknown {
  let at: unknown = data;
  for (const key of pointerKeys(pointer)) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

export interface EngineOptions {
  knex: Knex;
  workflows: Map<string, Workflow>;
  forms: FormCheck;
  publish: Publish;
  clock: Clock;
  moduleCheck: ModuleCheck;
  /** plugins' step hooks by workflow id (core/workflow/hooks.ts) */
  hooks?: Map<string, WorkflowHooks>;
  /**
   * Puts new timers on the job queue, in the transaction that makes them (core/events/queue.ts):
   * each a job that starts when it is due, on real time. The sweep (`fireDue`) stays the backstop:
   * for timers made before the queue, and for a clock that travels (tests, demonstration data).
   */
  scheduleTimers?: (trx: Knex.Transaction, timers: Array<{ id: number; startAfter: Date }>) => Promise<void>;
  /** attachment fields' uploads (core/files) */
  attachments?: AttachmentCheck;
}

/** What the API layer hands the engine of the caller's request: their ability, and a way to call actions as them. */
export interface Caller {
  ability?: AppAbility;
  call?: PrepareContext["call"];
  /** when the caller stops waiting (epoch ms; the request's timeout): a step not ready to commit by then is rolled back */
  deadline?: number;
  /** the request's Idempotency-Key header, as sent (checked here) */
  idempotencyKey?: unknown;
}

const idempotencyKeyOf = (caller: Caller) => checkedIdempotencyKey(caller.idempotencyKey);

/** What a COMMIT may take at most, on a loaded machine: a step that reaches it later than this before its caller's deadline is not committed. */
const COMMIT_MARGIN_MS = 500;

/**
 * A caller answered "timeout" (503) must not find the step done after all: it would retry and do it
 * twice (issue 16: 503s that committed). Checked last in the transaction, after every lock was had.
 */
function beforeCommit(caller: Caller): void {
  if (caller.deadline !== undefined && Date.now() > caller.deadline - COMMIT_MARGIN_MS) throw UNAVAILABLE.timeout("workflows");
}

/**
 * Steps written together (group commit): at most this many groups at once, each on a connection of
 * its own, and at most this many steps a group.
 */
const STEP_GROUPS = 2;
const STEP_GROUP_MAX = 64;

/** A start or a transition, checked (form, guard, roles, gate; its hook's prepare phase done) and waiting for its group (WorkflowEngine.writeGroup). */
type QueuedStep = QueuedStart | QueuedMove;

interface QueuedBase {
  /** its instance: one step an instance a group */
  key: string;
  wf: Workflow;
  checked: Checked;
  user: SessionUser;
  idempotencyKey: string | undefined;
  request: string;
  caller: Caller;
  /** the plugin's hook for the step, what its prepare phase found, and the step as the hook sees it */
  hook: StepHook | undefined;
  facts: unknown;
  hookStep: HookStep;
  /** writes it in a transaction of its own (when its group could not be written) */
  alone: () => Promise<InstanceRow>;
  resolve: (row: InstanceRow) => void;
  reject: (err: unknown) => void;
}

interface QueuedStart extends QueuedBase {
  kind: "start";
}

interface QueuedMove extends QueuedBase {
  kind: "move";
  t: Transition;
  /** the instance as read before the checks: the version and state its step was checked on */
  row: InstanceRow;
  merged: Record<string, unknown>;
}

/** A step as recordSteps writes it: the instance before (null for a start) and after. */
interface RecordedStep {
  wf: Workflow;
  before: InstanceRow | null;
  after: InstanceRow;
  transition: string;
  action: string;
  actor: Record<string, unknown>;
  checked: Checked;
  effects: Effect[];
  at: Date;
}

/** A step as the engine hands it to a hook's two phases (the parts each phase adds are the engine's). */
type HookStep = Omit<StepBase, "workflow" | "ability" | "moduleRefusal"> & { caller: Caller };

/** The fields a notice shows, by JSON pointer, copied into a fresh object of the same shape: nothing else leaves the instance. */
export function pickPublic(data: Record<string, unknown>, pointers: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pointer of pointers) {
    const value = pointerGet(data, pointer);
    if (value === undefined) continue;
    const keys = pointerKeys(pointer);
    let at = out;
    keys.forEach((key, i) => {
      if (i === keys.length - 1) at[key] = value;
      else at = (at[key] ??= {}) as Record<string, unknown>;
    });
  }
  return out;
}

/**
 * Runs the JSON workflows: starts instances, takes transitions, fires deadlines. Every change is
 * one PostgreSQL transaction: the instance (compare-and-set on its version, so of two concurrent
 * transitions exactly one wins), its history row, its timers, the audit entry and the outbox rows
 * of its effects. A refused guard, form or permission writes nothing. Steps that arrive together
 * share one such transaction (group commit, writeGroup).
 */
export class WorkflowEngine {
  /** starts and transitions, written in groups (`start`, `transition`) */
  private readonly steps = new GroupWriter<QueuedStep>({ concurrency: STEP_GROUPS, max: STEP_GROUP_MAX, write: (group) => this.writeGroup(group) });

  /**
   * Instances read outside a transaction: the reads asked for together share a statement (under load
   * the callers a group's commit answers ask for their next instances together). Never cached.
   */
  private readonly rows = batchedReads<string, InstanceRow>(
    async (ids) => {
      const found = await this.o.knex<InstanceRow>("core_workflow_instances").whereIn("id", [...new Set(ids)]);
      const byId = new Map(found.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    },
  );

  /**
   * The Idempotency-Keys looked up before a write (firstResult): the look-ups asked for together
   * share a statement, as the instances' reads do. Never cached: a key is written by the step it names.
   */
  private readonly keys = batchedReads<string, { request: string; result: InstanceRow }>(
    async (pairs) => {
      const split = pairs.map((p) => p.split("\n"));
      const found = (await this.o.knex.raw(
        "select k.account_id::text as account, k.key, k.request, k.result from core_idempotency_keys k join unnest(?::uuid[], ?::text[]) as w(account_id, key) on k.account_id = w.account_id and k.key = w.key",
        [split.map(([account]) => account), split.map(([, key]) => key)],
      )) as { rows: Array<{ account: string; key: string; request: string; result: InstanceRow }> };
      const byPair = new Map(found.rows.map((r) => [`${r.account}\n${r.key}`, { request: r.request, result: r.result }]));
      return pairs.map((p) => byPair.get(p) ?? null);
    },
  );

  constructor(private readonly o: EngineOptions) {}

  get knex(): Knex {
    return this.o.knex;
  }

  get workflows(): Map<string, Workflow> {
    return this.o.workflows;
  }

  workflow(id: string): Workflow {
    const wf = this.o.workflows.get(id);
    if (!wf) throw notFound(WORKFLOW);
    return wf;
  }

  private gate(plugin: string, kind: "create" | "continue" | "read", user: SessionUser | null | undefined, place?: Parameters<ModuleCheck>[3]): void {
    const refusal = this.o.moduleCheck(plugin, kind, user, place);
    if (refusal) throw refusal;
  }

  /** The instance, if the caller may read it; 404 otherwise, exactly as for an id that does not exist. */
  async visible(ability: AppAbility, id: unknown, db: Knex | Knex.Transaction = this.o.knex): Promise<InstanceRow> {
    if (!isUuid(id)) throw notFound(INSTANCE);
    const row = db === this.o.knex ? await this.rows.load(id.toLowerCase()) : await db<InstanceRow>("core_workflow_instances").where({ id }).first();
    if (!row || !ability.can("read", instanceSubject(row))) throw notFound(INSTANCE);
    return row;
  }

  async history(instanceId: string): Promise<HistoryRow[]> {
    return this.o.knex<HistoryRow>("core_workflow_history").where({ instance_id: instanceId }).orderBy("seq");
  }

  /** Transitions the user could take on this instance now (by state, role and module), each with its form. */
  available(user: SessionUser, row: InstanceRow): Transition[] {
    const wf = this.workflow(row.workflow_id);
    if (this.o.moduleCheck(wf.plugin, "continue", user, placeOf(row))) return [];
    return wf.transitions.filter((t) => t.from.includes(row.state) && t.roles.some((r) => user.roles.includes(r)));
  }

  /** [workflow id, state] of every state where the user holds a role of a transition by hand, in workflows whose module lets them continue. */
  actionableStates(user: SessionUser): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const wf of this.o.workflows.values()) {
      if (this.o.moduleCheck(wf.plugin, "continue", user)) continue;
      const states = new Set(wf.transitions.filter((t) => t.roles.some((r) => user.roles.includes(r))).flatMap((t) => t.from));
      for (const s of states) out.push([wf.id, s]);
    }
    return out;
  }

  private async checkData(formId: string | undefined, tenantCode: string, data: unknown, where: string): Promise<{ data: Record<string, unknown>; formRef: unknown }> {
    if (formId) return this.o.forms.validate(formId, tenantCode, data ?? {});
    if (data !== undefined && data !== null && !(typeof data === "object" && Object.keys(data as object).length === 0)) {
      throw validationFailed([fieldError("/data", "none", `「${where}」不需要提交数据`, `"${where}" takes no data`)]);
    }
    return { data: {}, formRef: null };
  }

  private async withAttachments(checked: Checked, user: SessionUser, instanceId: string | null): Promise<Checked> {
    if (!this.o.attachments) return checked;
    return { ...checked, attachments: await this.o.attachments.check(checked.formRef, checked.data, user, instanceId) };
  }

  /**
   * A guard reads { data: the instance's data before the transition, submitted: what this
   * transition brings, result: the data after it, instance, user, now (ISO 8601) }.
   */
  private checkGuard(t: Transition, row: Pick<InstanceRow, "state" | "tenant_code" | "owner_unit" | "workflow_id" | "created_at" | "data">, submitted: Record<string, unknown>, user: SessionUser | null): void {
    if (!t.guard) return;
    const context = {
      data: row.data,
      submitted,
      result: { ...row.data, ...submitted },
      instance: { state: row.state, tenantCode: row.tenant_code, ownerUnit: row.owner_unit, workflowId: row.workflow_id, createdAt: new Date(row.created_at).toISOString() },
      user: user ? { roles: user.roles, tenantCode: user.tenantCode, unitCode: user.unitCode ?? null } : null,
      now: this.o.clock.now().toISOString(),
    };
    if (jsonLogic.truthy(jsonLogic.apply(t.guard.rule as jsonLogic.RulesLogic, context))) return;
    const { message, path } = t.guard;
    if (path) throw validationFailed([{ path, rule: "guard", message }], message);
    throw conflict(message, { rule: "guard", transition: t.name });
  }

  /** When a deadline falls, for an instance entering its state now; null when its data gives no date. */
  dueAt(deadline: Deadline, data: Record<string, unknown>): Date | null {
    const now = this.o.clock.now();
    if (deadline.at) {
      const value = pointerGet(data, deadline.at);
      return typeof value === "string" ? parseScheduleTime(value) : null;
    }
    const after = deadline.after!;
    if (after.minutes) return new Date(now.getTime() + after.minutes * 60_000);
    if (after.days) return new Date(now.getTime() + after.days * 86_400_000);
    // N working days from today (China): due at the start of the day after the Nth.
    const nth = findWorkday(after.workingDays!, localDate(now));
    return parseScheduleTime(localDate(new Date(parseScheduleTime(nth)!.getTime() + 86_400_000)));
  }

  /** The deadlines of the states the instances are now in: the old ones cancelled, the new ones made and queued. */
  private async enterStates(trx: Knex.Transaction, entered: Array<{ wf: Workflow; row: InstanceRow; isNew: boolean }>): Promise<void> {
    // a new instance has no timers to cancel
    const ids = entered.filter((e) => !e.isNew).map((e) => e.row.id);
    const pending = (qb: Knex.QueryBuilder) =>
      qb.from("core_workflow_timers").whereIn("instance_id", ids).whereNull("fired_at").whereNull("cancelled_at").update({ cancelled_at: this.o.clock.now() });
    const timers = entered.flatMap(({ wf, row }) =>
      wf.transitions
        .filter((t) => t.deadline && t.from.includes(row.state))
        .map((t) => ({ t, due: this.dueAt(t.deadline!, row.data) }))
        .filter((x): x is { t: Transition; due: Date } => x.due !== null)
        .map(({ t, due }) => ({ instance_id: row.id, transition: t.name, state: row.state, due_at: due })),
    );
    if (!timers.length) {
      if (ids.length) await pending(trx.queryBuilder());
      return;
    }
    // The old timers cancelled and the new ones made in one statement: both parts see the table as
    // it was before it, so the new rows are not among the cancelled.
    const insert = trx("core_workflow_timers");
    const made = (await (ids.length ? insert.with("cancelled", pending) : insert).insert(timers).returning(["id", "due_at"])) as Array<{ id: number; due_at: Date }>;
    if (this.o.scheduleTimers) {
      // The platform's clock may stand elsewhere than the wall's (a test, demonstration data): what
      // is left until the deadline by the platform's clock, from now on the wall's.
      const now = this.o.clock.now().getTime();
      await this.o.scheduleTimers(trx, made.map((m) => ({ id: Number(m.id), startAfter: new Date(Date.now() + Math.max(0, new Date(m.due_at).getTime() - now)) })));
    }
  }

  /** The outbox messages of a step's effects, in their order. */
  private effects(wf: Workflow, row: InstanceRow, transition: string, effects: Effect[]): Array<{ event: string; payload: unknown; key: string }> {
    const base = { instanceId: row.id, workflowId: wf.id, plugin: wf.plugin, tenantCode: row.tenant_code, state: row.state, transition, version: row.version };
    return effects.flatMap((e): Array<{ event: string; payload: unknown; key: string }> => {
      if (e.type === "emit") {
        const named = Object.fromEntries(Object.entries(e.with ?? {}).map(([k, v]) => [k, isPointer(v) ? (pointerGet(row.data, v) ?? null) : v]));
        return [{ event: e.event, key: row.id, payload: { ...named, ...base, ownerUnit: row.owner_unit, ...(e.public ? { data: pickPublic(row.data, e.public) } : {}) } }];
      }
      if (e.type === "notify") {
        return [{
          event: "notifications.requested",
          key: row.id,
          payload: { ...base, roles: e.roles ?? [], owner: e.owner ? { unit: row.owner_unit, account: row.created_by } : null, title: e.title, link: `/instances/${row.id}` },
        }];
      }
      return [];
    });
  }

  async start(user: SessionUser, workflowId: string, data: unknown, caller: Caller = {}): Promise<InstanceRow> {
    const wf = this.workflow(workflowId);
    const key = idempotencyKeyOf(caller);
    const request = `start ${wf.id}`;
    if (key) {
      const first = await this.firstResult(user, key, request);
      if (first) return first;
    }
    if (!wf.start.roles.some((r) => user.roles.includes(r))) throw forbidden();
    this.gate(wf.plugin, "create", user);
    const now = this.o.clock.now();
    const id = randomUUID();
    const checked = await this.withAttachments(await this.checkData(wf.start.form, user.tenantCode, data, wf.title["zh-CN"]), user, null);
    const hook = this.o.hooks?.get(wf.id)?.start;
    const step: HookStep = {
      transition: START, instanceId: id, tenantCode: user.tenantCode, ownerUnit: user.unitCode ?? null,
      from: null, to: wf.initial, before: {}, submitted: checked.data, result: checked.data, user, caller, now,
    };
    const facts = await this.prepareHook(wf, hook, step);
    const alone = () => this.again(() => this.o.knex.transaction(async (trx) => {
      const outcome = await this.runHook(trx, wf, hook, step, facts);
      const [row] = await trx<InstanceRow>("core_workflow_instances").insert(this.newInstance(wf, user, id, checked, outcome, now) as never).returning("*");
      await this.recordSteps(trx, [{ wf, before: null, after: row, transition: START, action: "workflow.start", actor: actorOf(user), checked, effects: wf.start.effects, at: now }]);
      await this.remember(trx, [{ user, key, request, row }]);
      beforeCommit(caller);
      return row;
    }));
    return this.idempotent(user, key, request, () => new Promise<InstanceRow>((resolve, reject) => {
      this.steps.add({ kind: "start", key: id, wf, checked, user, idempotencyKey: key, request, caller, hook, facts, hookStep: step, alone, resolve, reject });
    }));
  }

  /** A started instance's row, with what its start hook added. */
  private newInstance(wf: Workflow, user: SessionUser, id: string, checked: Checked, outcome: StepOutcome, now: Date) {
    return {
      id,
      workflow_id: wf.id,
      workflow_version: wf.version,
      plugin: wf.plugin,
      tenant_code: user.tenantCode,
      owner_unit: user.unitCode ?? null,
      created_by: user.id,
      parties: unique(outcome.parties ?? []),
      state: wf.initial,
      data: { ...checked.data, ...outcome.data },
      version: 1,
      created_at: now,
      updated_at: now,
    };
  }

  /**
   * Brings business begun in another system into a workflow at the state it had reached there (a
   * migration, e.g. the old procurement system's projects), under its id in that system: a second
   * import of the same id finds the first and writes nothing. The caller must be allowed to
   * `import WorkflowInstance` in the tenant, and the plugin's module must let business continue.
   */
  async adopt(
    user: SessionUser,
    ability: AppAbility,
    workflowId: string,
    item: { externalId: string; state: string; tenantCode: string; ownerUnit: string | null; data: Record<string, unknown> },
    /** the owner unit's problems, if any (core/access/units.ts: a registered unit of the tenant and the caller's region) */
    unitProblems: (tenantCode: string, unit: string) => Promise<ErrorDetail[]> = async () => [],
  ): Promise<{ row: InstanceRow; created: boolean }> {
    const wf = this.workflow(workflowId);
    if (!ability.can("import", subject("WorkflowInstance", { tenantCode: item.tenantCode, plugin: wf.plugin, workflowId: wf.id }))) throw forbidden();
    // Only where the workflow says business may arrive: a state the platform's own rules lead to
    // (a plan filed by the regulator) cannot be reached by importing it.
    const adoptable = Object.keys(wf.states).filter((s) => wf.states[s].adoptable);
    const state = wf.states[item.state];
    if (!state?.adoptable) {
      const [zh, en] = adoptable.length ? [`应为 ${adoptable.join("、")} 之一`, `must be one of ${adoptable.join(", ")}`] : ["该流程不接受从其他系统迁入", "this workflow takes no business from other systems"];
      throw validationFailed([fieldError("/state", "adoptable", zh, en)]);
    }
    const refusal = this.o.moduleCheck(wf.plugin, "continue", user, { tenantCode: item.tenantCode, unitCode: item.ownerUnit });
    if (refusal) throw refusal;
    const checked = await this.checkData(state.adoptable.form, item.tenantCode, item.data, wf.title["zh-CN"]);
    if (item.ownerUnit !== null) {
      const problems = await unitProblems(item.tenantCode, item.ownerUnit);
      if (problems.length) throw validationFailed(problems);
    }
    const now = this.o.clock.now();
    return this.o.knex.transaction(async (trx) => {
      // imports of the same id at the same moment: one at a time, the second finds the first
      await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`${wf.id}/${item.externalId}`]);
      const existing = await trx<InstanceRow>("core_workflow_instances").where({ workflow_id: wf.id, external_id: item.externalId } as never).first();
      if (existing) return { row: existing, created: false };
      const [row] = await trx<InstanceRow>("core_workflow_instances")
        .insert({
          workflow_id: wf.id, workflow_version: wf.version, plugin: wf.plugin, tenant_code: item.tenantCode, owner_unit: item.ownerUnit,
          created_by: null, external_id: item.externalId, state: item.state, data: checked.data, version: 1, created_at: now, updated_at: now,
        } as never)
        .returning("*");
      await this.recordSteps(trx, [{ wf, before: null, after: row, transition: IMPORT, action: "workflow.import", actor: actorOf(user), checked, effects: [], at: now }]);
      return { row, created: true };
    });
  }

  /**
   * Takes a transition by hand. The caller must see the instance (else 404), hold one of the
   * transition's roles (else 403), and find it in a state the transition leaves from (else 409).
   */
  async transition(user: SessionUser, ability: AppAbility, instanceId: unknown, name: string, data: unknown, expectedVersion?: unknown, caller: Caller = {}): Promise<InstanceRow> {
    if (expectedVersion !== undefined && !Number.isInteger(expectedVersion)) {
      throw validationFailed([fieldError("/expectedVersion", "type", "应为整数", "must be an integer")]);
    }
    const key = idempotencyKeyOf(caller);
    const request = `transition ${String(instanceId)} ${name}`;
    if (key) {
      const first = await this.firstResult(user, key, request);
      if (first) {
        await this.visible(ability, first.id); // still theirs to see, as any answer about it
        return first;
      }
    }
    const row = await this.visible(ability, instanceId);
    const wf = this.workflow(row.workflow_id);
    const t = wf.transitions.find((x) => x.name === name);
    if (!t) throw notFound({ "zh-CN": "流转", en: "transition" });
    if (!t.roles.some((r) => user.roles.includes(r))) throw forbidden();
    if (!t.from.includes(row.state)) throw notPossible(wf, t, row.state);
    if (expectedVersion !== undefined && expectedVersion !== row.version) throw stale(row.version);
    this.gate(wf.plugin, "continue", user, placeOf(row));
    const checked = await this.withAttachments(await this.checkData(t.form, row.tenant_code, data, t.title["zh-CN"]), user, row.id);
    const merged = { ...row.data, ...checked.data };
    this.checkGuard(t, row, checked.data, user);
    const by = { user, caller: { ability, ...caller } };
    const hook = this.hookOf(wf, t);
    const hookStep = this.hookStep(t, row, merged, checked.data, by, this.o.clock.now());
    const facts = await this.prepareHook(wf, hook, hookStep);
    const alone = () => this.again(() => this.o.knex.transaction(async (trx) => {
      const updated = await this.apply(trx, wf, t, row, merged, checked, actorOf(user), by, facts);
      await this.remember(trx, [{ user, key, request, row: updated }]);
      beforeCommit(by.caller);
      return updated;
    }));
    // joins the steps that arrive while earlier ones are being written, in one transaction (writeGroup)
    return this.idempotent(user, key, request, () => new Promise<InstanceRow>((resolve, reject) => {
      this.steps.add({ kind: "move", key: row.id, wf, t, row, merged, checked, user, idempotencyKey: key, request, caller: by.caller, hook, facts, hookStep, alone, resolve, reject });
    }));
  }

  /**
   * Writes a group of steps in one transaction, a statement a table where it can: the instances
   * moved are locked in one order (so two groups at once never wait on each other in a circle) and
   * each checked against the version and state its step was checked on (a step whose instance moved
   * on meanwhile gets its 409, as alone, and its hook does not run); then the steps' hooks run in
   * turn, in the group's order (each sees what the earlier ones wrote, as if written one after the
   * other); then one insert for the new instances, one compare-and-set for the moved ones, and
   * their history, deadlines, outbox and audit rows (recordSteps). If the transaction fails for any
   * other reason (a hook refuses, a deadlock, a key sent twice at once, a caller's deadline near),
   * nothing of it is kept and each step is written alone, where it succeeds or fails for itself
   * exactly as it would have without the others.
   */
  private async writeGroup(group: QueuedStep[]): Promise<void> {
    const settle = (step: QueuedStep, done: Promise<InstanceRow>) => done.then(step.resolve, step.reject);
    if (group.length === 1) return settle(group[0], group[0].alone());
    let outcome: Map<string, InstanceRow | PlatformError>;
    try {
      outcome = await this.o.knex.transaction((trx) => this.applyGroup(trx, group));
    } catch {
      await Promise.all(group.map((step) => settle(step, step.alone())));
      return;
    }
    for (const step of group) {
      const result = outcome.get(step.key)!;
      if (result instanceof PlatformError) step.reject(result);
      else step.resolve(result);
    }
  }

  private async applyGroup(trx: Knex.Transaction, group: QueuedStep[]): Promise<Map<string, InstanceRow | PlatformError>> {
    const now = this.o.clock.now();
    const outcome = new Map<string, InstanceRow | PlatformError>();
    const moves = group.filter((s): s is QueuedMove => s.kind === "move");
    if (moves.length) {
      const { rows } = (await trx.raw("select id, version, state from core_workflow_instances where id = any(?::uuid[]) order by id for update", [moves.map((s) => s.row.id)])) as {
        rows: Array<{ id: string; version: number; state: string }>;
      };
      const current = new Map(rows.map((r) => [r.id, r]));
      for (const s of moves) {
        const c = current.get(s.row.id);
        if (!c || c.version !== s.row.version || c.state !== s.row.state) outcome.set(s.key, stale(c?.version ?? s.row.version));
      }
    }
    const writing = group.filter((s) => !outcome.has(s.key));
    if (!writing.length) return outcome;
    const added = new Map<string, StepOutcome>();
    for (const s of writing) if (s.hook) added.set(s.key, await this.runHook(trx, s.wf, s.hook, { ...s.hookStep, now }, s.facts));

    const starts = writing.filter((s): s is QueuedStart => s.kind === "start");
    const made: InstanceRow[] = starts.length
      ? await trx<InstanceRow>("core_workflow_instances").insert(starts.map((s) => this.newInstance(s.wf, s.user, s.key, s.checked, added.get(s.key) ?? {}, now)) as never).returning("*")
      : [];
    const moving = writing.filter((s): s is QueuedMove => s.kind === "move");
    const given = moving.map((s) => {
      const more = added.get(s.key) ?? {};
      return { id: s.row.id, version: s.row.version, from_state: s.row.state, to_state: s.t.to, data: { ...s.merged, ...more.data }, parties: unique([...(s.row.parties ?? []), ...(more.parties ?? [])]) };
    });
    const moved: InstanceRow[] = given.length
      ? ((await trx.raw(
          `update core_workflow_instances i
           set state = g.to_state, data = g.data, parties = array(select jsonb_array_elements_text(g.parties)), version = g.version + 1, updated_at = ?
           from jsonb_to_recordset(?::jsonb) as g(id uuid, version integer, from_state text, to_state text, data jsonb, parties jsonb)
           where i.id = g.id and i.version = g.version and i.state = g.from_state
           returning i.*`,
          [now, JSON.stringify(given)],
        )) as { rows: InstanceRow[] }).rows
      : [];
    // (the rows are locked and were checked: every one is written, or the group is not)
    if (made.length !== starts.length || moved.length !== moving.length) throw new Error("a step of the group was not written");
    const after = new Map([...made, ...moved].map((r) => [r.id, r]));
    await this.recordSteps(
      trx,
      writing.map((s) =>
        s.kind === "start"
          ? { wf: s.wf, before: null, after: after.get(s.key)!, transition: START, action: "workflow.start", actor: actorOf(s.user), checked: s.checked, effects: s.wf.start.effects, at: now }
          : { wf: s.wf, before: s.row, after: after.get(s.key)!, transition: s.t.name, action: `workflow.transition.${s.t.name}`, actor: actorOf(s.user), checked: s.checked, effects: s.t.effects, at: now },
      ),
    );
    await this.remember(trx, writing.map((s) => ({ user: s.user, key: s.idempotencyKey, request: s.request, row: after.get(s.key)! })));
    for (const s of writing) {
      beforeCommit(s.caller);
      outcome.set(s.key, after.get(s.key)!);
    }
    return outcome;
  }

  /**
   * A step's transaction that PostgreSQL rolled back whole as a deadlock's or a serialization
   * failure's loser (a timer firing on the same instance, another node's hook locking the same rows
   * in the other order) is run again, twice at most: the caller gets the step, or the 409 of an
   * instance that moved on meanwhile, rather than a 500 for a clash it had no part in.
   */
  private async again<T>(run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (attempt >= 3 || !lostToAnother(err)) throw err;
      }
    }
  }

  /**
   * What a write with this Idempotency-Key answered the first time, if it was done: a client that
   * lost the answer (a timeout, a dead node, a dropped connection) retries with the same key and gets
   * the first result instead of a second instance or a 409. The same key for another request is a mistake: 409.
   */
  private async firstResult(user: SessionUser, key: string, request: string): Promise<InstanceRow | null> {
    // (a key has no line break: idempotencyKeyOf takes printable characters only)
    const found = await this.keys.load(`${user.id.toLowerCase()}\n${key}`);
    if (!found) return null;
    if (found.request !== request) {
      throw conflict({ "zh-CN": "该 Idempotency-Key 已用于另一请求", en: "This Idempotency-Key was used for another request" }, { rule: "idempotency-key" });
    }
    return found.result as InstanceRow;
  }

  /** Records the writes' keys in their own transaction: a key exists exactly when its write does. */
  private async remember(trx: Knex.Transaction, writes: Array<{ user: SessionUser; key: string | undefined; request: string; row: InstanceRow }>): Promise<void> {
    const keyed = writes.filter((w) => w.key);
    if (keyed.length) await trx("core_idempotency_keys").insert(keyed.map((w) => ({ account_id: w.user.id, key: w.key, request: w.request, result: JSON.stringify(w.row) })));
  }

  /** Runs a keyed write; the same key sent twice at once: the second waits on the key's row, fails, and answers with the first's result. */
  private async idempotent(user: SessionUser, key: string | undefined, request: string, write: () => Promise<InstanceRow>): Promise<InstanceRow> {
    try {
      return await write();
    } catch (err) {
      if (!key || (err as { code?: string }).code !== "23505" || !/core_idempotency_keys/.test((err as { constraint?: string }).constraint ?? "")) throw err;
      const first = await this.firstResult(user, key, request);
      if (!first) throw err;
      return first;
    }
  }

  private hookOf(wf: Workflow, t: Transition): StepHook | undefined {
    return this.o.hooks?.get(wf.id)?.transitions?.[t.name];
  }

  private hookStep(t: Transition, row: InstanceRow, merged: Record<string, unknown>, submitted: Record<string, unknown>, by: { user: SessionUser | null; caller: Caller }, now: Date): HookStep {
    return {
      transition: t.name, instanceId: row.id, tenantCode: row.tenant_code, ownerUnit: row.owner_unit,
      from: row.state, to: t.to, before: row.data, submitted, result: merged, user: by.user, caller: by.caller, now,
    };
  }

  private stepBase(wf: Workflow, step: HookStep): StepBase {
    const { caller, ...rest } = step;
    return {
      ...rest,
      workflow: wf,
      ability: caller.ability ?? null,
      moduleRefusal: (module, kind) => this.o.moduleCheck(module, kind, step.user, { tenantCode: step.tenantCode, unitCode: step.ownerUnit }),
    };
  }

  /**
   * The prepare phase of a two-phase hook, before any transaction opens: the one place a hook may
   * call other services (core/workflow/README.md, "Step hooks"). Its facts go to the apply phase.
   */
  private async prepareHook(wf: Workflow, hook: StepHook | undefined, step: HookStep): Promise<unknown> {
    if (!hook || typeof hook === "function") return undefined;
    return hook.prepare({ ...this.stepBase(wf, step), call: step.caller.call });
  }

  /** Runs a plugin's hook for a step, in its transaction, with what its prepare phase found; no calls from here. */
  private async runHook(trx: Knex.Transaction, wf: Workflow, hook: StepHook | undefined, step: HookStep, facts: unknown): Promise<StepOutcome> {
    if (!hook) return {};
    const context = {
      ...this.stepBase(wf, step),
      trx,
      publish: async (event: string, payload: unknown) => {
        await this.o.publish(trx, [{ event, payload, key: step.instanceId }]);
      },
    };
    const outcome = typeof hook === "function" ? await hook(context) : await hook.apply(context, facts);
    return outcome ?? {};
  }

  /**
   * What every step writes beside the instance row, in its transaction: the history row, the new
   * state's deadlines, the outbox rows of its effects and the audit entry (which takes no lock: the
   * sealer chains it once committed, core/audit/seal.ts). The rows of several steps (a group, see
   * writeGroup) go in one statement a table.
   */
  private async recordSteps(trx: Knex.Transaction, steps: RecordedStep[]): Promise<void> {
    // the uploads a step names become the instance's, and their hashes go into its audit entry
    const attachments: Array<Awaited<ReturnType<AttachmentCheck["attach"]>>> = [];
    for (const step of steps) attachments.push(step.checked.attachments?.length ? await this.o.attachments!.attach(trx, step.checked.attachments, step.after.id) : []);
    await trx("core_workflow_history").insert(
      steps.map((step) => ({
        instance_id: step.after.id,
        seq: step.after.version,
        transition: step.transition,
        from_state: step.before?.state ?? null,
        to_state: step.after.state,
        actor: JSON.stringify(step.actor),
        data: JSON.stringify(step.checked.data),
        form_ref: JSON.stringify(step.checked.formRef),
        at: step.at,
      })),
    );
    await this.enterStates(trx, steps.map((step) => ({ wf: step.wf, row: step.after, isNew: step.before === null })));
    const messages = steps.flatMap((step) => this.effects(step.wf, step.after, step.transition, step.effects));
    if (messages.length) await this.o.publish(trx, messages);
    await writeAudit(
      trx,
      steps.map((step, i) => ({
        actor: step.actor,
        tenantCode: step.after.tenant_code,
        action: step.action,
        object: `${step.wf.id}/${step.after.id}`,
        ...(step.before ? { before: { state: step.before.state, version: step.before.version } } : {}),
        after: { state: step.after.state, version: step.after.version, ...(attachments[i].length ? { attachments: attachments[i] } : {}) },
      })),
    );
  }

  /** Writes one transition; the compare-and-set on `version` makes concurrent ones lose with 409. */
  private async apply(
    trx: Knex.Transaction,
    wf: Workflow,
    t: Transition,
    row: InstanceRow,
    merged: Record<string, unknown>,
    checked: Checked,
    actor: Record<string, unknown>,
    by: { user: SessionUser | null; caller: Caller },
    facts: unknown,
  ): Promise<InstanceRow> {
    const now = this.o.clock.now();
    const outcome = await this.runHook(trx, wf, this.hookOf(wf, t), this.hookStep(t, row, merged, checked.data, by, now), facts);
    const [updated] = await trx<InstanceRow>("core_workflow_instances")
      .where({ id: row.id, version: row.version, state: row.state })
      .update({ state: t.to, data: { ...merged, ...outcome.data }, parties: unique([...(row.parties ?? []), ...(outcome.parties ?? [])]), version: row.version + 1, updated_at: now } as never)
      .returning("*");
    if (!updated) {
      const current = await trx<InstanceRow>("core_workflow_instances").where({ id: row.id }).first();
      throw stale(current?.version ?? row.version);
    }
    await this.recordSteps(trx, [{ wf, before: row, after: updated, transition: t.name, action: `workflow.transition.${t.name}`, actor, checked, effects: t.effects, at: now }]);
    return updated;
  }

  /**
   * Fires the deadlines that are due: each timer row is claimed with FOR UPDATE SKIP LOCKED and
   * marked in the same transaction as the transition it fires, so with any number of nodes each
   * fires once; after a restart, what came due meanwhile is simply due. Returns how many fired.
   */
  async fireDue(node: string, limit = 20): Promise<number> {
    let fired = 0;
    while (fired < limit) {
      try {
        if (!(await this.claimAndFire(node))) break;
      } catch (err) {
        // Two nodes firing timers whose hooks lock the same instances in turn can deadlock; PostgreSQL
        // rolls one back whole, its timer still due: the next pass fires it, so this pass just ends.
        if (lostToAnother(err)) break;
        throw err;
      }
      fired++;
    }
    return fired;
  }

  /**
   * Fires one timer, as its job on the queue asks: false when there is nothing to do (fired or
   * cancelled already, being fired by another node, or not yet due by the platform's clock: the
   * sweep fires it when it is).
   */
  fireTimer(id: number, node: string): Promise<boolean> {
    return this.claimAndFire(node, id);
  }

  private claimAndFire(node: string, id?: number): Promise<boolean> {
    return this.o.knex.transaction(async (trx) => {
      const q = trx("core_workflow_timers").where("due_at", "<=", this.o.clock.now()).whereNull("fired_at").whereNull("cancelled_at");
      if (id !== undefined) q.where({ id });
      const timer = await q.orderBy("due_at").forUpdate().skipLocked().first();
      if (!timer) return false;
      const outcome = await this.fireOne(trx, timer as { id: number; instance_id: string; transition: string; state: string });
      await trx("core_workflow_timers").where({ id: timer.id }).update({ fired_at: this.o.clock.now(), fired_by: node, outcome });
      return true;
    });
  }

  private async fireOne(trx: Knex.Transaction, timer: { id: number; instance_id: string; transition: string; state: string }): Promise<string> {
    const row = await trx<InstanceRow>("core_workflow_instances").where({ id: timer.instance_id }).forUpdate().first();
    if (!row || row.state !== timer.state) return "moved-on";
    const wf = this.o.workflows.get(row.workflow_id);
    const t = wf?.transitions.find((x) => x.name === timer.transition);
    if (!wf || !t || !t.from.includes(row.state)) return "unknown-transition";
    try {
      this.checkGuard(t, row, {}, null);
    } catch {
      return "guard-refused";
    }
    try {
      // A deadline has no caller to call as, so the prepare phase runs without `call` and can reach
      // nothing outside: running it inside the timer's transaction holds nothing while it waits.
      const by = { user: null, caller: {} };
      const facts = await this.prepareHook(wf, this.hookOf(wf, t), this.hookStep(t, row, row.data, {}, by, this.o.clock.now()));
      // in a savepoint: a hook that refuses leaves nothing of the step, and the timer is still marked
      await trx.transaction((sp) => this.apply(sp, wf, t, row, row.data, { data: {}, formRef: null }, { via: "deadline", timer: timer.id }, by, facts));
    } catch (err) {
      if (err instanceof PlatformError) return `hook-refused: ${err.code}`;
      throw err;
    }
    return "fired";
  }
}

/** PostgreSQL's deadlock and serialization failures: the transaction was rolled back whole and may simply be run again. */
const lostToAnother = (err: unknown) => ["40P01", "40001"].includes((err as { code?: string } | null)?.code ?? "");

const unique = (units: string[]) => [...new Set(units.filter((u) => typeof u === "string" && u))];

function stale(currentVersion: number): PlatformError {
  return conflict({ "zh-CN": "该业务已被他人处理，请刷新后重试", en: "Someone else acted on this first; reload and try again" }, { currentVersion });
}

function notPossible(wf: Workflow, t: Transition, state: string): PlatformError {
  const s = wf.states[state]?.title ?? { "zh-CN": state, en: state };
  return conflict(
    { "zh-CN": `当前状态「${s["zh-CN"]}」不能「${t.title["zh-CN"]}」`, en: `"${t.title.en}" is not possible in state "${s.en}"` },
    { rule: "state", state, transition: t.name },
  );
}

/** What an API answer shows of an instance. */
export function instanceView(wf: Workflow | undefined, row: InstanceRow) {
  return {
    id: row.id,
    workflowId: row.workflow_id,
    workflowVersion: row.workflow_version,
    plugin: row.plugin,
    tenantCode: row.tenant_code,
    ownerUnit: row.owner_unit,
    createdBy: row.created_by,
    parties: row.parties ?? [],
    state: row.state,
    stateTitle: wf?.states[row.state]?.title ?? null,
    terminal: !!wf?.states[row.state]?.terminal,
    data: row.data,
    version: row.version,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export function historyView(h: HistoryRow) {
  return { seq: h.seq, transition: h.transition, from: h.from_state, to: h.to_state, actor: h.actor, data: h.data, formRef: h.form_ref, at: new Date(h.at).toISOString() };
}
