import { readConfig } from "./config";
import { startKernel, type Kernel } from "./kernel";

/**
 * `npm start`: one program for every node role. Start-up problems end in one plain sentence
 * that says what to do, not in a stack trace.
 */
async function main(): Promise<void> {
  const started = Date.now();
  const cfg = readConfig();
  let kernel: Kernel;
  try {
    kernel = await startKernel(cfg);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { port?: number };
    const message =
      e.code === "EADDRINUSE"
        ? `port ${cfg.port} is already in use by another program; set PORT to a free port (e.g. PORT=3001 npm start)`
        : e.message;
    console.error(`\n[start] cannot start: ${message}\n`);
    process.exit(1);
  }
  const roles = [...kernel.local.map((p) => p.manifest.name), ...(cfg.services === null || cfg.services.includes("gateway") ? ["gateway"] : [])];
  console.log(
    `[start] node ${kernel.broker.nodeID} ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${roles.join(", ")}; ` +
      `${cfg.natsUrl ? `NATS at ${cfg.natsUrl}` : "in-process broker"}; database ${kernel.db.where} (${kernel.db.kind})`,
  );
  if (roles.includes("gateway")) console.log(`[start] http://localhost:${cfg.port}/  (API under /api, health at /api/health)`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[stop] ${signal}: finishing requests in flight, then stopping`);
    try {
      await kernel.stop();
      process.exit(0);
    } catch (err) {
      console.error(`[stop] ${(err as Error).message}`);
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

void main();
