/**
 * The workspace: what I can act on now (visible instances and the transitions open to me), what I
 * can start, and what I started. Works for any workflow through the generic API (core/workflow).
 */
import { useEffect } from "react";
import { api, query } from "../api/client";
import type { AvailableTransition, Instance, Page } from "../api/types";
import { useSession } from "../auth/session";
import { chinaDateTime, useI18n } from "../i18n";
import { inbox } from "../notifications/live";
import { Link } from "../router";
import { Badge, Empty, ErrorNotice, ListState, PageTitle, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { ExportButtons } from "../ui/export-button";
import { startable, stateTitle, useWorkflows } from "./workflows";

interface Task {
  instance: Instance;
  transitions: AvailableTransition[];
}

/** What I can act on now: one request, the server picks the instances and says which transitions (core/workflow). */
async function loadTasks(signal: AbortSignal): Promise<Task[]> {
  const page = await api.get<Page<Instance & { actions: AvailableTransition[] }>>(`/instances${query({ actionable: 1, pageSize: 100 })}`, { signal });
  return page.items.map(({ actions, ...instance }) => ({ instance, transitions: actions }));
}

export function TasksPage() {
  const { t, pick } = useI18n();
  const snap = useSession();
  const workflows = useWorkflows();
  const tasks = useApi<Task[]>("tasks", loadTasks);
  const mine = useApi<Page<Instance>>(`/instances${query({ mine: 1, pageSize: 20 })}`);
  const canStart = startable(workflows.data ?? [], snap.state?.user.roles ?? []);
  // Something happened to an instance (a notification arrived): what waits for me may have changed.
  useEffect(() => inbox.onArrival(() => tasks.reload()), [tasks.reload]);
  const title = (id: string) => pick(workflows.byId.get(id)?.title) || id;

  return (
    <div>
      <PageTitle sub={snap.me?.tenant ? `${snap.state?.user.displayName} · ${pick(snap.me.tenant.name)}` : snap.state?.user.displayName}>{t("work.title")}</PageTitle>

      <section aria-labelledby="tasks-h">
        <h2 id="tasks-h">
          {t("work.tasks")} {tasks.data ? <Badge tone={tasks.data.length ? "warn" : "neutral"}>{tasks.data.length}</Badge> : null}
        </h2>
        <ListState state={tasks} empty={t("work.noTasks")} />
        {tasks.data?.length ? <ExportButtons path={`/instances/export${query({ actionable: 1 })}`} fileName="tasks" /> : null}
        {tasks.data?.length ? (
          <ul className="task-list" data-testid="tasks">
            {tasks.data.map(({ instance, transitions }) => (
              <li key={instance.id} className="task">
                <div>
                  <Link to={`/instances/${instance.id}`} className="task-title">
                    {title(instance.workflowId)}
                    {typeof instance.data.projectName === "string" ? ` · ${instance.data.projectName}` : ""}
                  </Link>
                  <span className="muted">
                    {" "}
                    {pick(instance.stateTitle) || instance.state} · {chinaDateTime(instance.updatedAt)}
                  </span>
                </div>
                <div className="task-actions">
                  {transitions.map((tr) => (
                    <Link key={tr.name} className="btn btn-small" to={`/instances/${instance.id}?do=${encodeURIComponent(tr.name)}`}>
                      {pick(tr.title)}
                    </Link>
                  ))}
                </div>
              </li>
            ))}
          </ul>
        ) : null}
      </section>

      {canStart.length ? (
        <section aria-labelledby="start-h">
          <h2 id="start-h">{t("work.start")}</h2>
          <ul className="start-list">
            {canStart.map((w) => (
              <li key={w.id}>
                <Link className="btn" to={`/start/${encodeURIComponent(w.id)}`}>
                  {pick(w.title)}
                </Link>
                {w.description ? <span className="muted"> {pick(w.description)}</span> : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <section aria-labelledby="mine-h">
        <h2 id="mine-h">{t("work.mine")}</h2>
        {mine.error ? <ErrorNotice error={mine.error} /> : null}
        {mine.data && !mine.data.items.length ? <Empty>{t("work.noneMine")}</Empty> : null}
        {mine.data?.items.length ? <ExportButtons path={`/instances/export${query({ mine: 1 })}`} fileName="instances" /> : null}
        {mine.data?.items.length ? (
          <TableWrap label={t("work.mine")}>
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">{t("work.workflow")}</th>
                  <th scope="col">{t("work.subject")}</th>
                  <th scope="col">{t("work.state")}</th>
                  <th scope="col">{t("work.updated")}</th>
                </tr>
              </thead>
              <tbody>
                {mine.data.items.map((i) => (
                  <tr key={i.id}>
                    <td>
                      <Link to={`/instances/${i.id}`}>{title(i.workflowId)}</Link>
                    </td>
                    <td>{typeof i.data.projectName === "string" ? i.data.projectName : "—"}</td>
                    <td>{pick(i.stateTitle ?? stateTitle(workflows.byId.get(i.workflowId), i.state))}</td>
                    <td>{chinaDateTime(i.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        ) : null}
      </section>
    </div>
  );
}
