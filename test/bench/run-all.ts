/**
 * `npm run bench`: the benchmarks in turn, each in its own process (so one's JIT state, garbage
 * and open handles cannot colour the next one's figures), then a table of their figures, each
 * with its goal (figures.ts turns each bench's summary into figures).
 *
 *   npm run bench                        action-overhead, cold-start, accounts-import, sign-in,
 *                                        form-validation, transitions, notifications, search, screening
 *                                        opening-hall
 *   npm run bench -- --profile           also options-profile (where a platform action's time goes)
 *   npm run bench -- --only transitions,search     those only (names: the file names)
 *   npm run bench -- --json              the figures as JSON, one object per line, on stdout
 *   npm run bench -- --smoke             every benchmark at tiny sizes, in a few minutes (CI)
 *
 * --json: stdout carries nothing but the JSON lines (`npm run -s` keeps npm's own banner off it);
 * the benches' own output and the table go to stderr, so that `> figures.jsonl` keeps the figures
 * and the terminal still shows the progress.
 * search: on the seeded database when DATABASE_URL or DATA_DIR points at one (npm run seed:scale),
 * else on small data of its own (its --smoke), which the figures' note says.
 * --smoke sets each bench's size knobs (an explicitly set one wins) and stops a bench that is
 * still running after SMOKE_TIMEOUT_S (default 180): its figures only show that it still measures.
 *
 * Exits non-zero only when a benchmark could not measure (an exit other than 0, no summary, a
 * timeout); a missed goal is reported, never failed on.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BENCHES, figuresOf, isBench, jsonLines, type BenchName, type Figure } from "./figures";
import { NOISE_NOTE, ROOT, envNumber, fmt, machine, table } from "./lib";
import { withStartNodeOptions } from "../support/node-process";

export interface Options {
  benches: BenchName[];
  json: boolean;
  smoke: boolean;
}

/** The default run: options-profile only when asked for (it digs into one figure, it adds none to the goals). */
const DEFAULT = BENCHES.filter((b) => b !== "options-profile");

/** Throws an Error whose message says what was wrong and what is accepted. */
export function parseArgs(argv: string[]): Options {
  let only: BenchName[] | undefined;
  const flags = { json: false, smoke: false, profile: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") flags.json = true;
    else if (arg === "--smoke") flags.smoke = true;
    else if (arg === "--profile") flags.profile = true;
    else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg === "--only" ? argv[++i] : arg.slice("--only=".length);
      const names = (value ?? "").split(",").map((s) => s.trim()).filter(Boolean);
      if (!names.length) throw new Error(`--only needs benchmark names (comma-separated): ${BENCHES.join(", ")}`);
      const unknown = names.filter((n) => !isBench(n));
      if (unknown.length) throw new Error(`unknown benchmark${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `"${n}"`).join(", ")}; the benchmarks are: ${BENCHES.join(", ")}`);
      only = [...(only ?? []), ...(names as BenchName[])];
    } else throw new Error(`unknown option "${arg}"; the options are --only <bench>[,<bench>], --json, --smoke, --profile`);
  }
  const wanted = only ?? (flags.smoke ? [...BENCHES] : flags.profile ? [...BENCHES] : DEFAULT);
  return { benches: BENCHES.filter((b) => wanted.includes(b)), json: flags.json, smoke: flags.smoke };
}

/**
 * Each bench's size knobs at --smoke (see each file's header): seconds in all, yet every code path
 * of the full run (both variants, every phase) is still taken.
 */
export const SMOKE_KNOBS: Record<string, string> = {
  BENCH_SECONDS: "0.3", // action-overhead, options-profile
  BENCH_ROUNDS: "1",
  COLD_START_LATER: "1",
  ACCOUNTS_ROWS: "2000",
  ACCOUNTS_ROUNDS: "1",
  SIGN_IN_MS: "300",
  FORM_BENCH_MS: "200",
  FORM_BENCH_ROUNDS: "1",
  TRANSITIONS_MS: "500",
  TRANSITIONS_ROUNDS: "1",
  TRANSITIONS_INSTANCES: "100",
  NOTIFY_CLIENTS: "50",
  NOTIFY_COUNT: "10",
  NOTIFY_ROUNDS: "1",
  HELPDESK_MS: "500",
  SEARCH_MS: "200",
  HALL_CLIENTS: "20",
  HALL_EVENTS: "5",
  BIDS_SUPPLIERS: "60",
  BIDS_WINDOW_MS: "1500",
  EVAL_EXPERTS: "2000",
  EVAL_DRAWS: "20",
  EVAL_BIDS: "5",
  EVAL_CRITERIA: "4",
  SCREENING_ENTRIES: "5000",
  SCREENING_BIDDERS: "1000",
  EMALL_OFFERS: "5000",
  EMALL_QUERIES: "5",
  AUCTION_SUPPLIERS: "20",
  AUCTION_QUOTES: "2",
  AUCTION_WINDOW_S: "2",
  ANALYTICS_PROJECTS: "20000",
  ANALYTICS_QUERIES: "3",
  ANALYTICS_FACTS: "50",
  CLUSTER_MS: "2000",
};

/** search's arguments: its own small data unless DATABASE_URL or DATA_DIR may hold seeded data. */
export function searchArgs(opts: Options, env: NodeJS.ProcessEnv): { args: string[]; note?: string } {
  if (opts.smoke) return { args: ["--smoke"] };
  if (env.DATABASE_URL) return { args: ["--seeded-or-smoke"] };
  // The embedded cluster lives in DATA_DIR/postgres: an empty DATA_DIR would get a whole new cluster made in it.
  if (env.DATA_DIR && fs.existsSync(path.join(env.DATA_DIR, "postgres"))) return { args: ["--seeded-or-smoke"] };
  return { args: ["--smoke"], note: "search ran on small data of its own: set DATA_DIR (or DATABASE_URL) to a database filled by npm run seed:scale for the province's scale" };
}

interface Outcome {
  bench: BenchName;
  seconds: number;
  figures: Figure[];
  /** why it could not measure; undefined when it did */
  failure?: string;
}

let current: ChildProcess | undefined;

function stopGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    // detached: the bench leads its own group, so its children (workers, clients, PostgreSQL) stop with it
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

function run(bench: BenchName, args: string[], env: NodeJS.ProcessEnv, opts: Options, timeoutMs: number | undefined): Promise<{ code: number; timedOut: boolean }> {
  const line = `\n################ ${bench} ################\n`;
  (opts.json ? console.error : console.log)(line);
  return new Promise((resolve) => {
    const child = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join("test", "bench", `${bench}.ts`), ...args], {
      cwd: ROOT,
      stdio: ["ignore", opts.json ? "pipe" : "inherit", "inherit"],
      env,
      detached: true,
    });
    current = child;
    child.stdout?.pipe(process.stderr);
    let timedOut = false;
    let kill: NodeJS.Timeout | undefined;
    const timer = timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          console.error(`\n${bench}: still running after ${timeoutMs / 1000} s: stopping it`);
          stopGroup(child, "SIGTERM");
          kill = setTimeout(() => stopGroup(child, "SIGKILL"), 15_000);
        }, timeoutMs)
      : undefined;
    child.on("error", (err) => {
      console.error(`${bench}: could not start: ${err.message}`);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(kill);
      current = undefined;
      resolve({ code: code ?? (signal ? 1 : 0), timedOut });
    });
  });
}

async function measure(bench: BenchName, opts: Options, dir: string, notes: Set<string>): Promise<Outcome> {
  const summaryFile = path.join(dir, `${bench}.json`);
  // a bench that hosts a node (transitions, notifications' platform) runs with npm start's V8 options
  const env: NodeJS.ProcessEnv = { ...(opts.smoke ? SMOKE_KNOBS : {}), ...withStartNodeOptions(process.env), BENCH_SUMMARY_FILE: summaryFile };
  let args: string[] = [];
  if (bench === "search") {
    const s = searchArgs(opts, process.env);
    args = s.args;
    if (s.note) notes.add(s.note);
  }
  const t0 = Date.now();
  const { code, timedOut } = await run(bench, args, env, opts, opts.smoke ? envNumber("SMOKE_TIMEOUT_S", 180) * 1000 : undefined);
  const seconds = (Date.now() - t0) / 1000;
  if (timedOut) return { bench, seconds, figures: [], failure: `still running after ${fmt(seconds)} s` };
  if (code !== 0) return { bench, seconds, figures: [], failure: `exit ${code}` };
  let summary: unknown;
  try {
    summary = JSON.parse(fs.readFileSync(summaryFile, "utf8"));
  } catch (err) {
    return { bench, seconds, figures: [], failure: `exit 0 but no summary (${(err as Error).message})` };
  }
  try {
    const figures = figuresOf(bench, summary);
    return { bench, seconds, figures: opts.smoke ? figures.map((f) => ({ ...f, smoke: true as const })) : figures };
  } catch (err) {
    return { bench, seconds, figures: [], failure: (err as Error).message };
  }
}

function humanTable(outcomes: Outcome[]): string {
  const rows: string[][] = [];
  for (const o of outcomes) {
    if (o.failure) rows.push([o.bench, "could not measure", o.failure, "", "", "", "n/a"]);
    for (const f of o.figures) {
      // counts stay whole ("41 calls"); small measured figures keep their two decimals
      const digits = f.value !== null && !Number.isInteger(f.value) && Math.abs(f.value) < 100 ? 2 : 0;
      rows.push([
        o.bench,
        f.figure,
        f.value === null ? (f.note ? "skipped" : "n/a") : `${fmt(f.value, digits)} ${f.unit}`,
        f.baseline === undefined ? "" : `${fmt(f.baseline, Math.abs(f.baseline) < 100 ? 2 : 0)} ${f.unit === "×" ? "" : f.unit}`.trim(),
        f.ratio === undefined ? "" : `${fmt(f.ratio, 2)}×`,
        f.goal ?? "",
        f.met === null ? "" : f.met ? "yes" : "NO",
      ]);
    }
  }
  return table(["bench", "figure", "value", "bare", "ratio", "goal", "met"], rows);
}

async function main(): Promise<void> {
  let opts: Options;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`npm run bench: ${(err as Error).message}`);
    process.exit(2);
  }
  const out = opts.json ? console.error : console.log;
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gdp-bench-"));
  const stop = (signal: NodeJS.Signals) => {
    if (current) stopGroup(current, signal);
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  const notes = new Set<string>();
  const outcomes: Outcome[] = [];
  try {
    for (const bench of opts.benches) {
      const o = await measure(bench, opts, dir, notes);
      outcomes.push(o);
      if (opts.json) process.stdout.write(jsonLines(o.figures));
    }
    for (const o of outcomes) for (const f of o.figures) if (f.note) notes.add(`${o.bench}: ${f.note}`);
    out(`\n################ summary${opts.smoke ? " (--smoke: tiny sizes; the figures only show that each bench still measures)" : ""} ################\n`);
    out(`machine: ${machine()}`);
    out(humanTable(outcomes));
    if (notes.size) out(`\n${[...notes].join("\n")}`);
    out(`\n${NOISE_NOTE}`);
    out(`took ${fmt((Date.now() - started) / 1000)} s: ${outcomes.map((o) => `${o.bench} ${fmt(o.seconds)} s`).join(", ")}`);
    const failed = outcomes.filter((o) => o.failure);
    if (failed.length) {
      console.error(`could not measure: ${failed.map((o) => `${o.bench} (${o.failure})`).join(", ")}`);
      process.exitCode = 1;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) void main();
