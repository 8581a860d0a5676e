import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { freePort } from "./processes";

export { freePort };

const repoRoot = path.resolve(__dirname, "../..");
const READY_LINE = "[start] node ";
const READY_TIMEOUT_MS = 60_000;
const KILL_AFTER_MS = 15_000;
const MAX_OUTPUT = 1_000_000;

/** package.json's start script: what `npm start` runs (undefined if it has none). */
export function startScript(): string | undefined {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  return pkg.scripts?.start;
}

/**
 * The V8 options package.json's start script gives a node (`--max-semi-space-size=16`), added to
 * `env`'s NODE_OPTIONS: a node started here, and a benchmark that hosts one in its own process,
 * runs with the heap `npm start` gives it.
 */
export function withStartNodeOptions(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const v8 = (startScript() ?? "").split(/\s+/).filter((arg) => /^--max-[a-z-]+-size=\d+$/.test(arg));
  const have = (env.NODE_OPTIONS ?? "").split(/\s+/).filter(Boolean);
  const options = [...have, ...v8.filter((o) => !have.some((h) => h.split("=")[0] === o.split("=")[0]))].join(" ");
  return options ? { ...env, NODE_OPTIONS: options } : env;
}

export interface PlatformNode {
  nodeId: string;
  port?: number;
  /** `tsx core/main.ts`, the leader of its own process group (tsx runs node as its child) */
  proc: ChildProcess;
  /** everything the node printed so far (stdout and stderr, interleaved) */
  output(): string;
  /** true once the process has exited */
  exited(): boolean;
  /**
   * Sends `signal` (SIGTERM by default: graceful, the broker drains and the node leaves the
   * cluster) to the node's process group and waits for it to exit; SIGKILL after 15 s.
   * Resolves with the exit code (null when ended by a signal).
   */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartNodeOptions {
  nodeId: string;
  services: string;
  databaseUrl: string;
  natsUrl: string;
  port?: number;
  /** REQUEST_TIMEOUT_MS of the node; the kernel's default when not given */
  requestTimeoutMs?: number;
  env?: Record<string, string>;
}

// Every node started by this process, so that nothing outlives the test run even when a test
// fails half-way (stopAllNodes in afterAll) or jest exits without running afterAll (exit hook).
const live = new Set<PlatformNode>();
const hookKey = Symbol.for("gd-procurement.test.node-process.exit-hook");
const g = globalThis as unknown as Record<symbol, Set<ChildProcess> | undefined>;
if (!g[hookKey]) {
  const procs = new Set<ChildProcess>();
  g[hookKey] = procs;
  process.once("exit", () => {
    for (const p of procs) killGroup(p, "SIGKILL");
  });
}
const allProcs = g[hookKey]!;

function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.pid === undefined) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    // the group is gone already; fall back to the leader itself
    try {
      proc.kill(signal);
    } catch {
      /* gone */
    }
  }
}

/**
 * Whether any process of the group still runs. Zombies do not count: the node process is
 * tsx's child, so once tsx is gone it is reaped by init, which may take a while.
 */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (process.platform !== "linux") return true;
  try {
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue; // exited meanwhile
      }
      // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pgrp) === pgid && state !== "Z" && state !== "X") return true;
    }
    return false;
  } catch {
    return true;
  }
}

/**
 * Starts a platform node as a separate OS process, as an operator would: `tsx core/main.ts`
 * in the repository root, configured only through its environment. Resolves once it prints
 * its "[start] node ... ready" line; rejects with its output if it exits first or takes > 60 s.
 */
export async function startNode(opts: StartNodeOptions): Promise<PlatformNode> {
  const env: NodeJS.ProcessEnv = {
    ...withStartNodeOptions(process.env),
    HOST: "127.0.0.1",
    DATABASE_URL: opts.databaseUrl,
    NATS_URL: opts.natsUrl,
    SERVICES: opts.services,
    NODE_ID: opts.nodeId,
    LOG_LEVEL: "warn",
    ...(opts.requestTimeoutMs !== undefined ? { REQUEST_TIMEOUT_MS: String(opts.requestTimeoutMs) } : {}),
    ...(opts.port !== undefined ? { PORT: String(opts.port) } : {}),
    ...(opts.env ?? {}),
  };
  // A node without a PORT must not try to take the default 3000 (it only matters with a gateway).
  if (opts.port === undefined && !("PORT" in (opts.env ?? {}))) delete env.PORT;

  const proc = spawn(path.join(repoRoot, "node_modules", ".bin", "tsx"), ["core/main.ts"], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: tsx runs the program in a child node process, and a SIGKILL of
    // tsx alone would leave that child running. Signals go to the whole group, like Ctrl-C.
    detached: true,
  });
  allProcs.add(proc);

  let out = "";
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let onReady: (() => void) | undefined;
  const append = (chunk: Buffer) => {
    if (out.length < MAX_OUTPUT) out += chunk.toString();
    // a line of its own (LOG_FORMAT=text) or a JSON line's message (json, the default)
    if (onReady && out.split("\n").some((l) => l.startsWith(READY_LINE) || l.includes(`"msg":"${READY_LINE}`))) onReady();
  };
  proc.stdout!.on("data", append);
  proc.stderr!.on("data", append);
  const exit = new Promise<number | null>((resolve) => {
    proc.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      resolve(code);
    });
  });
  proc.once("error", (err) => {
    out += `\n[spawn] ${err.message}\n`;
  });

  let stopping: Promise<number | null> | undefined;
  const node: PlatformNode = {
    nodeId: opts.nodeId,
    port: opts.port,
    proc,
    output: () => out,
    exited: () => exitInfo !== null,
    stop(signal: NodeJS.Signals = "SIGTERM") {
      // A SIGKILL always goes through, even during a graceful stop.
      if (stopping && signal !== "SIGKILL") return stopping;
      const run = async () => {
        if (!exitInfo) killGroup(proc, signal);
        const timer = setTimeout(() => killGroup(proc, "SIGKILL"), KILL_AFTER_MS);
        const code = await exit;
        clearTimeout(timer);
        // The leader has exited; make sure no member of its group (the real node process) lingers.
        const deadline = Date.now() + KILL_AFTER_MS;
        while (proc.pid !== undefined && groupAlive(proc.pid)) {
          if (Date.now() > deadline) {
            killGroup(proc, "SIGKILL");
            await new Promise((r) => setTimeout(r, 100));
            break;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        live.delete(node);
        allProcs.delete(proc);
        return code;
      };
      stopping = run();
      return stopping;
    },
  };
  live.add(node);

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`node ${opts.nodeId} printed no "${READY_LINE}..." line within ${READY_TIMEOUT_MS / 1000} s; output:\n${out}`)),
        READY_TIMEOUT_MS,
      );
      onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      if (out.split("\n").some((l) => l.startsWith(READY_LINE) || l.includes(`"msg":"${READY_LINE}`))) onReady();
      void exit.then(() => {
        clearTimeout(timer);
        reject(new Error(`node ${opts.nodeId} exited before it was ready (${JSON.stringify(exitInfo)}); output:\n${out}`));
      });
    });
  } catch (err) {
    await node.stop("SIGKILL");
    throw err;
  } finally {
    onReady = undefined;
  }
  return node;
}

/** Stops every node this process started and that is still running (for afterAll). */
export async function stopAllNodes(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  await Promise.all([...live].map((n) => n.stop(signal)));
}
