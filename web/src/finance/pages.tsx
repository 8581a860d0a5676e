/**
 * Financial services (金融服务): the supplier's securities and e-guarantee applications, an
 * institution's inbox and decisions, the agency's deposits and overdue refunds, and the public page
 * where anyone checks a guarantee letter by its verification code.
 */
import { useEffect, useState, type FormEvent } from "react";
import { api, query } from "../api/client";
import { useSession } from "../auth/session";
import { useI18n } from "../i18n";
import { useRouter } from "../router";
import { Badge, Empty, ErrorNotice, Loading, Money, PageTitle, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { ExportButtons } from "../ui/export-button";

type L = { "zh-CN": string; en: string };
/** The lists' largest page: these pages show a party's own rows whole, as they did before the lists paged. */
const PAGE = 200;
interface Guarantee {
  id: string;
  purpose: "bid" | "performance";
  tenderId: string | null;
  title: string;
  beneficiary: string;
  supplierCode: string;
  institutionName: string | null;
  amount: string;
  validUntil: string;
  status: string;
  declineReason: string | null;
  verificationCode: string | null;
  letter: { number: string } | null;
  claim: { reason: string; statement: string; answer?: { pay: boolean } } | null;
}
interface Deposit {
  id: string;
  tenderId: string;
  title: string;
  supplierCode: string;
  amount: string;
  formTitle: L;
  reference: string;
  status: string;
  refund: { ruleTitle: L; due: string | null; refundedOn: string | null } | null;
  overdue: boolean;
  overdueDays: number;
  interest: string;
}
interface Institution { code: string; name: string; kindTitle: L }
interface Financing {
  id: string;
  projectId: string;
  institutionName: string | null;
  contract: { name: string; unitName: string; supplierName: string; amount: string; filedOn: string };
  requestedAmount: string;
  requestedDays: number;
  consent: { at: string; text: string };
  /** the institution's, for an application to decide: credit's summary by the supplier's consent */
  creditSummary?: { barredToday: boolean; lists: L[]; records: Array<{ kind: string; count: number; latest: string }>; since: string } | null;
  status: string;
  approvedAmount: string | null;
  dueOn: string | null;
  collectionAccount: string | null;
  declineReason: string | null;
}
interface ProjectRow { id: string; name: string; tenantCode: string; contractFiledOn: string | null; contractAmount: string | null; supplier: { code: string } | null }
interface Tender { id: string; title: string; tenantCode: string; bidDeadline: string; registered?: boolean }

const TONE: Record<string, "neutral" | "info" | "ok" | "warn" | "danger"> = { pending: "info", issued: "ok", declined: "danger", claimed: "warn", paid: "danger", "claim-refused": "neutral", declared: "info", confirmed: "ok", refunded: "neutral" };

function StatusBadge({ status }: { status: string }) {
  const { t } = useI18n();
  return <Badge tone={TONE[status] ?? "neutral"}>{t(`finance.status.${status}` as never)}</Badge>;
}

/** /finance/securities: a supplier's e-guarantees and deposits, and an application with the tender prefilled. */
export function SecuritiesPage() {
  const { t, pick } = useI18n();
  const guarantees = useApi<{ items: Guarantee[] }>(`/finance/guarantees${query({ pageSize: PAGE })}`);
  const deposits = useApi<{ items: Deposit[] }>(`/finance/deposits${query({ pageSize: PAGE })}`);
  const tenders = useApi<{ items: Tender[] }>("/etrading/tenders");
  const open = (tenders.data?.items ?? []).filter((x) => x.registered && new Date(x.bidDeadline) > new Date());
  const [tenderId, setTenderId] = useState("");
  const tender = open.find((x) => x.id === tenderId);
  const institutions = useApi<{ items: Institution[] }>(tender ? `/finance/institutions${query({ region: tender.tenantCode })}` : null);
  const [institutionCode, setInstitutionCode] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<Guarantee | null>(null);

  async function apply(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setDone(null);
    try {
      setDone(await api.post<Guarantee>("/finance/guarantees", { tenderId, institutionCode }));
      guarantees.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <div>
      <PageTitle sub={t("finance.securities.sub")}>{t("finance.securities.title")}</PageTitle>
      <form className="panel" onSubmit={apply} aria-labelledby="finance-apply">
        <h2 id="finance-apply">{t("finance.apply.title")}</h2>
        <label>
          {t("finance.apply.tender")}
          <select required value={tenderId} onChange={(e) => { setTenderId(e.target.value); setInstitutionCode(""); }}>
            <option value="">{t("finance.apply.choose")}</option>
            {open.map((x) => <option key={x.id} value={x.id}>{x.title}</option>)}
          </select>
        </label>
        <label>
          {t("finance.apply.institution")}
          <select required value={institutionCode} onChange={(e) => setInstitutionCode(e.target.value)} disabled={!tender}>
            <option value="">{t("finance.apply.choose")}</option>
            {(institutions.data?.items ?? []).map((i) => <option key={i.code} value={i.code}>{`${i.name}（${pick(i.kindTitle)}）`}</option>)}
          </select>
        </label>
        <p className="hint">{t("finance.apply.hint")}</p>
        <button type="submit" disabled={!tenderId || !institutionCode}>{t("finance.apply.submit")}</button>
        <ErrorNotice error={error} />
        {done ? <p role="status">{t("finance.apply.done", { amount: done.amount, institution: done.institutionName ?? "" })}</p> : null}
      </form>
      <section className="panel" aria-labelledby="finance-guarantees">
        <h2 id="finance-guarantees">{t("finance.guarantees.title")}</h2>
        <ExportButtons path="/finance/guarantees/export" fileName="guarantees" />
        <GuaranteeTable state={guarantees} />
      </section>
      <section className="panel" aria-labelledby="finance-deposits">
        <h2 id="finance-deposits">{t("finance.deposits.mine")}</h2>
        <ExportButtons path="/finance/deposits/export" fileName="deposits" />
        <DepositTable state={deposits} />
      </section>
      <FinancingApplication />
    </div>
  );
}

/** The supplier's contract financing: a filed contract it won, an admitted institution, amount, term and consent. */
function FinancingApplication() {
  const { t, pick } = useI18n();
  const snap = useSession();
  const me = snap.state?.user.unitCode;
  const projects = useApi<{ items: ProjectRow[] }>("/supervision/projects?pageSize=100");
  const mine = useApi<{ items: Financing[] }>(`/finance/financing${query({ pageSize: PAGE })}`);
  const filed = (projects.data?.items ?? []).filter((p) => p.contractFiledOn && p.supplier?.code === me);
  const [projectId, setProjectId] = useState("");
  const project = filed.find((p) => p.id === projectId);
  const institutions = useApi<{ items: Institution[] }>(project ? `/finance/institutions${query({ region: project.tenantCode })}` : null);
  const [institutionCode, setInstitutionCode] = useState("");
  const [amount, setAmount] = useState("");
  const [days, setDays] = useState("180");
  const [consent, setConsent] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      await api.post("/finance/financing", { projectId, institutionCode, amount, days: Number(days), consent });
      mine.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section className="panel" aria-labelledby="finance-financing">
      <h2 id="finance-financing">{t("finance.financing.title")}</h2>
      <form onSubmit={submit} aria-labelledby="finance-financing-form">
        <h3 id="finance-financing-form">{t("finance.financing.apply")}</h3>
        <label>
          {t("finance.financing.project")}
          <select required value={projectId} onChange={(e) => { setProjectId(e.target.value); setInstitutionCode(""); }}>
            <option value="">{t("finance.apply.choose")}</option>
            {filed.map((p) => <option key={p.id} value={p.id}>{`${p.name}（${p.contractAmount ?? ""}）`}</option>)}
          </select>
        </label>
        <label>
          {t("finance.financing.institution")}
          <select required value={institutionCode} onChange={(e) => setInstitutionCode(e.target.value)} disabled={!project}>
            <option value="">{t("finance.apply.choose")}</option>
            {(institutions.data?.items ?? []).map((i) => <option key={i.code} value={i.code}>{`${i.name}（${pick(i.kindTitle)}）`}</option>)}
          </select>
        </label>
        <label>
          {t("finance.financing.amount")}
          <input required inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
        </label>
        <label>
          {t("finance.financing.days")}
          <input required type="number" min={1} max={1095} value={days} onChange={(e) => setDays(e.target.value)} />
        </label>
        <label className="check">
          <input type="checkbox" checked={consent} onChange={(e) => setConsent(e.target.checked)} />
          {t("finance.financing.consent")}
        </label>
        <button type="submit" disabled={!projectId || !institutionCode || !consent}>{t("finance.financing.submit")}</button>
        <ErrorNotice error={error} />
      </form>
      <ExportButtons path="/finance/financing/export" fileName="contract-financing" />
      <FinancingTable state={mine} />
    </section>
  );
}

function FinancingTable({ state, actions }: { state: { data?: { items: Financing[] }; error: unknown; loading: boolean }; actions?: (f: Financing) => React.ReactNode }) {
  const { t } = useI18n();
  if (state.loading && !state.data) return <Loading />;
  if (state.error) return <ErrorNotice error={state.error} />;
  const items = state.data?.items ?? [];
  if (!items.length) return <Empty>{t("finance.financing.none")}</Empty>;
  return (
    <TableWrap label={t("finance.financing.title")}>
      <table>
        <caption>{t("finance.financing.title")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("finance.col.title")}</th>
            <th scope="col">{t("finance.col.beneficiary")}</th>
            <th scope="col">{t("finance.col.amount")}</th>
            <th scope="col">{t("finance.financing.days")}</th>
            <th scope="col">{t("finance.col.status")}</th>
            {actions ? <th scope="col">{t("finance.col.action")}</th> : null}
          </tr>
        </thead>
        <tbody>
          {items.map((f) => (
            <tr key={f.id}>
              <th scope="row">{`${f.contract.name} · ${f.contract.supplierName}`}</th>
              <td>{f.contract.unitName}</td>
              <td><Money value={f.approvedAmount ?? f.requestedAmount} /></td>
              <td>{f.requestedDays}</td>
              <td>
                <StatusBadge status={f.status} />
                {f.status === "approved" && f.collectionAccount ? ` ${t("finance.financing.lock", { account: f.collectionAccount, due: f.dueOn ?? "" })}` : ""}
                {f.declineReason ? ` ${f.declineReason}` : ""}
              </td>
              {actions ? <td>{actions(f)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function GuaranteeTable({ state, actions }: { state: { data?: { items: Guarantee[] }; error: unknown; loading: boolean }; actions?: (g: Guarantee) => React.ReactNode }) {
  const { t } = useI18n();
  if (state.loading && !state.data) return <Loading />;
  if (state.error) return <ErrorNotice error={state.error} />;
  const items = state.data?.items ?? [];
  if (!items.length) return <Empty>{t("finance.guarantees.none")}</Empty>;
  return (
    <TableWrap label={t("finance.guarantees.title")}>
      <table>
        <caption>{t("finance.guarantees.title")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("finance.col.title")}</th>
            <th scope="col">{t("finance.col.beneficiary")}</th>
            <th scope="col">{t("finance.col.institution")}</th>
            <th scope="col">{t("finance.col.amount")}</th>
            <th scope="col">{t("finance.col.status")}</th>
            <th scope="col">{t("finance.col.code")}</th>
            {actions ? <th scope="col">{t("finance.col.action")}</th> : null}
          </tr>
        </thead>
        <tbody>
          {items.map((g) => (
            <tr key={g.id}>
              <th scope="row">{g.title}{g.purpose === "performance" ? ` · ${t("finance.performance")}` : ""}</th>
              <td>{g.beneficiary}</td>
              <td>{g.institutionName ?? "—"}</td>
              <td><Money value={g.amount} /></td>
              <td><StatusBadge status={g.status} />{g.declineReason ? ` ${g.declineReason}` : ""}</td>
              <td>{g.verificationCode ? <a href={`/finance/verify?code=${encodeURIComponent(g.verificationCode)}`}>{g.verificationCode}</a> : "—"}</td>
              {actions ? <td>{actions(g)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function DepositTable({ state, actions }: { state: { data?: { items: Deposit[] }; error: unknown; loading: boolean }; actions?: (d: Deposit) => React.ReactNode }) {
  const { t, pick } = useI18n();
  if (state.loading && !state.data) return <Loading />;
  if (state.error) return <ErrorNotice error={state.error} />;
  const items = state.data?.items ?? [];
  if (!items.length) return <Empty>{t("finance.deposits.none")}</Empty>;
  return (
    <TableWrap label={t("finance.deposits.title")}>
      <table>
        <caption>{t("finance.deposits.title")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("finance.col.title")}</th>
            <th scope="col">{t("finance.col.supplier")}</th>
            <th scope="col">{t("finance.col.amount")}</th>
            <th scope="col">{t("finance.col.form")}</th>
            <th scope="col">{t("finance.col.status")}</th>
            <th scope="col">{t("finance.col.due")}</th>
            <th scope="col">{t("finance.col.interest")}</th>
            {actions ? <th scope="col">{t("finance.col.action")}</th> : null}
          </tr>
        </thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.id} className={d.overdue && d.status === "confirmed" ? "overdue" : undefined}>
              <th scope="row">{d.title}</th>
              <td>{d.supplierCode}</td>
              <td><Money value={d.amount} /></td>
              <td>{`${pick(d.formTitle)} ${d.reference}`}</td>
              <td><StatusBadge status={d.status} />{d.overdue && d.status === "confirmed" ? <> <Badge tone="danger">{t("finance.overdue", { days: d.overdueDays })}</Badge></> : null}</td>
              <td>{d.refund ? `${pick(d.refund.ruleTitle)} · ${d.refund.due ?? ""}` : "—"}</td>
              <td><Money value={d.interest} /></td>
              {actions ? <td>{actions(d)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** /finance/inbox: an institution's applications; issue the letter or decline with a reason. */
export function InstitutionInboxPage() {
  const { t, pick } = useI18n();
  const mine = useApi<{ name: string; regions: string[] }>("/finance/institutions/mine");
  const list = useApi<{ items: Guarantee[] }>(`/finance/guarantees${query({ pageSize: PAGE })}`);
  const financing = useApi<{ items: Financing[] }>(`/finance/financing${query({ pageSize: PAGE })}`);
  const dashboard = useApi<{ applications: Record<string, number>; exposure: { financing: string; guarantees: string } }>("/finance/financing/dashboard");
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [said, setSaid] = useState("");

  async function lend(f: Financing, what: "approve" | "decline" | "repaid") {
    setError(null);
    setSaid("");
    try {
      if (what === "repaid") await api.post(`/finance/financing/${f.id}/repaid`, {});
      else await api.post(`/finance/financing/${f.id}/decision`, what === "approve" ? { approve: true, amount: f.requestedAmount, days: f.requestedDays } : { approve: false, reason: reasons[f.id] ?? "" });
      financing.reload();
      dashboard.reload();
    } catch (err) {
      setError(err);
    }
  }

  async function decide(g: Guarantee, approve: boolean) {
    setError(null);
    setSaid("");
    try {
      const r = await api.post<Guarantee>(`/finance/guarantees/${g.id}/decision`, { approve, reason: reasons[g.id] ?? "" });
      setSaid(approve ? t("finance.inbox.issued", { code: r.verificationCode ?? "" }) : t("finance.inbox.declined"));
      list.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <div>
      <PageTitle sub={mine.data ? t("finance.inbox.sub", { name: mine.data.name, regions: mine.data.regions.join("、") }) : undefined}>{t("finance.inbox.title")}</PageTitle>
      <ErrorNotice error={mine.error} />
      <ErrorNotice error={error} />
      {said ? <p role="status">{said}</p> : null}
      {dashboard.data ? (
        <section className="panel" aria-labelledby="finance-dashboard">
          <h2 id="finance-dashboard">{t("finance.dashboard.title")}</h2>
          <dl className="facts">
            <div><dt>{t("finance.dashboard.pending")}</dt><dd>{dashboard.data.applications.pending}</dd></div>
            <div><dt>{t("finance.dashboard.approved")}</dt><dd>{dashboard.data.applications.approved}</dd></div>
            <div><dt>{t("finance.dashboard.financing")}</dt><dd><Money value={dashboard.data.exposure.financing} /></dd></div>
            <div><dt>{t("finance.dashboard.guarantees")}</dt><dd><Money value={dashboard.data.exposure.guarantees} /></dd></div>
          </dl>
        </section>
      ) : null}
      <section className="panel" aria-labelledby="finance-inbox">
        <h2 id="finance-inbox">{t("finance.guarantees.title")}</h2>
        <ExportButtons path="/finance/guarantees/export" fileName="guarantees" />
        <GuaranteeTable
          state={list}
          actions={(g) => g.status === "pending" ? (
            <div className="actions">
              <button type="button" onClick={() => decide(g, true)}>{t("finance.inbox.issue")}</button>
              <label>
                {t("finance.inbox.reason")}
                <input value={reasons[g.id] ?? ""} onChange={(e) => setReasons({ ...reasons, [g.id]: e.target.value })} />
              </label>
              <button type="button" className="secondary" onClick={() => decide(g, false)}>{t("finance.inbox.decline")}</button>
            </div>
          ) : null}
        />
      </section>
      <section className="panel" aria-labelledby="finance-lending">
        <h2 id="finance-lending">{t("finance.financing.title")}</h2>
        <ExportButtons path="/finance/financing/export" fileName="contract-financing" />
        <FinancingTable
          state={financing}
          actions={(f) => f.status === "pending" ? (
            <div className="actions">
              {f.creditSummary ? (
                <p className="credit-summary">
                  {t("finance.credit.summary")}
                  {f.creditSummary.barredToday ? t("finance.credit.barred", { lists: f.creditSummary.lists.map((l) => pick(l)).join("、") }) : t("finance.credit.clean")}
                  {t("finance.credit.records", { since: f.creditSummary.since, count: String(f.creditSummary.records.reduce((n, r) => n + r.count, 0)) })}
                </p>
              ) : null}
              <button type="button" onClick={() => lend(f, "approve")}>{t("finance.financing.approve")}</button>
              <label>
                {t("finance.inbox.reason")}
                <input value={reasons[f.id] ?? ""} onChange={(e) => setReasons({ ...reasons, [f.id]: e.target.value })} />
              </label>
              <button type="button" className="secondary" onClick={() => lend(f, "decline")}>{t("finance.inbox.decline")}</button>
            </div>
          ) : f.status === "approved" ? <button type="button" onClick={() => lend(f, "repaid")}>{t("finance.financing.repaid")}</button> : null}
        />
      </section>
    </div>
  );
}

/** /finance/deposits: the agency's tenders' deposits (confirm, refund) and the red list of overdue refunds; a regulator's region's. */
export function DepositsPage() {
  const { t } = useI18n();
  const snap = useSession();
  const regulator = !!snap.state?.user.roles.includes("regulator");
  const overdue = useApi<{ items: Deposit[] }>("/finance/deposits/overdue");
  const tenders = useApi<{ items: Tender[] }>(regulator ? null : "/etrading/tenders?mine=1");
  const [tenderId, setTenderId] = useState("");
  const deposits = useApi<{ items: Deposit[] }>(regulator || tenderId ? `/finance/deposits${query({ tenderId, pageSize: PAGE })}` : null);
  const [error, setError] = useState<unknown>(null);

  async function act(d: Deposit, what: "confirm" | "refund") {
    setError(null);
    try {
      await api.post(`/finance/deposits/${d.id}/${what}`, {});
      deposits.reload();
      overdue.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <div>
      <PageTitle sub={t("finance.deposits.sub")}>{t("finance.deposits.title")}</PageTitle>
      <section className="panel" aria-labelledby="finance-overdue">
        <h2 id="finance-overdue">{t("finance.overdue.title")}</h2>
        <DepositTable state={overdue} />
      </section>
      {!regulator ? (
        <label>
          {t("finance.apply.tender")}
          <select value={tenderId} onChange={(e) => setTenderId(e.target.value)}>
            <option value="">{t("finance.apply.choose")}</option>
            {(tenders.data?.items ?? []).map((x) => <option key={x.id} value={x.id}>{x.title}</option>)}
          </select>
        </label>
      ) : null}
      <ErrorNotice error={error} />
      {regulator || tenderId ? (
        <section className="panel" aria-labelledby="finance-all">
          <h2 id="finance-all">{t("finance.deposits.all")}</h2>
          <ExportButtons path={`/finance/deposits/export${query({ tenderId })}`} fileName="deposits" />
          <DepositTable
            state={deposits}
            actions={regulator ? undefined : (d) => d.status === "declared"
              ? <button type="button" onClick={() => act(d, "confirm")}>{t("finance.deposits.confirm")}</button>
              : d.status === "confirmed" ? <button type="button" onClick={() => act(d, "refund")}>{t("finance.deposits.refund")}</button> : null}
          />
        </section>
      ) : null}
    </div>
  );
}

interface Verified {
  verificationCode: string;
  valid: boolean;
  signatureValid: boolean;
  expired: boolean;
  status: string;
  institution: { name: string; kind: L };
  letter: { number: string; applicant: string; beneficiary: string; title: string; amount: string; validUntil: string; issuedAt: string };
}

/** /finance/verify: anyone types a letter's verification code and sees what the letter says and whether its signature holds. */
export function VerifyPage() {
  const { t, pick } = useI18n();
  const { location } = useRouter();
  const [code, setCode] = useState(() => location.query.get("code") ?? "");
  const [result, setResult] = useState<Verified | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  // a link from a letter (?code=) checks at once
  useEffect(() => {
    if (code.trim()) void lookUp();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  async function check(e: FormEvent) {
    e.preventDefault();
    await lookUp();
  }

  async function lookUp() {
    setError(null);
    setResult(null);
    setBusy(true);
    try {
      setResult(await api.get<Verified>(`/finance/verify/${encodeURIComponent(code.trim())}`));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div>
      <PageTitle sub={t("finance.verify.sub")}>{t("finance.verify.title")}</PageTitle>
      <form className="panel" onSubmit={check} aria-labelledby="finance-verify-form">
        <h2 id="finance-verify-form">{t("finance.verify.form")}</h2>
        <label>
          {t("finance.verify.code")}
          <input required value={code} onChange={(e) => setCode(e.target.value)} autoComplete="off" placeholder="XXXX-XXXX-XXXX-XXXX" />
        </label>
        <button type="submit" disabled={busy || !code.trim()}>{t("finance.verify.submit")}</button>
      </form>
      <ErrorNotice error={error} />
      {result ? (
        <section className="panel" aria-labelledby="finance-verify-result" aria-live="polite">
          <h2 id="finance-verify-result">{t("finance.verify.result")}</h2>
          <p className="verify-verdict">
            {result.valid ? <Badge tone="ok">{t("finance.verify.valid")}</Badge> : <Badge tone="danger">{t("finance.verify.invalid")}</Badge>}
            {" "}
            {result.signatureValid ? t("finance.verify.signatureOk") : t("finance.verify.signatureBad")}
          </p>
          <dl className="facts">
            <dt>{t("finance.verify.number")}</dt><dd>{result.letter.number}</dd>
            <dt>{t("finance.col.institution")}</dt><dd>{`${result.institution.name}（${pick(result.institution.kind)}）`}</dd>
            <dt>{t("finance.verify.applicant")}</dt><dd>{result.letter.applicant}</dd>
            <dt>{t("finance.col.beneficiary")}</dt><dd>{result.letter.beneficiary}</dd>
            <dt>{t("finance.col.title")}</dt><dd>{result.letter.title}</dd>
            <dt>{t("finance.col.amount")}</dt><dd><Money value={result.letter.amount} /></dd>
            <dt>{t("finance.verify.validUntil")}</dt><dd>{result.letter.validUntil.slice(0, 10)}</dd>
            <dt>{t("finance.col.status")}</dt><dd><StatusBadge status={result.status} /></dd>
          </dl>
        </section>
      ) : null}
    </div>
  );
}
