/**
 * Rows/s of the legacy account import (core/identity/account-import.ts) on 100,000 generated rows,
 * against the bare library underneath: the same accounts inserted with plain knex multi-row
 * inserts (1,000 rows a statement) in one transaction, rows prepared in memory beforehand. Also:
 * the same file imported again (every row unchanged), and the command end to end
 * (`npm run accounts:import`'s program, process start to exit).
 *
 *   npx tsx test/bench/accounts-import.ts
 *
 * PostgreSQL: a fresh embedded server in a temporary folder on a free port; with DATABASE_URL, a
 * fresh database created on that server instead (dropped at the end). ACCOUNTS_ROWS (default
 * 100000) and ACCOUNTS_ROUNDS (default 3) shorten or lengthen a run; the median round is reported.
 * A benchmark: it prints figures and exits 0 whether or not the target is met.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { runMigrations } from "../../core/db/migrate";
import { importAccounts } from "../../core/identity/account-import";
import { usernameKey } from "../../core/identity/accounts";
import { initialPasswordKey } from "../../core/identity/keys";
import { initialCredentialOf, macOf } from "../../core/identity/credential";
import { RoleBook } from "../../core/identity/roles";
import registries from "../../plugins/registries/plugin";
import supervision from "../../plugins/supervision/plugin";
import { makeUsername, parseUsernameRule } from "../../core/identity/username-rules";
import { tenantTree } from "../../core/tenancy";
import { NOISE_NOTE, ROOT, benchDatabase, envNumber, fmt, load, machine, median, table, writeSummary } from "./lib";

const ROWS = Math.round(envNumber("ACCOUNTS_ROWS", 100_000));
const ROUNDS = Math.round(envNumber("ACCOUNTS_ROUNDS", 3));
const TARGET_S = 60;
const BATCH = 1000;
const HEADER = "username,display_name,role,tenant_code,unit_code,budget_code";
// Legacy tenants and tenants with their own rule, as a provincial file would mix them.
const TENANTS = ["440100", "440500", "440200", "441302", "440900", "441300", "440700", "445300", "441700", "440600"];
const ROLES = ["purchaser", "purchaser", "purchaser", "agency"];

interface Generated {
  username: string;
  displayName: string;
  role: string;
  tenant: string;
  unit: string;
  budget: string;
}

function generate(n: number): Generated[] {
  return Array.from({ length: n }, (_, i) => {
    const tenant = TENANTS[i % TENANTS.length];
    return {
      username: `unit${String(i).padStart(6, "0")}`,
      displayName: `测试预算单位${i}号（${tenant}）`,
      role: ROLES[i % ROLES.length],
      tenant,
      unit: i % 3 ? `${tenant}-${String(i).padStart(6, "0")}` : "",
      budget: `${tenant}${String(i).padStart(6, "0")}`,
    };
  });
}

const seconds = (from: number) => (performance.now() - from) / 1000;

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`accounts-import: ${fmt(ROWS)} legacy accounts from CSV, against plain knex multi-row inserts`);
  console.log(`machine: ${machine()}; load average ${load()} at start`);

  const db = await benchDatabase("bench_accounts");
  const knex: Knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 4 } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gdp-accounts-bench-"));
  try {
    await runMigrations(knex, [{ name: "core", directory: path.join(ROOT, "core", "db", "migrations") }]);
    const macKey = await initialPasswordKey(knex);
    const tree = tenantTree();
    const rows = generate(ROWS);
    const file = path.join(dir, "accounts.csv");
    fs.writeFileSync(file, [HEADER, ...rows.map((r) => [r.username, r.displayName, r.role, r.tenant, r.unit, r.budget].join(","))].join("\n") + "\n");
    const bytes = fs.statSync(file).size;
    console.log(`file: ${fmt(ROWS)} rows, ${fmt(bytes / 1024 / 1024, 1)} MiB, ${TENANTS.length} tenants (legacy and own-rule); ${ROUNDS} rounds, median reported\n`);

    // What the bare variant inserts: the same accounts, prepared in memory before the clock starts.
    const now = new Date();
    const prepared = rows.map((r) => {
      const setting = tree.usernameRule(r.tenant);
      const made = makeUsername(setting && parseUsernameRule(setting.template, setting.lowercase), {
        username: r.username,
        unitCode: r.unit || null,
        credential: r.budget,
        tenantCode: r.tenant,
        role: r.role,
      });
      if (!("username" in made)) throw new Error(`generated row ${r.username} is not importable: ${made.reason.en}`);
      return {
        username: made.username,
        username_key: usernameKey(made.username),
        display_name: r.displayName,
        tenant_code: r.tenant,
        unit_code: r.unit || null,
        roles: [r.role],
        status: "active",
        password_kind: "initial",
        initial_mac: macOf(macKey, r.budget),
        password_set_at: now,
        password_expires_at: new Date(now.getTime() + 90 * 86_400_000),
        legacy_username: r.username,
      };
    });

    const empty = () => knex.raw("truncate core_accounts, core_audit_log cascade");
    const count = async () => Number((await knex("core_accounts").count<{ count: string }[]>("* as count"))[0].count);
    const imports: number[] = [];
    const reruns: number[] = [];
    const bare: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? ["bare", "import"] : ["import", "bare"];
      for (const variant of order) {
        await empty();
        if (variant === "bare") {
          const t0 = performance.now();
          await knex.transaction(async (trx) => {
            for (let i = 0; i < prepared.length; i += BATCH) await trx("core_accounts").insert(prepared.slice(i, i + BATCH));
          });
          bare.push(ROWS / seconds(t0));
        } else {
          const credential = initialCredentialOf({ contributions: (id) => [{ plugin: "registries", contribution: registries.extends![id] }] });
          const opts = { knex, tree, macKey, roles: new RoleBook([registries, supervision]).importable(), credential, now: new Date(), may: () => true, actor: { via: "bench" } };
          let t0 = performance.now();
          const first = await importAccounts(fs.createReadStream(file), opts);
          imports.push(ROWS / seconds(t0));
          if (first.created !== ROWS) throw new Error(`import created ${first.created} of ${ROWS} rows; rejected: ${JSON.stringify(first.rejected.slice(0, 3))}`);
          t0 = performance.now();
          const again = await importAccounts(fs.createReadStream(file), opts);
          reruns.push(ROWS / seconds(t0));
          if (again.unchanged !== ROWS) throw new Error(`the second import found ${again.unchanged} of ${ROWS} rows unchanged`);
        }
        if ((await count()) !== ROWS) throw new Error(`${variant}: ${await count()} accounts after the run, not ${ROWS}`);
      }
    }

    // The command, as `npm run accounts:import -- <file>` runs it (without npm), on an empty table.
    await empty();
    const script = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts["accounts:import"];
    const [program, ...args] = script.split(/\s+/);
    const t0 = performance.now();
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(path.join(ROOT, "node_modules", ".bin", program), [...args, file], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: db.url },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let err = "";
      child.stderr!.on("data", (c: Buffer) => (err += c));
      child.once("error", reject);
      child.once("exit", (c) => resolve({ code: c, stderr: err }));
    });
    const cliS = seconds(t0);
    if (code !== 0) throw new Error(`the command exited with ${code}:\n${stderr}`);
    if ((await count()) !== ROWS) throw new Error(`the command left ${await count()} accounts, not ${ROWS}`);
    const cliLines = stderr.trim().split("\n");

    const imp = median(imports);
    const rerun = median(reruns);
    const plain = median(bare);
    const importS = ROWS / imp;
    const all = (xs: number[]) => xs.map((x) => fmt(x)).join(" / ");
    console.log(`== results (${fmt(ROWS)} rows, median of ${ROUNDS} rounds) ==`);
    console.log(
      table(
        ["variant", "rows/s", "seconds", "vs bare", "runs (rows/s)"],
        [
          ["importAccounts, new accounts", fmt(imp), fmt(importS, 2), `${fmt(imp / plain, 2)}×`, all(imports)],
          ["importAccounts, same file again", fmt(rerun), fmt(ROWS / rerun, 2), `${fmt(rerun / plain, 2)}×`, all(reruns)],
          ["bare knex multi-row inserts", fmt(plain), fmt(ROWS / plain, 2), "1.00×", all(bare)],
          ["command end to end (new accounts)", fmt(ROWS / cliS), fmt(cliS, 2), `${fmt(ROWS / cliS / plain, 2)}×`, ""],
        ],
      ),
    );
    console.log(`\ntarget: ${fmt(ROWS)} rows in well under ${TARGET_S} s: import ${fmt(importS, 1)} s, command ${fmt(cliS, 1)} s: ${cliS < TARGET_S ? "met" : "NOT met"}`);
    console.log(`the command's progress (stderr):\n${cliLines.map((l) => `  ${l}`).join("\n")}`);
    console.log(
      "\nnotes:\n" +
        "  - importAccounts: read the stream, check the UTF-8, parse the CSV, check each row, MAC its budget code, look up\n" +
        "    each 1,000 rows' accounts and usernames (two queries), insert them (one statement), audit row; one transaction.\n" +
        "  - bare: the same accounts as row objects made beforehand, knex insert of 1,000 rows a statement, one transaction.\n" +
        "  - the command adds a process start under tsx, the database connection and the tenant tree.\n" +
        `  - ${NOISE_NOTE}`,
    );
    console.log(`load average ${load()} at end; took ${((Date.now() - started) / 1000).toFixed(0)} s`);
    writeSummary({
      benchmark: "accounts-import",
      machine: machine(),
      rows: ROWS,
      importRowsPerS: imp,
      rerunRowsPerS: rerun,
      bareRowsPerS: plain,
      ratio: imp / plain,
      importS,
      cliS,
      targetS: TARGET_S,
      met: cliS < TARGET_S,
    });
  } finally {
    await knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
    await db.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`\naccounts-import: could not measure: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
