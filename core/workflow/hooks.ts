import type { Knex } from "knex";
import type { PlatformError } from "../errors";
import type { ActionKind, AppAbility, LoadedPlugin, SessionUser } from "../plugins/types";
import { WorkflowLoadError, type Workflow } from "./definition";

/**
 * What a plugin's step hook knows of the step, in both of its phases: after the form and the guard
 * accepted the data, before the instance is written.
 */
export interface StepBase {
  workflow: Workflow;
  /** "$start" for a start, else the transition's name */
  transition: string;
  instanceId: string;
  tenantCode: string;
  ownerUnit: string | null;
  /** the state left (null at a start) and the state entered */
  from: string | null;
  to: string;
  /** the data before the step ({} at a start), what the step brings, and the data after it */
  before: Record<string, unknown>;
  submitted: Record<string, unknown>;
  result: Record<string, unknown>;
  /** null when a deadline fires the step */
  user: SessionUser | null;
  ability: AppAbility | null;
  now: Date;
  /** Whether a module is open to the step's user for this kind of business, by the user's tenant's schedule: null when it is. */
  moduleRefusal(module: string, kind: ActionKind): PlatformError | null;
}

/**
 * The phase before the transaction: the only place a hook may call other services. A call may go
 * to another node, which may be slow or dead; made here, it holds no connection and no row lock
 * while it waits, so a dead node costs the callers their time, never the others their database.
 */
export interface PrepareContext extends StepBase {
  /** Calls an action as the step's user (through the broker, so on whichever node runs it); absent when a deadline fires. */
  call?: <T = unknown>(action: string, params?: Record<string, unknown>) => Promise<T>;
}

/**
 * The phase inside the step's transaction: the transaction and what the prepare phase found, no
 * calls. It checks what JSON Logic cannot (rules across instances, the plugin's own tables) and may
 * add derived data; it refuses by throwing a PlatformError, and then nothing of the step is written.
 */
export interface StepContext extends StepBase {
  trx: Knex.Transaction;
  /** Puts an event in the outbox, in the step's transaction (published after it commits). */
  publish(event: string, payload: unknown): Promise<void>;
}

export interface StepOutcome {
  /** merged into the instance's data after what was submitted (derived fields: names, dates, flags) */
  data?: Record<string, unknown>;
  /** registry units that take part (a supplier, an agency): they may read the instance (core/access) */
  parties?: string[];
}

/** A hook that needs nothing from another service: its transaction is all it uses. */
export type StepFn = (step: StepContext) => Promise<StepOutcome | void> | StepOutcome | void;

/** A hook that needs facts from other services: `prepare` fetches them, `apply` uses them in the transaction. */
export interface PreparedStep<F> {
  prepare(step: PrepareContext): Promise<F> | F;
  apply(step: StepContext, facts: F): Promise<StepOutcome | void> | StepOutcome | void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StepHook = StepFn | PreparedStep<any>;

/** Declares a two-phase hook, with the facts' type carried from `prepare` to `apply`. */
export const prepared = <F>(hook: PreparedStep<F>): PreparedStep<F> => hook;

/** Whether a manifest's value is a hook of either kind (the plugin loader's check). */
export const isStepHook = (value: unknown): value is StepHook =>
  typeof value === "function" ||
  (!!value && typeof value === "object" && typeof (value as PreparedStep<unknown>).prepare === "function" && typeof (value as PreparedStep<unknown>).apply === "function");

/** A plugin's hooks for one of its workflows: at the start and on named transitions. */
export interface WorkflowHooks {
  start?: StepHook;
  transitions?: Record<string, StepHook>;
}

/**
 * The hooks every installed plugin declares (manifest `workflowHooks`), keyed by workflow id. A
 * plugin hooks only transitions that exist: anything else stops the start-up, like a bad workflow file.
 */
export function collectHooks(plugins: LoadedPlugin[], workflows: Map<string, Workflow>): Map<string, WorkflowHooks> {
  const out = new Map<string, WorkflowHooks>();
  for (const { manifest } of plugins) {
    for (const [id, hooks] of Object.entries(manifest.workflowHooks ?? {})) {
      // (the plugin loader has made sure the id is one of the plugin's own workflows)
      const wf = workflows.get(id);
      if (!wf) throw new WorkflowLoadError(`plugin ${manifest.name}: workflowHooks: "${id}" is not one of its workflows`);
      for (const name of Object.keys(hooks.transitions ?? {})) {
        if (!wf.transitions.some((t) => t.name === name)) throw new WorkflowLoadError(`plugin ${manifest.name}: workflowHooks: "${id}" has no transition "${name}"`);
      }
      out.set(id, hooks);
    }
  }
  return out;
}
