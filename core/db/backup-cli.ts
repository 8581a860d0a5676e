import { readConfig } from "../config";
import { backup, restore } from "./backup";

/**
 * `npm run backup -- <new folder>` and `npm run restore -- <backup folder>` (core/db/backup.ts), on
 * the node's configuration (DATABASE_URL, or DATA_DIR and EMBEDDED_PG_PORT; FILES_STORE=s3 and
 * FILES_S3_*). Exit 0: done (and, for a restore, checked); 2: restored, but the check failed (the
 * audit chain, or row counts of a backup whose counts are exact); 1: nothing done (a one-line reason).
 */
async function main(): Promise<number> {
  const [command, folder] = process.argv.slice(2);
  if ((command !== "backup" && command !== "restore") || !folder) {
    process.stderr.write("usage: npm run backup -- <new folder>   |   npm run restore -- <backup folder>\n");
    return 1;
  }
  const cfg = readConfig();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (command === "backup") {
    await backup(cfg, folder, log);
    return 0;
  }
  const result = await restore(cfg, folder, log);
  for (const d of result.differences) log(`[restore] ${d.table}: ${d.backup} rows in the backup, ${d.restored} restored`);
  process.stdout.write(`${JSON.stringify({ audit: { ok: result.audit.ok, checked: result.audit.checked, head: result.audit.head }, differences: result.differences })}\n`);
  const sameHead = result.audit.head?.hash === result.manifest.audit.head?.hash;
  if (!result.audit.ok || !sameHead) return 2;
  return result.manifest.countsExact && result.differences.length ? 2 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`[${process.argv[2] ?? "backup"}] ${err.message}\n`);
    process.exit(1);
  },
);
