import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../../core/db/embedded";
import { freePort } from "./processes";

export default async function globalSetup(): Promise<void> {
  // The analytics demo's two years of history (plugins/analytics/demo.ts) cost a demo start tens of
  // seconds; the suites that read it (test/integration/analytics/demo.test.ts) ask for it.
  process.env.ANALYTICS_DEMO_MONTHS ??= "0";
  if (process.env.DATABASE_URL) {
    process.env.TEST_ADMIN_DATABASE_URL = process.env.DATABASE_URL;
    console.log(`\n[test] PostgreSQL from DATABASE_URL`);
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gdpc-test-"));
  fs.chmodSync(dataDir, 0o755);
  // Several runs may share a machine (and a developer may have `npm start` up): ask the OS for a port.
  const port = Number(process.env.TEST_PG_PORT) || (await freePort());
  const pg = await startEmbeddedPostgres({ dataDir, port, database: "postgres", log: () => {} });
  process.env.TEST_ADMIN_DATABASE_URL = pg.url;
  (globalThis as Record<string, unknown>).__testPostgres = { pg, dataDir };
  console.log(`\n[test] embedded PostgreSQL on port ${port}, data in ${dataDir}`);
}
