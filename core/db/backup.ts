import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import knexFactory, { type Knex } from "knex";
import type { KernelConfig } from "../config";
import { platform } from "../platform";
import { startEmbeddedPostgres } from "./embedded";
import { describeUrl } from "./index";
import { verifyChain, type VerifyResult } from "../audit/verify";
import { s3Client } from "../files/store";

/** What a backup folder holds besides the data: enough to check a restore against. */
export interface BackupManifest {
  format: 1;
  platform: string;
  createdAt: string;
  /** embedded: a physical copy of the cluster (cluster.tar); external: pg_dump's custom format (database.dump) */
  kind: "embedded" | "external";
  serverVersion: string;
  /** rows of every table of the platform's schema when the copy was taken */
  counts: Record<string, number>;
  /** exact: read in the dump's own snapshot; otherwise read at the end of a copy of a running cluster */
  countsExact: boolean;
  /** the audit chain's head at backup time */
  audit: { checked: number; head?: { id: string; seq: string; hash: string } };
  /** attachments in the S3 bucket (files/); with FILES_STORE=pg they are rows of the database */
  s3Objects?: number;
}

export class BackupError extends Error {
  override name = "BackupError";
}

type Log = (line: string) => void;

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; okCodes?: number[] } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    child.on("error", (err) => reject(new BackupError(`${cmd} could not run: ${err.message}`)));
    child.on("exit", (code) => {
      if ((opts.okCodes ?? [0]).includes(code ?? -1)) resolve(out);
      else reject(new BackupError(`${path.basename(cmd)} failed (exit ${code}): ${out.trim().split("\n").slice(-3).join(" | ")}`));
    });
  });
}

const connect = (url: string): Knex =>
  knexFactory({ client: "pg", connection: { connectionString: url, connectionTimeoutMillis: 5000, application_name: `${platform.id}-backup` }, pool: { min: 0, max: 2 } });

async function countRows(db: Knex | Knex.Transaction): Promise<Record<string, number>> {
  const { rows } = (await db.raw("select table_name as t from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1")) as { rows: Array<{ t: string }> };
  const counts: Record<string, number> = {};
  for (const { t } of rows) counts[t] = Number(((await db.raw("select count(*) as n from ??", [t])) as { rows: Array<{ n: string }> }).rows[0].n);
  return counts;
}

/**
 * The database of a node's configuration: DATABASE_URL, or the embedded one of DATA_DIR, started
 * here when the platform is not running (a cold backup, or a restore's check).
 */
async function openConfigured(cfg: KernelConfig, log: Log): Promise<{ url: string; knex: Knex; embedded?: { clusterDir: string; stop(): Promise<void> } }> {
  if (cfg.databaseUrl) return { url: cfg.databaseUrl, knex: connect(cfg.databaseUrl) };
  const pwFile = path.join(cfg.dataDir, "postgres.password");
  if (!fs.existsSync(pwFile)) throw new BackupError(`no DATABASE_URL, and no embedded database in ${cfg.dataDir}: nothing to back up`);
  const url = `postgres://postgres:${encodeURIComponent(fs.readFileSync(pwFile, "utf8").trim())}@127.0.0.1:${cfg.embeddedPgPort}/${platform.database}`;
  const knex = connect(url);
  try {
    await knex.raw("select 1");
    const { rows } = (await knex.raw("show data_directory")) as { rows: Array<{ data_directory: string }> };
    return { url, knex, embedded: { clusterDir: rows[0].data_directory, stop: async () => {} } };
  } catch {
    await knex.destroy();
  }
  log(`[backup] the platform is not running on ${cfg.dataDir}: starting its database for the backup`);
  const pg = await startEmbeddedPostgres({ dataDir: cfg.dataDir, port: cfg.embeddedPgPort, log });
  return { url: pg.url, knex: connect(pg.url), embedded: { clusterDir: pg.clusterDir, stop: pg.stop } };
}

/**
 * `npm run backup -- <folder>`: the database and the attachment store, into a new folder, with a
 * manifest (row counts, audit head) that `npm run restore` checks the restored copy against.
 * The platform may keep running: pg_dump reads one snapshot; the embedded cluster is copied with
 * PostgreSQL's own base-backup protocol (pg_backup_start/stop), restored by its crash recovery.
 */
export async function backup(cfg: KernelConfig, outDir: string, log: Log = console.log): Promise<BackupManifest> {
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length) throw new BackupError(`${outDir} is not empty: give a new folder for each backup`);
  fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const db = await openConfigured(cfg, log);
  try {
    const serverVersion = String(((await db.knex.raw("show server_version")) as { rows: Array<{ server_version: string }> }).rows[0].server_version);
    let counts: Record<string, number>;
    let audit: VerifyResult;
    if (!db.embedded) {
      // pg_dump reads the very snapshot the counts and the audit head are read in
      const trx = await db.knex.transaction({ isolationLevel: "repeatable read", readOnly: true });
      try {
        const snapshot = String(((await trx.raw("select pg_export_snapshot() as s")) as { rows: Array<{ s: string }> }).rows[0].s);
        counts = await countRows(trx);
        audit = await verifyChain(trx as unknown as Knex);
        await run("pg_dump", ["--format=custom", "--no-owner", `--snapshot=${snapshot}`, `--file=${path.join(outDir, "database.dump")}`, `--dbname=${db.url}`]);
      } finally {
        await trx.rollback().catch(() => {});
      }
    } else {
      ({ counts, audit } = await physicalCopy(db.knex, db.embedded.clusterDir, outDir));
    }
    if (!audit.ok) throw new BackupError(`the audit chain does not verify before the backup (${audit.broken ? `entry ${audit.broken.id}` : "incomplete"}): run npm run audit:verify`);
    const s3Objects = cfg.filesStore === "s3" ? await copyBucket(cfg, path.join(outDir, "files"), "down") : undefined;
    const manifest: BackupManifest = {
      format: 1,
      platform: platform.id,
      createdAt: new Date().toISOString(),
      kind: db.embedded ? "embedded" : "external",
      serverVersion,
      counts,
      countsExact: !db.embedded,
      audit: { checked: audit.checked, head: audit.head },
      ...(s3Objects !== undefined ? { s3Objects } : {}),
    };
    if (db.embedded) fs.copyFileSync(path.join(cfg.dataDir, "postgres.password"), path.join(outDir, "postgres.password"));
    fs.writeFileSync(path.join(outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    log(`[backup] ${manifest.kind} PostgreSQL ${serverVersion}: ${Object.keys(counts).length} tables, ${Object.values(counts).reduce((a, b) => a + b, 0)} rows, audit chain of ${audit.checked} entries${s3Objects !== undefined ? `, ${s3Objects} S3 objects` : ""} → ${outDir}`);
    return manifest;
  } finally {
    await db.knex.destroy();
    await db.embedded?.stop();
  }
}

/** The running cluster's files between pg_backup_start and pg_backup_stop, then the WAL to replay and the backup label. */
async function physicalCopy(knex: Knex, clusterDir: string, outDir: string): Promise<{ counts: Record<string, number>; audit: VerifyResult }> {
  const tar = path.join(outDir, "cluster.tar");
  // the low-level API needs one session from start to stop
  const conn = await knex.client.acquireConnection();
  try {
    const q = (sql: string) => new Promise<{ rows: Array<Record<string, string>> }>((resolve, reject) => conn.query(sql, (err: Error | null, r: { rows: Array<Record<string, string>> }) => (err ? reject(err) : resolve(r))));
    await q(`select pg_backup_start('${platform.id} backup', true)`);
    // exit 1: a file changed while it was read, which the WAL replay repairs
    await run("tar", ["-cf", tar, "-C", clusterDir, "--exclude=./postmaster.pid", "--exclude=./postmaster.opts", "--exclude=./pg_wal", "--exclude=./pg_replslot/*", "--exclude=./pg_stat_tmp/*", "--exclude=./log", "."], { okCodes: [0, 1] });
    const stop = (await q("select labelfile, spcmapfile from pg_backup_stop(false)")).rows[0];
    const extra = fs.mkdtempSync(path.join(os.tmpdir(), "backup-label-"));
    try {
      fs.writeFileSync(path.join(extra, "backup_label"), stop.labelfile);
      if (stop.spcmapfile) fs.writeFileSync(path.join(extra, "tablespace_map"), stop.spcmapfile);
      await run("tar", ["-rf", tar, "-C", clusterDir, "pg_wal"], { okCodes: [0, 1] });
      await run("tar", ["-rf", tar, "-C", extra, ...fs.readdirSync(extra)]);
    } finally {
      fs.rmSync(extra, { recursive: true, force: true });
    }
  } finally {
    await knex.client.releaseConnection(conn);
  }
  return { counts: await countRows(knex), audit: await verifyChain(knex) };
}

/** The bucket's objects to a folder ("down") or back ("up"); how many. */
async function copyBucket(cfg: KernelConfig, dir: string, way: "down" | "up"): Promise<number> {
  const s3 = cfg.filesS3!;
  const client = s3Client(s3);
  let n = 0;
  if (way === "down") {
    fs.mkdirSync(dir, { recursive: true });
    const names: string[] = [];
    for await (const o of client.listObjectsV2(s3.bucket, "", true) as AsyncIterable<{ name?: string }>) if (o.name) names.push(o.name);
    for (const name of names) {
      const file = path.join(dir, ...name.split("/"));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await pipeline(await client.getObject(s3.bucket, name), fs.createWriteStream(file));
      n++;
    }
    return n;
  }
  if (!(await client.bucketExists(s3.bucket))) await client.makeBucket(s3.bucket, s3.region);
  const walk = async (sub: string): Promise<void> => {
    for (const e of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(rel);
      else {
        await client.fPutObject(s3.bucket, rel, path.join(dir, rel));
        n++;
      }
    }
  };
  if (fs.existsSync(dir)) await walk("");
  return n;
}

export interface RestoreResult {
  manifest: BackupManifest;
  counts: Record<string, number>;
  /** tables whose rows differ from the manifest's */
  differences: Array<{ table: string; backup: number; restored: number }>;
  audit: VerifyResult;
}

/**
 * `npm run restore -- <folder>`: into an EMPTY target (a fresh DATA_DIR for an embedded backup; an
 * empty database at DATABASE_URL for a pg_dump), then checks the restored copy: the audit chain
 * verifies to the same head, and every table has the manifest's rows.
 */
export async function restore(cfg: KernelConfig, fromDir: string, log: Log = console.log): Promise<RestoreResult> {
  const manifestFile = path.join(fromDir, "manifest.json");
  if (!fs.existsSync(manifestFile)) throw new BackupError(`${fromDir} holds no manifest.json: not a backup of this platform`);
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as BackupManifest;
  if (manifest.format !== 1 || manifest.platform !== platform.id) throw new BackupError(`${manifestFile} is not a backup this version can restore (format ${manifest.format}, platform ${manifest.platform})`);
  let knex: Knex;
  let stop = async () => {};
  if (manifest.kind === "external") {
    if (!cfg.databaseUrl) throw new BackupError("this backup is a pg_dump: set DATABASE_URL to the (empty) database to restore it into");
    knex = connect(cfg.databaseUrl);
    const { rows } = (await knex.raw("select count(*) as n from information_schema.tables where table_schema = 'public'")) as { rows: Array<{ n: string }> };
    if (Number(rows[0].n) > 0) {
      await knex.destroy();
      throw new BackupError(`${describeUrl(cfg.databaseUrl)} is not empty: restore into a new database`);
    }
    await run("pg_restore", ["--no-owner", "--exit-on-error", `--dbname=${cfg.databaseUrl}`, path.join(fromDir, "database.dump")]);
  } else {
    if (cfg.databaseUrl) throw new BackupError("this backup is of an embedded database: unset DATABASE_URL and set DATA_DIR to a new folder");
    if (fs.existsSync(cfg.dataDir) && fs.readdirSync(cfg.dataDir).length) throw new BackupError(`DATA_DIR ${cfg.dataDir} is not empty: restore into a new folder`);
    // a new cluster makes the folder the way the platform wants it (user postgres, its place when run as root)...
    const fresh = await startEmbeddedPostgres({ dataDir: cfg.dataDir, port: cfg.embeddedPgPort, log });
    await fresh.stop();
    const clusterDir = fresh.clusterDir;
    const owner = fs.statSync(clusterDir);
    // ...whose files are then the backup's, with the backup's superuser password
    for (const e of fs.readdirSync(clusterDir)) fs.rmSync(path.join(clusterDir, e), { recursive: true, force: true });
    await run("tar", ["-xf", path.join(fromDir, "cluster.tar"), "-C", clusterDir]);
    await run("chown", ["-R", `${owner.uid}:${owner.gid}`, clusterDir]);
    fs.chmodSync(clusterDir, 0o700);
    fs.copyFileSync(path.join(fromDir, "postgres.password"), path.join(cfg.dataDir, "postgres.password"));
    // the first start replays the WAL from the backup label: the copy becomes consistent
    const pg = await startEmbeddedPostgres({ dataDir: cfg.dataDir, port: cfg.embeddedPgPort, log });
    knex = connect(pg.url);
    stop = pg.stop;
  }
  try {
    if (manifest.s3Objects !== undefined) {
      if (cfg.filesStore !== "s3") throw new BackupError("this backup holds S3 attachments: set FILES_STORE=s3 and FILES_S3_* for the bucket to restore them into");
      await copyBucket(cfg, path.join(fromDir, "files"), "up");
    }
    const counts = await countRows(knex);
    const differences = Object.entries(manifest.counts)
      .filter(([t, n]) => counts[t] !== n)
      .map(([table, n]) => ({ table, backup: n, restored: counts[table] ?? 0 }));
    const audit = await verifyChain(knex);
    log(`[restore] ${Object.keys(counts).length} tables; audit chain: ${audit.ok ? `verifies, ${audit.checked} entries` : "BROKEN"}; ${differences.length ? `${differences.length} tables differ from the manifest` : "every table has the manifest's rows"}`);
    return { manifest, counts, differences, audit };
  } finally {
    await knex.destroy();
    await stop();
  }
}
