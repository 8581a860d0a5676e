/**
 * Calls/s of a platform action against a bare Moleculer action, 100 calls in flight, measured in
 * the same run: in one process, and between two processes over NATS.
 *
 *   npx tsx test/bench/action-overhead.ts
 *
 * Every variant runs in a process of its own (fixtures/bench-worker.ts, driven over IPC; over NATS
 * it calls a responder started with `npx tsx test/bench/fixtures/nats-responder.ts`), so no variant
 * shapes the JIT for another; they take turns, never run at the same time.
 *
 * BENCH_SECONDS (default 2.5) is the measured time of one run, BENCH_ROUNDS (default 3) how many
 * runs each variant gets; the order rotates every round and the median run is reported; about 55 s.
 * For digging: BENCH_NATS_EXTRA="kernel-options,platform-cached" adds variants over NATS (names in
 * fixtures/thing-service.ts); BENCH_PARTS=nats (or in-process) runs one part only.
 * A benchmark, not a test: it prints figures and whether the targets were met, and exits 0 either
 * way (non-zero only when it could not measure at all).
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import type { VariantKey } from "./fixtures/thing-service";
import { fixture, runRounds, startWorkers, waitForExit, type Worker } from "./workers";
import { NOISE_NOTE, ROOT, envNumber, fmt, freePort, load, machine, median, spread, table, writeSummary } from "./lib";
import { findOnPath } from "../support/processes";

const IN_FLIGHT = 100;
const MEASURE_MS = envNumber("BENCH_SECONDS", 2.5) * 1000;
const ROUNDS = Math.round(envNumber("BENCH_ROUNDS", 3));
const FIRST_WARMUP_MS = 1000;
const LATER_WARMUP_MS = 500;

/**
 * Extra variants to measure over NATS besides platform and bare, e.g. "kernel-options,platform-cached"
 * (see fixtures/thing-service.ts): for finding where the time goes; not in the targets.
 */
const EXTRA_NATS = (process.env.BENCH_NATS_EXTRA ?? "").split(",").map((s) => s.trim()).filter(Boolean) as VariantKey[];

const PARTS = (process.env.BENCH_PARTS || "in-process,nats").split(",").map((s) => s.trim());

// issue 16 raised it from 0.5×
const TARGET_IN_PROCESS = 0.6;
const TARGET_NATS = 0.8;

const LABELS: Partial<Record<VariantKey, string>> = {
  platform: "platform (kernel options + middlewares)",
  bare: "bare (Moleculer defaults, no middlewares)",
  "kernel-options": "bare + kernel broker options, no middlewares",
};
const label = (v: VariantKey) => LABELS[v] ?? v;

const ROUND_OPTS = { rounds: ROUNDS, inFlight: IN_FLIGHT, measureMs: MEASURE_MS, firstWarmupMs: FIRST_WARMUP_MS, laterWarmupMs: LATER_WARMUP_MS };

async function inProcess(): Promise<Worker[]> {
  console.log(`\n== in-process (each variant: one process whose broker calls its own action; ${IN_FLIGHT} calls in flight) ==`);
  const t0 = Date.now();
  const workers = await startWorkers((["platform", "bare", "kernel-options"] as const).map((v) => [v, label(v)]));
  console.log(`  3 worker processes ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  try {
    await runRounds("in-process", workers, ROUND_OPTS);
    return workers;
  } finally {
    await Promise.allSettled(workers.map((w) => w.stop()));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// NATS

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = net.connect(port, "127.0.0.1");
      sock.once("connect", () => {
        sock.destroy();
        resolve();
      });
      sock.once("error", () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Ends a child this benchmark started in its own process group, and what it started there. */
async function stopGroup(child: ChildProcess, name: string, gentle?: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  gentle?.();
  if (gentle && (await waitForExit(child, 8_000))) return;
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      return; // already gone
    }
    if (await waitForExit(child, 5_000)) return;
    console.log(`  ${name} did not stop on ${signal}`);
  }
}

function startResponder(natsUrl: string, variant: VariantKey): { child: ChildProcess; ready: Promise<void> } {
  const [cmd, args] = [process.execPath, ["--import", "tsx", fixture("nats-responder")]];
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, NATS_URL: natsUrl, BENCH_VARIANT: variant },
    stdio: ["pipe", "pipe", "pipe"],
    detached: true, // its own process group, so that npx → tsx → node can be stopped together
  });
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${variant} responder not ready after 60 s:\n${output}`)), 60_000);
    child.stdout!.on("data", (d: Buffer) => {
      output += d.toString();
      if (/^READY$/m.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${variant} responder exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
  ready.catch(() => {});
  return { child, ready };
}

async function overNats(): Promise<Worker[] | { skipped: string }> {
  console.log(`\n== over NATS (per variant: a caller process and a responder process; ${IN_FLIGHT} calls in flight) ==`);
  const server = findOnPath("nats-server");
  if (!server) {
    const msg = "skipped: nats-server is not on PATH; install it with `apt-get install -y nats-server` and run again";
    console.log(`  ${msg}`);
    return { skipped: msg };
  }
  const port = await freePort();
  const natsUrl = `nats://127.0.0.1:${port}`;
  const nats = spawn(server, ["-a", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"], detached: true });
  let natsLog = "";
  nats.stderr!.on("data", (d: Buffer) => (natsLog = (natsLog + d.toString()).slice(-4000)));
  const responders: ChildProcess[] = [];
  let workers: Worker[] = [];
  try {
    await waitForPort(port, 10_000).catch((err: Error) => {
      throw new Error(`${err.message}; nats-server said:\n${natsLog}`);
    });
    console.log(`  ${server} on ${natsUrl} (pid ${nats.pid})`);
    const t0 = Date.now();
    const variants: VariantKey[] = ["platform", "bare", ...EXTRA_NATS];
    const started = variants.map((v) => startResponder(natsUrl, v));
    responders.push(...started.map((s) => s.child));
    await Promise.all(started.map((s) => s.ready));
    console.log(`  responders ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (${started[0].child.spawnargs.join(" ")}, BENCH_VARIANT=${variants.join("|")})`);
    workers = await startWorkers(variants.map((v) => [v, label(v)]), natsUrl);
    await runRounds("NATS", workers, ROUND_OPTS);
    return workers;
  } finally {
    await Promise.allSettled(workers.map((w) => w.stop()));
    await Promise.allSettled(responders.map((r) => stopGroup(r, "responder", () => r.stdin!.end())));
    await stopGroup(nats, "nats-server");
  }
}

// ---------------------------------------------------------------------------------------------------------------

function times(a: number, b: number): string {
  const r = a / b;
  return Number.isFinite(r) ? `${fmt(r, 2)}×` : "n/a";
}

function met(ratio: number, target: number): string {
  return Number.isFinite(ratio) ? (ratio >= target ? "yes" : "NO") : "n/a";
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log("action-overhead: platform action vs bare Moleculer action");
  console.log(`machine: ${machine()}; load average ${load()} at start`);
  console.log(
    `each run: warm-up ${FIRST_WARMUP_MS / 1000} s (first round) or ${LATER_WARMUP_MS / 1000} s, then ${MEASURE_MS / 1000} s measured; ` +
      `${ROUNDS} rounds in rotating order; median reported; running under tsx`,
  );

  const local = PARTS.includes("in-process") ? await inProcess() : undefined;
  const remote = PARTS.includes("nats") ? await overNats() : { skipped: "skipped: not asked for (BENCH_PARTS)" };

  const runsOf = (ws: Worker[] | undefined, key: VariantKey) => ws?.find((w) => w.variant === key)?.runs ?? [];
  const m = (ws: Worker[] | undefined, key: VariantKey) => median(runsOf(ws, key));
  const runs = (ws: Worker[] | undefined, key: VariantKey) => (ws ? runsOf(ws, key).map((x) => fmt(x)).join(" / ") : "not asked for (BENCH_PARTS)");
  const ip = { platform: m(local, "platform"), bare: m(local, "bare"), kernelOptions: m(local, "kernel-options") };
  const nt = Array.isArray(remote) ? { platform: m(remote, "platform"), bare: m(remote, "bare") } : undefined;

  const rows: string[][] = [
    ["in-process  platform", fmt(ip.platform), times(ip.platform, ip.bare), `≥ ${TARGET_IN_PROCESS}× bare`, met(ip.platform / ip.bare, TARGET_IN_PROCESS), runs(local, "platform")],
    ["in-process  bare", fmt(ip.bare), local ? "1.00×" : "n/a", "", "", runs(local, "bare")],
    ["in-process  bare + kernel options", fmt(ip.kernelOptions), times(ip.kernelOptions, ip.bare), "", "", runs(local, "kernel-options")],
  ];
  if (nt && Array.isArray(remote)) {
    rows.push(
      ["NATS        platform", fmt(nt.platform), times(nt.platform, nt.bare), `≥ ${TARGET_NATS}× bare`, met(nt.platform / nt.bare, TARGET_NATS), runs(remote, "platform")],
      ["NATS        bare", fmt(nt.bare), "1.00×", "", "", runs(remote, "bare")],
    );
    for (const v of EXTRA_NATS) rows.push([`NATS        ${v}`, fmt(m(remote, v)), times(m(remote, v), nt.bare), "", "", runs(remote, v)]);
  } else {
    rows.push(["NATS", "skipped", "", `≥ ${TARGET_NATS}× bare`, "n/a", (remote as { skipped: string }).skipped]);
  }

  console.log(`\n== results (${IN_FLIGHT} calls in flight, median of ${ROUNDS} runs of ${MEASURE_MS / 1000} s) ==`);
  console.log(table(["variant", "calls/s", "vs bare", "target", "met", "runs (calls/s)"], rows));
  const noisy = [
    ...(local ?? []).map((w) => ({ name: `in-process ${w.variant}`, s: spread(w.runs) })),
    ...(Array.isArray(remote) ? remote : []).map((w) => ({ name: `NATS ${w.variant}`, s: spread(w.runs) })),
  ].filter((x) => x.s > 0.2);
  if (noisy.length) {
    console.log(
      `\nWARNING: the runs of ${noisy.map((x) => `${x.name} (${fmt(x.s * 100)}%)`).join(", ")} spread by more than 20%:\n` +
        `  the machine was busy (load average ${load()}); these figures are rougher than usual; run again when it is idle.`,
    );
  }
  if (local) console.log(
    `\nwhat the kernel middlewares alone cost: platform / (bare + kernel options) = ${fmt(ip.platform / ip.kernelOptions, 2)}× ` +
      `(${fmt(1e6 / ip.platform, 1)} µs vs ${fmt(1e6 / ip.kernelOptions, 1)} µs of one process's time per call; bare ${fmt(1e6 / ip.bare, 1)} µs)`,
  );
  console.log(
    "\nnotes:\n" +
      "  - platform = createBroker(cfg, kernelMiddlewares(...)) as in core/kernel.ts: request tracking, circuit\n" +
      "    breaker, requestTimeout 10000 ms, a retry policy on read actions (as withKernel adds), JSON serializer, Console\n" +
      "    logger at level warn; the permission gate builds the caller's CASL ability (from every installed plugin's\n" +
      "    permissions plus the bench plugin's), cached per user as in production.\n" +
      "  - bare = new ServiceBroker({ logger: false }): Moleculer defaults, i.e. no tracking, no circuit breaker, no request\n" +
      "    timeout, no retries, no middlewares.\n" +
      "  - bare + kernel options = createBroker(cfg, []): the kernel's broker options without its middlewares; platform vs this\n" +
      "    row is what the kernel middlewares (the permission gate) cost.\n" +
      "  - in-process: one process per variant, on one core. Over NATS: caller, responder and nats-server are three processes\n" +
      "    on this machine's cores; the figures are bound by CPU, not by the loopback network.\n" +
      "  - what each of the kernel's broker options costs: npx tsx test/bench/options-profile.ts\n" +
      `  - ${NOISE_NOTE}`,
  );
  console.log(`load average ${load()} at end; took ${((Date.now() - started) / 1000).toFixed(0)} s`);

  writeSummary({
    benchmark: "action-overhead",
    machine: machine(),
    inFlight: IN_FLIGHT,
    inProcess: { ...ip, ratio: ip.platform / ip.bare, target: TARGET_IN_PROCESS, met: ip.platform / ip.bare >= TARGET_IN_PROCESS, middlewareRatio: ip.platform / ip.kernelOptions },
    nats: nt ? { ...nt, ratio: nt.platform / nt.bare, target: TARGET_NATS, met: nt.platform / nt.bare >= TARGET_NATS } : { skipped: (remote as { skipped: string }).skipped },
  });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`\naction-overhead: could not measure: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
