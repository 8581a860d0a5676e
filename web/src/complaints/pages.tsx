/**
 * Challenges and complaints (质疑与投诉): a supplier files a challenge from the tender page; the
 * purchaser or agency answers it on the challenge's page; the challenger complains from there; the
 * regulator handles complaints at its desk. Every statutory clock shows its last day and the working
 * days left, as the server counts them (China's calendar with its make-up days).
 */
import { useState, type FormEvent } from "react";
import { api, query } from "../api/client";
import type { Page } from "../api/types";
import { chinaDateTime, useI18n, type MessageKey } from "../i18n";
import { ServerForm } from "../forms/schema-form";
import { Link, useRouter, withQuery } from "../router";
import { ExportButtons } from "../ui/export-button";
import { Badge, ErrorNotice, ListState, Loading, PageTitle, Pager, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";

interface Clock { rule: string; due: string; remainingWorkingDays: number; overdue: boolean; paused?: boolean }
interface Matter { n: number; text: string; evidence: string[] }
interface Complaint {
  id: string; challengeId: string; tenderId: string; tenderTitle?: string; matters: number[]; statement: string; filedAt: string; status: string;
  correctionUsed: boolean; correctionNote: string | null; respondentAnswer: string | null; suspendedUntil: string | null; decisionDue: string | null;
  paused: boolean; outcome: string | null; decision: string | null; clocks: Clock[];
}
interface Challenge {
  id: string; tenderId: string; tenderTitle: string; target: string; knownOn: string; filedAt: string; replyDue: string; affectsResult: boolean;
  status: string; reply: string | null; repliedAt: string | null; matters: Matter[]; clocks: Clock[]; canReply?: boolean; complaint?: Complaint | null; complaintId?: string | null;
}

const TONE: Record<string, "neutral" | "info" | "ok" | "warn" | "danger"> = {
  "awaiting-reply": "warn", replied: "ok", intake: "info", correcting: "warn", accepted: "info", answered: "info", decided: "ok", rejected: "neutral",
};

function Status({ status }: { status: string }) {
  const { t } = useI18n();
  return <Badge tone={TONE[status] ?? "neutral"}>{t(`complaints.status.${status}` as MessageKey)}</Badge>;
}

/** A clock: its rule's name, last day and working days left; overdue and paused said in words, not by colour alone. */
export function Clocks({ clocks }: { clocks: Clock[] }) {
  const { t } = useI18n();
  if (!clocks.length) return null;
  return (
    <ul className="clocks" aria-label={t("complaints.clocks")}>
      {clocks.map((c) => (
        <li key={c.rule}>
          <strong>{t(`complaints.clock.${c.rule}` as MessageKey)}</strong>{" "}
          {t("complaints.clock.due", { due: c.due })}{" · "}
          {c.overdue ? <Badge tone="danger">{t("complaints.clock.overdue")}</Badge> : t("complaints.clock.left", { n: c.remainingWorkingDays })}
          {c.paused ? <> {" · "}<Badge tone="warn">{t("complaints.clock.paused")}</Badge></> : null}
        </li>
      ))}
    </ul>
  );
}

/** /etrading/tenders/:id/challenge: a supplier that took part files a challenge, matter by matter, with evidence. */
export function ChallengeFilePage({ tenderId }: { tenderId: string }) {
  const { t } = useI18n();
  const { navigate } = useRouter();
  return (
    <div>
      <PageTitle sub={t("complaints.file.sub")}>{t("complaints.file.title")}</PageTitle>
      <section className="panel">
        <ServerForm
          formId="complaints.challenge"
          formData={{ tenderId, affectsResult: true, matters: [{ text: "" }] }}
          submitLabel={t("complaints.file.submit")}
          hideTitle
          onSubmit={async (data) => {
            const c = await api.post<{ id: string }>("/complaints/challenges", data);
            navigate(`/complaints/challenges/${c.id}`);
          }}
        />
      </section>
    </div>
  );
}

/** /complaints/challenges: the supplier's own challenges, a regulator's region's, or one tender's for its purchaser (?tender=). */
export function ChallengesPage() {
  const { t } = useI18n();
  const { location } = useRouter();
  const tender = location.query.get("tender");
  const page = Math.max(1, Number(location.query.get("page")) || 1);
  const list = useApi<Page<Challenge>>(`/complaints/challenges${query({ tenderId: tender, page, pageSize: 50 })}`);
  return (
    <div>
      <PageTitle sub={t("complaints.list.sub")}>{t("complaints.list.title")}</PageTitle>
      <ExportButtons path={`/complaints/challenges/export${query({ tenderId: tender })}`} fileName="challenges" />
      <ListState state={list} empty={t("complaints.list.empty")} />
      {list.data?.items.length ? (
        <TableWrap label={t("complaints.list.title")}>
          <table>
            <thead><tr><th scope="col">{t("complaints.field.tender")}</th><th scope="col">{t("complaints.field.target")}</th><th scope="col">{t("complaints.field.status")}</th><th scope="col">{t("complaints.clocks")}</th></tr></thead>
            <tbody>
              {list.data.items.map((c) => (
                <tr key={c.id}>
                  <td><Link to={`/complaints/challenges/${c.id}`}>{c.tenderTitle}</Link></td>
                  <td>{t(`complaints.target.${c.target}` as MessageKey)}</td>
                  <td><Status status={c.status} /></td>
                  <td><Clocks clocks={c.clocks} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      {list.data?.items.length ? (
        <Pager page={list.data.page} pageSize={list.data.pageSize} total={list.data.total} totalIsEstimate={list.data.totalIsEstimate} hrefFor={(n) => withQuery(location, { page: n })} />
      ) : null}
    </div>
  );
}

/** /complaints/challenges/:id: the challenge, its clocks, the reply form (purchaser, agency) and the way to complain (the challenger). */
export function ChallengePage({ id }: { id: string }) {
  const { t } = useI18n();
  const c = useApi<Challenge>(`/complaints/challenges/${id}`);
  const [reply, setReply] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState("");
  async function sendReply(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      await api.post(`/complaints/challenges/${id}/reply`, { reply });
      setDone(t("complaints.reply.done"));
      c.reload();
    } catch (err) {
      setError(err);
    }
  }
  const x = c.data;
  if (c.loading && !x) return <Loading />;
  if (!x) return <ErrorNotice error={c.error} />;
  const mayComplain = !x.complaint && !x.canReply && x.clocks.some((k) => k.rule === "complaint.window" && !k.overdue);
  return (
    <div>
      <PageTitle sub={x.tenderTitle}>{t("complaints.challenge.title")}</PageTitle>
      <ErrorNotice error={error} />
      {done ? <p className="notice notice-ok" role="status">{done}</p> : null}
      <section className="panel" aria-labelledby="complaints-challenge">
        <h2 id="complaints-challenge">{t(`complaints.target.${x.target}` as MessageKey)}</h2>
        <dl className="facts">
          <dt>{t("complaints.field.status")}</dt><dd><Status status={x.status} /></dd>
          <dt>{t("complaints.field.knownOn")}</dt><dd>{x.knownOn}</dd>
          <dt>{t("complaints.field.filedAt")}</dt><dd>{chinaDateTime(x.filedAt)}</dd>
          <dt>{t("complaints.field.affectsResult")}</dt><dd>{x.affectsResult ? t("complaints.yes") : t("complaints.no")}</dd>
        </dl>
        <Clocks clocks={x.clocks} />
        <h3>{t("complaints.field.matters")}</h3>
        <ol>
          {x.matters.map((m) => (
            <li key={m.n}>
              {m.text}
              {m.evidence.length ? <> {" · "}{m.evidence.map((f, i) => <a key={f} href={`/api/files/${f}`}>{t("complaints.evidence", { n: i + 1 })}</a>)}</> : null}
            </li>
          ))}
        </ol>
        {x.reply ? (<><h3>{t("complaints.reply.title")}</h3><p>{x.reply}</p><p className="hint">{x.repliedAt ? chinaDateTime(x.repliedAt) : null}</p></>) : null}
      </section>
      {x.canReply ? (
        <section className="panel" aria-labelledby="complaints-reply">
          <h2 id="complaints-reply">{t("complaints.reply.title")}</h2>
          <form onSubmit={(e) => void sendReply(e)}>
            <label htmlFor="complaints-reply-text">{t("complaints.reply.label")}</label>
            <textarea id="complaints-reply-text" required value={reply} onChange={(e) => setReply(e.target.value)} rows={6} />
            <button type="submit" className="btn btn-primary">{t("complaints.reply.submit")}</button>
          </form>
        </section>
      ) : null}
      {mayComplain ? (
        <section className="panel" aria-labelledby="complaints-complain">
          <h2 id="complaints-complain">{t("complaints.complain.title")}</h2>
          <p className="hint">{t("complaints.complain.hint")}</p>
          <ServerForm
            formId="complaints.complaint"
            idPrefix="complaint"
            formData={{ challengeId: x.id, matters: x.matters.map((m) => m.n) }}
            submitLabel={t("complaints.complain.submit")}
            hideTitle
            onSubmit={async (data) => {
              await api.post("/complaints/complaints", data);
              c.reload();
            }}
          />
        </section>
      ) : null}
      {x.complaint ? (
        <section className="panel" aria-labelledby="complaints-complaint">
          <h2 id="complaints-complaint">{t("complaints.complaint.title")}</h2>
          <p><Status status={x.complaint.status} /> {x.complaint.outcome ? t(`complaints.outcome.${x.complaint.outcome}` as MessageKey) : null}</p>
          <Clocks clocks={x.complaint.clocks} />
          {x.complaint.decision ? <p>{x.complaint.decision}</p> : null}
        </section>
      ) : null}
    </div>
  );
}

const STEPS: Record<string, string[]> = {
  intake: ["accept", "correction", "reject"],
  accepted: ["suspend", "pause", "resume", "decide"],
  answered: ["suspend", "pause", "resume", "decide"],
};

/** /complaints/desk: the regulator's complaints with their clocks and the next steps. */
export function ComplaintDeskPage() {
  const { t } = useI18n();
  const { location } = useRouter();
  const page = Math.max(1, Number(location.query.get("page")) || 1);
  const list = useApi<Page<Complaint>>(`/complaints/complaints${query({ page, pageSize: 50 })}`);
  const [text, setText] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState("");
  async function act(c: Complaint, step: string) {
    setError(null);
    setDone("");
    const note = text[c.id] ?? "";
    const body: Record<string, unknown> =
      step === "correction" ? { note } : step === "reject" || step === "pause" ? { reason: note } : step === "suspend" ? { days: 30 } : step.startsWith("decide") ? { outcome: step === "decide-founded" ? "founded" : "unfounded", decision: note } : {};
    try {
      await api.post(`/complaints/complaints/${c.id}/steps/${step.startsWith("decide") ? "decide" : step}`, body);
      setDone(t("complaints.desk.done"));
      list.reload();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <div>
      <PageTitle sub={t("complaints.desk.sub")}>{t("complaints.desk.title")}</PageTitle>
      <ErrorNotice error={error} />
      {done ? <p className="notice notice-ok" role="status">{done}</p> : null}
      <ExportButtons path="/complaints/complaints/export" fileName="complaints" />
      <ListState state={list} empty={t("complaints.desk.empty")} />
      {list.data?.items.length ? (
        <ul className="notice-list">
          {list.data.items.map((c) => {
            const steps = (STEPS[c.status] ?? []).filter((s) => (s === "resume" ? c.paused : s === "pause" ? !c.paused : s === "correction" ? !c.correctionUsed : true))
              .flatMap((s) => (s === "decide" ? (c.paused ? [] : ["decide-founded", "decide-unfounded"]) : [s]));
            return (
              <li key={c.id}>
                <h2><Link to={`/complaints/challenges/${c.challengeId}`}>{c.tenderTitle}</Link></h2>
                <p><Status status={c.status} /> {t("complaints.field.filedAt")}：{chinaDateTime(c.filedAt)} · {t("complaints.desk.matters", { list: c.matters.join("、") })}</p>
                <p>{c.statement}</p>
                {c.respondentAnswer ? <p>{t("complaints.desk.answer")}：{c.respondentAnswer}</p> : null}
                <Clocks clocks={c.clocks} />
                {steps.length ? (
                  <div className="filters">
                    <label>
                      {t("complaints.desk.note")}
                      <input value={text[c.id] ?? ""} onChange={(e) => setText({ ...text, [c.id]: e.target.value })} />
                    </label>
                    {steps.map((s) => (
                      <button key={s} type="button" className="btn" onClick={() => void act(c, s)}>{t(`complaints.step.${s}` as MessageKey)}</button>
                    ))}
                  </div>
                ) : null}
              </li>
            );
          })}
        </ul>
      ) : null}
      {list.data?.items.length ? (
        <Pager page={list.data.page} pageSize={list.data.pageSize} total={list.data.total} totalIsEstimate={list.data.totalIsEstimate} hrefFor={(n) => withQuery(location, { page: n })} />
      ) : null}
    </div>
  );
}
