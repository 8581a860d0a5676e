/**
 * The one page that checks a verification code, whichever plugin issued the document: core's
 * GET /api/verify/:code (core/audit/README.md, "Sealed documents"). A public document's content is
 * shown as its issuer prints it; another's only says whether the paper is genuine and current.
 */
import { useState, type FormEvent } from "react";
import { Fields, type PrintedDocument } from "../analytics/documents";
import { useI18n, type Localized } from "../i18n";
import { Link, navigate, useRouter } from "../router";
import { ErrorNotice, Loading, PageTitle } from "../ui/parts";
import { useApi } from "../ui/use-api";

interface Verified {
  code: string;
  hash: string;
  algorithm: string;
  issuer: string;
  kind: string;
  reference: string;
  name: Localized;
  issuedAt: string;
  valid: boolean;
  problem: "content-changed" | "not-in-audit-chain" | null;
  current: boolean;
  currentCode: string | null;
  public: boolean;
  proof: { auditEntry: string; sealed: boolean; seq: string | null } | null;
  content?: unknown;
}

/** Where each issuer's print view of a document is (its latest version; the reader may need to sign in). */
function printViewOf(v: Verified): string | null {
  if (v.issuer === "analytics") return `/documents/${encodeURIComponent(v.reference)}/${encodeURIComponent(v.kind)}`;
  if (v.issuer === "etrading" && v.kind === "opening-record") return `/etrading/tenders/${encodeURIComponent(v.reference)}/opening-record`;
  if (v.issuer === "evaluation" && v.kind === "report") return `/evaluation/evaluations/${encodeURIComponent(v.reference)}/report`;
  return null;
}

export function VerifyPage() {
  const { t, pick } = useI18n();
  const { location } = useRouter();
  const code = location.query.get("code") ?? "";
  const [typed, setTyped] = useState(code);
  const state = useApi<Verified>(code ? `/verify/${encodeURIComponent(code)}` : null);
  const v = state.data;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(`/verify?code=${encodeURIComponent(typed.trim())}`);
  };
  const view = v ? printViewOf(v) : null;
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
          <section className="verify-result" data-valid={v.valid} data-current={v.current} aria-labelledby="verify-result">
            <h2 id="verify-result">{v.valid ? t("verify.valid", { kind: pick(v.name), date: v.issuedAt.slice(0, 10) }) : t(v.problem === "not-in-audit-chain" ? "verify.notInChain" : "verify.invalid")}</h2>
            {v.valid ? <p>{v.current ? t("verify.current") : t("verify.superseded", { code: v.currentCode ?? "" })}</p> : null}
            {v.issuer === "analytics" && v.content ? <Fields d={v.content as PrintedDocument} /> : null}
            {!v.public ? <p>{t("verify.private")}</p> : null}
            <dl className="doc-fields">
              <div>
                <dt>{t("doc.code")}</dt>
                <dd>{v.code}</dd>
              </div>
              <div>
                <dt>{t("doc.hash")}</dt>
                <dd className="doc-hash">{v.hash}</dd>
              </div>
              {v.proof ? (
                <div>
                  <dt>{t("verify.proof")}</dt>
                  <dd>{v.proof.sealed ? t("verify.proof.sealed", { entry: v.proof.auditEntry, seq: v.proof.seq ?? "" }) : t("verify.proof.pending", { entry: v.proof.auditEntry })}</dd>
                </div>
              ) : null}
            </dl>
            {view ? (
              <p>
                <Link to={view}>{t("verify.open")}</Link>
              </p>
            ) : null}
          </section>
        ) : null}
      </div>
    </div>
  );
}
