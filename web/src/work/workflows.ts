import type { WorkflowDef } from "../api/types";
import { useApi } from "../ui/use-api";

/** GET /api/workflows, by id: titles of workflows, states and transitions for every page. */
export function useWorkflows() {
  const loaded = useApi<WorkflowDef[]>("/workflows");
  const byId = new Map((loaded.data ?? []).map((w) => [w.id, w]));
  return { ...loaded, byId };
}

export function stateTitle(wf: WorkflowDef | undefined, state: string | null) {
  return wf?.states.find((s) => s.name === state)?.title ?? state ?? "";
}

export function transitionTitle(wf: WorkflowDef | undefined, name: string) {
  if (name === "$start") return null;
  return wf?.transitions.find((t) => t.name === name)?.title ?? name;
}

/** Workflows this person may start (their roles against each one's start roles). */
export function startable(workflows: WorkflowDef[], roles: string[]): WorkflowDef[] {
  return workflows.filter((w) => w.start.roles.some((r) => roles.includes(r)));
}
