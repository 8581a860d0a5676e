/**
 * The opening record (开标记录) as a print view (plugins/etrading/README.md, "Printed opening
 * record"): A4 under the print stylesheet, the pieces of ui/print.tsx, the code core sealed it
 * under. The PDF is the browser's print of this view.
 */
import { chinaDateTime, Data, useI18n, type Localized } from "../i18n";
import { ErrorNotice, Loading, Money, PageTitle, TableWrap } from "../ui/parts";
import { PrintButton, PrintFields, Verification, type SealedView } from "../ui/print";
import { useApi } from "../ui/use-api";

interface RecordBidder {
  supplierName: string;
  receivedAt: string;
  outcome: string;
  outcomeText: Localized;
  price: string | null;
  tampered: boolean;
  confirmation: { confirmed: boolean; objection: string | null } | null;
}
interface OpeningRecord {
  tenderId: string;
  title: string;
  methodTitle: Localized;
  purchaser: string;
  maxPrice: string;
  openingAt: string;
  decryptionEndedAt: string | null;
  bidders: RecordBidder[];
  decryptedBy: Array<{ place: string; placeText: Localized; firstShareAt: string }>;
  exceptions: Array<{ supplierName: string; outcomeText: Localized; tampered: boolean; objection: string | null }>;
  validBids: number;
  minBidders: number;
  minBiddersRule: string;
  belowMinimum: boolean;
}
interface Printed extends SealedView {
  name: Localized;
  document: OpeningRecord;
}

export function OpeningRecordPage({ id }: { id: string }) {
  const { t, pick } = useI18n();
  const state = useApi<Printed>(`/etrading/tenders/${encodeURIComponent(id)}/opening-record`);
  const p = state.data;
  const d = p?.document;
  return (
    <article className="print-doc">
      {p ? <p className="doc-publisher">{t("doc.publisher")}</p> : null}
      <PageTitle>{p ? pick(p.name) : t("opening.print.title")}</PageTitle>
      {state.error ? <ErrorNotice error={state.error} /> : null}
      {!p && state.loading ? <Loading /> : null}
      {p && d ? (
        <>
          <PrintButton />
          <PrintFields
            rows={[
              ["opening.print.tender", <Data>{d.title}</Data>],
              ["opening.print.purchaser", <Data>{d.purchaser}</Data>],
              ["opening.print.method", pick(d.methodTitle)],
              ["opening.print.maxPrice", <Money value={d.maxPrice} />],
              ["opening.print.openingAt", chinaDateTime(d.openingAt)],
              ["opening.print.endedAt", d.decryptionEndedAt ? chinaDateTime(d.decryptionEndedAt) : "—"],
            ]}
          />
          <p>
            {t("opening.print.valid", { valid: d.validBids, min: d.minBidders, rule: d.minBiddersRule })}
            {d.belowMinimum ? ` · ${t("opening.print.belowMinimum")}` : ""}
          </p>
          <section aria-labelledby="record-bidders">
            <h2 id="record-bidders">{t("opening.print.bidders")}</h2>
            <TableWrap label={t("opening.print.bidders")}>
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">{t("opening.print.bidder")}</th>
                    <th scope="col">{t("opening.print.receivedAt")}</th>
                    <th scope="col">{t("opening.print.price")}</th>
                    <th scope="col">{t("opening.print.outcome")}</th>
                    <th scope="col">{t("opening.print.answer")}</th>
                  </tr>
                </thead>
                <tbody>
                  {d.bidders.map((b) => (
                    <tr key={b.supplierName + b.receivedAt}>
                      <th scope="row">
                        <Data>{b.supplierName}</Data>
                      </th>
                      <td>{chinaDateTime(b.receivedAt)}</td>
                      <td>
                        <Money value={b.price} />
                      </td>
                      <td>{pick(b.outcomeText)}</td>
                      <td>{b.confirmation ? (b.confirmation.confirmed ? t("opening.print.confirmed") : t("opening.print.objected", { objection: b.confirmation.objection ?? "" })) : t("opening.print.noAnswer")}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          </section>
          <section aria-labelledby="record-decrypted">
            <h2 id="record-decrypted">{t("opening.print.decryptedBy")}</h2>
            <PrintFields rows={d.decryptedBy.map((c) => ["opening.print.place", `${pick(c.placeText)} · ${t("opening.print.firstShare")} ${chinaDateTime(c.firstShareAt)}`])} />
          </section>
          <section aria-labelledby="record-exceptions">
            <h2 id="record-exceptions">{t("opening.print.exceptions")}</h2>
            {d.exceptions.length ? (
              <ul>
                {d.exceptions.map((x) => (
                  <li key={x.supplierName}>
                    <Data>{x.supplierName}</Data>：{pick(x.outcomeText)}
                    {x.tampered ? ` · ${t("opening.print.tampered")}` : ""}
                    {x.objection ? ` · ${t("opening.print.objected", { objection: x.objection })}` : ""}
                  </li>
                ))}
              </ul>
            ) : (
              <p>{t("opening.print.noExceptions")}</p>
            )}
          </section>
          <Verification sealed={p} />
        </>
      ) : null}
    </article>
  );
}
