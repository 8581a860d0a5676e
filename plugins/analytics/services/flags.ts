import type { Knex } from "knex";
import { daysBetween } from "../../../core/sdk";
import { ALL_UNITS, CELLS, RULES } from "./tables";
import { METHOD_MAP, type Fact, type Invitation, type Method } from "./ocds-builder";

export const FLAGS = "analytics_agg_flags";
export const WINS = "analytics_agg_wins";

export type FlagId = "single-bid" | "short-tender-period" | "repeat-winner" | "non-competitive-share" | "contract-above-award";

interface FlagDefinition {
  title: { "zh-CN": string; en: string };
  /** what the flag means, plainly, for the regulator reading the table */
  explanation: { "zh-CN": string; en: string };
  /** where it comes from: a rule of statutory-rules.json, or an idea of the OCP red-flag guide */
  source: { rule?: string; ocds?: string };
}

/**
 * The red flags, after the Open Contracting Partnership's guide ("Red flags for integrity", 2016 and
 * its 2024 revision): each raised from the facts alone, each pointing at the projects behind it. A flag
 * is a reason to look, not a finding.
 */
export const FLAG_DEFINITIONS: Record<FlagId, FlagDefinition> = {
  "single-bid": {
    title: { "zh-CN": "公开竞争的项目只有一家投标", en: "A single bid in an open procedure" },
    explanation: {
      "zh-CN": "项目以公告方式公开邀请供应商，却只收到一份投标或响应。公开招标不足 3 家投标时依法应当废标重招（tender.minBidders）；只有一家参与往往说明条件限制了竞争或有意回避竞争。",
      en: "The procedure invited suppliers by public notice, yet only one bid came in. An open tender with fewer than 3 bids must be re-tendered (tender.minBidders); a lone bidder often means the terms kept competitors out.",
    },
    source: { rule: "tender.minBidders", ocds: "Single bid received (OCP red flags: competition)" },
  },
  "short-tender-period": {
    title: { "zh-CN": "投标（响应）期限短于法定最短期限", en: "Bidding period shorter than the statutory minimum" },
    explanation: {
      "zh-CN": "从文件发出到投标（响应）截止的时间少于该采购方式的法定最短期限，潜在供应商来不及准备，竞争因此受限。",
      en: "The time from issuing the documents to the bid deadline is shorter than the law's minimum for the method, so suppliers had too little time to prepare.",
    },
    source: { rule: "tender.biddingPeriod, negotiation.docPeriod, consultation.docPeriod, inquiry.docPeriod", ocds: "Short submission period (OCP red flags: tender)" },
  },
  "repeat-winner": {
    title: { "zh-CN": "同一采购人反复授予同一供应商", en: "The same supplier repeatedly wins with one purchaser" },
    explanation: {
      "zh-CN": "12 个月内，同一采购单位把 {n} 个以上项目授予同一家供应商。这可能是正常的专业分工，也可能是量身定制或串通的迹象，值得核查。",
      en: "Within 12 months one purchasing unit awarded {n} or more projects to the same supplier. It may be honest specialisation, or a sign of tailored terms or collusion: worth a look.",
    },
    source: { ocds: "Repeated awards to the same supplier by one buyer (OCP red flags: award)" },
  },
  "non-competitive-share": {
    title: { "zh-CN": "非竞争性采购方式占比过高", en: "High share of non-competitive methods" },
    explanation: {
      "zh-CN": "该采购单位以单一来源、电子卖场直接订购、定点采购等非竞争方式授予的项目，占其全部授予项目的 {percent}% 以上。公开招标是政府采购的主要方式（政府采购法第二十六条）。",
      en: "More than {percent}% of this purchasing unit's awards used a non-competitive method (single source, e-mall direct order, designated point). Open tender is the main method of government procurement (Government Procurement Law art. 26).",
    },
    source: { ocds: "High use of non-competitive methods (OCP red flags: planning)" },
  },
  "contract-above-award": {
    title: { "zh-CN": "合同金额高于中标（成交）金额", en: "Contract value above the award value" },
    explanation: {
      "zh-CN": "签订的合同金额超过了公告的中标（成交）金额。合同不得对中标结果作实质性修改，超出部分需要有合法依据。",
      en: "The contract signed is worth more than the award published. A contract may not substantially change the award; the difference needs a lawful basis.",
    },
    source: { ocds: "Contract value higher than the award value (OCP red flags: contract)" },
  },
};

/** Methods that let one supplier be chosen without competition (OCDS `direct`, or none at all). */
export const NON_COMPETITIVE: Method[] = ["single-source", "emall-direct", "designated-point"];

export interface FlagConfig {
  /** awards by one purchaser to one supplier within 12 months that raise `repeat-winner` */
  repeatWins: number;
  /** a purchaser's share of non-competitive awards, in percent, above which `non-competitive-share` is raised */
  nonCompetitivePercent: number;
  /** a purchaser's awards below which no share is judged: one direct award of one is no pattern */
  nonCompetitiveMinAwards: number;
}

/**
 * The deployment's thresholds (README.md, "Red flags"). Read when used, so a restart with new values
 * applies them: repeated wins to the awards heard from then on, the share to every query.
 */
export function flagConfig(env: NodeJS.ProcessEnv = process.env): FlagConfig {
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max}; got ${JSON.stringify(raw)}`);
    return n;
  };
  return {
    repeatWins: int("ANALYTICS_FLAG_REPEAT_WINS", 3, 2, 100),
    nonCompetitivePercent: int("ANALYTICS_FLAG_NON_COMPETITIVE_PERCENT", 50, 1, 99),
    nonCompetitiveMinAwards: int("ANALYTICS_FLAG_NON_COMPETITIVE_MIN_AWARDS", 5, 1, 10_000),
  };
}

const text = (v: unknown) => (typeof v === "string" ? v.trim() : "");
const isMethod = (m: string): m is Method => m in METHOD_MAP;

/** Open to any supplier who reads the notice: OCDS `open` for the method and the invitation. */
export function isOpenProcedure(method: string, invitation: unknown): boolean {
  if (!isMethod(method)) return false;
  const inv = text(invitation) as Invitation;
  return METHOD_MAP[method].code(inv || undefined) === "open";
}

/** The statutory minimum period of a method's notice, from statutory-rules.json; none for methods with no notice period. */
export function periodRule(method: string): { id: keyof typeof RULES; value: number; unit: "working-days" | "calendar-days" } | undefined {
  for (const [id, r] of Object.entries(RULES)) {
    const methods = (r as { methods?: string[] }).methods;
    if (methods?.includes(method)) return { id: id as keyof typeof RULES, value: r.value, unit: r.unit as "working-days" | "calendar-days" };
  }
  return undefined;
}

async function raise(trx: Knex.Transaction, key: string, row: { flag: FlagId; tenant_code: string; unit: string; month: string; project_ids: string[]; evidence: Record<string, unknown> }): Promise<void> {
  await trx.raw(
    `insert into ${FLAGS} (flag_key, flag, tenant_code, unit, month, project_ids, evidence) values (?, ?, ?, ?, ?, ?::uuid[], ?::jsonb)
     on conflict (flag_key) do update set month = excluded.month, project_ids = excluded.project_ids, evidence = excluded.evidence`,
    [key, row.flag, row.tenant_code, row.unit, row.month, row.project_ids, JSON.stringify(row.evidence)],
  );
}
const lower = (trx: Knex.Transaction, key: string) => trx(FLAGS).where({ flag_key: key }).delete();

interface Where {
  tenant_code: string;
  unit: string;
}

/** A single bid where anybody could have bid: raised by the award that counts the bids. */
export async function checkSingleBid(trx: Knex.Transaction, f: Fact, p: Where, method: string, bidders: number | undefined, awardOn: string): Promise<void> {
  if (bidders !== 1 || !isOpenProcedure(method, f.data.invitation)) return;
  await raise(trx, `single-bid|${f.projectId}`, {
    flag: "single-bid",
    ...p,
    month: awardOn.slice(0, 7),
    project_ids: [f.projectId],
    evidence: { method, bidders, awardDate: awardOn, minimum: RULES["tender.minBidders"].value, rule: "tender.minBidders" },
  });
}

/**
 * The tender period of the latest notice (a corrigendum moves the deadline): raised when it is short
 * of the method's minimum, lowered when a later notice gives enough time.
 */
export async function checkTenderPeriod(trx: Knex.Transaction, f: Fact, p: Where, method: string, periodAt: string | null, from: string, to: string): Promise<string | null> {
  if (periodAt && Date.parse(periodAt) > Date.parse(f.at)) return periodAt; // an older notice, heard late
  const rule = periodRule(method);
  const key = `short-tender-period|${f.projectId}`;
  if (!rule) return f.at;
  const days = daysBetween(from, to, rule.unit);
  if (days >= rule.value) await lower(trx, key);
  else await raise(trx, key, { flag: "short-tender-period", ...p, month: from.slice(0, 7), project_ids: [f.projectId], evidence: { method, rule: rule.id, from, to, days, minimum: rule.value, unitOfDays: rule.unit } });
  return f.at;
}

/** The contract against the award, whichever of the two is heard last. */
export async function checkContractAboveAward(trx: Knex.Transaction, projectId: string, p: Where, awarded: string | null, contracted: string | null, month: string): Promise<void> {
  const key = `contract-above-award|${projectId}`;
  if (awarded === null || contracted === null) return;
  const a = Number(awarded);
  const c = Number(contracted);
  if (!(a > 0) || c <= a) {
    await lower(trx, key);
    return;
  }
  await raise(trx, key, { flag: "contract-above-award", ...p, month, project_ids: [projectId], evidence: { awarded: a, contracted: c, excessPercent: Math.round(((c - a) / a) * 1000) / 10 } });
}

const plusMonths = (day: string, n: number) => {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + n);
  return d.toISOString().slice(0, 10);
};

/**
 * Keeps the award (once a project) and looks at the purchaser's awards to that supplier in the
 * 12 months either side: the flag is raised for the densest 12-month window when it holds N or more,
 * and names those projects. Awards heard out of order land in the same windows.
 */
export async function checkRepeatWinner(trx: Knex.Transaction, f: Fact, p: Where, supplier: string, method: string, awardOn: string): Promise<void> {
  if (!supplier || !p.unit) return;
  const { rows } = await trx.raw(`insert into ${WINS} (project_id, tenant_code, unit, supplier, method, award_on) values (?, ?, ?, ?, ?, ?) on conflict (project_id) do nothing returning project_id`, [f.projectId, p.tenant_code, p.unit, supplier, method, awardOn]);
  if (!rows.length) return;
  const n = flagConfig().repeatWins;
  const wins = (await trx(WINS)
    .where({ tenant_code: p.tenant_code, unit: p.unit, supplier })
    .whereBetween("award_on", [plusMonths(awardOn, -12), plusMonths(awardOn, 12)])
    .orderBy([{ column: "award_on" }, { column: "project_id" }])
    .select("project_id", trx.raw("to_char(award_on, 'YYYY-MM-DD') as award_on"))) as Array<{ project_id: string; award_on: string }>;
  let best: typeof wins = [];
  for (let i = 0, j = 0; j < wins.length; j++) {
    // a window of 12 months: from one award to the day before the same day a year later
    while (plusMonths(wins[i].award_on, 12) <= wins[j].award_on) i++;
    if (j - i + 1 > best.length) best = wins.slice(i, j + 1);
  }
  if (best.length < n) return;
  await raise(trx, `repeat-winner|${p.tenant_code}|${p.unit}|${supplier}`, {
    flag: "repeat-winner",
    ...p,
    month: best[best.length - 1].award_on.slice(0, 7),
    project_ids: best.map((w) => w.project_id),
    evidence: { supplier, wins: best.length, threshold: n, withinMonths: 12, first: best[0].award_on, last: best[best.length - 1].award_on },
  });
}

export interface FlagsQuery {
  codes: string[];
  fromMonth?: string;
  toMonth?: string;
}

/** Flags listed at most, newest first: the table links to cases, it is not an export. */
export const FLAG_LIMIT = 500;
/** Projects linked from a purchaser's share flag at most: the newest non-competitive awards. */
const SHARE_LINKS = 20;

export interface FlagOut {
  id: string;
  flag: FlagId;
  title: FlagDefinition["title"];
  explanation: FlagDefinition["explanation"];
  source: FlagDefinition["source"];
  tenantCode: string;
  unit: string;
  month: string;
  evidence: Record<string, unknown>;
  projects: Array<{ projectId: string; link: string }>;
}

const fill = (s: string, vars: Record<string, string | number>) => s.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? `{${k}}`));
const link = (projectId: string) => ({ projectId, link: `/supervision/projects/${projectId}` });

function out(flag: FlagId, row: { flag_key: string; tenant_code: string; unit: string; month: string; project_ids: string[]; evidence: Record<string, unknown> }, vars: Record<string, string | number>): FlagOut {
  const def = FLAG_DEFINITIONS[flag];
  return {
    id: row.flag_key,
    flag,
    title: def.title,
    explanation: { "zh-CN": fill(def.explanation["zh-CN"], vars), en: fill(def.explanation.en, vars) },
    source: def.source,
    tenantCode: row.tenant_code,
    unit: row.unit,
    month: row.month,
    evidence: row.evidence,
    projects: row.project_ids.map(link),
  };
}

/**
 * The flags of a region's subtree in a range of months: those raised as facts came, and each
 * purchaser's share of non-competitive awards, summed from its cells for the range asked.
 */
export async function listFlags(db: Knex, q: FlagsQuery): Promise<{ flags: FlagOut[]; counts: Record<FlagId, number>; config: FlagConfig }> {
  const cfg = flagConfig();
  const months = (b: Knex.QueryBuilder, col = "month") => {
    if (q.fromMonth) b.where(col, ">=", q.fromMonth);
    if (q.toMonth) b.where(col, "<=", q.toMonth);
  };
  const [raised, shares] = await Promise.all([
    db(FLAGS).whereIn("tenant_code", q.codes).modify(months).orderBy([{ column: "month", order: "desc" }, { column: "flag_key" }]).limit(FLAG_LIMIT)
      .select("flag_key", "flag", "tenant_code", "unit", "month", db.raw("project_ids::text[] as project_ids"), "evidence"),
    db(CELLS).whereIn("tenant_code", q.codes).whereNot("unit", ALL_UNITS).modify(months).groupBy("tenant_code", "unit")
      .select("tenant_code", "unit", db.raw("sum(awards)::int as awards"), db.raw("(sum(awards) filter (where method = any(?)))::int as direct", [NON_COMPETITIVE]))
      .havingRaw("sum(awards) >= ? and (sum(awards) filter (where method = any(?))) * 100 > ? * sum(awards)", [cfg.nonCompetitiveMinAwards, NON_COMPETITIVE, cfg.nonCompetitivePercent]),
  ]);
  const flags: FlagOut[] = [];
  for (const s of shares as Array<{ tenant_code: string; unit: string; awards: number; direct: number }>) {
    const projects = (await db(WINS).where({ tenant_code: s.tenant_code, unit: s.unit }).whereIn("method", NON_COMPETITIVE)
      .modify((b) => {
        if (q.fromMonth) b.where("award_on", ">=", `${q.fromMonth}-01`);
        if (q.toMonth) b.where("award_on", "<", plusMonths(`${q.toMonth}-01`, 1));
      })
      .orderBy("award_on", "desc").limit(SHARE_LINKS).pluck("project_id")) as string[];
    const share = Math.round((s.direct / s.awards) * 1000) / 10;
    flags.push(out("non-competitive-share", {
      flag_key: `non-competitive-share|${s.tenant_code}|${s.unit}`,
      tenant_code: s.tenant_code,
      unit: s.unit,
      month: q.toMonth ?? "",
      project_ids: projects,
      evidence: { awards: s.awards, nonCompetitive: s.direct, share, threshold: cfg.nonCompetitivePercent, minAwards: cfg.nonCompetitiveMinAwards, methods: NON_COMPETITIVE },
    }, { percent: cfg.nonCompetitivePercent }));
  }
  for (const r of raised as Array<{ flag_key: string; flag: FlagId; tenant_code: string; unit: string; month: string; project_ids: string[]; evidence: Record<string, unknown> }>) {
    flags.push(out(r.flag, r, { n: Number(r.evidence.threshold ?? cfg.repeatWins), percent: cfg.nonCompetitivePercent }));
  }
  const counts = Object.fromEntries(Object.keys(FLAG_DEFINITIONS).map((k) => [k, flags.filter((f) => f.flag === k).length])) as Record<FlagId, number>;
  return { flags, counts, config: cfg };
}
