import { execFileSync, spawn } from "node:child_process";
import net from "node:net";
import { findOnPath, freePort } from "./processes";

/**
 * A real nats-server for the cluster tests. No npm package ships the binary, so it comes from
 * the system: Debian's `nats-server` package (.ci/run installs it; as root we install it here
 * too, so that `npm test` on a fresh machine works without a separate step).
 */

const INSTALL_HINT = 'nats-server is not installed: run "sudo apt-get install -y nats-server" (Debian/Ubuntu) and re-run npm test';
const READY_TIMEOUT_MS = 10_000;

/** Absolute path of nats-server; installs Debian's package when missing and running as root. */
export function natsServerBinary(): string {
  const found = findOnPath("nats-server");
  if (found) return found;
  if (process.getuid?.() !== 0) throw new Error(INSTALL_HINT);
  console.log("[test] nats-server is not installed: running apt-get update && apt-get install -y nats-server");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    execFileSync("apt-get", ["update"], { stdio: "inherit", env });
    execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "nats-server"], { stdio: "inherit", env });
  } catch (err) {
    throw new Error(`${INSTALL_HINT} (installing it automatically failed: ${(err as Error).message})`);
  }
  const installed = findOnPath("nats-server");
  if (!installed) throw new Error(`${INSTALL_HINT} (apt-get install finished but no nats-server binary was found)`);
  return installed;
}

function canConnect(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok: boolean) => {
      sock.removeAllListeners();
      sock.destroy();
      resolve(ok);
    };
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
    sock.setTimeout(1000, () => done(false));
  });
}

export interface NatsServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts a private nats-server on 127.0.0.1 and a free port. Even when NATS_URL is set (CI
 * starts a shared server), each suite gets its own: nodes of one suite must not see the nodes
 * (or leftovers) of another, and stopping/killing nodes in one suite must not disturb another.
 */
export async function startNats(): Promise<NatsServer> {
  const bin = natsServerBinary();
  const port = await freePort();
  const proc = spawn(bin, ["-a", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let ready = false;
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes("Server is ready")) ready = true;
  };
  proc.stdout!.on("data", collect);
  proc.stderr!.on("data", collect);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exit = new Promise<void>((resolve) => {
    proc.once("exit", (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  proc.once("error", (err) => {
    output += `\n${err.message}`;
    exited ??= { code: null, signal: null };
  });

  const stop = async () => {
    if (exited) return;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await exit;
    clearTimeout(timer);
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!ready && !(await canConnect(port))) {
    if (exited) {
      throw new Error(`nats-server (${bin}) exited before it was ready (${JSON.stringify(exited)}):\n${output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nats-server (${bin}) did not accept connections on 127.0.0.1:${port} within ${READY_TIMEOUT_MS / 1000} s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `nats://127.0.0.1:${port}`, port, stop };
}
