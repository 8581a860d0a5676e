/**
 * The contracts other channels made for a project (supervision.contract-records: an e-mall order its
 * supplier confirmed, an auction award, a framework call-off), with their acceptance and payment, and
 * each plan line's spend against them. Shown on the project's page under its stages.
 */
import { chinaDate, Data, useI18n, type MessageKey } from "../i18n";
import { Link } from "../router";
import { Badge, Money, TableWrap } from "../ui/parts";
import { ExportButtons } from "../ui/export-button";

export interface ContractRecord {
  source: string;
  kind: string;
  instanceId: string;
  planLine: number;
  supplier: { code: string; name: string };
  amount: string;
  status: "contracted" | "accepted" | "paid";
  signedOn: string;
  acceptedOn: string | null;
  paymentDue: string | null;
  paidOn: string | null;
  paidLate: boolean;
}
export interface LineSpend { line: number; name: string; category: string; amount: string; contracted: string; paid: string; remaining: string }

const TONE = { contracted: "info", accepted: "warn", paid: "ok" } as const;

export function ContractRecords({ projectId, records, spend }: { projectId: string; records: ContractRecord[]; spend: LineSpend[] }) {
  const { t } = useI18n();
  return (
    <section aria-labelledby="contract-records-h" data-testid="contract-records">
      <h2 id="contract-records-h">{t("projects.records")}</h2>
      {/* the e-mall's records are its orders, exported there; the only channel that provides records so far */}
      {records.some((r) => r.source === "emall") ? <ExportButtons path={`/emall/projects/${encodeURIComponent(projectId)}/contracts/export`} fileName="contract-records" /> : null}
      <TableWrap label={t("projects.records")}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t("projects.records.kind")}</th>
              <th scope="col">{t("projects.records.supplier")}</th>
              <th scope="col">{t("projects.records.amount")}</th>
              <th scope="col">{t("projects.records.signedOn")}</th>
              <th scope="col">{t("projects.records.status")}</th>
            </tr>
          </thead>
          <tbody>
            {records.map((r) => (
              <tr key={r.instanceId}>
                <td>
                  <Link to={`/instances/${r.instanceId}`}>{t(`projects.records.kind.${r.kind}` as MessageKey)}</Link>
                </td>
                <td>
                  <Data>{r.supplier.name}</Data>
                </td>
                <td>
                  <Money value={r.amount} />
                </td>
                <td>{chinaDate(r.signedOn)}</td>
                <td>
                  <Badge tone={r.paidLate ? "danger" : TONE[r.status]}>{t(`projects.records.status.${r.status}` as MessageKey)}</Badge>
                  {r.status === "accepted" && r.paymentDue ? <> {t("projects.records.due", { date: chinaDate(r.paymentDue) })}</> : null}
                  {r.paidOn ? <> {t("projects.records.paidOn", { date: chinaDate(r.paidOn) })}</> : null}
                  {r.paidLate ? <> {t("projects.records.late")}</> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      <TableWrap label={t("projects.spend")}>
        <table data-testid="line-spend">
          <caption>{t("projects.spend")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("projects.spend.line")}</th>
              <th scope="col">{t("projects.spend.amount")}</th>
              <th scope="col">{t("projects.spend.contracted")}</th>
              <th scope="col">{t("projects.spend.paid")}</th>
              <th scope="col">{t("projects.spend.remaining")}</th>
            </tr>
          </thead>
          <tbody>
            {spend.map((s) => (
              <tr key={s.line}>
                <th scope="row">
                  <Data>{s.name}</Data>
                </th>
                <td>
                  <Money value={s.amount} />
                </td>
                <td>
                  <Money value={s.contracted} />
                </td>
                <td>
                  <Money value={s.paid} />
                </td>
                <td>
                  <Money value={s.remaining} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </section>
  );
}
