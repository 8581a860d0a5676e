/**
 * The tenant admin console: the region's tenants × modules today (colour and word), one module's
 * timeline with own and inherited stretches and a new schedule entry, and the accounts still on
 * their first password.
 */
import { useMemo, useState, type FormEvent } from "react";
import { api, query } from "../api/client";
import type { AccountView, ModuleTimeline, Page, RoleView } from "../api/types";
import { session, useSession } from "../auth/session";
import { SchemaForm } from "../forms/schema-form";
import { scheduleEntryForm } from "../forms/local-schemas";
import { chinaDate, chinaDateTime, useI18n, type MessageKey } from "../i18n";
import { Link, navigate, useRouter, withQuery } from "../router";
import { ModuleMatrix, StateLegend, TimelineView, UpcomingChanges, useModules } from "../portal/rollout";
import { subtreeOf, useTenantTree } from "../portal/tenants";
import { Badge, Empty, ErrorNotice, ListState, Loading, ModuleStateBadge, PageTitle, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { CursorPager } from "../ui/cursor-pager";
import { ExportButtons } from "../ui/export-button";

/** The admin's region: their tenant and those below it (a platform admin: the province down). */
function useRegion() {
  const snap = useSession();
  const tree = useTenantTree();
  const home = snap.state?.user.roles.includes("platform-admin") ? (tree.data?.code ?? "440000") : (snap.state?.user.tenantCode ?? "");
  const tenants = useMemo(() => subtreeOf(tree.data, home), [tree.data, home]);
  return { tree, tenants, home };
}

export function AdminNav() {
  const { t } = useI18n();
  const { location } = useRouter();
  // the event queue's dead letters are the whole platform's: its administrators' alone
  const platformAdmin = !!useSession().state?.user.roles.includes("platform-admin");
  return (
    <nav className="tabs" aria-label={t("admin.title")}>
      <Link to="/admin" aria-current={location.path === "/admin" ? "page" : undefined}>
        {t("admin.matrix")}
      </Link>
      <Link to="/admin/accounts" aria-current={location.path === "/admin/accounts" ? "page" : undefined}>
        {t("admin.accounts")}
      </Link>
      {platformAdmin ? (
        <Link to="/admin/dead-letters" aria-current={location.path === "/admin/dead-letters" ? "page" : undefined}>
          {t("deadLetters.title")}
        </Link>
      ) : null}
    </nav>
  );
}

export function MatrixPage() {
  const { t } = useI18n();
  const { tree, tenants } = useRegion();
  const loaded = useModules(tenants);
  return (
    <div>
      <PageTitle sub={t("admin.matrixSub")}>{t("admin.title")}</PageTitle>
      <AdminNav />
      {tree.error ? <ErrorNotice error={tree.error} /> : null}
      <StateLegend />
      <p className="muted">{t("admin.matrixHelp")}</p>
      {tenants.length ? <ModuleMatrix tenants={tenants} loaded={loaded} caption={t("admin.matrixCaption")} cellLink={(code, m) => `/admin/${code}/${encodeURIComponent(m)}`} /> : <Loading />}
      <UpcomingChanges loaded={loaded} />
    </div>
  );
}

/** Tomorrow in China (a new entry may not start in the past; today's midnight has passed). */
export function tomorrowInChina(now = Date.now()): string {
  return new Date(now + 8 * 3600_000 + 86_400_000).toISOString().slice(0, 10);
}

export function ModulePage({ code, module }: { code: string; module: string }) {
  const { t, pick } = useI18n();
  const { tree, tenants } = useRegion();
  const timeline = useApi<ModuleTimeline>(`/tenants/${code}/modules/${encodeURIComponent(module)}/timeline`);
  const [version, setVersion] = useState(0);
  const [saved, setSaved] = useState<string | null>(null);
  const [draft, setDraft] = useState<Record<string, unknown> | undefined>(undefined);
  // a new, empty form after each save
  const [round, setRound] = useState(0);
  const names = new Map(tenants.map((tn) => [tn.code, pick(tn.name)]));
  const tenantName = (c: string) => names.get(c) ?? c;
  const form = useMemo(() => scheduleEntryForm(tomorrowInChina()), []);
  const mayEdit = session.can("update", "TenantSchedule", { tenantCode: code });
  const title = timeline.data ? `${pick(timeline.data.tenant.name)} · ${pick(timeline.data.title)}` : `${code} · ${module}`;

  return (
    <div>
      <PageTitle sub={t("admin.moduleSub")}>{title}</PageTitle>
      <AdminNav />
      <p>
        <Link to="/admin">{t("admin.backToMatrix")}</Link>
      </p>
      {tree.error ? <ErrorNotice error={tree.error} /> : null}
      <section aria-labelledby="tl-h">
        <h2 id="tl-h">{t("admin.timeline")}</h2>
        <TimelineView key={version} code={code} module={module} tenantName={tenantName} version={version} />
      </section>
      <section aria-labelledby="own-h">
        <h2 id="own-h">{t("admin.own")}</h2>
        {timeline.data && !timeline.data.own.length ? <Empty>{t("admin.noOwn")}</Empty> : null}
        {timeline.data?.own.length ? (
          <TableWrap label={t("admin.own")}>
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">{t("rollout.from")}</th>
                  <th scope="col">{t("rollout.until")}</th>
                  <th scope="col">{t("rollout.state")}</th>
                  <th scope="col">{t("admin.note")}</th>
                  {mayEdit ? <th scope="col">{t("admin.edit")}</th> : null}
                </tr>
              </thead>
              <tbody>
                {timeline.data.own.map((e, i) => (
                  <tr key={i}>
                    <td>{chinaDate(e.from)}</td>
                    <td>{e.until ? chinaDate(e.until) : t("rollout.onwards")}</td>
                    <td>
                      <ModuleStateBadge state={e.state} />
                      {e.units?.length ? <span className="muted"> {t("rollout.units", { n: e.units.length })}</span> : null}
                    </td>
                    <td>{e.note ?? ""}</td>
                    {mayEdit ? (
                      <td>
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => {
                            const earliest = tomorrowInChina();
                            const from = chinaDate(e.from) < earliest ? earliest : chinaDate(e.from);
                            setDraft({ state: e.state, from, ...(e.until ? { until: chinaDate(e.until) } : {}), ...(e.units ? { units: e.units } : {}), ...(e.note ? { note: e.note } : {}) });
                            setSaved(null);
                            setTimeout(() => document.getElementById("entry_state")?.focus(), 0);
                          }}
                        >
                          {t("admin.editFrom")}
                        </button>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        ) : null}
      </section>
      {mayEdit ? (
        <section aria-labelledby="edit-h" className="panel">
          <h2 id="edit-h">{t("admin.newEntry")}</h2>
          <p className="muted">{t("admin.newEntryHelp")}</p>
          {saved ? (
            <div className="notice notice-ok" role="status">
              {saved}
            </div>
          ) : null}
          <SchemaForm
            key={`${round}:${JSON.stringify(draft ?? null)}`}
            idPrefix="entry"
            schema={form.schema}
            uiSchema={form.uiSchema}
            formData={draft}
            submitLabel={t("admin.save")}
            onSubmit={async (d) => {
              const body = { ...d };
              if (body.state !== "pilot") delete body.units;
              const r = await api.put<{ now: { state: string; next: { at: string; state: string } | null } }>(`/tenants/${code}/modules/${encodeURIComponent(module)}`, body);
              setSaved(t("admin.saved", { state: t(`state.${r.now.state}` as MessageKey), next: r.now.next ? `${t(`state.${r.now.next.state}` as MessageKey)} ${chinaDate(r.now.next.at)}` : "—" }));
              setDraft(undefined);
              setRound((n) => n + 1);
              setVersion((v) => v + 1);
              timeline.reload();
            }}
          />
        </section>
      ) : (
        <p className="muted">{t("admin.readOnly")}</p>
      )}
    </div>
  );
}

export function AccountsPage() {
  const { t, pick } = useI18n();
  const { location } = useRouter();
  const { tenants } = useRegion();
  const tenantCode = location.query.get("tenant") ?? "";
  const q = location.query.get("q") ?? "";
  const cursor = location.query.get("cursor") ?? "";
  const [text, setText] = useState(q);
  const list = useApi<Page<AccountView>>(`/accounts${query({ passwordKind: "initial", tenantCode, q, cursor, pageSize: 50 })}`);
  const [reset, setReset] = useState<{ username: string; password: string; expiresAt: string } | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const name = (code: string) => pick(tenants.find((tn) => tn.code === code)?.name) || code;
  // Roles are the installed plugins' to name (GET /api/roles); until the list arrives, their ids.
  const roles = useApi<{ items: RoleView[] }>("/roles");
  const roleName = (role: string) => pick(roles.data?.items.find((r) => r.name === role)?.title) || role;
  const now = Date.now();
  return (
    <div>
      <PageTitle sub={t("admin.accountsSub")}>{t("admin.accounts")}</PageTitle>
      <AdminNav />
      <form
        className="filters"
        role="search"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          navigate(withQuery(location, { q: text.trim(), cursor: null }));
        }}
      >
        <label>
          <span>{t("portal.region")}</span>
          <select value={tenantCode} onChange={(e) => navigate(withQuery(location, { tenant: e.target.value, cursor: null }))}>
            <option value="">{t("portal.allRegions")}</option>
            {tenants.map((tn) => (
              <option key={tn.code} value={tn.code}>
                {"\u00a0\u00a0".repeat(tn.depth)}
                {pick(tn.name)}
              </option>
            ))}
          </select>
        </label>
        <label className="grow">
          <span>{t("portal.search")}</span>
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder={t("admin.searchHint")} />
        </label>
        <button type="submit" className="btn btn-primary">
          {t("portal.searchButton")}
        </button>
      </form>
      <ExportButtons path={`/accounts/export${query({ passwordKind: "initial", tenantCode, q })}`} fileName="accounts" />
      {failure ? <ErrorNotice error={failure} /> : null}
      {reset ? (
        <div className="notice notice-warn" role="alert">
          <p>{t("admin.resetDone", { username: reset.username })}</p>
          <p>
            <code className="otp">{reset.password}</code>
          </p>
          <p className="muted">{t("admin.resetOnce", { date: chinaDate(reset.expiresAt) })}</p>
          <button type="button" className="btn btn-small" onClick={() => setReset(null)}>
            {t("common.close")}
          </button>
        </div>
      ) : null}
      <ListState state={list} empty={t("admin.noInitial")} />
      {list.data?.items.length ? (
        <>
          <TableWrap label={t("admin.accounts")}>
            <table className="data-table" data-testid="initial-accounts">
              <thead>
                <tr>
                  <th scope="col">{t("admin.username")}</th>
                  <th scope="col">{t("admin.displayName")}</th>
                  <th scope="col">{t("rollout.region")}</th>
                  <th scope="col">{t("admin.roles")}</th>
                  <th scope="col">{t("admin.expires")}</th>
                  <th scope="col">{t("admin.action")}</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((a) => {
                  const left = a.passwordExpiresAt ? Math.ceil((Date.parse(a.passwordExpiresAt) - now) / 86_400_000) : null;
                  return (
                    <tr key={a.id}>
                      <td>{a.username}</td>
                      <td>{a.displayName}</td>
                      <td>{name(a.tenantCode)}</td>
                      <td>{a.roles.map(roleName).join("、")}</td>
                      <td>
                        {a.passwordExpiresAt ? chinaDateTime(a.passwordExpiresAt) : "—"}{" "}
                        {left !== null ? <Badge tone={left <= 0 ? "danger" : left <= 7 ? "warn" : "neutral"}>{left <= 0 ? t("admin.expired") : t("admin.daysLeft", { n: left })}</Badge> : null}
                      </td>
                      <td>
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => {
                            if (!window.confirm(t("admin.resetConfirm", { username: a.username }))) return;
                            setFailure(null);
                            api
                              .post<{ oneTimePassword: string; expiresAt: string }>(`/accounts/${a.id}/reset-password`, {})
                              .then((r) => {
                                setReset({ username: a.username, password: r.oneTimePassword, expiresAt: r.expiresAt });
                                list.reload();
                              })
                              .catch(setFailure);
                          }}
                        >
                          {t("admin.reset")}
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableWrap>
          <CursorPager total={list.data.total} totalIsEstimate={list.data.totalIsEstimate} nextCursor={list.data.nextCursor} />
        </>
      ) : null}
    </div>
  );
}
