import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/**
 * `npm start` serves web/dist, the built web app (web/README.md). This builds it when it is
 * missing or older than what it is built from, so that `npm install && npm start` is all it
 * takes, and a `git pull` of web changes shows on the next start.
 *
 * Built into a folder of its own first, then swapped in whole: a node serving the old build
 * never serves half of a new one, and two nodes starting together on one checkout each swap in a
 * complete build.
 */

export interface WebBuildResult {
  status: "fresh" | "built" | "skipped" | "failed";
  reason: string;
  ms?: number;
}

/** What the bundle is made of: the app, its build settings, the core modules it imports, the lockfile. */
export function webSources(rootDir: string): string[] {
  const web = path.join(rootDir, "web");
  const files: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(path.join(web, "src"));
  for (const f of ["index.html", "vite.config.mts", "tsconfig.json"]) files.push(path.join(web, f));
  // the modules the browser shares with the server (formats, money, form display, the rjsf validator)
  walk(path.join(rootDir, "core", "forms"));
  files.push(path.join(rootDir, "package-lock.json"));
  return files.filter((f) => fs.existsSync(f));
}

/** Why a build is needed ("" when web/dist is newer than every source). */
export function staleness(rootDir: string): string {
  const index = path.join(rootDir, "web", "dist", "index.html");
  if (!fs.existsSync(index)) return "web/dist is missing";
  const built = fs.statSync(index).mtimeMs;
  let newest = { file: "", at: 0 };
  for (const f of webSources(rootDir)) {
    const at = fs.statSync(f).mtimeMs;
    if (at > newest.at) newest = { file: f, at };
  }
  return newest.at > built ? `${path.relative(rootDir, newest.file)} is newer than web/dist` : "";
}

function viteBin(rootDir: string): string | null {
  const bin = path.join(rootDir, "node_modules", "vite", "bin", "vite.js");
  return fs.existsSync(bin) ? bin : null;
}

/** Runs `vite build` in a child process, its output prefixed; resolves with its exit code. */
function runVite(rootDir: string, outDir: string, log: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [viteBin(rootDir)!, "build", "--config", path.join("web", "vite.config.mts"), "--logLevel", "warn"], {
      cwd: rootDir,
      env: { ...process.env, WEB_OUT_DIR: outDir, NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split(/\r?\n/)) if (line.trim()) log(`[web]   ${line}`);
    };
    child.stdout.on("data", relay);
    child.stderr.on("data", relay);
    child.on("error", (err) => {
      log(`[web]   ${err.message}`);
      resolve(1);
    });
    child.on("close", (code) => resolve(code ?? 1));
  });
}

/**
 * Builds web/dist if it is missing or stale. Never throws: without a build the gateway serves
 * web/public (a status page), and the API works either way.
 */
export async function ensureWebBuilt(rootDir: string, log: (line: string) => void = console.log): Promise<WebBuildResult> {
  const reason = staleness(rootDir);
  if (!reason) return { status: "fresh", reason: "web/dist is up to date" };
  if (!viteBin(rootDir)) {
    const why = "vite is not installed (an install without dev dependencies?); serving web/public instead";
    log(`[web] ${reason}, but ${why}`);
    return { status: "skipped", reason: why };
  }
  log(`[web] ${reason}: building the web app (a few seconds)…`);
  const started = Date.now();
  const web = path.join(rootDir, "web");
  const tmp = path.join(web, `.dist-${process.pid}-${Date.now()}`);
  const code = await runVite(rootDir, tmp, log);
  if (code !== 0 || !fs.existsSync(path.join(tmp, "index.html"))) {
    fs.rmSync(tmp, { recursive: true, force: true });
    log(`[web] the build failed (exit ${code}); ${fs.existsSync(path.join(web, "dist", "index.html")) ? "serving the previous web/dist" : "serving web/public"}`);
    return { status: "failed", reason: `vite exited ${code}` };
  }
  const dist = path.join(web, "dist");
  const old = path.join(web, `.dist-old-${process.pid}-${Date.now()}`);
  try {
    if (fs.existsSync(dist)) fs.renameSync(dist, old);
    fs.renameSync(tmp, dist);
  } catch (err) {
    // another node on this checkout swapped its build in between: theirs is as good as ours
    log(`[web] kept the build another process put in place (${(err as Error).message})`);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  fs.rmSync(old, { recursive: true, force: true });
  const ms = Date.now() - started;
  log(`[web] built web/dist in ${(ms / 1000).toFixed(1)} s`);
  return { status: "built", reason, ms };
}
