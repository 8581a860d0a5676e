/**
 * Credit management (诚信管理): the regulator's list import with its progress bar and diff, a
 * regulator's penalty and appeal records, a party's credit file, the screening snapshot of a
 * tender, and the public credit page.
 */
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { api, ApiError, query, request } from "../api/client";
import { session, useSession } from "../auth/session";
import { creditPenaltyForm } from "../forms/local-schemas";
import { SchemaForm } from "../forms/schema-form";
import { currentLang, useI18n, type Localized, type MessageKey } from "../i18n";
import { Link, navigate, useRouter } from "../router";
import { Badge, Empty, ErrorNotice, Loading, PageTitle, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { ExportButtons } from "../ui/export-button";

type L = { "zh-CN": string; en: string };
interface Job {
  id: string;
  status: "waiting" | "reading" | "refused" | "done" | "failed";
  progress: number | null;
  rowsRead: number;
  problemCount: number;
  problems: Array<{ path: string; message?: L; line?: number }>;
  result: { seq: number; added: number; removed: number; changed: number; entries: number; samples: { added: string[]; removed: string[]; changed: string[] } } | null;
}
interface ListsView {
  lists: Array<{ key: string; title: L; versions: Array<{ seq: number; version: string; source: string; fetchedAt: string; importedAt: string; entries: number; added: number; removed: number; changed: number }> }>;
}

/** /credit/imports: the province's regulator imports a list; the bar follows the server's progress. */
export function CreditImportPage() {
  const { t, pick } = useI18n();
  const lists = useApi<ListsView>("/credit/lists");
  const [list, setList] = useState("dishonest-debtors");
  const [version, setVersion] = useState("");
  const [source, setSource] = useState("https://www.creditchina.gov.cn/");
  const [fetchedAt, setFetchedAt] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<unknown>(null);
  const polling = useRef<number | null>(null);
  useEffect(() => () => { if (polling.current) window.clearInterval(polling.current); }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setJob(null);
    if (!file) return;
    try {
      const created = await api.post<Job>("/credit/imports", {
        list, version, source, fetchedAt: fetchedAt ? new Date(fetchedAt).toISOString() : "", format: file.name.toLowerCase().endsWith(".csv") ? "csv" : "json", bytes: file.size,
      });
      setJob(created);
      polling.current = window.setInterval(() => {
        api.get<Job>(`/credit/imports/${created.id}`).then((j) => setJob((old) => (old && old.status !== "reading" && old.status !== "waiting" ? old : j)), () => {});
      }, 500);
      const token = await session.token();
      const res = await fetch(`/api/credit/imports/${created.id}/file`, {
        method: "PUT", body: file, headers: { "content-type": "application/octet-stream", "accept-language": currentLang(), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
      if (polling.current) window.clearInterval(polling.current);
      const final = await api.get<Job>(`/credit/imports/${created.id}`);
      setJob(final);
      // a refused file's rows are in the job's report, shown below
      void res;
      lists.reload();
    } catch (err) {
      if (polling.current) window.clearInterval(polling.current);
      setError(err);
    }
  }

  const percent = job?.progress === null || job?.progress === undefined ? null : Math.round(job.progress * 100);
  return (
    <div>
      <PageTitle sub={t("credit.import.sub")}>{t("credit.import.title")}</PageTitle>
      <form className="panel" onSubmit={submit} aria-labelledby="credit-import-form">
        <h2 id="credit-import-form">{t("credit.import.form")}</h2>
        <label>
          {t("credit.import.list")}
          <select value={list} onChange={(e) => setList(e.target.value)}>
            {(lists.data?.lists ?? []).map((l) => (
              <option key={l.key} value={l.key}>{pick(l.title)}</option>
            ))}
          </select>
        </label>
        <label>
          {t("credit.import.version")}
          <input required value={version} onChange={(e) => setVersion(e.target.value)} />
        </label>
        <label>
          {t("credit.import.source")}
          <input required value={source} onChange={(e) => setSource(e.target.value)} />
        </label>
        <label>
          {t("credit.import.fetchedAt")}
          <input required type="datetime-local" value={fetchedAt} onChange={(e) => setFetchedAt(e.target.value)} />
        </label>
        <label>
          {t("credit.import.file")}
          <input required type="file" accept=".csv,.json,.jsonl,text/csv,application/json" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <p className="hint">{t("credit.import.columns")}</p>
        <button type="submit" disabled={!file || job?.status === "reading"}>{t("credit.import.submit")}</button>
      </form>
      <ErrorNotice error={error} />
      {job ? (
        <section className="panel" aria-labelledby="credit-job" aria-live="polite">
          <h2 id="credit-job">{t("credit.import.job")}</h2>
          <label htmlFor="credit-progress">{t("credit.import.progress", { rows: job.rowsRead.toLocaleString() })}</label>
          <progress id="credit-progress" max={100} value={percent ?? undefined}>{percent ?? ""}%</progress>
          <p>{t(`credit.import.status.${job.status}`)}</p>
          {job.result ? (
            <TableWrap label={t("credit.import.diff")}>
              <table>
                <caption>{t("credit.import.diff")}</caption>
                <thead><tr><th scope="col">{t("credit.diff.kind")}</th><th scope="col">{t("credit.diff.count")}</th><th scope="col">{t("credit.diff.sample")}</th></tr></thead>
                <tbody>
                  {(["added", "removed", "changed"] as const).map((k) => (
                    <tr key={k}><th scope="row">{t(`credit.diff.${k}`)}</th><td>{job.result![k]}</td><td>{job.result!.samples[k].slice(0, 5).join("、")}</td></tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          ) : null}
          {job.problems.length ? (
            <div role="alert">
              <p>{t("credit.import.refused", { n: String(job.problemCount) })}</p>
              <ul>
                {job.problems.slice(0, 50).map((p, i) => <li key={i}>{p.message ? pick(p.message) : p.path}</li>)}
              </ul>
            </div>
          ) : null}
        </section>
      ) : null}
      <CreditLookup />
      <section className="panel" aria-labelledby="credit-versions">
        <h2 id="credit-versions">{t("credit.import.versions")}</h2>
        {lists.loading && !lists.data ? <Loading /> : null}
        <ErrorNotice error={lists.error} />
        {(lists.data?.lists ?? []).map((l) => (
          <div key={l.key}>
            <h3>{pick(l.title)}</h3>
            {l.versions.length ? (
              <ul>
                {l.versions.map((v) => (
                  <li key={v.seq}>
                    {t("credit.import.versionLine", { version: v.version, source: v.source, fetched: new Date(v.fetchedAt).toLocaleString(), entries: v.entries.toLocaleString(), added: String(v.added), removed: String(v.removed), changed: String(v.changed) })}
                  </li>
                ))}
              </ul>
            ) : <Empty>{t("credit.import.none")}</Empty>}
          </div>
        ))}
      </section>
    </div>
  );
}

/** Where a regulator goes from the imports page: a party's credit file by its code, and a new penalty. */
function CreditLookup() {
  const { t } = useI18n();
  useSession();
  const [code, setCode] = useState("");
  if (!session.can("record", "CreditPenalty")) return null;
  return (
    <section className="panel" aria-labelledby="credit-lookup">
      <h2 id="credit-lookup">{t("credit.lookup.title")}</h2>
      <form role="search" aria-labelledby="credit-lookup" onSubmit={(e) => { e.preventDefault(); if (code.trim()) navigate(`/credit/files/${encodeURIComponent(code.trim().toUpperCase())}`); }}>
        <label>
          {t("credit.lookup.code")}
          <input required maxLength={40} value={code} onChange={(e) => setCode(e.target.value)} autoComplete="off" />
        </label>
        <button type="submit">{t("credit.lookup.go")}</button>
      </form>
      <p><Link to="/credit/penalties/new">{t("credit.penalty.title")}</Link></p>
    </section>
  );
}

/** /credit/penalties/new?code=&name=: a regulator records an administrative penalty; the party's file shows it next. */
export function CreditPenaltyPage() {
  const { t } = useI18n();
  const { location } = useRouter();
  useSession();
  const code = location.query.get("code") ?? "";
  const name = location.query.get("name") ?? "";
  const formData = useMemo(() => ({ subjectKind: "supplier", bars: false, major: false, published: false, ...(code ? { subjectCode: code } : {}), ...(name ? { subjectName: name } : {}) }), [code, name]);
  return (
    <div>
      <PageTitle sub={t("credit.penalty.sub")}>{t("credit.penalty.title")}</PageTitle>
      {session.can("record", "CreditPenalty") ? (
        <section className="panel" aria-labelledby="page-title">
          <SchemaForm
            schema={creditPenaltyForm.schema}
            uiSchema={creditPenaltyForm.uiSchema}
            formData={formData}
            idPrefix="penalty"
            submitLabel={t("credit.penalty.submit")}
            onSubmit={async (data) => {
              const made = await api.post<{ id: string; subjectCode: string }>("/credit/penalties", data);
              navigate(`/credit/files/${encodeURIComponent(made.subjectCode)}${query({ recorded: made.id })}`);
            }}
          />
        </section>
      ) : (
        <p className="notice notice-warn">{t("credit.penalty.notAllowed")}</p>
      )}
    </div>
  );
}

const APPEALS = ["none", "pending", "upheld", "overturned"] as const;

interface Fact {
  id: string; kind: string; title: L; source: string; reference: string | null; occurredOn: string; startsOn: string | null; endsOn: string | null;
  appealState: string; rule: string | null; bars: boolean; major: boolean; published: boolean;
  /** whose record it is: its region's regulators record its appeal */
  tenantCode: string;
}
interface FileView {
  code: string;
  name: string | null;
  barredToday: boolean;
  facts: Fact[];
  listEntries: Array<{ list: string; listTitle: L; reason: string | null; authority: string | null; listedOn: string | null; until: string | null }>;
}

/** A regulator records the state of an appeal against one record (PATCH /credit/facts/:id/appeal). */
function AppealControl({ fact, onSaved }: { fact: Fact; onSaved(saved: Fact): void }) {
  const { t, pick, lang } = useI18n();
  const [state, setState] = useState(fact.appealState);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const id = `appeal-${fact.id}`;
  const title = pick(fact.title);
  const problem: Localized | undefined = error instanceof ApiError ? error.details.find((d) => d.path === "/appealState")?.message : undefined;
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      onSaved(await request<Fact>("PATCH", `/credit/facts/${encodeURIComponent(fact.id)}/appeal`, { appealState: state }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)}>
      <label htmlFor={id} className="sr-only">{t("credit.file.appealFor", { title })}</label>
      <select id={id} value={state} onChange={(e) => setState(e.target.value)} {...(problem ? { "aria-invalid": true, "aria-describedby": `${id}-problem` } : {})}>
        {APPEALS.map((a) => <option key={a} value={a}>{t(`credit.appeal.${a}` as MessageKey)}</option>)}
      </select>{" "}
      <button type="submit" className="btn btn-small" disabled={busy} aria-busy={busy}>
        {t("credit.file.appealSave")}<span className="sr-only">：{title}</span>
      </button>
      {problem ? <span id={`${id}-problem`} className="field-problem">{problem[lang]}</span> : null}
      {error && !problem ? <ErrorNotice error={error} /> : null}
    </form>
  );
}

const appealWord = (state: string): MessageKey => (APPEALS as readonly string[]).includes(state) ? (`credit.appeal.${state}` as MessageKey) : "credit.appeal.none";

/** /credit/files/:code: a party's credit file, for itself, regulators and the committee of a tender it bid in; a regulator records appeals here. */
export function CreditFilePage({ code }: { code: string }) {
  const { t, pick } = useI18n();
  const { location } = useRouter();
  useSession();
  const f = useApi<FileView>(`/credit/files/${encodeURIComponent(code)}`);
  const [saved, setSaved] = useState("");
  // regulators (and platform administrators) record penalties and appeals: the server's rule, from /api/me
  const regulator = session.can("record", "CreditPenalty");
  const recorded = f.data?.facts.find((x) => x.id === location.query.get("recorded"));
  return (
    <div>
      <PageTitle sub={code}>{t("credit.file.title", { name: f.data?.name ?? code })}</PageTitle>
      {regulator ? <p><Link to={`/credit/penalties/new${query({ code, name: f.data?.name ?? null })}`}>{t("credit.file.recordPenalty")}</Link></p> : null}
      {f.loading && !f.data ? <Loading /> : null}
      <ErrorNotice error={f.error} />
      <div role="status" aria-live="polite">
        {saved ? <p>{saved}</p> : recorded ? <p>{t("credit.file.recorded", { title: pick(recorded.title) })}</p> : null}
      </div>
      {f.data ? (
        <>
          <p>{f.data.barredToday ? <Badge tone="danger">{t("credit.file.barred")}</Badge> : <Badge tone="ok">{t("credit.file.clear")}</Badge>}</p>
          <TableWrap label={t("credit.file.facts")}>
            <table>
              <caption>{t("credit.file.facts")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("credit.file.what")}</th><th scope="col">{t("credit.file.source")}</th><th scope="col">{t("credit.file.period")}</th><th scope="col">{t("credit.file.appeal")}</th>
                  {regulator ? <th scope="col">{t("credit.file.appealRecord")}</th> : null}
                </tr>
              </thead>
              <tbody>
                {f.data.facts.map((x) => (
                  <tr key={x.id}>
                    <td>
                      {pick(x.title)}{x.reference ? `（${x.reference}）` : ""}
                      {x.bars ? <> <Badge tone="danger">{t("credit.file.bars")}</Badge></> : null}
                      {x.major ? <> <Badge tone="warn">{t("credit.file.major")}</Badge></> : null}
                      {x.published ? <> <Badge tone="info">{t("credit.file.published")}</Badge></> : null}
                      {x.rule ? <><br /><small>{t("credit.file.rule")} {x.rule}</small></> : null}
                    </td>
                    <td>{x.source}</td>
                    <td>{x.startsOn ?? x.occurredOn}{x.endsOn ? ` – ${x.endsOn}` : ""}</td>
                    <td>{t(appealWord(x.appealState))}</td>
                    {regulator ? (
                      <td>
                        {/* another region's record: its own regulators record its appeal (the server answers 403) */}
                        {session.can("record", "CreditPenalty", { tenantCode: x.tenantCode }) ? (
                          <AppealControl fact={x} onSaved={(s) => { setSaved(t("credit.file.appealSaved", { title: pick(s.title), state: t(appealWord(s.appealState)) })); f.reload(); }} />
                        ) : "—"}
                      </td>
                    ) : null}
                  </tr>
                ))}
                {f.data.listEntries.map((e) => (
                  <tr key={e.list}><td>{pick(e.listTitle)}：{e.reason}</td><td>{e.authority}</td><td>{e.listedOn ?? ""}{e.until ? ` – ${e.until}` : ""}</td><td>—</td>{regulator ? <td>—</td> : null}</tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {!f.data.facts.length && !f.data.listEntries.length ? <Empty>{t("credit.file.empty")}</Empty> : null}
        </>
      ) : null}
    </div>
  );
}

interface Snapshot {
  status: "pending" | "screened" | "no-provider";
  cutoff: string;
  cutoffDeclared: boolean;
  screenedAt?: string;
  note?: L;
  lists: Array<{ list: string; version: string | null; source: string | null; fetchedAt: string | null }>;
  bidders: Array<{ code: string; name: string | null; eligible: boolean; members: Array<{ code: string; name?: string | null }>; reasons: Array<{ rule: string; party: string; message: L }>; flags: Array<{ rule: string; party: string; message: L }> }>;
}

/** /etrading/tenders/:id/screening: the credit screening snapshot of a tender, for its committee, runners and regulators. */
export function ScreeningPage({ id }: { id: string }) {
  const { t, pick } = useI18n();
  const s = useApi<Snapshot>(`/etrading/tenders/${encodeURIComponent(id)}/screening`);
  return (
    <div>
      <PageTitle sub={s.data ? t("credit.screening.cutoff", { at: new Date(s.data.cutoff).toLocaleString(), declared: t(s.data.cutoffDeclared ? "credit.screening.declared" : "credit.screening.undeclared") }) : undefined}>
        {t("credit.screening.title")}
      </PageTitle>
      <p><Link to={`/etrading/tenders/${id}`}>{t("credit.screening.back")}</Link></p>
      {s.loading && !s.data ? <Loading /> : null}
      <ErrorNotice error={s.error} />
      {s.data?.status === "pending" ? <Empty>{t("credit.screening.pending")}</Empty> : null}
      {s.data?.note ? <p role="status">{pick(s.data.note)}</p> : null}
      {s.data && s.data.status !== "pending" ? (
        <>
          <h2>{t("credit.screening.lists")}</h2>
          <ul>
            {s.data.lists.map((l) => <li key={l.list}>{l.list}: {l.version ?? t("credit.screening.noVersion")}{l.source ? ` · ${l.source}` : ""}</li>)}
          </ul>
          <TableWrap label={t("credit.screening.bidders")}>
            <table>
              <caption>{t("credit.screening.bidders")}</caption>
              <thead><tr><th scope="col">{t("credit.screening.bidder")}</th><th scope="col">{t("credit.screening.result")}</th><th scope="col">{t("credit.screening.reasons")}</th></tr></thead>
              <tbody>
                {s.data.bidders.map((b) => (
                  <tr key={b.code}>
                    <th scope="row">{b.name ?? b.code}<br /><small>{b.code}</small>{b.members.length ? <><br /><small>{t("credit.screening.members", { codes: b.members.map((m) => m.name ?? m.code).join("、") })}</small></> : null}</th>
                    <td>{b.eligible ? <Badge tone="ok">{t("credit.screening.eligible")}</Badge> : <Badge tone="danger">{t("credit.screening.excluded")}</Badge>}</td>
                    <td>
                      <ul>
                        {b.reasons.map((r, i) => <li key={`r${i}`}>{pick(r.message)} <small>（{r.rule}）</small></li>)}
                        {b.flags.map((r, i) => <li key={`f${i}`}>{t("credit.screening.flag")}：{pick(r.message)} <small>（{r.rule}）</small></li>)}
                      </ul>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </>
      ) : null}
    </div>
  );
}

interface PublicView {
  entries: Array<{ list: string; listTitle: L; code: string; name: string; reason: string | null; authority: string | null; listedOn: string | null; until: string | null }>;
  penalties: Array<{ id: string; code: string; name: string | null; title: L; reference: string | null; occurredOn: string; endsOn: string | null }>;
}

/** /credit: what the law publishes, searchable by name or credit code, without signing in. */
export function CreditPublicPage() {
  const { t, pick } = useI18n();
  const [q, setQ] = useState("");
  const [asked, setAsked] = useState("");
  const v = useApi<PublicView>(`/credit/public${query({ q: asked || null })}`);
  return (
    <div>
      <PageTitle sub={t("credit.public.sub")}>{t("credit.public.title")}</PageTitle>
      <form role="search" onSubmit={(e) => { e.preventDefault(); setAsked(q.trim()); }}>
        <label>
          {t("credit.public.search")}
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} />
        </label>
        <button type="submit">{t("credit.public.go")}</button>
      </form>
      {v.loading && !v.data ? <Loading /> : null}
      <ErrorNotice error={v.error} />
      {v.data ? (
        <>
          <ExportButtons path={`/credit/public/entries/export${query({ q: asked || null })}`} fileName="credit-lists" />
          <TableWrap label={t("credit.public.entries")}>
            <table>
              <caption>{t("credit.public.entries")}</caption>
              <thead><tr><th scope="col">{t("credit.public.name")}</th><th scope="col">{t("credit.public.list")}</th><th scope="col">{t("credit.public.reason")}</th><th scope="col">{t("credit.public.date")}</th></tr></thead>
              <tbody>
                {v.data.entries.map((e) => (
                  <tr key={`${e.list}${e.code}`}><th scope="row">{e.name}<br /><small>{e.code}</small></th><td>{pick(e.listTitle)}</td><td>{e.reason}{e.authority ? `（${e.authority}）` : ""}</td><td>{e.listedOn ?? ""}{e.until ? ` – ${e.until}` : ""}</td></tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {!v.data.entries.length ? <Empty>{t("credit.public.none")}</Empty> : null}
          <ExportButtons path={`/credit/public/penalties/export${query({ q: asked || null })}`} fileName="credit-penalties" />
          <TableWrap label={t("credit.public.penalties")}>
            <table>
              <caption>{t("credit.public.penalties")}</caption>
              <thead><tr><th scope="col">{t("credit.public.name")}</th><th scope="col">{t("credit.public.reason")}</th><th scope="col">{t("credit.public.date")}</th></tr></thead>
              <tbody>
                {v.data.penalties.map((p) => (
                  <tr key={p.id}><th scope="row">{p.name ?? p.code}<br /><small>{p.code}</small></th><td>{pick(p.title)}{p.reference ? `（${p.reference}）` : ""}</td><td>{p.occurredOn}{p.endsOn ? ` – ${p.endsOn}` : ""}</td></tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </>
      ) : null}
    </div>
  );
}

interface PendingRating { id: string; roundId: string; title: string; source: string; rateeKind: string; rateeKindTitle: L; rateeCode: string; rateeName: string | null; completedOn: string; dueOn: string }
interface ScoreView {
  quarter: string; from: string; to: string; score: number; formula: L;
  breakdown: { ratingsReceived: number; ratingPoints: number; records: number; missed: number; recordPoints: number; computation: string; recordList: Array<{ id: string; title: L; occurredOn: string; source: string }> };
}

/** One rating owed: 1 to 5 stars (radio buttons, so the keyboard moves between them) and a comment. */
function RatingForm({ r, n, onDone }: { r: PendingRating; n: number; onDone: () => void }) {
  const { t, pick } = useI18n();
  const [stars, setStars] = useState(0);
  const [comment, setComment] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // experts are rated as persons whose names the round does not carry: numbered, so each form has its own name
  const who = r.rateeName ?? (r.rateeKind === "expert" ? t("credit.ratings.anExpert", { n }) : r.rateeCode);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await api.post("/credit/ratings", { roundId: r.roundId, rateeCode: r.rateeCode, stars, comment });
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} aria-label={t("credit.ratings.formFor", { who })}>
      <fieldset>
        <legend>{t("credit.ratings.rate", { kind: pick(r.rateeKindTitle), who })}</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n}>
            <input type="radio" name={`stars-${r.id}`} value={n} checked={stars === n} onChange={() => setStars(n)} required />
            {t("credit.ratings.stars", { n })}
          </label>
        ))}
      </fieldset>
      <label>
        {t("credit.ratings.comment")}
        <textarea value={comment} maxLength={500} rows={2} onChange={(e) => setComment(e.target.value)} />
      </label>
      <ErrorNotice error={error} />
      <button type="submit" disabled={busy}>{t("credit.ratings.submit")}</button>
    </form>
  );
}

/** /credit/ratings: the ratings the signed-in party owes (一项目一评价) and its quarter score with the formula. */
export function RatingsPage() {
  const { t, pick } = useI18n();
  const pending = useApi<{ items: PendingRating[] }>("/credit/ratings/pending");
  const score = useApi<ScoreView>("/credit/scores/mine");
  const [done, setDone] = useState<string[]>([]);
  const rounds = new Map<string, PendingRating[]>();
  for (const r of pending.data?.items ?? []) if (!done.includes(r.id)) rounds.set(r.roundId, [...(rounds.get(r.roundId) ?? []), r]);
  return (
    <div>
      <PageTitle sub={t("credit.ratings.sub")}>{t("credit.ratings.title")}</PageTitle>
      <section aria-labelledby="ratings-pending">
        <h2 id="ratings-pending">{t("credit.ratings.pending")}</h2>
        {pending.loading && !pending.data ? <Loading /> : null}
        <ErrorNotice error={pending.error} />
        {done.length ? <p role="status">{t("credit.ratings.saved", { n: done.length })}</p> : null}
        {pending.data && !rounds.size ? <Empty>{t("credit.ratings.none")}</Empty> : null}
        {[...rounds.values()].map((items) => (
          <article key={items[0].roundId}>
            <h3>{items[0].title}</h3>
            <p>{t("credit.ratings.window", { completed: items[0].completedOn, due: items[0].dueOn })}</p>
            {items.map((r) => <RatingForm key={r.id} r={r} n={(pending.data?.items ?? []).filter((x) => x.roundId === r.roundId && x.rateeKind === "expert").indexOf(r) + 1} onDone={() => { setDone((d) => [...d, r.id]); score.reload(); }} />)}
          </article>
        ))}
      </section>
      <section aria-labelledby="ratings-score">
        <h2 id="ratings-score">{t("credit.ratings.score")}</h2>
        {score.loading && !score.data ? <Loading /> : null}
        <ErrorNotice error={score.error} />
        {score.data ? (
          <>
            <p>{t("credit.ratings.scoreLine", { quarter: score.data.quarter, score: score.data.score })}</p>
            <p><strong>{t("credit.ratings.formula")}</strong>{pick(score.data.formula)}</p>
            <dl className="facts">
              <dt>{t("credit.ratings.received")}</dt><dd>{score.data.breakdown.ratingsReceived}（{score.data.breakdown.ratingPoints}）</dd>
              <dt>{t("credit.ratings.records")}</dt><dd>{score.data.breakdown.records}</dd>
              <dt>{t("credit.ratings.missed")}</dt><dd>{score.data.breakdown.missed}</dd>
              <dt>{t("credit.ratings.computation")}</dt><dd>{score.data.breakdown.computation}</dd>
            </dl>
            {score.data.breakdown.recordList.length ? (
              <ul>{score.data.breakdown.recordList.map((f) => <li key={f.id}>{f.occurredOn} · {pick(f.title)}（{f.source}）</li>)}</ul>
            ) : null}
          </>
        ) : null}
      </section>
    </div>
  );
}
