import { useEffect } from "react";
import { ApiError } from "../api/client";
import { SchemaForm } from "../forms/schema-form";
import { changePasswordForm, loginForm } from "../forms/local-schemas";
import { useI18n } from "../i18n";
import { navigate, useRouter } from "../router";
import { PageTitle } from "../ui/parts";
import { session, useSession } from "./session";

/** A path of this site to go back to after signing in; anything else is ignored. */
export function safeNext(raw: string | null): string | null {
  return raw && raw.startsWith("/") && !raw.startsWith("//") && !raw.startsWith("/\\") && !raw.startsWith("/login") ? raw : null;
}

export function LoginPage() {
  const { t } = useI18n();
  const { location } = useRouter();
  const snap = useSession();
  const next = safeNext(location.query.get("next")) ?? "/work";

  useEffect(() => {
    if (!snap.state) return;
    navigate(snap.state.mustChangePassword ? `/change-password?next=${encodeURIComponent(next)}` : next, { replace: true });
  }, [snap.state, next]);

  return (
    <div className="narrow">
      <PageTitle sub={t("login.sub")}>{t("login.title")}</PageTitle>
      {snap.ended === "expired" ? (
        <div className="notice notice-info" role="status">
          {t("login.expired")}
        </div>
      ) : null}
      {snap.ended === "signed-out" ? (
        <div className="notice notice-info" role="status">
          {t("login.signedOut")}
        </div>
      ) : null}
      <SchemaForm
        idPrefix="login"
        schema={loginForm.schema}
        uiSchema={loginForm.uiSchema}
        submitLabel={t("login.submit")}
        onSubmit={async (d) => {
          await session.login(String(d.username ?? "").trim(), String(d.password ?? ""));
        }}
      />
      <section className="aside-help" aria-labelledby="login-help">
        <h2 id="login-help">{t("login.helpTitle")}</h2>
        <ul>
          <li>{t("login.help1")}</li>
          <li>{t("login.help2")}</li>
          <li>{t("login.help3")}</li>
        </ul>
      </section>
    </div>
  );
}

export function ChangePasswordPage() {
  const { t } = useI18n();
  const { location } = useRouter();
  const snap = useSession();
  const next = safeNext(location.query.get("next")) ?? "/work";
  const forced = !!snap.state?.mustChangePassword;

  useEffect(() => {
    if (!snap.state) navigate(`/login?next=${encodeURIComponent(location.href)}`, { replace: true });
  }, [snap.state, location.href]);
  if (!snap.state) return null;

  return (
    <div className="narrow">
      <PageTitle sub={snap.state.user.displayName}>{forced ? t("password.firstTitle") : t("password.title")}</PageTitle>
      {forced ? (
        <div className="notice notice-warn" role="status">
          <p>{t("password.forced")}</p>
        </div>
      ) : null}
      <SchemaForm
        idPrefix="pwd"
        schema={changePasswordForm.schema}
        uiSchema={changePasswordForm.uiSchema}
        submitLabel={t("password.submit")}
        onSubmit={async (d) => {
          if (d.newPassword !== d.confirmPassword) {
            throw new ApiError(400, "VALIDATION_FAILED", "", [
              { path: "/confirmPassword", rule: "match", message: { "zh-CN": "两次输入的新密码不一致", en: "The two new passwords differ" } },
            ]);
          }
          await session.changePassword(String(d.currentPassword), String(d.newPassword));
          navigate(next, { replace: true });
        }}
        actions={
          <>
            {/* for password managers: whose password this is */}
            <input type="text" name="username" autoComplete="username" value={snap.state.user.username} readOnly hidden />
            <button type="button" className="btn btn-plain" onClick={() => void session.logout()}>
              {t("nav.signOut")}
            </button>
          </>
        }
      />
    </div>
  );
}
