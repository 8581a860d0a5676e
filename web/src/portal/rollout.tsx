/**
 * Module rollout (core/tenancy): the matrix of regions × modules with each one's state today and
 * its next change, one module's timeline in a region, and the list of what opens when. The public
 * calendar and the tenant admin console show the same pieces.
 */
import { api } from "../api/client";
import type { EffectiveModule, ModuleState, ModuleTimeline, TenantModules, TenantNode } from "../api/types";
import { chinaDate, useI18n, type MessageKey } from "../i18n";
import { Link } from "../router";
import { Empty, ErrorNotice, Loading, ModuleStateBadge, TableWrap } from "../ui/parts";
import { inBatches, useApi, type Loaded } from "../ui/use-api";

export const STATES: ModuleState[] = ["off", "pilot", "live", "sunset", "retired"];

export function StateLegend() {
  const { t } = useI18n();
  return (
    <ul className="legend" aria-label={t("rollout.legend")}>
      {STATES.map((s) => (
        <li key={s}>
          <ModuleStateBadge state={s} small /> <span className="muted">{t(`state.${s}.means` as MessageKey)}</span>
        </li>
      ))}
    </ul>
  );
}

/** Each tenant's modules today (one call per tenant, six at a time). */
export function useModules(tenants: Array<{ code: string }>) {
  const key = tenants.map((t) => t.code).join(",");
  return useApi<TenantModules[]>(key ? `matrix:${key}` : null, (signal) => inBatches(tenants, 6, (t) => api.get<TenantModules>(`/tenants/${t.code}/modules`, { signal })));
}

function Cell({ m, tenantName }: { m: EffectiveModule; tenantName: (code: string) => string }) {
  const { t } = useI18n();
  return (
    <span className="cell">
      <ModuleStateBadge state={m.state} />
      {m.inherited && m.source ? (
        <span className="inherited" title={t("rollout.inheritedFrom", { tenant: tenantName(m.source.tenant) })}>
          {" "}↳ <span className="sr-only">{t("rollout.inheritedFrom", { tenant: tenantName(m.source.tenant) })}</span>
        </span>
      ) : null}
      {!m.inherited && m.source ? <span className="own-mark" title={t("rollout.ownEntry")}> ●<span className="sr-only">{t("rollout.ownEntry")}</span></span> : null}
      {m.next ? (
        <span className="next">
          → <ModuleStateBadge state={m.next.state} small /> <time dateTime={m.next.at}>{chinaDate(m.next.at)}</time>
        </span>
      ) : null}
    </span>
  );
}

export interface MatrixProps {
  tenants: Array<TenantNode & { depth: number }>;
  /** useModules(tenants), shared with UpcomingChanges */
  loaded: Loaded<TenantModules[]>;
  /** where a cell leads: a module's timeline in that region */
  cellLink(code: string, module: string): string;
  caption: string;
}

export function ModuleMatrix({ tenants, loaded, cellLink, caption }: MatrixProps) {
  const { t, pick } = useI18n();
  const { data, error, loading } = loaded;
  const names = new Map(tenants.map((tn) => [tn.code, pick(tn.name)]));
  const tenantName = (code: string) => names.get(code) ?? code;
  if (error) return <ErrorNotice error={error} />;
  if (loading && !data) return <Loading label={t("rollout.loading")} />;
  if (!data?.length) return <Empty>{t("rollout.none")}</Empty>;
  const modules = data[0].modules.map((m) => ({ key: m.module, title: m.title }));
  return (
    <TableWrap label={caption}>
      <table className="matrix" data-testid="module-matrix">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t("rollout.region")}</th>
            {modules.map((m) => (
              <th scope="col" key={m.key}>
                {pick(m.title)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.map((row) => {
            const depth = tenants.find((tn) => tn.code === row.tenant.code)?.depth ?? 0;
            return (
              <tr key={row.tenant.code}>
                <th scope="row" className={`depth-${depth}`}>
                  {pick(row.tenant.name)} <span className="muted code">{row.tenant.code}</span>
                </th>
                {row.modules.map((m) => (
                  <td key={m.module} className={`state-cell state-${m.state}`} data-tenant={row.tenant.code} data-module={m.module}>
                    <Link to={cellLink(row.tenant.code, m.module)} aria-label={`${pick(row.tenant.name)} · ${pick(m.title)}: ${t(`state.${m.state}` as MessageKey)}${m.next ? ` → ${t(`state.${m.next.state}` as MessageKey)} ${chinaDate(m.next.at)}` : ""}`}>
                      <Cell m={m} tenantName={tenantName} />
                    </Link>
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** What changes next, everywhere shown: the calendar's "what opens when". */
export function UpcomingChanges({ loaded }: { loaded: Loaded<TenantModules[]> }) {
  const { t, pick } = useI18n();
  const { data } = loaded;
  if (!data) return null;
  const changes = data
    .flatMap((row) => row.modules.filter((m) => m.next).map((m) => ({ tenant: row.tenant, m })))
    .sort((a, b) => Date.parse(a.m.next!.at) - Date.parse(b.m.next!.at))
    .slice(0, 30);
  return (
    <section aria-labelledby="upcoming">
      <h2 id="upcoming">{t("rollout.upcoming")}</h2>
      {changes.length ? (
        <ol className="upcoming" data-testid="upcoming">
          {changes.map(({ tenant, m }) => (
            <li key={`${tenant.code}-${m.module}`}>
              <time dateTime={m.next!.at}>{chinaDate(m.next!.at)}</time> {pick(tenant.name)} · {pick(m.title)}: <ModuleStateBadge state={m.state} small /> → <ModuleStateBadge state={m.next!.state} small />
            </li>
          ))}
        </ol>
      ) : (
        <Empty>{t("rollout.noUpcoming")}</Empty>
      )}
    </section>
  );
}

const START = Date.parse("2021-01-01T00:00:00+08:00");

/** One module in one region over time: a bar of its stretches, then the same as a table (own vs inherited). */
export function TimelineView({ code, module, tenantName, version = 0 }: { code: string; module: string; tenantName(code: string): string; version?: number }) {
  const { t, pick } = useI18n();
  const { data, error, loading } = useApi<ModuleTimeline>(`/tenants/${code}/modules/${encodeURIComponent(module)}/timeline?v=${version}`);
  if (error) return <ErrorNotice error={error} />;
  if (loading && !data) return <Loading />;
  if (!data) return null;
  const now = Date.now();
  const lastFrom = Math.max(now, ...data.segments.map((s) => (s.from ? Date.parse(s.from) : START)));
  const end = lastFrom + 365 * 86_400_000;
  const span = end - START;
  const at = (iso: string | null, fallback: number) => Math.min(end, Math.max(START, iso ? Date.parse(iso) : fallback));
  return (
    <div className="timeline" data-testid="timeline">
      <div className="timeline-bar" aria-hidden="true">
        {data.segments.map((s, i) => {
          const from = at(s.from, START);
          const until = at(s.until, end);
          if (until <= from) return null;
          return (
            <span key={i} className={`seg state-${s.state}${s.own ? " own" : ""}`} style={{ left: `${((from - START) / span) * 100}%`, width: `${((until - from) / span) * 100}%` }} title={`${chinaDate(s.from) || "…"} – ${chinaDate(s.until) || "…"}: ${t(`state.${s.state}` as MessageKey)}`} />
          );
        })}
        <span className="now-mark" style={{ left: `${((now - START) / span) * 100}%` }} />
      </div>
      <TableWrap label={t("rollout.timelineOf", { module: pick(data.title), tenant: pick(data.tenant.name) })}>
        <table className="data-table">
          <caption>{t("rollout.timelineOf", { module: pick(data.title), tenant: pick(data.tenant.name) })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("rollout.from")}</th>
              <th scope="col">{t("rollout.until")}</th>
              <th scope="col">{t("rollout.state")}</th>
              <th scope="col">{t("rollout.whose")}</th>
            </tr>
          </thead>
          <tbody>
            {data.segments.map((s, i) => {
              const current = (!s.from || Date.parse(s.from) <= now) && (!s.until || Date.parse(s.until) > now);
              return (
                <tr key={i} className={current ? "current" : undefined} aria-current={current ? "true" : undefined}>
                  <td>{s.from ? chinaDate(s.from) : t("rollout.beginning")}</td>
                  <td>{s.until ? chinaDate(s.until) : t("rollout.onwards")}</td>
                  <td>
                    <ModuleStateBadge state={s.state} />
                    {s.units?.length ? <span className="muted"> {t("rollout.units", { n: s.units.length })}</span> : null}
                  </td>
                  <td>{s.own ? <strong>{t("rollout.own")}</strong> : s.source ? t("rollout.inheritedFrom", { tenant: tenantName(s.source) }) : t("rollout.nobody")}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableWrap>
    </div>
  );
}
