import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

/**
 * A plugin sees core only through core/sdk and never another plugin's files: then core may move
 * its files, and a plugin may be removed, without breaking anyone else (core/sdk/README.md).
 */

const ROOT = path.resolve(__dirname, "../../..");
const PLUGINS = path.join(ROOT, "plugins");
const SDK = path.join(ROOT, "core", "sdk");
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : sources(p);
    return SOURCE.test(e.name) ? [p] : [];
  });
}

const inside = (p: string, dir: string) => p === dir || p.startsWith(dir + path.sep);

/**
 * What one file under plugins/ imports that it must not: `file:line → specifier (why)`. The
 * TypeScript scanner finds static imports, re-exports, `import type`, require() and import(), so a
 * path in a comment or a string elsewhere is not taken for an import.
 */
function violations(file: string, source: string): string[] {
  const own = path.join(PLUGINS, path.relative(PLUGINS, file).split(path.sep)[0]);
  const scanned = ts.preProcessFile(source, true, true).importedFiles;
  const out: string[] = [];
  for (const { fileName: spec, pos } of scanned) {
    if (!spec.startsWith(".") && !path.isAbsolute(spec)) continue; // packages
    const target = path.resolve(path.dirname(file), spec);
    const where = `${path.relative(ROOT, file)}:${source.slice(0, pos).split("\n").length} → ${spec}`;
    if (inside(target, path.join(ROOT, "core")) && !inside(target, SDK)) out.push(`${where} (core/ only through core/sdk)`);
    else if (inside(target, PLUGINS) && !inside(target, own)) out.push(`${where} (another plugin's files)`);
  }
  return out;
}

describe("plugins import core only through core/sdk", () => {
  it("no file under plugins/ imports another path of core/ or another plugin's files", () => {
    const files = sources(PLUGINS);
    expect(files.length).toBeGreaterThan(20);
    const found = files.flatMap((f) => violations(f, fs.readFileSync(f, "utf8")));
    expect(found).toEqual([]);
  });

  it("the check sees every form of import a plugin could use", () => {
    const file = path.join(PLUGINS, "example", "services", "thing.ts");
    const source = [
      'import { notFound } from "../../../core/errors";',
      'import type { SessionUser } from "../../../core/plugins/types";',
      'export { money } from "../../../core/forms/money";',
      'const relay = require("../../../core/events/relay");',
      'const lazy = () => import("../../../core/db");',
      'import { rules } from "../../supervision/services/rules";',
      'import "../../../core/sdk/index";',
      'import { definePlugin } from "../../../core/sdk";',
      'import { helper } from "./helper";',
      'import type { Thing } from "../../../forms/types";',
      'import Decimal from "decimal.js";',
      '// a comment naming "../../../core/errors" is not an import',
    ].join("\n");
    expect(violations(file, source)).toEqual([
      "plugins/example/services/thing.ts:1 → ../../../core/errors (core/ only through core/sdk)",
      "plugins/example/services/thing.ts:2 → ../../../core/plugins/types (core/ only through core/sdk)",
      "plugins/example/services/thing.ts:3 → ../../../core/forms/money (core/ only through core/sdk)",
      "plugins/example/services/thing.ts:4 → ../../../core/events/relay (core/ only through core/sdk)",
      "plugins/example/services/thing.ts:5 → ../../../core/db (core/ only through core/sdk)",
      "plugins/example/services/thing.ts:6 → ../../supervision/services/rules (another plugin's files)",
    ]);
  });
});
