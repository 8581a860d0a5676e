/**
 * test/bench/lib.ts's benchDatabase: an embedded server it started is stopped when the bench ends
 * without closing it (a kernel that refused to start, run-all's --smoke timeout), instead of being
 * left running in its own process group with nobody to stop it.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** A bench that opens a database, reports its server, then ends the way `end` says. */
async function benchThatEnds(end: "crash" | "SIGTERM"): Promise<{ pid: number; dataDirectory: string; code: number | null }> {
  const script = `
    import { benchDatabase } from ${JSON.stringify(path.join(ROOT, "test", "bench", "lib"))};
    import { Client } from "pg";
    (async () => {
      const db = await benchDatabase("bench_leak");
      const c = new Client({ connectionString: db.url });
      await c.connect();
      const { rows } = await c.query("select current_setting('data_directory') as dir");
      await c.end();
      const dir = rows[0].dir;
      const pid = Number(require("fs").readFileSync(dir + "/postmaster.pid", "utf8").split("\\n")[0]);
      console.log(JSON.stringify({ pid, dataDirectory: dir }));
      if (${JSON.stringify(end)} === "crash") throw new Error("the kernel refused to start");
      setInterval(() => {}, 1000); // runs until stopped
    })().catch(() => process.exit(1));
  `;
  const env = { ...process.env };
  delete env.DATABASE_URL; // the embedded server is what can be left behind
  const child = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), ["-e", script], { cwd: ROOT, env, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const reported = new Promise<{ pid: number; dataDirectory: string }>((resolve, reject) => {
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line));
    });
    child.once("exit", (code) => reject(new Error(`the bench exited (${code}) before reporting its server: ${out}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const server = await reported;
  if (end === "SIGTERM") child.kill("SIGTERM");
  return { ...server, code: await exited };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function gone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

describe("benchDatabase", () => {
  it("stops its embedded server and removes its files when the bench crashes without closing it", async () => {
    const { pid, dataDirectory, code } = await benchThatEnds("crash");
    expect(code).toBe(1);
    expect(await gone(pid, 15_000)).toBe(true);
    expect(fs.existsSync(dataDirectory)).toBe(false);
  }, 120_000);

  it("stops its embedded server when the bench is stopped with SIGTERM (run-all's --smoke timeout)", async () => {
    const { pid, dataDirectory, code } = await benchThatEnds("SIGTERM");
    expect(code).toBe(143);
    expect(await gone(pid, 15_000)).toBe(true);
    expect(fs.existsSync(dataDirectory)).toBe(false);
  }, 120_000);
});
