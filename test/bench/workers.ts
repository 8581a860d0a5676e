/**
 * The parent side of fixtures/bench-worker.ts: one process per variant, measured in turn.
 * Used by action-overhead.ts and options-profile.ts.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { VariantKey } from "./fixtures/thing-service";
import { ROOT, fmt } from "./lib";

import { waitForExit } from "../support/processes";

export { waitForExit };

export const fixture = (name: string) => path.join(__dirname, "fixtures", `${name}.ts`);

type WorkerMessage = { type: "ready"; notes: string[] } | { type: "result"; cps: number } | { type: "error"; message: string };


/** A variant's process: measures on request, one measurement at a time. */
export class Worker {
  readonly runs: number[] = [];
  readonly ready: Promise<string[]>;
  private readonly child: ChildProcess;
  private pending?: { resolve: (cps: number) => void; reject: (err: Error) => void };

  constructor(
    readonly variant: VariantKey,
    readonly label: string,
    natsUrl?: string,
  ) {
    this.child = fork(fixture("bench-worker"), [], {
      cwd: ROOT,
      execArgv: ["--import", "tsx"],
      env: { ...process.env, BENCH_VARIANT: variant, NATS_URL: natsUrl ?? "" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${variant} worker not ready after 60 s`)), 60_000);
      this.child.on("message", (msg: WorkerMessage) => {
        if (msg.type === "ready") {
          clearTimeout(timer);
          resolve(msg.notes);
        } else if (msg.type === "result") {
          this.settle(undefined, msg.cps);
        } else if (msg.type === "error") {
          clearTimeout(timer);
          reject(new Error(msg.message));
          this.settle(new Error(msg.message));
        }
      });
      this.child.once("exit", (code, signal) => {
        clearTimeout(timer);
        const err = new Error(`${variant} worker exited (${code ?? signal})`);
        reject(err);
        this.settle(err);
      });
    });
    this.ready.catch(() => {}); // awaited by startWorkers; an early failure must not go unhandled meanwhile
  }

  private settle(err: Error | undefined, cps = 0): void {
    const p = this.pending;
    this.pending = undefined;
    if (err) p?.reject(err);
    else p?.resolve(cps);
  }

  measure(opts: { inFlight: number; warmupMs: number; measureMs: number }): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.child.send({ type: "measure", ...opts });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.send({ type: "stop" });
    if (await waitForExit(this.child, 8_000)) return;
    this.child.kill("SIGKILL");
    await waitForExit(this.child, 5_000);
  }
}

/** Starts one worker per variant and waits for all; prints what they noted (gate checks, findings). */
export async function startWorkers(variants: Array<[VariantKey, string]>, natsUrl?: string): Promise<Worker[]> {
  const workers = variants.map(([v, label]) => new Worker(v, label, natsUrl));
  try {
    const notes = await Promise.all(workers.map((w) => w.ready));
    for (const line of [...new Set(notes.flat())]) console.log(`  ${line}`);
    return workers;
  } catch (err) {
    await Promise.allSettled(workers.map((w) => w.stop()));
    throw err;
  }
}

/**
 * Every worker `rounds` times, one at a time; round r starts with worker r, so that none always
 * runs first or last. The first round warms up longer.
 */
export async function runRounds(
  section: string,
  workers: Worker[],
  opts: { rounds: number; inFlight: number; measureMs: number; firstWarmupMs: number; laterWarmupMs: number },
): Promise<void> {
  const width = Math.max(...workers.map((w) => w.label.length));
  for (let r = 0; r < opts.rounds; r++) {
    for (let i = 0; i < workers.length; i++) {
      const w = workers[(i + r) % workers.length];
      const cps = await w.measure({ inFlight: opts.inFlight, warmupMs: r === 0 ? opts.firstWarmupMs : opts.laterWarmupMs, measureMs: opts.measureMs });
      w.runs.push(cps);
      console.log(`  ${section} round ${r + 1}/${opts.rounds}  ${w.label.padEnd(width)}  ${fmt(cps).padStart(9)} calls/s`);
    }
  }
}
