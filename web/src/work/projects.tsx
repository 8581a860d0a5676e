/**
 * Projects across their six stages (plugins/supervision: GET /api/supervision/projects[/:id]).
 * Without that plugin, "my projects" lists my instances by workflow instead.
 */
import { useState, type FormEvent } from "react";
import { query } from "../api/client";
import type { Instance, Page, PluginInfo, ProjectDetail, ProjectItem, ProjectStage } from "../api/types";
import { session, useSession } from "../auth/session";
import { chinaDate, chinaDateTime, useI18n, type MessageKey } from "../i18n";
import { Link, navigate, useRouter, withQuery } from "../router";
import { Badge, Empty, ErrorNotice, ListState, Loading, Money, PageTitle, Pager, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { ExportButtons } from "../ui/export-button";
import { displayValue } from "../forms/field-catalog";
import { useFormCatalog, workflowForms } from "../forms/form-data";
import { tenantName, useTenantTree } from "../portal/tenants";
import { stateTitle, transitionTitle, useWorkflows } from "./workflows";
import { type ContractRecord, ContractRecords, type LineSpend } from "./contract-records";

/** The six stages of a project's life (DESIGN.md §1), in order. */
export const STAGES = ["intention", "plan", "execution", "contract", "acceptance", "payment"] as const;
/** The workflow that makes each stage; execution is the plan's own later states. */
const STAGE_WORKFLOW: Record<string, string> = {
  intention: "supervision.intention",
  plan: "supervision.plan",
  contract: "supervision.contract",
  acceptance: "supervision.acceptance",
  payment: "supervision.payment",
};

/** How far along a project is: the index of its stage ("paid" is past the last). */
export function stageIndex(stage: string): number {
  if (stage === "paid") return STAGES.length;
  return STAGES.indexOf(stage as (typeof STAGES)[number]);
}

function useSupervision(): boolean | undefined {
  const { data } = useApi<PluginInfo[]>("/plugins");
  return data ? data.some((p) => p.name === "supervision") : undefined;
}

export function ProjectsPage() {
  const has = useSupervision();
  if (has === undefined) return <Loading />;
  return has ? <ProjectList /> : <InstancesByWorkflow />;
}

function ProjectList() {
  const { t, pick } = useI18n();
  const { location } = useRouter();
  const q = location.query.get("q") ?? "";
  const stage = location.query.get("stage") ?? "";
  const page = Math.max(1, Number(location.query.get("page")) || 1);
  const [text, setText] = useState(q);
  const list = useApi<Page<ProjectItem>>(`/supervision/projects${query({ q, stage, page, pageSize: 20 })}`);
  const workflows = useWorkflows();
  const mayStart = workflows.byId.get(STAGE_WORKFLOW.intention)?.start.roles.some((r) => session.hasRole(r));
  const search = (e: FormEvent) => {
    e.preventDefault();
    navigate(withQuery(location, { q: text.trim(), page: null }));
  };
  return (
    <div>
      <PageTitle sub={t("projects.sub")}>{t("projects.title")}</PageTitle>
      {mayStart ? (
        <p>
          <Link className="btn btn-primary" to={`/start/${STAGE_WORKFLOW.intention}`}>
            {t("projects.new")}
          </Link>
        </p>
      ) : null}
      <form className="filters" role="search" onSubmit={search}>
        <label>
          <span>{t("projects.stage")}</span>
          <select value={stage} onChange={(e) => navigate(withQuery(location, { stage: e.target.value, page: null }))}>
            <option value="">{t("projects.allStages")}</option>
            {[...STAGES, "paid", "withdrawn"].map((s) => (
              <option key={s} value={s}>
                {t(`stage.${s}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        <label className="grow">
          <span>{t("portal.search")}</span>
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder={t("projects.searchHint")} />
        </label>
        <button type="submit" className="btn btn-primary">
          {t("portal.searchButton")}
        </button>
      </form>
      <ExportButtons path={`/supervision/projects/export${query({ q, stage })}`} fileName="projects" />
      <ListState state={list} empty={t("projects.none")} />
      {list.data?.items.length ? (
        <>
          <TableWrap label={t("projects.title")}>
            <table className="data-table" data-testid="projects">
              <thead>
                <tr>
                  <th scope="col">{t("projects.name")}</th>
                  <th scope="col">{t("projects.unit")}</th>
                  <th scope="col">{t("projects.stage")}</th>
                  <th scope="col">{t("projects.budget")}</th>
                  <th scope="col">{t("projects.updated")}</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((p) => (
                  <tr key={p.id}>
                    <td>
                      <Link to={`/projects/${p.id}`}>{p.name}</Link>
                    </td>
                    <td>{p.unitName}</td>
                    <td>
                      <StageProgress stage={p.stage} /> {pick(p.stageTitle)}
                    </td>
                    <td>
                      <Money value={p.budget} />
                    </td>
                    <td>{chinaDate(p.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          <Pager page={list.data.page} pageSize={list.data.pageSize} total={list.data.total} totalIsEstimate={list.data.totalIsEstimate} hrefFor={(n) => withQuery(location, { page: n })} />
        </>
      ) : null}
    </div>
  );
}

/** n of 6, as a small bar and in words. */
function StageProgress({ stage }: { stage: string }) {
  const { t } = useI18n();
  const at = stageIndex(stage);
  if (at < 0) return null;
  const done = Math.min(STAGES.length, at + (stage === "paid" ? 0 : 1));
  return (
    <span className="stage-progress" role="img" aria-label={t("projects.progress", { n: done, of: STAGES.length })}>
      {STAGES.map((s, i) => (
        <span key={s} className={i < at || stage === "paid" ? "done" : i === at ? "current" : ""} />
      ))}
    </span>
  );
}

function InstancesByWorkflow() {
  const { t, pick } = useI18n();
  const workflows = useWorkflows();
  const mine = useApi<Page<Instance>>(`/instances${query({ mine: 1, pageSize: 100 })}`);
  const groups = new Map<string, Instance[]>();
  for (const i of mine.data?.items ?? []) groups.set(i.workflowId, [...(groups.get(i.workflowId) ?? []), i]);
  return (
    <div>
      <PageTitle sub={t("projects.fallback")}>{t("projects.title")}</PageTitle>
      {mine.error ? <ErrorNotice error={mine.error} /> : null}
      {mine.data && !mine.data.items.length ? <Empty>{t("work.noneMine")}</Empty> : null}
      {[...groups].map(([wfId, items]) => (
        <section key={wfId} aria-label={pick(workflows.byId.get(wfId)?.title) || wfId}>
          <h2>{pick(workflows.byId.get(wfId)?.title) || wfId}</h2>
          <ul>
            {items.map((i) => (
              <li key={i.id}>
                <Link to={`/instances/${i.id}`}>{chinaDateTime(i.createdAt)}</Link> · {pick(i.stateTitle ?? stateTitle(workflows.byId.get(wfId), i.state))}
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

/**
 * The stage whose workflow comes next: the first from the current one on that has a workflow and no
 * instance yet. While the plan is being executed nothing new starts (its own transitions go on).
 */
export function nextStage(project: Pick<ProjectDetail, "stage" | "stages">): string | null {
  const at = stageIndex(project.stage);
  if (at < 0 || project.stage === "execution") return null;
  for (let i = at; i < STAGES.length; i++) {
    const s = STAGES[i];
    if (STAGE_WORKFLOW[s] && !project.stages.some((e) => e.stage === s)) return s;
  }
  return null;
}

function StageCard({ stage, index, project, entries }: { stage: string; index: number; project: ProjectDetail; entries: ProjectStage[] }) {
  const { t, pick } = useI18n();
  const snap = useSession();
  const workflows = useWorkflows();
  const at = stageIndex(project.stage);
  const status = project.stage === "withdrawn" ? (entries.length ? "done" : "skipped") : index < at ? "done" : index === at ? "current" : "upcoming";
  const wfId = STAGE_WORKFLOW[stage];
  const wf = wfId ? workflows.byId.get(wfId) : undefined;
  const mayStart = wf && nextStage(project) === stage && wf.start.roles.some((r) => snap.state?.user.roles.includes(r));
  const startLink = wfId ? `/start/${wfId}${query({ projectId: project.id })}` : "";
  return (
    <li className={`stage stage-${status}`} aria-current={status === "current" ? "step" : undefined}>
      <div className="stage-head">
        <span className="stage-no" aria-hidden="true">
          {index + 1}
        </span>
        <h3>{t(`stage.${stage}` as MessageKey)}</h3>
        <span className="sr-only">{t(`stage.status.${status}` as MessageKey)}</span>
        <Badge tone={status === "done" ? "ok" : status === "current" ? "info" : "neutral"}>{t(`stage.status.${status}` as MessageKey)}</Badge>
      </div>
      {entries.map((e) => {
        const ewf = e.workflowId ? workflows.byId.get(e.workflowId) : undefined;
        return (
          <div key={e.instanceId ?? e.stage} className="stage-entry">
            <p>
              {e.instanceId ? <Link to={`/instances/${e.instanceId}`}>{pick(ewf?.title) || e.workflowId}</Link> : null} · {pick(e.stateTitle ?? stateTitle(ewf, e.state))}
            </p>
            {e.history?.length ? (
              <ol className="mini-history">
                {e.history.map((h) => (
                  <li key={h.seq}>
                    <time dateTime={h.at}>{chinaDateTime(h.at)}</time> {h.transition === "$start" ? t("instance.created") : pick(transitionTitle(ewf, h.transition) ?? h.transition)}
                    {typeof h.actor === "object" && h.actor?.username ? ` · ${h.actor.username}` : ""}
                  </li>
                ))}
              </ol>
            ) : null}
          </div>
        );
      })}
      {mayStart ? (
        <Link className="btn btn-primary" to={startLink}>
          {t("projects.startStage", { stage: t(`stage.${stage}` as MessageKey) })}
        </Link>
      ) : null}
    </li>
  );
}

export function ProjectPage({ id }: { id: string }) {
  const { t, pick, lang } = useI18n();
  const { data, error, loading } = useApi<ProjectDetail & { contractRecords?: ContractRecord[]; lineSpend?: LineSpend[] }>(`/supervision/projects/${encodeURIComponent(id)}`);
  // the channel's words are the plan workflow's (its choose-channel form)
  const workflows = useWorkflows();
  const catalog = useFormCatalog(workflowForms(workflows.byId.get(STAGE_WORKFLOW.plan)));
  const tenants = useTenantTree();
  if (loading && !data) return <Loading />;
  if (!data) {
    return (
      <div>
        <PageTitle>{t("projects.project")}</PageTitle>
        <ErrorNotice error={error} />
      </div>
    );
  }
  // Execution is recorded on the plan's instance (its later states).
  const entriesOf = (stage: string) => data.stages.filter((s) => s.stage === stage || (stage === "execution" && s.stage === "plan" && ["executing", "awarded"].includes(s.state ?? "")));
  return (
    <div>
      <PageTitle sub={`${data.unitName ?? ""} · ${pick(tenantName(tenants.data, data.tenantCode))}`}>{data.name}</PageTitle>
      <dl className="facts">
        <div>
          <dt>{t("projects.stage")}</dt>
          <dd>{pick(data.stageTitle)}</dd>
        </div>
        <div>
          <dt>{t("projects.budget")}</dt>
          <dd>
            <Money value={data.budget} />
          </dd>
        </div>
        {data.channel ? (
          <div>
            <dt>{t("projects.channel")}</dt>
            <dd>{displayValue(catalog.get("channel"), data.channel, lang)}</dd>
          </div>
        ) : null}
        <div>
          <dt>{t("projects.updated")}</dt>
          <dd>{chinaDateTime(data.updatedAt)}</dd>
        </div>
        {data.retention ? (
          <div>
            <dt>{t("projects.retention")}</dt>
            <dd>{t("projects.retentionUntil", { ended: chinaDate(data.retention.endedOn), until: chinaDate(data.retention.retainUntil) })}</dd>
          </div>
        ) : null}
      </dl>
      {data.flags?.length ? (
        <div className="notice notice-warn" role="note">
          <strong>{t("projects.flags")}</strong>
          <ul>
            {data.flags.map((f, i) => (
              <li key={i}>
                {pick(f.title)}
                {f.at ? ` (${chinaDate(f.at)})` : ""}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {data.paymentLocks?.length ? (
        <div className="notice notice-warn" role="note" data-testid="payment-locks">
          <strong>{t("projects.paymentLocks")}</strong>
          <ul>
            {data.paymentLocks.map((l, i) => (
              <li key={i}>{pick(l.message)}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <ol className="stages" aria-label={t("projects.stages")} data-testid="stages">
        {STAGES.map((s, i) => (
          <StageCard key={s} stage={s} index={i} project={data} entries={entriesOf(s)} />
        ))}
      </ol>
      {data.contractRecords?.length ? <ContractRecords projectId={data.id} records={data.contractRecords} spend={data.lineSpend ?? []} /> : null}
    </div>
  );
}
