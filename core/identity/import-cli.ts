import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Knex } from "knex";
import { readConfig } from "../config";
import { connectForTool } from "../db/tool";
import { PlatformError, type ErrorDetail, type Lang } from "../errors";
import { tenantTree } from "../tenancy";
import { discoverPlugins } from "../plugins/loader";
import { PluginRegistry } from "../plugins/registry";
import { IMPORT_COLUMNS, importAccounts, type ImportReport } from "./account-import";
import { initialCredentialOf } from "./credential";
import { initialPasswordKey } from "./keys";
import { RoleBook } from "./roles";

/**
 * `npm run accounts:import -- <file.csv> [--json]`: imports the old system's accounts
 * (core/identity/account-import.ts) straight into the database. Whoever can reach the database is
 * the operator, so every row is theirs to import. Progress goes to stderr, the report to stdout.
 * Exit 0: every row imported; 3: some rows were rejected (the others imported); 1: nothing was
 * imported (unreadable file, bad header, no database...).
 */
const TAG = "[accounts:import]";
const SHOWN = 50;
const USAGE = `usage: npm run accounts:import -- <file.csv> [--json]
  the file: UTF-8 CSV with the header ${IMPORT_COLUMNS.join(",")} and the column of the
            first-password rule the installed plugins give (core.initial-credential)
  --json    print the whole report as JSON (every rejected and renamed row)`;

const lang: Lang = /^zh/i.test(process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || "") ? "zh-CN" : "en";
const count = (n: number) => n.toLocaleString("en-US");
const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`);

function printReport(report: ImportReport): void {
  const out: string[] = [
    `created ${count(report.created)}, updated ${count(report.updated)}, unchanged ${count(report.unchanged)}, rejected ${count(report.rejected.length)}, renamed ${count(report.renamed.length)}`,
  ];
  const more = (n: number) => (n > SHOWN ? [`  ... and ${count(n - SHOWN)} more (--json lists them all)`] : []);
  if (report.rejected.length) {
    out.push("", "rejected rows (not imported):");
    for (const r of report.rejected.slice(0, SHOWN)) out.push(`  line ${r.line}${r.username ? ` (${r.username})` : ""}${r.field ? ` ${r.field}` : ""}: ${r.reason[lang]}`);
    out.push(...more(report.rejected.length));
  }
  if (report.renamed.length) {
    out.push("", "usernames made by the tenant's rule (tell these users their username):");
    for (const r of report.renamed.slice(0, SHOWN)) out.push(`  line ${r.line}: ${r.legacyUsername} -> ${r.username}`);
    out.push(...more(report.renamed.length));
  }
  process.stdout.write(out.join("\n") + "\n");
}

function describe(err: unknown): string {
  if (err instanceof PlatformError) {
    const data = err.data as { messages: Record<Lang, string>; details?: ErrorDetail[] };
    const details = (data.details ?? []).filter((d) => d.message && d.message[lang] !== data.messages[lang]);
    return [data.messages[lang], ...details.map((d) => `  ${d.path || "/"}: ${d.message![lang]}`)].join("\n");
  }
  return (err as Error).message;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { json: { type: "boolean", default: false } }, allowPositionals: true });
  if (positionals.length !== 1) {
    console.error(USAGE);
    return 1;
  }
  const file = path.resolve(positionals[0]);
  let total: number;
  try {
    total = fs.statSync(file).size;
  } catch (err) {
    console.error(`${TAG} cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return 1;
  }
  const cfg = readConfig();
  const tree = tenantTree(path.join(cfg.rootDir, "tenants"));
  // roles and the first-password rule are the installed plugins' (their manifests; nothing starts)
  const registry = new PluginRegistry(discoverPlugins(cfg.pluginsDir));
  const manifests = registry.plugins.map((p) => p.manifest);
  const knex: Knex = await connectForTool(cfg, { needs: "core_accounts" });
  try {
    const started = Date.now();
    let shownAt = 0;
    const progress = (rows: number, bytes: number) =>
      `${TAG} ${count(rows)} rows, ${total ? Math.min(100, Math.floor((bytes / total) * 100)) : 100}% of ${size(total)}`;
    const report = await importAccounts(fs.createReadStream(file), {
      knex,
      tree,
      macKey: await initialPasswordKey(knex),
      roles: new RoleBook(manifests).importable(),
      credential: initialCredentialOf(registry),
      now: new Date(),
      may: () => true,
      actor: { via: "cli", operator: os.userInfo().username },
      onProgress({ rows, bytes }) {
        // at most a line a second; the whole file read is the final line's to say
        if (Date.now() - shownAt < 1000 || bytes >= total) return;
        shownAt = Date.now();
        console.error(progress(rows, bytes));
      },
    });
    const rows = report.created + report.updated + report.unchanged + report.rejected.length;
    console.error(`${progress(rows, total)}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    else printReport(report);
    return report.rejected.length ? 3 : 0;
  } finally {
    await knex.destroy();
  }
}

main().then(
  (code) => {
    // Not process.exit(): a long report still being written to a pipe must get out whole.
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`${TAG} nothing was imported: ${describe(err)}`);
    process.exitCode = 1;
  },
);
