import { nodeIdOf, readConfig, type KernelConfig } from "./config";
import type { Kernel } from "./kernel";
import { createRootLogger, lineLogger } from "./observability/log";

/** One line on stderr, no stack: what an operator reads when a node will not start. */
function fail(reason: string): never {
  process.stderr.write(`[start] cannot start: ${reason}\n`);
  process.exit(1);
}

/**
 * `npm start`: one program for every node role. Start-up problems end in one plain sentence
 * that says what to do, not in a stack trace.
 */
async function main(): Promise<void> {
  const started = Date.now();
  let cfg: KernelConfig;
  try {
    cfg = readConfig();
  } catch (err) {
    fail((err as Error).message);
  }
  const logger = createRootLogger({ level: cfg.logLevel, format: cfg.logFormat, node: nodeIdOf(cfg) });
  const log = lineLogger(logger);
  // Signals are ours from the first moment: one that arrives during start-up waits for the start
  // to settle and then stops whatever did start (the embedded database above all).
  let starting: Promise<Kernel | undefined> | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`[stop] ${signal}: not ready; serving ${cfg.shutdownDelayMs / 1000} s more, then finishing requests in flight (at most ${cfg.shutdownTimeoutMs / 1000} s) and stopping`);
    // The broker gives requests in flight SHUTDOWN_TIMEOUT_MS; the database and the rest get a few seconds more.
    const bound = setTimeout(() => {
      process.stderr.write(`[stop] not stopped within ${(cfg.shutdownDelayMs + cfg.shutdownTimeoutMs) / 1000 + 10} s of ${signal}: exiting anyway\n`);
      process.exit(1);
    }, cfg.shutdownDelayMs + cfg.shutdownTimeoutMs + 10_000);
    bound.unref();
    try {
      const kernel = await starting;
      await kernel?.stop();
      log(`[stop] stopped`);
      process.exit(0);
    } catch (err) {
      process.stderr.write(`[stop] ${(err as Error).message}\n`);
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  // The kernel (Moleculer, knex, every plugin) is loaded once the configuration is known good: a
  // bad setting is reported in a moment, not after seconds of loading.
  const { startKernel } = await import("./kernel");
  const { ensureWebBuilt } = await import("./gateway/web-build");
  // A node that serves HTTP serves the web app: build it first when web/dist is missing or stale.
  if (!cfg.services || cfg.services.includes("gateway")) await ensureWebBuilt(cfg.rootDir);
  starting = startKernel(cfg, log, { logger }).catch((err: Error) => fail(err.message));
  const kernel = await starting;
  if (!kernel || stopping) return;
  const roles = [...kernel.local.map((p) => p.manifest.name), ...(kernel.gateway ? ["gateway"] : [])];
  log(
    `[start] node ${kernel.broker.nodeID} ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${roles.join(", ")}; ` +
      `${cfg.natsUrl ? `NATS at ${cfg.natsUrl.replace(/\/\/[^@/]*@/g, "//")}` : "in-process broker"}; database ${kernel.db.where} (${kernel.db.kind})`,
  );
  if (kernel.gateway) log(`[start] http://localhost:${cfg.port}/  (API under /api, health at /api/health and /health/ready, metrics at /metrics)`);
}

void main();
