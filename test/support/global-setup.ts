import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import { startEmbeddedPostgres } from "../../core/db/embedded";

/** Several runs may share a machine (and a developer may have `npm start` up): ask the OS for a port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * One PostgreSQL server for the whole run: DATABASE_URL when given (CI points it at Debian's
 * postgresql), otherwise an embedded one in a temporary folder. Each test file then makes its
 * own database on it (test/support/db.ts), so files never see each other's rows.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_ADMIN_DATABASE_URL = process.env.DATABASE_URL;
    console.log(`\n[test] PostgreSQL from DATABASE_URL`);
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gdpc-test-"));
  fs.chmodSync(dataDir, 0o755);
  const port = Number(process.env.TEST_PG_PORT) || (await freePort());
  const pg = await startEmbeddedPostgres({ dataDir, port, database: "postgres", log: () => {} });
  process.env.TEST_ADMIN_DATABASE_URL = pg.url;
  (globalThis as Record<string, unknown>).__testPostgres = { pg, dataDir };
  console.log(`\n[test] embedded PostgreSQL on port ${port}, data in ${dataDir}`);
}
