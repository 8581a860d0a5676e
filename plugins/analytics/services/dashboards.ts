import type { Knex } from "knex";
import type { Service } from "moleculer";
import {
  type ErrorDetail,
  type ExportColumn,
  exportFormatParam,
  exportLang,
  exportList,
  fieldError,
  type ListOrder,
  onceHandler,
  type PlatformContext,
  PlatformError,
  type PlatformServiceSchema,
  type PluginServiceThis,
  type SessionUser,
  single,
  tenantTree,
  unitsPoint,
  validationFailed,
} from "../../../core/sdk";
import { aggregateFact, type CycleKind } from "./aggregates";
import { ALL_UNITS, BREACHES, CELLS, CYCLES, RULES } from "./tables";
import { flagConfig, listFlags } from "./flags";
import { factOf } from "./ocds-store";
import { dayParam } from "./ocds";

/** The receipts' consumer: the aggregates count each event once (the OCDS feed has its own). */
const CONSUMER = "analytics.aggregates";
/** Breaches listed at most, newest first: the table links to cases, it is not an export. */
const BREACH_LIMIT = 200;

type This = Service & PluginServiceThis;

/** Who may see which part: a regulator its region (and below), a purchasing unit itself. */
interface Scope {
  region: string;
  unit?: string;
}

async function scopeOf(svc: This, ctx: PlatformContext<unknown>, user: SessionUser | null | undefined, regionParam: string | undefined, problems: ErrorDetail[]): Promise<Scope | undefined> {
  if (!user) throw new PlatformError("UNAUTHENTICATED", { "zh-CN": "请先登录", en: "Sign-in required" });
  const tree = tenantTree();
  const roles = new Set(user.roles);
  const oversees = user.oversees === true || roles.has("tenant-admin") || roles.has("platform-admin");
  if (oversees) {
    if (regionParam === undefined) return { region: user.tenantCode };
    const own = tree.subtree(user.tenantCode);
    if (!tree.get(regionParam)) problems.push(fieldError("/region", "tenant", `区划「${regionParam}」不在本平台`, `${JSON.stringify(regionParam)} is not a region of this platform`));
    else if (!own.includes(regionParam)) {
      problems.push({
        ...fieldError("/region", "scope", `区划 ${regionParam} 不在您监管的区域（${tree.get(user.tenantCode)?.name["zh-CN"] ?? user.tenantCode}）内`, `region ${regionParam} is outside the region you oversee (${tree.get(user.tenantCode)?.name.en ?? user.tenantCode})`),
        allowed: user.tenantCode,
      });
    } else return { region: regionParam };
    return undefined;
  }
  if (roles.has("supplier") || roles.has("agency") || !user.unitCode) {
    throw new PlatformError("FORBIDDEN", { "zh-CN": "采购数据看板仅向监管部门和采购单位开放", en: "The procurement dashboards are for regulators and purchasing units" });
  }
  // a unit's figures are under its published name, which the facts carry (never its budget code)
  let name: string | undefined;
  for (const provider of svc.extensions.providers(ctx, unitsPoint)) {
    const found = (await provider.call.resolve({ codes: [user.unitCode] })) as Array<{ code: string; name: string }>;
    name = found.find((u) => u.code === user.unitCode)?.name;
    if (name) break;
  }
  if (!name) throw new PlatformError("FORBIDDEN", { "zh-CN": "您的单位不在采购单位登记库中", en: "Your unit is not in the purchasing units' register" });
  if (regionParam !== undefined && regionParam !== user.tenantCode) {
    problems.push({ ...fieldError("/region", "scope", "采购单位只能查看本单位的数据", "a purchasing unit sees its own figures only"), allowed: user.tenantCode });
    return undefined;
  }
  return { region: user.tenantCode, unit: name };
}

const num = (v: unknown) => Math.round(Number(v ?? 0) * 100) / 100;
const share = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : null);

/** Median and p90 from a histogram of whole days (nearest rank). */
export function percentiles(hist: Array<{ days: number; n: number }>): { n: number; median: number | null; p90: number | null } {
  const sorted = [...hist].sort((a, b) => a.days - b.days);
  const n = sorted.reduce((s, h) => s + h.n, 0);
  const at = (q: number) => {
    if (!n) return null;
    const rank = Math.ceil(q * n);
    let seen = 0;
    for (const h of sorted) {
      seen += h.n;
      if (seen >= rank) return h.days;
    }
    return null;
  };
  return { n, median: at(0.5), p90: at(0.9) };
}

export interface DashboardQuery {
  region: string;
  /** the region's subtree */
  codes: string[];
  unit?: string;
  fromMonth?: string;
  toMonth?: string;
}

/**
 * A table's rows in scope: a unit's own; or the region's subtree sums (ALL_UNITS rows of the region
 * itself, `codes` its children's for the drill-down); breaches, one row each, across the subtree.
 */
function scoped(db: Knex, table: string, q: DashboardQuery, codes?: string[]): Knex.QueryBuilder {
  const b = db(table);
  if (q.unit !== undefined) b.whereIn("tenant_code", q.codes).where("unit", q.unit);
  else if (table === BREACHES) b.whereIn("tenant_code", q.codes);
  else b.whereIn("tenant_code", codes ?? [q.region]).where("unit", ALL_UNITS);
  if (q.fromMonth) b.where("month", ">=", q.fromMonth);
  if (q.toMonth) b.where("month", "<=", q.toMonth);
  return b;
}

const SUMS = ["planned", "awarded", "sme_awarded", "contracted", "paid"];
const COUNTS = ["awards", "sme_awards", "small_awards", "small_sme_awards", "contracts", "payments", "bid_tenders", "bids", "single_bid_tenders"];
const sumCols = (db: Knex) => [...SUMS, ...COUNTS].map((c) => db.raw(`sum(${c}) as ${c}`));
type SumRow = Record<string, string | null>;
const figures = (r: SumRow) => ({ planned: num(r.planned), contracted: num(r.contracted), paid: num(r.paid), awarded: num(r.awarded) });

/** Bids per tender over the awards whose bids were counted, and the share of those with one bid. */
const bidding = (r: SumRow) => {
  const tenders = Number(r.bid_tenders ?? 0);
  return {
    awards: Number(r.awards ?? 0),
    awarded: num(r.awarded),
    tenders,
    bids: Number(r.bids ?? 0),
    meanBids: tenders ? Math.round((Number(r.bids ?? 0) / tenders) * 100) / 100 : null,
    singleBidShare: share(Number(r.single_bid_tenders ?? 0), tenders),
  };
};

/** Each method's share of a group's awards, by count and by value. */
const methodShares = (rows: SumRow[], whole: SumRow) =>
  rows
    .map((r) => ({ method: String(r.method), awards: Number(r.awards ?? 0), awarded: num(r.awarded), countShare: share(Number(r.awards ?? 0), Number(whole.awards ?? 0)), valueShare: share(Number(r.awarded ?? 0), Number(whole.awarded ?? 0)) }))
    .filter((m) => m.awards > 0)
    .sort((a, b) => a.method.localeCompare(b.method));

/** A grouping's competition: its bids and its methods' shares, from the rows of that group by method. */
function competitionBy(groups: SumRow[], byMethod: SumRow[], col: string) {
  return groups.map((g) => ({ [col]: g[col], ...bidding(g), methods: methodShares(byMethod.filter((m) => m[col] === g[col]), g) }));
}

/** The dashboard's figures for a region (or one unit of it), from the aggregate tables only. */
export async function dashboard(db: Knex, region: string, q: DashboardQuery) {
  const tree = tenantTree();
  const children = tree.children(region);
  // one scan of the region's cells for every grouping the page shows, rather than one scan each
  const [sets, byTenant, byUnit, cycles, breaches] = await Promise.all([
    scoped(db, CELLS, q)
      .select(db.raw("grouping(month) as g_month, grouping(method) as g_method, grouping(category) as g_category"), "month", "method", "category", ...sumCols(db))
      .groupByRaw("grouping sets ((), (month), (method), (category), (month, method), (category, method))"),
    q.unit === undefined && children.length
      ? scoped(db, CELLS, q, children.map((c) => c.code)).select(db.raw("grouping(method) as g_method"), "tenant_code", "method", ...sumCols(db)).groupByRaw("grouping sets ((tenant_code), (tenant_code, method))")
      : [],
    db(CELLS).where("tenant_code", region).whereNot("unit", ALL_UNITS).modify((b) => {
      if (q.unit !== undefined) b.where("unit", q.unit);
      if (q.fromMonth) b.where("month", ">=", q.fromMonth);
      if (q.toMonth) b.where("month", "<=", q.toMonth);
    }).groupBy("unit").orderBy("unit").select("unit", ...sumCols(db)),
    scoped(db, CYCLES, q).groupBy("kind", "method", "days").select("kind", "method", "days", db.raw("sum(n)::int as n")),
    scoped(db, BREACHES, q).orderBy([{ column: "done_on", order: "desc" }, { column: "fact_key" }]).limit(BREACH_LIMIT)
      .select("project_id", "tenant_code", "unit", "rule", db.raw("to_char(from_on, 'YYYY-MM-DD') as from_on"), db.raw("to_char(done_on, 'YYYY-MM-DD') as done_on"), "days", "allowed"),
  ]);
  const rows = sets as Array<SumRow & { g_month: number; g_method: number; g_category: number }>;
  type G = "g_month" | "g_method" | "g_category";
  // the rows of one grouping set: these keys grouped, the others not
  const set = (...keys: G[]) => rows.filter((r) => (["g_month", "g_method", "g_category"] as G[]).every((k) => Number(r[k]) === (keys.includes(k) ? 0 : 1)));
  const only = (key: G, col: string) => set(key).sort((x, y) => String(x[col]).localeCompare(String(y[col])));
  const totalsRows = rows.filter((r) => r.g_month === 1 && r.g_method === 1 && r.g_category === 1);
  const byMonth = only("g_month", "month");
  const byMethod = only("g_method", "method");
  const byCategory = only("g_category", "category");
  const t = (totalsRows[0] ?? {}) as SumRow;

  // each child's row holds its whole subtree (ALL_UNITS); a unit's dashboard has no drill-down
  const tenantRows = (byTenant as Array<SumRow & { g_method: number }>).filter((r) => Number(r.g_method) === 1);
  const tenantMethods = (byTenant as Array<SumRow & { g_method: number }>).filter((r) => Number(r.g_method) === 0);
  const sums = new Map(tenantRows.map((r) => [String(r.tenant_code), figures(r)]));
  const regions = new Map(
    (q.unit === undefined ? children : []).map((c) => [c.code, { code: c.code, name: c.name, level: c.level, ...(sums.get(c.code) ?? { planned: 0, contracted: 0, paid: 0, awarded: 0 }) }]),
  )

  const histograms = new Map<string, { kind: CycleKind; method: string; hist: Array<{ days: number; n: number }> }>();
  for (const c of cycles as Array<{ kind: CycleKind; method: string; days: number; n: number }>) {
    const k = `${c.kind}|${c.method}`;
    if (!histograms.has(k)) histograms.set(k, { kind: c.kind, method: c.method, hist: [] });
    histograms.get(k)!.hist.push({ days: c.days, n: c.n });
  }

  const awards = Number(t.awards ?? 0);
  const small = Number(t.small_awards ?? 0);
  return {
    region: regionOf(region),
    unit: q.unit ?? null,
    from: q.fromMonth ?? null,
    to: q.toMonth ?? null,
    totals: { ...figures(t), awards, contracts: Number(t.contracts ?? 0), payments: Number(t.payments ?? 0) },
    byMonth: (byMonth as SumRow[]).map((r) => ({ month: r.month, ...figures(r) })),
    byMethod: (byMethod as SumRow[]).map((r) => ({ method: r.method, ...figures(r) })),
    byCategory: (byCategory as SumRow[]).map((r) => ({ category: r.category, ...figures(r) })),
    byRegion: [...regions.values()],
    byUnit: (byUnit as SumRow[]).map((r) => ({ unit: r.unit, ...figures(r) })),
    sme: {
      awards,
      smeAwards: Number(t.sme_awards ?? 0),
      awardedShare: share(Number(t.sme_awarded ?? 0), Number(t.awarded ?? 0)),
      goal: { rule: "sme.reservedShare", percent: RULES["sme.reservedShare"].value },
      small: { rule: "sme.reservedSmall", atMost: RULES["sme.reservedSmall"].value, awards: small, smeAwards: Number(t.small_sme_awards ?? 0), share: share(Number(t.small_sme_awards ?? 0), small) },
    },
    cycles: [...histograms.values()]
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.method.localeCompare(b.method))
      .map((h) => ({ kind: h.kind, method: h.method, ...percentiles(h.hist) })),
    competition: {
      ...bidding(t),
      singleBidRule: { rule: "tender.minBidders", minimum: RULES["tender.minBidders"].value },
      methods: methodShares(byMethod as SumRow[], t),
      byMonth: competitionBy(byMonth as SumRow[], set("g_month", "g_method"), "month"),
      byCategory: competitionBy(byCategory as SumRow[], set("g_category", "g_method"), "category"),
      byRegion: (q.unit === undefined ? children : []).map((c) => {
        const row = tenantRows.find((r) => r.tenant_code === c.code) ?? {};
        return { code: c.code, name: c.name, ...bidding(row), methods: methodShares(tenantMethods.filter((m) => m.tenant_code === c.code), row) };
      }),
      byUnit: (byUnit as SumRow[]).map((r) => ({ unit: r.unit, ...bidding(r) })),
    },
    breaches: (breaches as Array<Record<string, string | number>>).map((b) => ({
      projectId: b.project_id,
      tenantCode: b.tenant_code,
      unit: b.unit,
      rule: b.rule,
      from: b.from_on,
      done: b.done_on,
      days: Number(b.days),
      allowed: Number(b.allowed),
      unitOfDays: RULES[b.rule as keyof typeof RULES].unit,
      link: `/supervision/projects/${b.project_id}`,
    })),
  };
}

interface DashboardParams {
  region?: unknown;
  from?: unknown;
  to?: unknown;
}

interface BreachRow {
  fact_key: string;
  project_id: string;
  tenant_code: string;
  unit: string;
  rule: keyof typeof RULES;
  from_on: string;
  done_on: string;
  days: number;
  allowed: number;
}

/** By the fact that found the breach: unique, so the export's batches neither skip nor repeat a row. */
const BREACH_ORDER: ListOrder = { name: "analytics.breaches", keys: [{ column: "fact_key", kind: "text" }], direction: "asc" };

/** The export's columns: what the dashboard's table shows, with the rule's id and the project. */
function breachColumns(lang: "zh-CN" | "en"): ExportColumn<BreachRow>[] {
  const region = (code: string) => tenantTree().get(code)?.name[lang] ?? code;
  const unitOf = (r: BreachRow) => (RULES[r.rule]?.unit === "working-days" ? (lang === "en" ? "working days" : "个工作日") : lang === "en" ? "days" : "日");
  return [
    { title: { "zh-CN": "规则", en: "Rule" }, value: (r) => r.rule, width: 22 },
    { title: { "zh-CN": "地区", en: "Region" }, value: (r) => region(r.tenant_code), width: 14 },
    { title: { "zh-CN": "采购单位", en: "Purchasing unit" }, value: (r) => r.unit, width: 28 },
    { title: { "zh-CN": "起算日", en: "Counted from" }, value: (r) => r.from_on, width: 12 },
    { title: { "zh-CN": "完成日", en: "Done on" }, value: (r) => r.done_on, width: 12 },
    { title: { "zh-CN": "用时", en: "Took" }, value: (r) => `${r.days} ${unitOf(r)}`, width: 14 },
    { title: { "zh-CN": "时限", en: "Limit" }, value: (r) => `${r.allowed} ${unitOf(r)}`, width: 14 },
    { title: { "zh-CN": "项目", en: "Project" }, value: (r) => r.project_id, width: 38 },
  ];
}

/** The region and days asked for, every problem added to `problems`. */
function rangeOf(p: DashboardParams, problems: ErrorDetail[]) {
  const raw = single(p.region);
  const region = raw === undefined || raw === "" ? undefined : String(raw ?? "").trim();
  const from = dayParam("from", p.from, problems);
  const to = dayParam("to", p.to, problems);
  if (from && to && from > to) problems.push(fieldError("/to", "range", `结束日期 ${to} 早于开始日期 ${from}`, `to (${to}) is before from (${from})`));
  return { region, from, to };
}

/**
 * A signed-in reader's scope and months, for the dashboard and the flags alike. `refuse` sees the
 * scope before the bad input is reported: who may not read at all is told so, not that a date is wrong.
 */
async function readerQuery(svc: This, ctx: PlatformContext<DashboardParams>, refuse?: (scope: Scope | undefined) => void, problems: ErrorDetail[] = []): Promise<DashboardQuery> {
  const { region, from, to } = rangeOf(ctx.params, problems);
  const scope = await scopeOf(svc, ctx, ctx.meta.user, region, problems);
  refuse?.(scope);
  if (problems.length || !scope) throw validationFailed(problems);
  return { region: scope.region, codes: tenantTree().subtree(scope.region), unit: scope.unit, fromMonth: from?.slice(0, 7), toMonth: to?.slice(0, 7) };
}

/** A region as the answers name it. */
function regionOf(code: string) {
  const tenant = tenantTree().get(code)!;
  return { code: tenant.code, name: tenant.name, level: tenant.level, parent: tenant.parent ?? null };
}

/**
 * The regulator's dashboards (README.md, "Dashboards"): aggregates kept current from the same
 * `analytics.fact` events as the OCDS feed, read by region and month.
 */
export const dashboardsService: PlatformServiceSchema = {
  name: "analytics.dashboards",
  // a bad threshold stops start-up, as a bad ocid prefix does, rather than every fact's handler
  created() {
    flagConfig();
  },
  events: {
    "analytics.fact": onceHandler(CONSUMER, (svc) => (svc as This).db, async function (this: Service, ctx, trx) {
      const fact = factOf(ctx.params);
      if (typeof fact === "string") return; // the feed's handler says why, once
      await aggregateFact(trx, fact);
    }),
  },
  actions: {
    dashboard: {
      rest: "GET /dashboard",
      kind: "read",
      permission: "authenticated",
      async handler(this: This, ctx: PlatformContext<DashboardParams>) {
        const q = await readerQuery(this, ctx);
        return dashboard(this.db, q.region, q);
      },
    },

    // Every breach of the range, not the page's newest 200: streamed as CSV or Excel with the
    // dashboard's region, scope and days (core's exportList: keyset batches, a row limit).
    breaches: {
      rest: "GET /breaches/export",
      kind: "read",
      permission: "authenticated",
      async handler(this: This, ctx: PlatformContext<DashboardParams & { format?: unknown; lang?: unknown }>) {
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const q = await readerQuery(this, ctx, undefined, problems);
        const lang = exportLang(ctx.params.lang);
        return exportList<BreachRow>(ctx, {
          db: this.db,
          query: scoped(this.db, BREACHES, q).select("fact_key", "project_id", "tenant_code", "unit", "rule", this.db.raw("to_char(from_on, 'YYYY-MM-DD') as from_on"), this.db.raw("to_char(done_on, 'YYYY-MM-DD') as done_on"), "days", "allowed"),
          order: BREACH_ORDER,
          columns: breachColumns(lang),
          format,
          lang,
          filename: lang === "en" ? "deadlines-missed" : "时限违规",
          sheet: { "zh-CN": "时限违规", en: "Deadlines missed" },
        });
      },
    },

    // The red flags (README.md, "Red flags"): they name units and cases, so a regulator's only.
    flags: {
      rest: "GET /flags",
      kind: "read",
      permission: "authenticated",
      async handler(this: This, ctx: PlatformContext<DashboardParams>) {
        const q = await readerQuery(this, ctx, (scope) => {
          if (scope?.unit !== undefined) throw new PlatformError("FORBIDDEN", { "zh-CN": "风险提示仅向监管部门开放", en: "The red flags are for regulators" });
        });
        const found = await listFlags(this.db, { codes: q.codes, fromMonth: q.fromMonth, toMonth: q.toMonth });
        return { region: regionOf(q.region), from: q.fromMonth ?? null, to: q.toMonth ?? null, ...found };
      },
    },

    // The portal's open-data page: a region's sums for everyone, with no unit's figures and no
    // breach list (those name units and cases: the regulator's dashboard has them).
    public: {
      rest: "GET /public",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<DashboardParams>) {
        const problems: ErrorDetail[] = [];
        const asked = rangeOf(ctx.params, problems);
        const region = asked.region ?? tenantTree().root().code;
        const { from, to } = asked;
        if (!tenantTree().get(region)) problems.push(fieldError("/region", "tenant", `区划「${region}」不在本平台`, `${JSON.stringify(region)} is not a region of this platform`));
        if (problems.length) throw validationFailed(problems);
        const d = await dashboard(this.db, region, { region, codes: tenantTree().subtree(region), fromMonth: from?.slice(0, 7), toMonth: to?.slice(0, 7) });
        ctx.meta.$responseHeaders = { "Cache-Control": "public, max-age=60" };
        const { byUnit: _units, ...competition } = d.competition;
        return { region: d.region, from: d.from, to: d.to, totals: d.totals, byMonth: d.byMonth, byMethod: d.byMethod, byCategory: d.byCategory, byRegion: d.byRegion, sme: d.sme, cycles: d.cycles, competition };
      },
    },
  },
};
