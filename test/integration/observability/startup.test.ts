import { spawn } from "node:child_process";
import path from "node:path";
import { createTestDatabase } from "../../support/db";
import { freePort, startNode, stopAllNodes, type PlatformNode } from "../../support/node-process";

const ROOT = path.resolve(__dirname, "../../..");
const FIXTURE_PLUGINS = path.resolve(__dirname, "../../fixtures/plugins");

/** `tsx core/main.ts` with this environment (and nothing of the test's own), until it exits. */
function runMain(env: Record<string, string>, timeoutMs = 50_000): Promise<{ code: number | null; stderr: string; stdout: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const proc = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), ["core/main.ts"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`main.ts still running after ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout, ms: Date.now() - started });
    });
  });
}

const oneClearLine = (stderr: string) => {
  const lines = stderr.split("\n").filter((l) => l.trim());
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^\[start\] cannot start: /);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0];
};

describe("bad configuration stops the start with one clear line on stderr, no stack trace", () => {
  test("a missing secret in production mode", async () => {
    const run = await runMain({ NODE_ENV: "production", DATABASE_URL: "postgres://u:p@127.0.0.1:1/x" });
    expect(run.code).toBe(1);
    expect(oneClearLine(run.stderr)).toContain("AUTH_SECRET is required when NODE_ENV=production");
  });

  test("a malformed DATABASE_URL, without repeating its password", async () => {
    const run = await runMain({ DATABASE_URL: "postgres//planner:Hunter2-secret@db.internal/procurement" });
    expect(run.code).toBe(1);
    expect(oneClearLine(run.stderr)).toContain("DATABASE_URL is not a valid postgres URL (expected like postgres://user:password@host:5432/database)");
    expect(run.stderr + run.stdout).not.toContain("Hunter2-secret");
  });

  test("a setting that is not a number", async () => {
    const run = await runMain({ SHUTDOWN_TIMEOUT_MS: "ten seconds" });
    expect(run.code).toBe(1);
    expect(oneClearLine(run.stderr)).toContain('SHUTDOWN_TIMEOUT_MS must be a whole number, got "ten seconds"');
  });

  test("a transporter that cannot be reached, after a bounded wait", async () => {
    const db = await createTestDatabase();
    try {
      const port = await freePort();
      const run = await runMain({ DATABASE_URL: db.url, NATS_URL: `nats://127.0.0.1:${port}`, TRANSPORTER_CONNECT_TIMEOUT_MS: "2000", PLUGINS_DIR: FIXTURE_PLUGINS, SERVICES: "probe" });
      expect(run.code).toBe(1);
      expect(oneClearLine(run.stderr)).toContain(`cannot reach the transporter at nats://127.0.0.1:${port} within 2 s; check NATS_URL and that nats-server runs`);
      // the 2 s wait, plus loading the kernel on a busy machine
      expect(run.ms).toBeLessThan(45_000);
    } finally {
      await db.drop();
    }
  });
});

describe("graceful shutdown on SIGTERM", () => {
  let node: PlatformNode | undefined;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await stopAllNodes();
    await db?.drop();
  });

  test("finishes the requests in flight, answers not-ready while it drains, and exits within SHUTDOWN_TIMEOUT_MS", async () => {
    const port = await freePort();
    // LOG_LEVEL=warn quietens the broker, not the start-up and stop lines an operator (and startNode) waits for
    node = await startNode({ nodeId: "drain-1", services: "gateway,probe", databaseUrl: db.url, natsUrl: "", port, env: { PLUGINS_DIR: FIXTURE_PLUGINS, SHUTDOWN_TIMEOUT_MS: "4000", LOG_LEVEL: "warn" } });
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    // a request that takes 1.5 s, sent before the signal
    const inFlight = fetch(`${base}/api/probe/slow?ms=1500`).then(async (r) => ({ status: r.status, body: await r.json(), at: Date.now() }));
    await new Promise((r) => setTimeout(r, 300));
    const signalledAt = Date.now();
    const stopped = node.stop("SIGTERM");
    // while it drains, a load balancer's probe hears "not ready" (or finds the port closed)
    await new Promise((r) => setTimeout(r, 200));
    const probe = await fetch(`${base}/health/ready`).then((r) => r.status, () => "closed");
    expect([503, "closed"]).toContain(probe);
    const done = await inFlight;
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ done: true });
    expect(await stopped).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(4000 + 10_000);
    expect(node.output()).toContain("finishing requests in flight (at most 4 s)");
    expect(node.output()).toContain("[stop] stopped");
  });
});
