import { readConfig } from "./config";
import { startKernel, type Kernel } from "./kernel";
import { ensureWebBuilt } from "./gateway/web-build";

/**
 * `npm start`: one program for every node role. Start-up problems end in one plain sentence
 * that says what to do, not in a stack trace.
 */
async function main(): Promise<void> {
  const started = Date.now();
  const cfg = readConfig();
  // Signals are ours from the first moment: one that arrives during start-up waits for the start
  // to settle and then stops whatever did start (the embedded database above all).
  let starting: Promise<Kernel | undefined> | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[stop] ${signal}: finishing requests in flight, then stopping`);
    try {
      const kernel = await starting;
      await kernel?.stop();
      process.exit(0);
    } catch (err) {
      console.error(`[stop] ${(err as Error).message}`);
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  // A node that serves HTTP serves the web app: build it first when web/dist is missing or stale.
  if (!cfg.services || cfg.services.includes("gateway")) await ensureWebBuilt(cfg.rootDir);
  starting = startKernel(cfg).catch((err: Error) => {
    console.error(`\n[start] cannot start: ${err.message}\n`);
    process.exit(1);
  });
  const kernel = await starting;
  if (!kernel || stopping) return;
  const roles = [...kernel.local.map((p) => p.manifest.name), ...(kernel.gateway ? ["gateway"] : [])];
  console.log(
    `[start] node ${kernel.broker.nodeID} ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${roles.join(", ")}; ` +
      `${cfg.natsUrl ? `NATS at ${cfg.natsUrl}` : "in-process broker"}; database ${kernel.db.where} (${kernel.db.kind})`,
  );
  if (kernel.gateway) console.log(`[start] http://localhost:${cfg.port}/  (API under /api, health at /api/health)`);
}

void main();
