/**
 * Credit screening at the province's scale (issue 20): importing a 1,000,000-entry list (CSV,
 * streamed, checked, staged, diffed and applied as a version in one transaction: plugins/credit/
 * services/lists.ts) against the bare library underneath (the same rows, parsed in memory
 * beforehand, in the same multi-row array INSERTs with no checks, no diff, no version); then
 * screening 5,000 bidders (a tenth of them with a consortium member) against it at a cutoff
 * (plugins/credit/services/eligibility.ts, as e-trading's snapshot calls it), and the same list
 * imported again with 1 % changed (the diff path).
 *
 *   npx tsx test/bench/screening.ts
 *
 * PostgreSQL: a fresh embedded server (or a database on DATABASE_URL's server), core's and credit's
 * migrations. SCREENING_ENTRIES (default 1000000) and SCREENING_BIDDERS (default 5000) size a run.
 * A benchmark: it prints figures and exits 0 whether or not the goals are met.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import knexFactory from "knex";
import { runMigrations } from "../../core/db/migrate";
import { usccCheckChar } from "../../core/forms/formats";
import { listPage } from "../../core/sdk";
import { ENTRY_ORDER, filteredEntries, importList } from "../../plugins/credit/services/lists";
import { check } from "../../plugins/credit/services/eligibility";
import { ROOT, benchDatabase, envNumber, fmt, load, machine, table, writeSummary } from "./lib";

const ENTRIES = Math.round(envNumber("SCREENING_ENTRIES", 1_000_000));
const BIDDERS = Math.round(envNumber("SCREENING_BIDDERS", 5_000));
const IMPORT_TARGET_S = 60;
const SCREEN_TARGET_S = 2;

const codeOf = (i: number) => {
  const first17 = `91${String(440000 + (i % 9000)).padStart(6, "0")}MA${String(i).padStart(7, "0")}`;
  return first17 + usccCheckChar(first17);
};

function writeList(file: string, n: number, changedEvery = 0): number {
  const fd = fs.openSync(file, "w");
  let chunk = "code,name,reason,authority,listed_on\n";
  for (let i = 0; i < n; i++) {
    const reason = changedEvery && i % changedEvery === 0 ? "有履行能力而拒不履行生效法律文书确定义务" : "拒不履行生效法律文书确定义务";
    chunk += `${codeOf(i)},广东某某${i}号贸易有限公司,${reason},某市中级人民法院,2025-${String((i % 12) + 1).padStart(2, "0")}-15\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = "";
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  return fs.statSync(file).size;
}

async function main(): Promise<void> {
  const database = await benchDatabase("screening");
  const knex = knexFactory({ client: "pg", connection: database.url, pool: { min: 0, max: 4 } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "screening-bench-"));
  try {
    await runMigrations(knex, [
      { name: "core", directory: path.join(ROOT, "core/db/migrations") },
      { name: "credit", directory: path.join(ROOT, "plugins/credit/migrations") },
    ]);
    const user = { id: randomUUID(), username: "gd.regulator", tenantCode: "440000", roles: ["regulator"] };
    const file = path.join(dir, "list.csv");
    const bytes = writeList(file, ENTRIES);
    const job = async (version: string) => {
      const row = { id: randomUUID(), list: "dishonest-debtors", version, source: "bench", fetched_at: new Date(), format: "csv", status: "reading", bytes_total: bytes, created_by: user.id, created_by_name: user.username, created_at: new Date() };
      await knex("credit_import_jobs").insert(row);
      return { ...row, bytes_read: "0", rows_read: 0, problem_count: 0, problems: null, result: null, finished_at: null, bytes_total: String(bytes) } as never;
    };
    let updates = 0;
    const progress = async () => void updates++;

    // the platform's import, end to end from the file
    let started = process.hrtime.bigint();
    const phases: Array<[string, number]> = [];
    const first = await importList(knex, await job("v1"), fs.createReadStream(file), user, progress, (name, ms) => phases.push([`first: ${name}`, ms]));
    const importS = Number(process.hrtime.bigint() - started) / 1e9;

    // the bare library: the same rows, already in memory, into a plain table by the same array INSERTs
    const rows = fs.readFileSync(file, "utf8").split("\n").slice(1).filter(Boolean).map((l) => l.split(","));
    await knex.raw("create table bare_entries (code text, name text, reason text, authority text, listed_on date)");
    started = process.hrtime.bigint();
    await knex.transaction(async (trx) => {
      for (let i = 0; i < rows.length; i += 5000) {
        const b = rows.slice(i, i + 5000);
        await trx.raw("insert into bare_entries select * from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::date[])", [0, 1, 2, 3, 4].map((c) => b.map((r) => r[c])));
      }
    });
    const bareS = Number(process.hrtime.bigint() - started) / 1e9;

    // the cutoff: after the first import; then a second import with 1 % of the rows changed
    await new Promise((r) => setTimeout(r, 20));
    const cutoff = new Date();
    await new Promise((r) => setTimeout(r, 20));
    writeList(file, ENTRIES, 100);
    started = process.hrtime.bigint();
    const second = await importList(knex, await job("v2"), fs.createReadStream(file), user, progress, (name, ms) => phases.push([`again: ${name}`, ms]));
    const reimportS = Number(process.hrtime.bigint() - started) / 1e9;

    // 5,000 bidders, half of them listed, every tenth with a consortium member
    const bidders = Array.from({ length: BIDDERS }, (_, i) => ({
      code: i % 2 ? codeOf(i * 7 % ENTRIES) : codeOf(ENTRIES + i),
      name: `投标人${i}`,
      members: i % 10 === 0 ? [{ code: codeOf(ENTRIES + BIDDERS + i) }] : [],
    }));
    const tenderId = randomUUID();
    started = process.hrtime.bigint();
    const result = await check(knex, { tenderId, tenantCode: "441300", cutoff: cutoff.toISOString(), bidders, committee: ["441300401"] }, new Date());
    // what e-trading keeps of it: the snapshot row
    await knex.raw("create table bare_snapshots (tender_id uuid primary key, bidders jsonb, lists jsonb)");
    await knex("bare_snapshots").insert({ tender_id: tenderId, bidders: JSON.stringify(result.bidders), lists: JSON.stringify(result.lists) });
    const screenS = Number(process.hrtime.bigint() - started) / 1e9;
    const excluded = result.bidders.filter((b) => !b.eligible).length;
    const usedSeq = result.lists.find((l) => l.list === "dishonest-debtors")?.seq;

    // the public credit page's search (GET /api/credit/public/entries?q=): the entries have no GIN
    // index (it would slow this import), so a word matching one entry scans the current ones
    await knex.raw("analyze credit_list_entries");
    const searched = async (q: string) => {
      const at = process.hrtime.bigint();
      const { query, req } = filteredEntries(knex, { q });
      const page = await listPage(knex, query, ENTRY_ORDER, req);
      return { ms: Number(process.hrtime.bigint() - at) / 1e6, total: page.total, estimate: page.totalIsEstimate };
    };
    const rare = await searched(`某某${Math.floor(ENTRIES / 3)}号`);
    const common = await searched("贸易");

    const summary = {
      entries: ENTRIES, bytes, bidders: BIDDERS, importS, bareS, reimportS, screenS, excluded, usedSeq, progressUpdates: updates, search: { rare, common },
      first: { added: first.added }, second: { added: second.added, removed: second.removed, changed: second.changed },
      importTargetS: IMPORT_TARGET_S, screenTargetS: SCREEN_TARGET_S, phases,
    };
    writeSummary(summary);
    console.log(`screening bench on ${machine()} (${load()})`);
    console.log(table(["what", "figure", "goal"], [
      [`import ${fmt(ENTRIES)} entries (${fmt(bytes / 1e6, 1)} MB CSV, checked, staged, diffed, versioned)`, `${fmt(importS, 1)} s`, `< ${IMPORT_TARGET_S} s`],
      ["  bare array INSERTs of the same rows, parsed beforehand", `${fmt(bareS, 1)} s`, `ratio ${fmt(importS / bareS, 1)}×`],
      [`import again, 1 % changed (${fmt(second.changed)} changed)`, `${fmt(reimportS, 1)} s`, ""],
      [`screen ${fmt(BIDDERS)} bidders (+ members) at the cutoff: ${fmt(excluded)} excluded, list seq ${usedSeq}`, `${fmt(screenS * 1000)} ms`, `< ${SCREEN_TARGET_S} s`],
      [`public search, a name matching ${fmt(rare.total)} entry, first page and total`, `${fmt(rare.ms)} ms`, ""],
      [`public search, a word in every name (${fmt(common.total)}${common.estimate ? ", estimated" : ""}), first page and total`, `${fmt(common.ms)} ms`, ""],
    ]));
    console.log(table(["import phase", "ms"], phases.map(([name, ms]) => [name, fmt(ms)])));
  } finally {
    await knex.destroy();
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
