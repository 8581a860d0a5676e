/**
 * Evaluation (评标): the caller's evaluations, and one evaluation: an expert scores each qualified
 * bid on each criterion (saved as they go, only their own scores shown), submits, then signs the
 * report with an optional dissent; the others read the stage and, once made, the report.
 */
import { useEffect, useState } from "react";
import { api, query } from "../api/client";
import type { Page } from "../api/types";
import { useSession } from "../auth/session";
import { useI18n, type MessageKey } from "../i18n";
import { Link, useRouter, withQuery } from "../router";
import { ExportButtons } from "../ui/export-button";
import { Badge, ErrorNotice, ListState, Loading, PageTitle, Pager, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { RunnerPanels, type RunnerView } from "./runner";
import { StartEvaluation } from "./start";

interface Listed { id: string; tenderId: string; title: string; method: string; status: string; round: number; confirmBy: string | null }
interface Criterion { id: string; title: string; titleEn?: string; max: number }
interface Ranked { rank: number; bidId: string; supplierName: string; price: string; evaluatedPrice: string; technical: number | null; priceScore: number | null; total: number | null }
interface Evaluation extends Omit<RunnerView, "bids" | "report"> {
  id: string; title: string; method: string; status: string; round: number; committeeSize: number; criteria: Criterion[]; submitted: number; signed: number;
  mySubmission?: boolean; members: string[] | null; chairElected?: boolean; chair?: string | null;
  indicators?: Array<{ kind: string; bidIds: string[]; evidence: Record<string, unknown>; explanation?: { text: string } | null }>;
  bids: RunnerView["bids"];
  report: { ranking: Ranked[]; signatures: Array<{ memberId: string; dissent: string | null }> } | null;
}

const TONE: Record<string, "info" | "ok" | "warn" | "neutral"> = { qualification: "info", scoring: "info", signing: "warn", signed: "ok", awarded: "ok" };

function Stage({ status }: { status: string }) {
  const { t } = useI18n();
  return <Badge tone={TONE[status] ?? "neutral"}>{t(`evaluation.status.${status}` as MessageKey)}</Badge>;
}

/** /evaluation: an expert's committees, what the caller's unit started, the region's for a regulator. */
export function EvaluationsPage() {
  const { t } = useI18n();
  const { location } = useRouter();
  const page = Math.max(1, Number(location.query.get("page")) || 1);
  const list = useApi<Page<Listed>>(`/evaluation/evaluations${query({ page, pageSize: 50 })}`);
  const runs = !!useSession().state?.user.roles.some((r) => r === "purchaser" || r === "agency");
  return (
    <div>
      <PageTitle sub={t("evaluation.list.sub")}>{t("evaluation.list.title")}</PageTitle>
      {runs && list.data ? <StartEvaluation started={list.data.items.map((e) => e.tenderId)} /> : null}
      <ExportButtons path="/evaluation/evaluations/export" fileName="evaluations" />
      <ListState state={list} empty={t("evaluation.list.empty")} />
      {list.data?.items.length ? (
        <>
          <ul className="notice-list">
            {list.data.items.map((e) => (
              <li key={e.id}>
                <Link to={`/evaluation/evaluations/${e.id}`}>{e.title}</Link> <Stage status={e.status} />
              </li>
            ))}
          </ul>
          <Pager page={list.data.page} pageSize={list.data.pageSize} total={list.data.total} totalIsEstimate={list.data.totalIsEstimate} hrefFor={(n) => withQuery(location, { page: n })} />
        </>
      ) : null}
    </div>
  );
}

/** /evaluation/evaluations/:id: a member's scoring sheet and signature; the report once every member submitted. */
export function EvaluationPage({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const e = useApi<Evaluation>(`/evaluation/evaluations/${encodeURIComponent(id)}`);
  const v = e.data;
  const member = v?.mySubmission !== undefined;
  const mine = useApi<{ items: Array<{ bidId: string; criterion: string; score: number }> }>(member ? `/evaluation/evaluations/${encodeURIComponent(id)}/scores/mine` : null);
  const [sheet, setSheet] = useState<Record<string, string>>({});
  const [dissent, setDissent] = useState("");
  const [candidate, setCandidate] = useState("");
  const [explanation, setExplanation] = useState<Record<string, string>>({});
  const me = useSession().state?.user;
  const myId = me?.id;
  // whoever sees an evaluation without sitting on its committee is one who runs the tender or a regulator (others get 404)
  const runner = v !== undefined && !member && !!me?.roles.some((r) => r === "purchaser" || r === "agency");
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState("");
  useEffect(() => {
    if (mine.data) setSheet(Object.fromEntries(mine.data.items.map((s) => [`${s.bidId}|${s.criterion}`, String(s.score)])));
  }, [mine.data]);

  async function act(fn: () => Promise<unknown>, message: string) {
    setError(null);
    setDone("");
    try {
      await fn();
      setDone(message);
      e.reload();
      mine.reload();
    } catch (err) {
      setError(err);
    }
  }
  const save = () => {
    const scores = Object.entries(sheet).filter(([, s]) => s.trim() !== "").map(([key, s]) => {
      const [bidId, criterion] = key.split("|");
      return { bidId, criterion, score: Number(s) };
    });
    return act(() => api.put(`/evaluation/evaluations/${encodeURIComponent(id)}/scores`, { scores }), t("evaluation.saved"));
  };

  const qualified = v?.bids.filter((b) => b.qualification?.passed) ?? [];
  const bidder = (bidId: string) => v?.bids.find((b) => b.bidId === bidId)?.supplierName ?? bidId;
  const open = v?.status === "qualification" || v?.status === "scoring";
  const criterionTitle = (c: Criterion) => (lang === "en" && c.titleEn ? c.titleEn : c.title);
  return (
    <div>
      <PageTitle sub={t("evaluation.page.sub")}>{v ? v.title : t("evaluation.list.title")}</PageTitle>
      {e.loading && !v ? <Loading /> : null}
      <ErrorNotice error={e.error} />
      {v ? (
        <>
          <section className="panel" aria-labelledby="evaluation-stage">
            <h2 id="evaluation-stage">{t("evaluation.page.stage")}</h2>
            <p><Stage status={v.status} /> {t("evaluation.page.progress", { submitted: v.submitted, signed: v.signed, size: v.committeeSize })}</p>
          </section>
          <ErrorNotice error={error} />
          {done ? <p role="status">{done}</p> : null}

          {member && open && !v.chairElected && v.members ? (
            <section className="panel" aria-labelledby="evaluation-chair">
              <h2 id="evaluation-chair">{t("evaluation.chair.title")}</h2>
              <p>{t("evaluation.chair.explain")}</p>
              <form onSubmit={(ev) => { ev.preventDefault(); if (candidate) void act(() => api.post(`/evaluation/evaluations/${encodeURIComponent(id)}/chair`, { candidate }), t("evaluation.chair.voted")); }}>
                <label htmlFor="evaluation-chair-candidate">{t("evaluation.chair.candidate")}</label>
                <select id="evaluation-chair-candidate" value={candidate} onChange={(ev) => setCandidate(ev.target.value)} required>
                  <option value="">{t("evaluation.chair.choose")}</option>
                  {v.members.map((m, i) => <option key={m} value={m}>{t(m === myId ? "evaluation.chair.memberSelf" : "evaluation.chair.member", { n: i + 1 })}</option>)}
                </select>
                <p><button type="submit" className="btn btn-primary">{t("evaluation.chair.vote")}</button></p>
              </form>
            </section>
          ) : null}
          {v.chairElected && v.members && v.chair ? <p>{t(v.chair === myId ? "evaluation.chair.isSelf" : "evaluation.chair.is", { n: v.members.indexOf(v.chair) + 1 })}</p> : null}

          {v.indicators?.length ? (
            <section className="panel" aria-labelledby="evaluation-indicators">
              <h2 id="evaluation-indicators">{t("evaluation.indicators.title")}</h2>
              <ul>
                {v.indicators.map((i, k) => (
                  <li key={`${i.kind}-${k}`}>
                    {t(`evaluation.indicators.${i.kind}` as MessageKey, { bidders: i.bidIds.map(bidder).join("、") })}
                    {i.kind === "abnormally-low" && i.explanation ? <p>{t("evaluation.indicators.explanation", { text: i.explanation.text })}</p> : null}
                    {i.kind === "abnormally-low" && !i.explanation && member && open ? (
                      <form onSubmit={(ev) => { ev.preventDefault(); void act(() => api.post(`/evaluation/evaluations/${encodeURIComponent(id)}/explanations`, { bidId: i.bidIds[0], text: explanation[i.bidIds[0]] ?? "" }), t("evaluation.indicators.recorded")); }}>
                        <label htmlFor={`evaluation-explain-${k}`}>{t("evaluation.indicators.explainLabel", { bidder: bidder(i.bidIds[0]) })}</label>
                        <textarea id={`evaluation-explain-${k}`} value={explanation[i.bidIds[0]] ?? ""} onChange={(ev) => setExplanation({ ...explanation, [i.bidIds[0]]: ev.target.value })} maxLength={4000} required />
                        <p><button type="submit" className="btn">{t("evaluation.indicators.record")}</button></p>
                      </form>
                    ) : null}
                  </li>
                ))}
              </ul>
            </section>
          ) : null}

          {member && v.status === "scoring" && v.chairElected && !v.mySubmission && v.criteria.length ? (
            <section className="panel" aria-labelledby="evaluation-sheet">
              <h2 id="evaluation-sheet">{t("evaluation.sheet.title")}</h2>
              <TableWrap label={t("evaluation.sheet.title")}>
                <table>
                  <caption>{t("evaluation.sheet.caption")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("evaluation.field.bidder")}</th>
                      {v.criteria.map((c) => <th scope="col" key={c.id}>{t("evaluation.sheet.criterion", { title: criterionTitle(c), max: c.max })}</th>)}
                    </tr>
                  </thead>
                  <tbody>
                    {qualified.map((b) => (
                      <tr key={b.bidId}>
                        <th scope="row">{b.supplierName}</th>
                        {v.criteria.map((c) => (
                          <td key={c.id}>
                            <input
                              type="number" min={0} max={c.max} step="0.01" inputMode="decimal"
                              aria-label={t("evaluation.sheet.input", { bidder: b.supplierName, title: criterionTitle(c) })}
                              value={sheet[`${b.bidId}|${c.id}`] ?? ""}
                              onChange={(ev) => setSheet({ ...sheet, [`${b.bidId}|${c.id}`]: ev.target.value })}
                            />
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <p>
                <button type="button" className="btn" onClick={() => void save()}>{t("evaluation.sheet.save")}</button>{" "}
                <button type="button" className="btn btn-primary" onClick={() => void act(() => api.post(`/evaluation/evaluations/${encodeURIComponent(id)}/submission`), t("evaluation.submitted"))}>{t("evaluation.sheet.submit")}</button>
              </p>
            </section>
          ) : null}
          {member && v.status === "scoring" && v.chairElected && !v.mySubmission && !v.criteria.length ? (
            <p><button type="button" className="btn btn-primary" onClick={() => void act(() => api.post(`/evaluation/evaluations/${encodeURIComponent(id)}/submission`), t("evaluation.submitted"))}>{t("evaluation.sheet.confirm")}</button></p>
          ) : null}

          {v.report ? (
            <section className="panel" aria-labelledby="evaluation-report">
              <h2 id="evaluation-report">{t("evaluation.report.title")}</h2>
              <TableWrap label={t("evaluation.report.title")}>
                <table>
                  <caption>{t("evaluation.report.caption")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("evaluation.field.rank")}</th><th scope="col">{t("evaluation.field.bidder")}</th><th scope="col">{t("evaluation.field.price")}</th>
                      <th scope="col">{t("evaluation.field.evaluatedPrice")}</th><th scope="col">{t("evaluation.field.technical")}</th><th scope="col">{t("evaluation.field.priceScore")}</th><th scope="col">{t("evaluation.field.total")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {v.report.ranking.map((r) => (
                      <tr key={r.bidId}>
                        <td>{r.rank}</td><th scope="row">{r.supplierName}</th><td>{r.price}</td><td>{r.evaluatedPrice}</td>
                        <td>{r.technical ?? "—"}</td><td>{r.priceScore ?? "—"}</td><td>{r.total ?? "—"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              {v.report.signatures.filter((s) => s.dissent).map((s) => <p key={s.memberId}>{t("evaluation.report.dissent", { text: s.dissent! })}</p>)}
              {v.status === "signed" || v.status === "awarded" ? <p><Link to={`/evaluation/evaluations/${encodeURIComponent(id)}/report`}>{t("report.print.link")}</Link></p> : null}
              {member && v.status === "signing" ? (
                <form onSubmit={(ev) => { ev.preventDefault(); void act(() => api.post(`/evaluation/evaluations/${encodeURIComponent(id)}/signature`, dissent.trim() ? { dissent } : {}), t("evaluation.signedDone")); }}>
                  <label htmlFor="evaluation-dissent">{t("evaluation.report.dissentLabel")}</label>
                  <textarea id="evaluation-dissent" value={dissent} onChange={(ev) => setDissent(ev.target.value)} maxLength={4000} />
                  <p><button type="submit" className="btn btn-primary">{t("evaluation.report.sign")}</button></p>
                </form>
              ) : null}
            </section>
          ) : null}
          {runner ? <RunnerPanels v={v} reload={e.reload} /> : null}
        </>
      ) : null}
    </div>
  );
}
