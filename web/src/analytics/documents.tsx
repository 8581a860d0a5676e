/**
 * A project's public documents as print views (A4, the print stylesheet in styles.css, the pieces in
 * ui/print.tsx), each with the verification code core seals it under, which /verify checks
 * (plugins/analytics/README.md, "Print and verify"). The PDF is the browser's print of this view.
 */
import type { ReactNode } from "react";
import { useI18n, type Localized } from "../i18n";
import type { MessageKey } from "../i18n/messages";
import { ErrorNotice, Loading, Money, PageTitle, TableWrap } from "../ui/parts";
import { PrintButton, PrintFields, Verification } from "../ui/print";
import { useApi } from "../ui/use-api";

interface Payment {
  date: string | null;
  amount: string | null;
  payee: string | null;
}
export interface PrintedDocument {
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

/** The fields of a document, in the order a reader expects them for its kind. */
export function Fields({ d }: { d: PrintedDocument }) {
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
  return <PrintFields rows={rows} />;
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
  const { pick, t } = useI18n();
  const state = useApi<Issued>(`/analytics/documents/${encodeURIComponent(ocid)}/${encodeURIComponent(kind)}`);
  const d = state.data;
  return (
    <article className="print-doc">
      {state.error ? <ErrorNotice error={state.error} /> : null}
      {!d && state.loading ? <Loading /> : null}
      {d ? (
        <>
          <p className="doc-publisher">{t("doc.publisher")}</p>
          <PageTitle>{`${d.document.title ?? ""}${pick(d.name)}`}</PageTitle>
          <PrintButton />
          <Fields d={d.document} />
          {d.document.payments ? <Payments list={d.document.payments} /> : null}
          <Verification sealed={d} more={<a href={`/api/analytics/ocds/records/${encodeURIComponent(d.ocid)}`}>{t("doc.record")}</a>} />
        </>
      ) : null}
    </article>
  );
}
