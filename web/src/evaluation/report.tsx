/**
 * The signed evaluation report (评标报告) as a print view (plugins/evaluation/README.md, "Printed
 * report"): A4 under the print stylesheet, the pieces of ui/print.tsx, the code core sealed it under.
 * The PDF is the browser's print of this view.
 */
import { chinaDateTime, Data, useI18n, type Localized } from "../i18n";
import { ErrorNotice, Loading, Money, PageTitle, TableWrap } from "../ui/parts";
import { PrintButton, PrintFields, Verification, type SealedView } from "../ui/print";
import { useApi } from "../ui/use-api";

interface Report {
  title: string;
  purchaser: string;
  method: "lowest-price" | "comprehensive";
  priceWeight: number | null;
  criteria: Array<{ id: string; title: string; titleEn: string | null; max: number }>;
  round: number;
  generatedAt: string | null;
  committee: Array<{ position: number; chair: boolean; signedAt: string | null; dissent: string | null }>;
  ranking: Array<{ rank: number; supplierName: string; price: string; evaluatedPrice: string; criteria: Record<string, number> | null; technical: number | null; priceScore: number | null; total: number | null }>;
  candidates: string[];
  disqualified: Array<{ supplierName: string; reason: string | null }>;
  dissent: Array<{ position: number; text: string }>;
}
interface Printed extends SealedView {
  name: Localized;
  document: Report;
}

export function ReportPage({ id }: { id: string }) {
  const { t, pick, lang } = useI18n();
  const state = useApi<Printed>(`/evaluation/evaluations/${encodeURIComponent(id)}/report`);
  const p = state.data;
  const d = p?.document;
  const criterionTitle = (c: Report["criteria"][number]) => (lang === "en" && c.titleEn ? c.titleEn : c.title);
  return (
    <article className="print-doc">
      {p ? <p className="doc-publisher">{t("doc.publisher")}</p> : null}
      <PageTitle>{p ? pick(p.name) : t("report.print.title")}</PageTitle>
      {state.error ? <ErrorNotice error={state.error} /> : null}
      {!p && state.loading ? <Loading /> : null}
      {p && d ? (
        <>
          <PrintButton />
          <PrintFields
            rows={[
              ["opening.print.tender", <Data>{d.title}</Data>],
              ["opening.print.purchaser", <Data>{d.purchaser}</Data>],
              ["report.print.method", t(d.method === "comprehensive" ? "report.print.comprehensive" : "report.print.lowestPrice")],
              ["report.print.priceWeight", d.priceWeight == null ? "—" : `${d.priceWeight}`],
              ["report.print.round", String(d.round)],
              ["report.print.generatedAt", d.generatedAt ? chinaDateTime(d.generatedAt) : "—"],
            ]}
          />
          <section aria-labelledby="report-ranking">
            <h2 id="report-ranking">{t("report.print.ranking")}</h2>
            <TableWrap label={t("report.print.ranking")}>
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">{t("evaluation.field.rank")}</th>
                    <th scope="col">{t("evaluation.field.bidder")}</th>
                    <th scope="col">{t("evaluation.field.price")}</th>
                    <th scope="col">{t("evaluation.field.evaluatedPrice")}</th>
                    {d.criteria.map((c) => (
                      <th scope="col" key={c.id}>{`${criterionTitle(c)}（${c.max}）`}</th>
                    ))}
                    <th scope="col">{t("evaluation.field.priceScore")}</th>
                    <th scope="col">{t("evaluation.field.total")}</th>
                  </tr>
                </thead>
                <tbody>
                  {d.ranking.map((r) => (
                    <tr key={r.rank + r.supplierName}>
                      <td>{r.rank}</td>
                      <th scope="row">
                        <Data>{r.supplierName}</Data>
                      </th>
                      <td>
                        <Money value={r.price} />
                      </td>
                      <td>
                        <Money value={r.evaluatedPrice} />
                      </td>
                      {d.criteria.map((c) => (
                        <td key={c.id}>{r.criteria?.[c.id] ?? "—"}</td>
                      ))}
                      <td>{r.priceScore ?? "—"}</td>
                      <td>{r.total ?? "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          </section>
          <section aria-labelledby="report-candidates">
            <h2 id="report-candidates">{t("report.print.candidates")}</h2>
            <ol>
              {d.candidates.map((c) => (
                <li key={c}>
                  <Data>{c}</Data>
                </li>
              ))}
            </ol>
          </section>
          <section aria-labelledby="report-disqualified">
            <h2 id="report-disqualified">{t("report.print.disqualified")}</h2>
            {d.disqualified.length ? (
              <ul>
                {d.disqualified.map((x) => (
                  <li key={x.supplierName}>
                    <Data>{x.supplierName}</Data>：<Data>{x.reason ?? "—"}</Data>
                  </li>
                ))}
              </ul>
            ) : (
              <p>{t("opening.print.noExceptions")}</p>
            )}
          </section>
          <section aria-labelledby="report-committee">
            <h2 id="report-committee">{t("report.print.committee")}</h2>
            <ul>
              {d.committee.map((m) => (
                <li key={m.position}>
                  {t("report.print.member", { n: m.position })}
                  {m.chair ? `（${t("report.print.chair")}）` : ""} · {m.signedAt ? t("report.print.signedAt", { at: chinaDateTime(m.signedAt) }) : t("report.print.unsigned")}
                  {m.dissent ? (
                    <>
                      {" · "}
                      {t("report.print.dissent")}：<Data>{m.dissent}</Data>
                    </>
                  ) : null}
                </li>
              ))}
            </ul>
          </section>
          <Verification sealed={p} />
        </>
      ) : null}
    </article>
  );
}
