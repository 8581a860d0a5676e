import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

/**
 * A plugin sees core only through core/sdk and never another plugin's files but its `api.ts`: then
 * core may move its files, and a plugin may be removed, without breaking anyone else
 * (core/sdk/README.md). An `api.ts` holds types and extension point ids only (the point a plugin
 * declares, its provider interface), so importing it runs none of that plugin's code.
 */

const ROOT = path.resolve(__dirname, "../../..");
const PLUGINS = path.join(ROOT, "plugins");
/** plugins kept outside plugins/ (loaded through PLUGIN_PATHS) keep the same rules */
const OUTSIDE = path.join(ROOT, "test", "fixtures", "outside-plugins");
const API = new Set(["api", "api.ts", "api.js"]);
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
function violations(file: string, source: string, plugins = PLUGINS): string[] {
  const own = path.join(plugins, path.relative(plugins, file).split(path.sep)[0]);
  const scanned = ts.preProcessFile(source, true, true).importedFiles;
  const out: string[] = [];
  for (const { fileName: spec, pos } of scanned) {
    if (!spec.startsWith(".") && !path.isAbsolute(spec)) continue; // packages
    const target = path.resolve(path.dirname(file), spec);
    const where = `${path.relative(ROOT, file)}:${source.slice(0, pos).split("\n").length} → ${spec}`;
    if (inside(target, path.join(ROOT, "core")) && !inside(target, SDK)) out.push(`${where} (core/ only through core/sdk)`);
    else if (inside(target, plugins) && !inside(target, own)) {
      const other = path.join(plugins, path.relative(plugins, target).split(path.sep)[0]);
      if (!API.has(path.relative(other, target))) out.push(`${where} (another plugin's files: only its api.ts)`);
    }
  }
  return API.has(path.basename(file)) ? [...out, ...apiViolations(file, source)] : out;
}

/**
 * What an api.ts holds besides imports, types and `export const x = extensionPoint<T>(...)` or
 * `dataPoint<T>(...)`: anything else would run that plugin's code in whoever imports it.
 */
function apiViolations(file: string, source: string): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const isPoint = (d: ts.VariableDeclaration) =>
    !!d.initializer && ts.isCallExpression(d.initializer) && ts.isIdentifier(d.initializer.expression) && ["extensionPoint", "dataPoint"].includes(d.initializer.expression.text);
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) continue;
    if (ts.isExportDeclaration(st) && st.isTypeOnly) continue;
    const exported = ts.canHaveModifiers(st) && !!ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (ts.isVariableStatement(st) && exported && st.declarationList.flags & ts.NodeFlags.Const && st.declarationList.declarations.every(isPoint)) continue;
    const line = sf.getLineAndCharacterOfPosition(st.getStart()).line + 1;
    out.push(`${path.relative(ROOT, file)}:${line} → ${st.getText().split("\n")[0].slice(0, 60)} (api.ts holds types and extension points only)`);
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

  it("plugins from outside plugins/ keep the same rules", () => {
    const files = sources(OUTSIDE);
    expect(files.map((f) => path.relative(OUTSIDE, f)).sort()).toEqual(["bid-desk/api.ts", "bid-desk/plugin.ts", "e-guarantee/plugin.ts"]);
    expect(files.flatMap((f) => violations(f, fs.readFileSync(f, "utf8"), OUTSIDE))).toEqual([]);
  });

  it("another plugin's api.ts may be imported, and holds types and extension points only", () => {
    const file = path.join(PLUGINS, "deposit", "plugin.ts");
    const source = [
      'import { bidSecurity, type BidSecurityProvider } from "../etrading/api";',
      'import type { Tender } from "../etrading/api.ts";',
      'import { tenders } from "../etrading/services/tenders";',
      'import { bidSecurity as again } from "../etrading/api/index";',
    ].join("\n");
    expect(violations(file, source)).toEqual([
      "plugins/deposit/plugin.ts:3 → ../etrading/services/tenders (another plugin's files: only its api.ts)",
      "plugins/deposit/plugin.ts:4 → ../etrading/api/index (another plugin's files: only its api.ts)",
    ]);
    const api = path.join(PLUGINS, "etrading", "api.ts");
    const apiSource = [
      'import { extensionPoint, type UnitInfo } from "../../core/sdk";',
      "export interface BidSecurityProvider { quote(p: { amount: string }): { fee: string } }",
      "export type Tender = { id: string; unit: UnitInfo };",
      'export const bidSecurity = extensionPoint<BidSecurityProvider>("etrading.bid-security", { title, methods: { quote: true } });',
      "export function fee(amount: string) { return amount; }",
      'export const LIMIT = 5, badges = dataPoint<string>("etrading.badges", { title });',
      "let counter = 0;",
      'export { tenders } from "./services/tenders";',
      'export type { TenderRow } from "./services/tenders";',
    ].join("\n");
    expect(violations(api, apiSource)).toEqual([
      "plugins/etrading/api.ts:5 → export function fee(amount: string) { return amount; } (api.ts holds types and extension points only)",
      'plugins/etrading/api.ts:6 → export const LIMIT = 5, badges = dataPoint<string>("etrading (api.ts holds types and extension points only)',
      "plugins/etrading/api.ts:7 → let counter = 0; (api.ts holds types and extension points only)",
      'plugins/etrading/api.ts:8 → export { tenders } from "./services/tenders"; (api.ts holds types and extension points only)',
    ]);
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
      "plugins/example/services/thing.ts:6 → ../../supervision/services/rules (another plugin's files: only its api.ts)",
    ]);
  });
});
