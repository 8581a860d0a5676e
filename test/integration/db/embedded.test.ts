import { ChildProcess, spawn } from "child_process";
import fs from "fs";
import net from "net";
import os from "os";
import path from "path";
import { EmbeddedPostgres, EmbeddedPostgresError, startEmbeddedPostgres } from "../../../core/db/embedded";
import { Client } from "pg";
import { freePort } from "../../support/processes";
// initdb takes a few seconds, and some tests start a second process through npx.
jest.setTimeout(120000);


const repoRoot = path.resolve(__dirname, "../../..");
const fixture = path.join(__dirname, "fixtures", "start-embedded.ts");
const isRoot = process.getuid?.() === 0;
const SUMMARY = /^\[db\] embedded PostgreSQL \d+\.\d+ on 127\.0\.0\.1:\d+, database "procurement", data in \//;

// Everything a test starts is recorded here, so afterEach can clean up even when the test failed half-way.
const started: EmbeddedPostgres[] = [];
const fixtures: ChildProcess[] = [];
const dataDirs: string[] = [];
const leftovers: string[] = [];

afterEach(async () => {
  for (const db of started.splice(0)) await db.stop().catch(() => undefined);
  for (const child of fixtures.splice(0)) killProcessGroup(child);
  for (const dataDir of dataDirs.splice(0)) await killPostmasterOf(dataDir);
  for (const dir of leftovers.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

it("keeps the data between starts, and only the first start runs initdb", async () => {
  const dataDir = makeDataDir();
  const port = await freePort();
  const first = await start(dataDir, port);
  expect(first.lines.some((line) => line.includes("initialising a new PostgreSQL cluster"))).toBe(true);
  expect(first.lines.at(-1)).toMatch(SUMMARY);
  expect(first.db.url).toMatch(new RegExp(`^postgres://postgres:[^@]+@127\\.0\\.0\\.1:${port}/procurement$`));
  expect(first.db.clusterDir).toBe(path.join(fs.realpathSync(dataDir), "postgres"));
  expect(fs.statSync(path.join(dataDir, "postgres.password")).mode & 0o777).toBe(0o600);

  await query(first.db.url, "CREATE TABLE notes (body text)");
  await query(first.db.url, "INSERT INTO notes VALUES ($1)", ["kept between starts"]);
  await first.db.stop();
  await first.db.stop();
  expect(fs.existsSync(path.join(dataDir, "platform.lock"))).toBe(false);

  const second = await start(dataDir, port);
  expect(second.lines.some((line) => line.includes("initialising"))).toBe(false);
  expect(second.lines.at(-1)).toMatch(SUMMARY);
  expect(await query(second.db.url, "SELECT body FROM notes")).toEqual([{ body: "kept between starts" }]);
});

it("a killed platform process leaves its postmaster running, and the next start stops that orphan and reads the data", async () => {
  const dataDir = makeDataDir();
  const port = await freePort();
  const platformPid = await startFixture(dataDir, port);
  const clusterDir = fs.realpathSync(path.join(dataDir, "postgres"));
  const postmaster = postmasterPid(clusterDir);

  process.kill(platformPid, "SIGKILL");
  await waitUntil(() => !isRunning(platformPid));
  expect(isRunning(postmaster)).toBe(true);

  const { db, lines } = await start(dataDir, port);
  expect(lines).toContainEqual(
    expect.stringContaining(`stopped PostgreSQL (pid ${postmaster}) left running by platform process ${platformPid}`),
  );
  expect(isRunning(postmaster)).toBe(false);
  expect(postmasterPid(clusterDir)).not.toBe(postmaster);
  expect(await query(db.url, "SELECT body FROM notes")).toEqual([{ body: "written by the fixture" }]);
});

it("a postmaster.pid left by a SIGKILLed postmaster does not block the next start", async () => {
  const dataDir = makeDataDir();
  const port = await freePort();
  const platformPid = await startFixture(dataDir, port);
  const clusterDir = fs.realpathSync(path.join(dataDir, "postgres"));
  const postmaster = postmasterPid(clusterDir);

  process.kill(platformPid, "SIGKILL");
  process.kill(postmaster, "SIGKILL");
  await waitUntil(() => !isRunning(platformPid) && !isRunning(postmaster));
  expect(fs.existsSync(path.join(clusterDir, "postmaster.pid"))).toBe(true);

  const { db, lines } = await start(dataDir, port);
  expect(lines).toContainEqual(expect.stringContaining(`removed a stale postmaster.pid (PostgreSQL pid ${postmaster}`));
  expect(await query(db.url, "SELECT body FROM notes")).toEqual([{ body: "written by the fixture" }]);
});

it("a second platform process on the same data directory is refused with a message naming the first one's pid", async () => {
  const dataDir = makeDataDir();
  const port = await freePort();
  const platformPid = await startFixture(dataDir, port);
  const postmaster = postmasterPid(fs.realpathSync(path.join(dataDir, "postgres")));

  const refused = await startEmbeddedPostgres({ dataDir, port: await freePort(), log: () => undefined }).catch((err: Error) => err);
  expect(refused).toBeInstanceOf(EmbeddedPostgresError);
  expect((refused as Error).message).toBe(
    `another platform process (pid ${platformPid}) is using ${dataDir}; stop it or set DATA_DIR to another folder`,
  );

  // The refusal must leave the first process's lock and server alone.
  expect(fs.readFileSync(path.join(dataDir, "platform.lock"), "utf8").split("\n")[0]).toBe(String(platformPid));
  expect(isRunning(postmaster)).toBe(true);
  process.kill(platformPid, "SIGTERM");
  await waitUntil(() => !isRunning(platformPid) && !isRunning(postmaster));
  expect(fs.existsSync(path.join(dataDir, "platform.lock"))).toBe(false);
});

it("a port held by another program gives an EmbeddedPostgresError naming the port and EMBEDDED_PG_PORT", async () => {
  const dataDir = makeDataDir();
  const server = net.createServer();
  // a port the system hands out, held here: no fixed number another program may have taken first
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const err = await startEmbeddedPostgres({ dataDir, port, log: () => undefined }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(EmbeddedPostgresError);
    expect((err as Error).message).toContain(`port ${port} is already in use`);
    expect((err as Error).message).toContain("EMBEDDED_PG_PORT");
    expect(fs.existsSync(path.join(dataDir, "platform.lock"))).toBe(false);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

it("a database made by another PostgreSQL major (17 before the move to 18) is refused with what to do, and left as it is", async () => {
  const dataDir = makeDataDir();
  const port = await freePort();
  const first = await start(dataDir, port);
  const clusterDir = first.db.clusterDir;
  await first.db.stop();
  const running = fs.readFileSync(path.join(clusterDir, "PG_VERSION"), "utf8").trim();
  const older = String(Number(running) - 1);
  // What a cluster initialised by the previous major says about itself
  fs.writeFileSync(path.join(clusterDir, "PG_VERSION"), `${older}\n`);
  const err = await startEmbeddedPostgres({ dataDir, port, log: () => undefined }).catch((e: Error) => e);
  expect(err).toBeInstanceOf(EmbeddedPostgresError);
  expect((err as Error).message).toContain(`${clusterDir} holds a PostgreSQL ${older} database`);
  expect((err as Error).message).toMatch(new RegExp(`PostgreSQL ${running}\\.\\d+ \\(the one this platform runs\\)`));
  expect((err as Error).message).toContain("pg_dumpall");
  expect((err as Error).message).toContain("core/db/README.md");
  expect(fs.readFileSync(path.join(clusterDir, "PG_VERSION"), "utf8")).toBe(`${older}\n`);
  expect(fs.existsSync(path.join(dataDir, "platform.lock"))).toBe(false);
});

(isRoot ? it : it.skip)(
  "as root, a data directory user postgres cannot enter is relocated under /var/lib/gd-procurement/clusters, and its data survives a restart",
  async () => {
    const dataDir = makeDataDir({ enterableByOthers: false });
    const port = await freePort();
    const link = path.join(dataDir, "postgres");

    const first = await start(dataDir, port);
    const target = fs.readlinkSync(link);
    leftovers.push(target);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(target.startsWith("/var/lib/gd-procurement/clusters/")).toBe(true);
    expect(first.db.clusterDir).toBe(target);
    expect(first.lines).toContainEqual(
      `[db] user postgres cannot enter ${path.dirname(dataDir)} (mode 700): the database files are kept in ${target}, linked from ${link}`,
    );

    await query(first.db.url, "CREATE TABLE notes (body text)");
    await query(first.db.url, "INSERT INTO notes VALUES ($1)", ["relocated"]);
    await first.db.stop();

    const second = await start(dataDir, port);
    expect(second.lines.some((line) => line.includes("initialising"))).toBe(false);
    expect(second.db.clusterDir).toBe(target);
    expect(await query(second.db.url, "SELECT body FROM notes")).toEqual([{ body: "relocated" }]);
  },
);

// ---------------------------------------------------------------------------------------------------------------

/**
 * mkdtemp creates mode 700 directories, which user postgres cannot enter when tests run as root; open it up
 * unless the test wants exactly that.
 */
function makeDataDir({ enterableByOthers = true } = {}): string {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "gd-embedded-"));
  if (enterableByOthers) fs.chmodSync(parent, 0o755);
  leftovers.push(parent);
  const dataDir = path.join(parent, "data");
  dataDirs.push(dataDir);
  return dataDir;
}

async function start(dataDir: string, port: number): Promise<{ db: EmbeddedPostgres; lines: string[] }> {
  const lines: string[] = [];
  const db = await startEmbeddedPostgres({ dataDir, port, log: (line) => lines.push(line) });
  started.push(db);
  return { db, lines };
}

async function query(url: string, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Resolves with the pid of the platform process itself, which npx runs a few processes below `child`. */
function startFixture(dataDir: string, port: number): Promise<number> {
  // detached: its own process group, so cleanup can kill npx, tsx and the fixture together.
  const child = spawn("npx", ["tsx", fixture, dataDir, String(port)], {
    cwd: repoRoot,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  fixtures.push(child);
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const ready = /READY (\d+)/.exec(stdout);
      if (ready) resolve(Number(ready[1]));
    });
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`fixture exited with ${code} before READY:\n${stdout}${stderr}`)));
  });
}

function killProcessGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // already gone
  }
}

/** A test that failed half-way may leave a server behind; SIGQUIT is PostgreSQL's immediate shutdown. */
async function killPostmasterOf(dataDir: string): Promise<void> {
  let pid: number;
  try {
    pid = postmasterPid(fs.realpathSync(path.join(dataDir, "postgres")));
  } catch {
    return;
  }
  if (!isRunning(pid)) return;
  process.kill(pid, "SIGQUIT");
  await waitUntil(() => !isRunning(pid), 10000).catch(() => process.kill(pid, "SIGKILL"));
}

function postmasterPid(clusterDir: string): number {
  return Number(fs.readFileSync(path.join(clusterDir, "postmaster.pid"), "utf8").split("\n")[0]);
}

/** Zombies count as dead: PID 1 in a container may never reap an orphaned postmaster. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false; // exited between the two checks
  }
}

async function waitUntil(condition: () => boolean, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
