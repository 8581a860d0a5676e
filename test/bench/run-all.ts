/**
 * `npm run bench`: every benchmark in turn, each in its own process (so one's JIT state, garbage
 * and open handles cannot colour the next one's figures), then a summary of their figures.
 *
 *   npx tsx test/bench/run-all.ts              action-overhead, cold-start, accounts-import, sign-in,
 *                                              form-validation, transitions, notifications (about 6 min)
 *   npx tsx test/bench/run-all.ts --profile    also options-profile (where a platform
 *                                              action's time goes; about 2 more minutes)
 *
 * Exits non-zero only when a benchmark could not measure; a missed target is reported, not failed.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NOISE_NOTE, ROOT, fmt, machine, table } from "./lib";

interface Overhead {
  inProcess: { platform: number; bare: number; kernelOptions: number; ratio: number; target: number; met: boolean; middlewareRatio: number };
  nats: { platform: number; bare: number; ratio: number; target: number; met: boolean } | { skipped: string };
}
interface AccountsImport {
  rows: number;
  importRowsPerS: number;
  bareRowsPerS: number;
  ratio: number;
  importS: number;
  cliS: number;
  targetS: number;
  met: boolean;
}
interface SignIn {
  platform: number;
  bare: number;
  ratio: number;
}
interface FormValidation {
  lines: number;
  engine: number;
  bare: number;
  ratio: number;
  target: number;
  met: boolean;
}
interface Transitions {
  where: string;
  platform: { perS: number; p50: number; p99: number };
  bare: { perS: number; p50: number; p99: number };
  ratio: number;
}
interface Notifications {
  clients: number;
  notifications: number;
  platformBurst: { perS: number; p99: number };
  bareBurst: { perS: number; p99: number };
  platformPaced: { p50: number; p99: number };
  ratio: number;
  p99: number;
  targetRatio: number;
  targetP99Ms: number;
  met: boolean;
}
interface ColdStart {
  starts: Array<{ n: number; kind: string; toHealthyS: number }>;
  laterMedianS: number;
  laterMaxS: number;
  targetLaterS: number;
  met: boolean;
}

function run(name: string, summaryFile: string): Promise<number> {
  console.log(`\n################ ${name} ################\n`);
  return new Promise((resolve) => {
    const child = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join("test", "bench", `${name}.ts`)], {
      cwd: ROOT,
      stdio: "inherit",
      env: { ...process.env, BENCH_SUMMARY_FILE: summaryFile },
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function read<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gdp-bench-"));
  const names = ["action-overhead", "cold-start", "accounts-import", "sign-in", "form-validation", "transitions", "notifications", ...(process.argv.includes("--profile") ? ["options-profile"] : [])];
  const codes: Record<string, number> = {};
  try {
    for (const name of names) codes[name] = await run(name, path.join(dir, `${name}.json`));
    const overhead = read<Overhead>(path.join(dir, "action-overhead.json"));
    const cold = read<ColdStart>(path.join(dir, "cold-start.json"));
    const accounts = read<AccountsImport>(path.join(dir, "accounts-import.json"));
    const signIn = read<SignIn>(path.join(dir, "sign-in.json"));
    const forms = read<FormValidation>(path.join(dir, "form-validation.json"));
    const transitions = read<Transitions>(path.join(dir, "transitions.json"));

    const rows: string[][] = [];
    if (overhead) {
      const ip = overhead.inProcess;
      rows.push(["action overhead, in-process", `platform ${fmt(ip.platform)} calls/s, bare ${fmt(ip.bare)} calls/s`, `${fmt(ip.ratio, 2)}×`, `≥ ${ip.target}×`, ip.met ? "yes" : "NO"]);
      if ("skipped" in overhead.nats) rows.push(["action overhead, over NATS", "skipped", "", "≥ 0.8×", "n/a"]);
      else {
        const n = overhead.nats;
        rows.push(["action overhead, over NATS", `platform ${fmt(n.platform)} calls/s, bare ${fmt(n.bare)} calls/s`, `${fmt(n.ratio, 2)}×`, `≥ ${n.target}×`, n.met ? "yes" : "NO"]);
      }
    } else rows.push(["action overhead", `failed (exit ${codes["action-overhead"]})`, "", "", "n/a"]);
    if (cold) {
      const first = cold.starts[0];
      rows.push(["cold start, first (initdb)", `${fmt(first.toHealthyS, 2)} s`, "", "", ""]);
      rows.push(["cold start, later starts", `median ${fmt(cold.laterMedianS, 2)} s, slowest ${fmt(cold.laterMaxS, 2)} s`, "", `< ${cold.targetLaterS} s each`, cold.met ? "yes" : "NO"]);
    } else rows.push(["cold start", `failed (exit ${codes["cold-start"]})`, "", "", "n/a"]);
    if (accounts) {
      const a = accounts;
      rows.push([`accounts import, ${fmt(a.rows)} rows`, `import ${fmt(a.importRowsPerS)} rows/s, bare knex ${fmt(a.bareRowsPerS)} rows/s`, `${fmt(a.ratio, 2)}×`, "", ""]);
      rows.push(["accounts import, the command", `${fmt(a.cliS, 1)} s end to end`, "", `< ${a.targetS} s`, a.met ? "yes" : "NO"]);
    } else rows.push(["accounts import", `failed (exit ${codes["accounts-import"]})`, "", "", "n/a"]);
    if (signIn) rows.push(["sign-in", `platform ${fmt(signIn.platform)}/s, bare argon2.verify ${fmt(signIn.bare)}/s`, `${fmt(signIn.ratio, 2)}×`, "", ""]);
    else rows.push(["sign-in", `failed (exit ${codes["sign-in"]})`, "", "", "n/a"]);
    if (forms) {
      const f = forms;
      rows.push([`form validation, ${f.lines}-line plan`, `engine ${fmt(f.engine)}/s, bare ajv ${fmt(f.bare)}/s`, `${fmt(f.ratio, 2)}×`, `≥ ${f.target}×`, f.met ? "yes" : "NO"]);
    } else rows.push(["form validation", `failed (exit ${codes["form-validation"]})`, "", "", "n/a"]);
    if (transitions) {
      const t = transitions;
      rows.push([`workflow transitions, 50 callers (${t.where})`, `engine ${fmt(t.platform.perS)}/s p50 ${fmt(t.platform.p50, 0)} ms p99 ${fmt(t.platform.p99, 0)} ms, bare knex ${fmt(t.bare.perS)}/s`, `${fmt(t.ratio, 2)}×`, "", ""]);
    } else rows.push(["workflow transitions", `failed (exit ${codes["transitions"]})`, "", "", "n/a"]);
    const notify = read<Notifications>(path.join(dir, "notifications.json"));
    if (notify) {
      const n = notify;
      rows.push([`live notifications, ${fmt(n.clients)} clients × ${n.notifications}, burst`, `platform ${fmt(n.platformBurst.perS)}/s, bare socket.io ${fmt(n.bareBurst.perS)}/s`, `${fmt(n.ratio, 2)}×`, `≥ ${n.targetRatio}×`, n.ratio >= n.targetRatio ? "yes" : "NO"]);
      rows.push(["live notifications, commit → client, paced", `p50 ${fmt(n.platformPaced.p50, 0)} ms, p99 ${fmt(n.p99, 0)} ms`, "", `p99 < ${n.targetP99Ms} ms`, n.p99 < n.targetP99Ms ? "yes" : "NO"]);
    } else rows.push(["live notifications", `failed (exit ${codes["notifications"]})`, "", "", "n/a"]);

    console.log(`\n################ summary ################\n`);
    console.log(`machine: ${machine()}`);
    console.log(table(["benchmark", "figure", "ratio", "target", "met"], rows));
    if (overhead && "skipped" in overhead.nats) console.log(`\nNATS: ${overhead.nats.skipped}`);
    console.log(`\n${NOISE_NOTE}\ntook ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const failed = Object.entries(codes).filter(([, c]) => c !== 0);
    if (failed.length) {
      console.log(`could not measure: ${failed.map(([n, c]) => `${n} (exit ${c})`).join(", ")}`);
      process.exitCode = 1;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
