import path from "node:path";
import { startTestPlatform } from "../../support/kernel";

const FIXTURE_PLUGINS = path.resolve(__dirname, "../../fixtures/plugins");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A balancer notices a node is not ready only at its next check. Before SHUTDOWN_DELAY_MS the node
// closed its port at once, so requests sent before that check were refused (test/cluster/rolling-upgrade.test.ts).
test("a stopping node is not ready at once but keeps serving for SHUTDOWN_DELAY_MS, then closes", async () => {
  const platform = await startTestPlatform({ pluginsDir: FIXTURE_PLUGINS, shutdownDelayMs: 1500 });
  const ready = () => fetch(platform.baseUrl + "/health/ready").then((r) => r.status);
  expect(await ready()).toBe(200);
  const t0 = Date.now();
  const stopped = platform.stop();
  await sleep(300);
  expect(await ready()).toBe(503);
  expect((await platform.api("/api/health")).status).toBe(200);
  await stopped;
  expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
  await expect(fetch(platform.baseUrl + "/health/live")).rejects.toThrow();
});
