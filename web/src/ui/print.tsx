/**
 * The pieces every print view shares (A4 under the print stylesheet in styles.css): the fields of a
 * document, the print button, and the verification block with the code core's sealed documents give
 * (core/audit/README.md, "Sealed documents"), which /verify checks.
 */
import type { ReactNode } from "react";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/messages";
import { Link } from "../router";

/** A document's labelled fields, in the order the reader expects them. */
export function PrintFields({ rows }: { rows: Array<[MessageKey, ReactNode]> }) {
  const { t } = useI18n();
  return (
    <dl className="doc-fields">
      {rows.map(([label, value], i) => (
        <div key={`${label}-${i}`}>
          <dt>{t(label)}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The browser's print: the PDF is this view printed, so its Chinese text is the page's own. */
export function PrintButton() {
  const { t } = useI18n();
  return (
    <p className="no-print">
      <button type="button" className="btn btn-primary" onClick={() => window.print()}>
        {t("doc.print")}
      </button>
    </p>
  );
}

export interface SealedView {
  code: string;
  hash: string;
  issuedAt: string;
  /** absolute when the issuer knows the site's address, else a path on this site */
  verifyUrl: string;
}

/** The code, the digest and where anyone checks them; `more` are screen-only links beside the check. */
export function Verification({ sealed, more }: { sealed: SealedView; more?: ReactNode }) {
  const { t } = useI18n();
  const verifyPage = new URL(sealed.verifyUrl, window.location.origin).origin + "/verify";
  return (
    <section className="doc-verification" aria-labelledby="doc-verification">
      <h2 id="doc-verification">{t("doc.verification")}</h2>
      <dl className="doc-fields">
        <div>
          <dt>{t("doc.code")}</dt>
          <dd className="doc-code" data-code={sealed.code}>
            {sealed.code}
          </dd>
        </div>
        <div>
          <dt>{t("doc.hash")}</dt>
          <dd className="doc-hash">{sealed.hash}</dd>
        </div>
        <div>
          <dt>{t("doc.issuedAt")}</dt>
          <dd>{sealed.issuedAt.slice(0, 10)}</dd>
        </div>
      </dl>
      <p>{t("doc.verifyAt", { url: verifyPage })}</p>
      <p className="no-print">
        <Link to={`/verify?code=${sealed.code}`}>{t("verify.title")}</Link>
        {more ? <> · {more}</> : null}
      </p>
    </section>
  );
}
