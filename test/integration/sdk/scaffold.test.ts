import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * `npm run plugin:new` (core/sdk/scaffold.ts) writes a plugin that loads, type-checks and passes its
 * own test at once. It runs in a temporary project folder (links to this one's core, tenants,
 * test support and packages; empty plugins/ and forms/), so it leaves nothing in the tree.
 */
const ROOT = path.resolve(__dirname, "../../..");
const bin = (name: string) => path.join(ROOT, "node_modules", ".bin", name);
const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> =>
  spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, timeout: 240_000 });
const shown = (r: SpawnSyncReturns<string>) => `status ${r.status}\n${r.stdout}\n${r.stderr}`;
// In a process of its own, as `npm run plugin:new` runs it (json-schema-to-typescript, which writes
// the form's types, does not load inside jest).
const pluginNew = (...args: string[]) => run(bin("tsx"), [path.join(ROOT, "core", "sdk", "scaffold.ts"), ...args], ROOT);

function tempProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plugin-new-"));
  for (const f of ["core", "node_modules", "tenants", "package.json"]) fs.symlinkSync(path.join(ROOT, f), path.join(dir, f));
  fs.mkdirSync(path.join(dir, "plugins"));
  fs.mkdirSync(path.join(dir, "forms"));
  fs.mkdirSync(path.join(dir, "test", "integration"), { recursive: true });
  fs.symlinkSync(path.join(ROOT, "test", "support"), path.join(dir, "test", "support"));
  // The project's compiler options, on the new plugin and its test (and what of core they import).
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ extends: path.join(ROOT, "tsconfig.json"), include: ["plugins", "test/integration"] }));
  // The integration project of jest.config.js, rooted here (its transforms too: jose is compiled for jest).
  const { transform, transformIgnorePatterns } = (require(path.join(ROOT, "jest.config.js")) as { projects: Array<Record<string, unknown>> }).projects.find(
    (p) => p.displayName === "integration",
  )!;
  fs.writeFileSync(
    path.join(dir, "jest.config.js"),
    `module.exports = ${JSON.stringify({
      rootDir: dir,
      testEnvironment: "node",
      transform,
      transformIgnorePatterns,
      moduleFileExtensions: ["ts", "js", "json"],
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      globalSetup: "<rootDir>/test/support/global-setup.ts",
      globalTeardown: "<rootDir>/test/support/global-teardown.ts",
      testTimeout: 60_000,
    })};\n`,
  );
  return dir;
}

const leftInTree = (name: string) =>
  [`plugins/${name}`, `forms/${name}`, `forms/types/${name}.request.ts`, `test/integration/${name}`].filter((p) => fs.existsSync(path.join(ROOT, p)));

describe("npm run plugin:new", () => {
  let dir: string;
  beforeEach(() => {
    dir = tempProject();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("writes a plugin that type-checks, loads and passes its own test at once, and nothing in the tree", async () => {
    const name = `probe-${crypto.randomBytes(3).toString("hex")}`;
    const made = pluginNew(name, "--root", dir);
    expect(made.status).toBe(0);
    for (const f of [
      `plugins/${name}/plugin.ts`,
      `plugins/${name}/README.md`,
      `forms/${name}/${name}.request.schema.json`,
      `forms/${name}/${name}.request.ui.json`,
      `forms/${name}/${name}.request.workflow.json`,
      `forms/types/${name}.request.ts`,
      `test/integration/${name}/${name}.test.ts`,
    ]) {
      expect(made.stdout).toContain(f);
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
    }
    expect(fs.readdirSync(path.join(dir, "plugins", name, "migrations"))).toEqual([expect.stringMatching(/^\d{14}_requests\.ts$/)]);

    const typed = run(bin("tsc"), ["--noEmit", "-p", path.join(dir, "tsconfig.json")], dir);
    expect(shown(typed)).toBe(shown({ ...typed, status: 0 }));

    // The plugin's own test, as its author runs it, on this run's PostgreSQL.
    const tested = run(bin("jest"), ["--runInBand", "--config", path.join(dir, "jest.config.js")], dir, { DATABASE_URL: process.env.TEST_ADMIN_DATABASE_URL });
    expect(tested.stderr).toMatch(/Tests:\s+2 passed, 2 total/);
    expect(tested.status).toBe(0);

    expect(leftInTree(name)).toEqual([]);
  }, 300_000);

  test("refuses a badly formed name, with the reason in Chinese and English, and writes nothing", () => {
    const refused = pluginNew("Bad_Name", "--root", dir);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("插件名「Bad_Name」不可用");
    expect(refused.stderr).toContain('"Bad_Name" cannot name a plugin: must be kebab-case');
    expect(fs.readdirSync(path.join(dir, "plugins"))).toEqual([]);
    expect(fs.readdirSync(path.join(dir, "forms"))).toEqual([]);
  });

  test("refuses reserved, too long and taken names, and a call without one name", () => {
    const refusal = (...args: string[]) => {
      const r = pluginNew(...args);
      expect(r.status).toBe(1);
      return r.stderr;
    };
    expect(refusal("gateway", "--root", dir)).toContain('"gateway" is reserved for the kernel');
    expect(refusal("e-", "--root", dir)).toContain("must be kebab-case");
    expect(refusal(`a${"b".repeat(40)}`, "--root", dir)).toContain("at most 40 characters");
    // this repository's own plugins, and a folder a test suite already uses
    expect(refusal("portal")).toContain('"portal" is taken: plugins/portal, test/integration/portal exist already');
    expect(refusal("fuzz")).toContain('"fuzz" is taken: test/integration/fuzz exists already');
    expect(refusal("--root", dir)).toContain("usage: npm run plugin:new -- <name>");
    expect(fs.readdirSync(path.join(dir, "plugins"))).toEqual([]);

    expect(pluginNew("twice", "--root", dir).status).toBe(0);
    const again = refusal("twice", "--root", dir);
    expect(again).toContain("插件「twice」已存在");
    expect(again).toContain('"twice" is taken: plugins/twice, forms/twice, test/integration/twice exist already');
    expect(leftInTree("twice")).toEqual([]);
  });
});
