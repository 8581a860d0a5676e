/**
 * The regulator's dashboards (/analytics) and the portal's open-data page (/data), from the
 * analytics plugin's aggregates (plugins/analytics/README.md, "Dashboards").
 */
import { useMemo, useState, type FormEvent } from "react";
import { query } from "../api/client";
import { useI18n, type Localized } from "../i18n";
import type { MessageKey } from "../i18n/messages";
import { Link, navigate, useRouter } from "../router";
import { ExportButtons } from "../ui/export-button";
import { ErrorNotice, Loading, PageTitle, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { Chart, download, tableCsv } from "./charts";

interface Figures {
  planned: number;
  contracted: number;
  paid: number;
  awarded: number;
}
interface Region extends Figures {
  code: string;
  name: Localized;
}
interface Cycle {
  kind: "intention-contract" | "contract-payment";
  method: string;
  n: number;
  median: number | null;
  p90: number | null;
}
interface Breach {
  projectId: string;
  unit: string;
  rule: string;
  from: string;
  done: string;
  days: number;
  allowed: number;
  unitOfDays: string;
  link: string;
}
interface Bidding {
  awards: number;
  awarded: number;
  tenders: number;
  bids: number;
  meanBids: number | null;
  singleBidShare: number | null;
}
interface MethodShare {
  method: string;
  awards: number;
  awarded: number;
  countShare: number | null;
  valueShare: number | null;
}
interface Competition extends Bidding {
  singleBidRule: { rule: string; minimum: number };
  methods: MethodShare[];
  byMonth: Array<Bidding & { month: string; methods: MethodShare[] }>;
  byCategory: Array<Bidding & { category: string; methods: MethodShare[] }>;
  byRegion: Array<Bidding & { code: string; name: Localized; methods: MethodShare[] }>;
  byUnit?: Array<Bidding & { unit: string }>;
}
interface RedFlag {
  id: string;
  flag: "single-bid" | "short-tender-period" | "repeat-winner" | "non-competitive-share" | "contract-above-award";
  title: Localized;
  explanation: Localized;
  source: { rule?: string; ocds?: string };
  tenantCode: string;
  unit: string;
  month: string;
  evidence: Record<string, string | number>;
  projects: Array<{ projectId: string; link: string }>;
}
interface Flags {
  flags: RedFlag[];
  counts: Record<RedFlag["flag"], number>;
}
export interface Dashboard {
  region: { code: string; name: Localized; level: string; parent: string | null };
  unit?: string | null;
  totals: Figures & { awards: number; contracts: number; payments: number };
  byMonth: Array<Figures & { month: string }>;
  byMethod: Array<Figures & { method: string }>;
  byCategory: Array<Figures & { category: string }>;
  byRegion: Region[];
  byUnit?: Array<Figures & { unit: string }>;
  sme: { awards: number; smeAwards: number; awardedShare: number | null; goal: { rule: string; percent: number }; small: { rule: string; atMost: number; awards: number; smeAwards: number; share: number | null } };
  cycles: Cycle[];
  breaches?: Breach[];
  competition: Competition;
}

const METHOD_KEYS: Record<string, MessageKey> = {
  "public-tender": "analytics.method.public-tender",
  "invited-tender": "analytics.method.invited-tender",
  "competitive-negotiation": "analytics.method.competitive-negotiation",
  "competitive-consultation": "analytics.method.competitive-consultation",
  inquiry: "analytics.method.inquiry",
  "single-source": "analytics.method.single-source",
  "emall-direct": "analytics.method.emall-direct",
  "emall-bidding": "analytics.method.emall-bidding",
  "designated-point": "analytics.method.designated-point",
};

function useLabels() {
  const { t } = useI18n();
  return {
    method: (m: string) => (METHOD_KEYS[m] ? t(METHOD_KEYS[m]) : t("analytics.unknown")),
    category: (c: string) => c || t("analytics.uncategorised"),
  };
}

/** The spend charts both pages show: by month, by region (drill-down), by method, by category. */
function SpendCharts({ d, onRegion, units }: { d: Dashboard; onRegion?: (code: string) => void; units?: boolean }) {
  const { t, pick } = useI18n();
  const label = useLabels();
  const three = (rows: Figures[]) => [
    { name: t("analytics.planned"), values: rows.map((r) => r.planned) },
    { name: t("analytics.contracted"), values: rows.map((r) => r.contracted) },
    { name: t("analytics.paid"), values: rows.map((r) => r.paid) },
  ];
  const months = useMemo(() => d.byMonth.map((m) => m.month), [d]);
  const monthSeries = useMemo(() => three(d.byMonth), [d, t]); // eslint-disable-line react-hooks/exhaustive-deps
  const regionLabels = useMemo(() => d.byRegion.map((r) => pick(r.name)), [d, pick]);
  const regionSeries = useMemo(() => three(d.byRegion), [d, t]); // eslint-disable-line react-hooks/exhaustive-deps
  const unitLabels = useMemo(() => (d.byUnit ?? []).map((u) => u.unit), [d]);
  const unitSeries = useMemo(() => three(d.byUnit ?? []), [d, t]); // eslint-disable-line react-hooks/exhaustive-deps
  const methodLabels = useMemo(() => d.byMethod.map((m) => label.method(m.method)), [d, t]); // eslint-disable-line react-hooks/exhaustive-deps
  const methodSeries = useMemo(() => [{ name: t("analytics.contracted"), values: d.byMethod.map((m) => m.contracted) }], [d, t]);
  const catLabels = useMemo(() => d.byCategory.map((c) => label.category(c.category)), [d, t]); // eslint-disable-line react-hooks/exhaustive-deps
  const catSeries = useMemo(() => [{ name: t("analytics.contracted"), values: d.byCategory.map((c) => c.contracted) }], [d, t]);
  return (
    <>
      <Chart id="by-month" title={t("analytics.byMonth")} kind="line" labels={months} series={monthSeries} labelHeader={t("analytics.month")} />
      {d.byRegion.length ? (
        <Chart
          id="by-region"
          title={t("analytics.byRegion", { region: pick(d.region.name) })}
          kind="bar"
          labels={regionLabels}
          series={regionSeries}
          labelHeader={t("analytics.region")}
          onSelect={onRegion ? (i) => onRegion(d.byRegion[i].code) : undefined}
          selectLabel={t("analytics.drillHeader")}
        />
      ) : null}
      {units && unitLabels.length ? <Chart id="by-unit" title={t("analytics.byUnit")} kind="bar" labels={unitLabels} series={unitSeries} labelHeader={t("analytics.unit")} /> : null}
      <Chart id="by-method" title={t("analytics.byMethod")} kind="bar" labels={methodLabels} series={methodSeries} labelHeader={t("analytics.method")} />
      <Chart id="by-category" title={t("analytics.byCategory")} kind="bar" labels={catLabels} series={catSeries} labelHeader={t("analytics.category")} />
    </>
  );
}

function Totals({ d }: { d: Dashboard }) {
  const { t, lang } = useI18n();
  const f = (n: number) => n.toLocaleString(lang, { maximumFractionDigits: 2 });
  return (
    <dl className="analytics-totals">
      <div>
        <dt>{t("analytics.planned")}</dt>
        <dd data-total="planned">{f(d.totals.planned)}</dd>
      </div>
      <div>
        <dt>{t("analytics.contracted")}</dt>
        <dd data-total="contracted">{f(d.totals.contracted)}</dd>
      </div>
      <div>
        <dt>{t("analytics.paid")}</dt>
        <dd data-total="paid">{f(d.totals.paid)}</dd>
      </div>
    </dl>
  );
}

function Sme({ d }: { d: Dashboard }) {
  const { t } = useI18n();
  const pct = (v: number | null) => (v === null ? "—" : `${v}%`);
  return (
    <section aria-labelledby="sme-title">
      <h2 id="sme-title">{t("analytics.sme.title")}</h2>
      <TableWrap label={t("analytics.sme.title")}>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t("analytics.sme.measure")}</th>
              <th scope="col">{t("analytics.sme.value")}</th>
              <th scope="col">{t("analytics.sme.policy")}</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">{t("analytics.sme.share", { awards: String(d.sme.awards), sme: String(d.sme.smeAwards) })}</th>
              <td className={d.sme.awardedShare !== null && d.sme.awardedShare < d.sme.goal.percent ? "text-danger" : undefined}>{pct(d.sme.awardedShare)}</td>
              <td>{t("analytics.sme.goal", { percent: String(d.sme.goal.percent), rule: d.sme.goal.rule })}</td>
            </tr>
            <tr>
              <th scope="row">{t("analytics.sme.small", { atMost: d.sme.small.atMost.toLocaleString(), awards: String(d.sme.small.awards), sme: String(d.sme.small.smeAwards) })}</th>
              <td>{pct(d.sme.small.share)}</td>
              <td>{t("analytics.sme.smallRule", { rule: d.sme.small.rule })}</td>
            </tr>
          </tbody>
        </table>
      </TableWrap>
    </section>
  );
}

function Cycles({ d }: { d: Dashboard }) {
  const { t } = useI18n();
  const label = useLabels();
  const labels = useMemo(() => d.cycles.map((c) => `${label.method(c.method)} · ${t(c.kind === "intention-contract" ? "analytics.cycle.ic" : "analytics.cycle.cp")}`), [d, t]); // eslint-disable-line react-hooks/exhaustive-deps
  const series = useMemo(
    () => [
      { name: t("analytics.cycle.median"), values: d.cycles.map((c) => c.median ?? 0) },
      { name: t("analytics.cycle.p90"), values: d.cycles.map((c) => c.p90 ?? 0) },
    ],
    [d, t],
  );
  if (!d.cycles.length) return null;
  return <Chart id="cycles" title={t("analytics.cycle.title")} kind="bar" labels={labels} series={series} labelHeader={t("analytics.cycle.what")} />;
}

function Breaches({ list, exportPath }: { list: Breach[]; exportPath: string }) {
  const { t } = useI18n();
  return (
    <section aria-labelledby="breaches-title">
      <h2 id="breaches-title">{t("analytics.breaches.title", { n: String(list.length) })}</h2>
      {/* the table shows the newest 200; the export has every breach of the range */}
      {list.length ? <ExportButtons path={exportPath} fileName="breaches" /> : null}
      {list.length ? (
        <TableWrap label={t("analytics.breaches.title", { n: String(list.length) })}>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t("analytics.breaches.rule")}</th>
                <th scope="col">{t("analytics.unit")}</th>
                <th scope="col">{t("analytics.breaches.from")}</th>
                <th scope="col">{t("analytics.breaches.done")}</th>
                <th scope="col">{t("analytics.breaches.days")}</th>
                <th scope="col">{t("analytics.breaches.case")}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((b) => (
                <tr key={`${b.rule}-${b.projectId}-${b.done}`}>
                  <th scope="row">{t(b.rule === "contract.publish" ? "analytics.breaches.contract" : "analytics.breaches.payment")}</th>
                  <td>{b.unit}</td>
                  <td>{b.from}</td>
                  <td>{b.done}</td>
                  <td>{t(b.unitOfDays === "working-days" ? "analytics.breaches.workingDays" : "analytics.breaches.calendarDays", { days: String(b.days), allowed: String(b.allowed) })}</td>
                  <td>
                    <Link to={`/projects/${b.projectId}`}>{t("analytics.breaches.open")}</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : (
        <p>{t("analytics.breaches.none")}</p>
      )}
    </section>
  );
}

/** Bids per tender and single-bid share by month and region, and each method's share of the awards. */
function CompetitionCharts({ c, onRegion }: { c: Competition; onRegion?: (code: string) => void }) {
  const { t, lang, pick } = useI18n();
  const label = useLabels();
  const pct = (v: number | null) => (v === null ? "—" : `${v}%`);
  const bidSeries = (rows: Bidding[]) => [
    { name: t("analytics.comp.meanBids"), values: rows.map((r) => r.meanBids ?? 0) },
    { name: t("analytics.comp.singleShare"), values: rows.map((r) => r.singleBidShare ?? 0) },
  ];
  const months = useMemo(() => c.byMonth.map((m) => m.month), [c]);
  const monthSeries = useMemo(() => bidSeries(c.byMonth), [c, t]); // eslint-disable-line react-hooks/exhaustive-deps
  const regionLabels = useMemo(() => c.byRegion.map((r) => pick(r.name)), [c, pick]);
  const regionSeries = useMemo(() => bidSeries(c.byRegion), [c, t]); // eslint-disable-line react-hooks/exhaustive-deps
  const methodLabels = useMemo(() => c.methods.map((m) => label.method(m.method)), [c, t]); // eslint-disable-line react-hooks/exhaustive-deps
  const methodSeries = useMemo(
    () => [
      { name: t("analytics.comp.countShare"), values: c.methods.map((m) => m.countShare ?? 0) },
      { name: t("analytics.comp.valueShare"), values: c.methods.map((m) => m.valueShare ?? 0) },
    ],
    [c, t],
  );
  return (
    <section aria-labelledby="competition-title">
      <h2 id="competition-title">{t("analytics.comp.title")}</h2>
      <dl className="analytics-totals">
        <div>
          <dt>{t("analytics.comp.meanBids")}</dt>
          <dd data-total="meanBids">{c.meanBids === null ? "—" : c.meanBids.toLocaleString(lang)}</dd>
        </div>
        <div>
          <dt>{t("analytics.comp.singleShare")}</dt>
          <dd data-total="singleBidShare">{pct(c.singleBidShare)}</dd>
        </div>
        <div>
          <dt>{t("analytics.comp.tenders")}</dt>
          <dd data-total="tenders">{c.tenders.toLocaleString(lang)}</dd>
        </div>
      </dl>
      <p>{t("analytics.comp.note", { minimum: String(c.singleBidRule.minimum), rule: c.singleBidRule.rule })}</p>
      {months.length ? <Chart id="competition-month" title={t("analytics.comp.byMonth")} kind="line" labels={months} series={monthSeries} labelHeader={t("analytics.month")} /> : null}
      {c.byRegion.length ? (
        <Chart
          id="competition-region"
          title={t("analytics.comp.byRegion")}
          kind="bar"
          labels={regionLabels}
          series={regionSeries}
          labelHeader={t("analytics.region")}
          onSelect={onRegion ? (i) => onRegion(c.byRegion[i].code) : undefined}
          selectLabel={t("analytics.drillHeader")}
        />
      ) : null}
      {methodLabels.length ? <Chart id="method-share" title={t("analytics.comp.methods")} kind="bar" labels={methodLabels} series={methodSeries} labelHeader={t("analytics.method")} /> : null}
    </section>
  );
}

/** What a flag's evidence says, in a sentence of the reader's language. */
function evidenceText(f: RedFlag, t: ReturnType<typeof useI18n>["t"], method: (m: string) => string): string {
  const e = f.evidence;
  const s = (k: string) => String(e[k] ?? "");
  switch (f.flag) {
    case "single-bid":
      return t("analytics.flags.ev.single", { method: method(s("method")), date: s("awardDate") });
    case "short-tender-period":
      return t(e.unitOfDays === "working-days" ? "analytics.flags.ev.shortWorking" : "analytics.flags.ev.shortCalendar", { method: method(s("method")), from: s("from"), to: s("to"), days: s("days"), minimum: s("minimum"), rule: s("rule") });
    case "repeat-winner":
      return t("analytics.flags.ev.repeat", { supplier: s("supplier"), wins: s("wins"), first: s("first"), last: s("last") });
    case "non-competitive-share":
      return t("analytics.flags.ev.share", { direct: s("nonCompetitive"), awards: s("awards"), share: s("share"), threshold: s("threshold") });
    case "contract-above-award":
      return t("analytics.flags.ev.contract", { awarded: Number(e.awarded).toLocaleString(), contracted: Number(e.contracted).toLocaleString(), excess: s("excessPercent") });
  }
}

/** The red flags as a table: each with what it means, where the idea comes from, and its projects. */
function RedFlags({ data }: { data: Flags }) {
  const { t, pick } = useI18n();
  const label = useLabels();
  const title = t("analytics.flags.title", { n: String(data.flags.length) });
  return (
    <section aria-labelledby="flags-title">
      <h2 id="flags-title">{title}</h2>
      <p>{t("analytics.flags.sub")}</p>
      {data.flags.length ? (
        <TableWrap label={title}>
          <table className="table" data-table="flags">
            <thead>
              <tr>
                <th scope="col">{t("analytics.flags.flag")}</th>
                <th scope="col">{t("analytics.unit")}</th>
                <th scope="col">{t("analytics.flags.evidence")}</th>
                <th scope="col">{t("analytics.flags.source")}</th>
                <th scope="col">{t("analytics.flags.projects")}</th>
              </tr>
            </thead>
            <tbody>
              {data.flags.map((f) => (
                <tr key={f.id} data-flag={f.flag}>
                  <th scope="row">
                    {pick(f.title)}
                    <p className="muted">{pick(f.explanation)}</p>
                  </th>
                  <td>{f.unit}</td>
                  <td>{evidenceText(f, t, label.method)}</td>
                  <td>{[f.source.rule, f.source.ocds].filter(Boolean).join("；")}</td>
                  <td>
                    <ul>
                      {f.projects.map((x, i) => (
                        <li key={x.projectId}>
                          <Link to={`/projects/${x.projectId}`}>{t("analytics.flags.open", { n: String(i + 1) })}</Link>
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : (
        <p>{t("analytics.flags.none")}</p>
      )}
      {data.flags.length ? (
        // at most 500 rows, already here: the table's own CSV, as the charts' tables download theirs
        <button
          type="button"
          className="btn btn-small"
          onClick={() =>
            download(
              "flags.csv",
              tableCsv(
                [t("analytics.flags.flag"), t("analytics.unit"), t("analytics.flags.evidence"), t("analytics.flags.source"), t("analytics.flags.projects")],
                data.flags.map((f) => [pick(f.title), f.unit, evidenceText(f, t, label.method), [f.source.rule, f.source.ocds].filter(Boolean).join("；"), f.projects.map((x) => x.projectId).join(" ")]),
              ),
            )
          }
        >
          {t("analytics.download", { title })}
        </button>
      ) : null}
    </section>
  );
}

/** From and to: the server checks them (reversed, absurd) and says what is wrong. */
function RangeForm({ from, to, onApply }: { from: string; to: string; onApply(from: string, to: string): void }) {
  const { t } = useI18n();
  const [a, setA] = useState(from);
  const [b, setB] = useState(to);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply(a, b);
  };
  return (
    <form className="filters" onSubmit={submit}>
      <label>
        {t("analytics.from")}
        <input type="date" value={a} onChange={(e) => setA(e.target.value)} />
      </label>
      <label>
        {t("analytics.to")}
        <input type="date" value={b} onChange={(e) => setB(e.target.value)} />
      </label>
      <button type="submit" className="btn btn-small">
        {t("analytics.apply")}
      </button>
    </form>
  );
}

export function AnalyticsPage() {
  const { t, pick } = useI18n();
  const { location } = useRouter();
  const region = location.query.get("region") ?? "";
  const from = location.query.get("from") ?? "";
  const to = location.query.get("to") ?? "";
  const go = (p: { region?: string; from?: string; to?: string }) => navigate(`/analytics${query({ region, from, to, ...p })}`);
  const state = useApi<Dashboard>(`/analytics/dashboard${query({ region, from, to })}`);
  const d = state.data;
  // the flags name units and cases: a regulator's, so a unit's page does not ask
  const flags = useApi<Flags>(d && !d.unit ? `/analytics/flags${query({ region, from, to })}` : null);
  return (
    <div className="analytics">
      <PageTitle sub={t("analytics.sub")}>{d ? t("analytics.titleOf", { region: d.unit ?? pick(d.region.name) }) : t("analytics.title")}</PageTitle>
      {d?.region.parent && !d.unit && region && region !== d.region.parent ? (
        <p>
          <Link to={`/analytics${query({ region: d.region.parent, from, to })}`}>{t("analytics.up")}</Link>
        </p>
      ) : null}
      <RangeForm key={`${from}|${to}`} from={from} to={to} onApply={(f, tt) => go({ from: f, to: tt })} />
      {state.error ? <ErrorNotice error={state.error} /> : null}
      {!d && state.loading ? <Loading /> : null}
      {d ? (
        <>
          <Totals d={d} />
          <SpendCharts d={d} onRegion={(code) => go({ region: code })} units />
          <Sme d={d} />
          <Cycles d={d} />
          <Breaches list={d.breaches ?? []} exportPath={`/analytics/breaches/export${query({ region, from, to })}`} />
          <CompetitionCharts c={d.competition} onRegion={(code) => go({ region: code })} />
          {flags.error ? <ErrorNotice error={flags.error} /> : null}
          {flags.data ? <RedFlags data={flags.data} /> : null}
        </>
      ) : null}
    </div>
  );
}

/** The OCDS downloads: the feed, yesterday's bulk file (platform day), the extension. */
function OcdsLinks() {
  const { t } = useI18n();
  const yesterday = new Date(Date.now() + 8 * 3600_000 - 86_400_000).toISOString().slice(0, 10);
  return (
    <section aria-labelledby="ocds-title">
      <h2 id="ocds-title">{t("data.ocds.title")}</h2>
      <p>{t("data.ocds.sub")}</p>
      <ul>
        <li>
          <a href="/api/analytics/ocds/releases">{t("data.ocds.releases")}</a>
        </li>
        <li>
          <a href={`/api/analytics/ocds/bulk/${yesterday}.jsonl.gz`}>{t("data.ocds.bulk", { date: yesterday })}</a>
        </li>
        <li>
          <a href="/api/analytics/ocds/extension/extension.json">{t("data.ocds.extension")}</a>
        </li>
        <li>
          <a href="/api/docs">{t("data.api")}</a>
        </li>
        <li>
          <Link to="/verify">{t("data.verify")}</Link>
        </li>
      </ul>
    </section>
  );
}

export function DataPage() {
  const { t, pick } = useI18n();
  const { location } = useRouter();
  const region = location.query.get("region") ?? "";
  const state = useApi<Dashboard>(`/analytics/public${query({ region })}`);
  const d = state.data;
  return (
    <div className="analytics">
      <PageTitle sub={t("data.sub")}>{t("data.title")}</PageTitle>
      {d && region ? (
        <p>
          <Link to="/data">{t("data.back")}</Link>
        </p>
      ) : null}
      {state.error ? <ErrorNotice error={state.error} /> : null}
      {!d && state.loading ? <Loading /> : null}
      {d ? (
        <>
          <h2>{pick(d.region.name)}</h2>
          <Totals d={d} />
          <SpendCharts d={d} onRegion={(code) => navigate(`/data${query({ region: code })}`)} />
          <Sme d={d} />
          <CompetitionCharts c={d.competition} onRegion={(code) => navigate(`/data${query({ region: code })}`)} />
        </>
      ) : null}
      <OcdsLinks />
    </div>
  );
}
