/**
 * The side of an evaluation that the purchaser or its agency runs (issue 19): the qualification review, then,
 * once the report is signed, the award in the report's order, and after it the winner's refusal or the contract.
 * Shown on the evaluation's page to those who run the tender; the server decides who that is (others get 404).
 */
import { useState, type FormEvent, type ReactNode } from "react";
import { api, ApiError } from "../api/client";
import { chinaDate, chinaDateTime, useI18n, type Localized } from "../i18n";
import { Badge, ErrorNotice, Money } from "../ui/parts";

export interface RunnerView {
  id: string; status: string; smeDeduction: number; consortiumDeduction: number;
  bids: Array<{ bidId: string; supplierName: string; price: string; order: number; qualification: { passed: boolean; reason: string | null; sme: boolean; consortium: boolean } | null }>;
  report: { ranking: Array<{ rank: number; bidId: string; supplierName: string; price: string }> } | null;
  reportDelivered: { at: string; rule: string } | null;
  confirmBy: string | null; awardWarned: boolean; signBy: string | null;
  award: { bidId: string; supplierName: string; price: string; rank: number; reason: string | null; at: string; late: boolean; deemed: boolean } | null;
  contract: { at: string; late: boolean } | null;
  refusals: Array<{ bidId: string; reason: string; at: string }>;
  awardHold: { reason: string } | null;
}

/** The server's words about one field of what was sent (DESIGN.md §7 details), to show beside that field. */
function problemAt(error: unknown, path: string): Localized | undefined {
  return error instanceof ApiError ? error.details.find((d) => d.path === path)?.message : undefined;
}

/** A field's error, linked to it by id (aria-describedby), in the language on screen. */
function FieldProblem({ id, message }: { id: string; message: Localized | undefined }) {
  const { lang } = useI18n();
  return message ? <span id={id} className="field-problem">{message[lang]}</span> : null;
}

const invalid = (message: Localized | undefined, id: string) => (message ? { "aria-invalid": true as const, "aria-describedby": id } : {});

type Verdict = { passed: "" | "yes" | "no"; reason: string; deduction: "" | "sme" | "consortium" };

export function RunnerPanels({ v, reload }: { v: RunnerView; reload(): void }) {
  const { t } = useI18n();
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState("");
  const base = `/evaluation/evaluations/${encodeURIComponent(v.id)}`;

  async function act(fn: () => Promise<unknown>, message: string) {
    setError(null);
    setDone("");
    try {
      await fn();
      setDone(message);
      reload();
    } catch (err) {
      setError(err);
    }
  }

  let body: ReactNode = null;
  if (v.status === "qualification") body = <Qualification v={v} error={error} act={act} base={base} />;
  else if (v.status === "signed" && v.report) body = <Award v={v} error={error} act={act} base={base} />;
  else if (v.status === "awarded" && v.award) body = <Awarded v={v} error={error} act={act} base={base} />;
  return (
    <section className="panel" aria-labelledby="evaluation-runner">
      <h2 id="evaluation-runner">{t("evaluation.runner.title")}</h2>
      <ErrorNotice error={error} />
      {done ? <p role="status">{done}</p> : null}
      {body}
      {v.status !== "qualification" && v.bids.some((b) => b.qualification) ? <QualificationResults v={v} /> : null}
    </section>
  );
}

type Part = { v: RunnerView; error: unknown; act(fn: () => Promise<unknown>, message: string): Promise<void>; base: string };

function Qualification({ v, error, act, base }: Part) {
  const { t } = useI18n();
  const [verdicts, setVerdicts] = useState<Record<string, Verdict>>({});
  const deductions = v.smeDeduction > 0 || v.consortiumDeduction > 0;
  const of = (bidId: string): Verdict => verdicts[bidId] ?? { passed: "", reason: "", deduction: "" };
  const set = (bidId: string, change: Partial<Verdict>) => setVerdicts({ ...verdicts, [bidId]: { ...of(bidId), ...change } });
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    // the results go in the opening record's order, so a problem at /results/<i> is the i-th bid on screen
    const results = v.bids.map((b) => {
      const x = of(b.bidId);
      return { bidId: b.bidId, passed: x.passed === "yes", ...(x.reason.trim() ? { reason: x.reason } : {}), ...(x.deduction ? { [x.deduction]: true } : {}) };
    });
    void act(() => api.put(`${base}/qualification`, { results }), t("evaluation.qualification.done"));
  };
  return (
    <form onSubmit={submit} aria-labelledby="evaluation-qualification">
      <h3 id="evaluation-qualification">{t("evaluation.qualification.title")}</h3>
      <p>{t("evaluation.qualification.explain")}</p>
      {v.bids.map((b, i) => {
        const x = of(b.bidId);
        const reasonProblem = problemAt(error, `/results/${i}/reason`);
        const deductionProblem = problemAt(error, `/results/${i}/sme`) ?? problemAt(error, `/results/${i}/consortium`);
        return (
          <fieldset key={b.bidId}>
            <legend>{t("evaluation.qualification.bid", { bidder: b.supplierName, price: b.price })}</legend>
            <label><input type="radio" name={`qualification-${b.bidId}`} value="yes" checked={x.passed === "yes"} onChange={() => set(b.bidId, { passed: "yes" })} required /> {t("evaluation.qualification.passed")}</label>{" "}
            <label><input type="radio" name={`qualification-${b.bidId}`} value="no" checked={x.passed === "no"} onChange={() => set(b.bidId, { passed: "no" })} required /> {t("evaluation.qualification.failed")}</label>
            <FieldProblem id={`evaluation-qualification-${i}-problem`} message={problemAt(error, `/results/${i}`)} />
            <p>
              <label htmlFor={`evaluation-qualification-${i}-reason`}>{t("evaluation.qualification.reason", { bidder: b.supplierName })}</label>
              <textarea
                id={`evaluation-qualification-${i}-reason`} value={x.reason} maxLength={2000} rows={2}
                aria-required={x.passed === "no" ? true : undefined}
                onChange={(ev) => set(b.bidId, { reason: ev.target.value })}
                {...invalid(reasonProblem, `evaluation-qualification-${i}-reason-problem`)}
              />
              <FieldProblem id={`evaluation-qualification-${i}-reason-problem`} message={reasonProblem} />
            </p>
            {deductions ? (
              <p>
                <label htmlFor={`evaluation-qualification-${i}-deduction`}>{t("evaluation.qualification.deduction", { bidder: b.supplierName })}</label>
                <select id={`evaluation-qualification-${i}-deduction`} value={x.deduction} onChange={(ev) => set(b.bidId, { deduction: ev.target.value as Verdict["deduction"] })} {...invalid(deductionProblem, `evaluation-qualification-${i}-deduction-problem`)}>
                  <option value="">{t("evaluation.qualification.deductionNone")}</option>
                  {v.smeDeduction > 0 ? <option value="sme">{t("evaluation.qualification.deductionSme", { percent: v.smeDeduction })}</option> : null}
                  {v.consortiumDeduction > 0 ? <option value="consortium">{t("evaluation.qualification.deductionConsortium", { percent: v.consortiumDeduction })}</option> : null}
                </select>
                <FieldProblem id={`evaluation-qualification-${i}-deduction-problem`} message={deductionProblem} />
              </p>
            ) : null}
          </fieldset>
        );
      })}
      <p><button type="submit" className="btn btn-primary">{t("evaluation.qualification.submit")}</button></p>
    </form>
  );
}

function QualificationResults({ v }: { v: RunnerView }) {
  const { t } = useI18n();
  return (
    <>
      <h3>{t("evaluation.qualification.results")}</h3>
      <ul>
        {v.bids.map((b) => (
          <li key={b.bidId}>
            {t("evaluation.qualification.result", { bidder: b.supplierName, verdict: t(b.qualification?.passed ? "evaluation.qualification.passed" : "evaluation.qualification.failed") })}
            {b.qualification && !b.qualification.passed && b.qualification.reason ? t("evaluation.qualification.because", { reason: b.qualification.reason }) : null}
          </li>
        ))}
      </ul>
    </>
  );
}

/** The confirm-by day of award.purchaserConfirm, and the warning once the platform has given it. */
function ConfirmBy({ v }: { v: RunnerView }) {
  const { t } = useI18n();
  return (
    <>
      {v.reportDelivered ? <p>{t("evaluation.award.delivered", { at: chinaDateTime(v.reportDelivered.at) })}</p> : null}
      {v.confirmBy ? <p>{t("evaluation.award.confirmBy", { date: v.confirmBy })}</p> : null}
      {v.awardWarned ? <div className="notice notice-warn" role="alert"><p>{t("evaluation.award.warning", { date: v.confirmBy ?? "" })}</p></div> : null}
      {v.awardHold ? <p>{t("evaluation.award.hold", { reason: v.awardHold.reason })}</p> : null}
    </>
  );
}

function Award({ v, error, act, base }: Part) {
  const { t } = useI18n();
  const ranking = v.report!.ranking.filter((r) => !v.refusals.some((x) => x.bidId === r.bidId));
  const [chosen, setChosen] = useState(ranking[0]?.bidId ?? "");
  const [reason, setReason] = useState("");
  const first = ranking[0]?.bidId === chosen;
  const bidProblem = problemAt(error, "/bidId");
  const reasonProblem = problemAt(error, "/reason");
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    void act(() => api.post(`${base}/award`, { bidId: chosen, ...(reason.trim() ? { reason } : {}) }), t("evaluation.award.done"));
  };
  return (
    <form onSubmit={submit} aria-labelledby="evaluation-award">
      <h3 id="evaluation-award">{t("evaluation.award.title")}</h3>
      <ConfirmBy v={v} />
      <fieldset {...invalid(bidProblem, "evaluation-award-bid-problem")}>
        <legend>{t("evaluation.award.candidates")}</legend>
        {ranking.map((r) => (
          <p key={r.bidId}>
            <label>
              <input type="radio" name="evaluation-award-bid" value={r.bidId} checked={chosen === r.bidId} onChange={() => setChosen(r.bidId)} />{" "}
              {t("evaluation.award.candidate", { rank: r.rank, bidder: r.supplierName, price: r.price })}
            </label>
          </p>
        ))}
        <FieldProblem id="evaluation-award-bid-problem" message={bidProblem} />
      </fieldset>
      <p>
        <label htmlFor="evaluation-award-reason">{t("evaluation.award.reason")}</label>
        <textarea
          id="evaluation-award-reason" value={reason} maxLength={2000} rows={2} aria-required={first ? undefined : true}
          onChange={(ev) => setReason(ev.target.value)} {...invalid(reasonProblem, "evaluation-award-reason-problem")}
        />
        <FieldProblem id="evaluation-award-reason-problem" message={reasonProblem} />
      </p>
      <p><button type="submit" className="btn btn-primary">{t("evaluation.award.submit")}</button></p>
    </form>
  );
}

function Awarded({ v, error, act, base }: Part) {
  const { t } = useI18n();
  const [reason, setReason] = useState("");
  const award = v.award!;
  const reasonProblem = problemAt(error, "/reason");
  return (
    <div>
      <h3>{t("evaluation.awarded.title")}</h3>
      <dl>
        <dt>{t("evaluation.awarded.winner")}</dt><dd>{award.supplierName}</dd>
        <dt>{t("evaluation.awarded.price")}</dt><dd><Money value={award.price} /></dd>
        <dt>{t("evaluation.awarded.at")}</dt>
        <dd>
          {chinaDate(award.at)}{" "}
          {award.deemed ? <Badge tone="warn">{t("evaluation.awarded.deemed")}</Badge> : null}{" "}
          {award.late ? <Badge tone="warn">{t("evaluation.awarded.late")}</Badge> : null}
        </dd>
        {award.reason ? <><dt>{t("evaluation.awarded.reason")}</dt><dd>{award.reason}</dd></> : null}
        <dt>{t("evaluation.awarded.signBy")}</dt><dd>{v.signBy}</dd>
      </dl>
      {v.refusals.length ? (
        <ul>
          {v.refusals.map((r) => <li key={r.bidId}>{t("evaluation.awarded.refused", { bidder: v.bids.find((b) => b.bidId === r.bidId)?.supplierName ?? r.bidId, reason: r.reason })}</li>)}
        </ul>
      ) : null}
      {v.contract ? (
        <p>{t("evaluation.contract.signedOn", { date: chinaDate(v.contract.at) })} {v.contract.late ? <Badge tone="warn">{t("evaluation.contract.late")}</Badge> : null}</p>
      ) : (
        <>
          <p><button type="button" className="btn btn-primary" onClick={() => void act(() => api.post(`${base}/contract`), t("evaluation.contract.done"))}>{t("evaluation.contract.submit")}</button></p>
          <form onSubmit={(ev) => { ev.preventDefault(); void act(() => api.post(`${base}/winner-refusal`, { reason }).then(() => setReason("")), t("evaluation.refusal.done")); }} aria-labelledby="evaluation-refusal">
            <h3 id="evaluation-refusal">{t("evaluation.refusal.title")}</h3>
            <p>
              <label htmlFor="evaluation-refusal-reason">{t("evaluation.refusal.reason")}</label>
              <textarea id="evaluation-refusal-reason" value={reason} maxLength={2000} rows={2} aria-required onChange={(ev) => setReason(ev.target.value)} {...invalid(reasonProblem, "evaluation-refusal-reason-problem")} />
              <FieldProblem id="evaluation-refusal-reason-problem" message={reasonProblem} />
            </p>
            <p><button type="submit" className="btn">{t("evaluation.refusal.submit")}</button></p>
          </form>
        </>
      )}
    </div>
  );
}
