/**
 * Calls/s of a platform action against a bare Moleculer action, 100 calls in flight, measured in
 * the same run: in one process, and between two processes over NATS.
 *
 *   npx tsx test/bench/action-overhead.ts
 *
 * BENCH_SECONDS (default 3) is the measured time of one run, BENCH_ROUNDS (default 3) how many
 * runs each variant gets; variants take turns in a rotating order and the median run is reported.
 * A benchmark, not a test: it prints figures and whether the targets were met, and exits 0 either
 * way (non-zero only when it could not measure at all).
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import type { ServiceBroker } from "moleculer";
import { BARE_NAMESPACE } from "./fixtures/nats-names";
import {
  ACTION,
  PARAMS,
  SERVICE,
  USER,
  asKernelWould,
  bareBroker,
  bareThingService,
  benchPlugins,
  kernelConfig,
  kernelOptionsBroker,
  platformBroker,
  platformThingService,
} from "./fixtures/thing-service";
import { NOISE_NOTE, ROOT, closedLoop, envNumber, fmt, freePort, load, machine, median, onPath, sleep, table, writeSummary } from "./lib";

const IN_FLIGHT = 100;
const MEASURE_MS = envNumber("BENCH_SECONDS", 3) * 1000;
const ROUNDS = Math.round(envNumber("BENCH_ROUNDS", 3));
const FIRST_WARMUP_MS = 1000;
const LATER_WARMUP_MS = 500;

const TARGET_IN_PROCESS = 0.5;
const TARGET_NATS = 0.8;

interface Variant {
  key: string;
  label: string;
  call: () => Promise<unknown>;
  runs: number[];
}

const callOpts = { meta: { user: USER } };

function variant(key: string, label: string, broker: ServiceBroker): Variant {
  return { key, label, call: () => broker.call(ACTION, PARAMS, callOpts), runs: [] };
}

/** Every variant `ROUNDS` times; round r starts with variant r, so none always runs first or last. */
async function rounds(section: string, variants: Variant[]): Promise<void> {
  for (let r = 0; r < ROUNDS; r++) {
    const order = variants.map((_, i) => variants[(i + r) % variants.length]);
    for (const v of order) {
      const cps = await closedLoop(v.call, { inFlight: IN_FLIGHT, warmupMs: r === 0 ? FIRST_WARMUP_MS : LATER_WARMUP_MS, measureMs: MEASURE_MS });
      v.runs.push(cps);
      console.log(`  ${section} round ${r + 1}/${ROUNDS}  ${v.label.padEnd(44)} ${fmt(cps).padStart(8)} calls/s`);
    }
  }
}

/** The gate must really be checking, or the platform figure would flatter it. */
async function assertGateActive(broker: ServiceBroker): Promise<void> {
  const expectCode = async (meta: object, code: string) => {
    try {
      await broker.call(ACTION, PARAMS, { meta });
    } catch (err) {
      // PlatformError keeps its code in `type`, which survives the trip over NATS.
      if ((err as { type?: string }).type === code) return;
      throw new Error(`expected ${code} from ${ACTION}, got ${(err as Error).name}: ${(err as Error).message}`);
    }
    throw new Error(`expected ${code} from ${ACTION}, but the call succeeded: the permission gate is not active`);
  };
  await expectCode({}, "UNAUTHENTICATED");
  await expectCode({ user: { ...USER, roles: ["nobody"] } }, "FORBIDDEN");
  const ok = (await broker.call(ACTION, PARAMS, callOpts)) as { id?: number };
  if (ok?.id !== PARAMS.id) throw new Error(`unexpected answer from ${ACTION}: ${JSON.stringify(ok)}`);
}

/**
 * A refused call should leave no context behind in the request tracker. If it does (a middleware
 * that throws instead of returning a rejected promise skips the tracker's clean-up), say so, and
 * forget them here, or stopping the broker would wait the whole shutdownTimeout for them.
 */
function reportLeakedContexts(broker: ServiceBroker): void {
  const svc = broker.getLocalService(SERVICE) as unknown as { _trackedContexts?: unknown[] } | undefined;
  const leaked = svc?._trackedContexts?.length ?? 0;
  if (!leaked) return;
  console.log(
    `  FINDING: the 2 refused calls left ${leaked} context(s) in the request tracker (permissionGate throws synchronously, so\n` +
      "  Moleculer's ContextTracker never removes them): broker.stop() would wait the full shutdownTimeout. Cleared here.",
  );
  svc!._trackedContexts!.length = 0;
}

async function inProcess(pluginsNote: string, plugins: ReturnType<typeof benchPlugins>["plugins"]): Promise<Variant[]> {
  console.log(`\n== in-process (one broker per variant, ${IN_FLIGHT} calls in flight) ==`);
  console.log(`  ${pluginsNote}`);
  const platform = platformBroker(kernelConfig(), plugins);
  platform.createService(asKernelWould(platformThingService));
  const bare = bareBroker();
  bare.createService(bareThingService);
  const kernelOpts = kernelOptionsBroker(kernelConfig());
  kernelOpts.createService(asKernelWould(platformThingService));
  const brokers = [platform, bare, kernelOpts];
  await Promise.all(brokers.map((b) => b.start()));
  try {
    await assertGateActive(platform);
    console.log("  permission gate checked: no user → UNAUTHENTICATED, user without the role → FORBIDDEN, reader → answer");
    reportLeakedContexts(platform);
    const variants = [
      variant("platform", "platform (kernel options + middlewares)", platform),
      variant("bare", "bare (Moleculer defaults, no middlewares)", bare),
      variant("kernel-options", "bare + kernel broker options, no middlewares", kernelOpts),
    ];
    await rounds("in-process", variants);
    return variants;
  } finally {
    await Promise.allSettled(brokers.map((b) => b.stop()));
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

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Ends a child this benchmark started, and anything it started in its own process group. */
async function stopChild(child: ChildProcess, name: string, gentle?: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  gentle?.();
  if (gentle && (await waitForExit(child, 10_000))) return;
  try {
    process.kill(-child.pid!, "SIGTERM");
  } catch {
    /* already gone */
  }
  if (await waitForExit(child, 5_000)) return;
  console.log(`  ${name} did not stop on SIGTERM; sending SIGKILL`);
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    /* already gone */
  }
  await waitForExit(child, 5_000);
}

function startResponder(natsUrl: string): Promise<ChildProcess> {
  // Run from TypeScript-compiled JavaScript (test/bench/compiled.ts), the responder is compiled too.
  const [cmd, args] = __filename.endsWith(".js")
    ? [process.execPath, [path.join(__dirname, "fixtures", "nats-responder.js")]]
    : ["npx", ["tsx", "test/bench/fixtures/nats-responder.ts"]];
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, NATS_URL: natsUrl },
    stdio: ["pipe", "pipe", "pipe"],
    detached: true, // its own process group, so that npx → tsx → node can be stopped together
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`responder not ready after 60 s:\n${output}`)), 60_000);
    child.stdout!.on("data", (d: Buffer) => {
      output += d.toString();
      if (/^READY$/m.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`responder exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

async function overNats(plugins: ReturnType<typeof benchPlugins>["plugins"]): Promise<Variant[] | { skipped: string }> {
  console.log(`\n== over NATS (caller: this process; responder: a child process; ${IN_FLIGHT} calls in flight) ==`);
  const server = onPath("nats-server");
  if (!server) {
    const msg = "nats-server is not on PATH; install it with `apt-get install -y nats-server` and run again. Skipping the NATS part.";
    console.log(`  ${msg}`);
    return { skipped: msg };
  }
  const port = await freePort();
  const natsUrl = `nats://127.0.0.1:${port}`;
  const nats = spawn(server, ["-a", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"], detached: true });
  let natsLog = "";
  nats.stderr!.on("data", (d: Buffer) => (natsLog = (natsLog + d.toString()).slice(-4000)));
  let responder: ChildProcess | undefined;
  const callers: ServiceBroker[] = [];
  try {
    await waitForPort(port, 10_000).catch((err: Error) => {
      throw new Error(`${err.message}; nats-server said:\n${natsLog}`);
    });
    console.log(`  ${server} on ${natsUrl} (pid ${nats.pid})`);
    const t0 = Date.now();
    responder = await startResponder(natsUrl);
    console.log(`  responder ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (${responder.spawnargs.join(" ")}, pid ${responder.pid})`);

    const platform = platformBroker(kernelConfig({ NATS_URL: natsUrl, NODE_ID: "bench-caller-platform" }), plugins);
    const bare = bareBroker({ namespace: BARE_NAMESPACE, nodeID: "bench-caller-bare", transporter: natsUrl });
    callers.push(platform, bare);
    await Promise.all(callers.map((b) => b.start()));
    await Promise.all(callers.map((b) => b.waitForServices(SERVICE, 20_000)));
    await assertGateActive(platform);
    console.log("  permission gate checked on the responder: no user → UNAUTHENTICATED, user without the role → FORBIDDEN, reader → answer");
    const variants = [
      variant("platform", "platform (kernel options + middlewares)", platform),
      variant("bare", "bare (Moleculer defaults, no middlewares)", bare),
    ];
    await rounds("NATS", variants);
    return variants;
  } finally {
    await Promise.allSettled(callers.map((b) => b.stop()));
    if (responder) await stopChild(responder, "responder", () => responder!.stdin!.end());
    await stopChild(nats, "nats-server");
  }
}

// ---------------------------------------------------------------------------------------------------------------

function met(ratio: number, target: number): string {
  return Number.isFinite(ratio) ? (ratio >= target ? "yes" : "NO") : "n/a";
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log("action-overhead: platform action vs bare Moleculer action");
  console.log(`machine: ${machine()}; load average ${load()} at start`);
  console.log(`each run: warm-up ${FIRST_WARMUP_MS / 1000} s (first round) or ${LATER_WARMUP_MS / 1000} s, then ${MEASURE_MS / 1000} s measured; ${ROUNDS} rounds; median reported`);

  const { plugins, note } = benchPlugins();
  const local = await inProcess(note, plugins);
  const remote = await overNats(plugins);

  const m = (vs: Variant[], key: string) => median(vs.find((v) => v.key === key)!.runs);
  const ip = { platform: m(local, "platform"), bare: m(local, "bare"), kernelOptions: m(local, "kernel-options") };
  const nt = Array.isArray(remote) ? { platform: m(remote, "platform"), bare: m(remote, "bare") } : undefined;

  const runs = (vs: Variant[], key: string) => vs.find((v) => v.key === key)!.runs.map((x) => fmt(x)).join(" / ");
  const rows: string[][] = [
    ["in-process  platform", fmt(ip.platform), fmt(ip.platform / ip.bare, 2) + "×", `≥ ${TARGET_IN_PROCESS}× bare`, met(ip.platform / ip.bare, TARGET_IN_PROCESS), runs(local, "platform")],
    ["in-process  bare", fmt(ip.bare), "1.00×", "", "", runs(local, "bare")],
    ["in-process  bare + kernel options", fmt(ip.kernelOptions), fmt(ip.kernelOptions / ip.bare, 2) + "×", "", "", runs(local, "kernel-options")],
  ];
  if (nt && Array.isArray(remote)) {
    rows.push(
      ["NATS        platform", fmt(nt.platform), fmt(nt.platform / nt.bare, 2) + "×", `≥ ${TARGET_NATS}× bare`, met(nt.platform / nt.bare, TARGET_NATS), runs(remote, "platform")],
      ["NATS        bare", fmt(nt.bare), "1.00×", "", "", runs(remote, "bare")],
    );
  } else {
    rows.push(["NATS", "skipped", "", `≥ ${TARGET_NATS}× bare`, "n/a", (remote as { skipped: string }).skipped]);
  }

  console.log(`\n== results (${IN_FLIGHT} calls in flight, median of ${ROUNDS} runs of ${MEASURE_MS / 1000} s) ==`);
  console.log(table(["variant", "calls/s", "vs bare", "target", "met", "runs (calls/s)"], rows));
  console.log(
    `\nwhat the kernel middlewares alone cost: platform / (bare + kernel options) = ${fmt(ip.platform / ip.kernelOptions, 2)}× ` +
      `(${fmt(1e6 / ip.platform, 1)} µs vs ${fmt(1e6 / ip.kernelOptions, 1)} µs of one process's time per call)`,
  );
  console.log(
    "\nnotes:\n" +
      "  - platform = createBroker(cfg, [errorBoundary(), permissionGate(...)]) as in core/kernel.ts: request tracking, circuit\n" +
      "    breaker, requestTimeout " + kernelConfig().requestTimeoutMs + " ms, a retry policy on read actions (as withKernel adds), JSON serializer,\n" +
      "    Console logger at level warn; the permission gate builds the caller's CASL ability on every call.\n" +
      "  - bare = new ServiceBroker({ logger: false }): Moleculer defaults, i.e. no tracking, no circuit breaker, no request\n" +
      "    timeout, no retries, no middlewares.\n" +
      "  - bare + kernel options = createBroker(cfg, []): the kernel's broker options without its middlewares; platform vs this\n" +
      "    row is what errorBoundary + permissionGate cost.\n" +
      "  - over NATS the caller and the responder are two processes and nats-server a third, on " + machine().split(",")[1].trim() + ";\n" +
      "    the in-process figures are one process on one core.\n" +
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
