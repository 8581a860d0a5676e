import fs from "node:fs";
import path from "node:path";
import jsonLogic from "json-logic-js";
import type { Localized } from "../errors";
import { compileSchema, schemaErrors } from "../forms/validate";
import { RoleBook } from "../identity/roles";
import type { LoadedPlugin } from "../plugins/types";
import schema from "./workflow.schema.json";

export type Effect =
  | { type: "notify"; roles?: string[]; owner?: boolean; title: Localized }
  /**
   * An event for whichever plugin hears it: only the fields listed in `public` (JSON pointers)
   * leave the instance, and `with` values that are pointers must be among them.
   */
  | { type: "emit"; event: string; public?: string[]; with?: Record<string, string | number | boolean> };

/** What every event the engine writes carries; an emit's `with` cannot say otherwise. */
export const EVENT_BASE_KEYS = ["instanceId", "workflowId", "plugin", "tenantCode", "ownerUnit", "state", "transition", "version", "data"] as const;

/** A `with` value that the engine replaces by the instance's value at that pointer. */
export const isPointer = (v: unknown): v is string => typeof v === "string" && v.startsWith("/");

export interface Deadline {
  /** JSON pointer into the instance's data */
  at?: string;
  after?: { minutes?: number; days?: number; workingDays?: number };
}

export interface Guard {
  rule: unknown;
  message: Localized;
  path?: string;
}

export interface Transition {
  name: string;
  title: Localized;
  from: string[];
  to: string;
  roles: string[];
  form?: string;
  guard?: Guard;
  deadline?: Deadline;
  effects: Effect[];
}

export interface Workflow {
  id: string;
  plugin: string;
  file: string;
  title: Localized;
  description?: Localized;
  version: number;
  initial: string;
  /** `adoptable`: business from another system may arrive in this state, its data checked by that form */
  states: Record<string, { title: Localized; terminal?: boolean; adoptable?: { form: string } }>;
  start: { roles: string[]; form: string; effects: Effect[] };
  transitions: Transition[];
}

export class WorkflowLoadError extends Error {
  override name = "WorkflowLoadError";
}

const validateFile = compileSchema(schema as unknown as Record<string, unknown>);

/** Why a guard is not a JSON Logic rule the engine can run (an operation it does not know, ...), or null. */
function logicProblem(rule: unknown): string | null {
  if (typeof rule === "boolean") return null;
  if (!jsonLogic.is_logic(rule as jsonLogic.RulesLogic)) return "not a JSON Logic rule";
  try {
    // Run once on empty data: an unknown operation is refused here, not on a user's transition.
    jsonLogic.apply(rule as jsonLogic.RulesLogic, {});
    return null;
  } catch (err) {
    return `not a JSON Logic rule the engine can run: ${(err as Error).message}`;
  }
}

/** Where a workflow's file lives: forms/<plugin>/<id>.workflow.json. */
export const workflowPath = (formsDir: string, id: string) => path.join(formsDir, id.split(".")[0], `${id}.workflow.json`);

/**
 * Reads and checks one workflow file. Everything a running instance could trip over later is
 * refused now, with the file and the reason: the shape (workflow.schema.json), an id that does not
 * match the file or the plugin, states, forms and roles that do not exist, effects the engine does
 * not know, guards that are not JSON Logic, terminal states with a way out, states nothing reaches.
 */
export function loadWorkflow(file: string, plugin: string, knownForm: (id: string) => boolean, root = process.cwd(), roles: RoleBook = new RoleBook([])): Workflow {
  const shown = path.relative(root, file) || file;
  const fail = (where: string, reason: string): never => {
    throw new WorkflowLoadError(`${shown}: ${where}: ${reason}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return fail("", e.code === "ENOENT" ? "no such file (the plugin's manifest lists this workflow)" : `not JSON: ${e.message}`);
  }
  const problems = schemaErrors(validateFile, raw);
  if (problems.length) {
    const p = problems[0];
    return fail(p.path || "/", p.message?.en ?? p.rule);
  }
  const doc = raw as Omit<Workflow, "plugin" | "file" | "transitions" | "start"> & {
    start: { roles: string[]; form: string; effects?: Effect[] };
    transitions: Array<Omit<Transition, "from" | "effects"> & { from: string | string[]; effects?: Effect[] }>;
  };
  if (doc.id !== path.basename(file, ".workflow.json")) fail("/id", `"${doc.id}" does not match the file name`);
  if (doc.id.split(".")[0] !== plugin) fail("/id", `"${doc.id}" does not begin with its plugin's name "${plugin}."`);

  const states = Object.keys(doc.states);
  const isState = (s: string) => states.includes(s);
  if (!isState(doc.initial)) fail("/initial", `"${doc.initial}" is not one of the states (${states.join(", ")})`);
  const checkRoles = (names: string[], where: string) => {
    names.forEach((r, i) => {
      if (!roles.has(r)) fail(`${where}/${i}`, `unknown role "${r}" (roles: ${roles.names().join(", ")})`);
    });
  };
  const checkForm = (form: string | undefined, where: string) => {
    if (form !== undefined && !knownForm(form)) fail(where, `unknown form "${form}" (no forms/${form.split(".")[0]}/${form}.schema.json)`);
  };
  const checkEffects = (effects: Effect[] | undefined, where: string) => {
    (effects ?? []).forEach((e, i) => {
      if (e.type === "emit") {
        for (const [key, value] of Object.entries(e.with ?? {})) {
          if ((EVENT_BASE_KEYS as readonly string[]).includes(key)) fail(`${where}/${i}/with/${key}`, `"${key}" is what the engine itself writes (${EVENT_BASE_KEYS.join(", ")})`);
          if (isPointer(value) && !(e.public ?? []).includes(value)) fail(`${where}/${i}/with/${key}`, `${value} must be one of the public fields`);
        }
      }
      if (e.type === "notify") {
        if (!e.roles?.length && !e.owner) fail(`${where}/${i}`, "a notify effect names roles, or owner: true, or both");
        checkRoles(e.roles ?? [], `${where}/${i}/roles`);
      }
    });
  };
  for (const [name, s] of Object.entries(doc.states)) {
    if (!s.adoptable) continue;
    if (s.terminal) fail(`/states/${name}/adoptable`, "a terminal state cannot be adopted into: nothing would be left to do here");
    checkForm(s.adoptable.form, `/states/${name}/adoptable/form`);
  }
  checkRoles(doc.start.roles, "/start/roles");
  checkForm(doc.start.form, "/start/form");
  checkEffects(doc.start.effects, "/start/effects");

  const names = new Set<string>();
  const transitions: Transition[] = doc.transitions.map((t, i) => {
    const where = `/transitions/${i}`;
    if (names.has(t.name)) fail(`${where}/name`, `"${t.name}" is used by another transition`);
    names.add(t.name);
    const from = Array.isArray(t.from) ? t.from : [t.from];
    from.forEach((s, j) => {
      if (!isState(s)) fail(Array.isArray(t.from) ? `${where}/from/${j}` : `${where}/from`, `unknown state "${s}"`);
      if (doc.states[s].terminal) fail(`${where}/from`, `"${s}" is a terminal state: nothing leaves it`);
    });
    if (!isState(t.to)) fail(`${where}/to`, `unknown state "${t.to}"`);
    checkRoles(t.roles, `${where}/roles`);
    checkForm(t.form, `${where}/form`);
    checkEffects(t.effects, `${where}/effects`);
    if (t.guard) {
      const problem = logicProblem(t.guard.rule);
      if (problem) fail(`${where}/guard/rule`, problem);
    }
    if (!t.roles.length && !t.deadline) fail(`${where}/roles`, "nobody may take it and it has no deadline: it could never happen");
    return { ...t, from, effects: t.effects ?? [] };
  });

  // Every state must be reachable from the initial one.
  const reached = new Set([doc.initial]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const t of transitions) {
      if (!reached.has(t.to) && t.from.some((s) => reached.has(s))) {
        reached.add(t.to);
        grew = true;
      }
    }
  }
  const unreachable = states.filter((s) => !reached.has(s));
  if (unreachable.length) fail("/states", `unreachable from "${doc.initial}": ${unreachable.join(", ")}`);

  return {
    id: doc.id,
    plugin,
    file,
    title: doc.title,
    description: doc.description,
    version: doc.version,
    initial: doc.initial,
    states: doc.states,
    start: { ...doc.start, effects: doc.start.effects ?? [] },
    transitions,
  };
}

/** Every workflow the installed plugins declare (manifest `workflows`), checked; the first problem stops start-up. */
export function loadWorkflows(plugins: LoadedPlugin[], formsDir: string, knownForm: (id: string) => boolean, root?: string, roles = new RoleBook(plugins.map((p) => p.manifest))): Map<string, Workflow> {
  const out = new Map<string, Workflow>();
  for (const { manifest } of plugins) {
    for (const id of manifest.workflows ?? []) {
      out.set(id, loadWorkflow(workflowPath(formsDir, id), manifest.name, knownForm, root, roles));
    }
  }
  return out;
}
