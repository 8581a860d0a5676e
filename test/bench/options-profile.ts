/**
 * What each of the kernel's broker options (core/broker/index.ts) costs per call, without any
 * middleware: the kernel's options less one option at a time, against bare Moleculer.
 *
 *   npx tsx test/bench/options-profile.ts
 *
 * One process per variant (see workers.ts), 100 calls in flight, in-process. BENCH_SECONDS
 * (default 1.5) and BENCH_ROUNDS (default 3) as in action-overhead.ts. About 45 s.
 * Under run-all (--profile, or --only options-profile) its figures join the summary.
 */
import type { VariantKey } from "./fixtures/thing-service";
import { NOISE_NOTE, envNumber, fmt, load, machine, median, table, writeSummary } from "./lib";
import { runRounds, startWorkers } from "./workers";

const IN_FLIGHT = 100;
const MEASURE_MS = envNumber("BENCH_SECONDS", 1.5) * 1000;
const ROUNDS = Math.round(envNumber("BENCH_ROUNDS", 3));

const VARIANTS_SHOWN: Array<[VariantKey, string]> = [
  ["bare", "bare (Moleculer defaults)"],
  ["kernel-options", "kernel options (all), no middlewares"],
  ["kernel-no-timeout", "… less requestTimeout (0)"],
  ["kernel-no-tracking", "… less graceful-stop tracking (InFlight)"],
  ["kernel-no-breaker", "… less circuitBreaker"],
  ["kernel-no-retry", "… less the read action's retryPolicy"],
];

async function main(): Promise<void> {
  const started = Date.now();
  console.log("options-profile: what each kernel broker option costs per call (in-process, no middlewares, 100 calls in flight)");
  console.log(`machine: ${machine()}; load average ${load()} at start`);
  const workers = await startWorkers(VARIANTS_SHOWN);
  try {
    await runRounds("", workers, { rounds: ROUNDS, inFlight: IN_FLIGHT, measureMs: MEASURE_MS, firstWarmupMs: 1000, laterWarmupMs: 300 });
  } finally {
    await Promise.allSettled(workers.map((w) => w.stop()));
  }
  const bareCps = median(workers[0].runs);
  const allCps = median(workers[1].runs);
  console.log(`\n== results (${ROUNDS} rounds × ${MEASURE_MS / 1000} s, rotating order, median) ==`);
  console.log(
    table(
      ["variant", "calls/s", "µs/call", "µs saved vs all options", "vs bare", "runs (calls/s)"],
      workers.map((w) => {
        const cps = median(w.runs);
        return [w.label, fmt(cps), fmt(1e6 / cps, 2), w === workers[0] ? "" : fmt(1e6 / allCps - 1e6 / cps, 2), fmt(cps / bareCps, 2) + "×", w.runs.map((x) => fmt(x)).join(" / ")];
      }),
    ),
  );
  console.log(`\n  ${NOISE_NOTE}`);
  console.log(`load average ${load()} at end; took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  writeSummary({ bare: bareCps, variants: workers.slice(1).map((w) => ({ label: w.label, perS: median(w.runs) })) });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`\noptions-profile: could not measure: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
