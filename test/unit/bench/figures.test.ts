/**
 * figures.ts: each benchmark's summary (the shape its bench writes to BENCH_SUMMARY_FILE) in,
 * the JSON lines of `npm run bench -- --json` out, with goal, met, baseline and ratio (issue 16).
 */
import { BENCHES, ISSUE_16, figuresOf, jsonLines, type Figure } from "../../bench/figures";

const transitions = (perS: number, p99: number, barePerS: number, errors = 0) => ({
  where: "embedded PostgreSQL",
  platform: { perS, p50: p99 / 3, p99, n: perS * 5 },
  bare: { perS: barePerS, p50: 20, p99: 60, n: barePerS * 5 },
  ratio: perS / barePerS,
  errors,
  rssMaxMb: 312.4,
});

const byName = (figures: Figure[], part: string) => {
  const f = figures.find((x) => x.figure.includes(part));
  if (!f) throw new Error(`no figure "${part}" in ${figures.map((x) => x.figure).join(" | ")}`);
  return f;
};

describe("figuresOf", () => {
  it("transitions: issue 16's goals (≥ 1,000/s, p99 < 50 ms, ≥ 0.3× bare, RSS < 500 MB), with the bare transactions as baseline", () => {
    const figures = figuresOf("transitions", transitions(1234.5, 41.27, 3000));
    expect(byName(figures, "50 callers")).toEqual({
      bench: "transitions",
      figure: "workflow transitions, 50 callers (embedded PostgreSQL)",
      value: 1235,
      unit: "transitions/s",
      goal: "≥ 1,000/s",
      met: true,
      baseline: 3000,
      ratio: 0.41,
    });
    expect(byName(figures, "p99")).toMatchObject({ value: 41.27, unit: "ms", goal: `< ${ISSUE_16.transitionsP99Ms} ms`, met: true, baseline: 60 });
    expect(byName(figures, "against bare knex")).toMatchObject({ value: 1235, unit: "transitions/s", goal: "≥ 0.3× bare", met: true, baseline: 3000, ratio: 0.41 });
    expect(byName(figures, "RSS")).toMatchObject({ value: 312, unit: "MB", goal: "< 500 MB", met: true });
    expect(byName(figures, "refused (503)")).toMatchObject({ value: 0, unit: "calls", goal: "0", met: true });
  });

  it("transitions: a missed goal is met: false, each goal on its own", () => {
    const figures = figuresOf("transitions", transitions(260, 234, 1000, 17));
    expect(byName(figures, "refused (503)")).toMatchObject({ value: 17, met: false });
    expect(byName(figures, "50 callers").met).toBe(false);
    expect(byName(figures, "p99").met).toBe(false);
    expect(byName(figures, "against bare knex")).toMatchObject({ ratio: 0.26, met: false });
    // no RSS measured, no RSS figure (not a figure of 0 MB)
    const { rssMaxMb: _, ...withoutRss } = transitions(260, 234, 1000);
    expect(figuresOf("transitions", withoutRss).some((f) => f.figure.includes("RSS"))).toBe(false);
  });

  it("transitions with 200 callers: their rate and p99 as figures, and their pool timeouts against issue 16's goal of none", () => {
    const figures = figuresOf("transitions", { ...transitions(260, 234, 1000), many: { callers: 200, perS: 251.4, p50: 700, p99: 1210.5, errors: 3 } });
    expect(byName(figures, "transitions, 200 callers")).toMatchObject({ value: 251, unit: "transitions/s", goal: null });
    expect(byName(figures, "200 callers, p99")).toMatchObject({ value: 1211, unit: "ms" });
    expect(byName(figures, "200 callers refused")).toMatchObject({ value: 3, unit: "calls", goal: "0", met: false });
    expect(figuresOf("transitions", transitions(260, 234, 1000)).some((f) => f.figure.includes("200 callers"))).toBe(false);
  });

  it("transitions after the run: the audit chain intact and both tampered entries named (issue 16), and the CPU a transition against bare knex's", () => {
    const audit = { entries: 15687, verifyS: 0.19, intact: true, edited: true, deleted: true };
    const rate = (perS: number, p99: number, node: number, database: number) => ({ perS, p50: p99 / 2, p99, cpuMs: { node, database } });
    const base = { ...transitions(431, 153, 660), platform: rate(431, 153, 1.64, 2.36), bare: rate(660, 122, 1.03, 1.52) };
    const figures = figuresOf("transitions", { ...base, audit });
    expect(byName(figures, "audit entries sealed and verified")).toMatchObject({ value: 15687, unit: "entries", goal: "chain intact", met: true });
    expect(byName(figures, "tampered entries found and named")).toMatchObject({ value: 2, unit: "of 2", goal: "2 of 2", met: true });
    expect(byName(figures, "CPU a transition, PostgreSQL")).toMatchObject({ value: 2.36, unit: "ms", baseline: 1.52, ratio: 1.55, goal: null });
    // a chain found broken, or a tampered entry not named, is not met
    const broken = figuresOf("transitions", { ...base, audit: { ...audit, intact: false, deleted: false } });
    expect(byName(broken, "audit entries sealed and verified").met).toBe(false);
    expect(byName(broken, "tampered entries found and named")).toMatchObject({ value: 1, met: false });
    // not measured: no such figures
    expect(figuresOf("transitions", transitions(431, 153, 660)).some((f) => /audit|CPU/.test(f.figure))).toBe(false);
  });

  it("a figure without a goal has goal null and met null; its baseline and ratio are still given", () => {
    const [f] = figuresOf("sign-in", { platform: 180.4, bare: 200.5, ratio: 0.9 });
    expect(f).toEqual({ bench: "sign-in", figure: "POST /api/auth/login against argon2.verify", value: 180, unit: "sign-ins/s", goal: null, met: null, baseline: 201, ratio: 0.9 });
  });

  it("action-overhead: the platform against bare Moleculer with the bench's target; a skipped NATS part is value null with its reason", () => {
    const summary = {
      inProcess: { platform: 543438.3, bare: 1339755.3, kernelOptions: 1071408.9, ratio: 0.4056, target: 0.6, met: false, middlewareRatio: 0.507 },
      nats: { skipped: "nats-server is not installed" },
    };
    const figures = figuresOf("action-overhead", summary);
    expect(byName(figures, "platform action, in-process")).toMatchObject({ value: 543438, unit: "calls/s", baseline: 1339755, ratio: 0.41, goal: "≥ 0.6× bare Moleculer", met: false });
    expect(byName(figures, "kernel's broker options")).toMatchObject({ goal: null, met: null, ratio: 0.8 });
    expect(byName(figures, "over NATS")).toMatchObject({ value: null, goal: null, met: null, note: "nats-server is not installed" });
    const met = figuresOf("action-overhead", { ...summary, inProcess: { ...summary.inProcess, platform: 900000, ratio: 0.672 } });
    expect(byName(met, "platform action, in-process").met).toBe(true);
  });

  it("notifications: paced p99 against 250 ms, burst throughput as a ratio to bare socket.io", () => {
    const rate = (perS: number, p99: number) => ({ perS, p50: p99 / 2, p99 });
    const figures = figuresOf("notifications", {
      clients: 1000,
      notifications: 100,
      platformBurst: rate(40000, 786),
      bareBurst: rate(100000, 300),
      platformPaced: rate(10000, 76.04),
      barePaced: rate(10000, 19),
      targetRatio: 0.5,
      targetP99Ms: 250,
    });
    expect(byName(figures, "paced")).toMatchObject({ value: 76.04, unit: "ms", goal: "< 250 ms", met: true, baseline: 19, ratio: 4 });
    expect(byName(figures, "× 100, burst")).toMatchObject({ value: 40000, baseline: 100000, ratio: 0.4, goal: "≥ 0.5× bare socket.io", met: false });
    expect(byName(figures, "burst, p99")).toMatchObject({ value: 786, goal: null, met: null });
  });

  it("notifications: the paced p99 with the transitions bench beside it, against 250 ms and bare socket.io beside it (issue 16)", () => {
    const rate = (perS: number, p99: number) => ({ perS, p50: p99 / 2, p99 });
    const base = { clients: 1000, notifications: 100, platformBurst: rate(40000, 786), bareBurst: rate(100000, 300), platformPaced: rate(10000, 48), barePaced: rate(10000, 19), targetRatio: 0.5, targetP99Ms: 250 };
    const figures = figuresOf("notifications", { ...base, beside: { platformPaced: rate(9900, 312), barePaced: rate(10000, 78), transitions: { perS: 420, throughout: true } } });
    expect(byName(figures, "paced, p99 commit → client, transitions bench beside it")).toMatchObject({ value: 312, unit: "ms", baseline: 78, ratio: 4, goal: "< 250 ms", met: false });
    expect(byName(figures, "paced, p99 commit → client, transitions bench beside it").note).toBeUndefined();
    expect(byName(figures, "transitions beside")).toMatchObject({ value: 420, unit: "transitions/s", goal: null });
    // the idle paced figure is kept as it was
    expect(byName(figures, "clients, paced, p99 commit → client")).toMatchObject({ value: 48, met: true });
    const stopped = figuresOf("notifications", { ...base, beside: { platformPaced: rate(9900, 90), barePaced: rate(10000, 30), transitions: { perS: 400, throughout: false } } });
    expect(byName(stopped, "transitions bench beside it")).toMatchObject({ met: true, note: expect.stringMatching(/stopped before/) });
    // without the beside phases (NOTIFY_BESIDE=0) only the three idle figures
    expect(figuresOf("notifications", base)).toHaveLength(3);
  });

  it("search: p99 < 100 ms each, page by number has no goal, the deep cursor page against page 1, small data noted", () => {
    const f = (figure: string, p99: number) => ({ figure, p50: p99 / 2, p99, calls: 100, found: "1" });
    const summary = {
      where: "a fresh database seeded with 30,000 notices and 20,000 suppliers (--smoke)",
      smoke: true,
      goalMs: 100,
      figures: [f("notices: newest page", 37.8), f("notices: page 1", 26.1), f("notices: page 1,500 by cursor", 50.7), f("notices: page 1,500 by page number (OFFSET)", 1577), f("suppliers: one city (tenant=441300)", 2179)],
    };
    const figures = figuresOf("search", summary);
    expect(byName(figures, "newest page")).toMatchObject({ value: 37.8, unit: "ms p99", goal: "p99 < 100 ms", met: true });
    expect(byName(figures, "one city")).toMatchObject({ value: 2179, met: false });
    expect(byName(figures, "(OFFSET)")).toMatchObject({ value: 1577, goal: null, met: null });
    expect(byName(figures, "against page 1")).toMatchObject({ value: 50.7, unit: "ms p99", baseline: 26.1, ratio: 1.94, goal: "≤ 1.5× page 1 (as fast)", met: false });
    const fast = figuresOf("search", { ...summary, figures: [f("notices: page 1", 26.1), f("notices: page 500 by cursor", 30)] });
    expect(byName(fast, "against page 1")).toMatchObject({ ratio: 1.15, met: true });
    for (const x of figures) expect(x.note).toMatch(/^small data.*30,000 notices/);
    // the seeded database: no note
    expect(figuresOf("search", { ...summary, smoke: false }).every((x) => x.note === undefined)).toBe(true);
  });

  it("cold start, accounts import and form validation carry their benches' own targets", () => {
    const cold = figuresOf("cold-start", { starts: [{ n: 1, kind: "first", toHealthyS: 6.2 }], laterMedianS: 1.4, laterMaxS: 5.3, targetLaterS: 5 });
    expect(byName(cold, "slowest")).toMatchObject({ value: 5.3, goal: "< 5 s", met: false });
    expect(byName(cold, "initdb")).toMatchObject({ value: 6.2, goal: null, met: null });
    const accounts = figuresOf("accounts-import", { rows: 100000, importRowsPerS: 20000, rerunRowsPerS: 30000, bareRowsPerS: 40000, cliS: 7.5, targetS: 60 });
    expect(byName(accounts, "100,000 new rows")).toMatchObject({ ratio: 0.5, goal: null });
    expect(byName(accounts, "end to end")).toMatchObject({ value: 7.5, unit: "s", goal: "< 60 s", met: true });
    const forms = figuresOf("form-validation", { lines: 200, engine: 4398.3, bare: 4577.8, target: 0.8, refusedEngine: 2991.2, refusedBare: 3577.3 });
    expect(byName(forms, "valid 200-line")).toMatchObject({ value: 4398, baseline: 4578, ratio: 0.96, goal: "≥ 0.8× bare ajv", met: true });
    expect(byName(forms, "one bad line")).toMatchObject({ goal: null, met: null, ratio: 0.84 });
  });

  it("cluster: issue 16's row (≥ 500 creations/s, p99 < 100 ms, 0 refused) and nothing committed for a failed answer nor twice; the kill round when it ran", () => {
    const round = (over: Record<string, unknown> = {}) => ({
      sent: 1047, answered: 1047, refused: 0, otherErrors: 0, failures: {}, perS: 101.2, p50: 468.1, p99: 1178.5, committed: 1047, committedUnanswered: 0, lost: 0,
      retried: 100, retryMismatches: 0, duplicates: 0, cpuPerCreationMs: { nodes: 7.74, database: 3.93 }, ...over,
    });
    const summary = {
      where: "embedded PostgreSQL", nodes: 3, callers: 50, measureMs: 10000, platform: round(), ratio: 0.38, loadBefore: "6.84", loadAfter: "8.70",
      bare: { perS: 263.4, p50: 177.4, p99: 538.2, n: 2634, errors: 0, connections: 30, cpuPerCreationMs: { bench: 1.36, database: 1.87 } },
    };
    const figures = figuresOf("cluster", summary);
    expect(byName(figures, "no fault, against bare knex")).toMatchObject({ value: 101, unit: "creations/s", goal: `≥ ${ISSUE_16.clusterCreationsPerS}/s`, met: false, baseline: 263, ratio: 0.38 });
    expect(byName(figures, "no fault, p99")).toMatchObject({ value: 1179, unit: "ms", goal: `< ${ISSUE_16.clusterP99Ms} ms`, met: false });
    expect(byName(figures, "refused (503, timeouts)")).toMatchObject({ value: 0, goal: "0", met: true });
    expect(byName(figures, "committed though answered as failed")).toMatchObject({ value: 0, met: true });
    expect(byName(figures, "CPU per creation")).toMatchObject({ value: 11.67, unit: "ms", baseline: 3.23, goal: null, met: null });
    expect(figures.some((f) => f.figure.startsWith("one node killed"))).toBe(false);
    // a retry that got another instance back, or a second row, is not met
    expect(byName(figuresOf("cluster", { ...summary, platform: round({ retryMismatches: 1 }) }), "a second row after 100 keys")).toMatchObject({ value: 1, met: false });
    const fast = figuresOf("cluster", { ...summary, platform: round({ perS: 612, p99: 87 }) });
    expect([byName(fast, "against bare knex").met, byName(fast, "p99").met]).toEqual([true, true]);
    const killed = figuresOf("cluster", { ...summary, kill: { ...round({ lost: 1 }), killedAtMs: 2500, survivorsSent: 997, survivorsRefused: 3, reconnected: 17 } });
    expect(byName(killed, "one node killed a quarter")).toMatchObject({ value: 1, met: false });
    expect(byName(killed, "refused by the surviving nodes (of 997)")).toMatchObject({ value: 3, goal: null });
  });

  it("options-profile: each variant against bare Moleculer", () => {
    const figures = figuresOf("options-profile", { bare: 432233.5, variants: [{ label: "kernel options (all), no middlewares", perS: 136576.3 }] });
    expect(figures).toEqual([{ bench: "options-profile", figure: "kernel options (all), no middlewares", value: 136576, unit: "calls/s", goal: null, met: null, baseline: 432234, ratio: 0.32 }]);
  });

  it("a value that is not a number (a median of nothing) is value null and met null, never met: false", () => {
    const [f] = figuresOf("sign-in", { platform: NaN, bare: 200 });
    expect(f).toMatchObject({ value: null, met: null });
    expect(f.ratio).toBeUndefined();
  });

  it("a summary of another shape is a harness error naming the bench", () => {
    expect(() => figuresOf("transitions", { where: "x" })).toThrow(/^transitions: its summary does not have the shape figures.ts reads/);
    expect(() => figuresOf("search", null)).toThrow("search: its summary is not an object");
  });

  it("every benchmark has a conversion", () => {
    for (const b of BENCHES) expect(() => figuresOf(b, {})).toThrow(new RegExp(`^${b}: `));
  });
});

describe("jsonLines", () => {
  it("one JSON object per line with bench, figure, value, unit, goal, met, and baseline and ratio where there is one", () => {
    const figures = [...figuresOf("transitions", transitions(1100, 40, 3000)), ...figuresOf("sign-in", { platform: 180, bare: 200 })];
    const text = jsonLines(figures);
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(figures.length);
    for (const l of lines) {
      expect(Object.keys(l).slice(0, 6)).toEqual(["bench", "figure", "value", "unit", "goal", "met"]);
      expect(typeof l.figure).toBe("string");
    }
    expect(lines[0]).toMatchObject({ bench: "transitions", value: 1100, met: true, baseline: 3000, ratio: 0.37 });
    expect(lines[lines.length - 1]).toMatchObject({ bench: "sign-in", goal: null, met: null });
  });
});
