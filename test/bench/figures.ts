/**
 * The one place where a benchmark's summary (what it writes to BENCH_SUMMARY_FILE through
 * lib.ts's writeSummary) becomes figures: one per thing measured, with its unit, its goal and
 * whether the goal was met, plus the bare library's figure (baseline) and the ratio where the
 * bench measures one in the same run. run-all.ts prints them as its table and, with --json, as
 * one JSON object per line; search.ts --json prints its own through here too.
 *
 * Goals: issue 16's table where it names one (transitions, their ratio to bare transactions,
 * the platform action against bare Moleculer, notification p99, search p99, RSS), else the
 * target the bench itself states (from the issue that asked for it). A figure without a goal
 * has goal null and met null. Figures are reported, never failed on.
 * A new benchmark (a subsystem's own): its file name in BENCHES, its summary's conversion in
 * `convert` (typed by BENCHES, so a missing one does not compile), and a smoke size in run-all.ts.
 */

/** The benchmarks of test/bench/, by file name, in the order `npm run bench` runs them. */
export const BENCHES = ["action-overhead", "cold-start", "accounts-import", "sign-in", "form-validation", "transitions", "notifications", "search", "screening", "opening-hall", "bids", "helpdesk", "evaluation", "emall", "emall-auction", "analytics", "cluster", "options-profile"] as const;
export type BenchName = (typeof BENCHES)[number];

export interface Figure {
  bench: BenchName;
  figure: string;
  /** null when the bench could not take this figure (a part skipped, nothing measured) */
  value: number | null;
  unit: string;
  goal: string | null;
  met: boolean | null;
  /** the bare library's figure, measured in the same run, in the same unit as `value` */
  baseline?: number;
  /** value / baseline (for a rate, how much of the bare library's speed is kept; for a latency, how many times slower) */
  ratio?: number;
  /** why a figure is to be read with care (small data, a skipped part) */
  note?: string;
  /** measured at --smoke sizes: it shows the bench still measures, its value is not comparable with the goal */
  smoke?: true;
}

/** Issue 16's goals for the figures whose bench does not state them itself. */
export const ISSUE_16 = {
  transitionsPerS: 1000,
  transitionsP99Ms: 50,
  transitionsRatio: 0.3,
  rssMb: 500,
  clusterCreationsPerS: 500,
  clusterP99Ms: 100,
} as const;

// Summary shapes, as each bench writes them (only what is read here).
interface ScreeningSummary {
  entries: number;
  bidders: number;
  importS: number;
  bareS: number;
  reimportS: number;
  screenS: number;
  second: { changed: number };
  importTargetS: number;
  screenTargetS: number;
}
interface Rate {
  perS: number;
  p50: number;
  p99: number;
}
interface OverheadSummary {
  inProcess: { platform: number; bare: number; kernelOptions: number; ratio: number; target: number; middlewareRatio: number };
  nats: { platform: number; bare: number; ratio: number; target: number } | { skipped: string };
}
interface ColdStartSummary {
  starts: Array<{ n: number; toHealthyS: number }>;
  laterMedianS: number;
  laterMaxS: number;
  targetLaterS: number;
}
interface AccountsSummary {
  rows: number;
  importRowsPerS: number;
  rerunRowsPerS: number;
  bareRowsPerS: number;
  cliS: number;
  targetS: number;
}
interface SignInSummary {
  platform: number;
  bare: number;
}
interface FormsSummary {
  lines: number;
  engine: number;
  bare: number;
  target: number;
  refusedEngine: number;
  refusedBare: number;
}
interface TransitionsSummary {
  where: string;
  /** with the CPU an answered call cost the node and the server, ms (NaN: the server is elsewhere), if measured */
  platform: Rate & { cpuMs?: { node: number; database: number } };
  bare: Rate & { cpuMs?: { node: number; database: number } };
  /** the engine's calls refused (503: no free database connection, overload) in its measured rounds */
  errors?: number;
  /** the most this process (the node: kernel and callers) held during the engine's rounds, if measured */
  rssMaxMb?: number;
  /** one round with 200 callers (fewer when there are fewer instances), if measured */
  many?: Rate & { callers: number; errors: number };
  /** the audit chain checked after the run, and one entry edited then deleted, if measured */
  audit?: { entries: number; verifyS: number; intact: boolean; edited: boolean; deleted: boolean };
}
/** test/bench/opening-hall.ts */
interface BidsSummary {
  suppliers: number;
  windowMs: number;
  packageBytes: number;
  nodes: number;
  submitted: number;
  accepted: number;
  lost: number;
  late: number;
  refusedAtDeadline: number;
  receiptsVerified: number;
  p50: number;
  p99: number;
  bare: { p50: number; p99: number };
  targetP99Ms: number;
}
interface OpeningHallSummary {
  clients: number;
  events: number;
  platform: { delivered: number; events: number; clients: number; toAllP50: number; toAllP99: number; p99: number };
  bare: { toAllP50: number; toAllP99: number; p99: number };
  targetP99Ms: number;
}
interface NotificationsSummary {
  clients: number;
  notifications: number;
  platformBurst: Rate;
  bareBurst: Rate;
  platformPaced: Rate;
  barePaced: Rate;
  /** the paced phases again, test/bench/transitions.ts running beside them (absent with NOTIFY_BESIDE=0) */
  beside?: { platformPaced: Rate; barePaced: Rate; transitions: { perS: number; throughout: boolean } };
  targetRatio: number;
  targetP99Ms: number;
}
type HelpdeskSummary = import("./helpdesk").HelpdeskSummary;
type AnalyticsSummary = import("./analytics").AnalyticsSummary;
type ClusterSummary = import("./cluster").ClusterSummary;

interface SearchSummary {
  where: string;
  /** seeded small by the bench itself (--smoke), not the province's scale */
  smoke?: boolean;
  goalMs: number;
  figures: Array<{ figure: string; p50: number; p99: number }>;
}
interface EmallSummary {
  offers: number;
  search: { p50: number; p99: number; target: number };
  pageOnlyP99: number;
}
interface AuctionSummary {
  suppliers: number;
  quotes: number;
  windowS: number;
  platform: { toAllP50: number; toAllP99: number; pushes: number; delivered: number };
  bare: { toAllP99: number };
  rankingCorrect: boolean;
  targetP99Ms: number;
}
interface EvaluationSummary {
  experts: number;
  eligible: number;
  drawing: { p50: number; p99: number; target: number };
  scoring?: { saves: number; members: number; bids: number; criteria: number; target: number; platform: { p50: number; p99: number }; bare: { p50: number; p99: number } };
}
interface ProfileSummary {
  bare: number;
  variants: Array<{ label: string; perS: number }>;
}

/** Rounded for reading: ratios and milliseconds to 2 decimals, larger figures to whole units. */
function round(x: number): number {
  return Math.abs(x) >= 100 ? Math.round(x) : Math.round(x * 100) / 100;
}

interface Goal {
  text: string;
  met: (v: number) => boolean;
}

/**
 * One figure. A value or baseline that is not a number at all means the summary lacks the field (a
 * harness error: it throws); NaN or Infinity is a figure the bench could not take (value null).
 * `goal` is judged on the value, `ratioGoal` on value / baseline.
 */
/** Issue 16's row "notification fan-out … while the transition bench runs beside it", and what the transitions did meanwhile. */
function besideFigures(s: NotificationsSummary, b: NonNullable<NotificationsSummary["beside"]>, who: string): Figure[] {
  const note = b.transitions.throughout ? {} : { note: "the transitions bench beside it stopped before the paced phases were done" };
  return [
    { ...figure("notifications", `fan-out to ${who}, paced, p99 commit → client, transitions bench beside it`, b.platformPaced.p99, "ms", { baseline: b.barePaced.p99, goal: below(s.targetP99Ms, `< ${s.targetP99Ms} ms`) }), ...note },
    { ...figure("notifications", "workflow transitions beside the paced fan-out (engine, 50 callers)", b.transitions.perS, "transitions/s"), ...note },
  ];
}

function figure(bench: BenchName, name: string, value: number, unit: string, more: { goal?: Goal; ratioGoal?: Goal; baseline?: number } = {}): Figure {
  if (typeof value !== "number") throw new Error(`"${name}": no value`);
  if ("baseline" in more && typeof more.baseline !== "number") throw new Error(`"${name}": no baseline`);
  const goal = more.goal ?? more.ratioGoal;
  const out: Figure = { bench, figure: name, value: Number.isFinite(value) ? round(value) : null, unit, goal: goal?.text ?? null, met: null };
  const baseline = more.baseline;
  const ratio = baseline !== undefined && baseline > 0 ? value / baseline : NaN;
  if (out.value !== null && Number.isFinite(ratio)) {
    out.baseline = round(baseline!);
    out.ratio = Math.round(ratio * 100) / 100;
  }
  if (more.goal && out.value !== null) out.met = more.goal.met(value);
  if (more.ratioGoal && out.ratio !== undefined) out.met = more.ratioGoal.met(ratio);
  return out;
}

const atLeast = (n: number, text: string): Goal => ({ text, met: (v) => v >= n });
const below = (n: number, text: string): Goal => ({ text, met: (v) => v < n });
const atMost = (n: number, text: string): Goal => ({ text, met: (v) => v <= n });
const thousands = (n: number) => n.toLocaleString("en-US");

const convert: Record<BenchName, (s: never) => Figure[]> = {
  "action-overhead": (s: OverheadSummary) => {
    const ip = s.inProcess;
    const out = [
      figure("action-overhead", "platform action, in-process, 100 in flight", ip.platform, "calls/s", { baseline: ip.bare, ratioGoal: atLeast(ip.target, `≥ ${ip.target}× bare Moleculer`) }),
      figure("action-overhead", "bare Moleculer + the kernel's broker options, in-process", ip.kernelOptions, "calls/s", { baseline: ip.bare }),
    ];
    const n = s.nats;
    const overNats = "platform action over NATS, 100 in flight";
    if ("skipped" in n) out.push({ ...figure("action-overhead", overNats, NaN, "calls/s"), note: n.skipped });
    else out.push(figure("action-overhead", overNats, n.platform, "calls/s", { baseline: n.bare, ratioGoal: atLeast(n.target, `≥ ${n.target}× bare Moleculer`) }));
    return out;
  },
  "cold-start": (s: ColdStartSummary) => [
    figure("cold-start", "first start, initdb included, to the first 200 of /api/health", s.starts[0]?.toHealthyS, "s"),
    figure("cold-start", "later starts, median", s.laterMedianS, "s"),
    figure("cold-start", "later starts, slowest", s.laterMaxS, "s", { goal: below(s.targetLaterS, `< ${s.targetLaterS} s`) }),
  ],
  "accounts-import": (s: AccountsSummary) => [
    figure("accounts-import", `importAccounts, ${thousands(s.rows)} new rows`, s.importRowsPerS, "rows/s", { baseline: s.bareRowsPerS }),
    figure("accounts-import", `importAccounts, the same ${thousands(s.rows)} rows again`, s.rerunRowsPerS, "rows/s", { baseline: s.bareRowsPerS }),
    figure("accounts-import", `the command end to end, ${thousands(s.rows)} rows`, s.cliS, "s", { goal: below(s.targetS, `< ${s.targetS} s`) }),
  ],
  "sign-in": (s: SignInSummary) => [figure("sign-in", "POST /api/auth/login against argon2.verify", s.platform, "sign-ins/s", { baseline: s.bare })],
  "form-validation": (s: FormsSummary) => [
    figure("form-validation", `valid ${s.lines}-line plan, engine against bare ajv`, s.engine, "validations/s", { baseline: s.bare, ratioGoal: atLeast(s.target, `≥ ${s.target}× bare ajv`) }),
    figure("form-validation", `${s.lines}-line plan with one bad line, engine (with details) against bare ajv`, s.refusedEngine, "refusals/s", { baseline: s.refusedBare }),
  ],
  transitions: (s: TransitionsSummary) => {
    const { platform: p, bare: b } = s;
    const out = [
      figure("transitions", `workflow transitions, 50 callers (${s.where})`, p.perS, "transitions/s", { baseline: b.perS, goal: atLeast(ISSUE_16.transitionsPerS, `≥ ${thousands(ISSUE_16.transitionsPerS)}/s`) }),
      figure("transitions", "workflow transitions, p99 latency", p.p99, "ms", { baseline: b.p99, goal: below(ISSUE_16.transitionsP99Ms, `< ${ISSUE_16.transitionsP99Ms} ms`) }),
      // the ratio has a goal of its own (issue 16's second row), so it is a figure of its own too
      figure("transitions", "workflow transitions against bare knex transactions of the same rows", p.perS, "transitions/s", { baseline: b.perS, ratioGoal: atLeast(ISSUE_16.transitionsRatio, `≥ ${ISSUE_16.transitionsRatio}× bare`) }),
    ];
    if (s.errors !== undefined) out.push(figure("transitions", "workflow transitions refused (503), all measured rounds", s.errors, "calls", { goal: atMost(0, "0") }));
    if (s.many) {
      out.push(figure("transitions", `workflow transitions, ${s.many.callers} callers`, s.many.perS, "transitions/s"));
      out.push(figure("transitions", `workflow transitions, ${s.many.callers} callers, p99 latency`, s.many.p99, "ms"));
      out.push(figure("transitions", `workflow transitions with ${s.many.callers} callers refused for want of a connection (pool timeouts)`, s.many.errors, "calls", { goal: atMost(0, "0") }));
    }
    if (p.cpuMs && b.cpuMs) {
      out.push(figure("transitions", "CPU a transition, the node (the bare variant: knex in the same process)", p.cpuMs.node, "ms", { baseline: b.cpuMs.node }));
      out.push(figure("transitions", "CPU a transition, PostgreSQL", p.cpuMs.database, "ms", { baseline: b.cpuMs.database }));
    }
    if (s.audit) {
      const a = s.audit;
      out.push(figure("transitions", "audit entries sealed and verified after the run", a.entries, "entries", { goal: { text: "chain intact", met: () => a.intact } }));
      out.push(figure("transitions", "audit verification after the run, whole chain", a.verifyS, "s"));
      out.push(figure("transitions", "tampered entries found and named (one edited, one deleted)", Number(a.edited) + Number(a.deleted), "of 2", { goal: atLeast(2, "2 of 2") }));
    }
    if (s.rssMaxMb !== undefined) out.push(figure("transitions", "the node's RSS during the engine's rounds, most", s.rssMaxMb, "MB", { goal: below(ISSUE_16.rssMb, `< ${ISSUE_16.rssMb} MB`) }));
    return out;
  },
  notifications: (s: NotificationsSummary) => {
    const who = `${thousands(s.clients)} clients`;
    return [
      figure("notifications", `fan-out to ${who}, paced, p99 commit → client`, s.platformPaced.p99, "ms", { baseline: s.barePaced.p99, goal: below(s.targetP99Ms, `< ${s.targetP99Ms} ms`) }),
      figure("notifications", `fan-out to ${who} × ${s.notifications}, burst, against bare socket.io`, s.platformBurst.perS, "deliveries/s", { baseline: s.bareBurst.perS, ratioGoal: atLeast(s.targetRatio, `≥ ${s.targetRatio}× bare socket.io`) }),
      figure("notifications", `fan-out to ${who}, burst, p99 commit → client`, s.platformBurst.p99, "ms", { baseline: s.bareBurst.p99 }),
      ...(s.beside ? besideFigures(s, s.beside, who) : []),
    ];
  },
  search: (s: SearchSummary) => {
    const goal = below(s.goalMs, `p99 < ${s.goalMs} ms`);
    const note = s.smoke ? { note: `small data, not the province's scale: ${s.where}` } : {};
    // page by page number stays for the web app's pager, not for depth: no goal of its own
    const out = s.figures.map((f) => ({ ...figure("search", f.figure, f.p99, "ms p99", f.figure.includes("(OFFSET)") ? {} : { goal }), ...note }));
    const first = s.figures.find((f) => f.figure === "notices: page 1");
    const deep = s.figures.find((f) => f.figure.startsWith("notices:") && f.figure.includes("by cursor"));
    // a latency: the ratio is how many times slower the deep page is, and "as fast as page 1" allows some slack
    if (first && deep) out.push({ ...figure("search", "notices: deep page by cursor against page 1", deep.p99, "ms p99", { baseline: first.p99, ratioGoal: atMost(1.5, "≤ 1.5× page 1 (as fast)") }), ...note });
    return out;
  },
  screening: (s: ScreeningSummary) => [
    figure("screening", `import a ${thousands(s.entries)}-entry list (CSV, checked, diffed, versioned) against bare array INSERTs`, s.importS, "s", { baseline: s.bareS, goal: below(s.importTargetS, `< ${s.importTargetS} s`) }),
    figure("screening", `the same list again, 1 % changed (${thousands(s.second.changed)} changed)`, s.reimportS, "s", { goal: below(s.importTargetS, `< ${s.importTargetS} s`) }),
    figure("screening", `screen ${thousands(s.bidders)} bidders at the cutoff against ${thousands(s.entries)} entries`, s.screenS, "s", { goal: below(s.screenTargetS, `< ${s.screenTargetS} s`) }),
  ],
  bids: (s: BidsSummary) => {
    const what = `${thousands(s.suppliers)} sealed bids (${Math.round(s.packageBytes / 1024)} KB) in the last ${s.windowMs / 1000} s, ${s.nodes} nodes on NATS`;
    return [
      figure("bids", `${what}: submitted`, s.submitted, "bids"),
      figure("bids", `${what}: accepted`, s.accepted, "bids"),
      figure("bids", `${what}: refused at the deadline (arrived after it by server time)`, s.refusedAtDeadline, "bids"),
      figure("bids", `${what}: lost (answered 201, not stored)`, s.lost, "bids", { goal: atMost(0, "0") }),
      figure("bids", `${what}: accepted late`, s.late, "bids", { goal: atMost(0, "0") }),
      figure("bids", `${what}: receipts not verified with the receipt key`, s.accepted - s.receiptsVerified, "receipts", { goal: atMost(0, "0") }),
      figure("bids", `${what}: p50, against a bare knex insert of the same row`, s.p50, "ms", { baseline: s.bare.p50 }),
      figure("bids", `${what}: p99, against a bare knex insert of the same row`, s.p99, "ms", { baseline: s.bare.p99, goal: below(s.targetP99Ms, `< ${s.targetP99Ms} ms`) }),
    ];
  },
  "opening-hall": (s: OpeningHallSummary) => {
    const who = `${thousands(s.clients)} bidders in one hall`;
    return [
      figure("opening-hall", `announcement to all ${who}, p50 (request start → last client)`, s.platform.toAllP50, "ms", { baseline: s.bare.toAllP50 }),
      figure("opening-hall", `announcement to all ${who}, p99 (request start → last client)`, s.platform.toAllP99, "ms", { baseline: s.bare.toAllP99, goal: below(s.targetP99Ms, `< ${s.targetP99Ms} ms`) }),
      figure("opening-hall", `announcements lost, ${s.platform.events} × ${thousands(s.clients)}`, s.platform.events * s.platform.clients - s.platform.delivered, "deliveries", { goal: atMost(0, "0") }),
    ];
  },
  helpdesk: (s: HelpdeskSummary) => [
    figure("helpdesk", `evaluation set, top-1 accuracy (${s.answerable} answerable questions)`, s.top1 * 100, "%", { goal: atLeast(s.goals.top1 * 100, `≥ ${s.goals.top1 * 100} %`) }),
    figure("helpdesk", "evaluation set, top-3 accuracy", s.top3 * 100, "%", { goal: atLeast(s.goals.top3 * 100, `≥ ${s.goals.top3 * 100} %`) }),
    figure("helpdesk", `evaluation set, unanswerable handed over (${s.unanswerable} questions)`, s.handover * 100, "%", { goal: atLeast(s.goals.handover * 100, `≥ ${s.goals.handover * 100} %`) }),
    figure("helpdesk", `POST /api/helpdesk/ask, ${s.users} users at once (each reading an answer ${s.thinkMs} ms), p99, against the retrieval alone`, s.p99, "ms", { baseline: s.bareP99, goal: below(s.goals.p99Ms, `< ${s.goals.p99Ms} ms`) }),
  ],
  evaluation: (s: EvaluationSummary) => [
    figure("evaluation", `drawing 7 of ${thousands(s.experts)} experts with conflict exclusion (${thousands(s.eligible)} eligible)`, s.drawing.p99, "ms p99", { goal: below(s.drawing.target, `< ${s.drawing.target} ms`) }),
    ...(s.scoring
      ? [figure("evaluation", `score save, ${s.scoring.members} members × ${s.scoring.bids} bids × ${s.scoring.criteria} criteria at once, against a bare knex upsert`, s.scoring.platform.p99, "ms p99", { baseline: s.scoring.bare.p99, goal: below(s.scoring.target, `< ${s.scoring.target} ms`) })]
      : []),
  ],
  emall: (s: EmallSummary) => [
    figure("emall", `catalogue search with facets over ${thousands(s.offers)} offers (brand, attribute, model, category + price, region + pavilion, all; the page without facets beneath)`, s.search.p99, "ms p99", { baseline: s.pageOnlyP99, goal: below(s.search.target, `< ${s.search.target} ms`) }),
  ],
  "emall-auction": (s: AuctionSummary) => [
    figure("emall-auction", `reverse auction, ${thousands(s.suppliers)} suppliers quoting in the last ${s.windowS} s (${thousands(s.quotes)} quotes): acceptance → every participant sees the lowest, p99, against bare socket.io`, s.platform.toAllP99, "ms", { baseline: s.bare.toAllP99, goal: below(s.targetP99Ms, `< ${s.targetP99Ms} ms`) }),
    figure("emall-auction", "lowest-price pushes lost", s.platform.pushes * s.suppliers - s.platform.delivered, "deliveries", { goal: atMost(0, "0") }),
    figure("emall-auction", "final ranking wrong (last quote of each, lowest, earliest)", s.rankingCorrect ? 0 : 1, "rankings", { goal: atMost(0, "0") }),
  ],
  analytics: (s: AnalyticsSummary) => [
    figure("analytics", `GET /api/analytics/dashboard over the aggregates of ${thousands(s.projects)} projects (province, eleven months, a city, a county's quarter), against the province totals' bare SQL`, s.dashboard.p99, "ms p99", { baseline: s.bareP99, goal: below(s.dashboard.target, `< ${s.dashboard.target} ms`) }),
    figure("analytics", "analytics.fact through the aggregates' handler (outbox to tables)", s.factsPerS, "facts/s"),
  ],
  cluster: (s: ClusterSummary) => {
    const p = s.platform;
    const what = `${s.nodes} nodes on NATS (${s.where}), ${s.callers} concurrent intention creations over the gateways`;
    const out = [
      figure("cluster", `${what}, no fault, against bare knex transactions of the same rows`, p.perS, "creations/s", { baseline: s.bare.perS, goal: atLeast(ISSUE_16.clusterCreationsPerS, `≥ ${ISSUE_16.clusterCreationsPerS}/s`) }),
      figure("cluster", `${what}, no fault, p99 latency`, p.p99, "ms", { baseline: s.bare.p99, goal: below(ISSUE_16.clusterP99Ms, `< ${ISSUE_16.clusterP99Ms} ms`) }),
      figure("cluster", `${what}, no fault: refused (503, timeouts)`, p.refused, "requests", { goal: atMost(0, "0") }),
      figure("cluster", "no fault: committed though answered as failed", p.committedUnanswered, "rows", { goal: atMost(0, "0") }),
      figure("cluster", `no fault: a second row after ${thousands(p.retried)} keys sent again, or another answer`, p.duplicates + p.retryMismatches, "rows", { goal: atMost(0, "0") }),
      // what bounds the rate on a small machine: cores × 1000 / this is the most it can create per second
      figure("cluster", "CPU per creation, the nodes and PostgreSQL together, against the bare transaction's (knex and PostgreSQL)", p.cpuPerCreationMs.nodes + p.cpuPerCreationMs.database, "ms", { baseline: s.bare.cpuPerCreationMs.bench + s.bare.cpuPerCreationMs.database }),
    ];
    const k = s.kill;
    if (k) {
      out.push(figure("cluster", "one node killed a quarter of the way in: lost (answered 201, not stored) or committed though answered as failed", k.lost + k.committedUnanswered, "rows", { goal: atMost(0, "0") }));
      out.push(figure("cluster", `one node killed: a second row after ${thousands(k.retried)} keys sent again, or another answer`, k.duplicates + k.retryMismatches, "rows", { goal: atMost(0, "0") }));
      out.push(figure("cluster", `one node killed: refused by the surviving nodes (of ${thousands(k.survivorsSent)})`, k.survivorsRefused, "requests"));
      out.push(figure("cluster", "one node killed: creations", k.perS, "creations/s"));
    }
    return out;
  },
  "options-profile": (s: ProfileSummary) => s.variants.map((v) => figure("options-profile", v.label, v.perS, "calls/s", { baseline: s.bare })),
};

export function isBench(name: string): name is BenchName {
  return (BENCHES as readonly string[]).includes(name);
}

/**
 * A bench's summary as figures. Throws when the summary does not have the shape its bench writes
 * (a bench changed without this file): that is a harness error, not a low figure.
 */
export function figuresOf(bench: BenchName, summary: unknown): Figure[] {
  if (!summary || typeof summary !== "object") throw new Error(`${bench}: its summary is not an object`);
  try {
    return (convert[bench] as (s: unknown) => Figure[])(summary);
  } catch (err) {
    throw new Error(`${bench}: its summary does not have the shape figures.ts reads (${(err as Error).message})`);
  }
}

/** One JSON object per line, as `npm run bench -- --json` prints them. */
export function jsonLines(figures: Figure[]): string {
  return figures.map((f) => JSON.stringify(f) + "\n").join("");
}
