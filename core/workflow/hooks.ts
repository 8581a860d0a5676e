import type { Knex } from "knex";
import type { PlatformError } from "../errors";
import type { ActionKind, AppAbility, LoadedPlugin, SessionUser } from "../plugins/types";
import { WorkflowLoadError, type Workflow } from "./definition";

/**
 * What a plugin's step hook is told. A hook runs inside the step's transaction, after the form and
 * the guard accepted the data and before the instance is written: it checks what JSON Logic cannot
 * (rules across instances, the plugin's own tables, the registries) and may add derived data. It
 * refuses by throwing a PlatformError; then nothing of the step is written.
 */
export interface StepContext {
  trx: Knex.Transaction;
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
  /** Calls an action as the step's user (through the broker, so on whichever node runs it); absent when a deadline fires. */
  call?: <T = unknown>(action: string, params?: Record<string, unknown>) => Promise<T>;
  /** Whether a module is open to the step's user for this kind of business, by the user's tenant's schedule: null when it is. */
  moduleRefusal(module: string, kind: ActionKind): PlatformError | null;
  /** Puts an event in the outbox, in the step's transaction (published after it commits). */
  publish(event: string, payload: unknown): Promise<void>;
}

export interface StepOutcome {
  /** merged into the instance's data after what was submitted (derived fields: names, dates, flags) */
  data?: Record<string, unknown>;
  /** registry units that take part (a supplier, an agency): they may read the instance (core/access) */
  parties?: string[];
}

export type StepHook = (step: StepContext) => Promise<StepOutcome | void> | StepOutcome | void;

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
