/**
 * E-trading for suppliers and for those who run a procurement (plugins/etrading/README.md): the list
 * of tenders, and one tender's page: its documents, clarifications, corrigenda and answered
 * questions, registration (获取采购文件), questions, and the deadline counted down by the server's
 * clock. The purchaser or agency sees the same page with who registered, hidden until the deadline.
 */
import { useState, type FormEvent } from "react";
import { api, query } from "../api/client";
import type { Page } from "../api/types";
import { useSession } from "../auth/session";
import { chinaDate, chinaDateTime, Data, pick, useI18n, type Localized } from "../i18n";
import { Link, navigate, useRouter, withQuery } from "../router";
import { ExportButtons } from "../ui/export-button";
import { Badge, Empty, ErrorNotice, Loading, Money, PageTitle, Pager, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { BidCountdown } from "./bid-countdown";

interface TenderSummary {
  id: string;
  instanceId: string;
  title: string;
  method: string;
  methodTitle: Localized;
  purchaserName: string;
  agencyName: string | null;
  maxPrice: string;
  status: string;
  publishedAt: string | null;
  docsUntil: string | null;
  bidDeadline: string;
  docsVersion: number;
  serverTime: string;
  mine: boolean;
  registered?: boolean;
  invited?: boolean;
  config: { minBidders: { value: number }; finalOfferRounds: boolean; priceMayChange: boolean; invitation: string };
}

interface Message {
  id: string;
  kind: "question" | "clarification" | "corrigendum" | "objection";
  text: string;
  answer: string | null;
  answerDue: string | null;
  createdAt: string;
  deadlineBefore: string | null;
  deadlineAfter: string | null;
  ownQuestion: boolean;
}

interface Tender extends TenderSummary {
  documents: { requirements?: string; qualifications?: string; scoring?: string | null; deposit?: { kind: string; amount?: string }; creditQueryCutoff?: string };
  messages: Message[];
  registrations?: Array<{ supplierCode: string; supplierName: string; registeredAt: string | null }> | null;
  registrationsHiddenUntil?: string | null;
  /** where the caller goes from here, as the server decides it */
  links?: { hall: boolean; screening: boolean; custodians: string[]; bid: boolean };
}

/** the list's page in the workspace (the API's own default, 100, serves callers that read one page) */
const PAGE_SIZE = 20;

const STATUS_TONE: Record<string, "info" | "ok" | "warn" | "neutral" | "danger"> = { published: "info", opening: "warn", opened: "ok", failed: "danger", cancelled: "neutral", draft: "neutral" };

function StatusBadge({ status }: { status: string }) {
  const { t } = useI18n();
  const known = ["draft", "published", "opening", "opened", "failed", "cancelled"].includes(status);
  return <Badge tone={STATUS_TONE[status] ?? "neutral"}>{known ? t(`etrading.status.${status}` as "etrading.status.published") : status}</Badge>;
}

export function TendersPage() {
  const { t, lang } = useI18n();
  const snap = useSession();
  const runner = !!snap.state?.user.roles.some((r) => r === "purchaser" || r === "agency");
  const { location } = useRouter();
  const search = location.query.get("q") ?? "";
  const page = Math.max(1, Number(location.query.get("page")) || 1);
  const [q, setQ] = useState(search);
  const list = useApi<Page<TenderSummary> & { serverTime: string }>(`/etrading/tenders${query({ q: search, page, pageSize: PAGE_SIZE })}`);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(withQuery(location, { q: q.trim(), page: null }));
  };
  return (
    <div>
      <PageTitle sub={runner ? t("etrading.list.subRunner") : t("etrading.list.sub")}>{t("etrading.list.title")}</PageTitle>
      <form role="search" onSubmit={submit} className="filters">
        <label htmlFor="tender-q">{t("etrading.list.search")}</label>
        <input id="tender-q" type="search" value={q} onChange={(e) => setQ(e.target.value)} />
        <button type="submit" className="btn">{t("etrading.list.searchButton")}</button>
      </form>
      <ExportButtons path={`/etrading/tenders/export${query({ q: search })}`} fileName="procurements" />
      {list.loading && !list.data ? <Loading /> : null}
      {list.error ? <ErrorNotice error={list.error} /> : null}
      {list.data && list.data.items.length === 0 ? <Empty>{t("etrading.list.empty")}</Empty> : null}
      {list.data && list.data.items.length > 0 ? (
        <TableWrap label={t("etrading.list.title")}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("etrading.field.title")}</th>
                <th scope="col">{t("etrading.field.method")}</th>
                <th scope="col">{t("etrading.field.purchaser")}</th>
                <th scope="col">{t("etrading.field.maxPrice")}</th>
                <th scope="col">{t("etrading.field.deadline")}</th>
                <th scope="col">{t("etrading.field.status")}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((x) => (
                <tr key={x.id}>
                  <td>
                    <Link to={`/etrading/tenders/${x.id}`}>
                      <Data>{x.title}</Data>
                    </Link>
                    {x.registered ? <> <Badge tone="ok">{t("etrading.registered")}</Badge></> : null}
                  </td>
                  <td>{pick(lang, x.methodTitle)}</td>
                  <td>
                    <Data>{x.purchaserName}</Data>
                  </td>
                  <td>
                    <Money value={x.maxPrice} />
                  </td>
                  <td>{chinaDateTime(x.bidDeadline)}</td>
                  <td>
                    <StatusBadge status={x.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      {list.data && list.data.items.length > 0 ? (
        <Pager page={list.data.page} pageSize={list.data.pageSize} total={list.data.total} totalIsEstimate={list.data.totalIsEstimate} hrefFor={(n) => withQuery(location, { page: n })} />
      ) : null}
    </div>
  );
}

export function TenderPage({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const snap = useSession();
  const supplier = !!snap.state?.user.roles.includes("supplier");
  const tender = useApi<Tender>(`/etrading/tenders/${encodeURIComponent(id)}`);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [question, setQuestion] = useState("");
  const [asked, setAsked] = useState<string | null>(null);
  const [answers, setAnswers] = useState<Record<string, string>>({});

  if (tender.loading && !tender.data) return <Loading />;
  if (!tender.data) {
    return (
      <div>
        <PageTitle>{t("etrading.tender.title")}</PageTitle>
        <ErrorNotice error={tender.error} />
      </div>
    );
  }
  const x = tender.data;
  const open = x.status === "published";

  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setFailure(null);
    try {
      await fn();
      tender.reload();
    } catch (err) {
      setFailure(err);
    } finally {
      setBusy(false);
    }
  };
  const register = () => act(() => api.post(`/etrading/tenders/${encodeURIComponent(id)}/registrations`, {}));
  const ask = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      const r = await api.post<{ answerDue: string }>(`/etrading/tenders/${encodeURIComponent(id)}/questions`, { text: question.trim() });
      setQuestion("");
      setAsked(r.answerDue);
    });
  };
  const answer = (qid: string) => (e: FormEvent) => {
    e.preventDefault();
    void act(() => api.post(`/etrading/tenders/${encodeURIComponent(id)}/questions/${qid}/answer`, { answer: (answers[qid] ?? "").trim() }));
  };

  return (
    <div>
      <PageTitle sub={`${pick(lang, x.methodTitle)} · ${x.purchaserName}${x.agencyName ? ` · ${x.agencyName}` : ""}`}>
        <Data>{x.title}</Data>
      </PageTitle>
      <p>
        <StatusBadge status={x.status} />
      </p>
      {open ? <BidCountdown deadline={x.bidDeadline} serverTime={x.serverTime} onPassed={() => tender.reload()} /> : null}
      {failure ? <ErrorNotice error={failure} /> : null}

      <section aria-labelledby="tender-facts">
        <h2 id="tender-facts">{t("etrading.tender.facts")}</h2>
        <dl className="facts">
          <dt>{t("etrading.field.maxPrice")}</dt>
          <dd>
            <Money value={x.maxPrice} />
          </dd>
          <dt>{t("etrading.field.published")}</dt>
          <dd>{x.publishedAt ? chinaDateTime(x.publishedAt) : "—"}</dd>
          <dt>{t("etrading.field.docsUntil")}</dt>
          <dd>{x.docsUntil ? chinaDate(x.docsUntil) : "—"}</dd>
          <dt>{t("etrading.field.deadline")}</dt>
          <dd>{chinaDateTime(x.bidDeadline)}</dd>
          <dt>{t("etrading.field.minBidders")}</dt>
          <dd>{x.config.minBidders.value}</dd>
          <dt>{t("etrading.field.finalOffers")}</dt>
          <dd>{x.config.finalOfferRounds ? t("etrading.yes") : t("etrading.no")}</dd>
          <dt>{t("etrading.field.docsVersion")}</dt>
          <dd>{x.docsVersion}</dd>
        </dl>
      </section>

      {supplier ? (
        <section aria-labelledby="tender-register">
          <h2 id="tender-register">{t("etrading.register.title")}</h2>
          {x.registered ? (
            <p>
              <Badge tone="ok">{t("etrading.registered")}</Badge> <Link to={`/etrading/tenders/${x.id}/bid`}>{t("etrading.register.toBid")}</Link>
              {" · "}<Link to={`/etrading/tenders/${x.id}/challenge`}>{t("complaints.file.link")}</Link>
            </p>
          ) : open ? (
            <button type="button" className="btn btn-primary" onClick={() => void register()} disabled={busy}>
              {t("etrading.register.button")}
            </button>
          ) : (
            <p>{t("etrading.register.closed")}</p>
          )}
        </section>
      ) : null}

      {x.links && (x.links.hall || x.links.screening || x.links.custodians.length) ? (
        <nav aria-labelledby="tender-links">
          <h2 id="tender-links">{t("etrading.links.title")}</h2>
          <ul>
            {x.links.hall ? (
              <li>
                <Link to={`/etrading/tenders/${x.id}/opening`}>{t("etrading.links.hall")}</Link>
              </li>
            ) : null}
            {x.links.hall && x.status !== "published" ? (
              <li>
                <Link to={`/etrading/tenders/${x.id}/opening-record`}>{t("opening.print.link")}</Link>
              </li>
            ) : null}
            {x.links.screening ? (
              <li>
                <Link to={`/etrading/tenders/${x.id}/screening`}>{t("etrading.links.screening")}</Link>
              </li>
            ) : null}
            {x.links.custodians.map((c) => (
              <li key={c}>
                <Link to={`/etrading/tenders/${x.id}/custodians/${encodeURIComponent(c)}`}>{t("etrading.links.custodian", { custodian: c })}</Link>
              </li>
            ))}
          </ul>
        </nav>
      ) : null}

      <section aria-labelledby="tender-docs">
        <h2 id="tender-docs">{t("etrading.tender.documents")}</h2>
        <h3>{t("etrading.field.requirements")}</h3>
        <p style={{ whiteSpace: "pre-wrap" }}>
          <Data>{x.documents.requirements ?? ""}</Data>
        </p>
        <h3>{t("etrading.field.qualifications")}</h3>
        <p style={{ whiteSpace: "pre-wrap" }}>
          <Data>{x.documents.qualifications ?? ""}</Data>
        </p>
        {x.documents.scoring ? (
          <>
            <h3>{t("etrading.field.scoring")}</h3>
            <p style={{ whiteSpace: "pre-wrap" }}>
              <Data>{x.documents.scoring}</Data>
            </p>
          </>
        ) : null}
      </section>

      <section aria-labelledby="tender-messages">
        <h2 id="tender-messages">{t("etrading.tender.messages")}</h2>
        {x.messages.length === 0 ? <p>{t("etrading.tender.noMessages")}</p> : null}
        <ul className="notice-list">
          {x.messages.map((m) => (
            <li key={m.id}>
              <p>
                <Badge>{t(`etrading.message.${m.kind}` as "etrading.message.question")}</Badge> {chinaDateTime(m.createdAt)}
                {m.deadlineAfter && m.deadlineAfter !== m.deadlineBefore ? <> · {t("etrading.message.deadlineMoved", { at: chinaDateTime(m.deadlineAfter) })}</> : null}
              </p>
              <p style={{ whiteSpace: "pre-wrap" }}>
                <Data>{m.text}</Data>
              </p>
              {m.kind === "question" ? (
                m.answer ? (
                  <p style={{ whiteSpace: "pre-wrap" }}>
                    {t("etrading.message.answer")}：<Data>{m.answer}</Data>
                  </p>
                ) : x.mine ? (
                  <form onSubmit={answer(m.id)}>
                    <label htmlFor={`answer-${m.id}`}>{t("etrading.message.answerLabel", { due: m.answerDue ?? "" })}</label>
                    <textarea id={`answer-${m.id}`} value={answers[m.id] ?? ""} onChange={(e) => setAnswers({ ...answers, [m.id]: e.target.value })} />
                    <button type="submit" className="btn" disabled={busy}>
                      {t("etrading.message.answerButton")}
                    </button>
                  </form>
                ) : (
                  <p>{t("etrading.message.awaiting", { due: m.answerDue ?? "" })}</p>
                )
              ) : m.kind === "objection" ? (
                // singleSource.objectionReview: the purchaser's supplementary review, or when it is due
                m.answer ? (
                  <p style={{ whiteSpace: "pre-wrap" }}>
                    {t("etrading.message.review")}：<Data>{m.answer}</Data>
                  </p>
                ) : (
                  <p>{t("etrading.message.reviewDue", { due: m.answerDue ?? "" })}</p>
                )
              ) : null}
            </li>
          ))}
        </ul>
        {supplier && x.registered && open ? (
          <form onSubmit={ask}>
            <label htmlFor="tender-question">{t("etrading.question.label")}</label>
            <textarea id="tender-question" value={question} onChange={(e) => setQuestion(e.target.value)} required minLength={2} maxLength={4000} />
            <button type="submit" className="btn" disabled={busy}>
              {t("etrading.question.button")}
            </button>
            {asked ? <p role="status">{t("etrading.question.sent", { due: asked })}</p> : null}
          </form>
        ) : null}
      </section>

      {x.registrations !== undefined ? (
        <section aria-labelledby="tender-registrations">
          <h2 id="tender-registrations">{t("etrading.registrations.title")}</h2>
          {x.registrations === null ? (
            <p>{t("etrading.registrations.hidden", { at: chinaDateTime(x.registrationsHiddenUntil ?? x.bidDeadline) })}</p>
          ) : x.registrations.length === 0 ? (
            <p>{t("etrading.registrations.none")}</p>
          ) : (
            <TableWrap label={t("etrading.registrations.title")}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("etrading.registrations.supplier")}</th>
                    <th scope="col">{t("etrading.registrations.at")}</th>
                  </tr>
                </thead>
                <tbody>
                  {x.registrations.map((r) => (
                    <tr key={r.supplierCode}>
                      <td>
                        <Data>{r.supplierName}</Data>
                      </td>
                      <td>{r.registeredAt ? chinaDateTime(r.registeredAt) : t("etrading.registrations.invitedOnly")}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </section>
      ) : null}

      {x.mine ? (
        <p>
          <Link to={`/instances/${x.instanceId}`}>{t("etrading.tender.procedure")}</Link>
          {" · "}<Link to={`/complaints/challenges?tender=${x.id}`}>{t("complaints.list.title")}</Link>
        </p>
      ) : null}
    </div>
  );
}
