/** Starting an instance of any workflow, and an instance's page: its data, its history, and what I may do now. */
import { useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api/client";
import type { AvailableTransition, Instance, InstanceDetail, WorkflowDef } from "../api/types";
import { FormDataView, useFormCatalog, workflowForms } from "../forms/form-data";
import type { Catalog } from "../forms/field-catalog";
import { ServerForm } from "../forms/schema-form";
import { chinaDateTime, useI18n } from "../i18n";
import { inbox } from "../notifications/live";
import { Link, navigate, useRouter } from "../router";
import { Badge, ErrorNotice, Loading, PageTitle } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { tenantName, useTenantTree } from "../portal/tenants";
import { stateTitle, transitionTitle, useWorkflows } from "./workflows";

type Data = Record<string, unknown>;

export function StartPage({ workflowId }: { workflowId: string }) {
  const { t, pick } = useI18n();
  const { location } = useRouter();
  const workflows = useWorkflows();
  const wf = workflows.byId.get(workflowId);
  const [failure, setFailure] = useState<unknown>(null);
  // Fields may be filled from the link (a project page's "file the plan" names its project).
  const fromLink = useMemo(() => Object.fromEntries(location.query.entries()), [location.query]);

  if (workflows.loading && !workflows.data) return <Loading />;
  if (!wf) return <ErrorNotice error={workflows.error ?? new Error(workflowId)} />;
  const start = async (data: Data) => {
    const created = await api.post<Instance>(`/workflows/${encodeURIComponent(wf.id)}/instances`, { data });
    navigate(`/instances/${created.id}?started=1`);
  };
  return (
    <div>
      <PageTitle sub={pick(wf.description)}>{t("start.title", { workflow: pick(wf.title) })}</PageTitle>
      {wf.start.form ? (
        <ServerForm key={wf.id} formId={wf.start.form} prefillFrom={fromLink} hideTitle submitLabel={t("start.submit")} onSubmit={start} actions={<Link to="/work" className="btn btn-plain">{t("common.cancel")}</Link>} />
      ) : (
        <div>
          {failure ? <ErrorNotice error={failure} /> : null}
          <button type="button" className="btn btn-primary" onClick={() => start({}).catch(setFailure)}>
            {t("start.submit")}
          </button>
        </div>
      )}
    </div>
  );
}

function History({ wf, instance, catalog }: { wf: WorkflowDef | undefined; instance: InstanceDetail; catalog: Catalog }) {
  const { t, pick } = useI18n();
  return (
    <ol className="history" data-testid="history">
      {instance.history.map((h) => {
        const tr = transitionTitle(wf, h.transition);
        const who = h.actor?.username ?? (h.actor?.system ? t("instance.system") : t("instance.deadline"));
        return (
          <li key={h.seq}>
            <time dateTime={h.at}>{chinaDateTime(h.at)}</time>
            <span className="history-what">
              <strong>{tr ? pick(tr) : t("instance.created")}</strong>
              {h.from ? ` · ${pick(stateTitle(wf, h.from))} → ${pick(stateTitle(wf, h.to))}` : ` · ${pick(stateTitle(wf, h.to))}`}
            </span>
            <span className="history-who">
              {t("instance.by", { who })}
              {h.actor?.unit ? ` (${h.actor.unit})` : ""}
            </span>
            {h.data && Object.keys(h.data).length && h.transition !== "$start" ? (
              <details>
                <summary>{t("instance.submitted")}</summary>
                <FormDataView value={h.data} catalog={catalog} />
              </details>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}

export function InstancePage({ id }: { id: string }) {
  const { t, pick } = useI18n();
  const { location } = useRouter();
  const workflows = useWorkflows();
  const inst = useApi<InstanceDetail>(`/instances/${encodeURIComponent(id)}`);
  const moves = useApi<AvailableTransition[]>(`/instances/${encodeURIComponent(id)}/transitions`);
  const wf = inst.data ? workflows.byId.get(inst.data.workflowId) : undefined;
  // the data is named and shown as the workflow's forms have it (titles, options' words, money)
  const catalog = useFormCatalog(workflowForms(wf));
  const tenants = useTenantTree();
  const [chosen, setChosen] = useState<string | null>(location.query.get("do"));
  const [done, setDone] = useState<string | null>(location.query.get("started") ? t("instance.started") : null);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // Cancel closes the step's panel and gives the focus back to the button that opened it.
  const actionButtons = useRef(new Map<string, HTMLButtonElement>());
  const cancel = () => {
    const opener = chosen ? actionButtons.current.get(chosen) : undefined;
    setChosen(null);
    opener?.focus();
  };

  // Someone else moved it (a notification about this instance): show the new state.
  useEffect(
    () =>
      inbox.onArrival((item) => {
        if (item.instanceId === id) {
          inst.reload();
          moves.reload();
        }
      }),
    [id, inst.reload, moves.reload],
  );

  const transition = moves.data?.find((m) => m.name === chosen) ?? null;
  const take = async (tr: AvailableTransition, data?: Data) => {
    await api.post<Instance>(`/instances/${encodeURIComponent(id)}/transitions/${encodeURIComponent(tr.name)}`, {
      ...(tr.form ? { data: data ?? {} } : {}),
      expectedVersion: inst.data?.version,
    });
    setChosen(null);
    setDone(t("instance.done", { what: pick(tr.title) }));
    inst.reload();
    moves.reload();
  };

  if (inst.loading && !inst.data) return <Loading />;
  if (!inst.data) {
    return (
      <div>
        <PageTitle>{t("instance.title")}</PageTitle>
        <ErrorNotice error={inst.error} />
      </div>
    );
  }
  const i = inst.data;
  // the unit by its name where the data has it (the code is a budget code, a first password)
  const unit = typeof i.data.purchaserName === "string" && i.data.purchaserName ? i.data.purchaserName : i.ownerUnit;
  return (
    <div>
      <PageTitle sub={`${pick(tenantName(tenants.data, i.tenantCode))}${unit ? ` · ${unit}` : ""} · ${t("instance.version", { v: i.version })}`}>
        {pick(wf?.title) || i.workflowId}
        {typeof i.data.projectName === "string" ? ` · ${i.data.projectName}` : ""}
      </PageTitle>
      <p>
        {t("instance.state")}: <Badge tone={i.terminal ? "ok" : "info"}>{pick(i.stateTitle ?? stateTitle(wf, i.state))}</Badge>
        {typeof i.data.projectId === "string" ? (
          <>
            {" · "}
            <Link to={`/projects/${i.data.projectId}`}>{t("instance.project")}</Link>
          </>
        ) : null}
      </p>
      {done ? (
        <div className="notice notice-ok" role="status">
          {done}
        </div>
      ) : null}

      <section aria-labelledby="actions-h" className="panel">
        <h2 id="actions-h">{t("instance.actions")}</h2>
        {moves.error ? <ErrorNotice error={moves.error} /> : null}
        {moves.data && !moves.data.length ? <p className="muted">{t("instance.noActions")}</p> : null}
        <div className="action-buttons">
          {moves.data?.map((m) => (
            <button
              key={m.name}
              ref={(el) => {
                if (el) actionButtons.current.set(m.name, el);
                else actionButtons.current.delete(m.name);
              }}
              type="button"
              className={`btn${chosen === m.name ? " btn-primary" : ""}`}
              aria-pressed={chosen === m.name}
              onClick={() => {
                setChosen(m.name);
                setDone(null);
                setFailure(null);
              }}
            >
              {pick(m.title)}
            </button>
          ))}
        </div>
        {transition ? (
          <div className="transition-form" data-testid="transition-form">
            <h3>{pick(transition.title)}</h3>
            {transition.guard ? <p className="muted">{pick(transition.guard.message)}</p> : null}
            {transition.form ? (
              <ServerForm
                key={`${transition.name}-${i.version}`}
                idPrefix={`t_${transition.name.replace(/[^a-z0-9]/gi, "_")}`}
                formId={transition.form}
                tenant={i.tenantCode}
                hideTitle
                prefillFrom={i.data}
                submitLabel={t("instance.confirm", { what: pick(transition.title) })}
                onSubmit={(data) => take(transition, data)}
                actions={<button type="button" className="btn btn-plain" onClick={cancel}>{t("common.cancel")}</button>}
              />
            ) : (
              <div>
                {failure ? <ErrorNotice error={failure} /> : null}
                <button
                  type="button"
                  className="btn btn-primary"
                  disabled={busy}
                  onClick={() => {
                    setBusy(true);
                    setFailure(null);
                    take(transition).catch(setFailure).finally(() => setBusy(false));
                  }}
                >
                  {t("instance.confirm", { what: pick(transition.title) })}
                </button>{" "}
                <button type="button" className="btn btn-plain" onClick={cancel}>
                  {t("common.cancel")}
                </button>
              </div>
            )}
          </div>
        ) : null}
      </section>

      <section aria-labelledby="data-h">
        <h2 id="data-h">{t("instance.data")}</h2>
        <FormDataView value={i.data} catalog={catalog} />
      </section>

      <section aria-labelledby="history-h">
        <h2 id="history-h">{t("instance.history")}</h2>
        <History wf={wf} instance={i} catalog={catalog} />
      </section>
    </div>
  );
}
