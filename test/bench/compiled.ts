/**
 * Runs a benchmark from JavaScript compiled by TypeScript (as `tsc` would emit it with this
 * project's tsconfig) under plain `node`, instead of through tsx, to see what tsx costs at run time.
 *
 *   npx tsx test/bench/compiled.ts gate-profile        (or action-overhead; env vars pass through)
 *
 * Compiles core/, plugins/, forms/ and test/bench/ into a temporary folder (tenants/ and web/ are
 * copied, node_modules linked), runs test/bench/<name>.js there, and removes the folder.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";
import { ROOT } from "./lib";

const SOURCES = ["core", "plugins", "forms", "test/bench"];

function compileTree(from: string, to: string, options: ts.CompilerOptions): number {
  let n = 0;
  if (!fs.existsSync(from)) return 0;
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) {
      n += compileTree(src, dst, options);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      const out = ts.transpileModule(fs.readFileSync(src, "utf8"), { compilerOptions: options, fileName: src });
      fs.mkdirSync(to, { recursive: true });
      fs.writeFileSync(dst.replace(/\.ts$/, ".js"), out.outputText);
      n++;
    } else {
      // migrations in .js, JSON schemas, CSV fixtures...
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(src, dst);
    }
  }
  return n;
}

async function main(): Promise<void> {
  const name = (process.argv[2] ?? "").replace(/\.ts$/, "");
  if (!name || !fs.existsSync(path.join(ROOT, "test", "bench", `${name}.ts`))) {
    console.error("usage: npx tsx test/bench/compiled.ts <benchmark>   e.g. gate-profile, action-overhead");
    process.exit(2);
  }
  const configFile = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
  const compilerOptions: ts.CompilerOptions = { ...options, noEmit: false, sourceMap: false, inlineSourceMap: false };

  const out = fs.mkdtempSync(path.join(os.tmpdir(), "gdp-bench-compiled-"));
  try {
    let files = 0;
    for (const dir of SOURCES) files += compileTree(path.join(ROOT, dir), path.join(out, dir), compilerOptions);
    fs.cpSync(path.join(ROOT, "tenants"), path.join(out, "tenants"), { recursive: true });
    if (fs.existsSync(path.join(ROOT, "web"))) fs.symlinkSync(path.join(ROOT, "web"), path.join(out, "web"));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(out, "node_modules"));
    console.log(`compiled ${files} files with TypeScript ${ts.version} (target ${ts.ScriptTarget[compilerOptions.target ?? 0]}) into ${out}; running node test/bench/${name}.js\n`);
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [path.join(out, "test", "bench", `${name}.js`)], { cwd: out, stdio: "inherit", env: process.env });
      child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
    process.exitCode = code;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

void main();
