/**
 * A project's public documents as print views (A4, the print stylesheet in styles.css), each with
 * the verification code the analytics gives it, and the portal's page that checks such a code
 * (plugins/analytics/README.md, "Print and verify"). The PDF is the browser's print of this view.
 */
import { useState, type FormEvent, type ReactNode } from "react";
import { useI18n, type Localized } from "../i18n";
import type { MessageKey } from "../i18n/messages";
import { Link, navigate, useRouter } from "../router";
import { ErrorNotice, Loading, Money, PageTitle, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";

interface Payment {
  date: string | null;
  amount: string | null;
  payee: string | null;
}
interface PrintedDocument {
  kind: "tender" | "award" | "contract" | "payments";
  ocid: string;
  title: string | null;
  buyer: string | null;
  method: string | null;
  supplier?: string | null;
  amount?: string | null;
  awardDate?: string | null;
  bidders?: number | null;
  maxPrice?: string | null;
  publishedOn?: string | null;
  bidDeadline?: string | null;
  amendments?: number;
  signedOn?: string | null;
  startDate?: string | null;
  endDate?: string | null;
  filedOn?: string | null;
  contractAmount?: string | null;
  payments?: Payment[];
  total?: string;
}
interface Issued {
  code: string;
  hash: string;
  ocid: string;
  kind: PrintedDocument["kind"];
  name: Localized;
  issuedAt: string;
  verifyUrl: string;
  document: PrintedDocument;
}
interface Verified extends Issued {
  valid: boolean;
  current: boolean;
  currentCode: string | null;
}

/** The fields of a document, in the order a reader expects them for its kind. */
function Fields({ d }: { d: PrintedDocument }) {
  const { t } = useI18n();
  const rows: Array<[MessageKey, ReactNode]> = [
    ["doc.project", d.title ?? "—"],
    ["doc.ocid", d.ocid],
    ["doc.buyer", d.buyer ?? "—"],
    ["doc.method", d.method ?? "—"],
  ];
  if (d.kind === "tender") rows.push(["doc.maxPrice", <Money value={d.maxPrice} />], ["doc.publishedOn", d.publishedOn ?? "—"], ["doc.bidDeadline", d.bidDeadline ?? "—"], ["doc.amendments", String(d.amendments ?? 0)]);
  if (d.kind === "award") rows.push(["doc.supplier", d.supplier ?? "—"], ["doc.amount", <Money value={d.amount} />], ["doc.awardDate", d.awardDate ?? "—"], ["doc.bidders", d.bidders == null ? "—" : String(d.bidders)]);
  if (d.kind === "contract") rows.push(["doc.supplier", d.supplier ?? "—"], ["doc.amount", <Money value={d.amount} />], ["doc.signedOn", d.signedOn ?? "—"], ["doc.period", d.startDate || d.endDate ? `${d.startDate ?? "…"} – ${d.endDate ?? "…"}` : "—"], ["doc.filedOn", d.filedOn ?? "—"]);
  if (d.kind === "payments") rows.push(["doc.supplier", d.supplier ?? "—"], ["doc.contractAmount", <Money value={d.contractAmount} />], ["doc.total", <Money value={d.total} />]);
  return (
    <dl className="doc-fields">
      {rows.map(([label, value]) => (
        <div key={label}>
          <dt>{t(label)}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Payments({ list }: { list: Payment[] }) {
  const { t } = useI18n();
  return (
    <TableWrap label={t("doc.payments")}>
      <table className="table">
        <caption>{t("doc.payments")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("doc.paidOn")}</th>
            <th scope="col">{t("doc.amount")}</th>
            <th scope="col">{t("doc.payee")}</th>
          </tr>
        </thead>
        <tbody>
          {list.map((p, i) => (
            <tr key={i}>
              <td>{p.date}</td>
              <td>
                <Money value={p.amount} />
              </td>
              <td>{p.payee}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function DocumentPage({ ocid, kind }: { ocid: string; kind: string }) {
  const { t, pick } = useI18n();
  const state = useApi<Issued>(`/analytics/documents/${encodeURIComponent(ocid)}/${encodeURIComponent(kind)}`);
  const d = state.data;
  const verifyPage = d ? new URL(d.verifyUrl).origin + "/verify" : "";
  return (
    <article className="print-doc">
      {state.error ? <ErrorNotice error={state.error} /> : null}
      {!d && state.loading ? <Loading /> : null}
      {d ? (
        <>
          <p className="doc-publisher">{t("doc.publisher")}</p>
          <PageTitle>{`${d.document.title ?? ""}${pick(d.name)}`}</PageTitle>
          <p className="no-print">
            <button type="button" className="btn btn-primary" onClick={() => window.print()}>
              {t("doc.print")}
            </button>
          </p>
          <Fields d={d.document} />
          {d.document.payments ? <Payments list={d.document.payments} /> : null}
          <section className="doc-verification" aria-labelledby="doc-verification">
            <h2 id="doc-verification">{t("doc.verification")}</h2>
            <dl className="doc-fields">
              <div>
                <dt>{t("doc.code")}</dt>
                <dd className="doc-code" data-code={d.code}>
                  {d.code}
                </dd>
              </div>
              <div>
                <dt>{t("doc.hash")}</dt>
                <dd className="doc-hash">{d.hash}</dd>
              </div>
              <div>
                <dt>{t("doc.issuedAt")}</dt>
                <dd>{d.issuedAt.slice(0, 10)}</dd>
              </div>
            </dl>
            <p>{t("doc.verifyAt", { url: verifyPage })}</p>
            <p className="no-print">
              <Link to={`/verify?code=${d.code}`}>{t("verify.title")}</Link> ·{" "}
              <a href={`/api/analytics/ocds/records/${encodeURIComponent(d.ocid)}`}>{t("doc.record")}</a>
            </p>
          </section>
        </>
      ) : null}
    </article>
  );
}

export function VerifyPage() {
  const { t, pick } = useI18n();
  const { location } = useRouter();
  const code = location.query.get("code") ?? "";
  const [typed, setTyped] = useState(code);
  const state = useApi<Verified>(code ? `/analytics/verify/${encodeURIComponent(code)}` : null);
  const v = state.data;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(`/verify?code=${encodeURIComponent(typed.trim())}`);
  };
  return (
    <div>
      <PageTitle sub={t("verify.sub")}>{t("verify.title")}</PageTitle>
      <form className="filters" onSubmit={submit}>
        <label className="grow">
          {t("verify.code")}
          <input name="code" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} />
        </label>
        <button type="submit" className="btn btn-primary">
          {t("verify.submit")}
        </button>
      </form>
      <div role="status">
        {code && state.error ? <ErrorNotice error={state.error} /> : null}
        {code && !v && state.loading ? <Loading /> : null}
        {code && v ? (
          <section className="verify-result" data-valid={v.valid} aria-labelledby="verify-result">
            <h2 id="verify-result">{v.valid ? t("verify.valid", { kind: pick(v.name), date: v.issuedAt.slice(0, 10) }) : t("verify.invalid")}</h2>
            {v.valid ? <p>{v.current ? t("verify.current") : t("verify.superseded", { code: v.currentCode ?? "" })}</p> : null}
            <Fields d={v.document} />
            <dl className="doc-fields">
              <div>
                <dt>{t("doc.code")}</dt>
                <dd>{v.code}</dd>
              </div>
              <div>
                <dt>{t("doc.hash")}</dt>
                <dd className="doc-hash">{v.hash}</dd>
              </div>
            </dl>
            <p>
              <Link to={`/documents/${encodeURIComponent(v.ocid)}/${v.kind}`}>{t("verify.open")}</Link>
            </p>
          </section>
        ) : null}
      </div>
    </div>
  );
}
