/**
 * A platform node for test/cluster/notifications.test.ts, as a separate process:
 * `tsx test/cluster/notifications-node.ts`, configured like `npm start` through its environment,
 * plus NOTIFY_FIXTURE_CONSUMER=0: no notifications service on this node (the kernel runs one on
 * every node), so that it only serves sockets. Imported (by the test), it only offers
 * `startNotificationsNode()`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const READY = "[start] node ";

export interface FixtureNode {
  nodeId: string;
  port: number;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => running.forEach((p) => kill(p, "SIGKILL")));

function kill(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid!, signal); // tsx runs node as a child: the whole group
  } catch {
    /* gone */
  }
}

export async function startNotificationsNode(opts: { nodeId: string; port: number; databaseUrl: string; natsUrl: string; services: string; env?: Record<string, string> }): Promise<FixtureNode> {
  const proc = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.relative(ROOT, __filename)], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(opts.port),
      DATABASE_URL: opts.databaseUrl,
      NATS_URL: opts.natsUrl,
      SERVICES: opts.services,
      NODE_ID: opts.nodeId,
      LOG_LEVEL: "warn",
      ...opts.env,
    },
  });
  running.add(proc);
  let out = "";
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${opts.nodeId} not ready within 60 s:\n${out}`)), 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(READY)) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on("data", onData);
    proc.stderr!.on("data", onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`node ${opts.nodeId} exited before it was ready:\n${out}`));
    });
  }).catch(async (err) => {
    kill(proc, "SIGKILL");
    await exited;
    throw err;
  });
  return {
    nodeId: opts.nodeId,
    port: opts.port,
    output: () => out,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) kill(proc, signal);
      const timer = setTimeout(() => kill(proc, "SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
      running.delete(proc);
    },
  };
}

async function main(): Promise<void> {
  const { readConfig } = await import("../../core/config");
  const { startKernel } = await import("../../core/kernel");
  const cfg = readConfig();
  const kernel = await startKernel(cfg);
  const local = kernel.broker.getLocalService("notifications");
  if (process.env.NOTIFY_FIXTURE_CONSUMER === "0" && local) {
    // A node that only serves sockets, so that a push it delivers must have crossed NATS.
    await kernel.broker.destroyService(local);
  }
  const stop = async () => {
    await kernel.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
  console.log(`${READY}${kernel.broker.nodeID} ready: ${cfg.services?.join(",")}; consumer ${kernel.broker.getLocalService("notifications") ? "here" : "elsewhere"}; relay ${kernel.outbox ? "here" : "elsewhere"}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`[start] cannot start: ${(err as Error).stack}`);
    process.exit(1);
  });
}
