/**
 * List and search latency at the province's scale, through the HTTP API as a browser calls it, 10
 * callers in flight: the portal's notices (newest page, a rare and a frequent 2-character Chinese
 * word, a longer word, region, type and date filters, page 10,000 by cursor against page 1 and by
 * page number) and the suppliers registry (a rare and a frequent word, a longer one, a deep cursor).
 * Every figure is printed with its goal: p99 < 100 ms (issue 16).
 *
 *   npm run seed:scale -- --notices 1100000 --suppliers 1000000      once (DATA_DIR or DATABASE_URL)
 *   DATA_DIR=… EMBEDDED_PG_PORT=… npx tsx test/bench/search.ts          the seeded embedded database
 *   DATABASE_URL=postgres://… npx tsx test/bench/search.ts              or a server's
 *   npx tsx test/bench/search.ts --smoke                                tiny data in a fresh database, seconds (CI)
 *   … --seeded-or-smoke                                                 the seeded database if it is one, else --smoke (run-all)
 *   … --json                                                            one JSON line per figure (figures.ts)
 *
 * SEARCH_MS (default 3000; 500 with --smoke) sets how long each figure is measured, SEARCH_ONLY (a
 * regular expression, e.g. "word|科技") which figures are (all by default). A benchmark:
 * it prints figures and exits 0 whatever they are, non-zero only when it could not measure.
 */
import fs from "node:fs";
import knexFactory from "knex";
import { readConfig } from "../../core/config";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../core/db/embedded";
import { encodeCursor } from "../../core/gateway/list-query";
import { NOTICE_ORDER } from "../../plugins/portal/services/notice-store";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { figuresOf, jsonLines } from "./figures";
import { NOISE_NOTE, benchDatabase, envNumber, fmt, load, machine, pluginsDirOf, table, writeSummary } from "./lib";
import { seedScale } from "./seed-scale";

const SMOKE = process.argv.includes("--smoke");
const SEEDED_OR_SMOKE = process.argv.includes("--seeded-or-smoke");
const JSON_OUT = process.argv.includes("--json");
const MEASURE_MS = Math.round(envNumber("SEARCH_MS", SMOKE ? 500 : 3000));
const ONLY = process.env.SEARCH_ONLY ? new RegExp(process.env.SEARCH_ONLY, "u") : undefined;
const CALLERS = 10;
const GOAL_MS = 100;
const DEEP_PAGE = 10_000;

interface Figure {
  figure: string;
  p50: number;
  p99: number;
  calls: number;
  /** what one answer held: its total (and whether an estimate), to show the query found something */
  found: string;
}

/**
 * Where the deep figures read: page 10,000 of the notices (or the last whole page before the end),
 * and as many rows into the suppliers, or half of them when there are fewer (a smaller seed).
 * Each list's own size bounds its own depth: a supplier offset past the end has no row to make a
 * cursor of.
 */
export function deepReads(notices: number, suppliers: number): { noticeOffset: number; noticePage: number; supplierOffset: number } {
  const deepOffset = (DEEP_PAGE - 1) * 20;
  return { noticeOffset: Math.min(deepOffset, notices - 21) - 1, noticePage: Math.min(DEEP_PAGE, Math.floor(notices / 20)), supplierOffset: Math.min(deepOffset, Math.floor(suppliers / 2)) };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** `CALLERS` closed loops on one GET for MEASURE_MS (after a short warm-up); p50 and p99 in ms. */
async function measure(platform: TestPlatform, figure: string, url: string, token?: string): Promise<Figure> {
  const call = async () => {
    const res = await fetch(platform.baseUrl + url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const body = (await res.json()) as { total?: number; totalIsEstimate?: boolean; items?: unknown[]; error?: unknown };
    if (res.status !== 200) throw new Error(`${figure}: GET ${url} answered ${res.status} ${JSON.stringify(body.error)}`);
    return body;
  };
  const first = await call();
  const latencies: number[] = [];
  const loop = async (ms: number, record: boolean) => {
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (performance.now() < end) {
          const t0 = performance.now();
          await call();
          if (record) latencies.push(performance.now() - t0);
        }
      }),
    );
  };
  await loop(Math.min(500, MEASURE_MS / 2), false);
  await loop(MEASURE_MS, true);
  latencies.sort((a, b) => a - b);
  const found = `${first.totalIsEstimate ? "≈" : ""}${fmt(first.total ?? 0)} (${first.items?.length ?? 0} shown)`;
  return { figure, p50: percentile(latencies, 50), p99: percentile(latencies, 99), calls: latencies.length, found };
}

async function smokeDatabase(): Promise<{ url: string; close(): Promise<void>; where: string; smoke: boolean }> {
  const db = await benchDatabase("bench_search");
  await seedScale(db.url, { notices: 30_000, suppliers: 20_000 }, true);
  return { ...db, where: "a fresh database seeded with 30,000 notices and 20,000 suppliers (--smoke)", smoke: true };
}

/**
 * The database: a fresh one seeded small (--smoke), else the seeded one of DATABASE_URL or DATA_DIR
 * (with --seeded-or-smoke, a small fresh one when that one is not seeded).
 */
async function database(): Promise<{ url: string; close(): Promise<void>; where: string; smoke: boolean }> {
  if (SMOKE) return smokeDatabase();
  const cfg = readConfig({ ...process.env, LOG_LEVEL: "warn" });
  let embedded: EmbeddedPostgres | undefined;
  let url = cfg.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: cfg.dataDir, port: cfg.embeddedPgPort, log: () => {} });
    url = embedded.url;
  }
  const probe = knexFactory({ client: "pg", connection: url, pool: { min: 0, max: 1 } });
  try {
    const { rows } = await probe.raw("select (select count(*) from portal_notices) as notices, (select count(*) from registries_suppliers) as suppliers");
    if (Number(rows[0].notices) < 1000) throw new Error("no seeded notices");
    return { url, close: async () => void (await embedded?.stop()), where: `${fmt(Number(rows[0].notices))} notices and ${fmt(Number(rows[0].suppliers))} suppliers (${cfg.databaseUrl ? "DATABASE_URL" : `embedded, ${cfg.dataDir}`})`, smoke: false };
  } catch (err) {
    await embedded?.stop();
    if (SEEDED_OR_SMOKE) {
      console.error(`search bench: ${cfg.databaseUrl ? "DATABASE_URL" : cfg.dataDir} has no seeded data (${(err as Error).message}): measuring on small data instead (--smoke)`);
      return smokeDatabase();
    }
    throw new Error(`the database has no seeded data (${(err as Error).message}): run npm run seed:scale -- --notices 1100000 --suppliers 1000000 first, with the same DATA_DIR or DATABASE_URL`);
  } finally {
    await probe.destroy();
  }
}

async function main(): Promise<void> {
  const db = await database();
  // the two plugins measured, nothing else: other plugins' start-up is not this benchmark's
  const pluginsDir = pluginsDirOf("search", ["portal", "registries"]);
  let platform: TestPlatform | undefined;
  try {
    platform = await startTestPlatform({ databaseUrl: db.url, pluginsDir, demoAccounts: false });
    const knex = platform.kernel.db.knex;
    const admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });

    // The cursor of page 10,000 (as a reader who paged that far holds it): read once by OFFSET here.
    const total = Number((await knex("portal_notices").whereNull("withdrawn_at").count({ n: "*" }))[0].n);
    const suppliers = Number((await knex("registries_suppliers").count({ n: "*" }))[0].n);
    const reads = deepReads(total, suppliers);
    const deep = await knex.raw(
      `select to_char(published_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, id from portal_notices
       where withdrawn_at is null order by published_at desc, id desc offset ? limit 1`,
      [reads.noticeOffset],
    );
    const deepCursor = encodeCursor(NOTICE_ORDER, [deep.rows[0].at, deep.rows[0].id]);
    const deepPage = reads.noticePage;
    const supplierDeep = await knex.raw("select name, credit_code from registries_suppliers order by name, credit_code offset ? limit 1", [reads.supplierOffset]);
    const supplierCursor = Buffer.from(JSON.stringify(["registries.Supplier", supplierDeep.rows[0]?.name, supplierDeep.rows[0]?.credit_code])).toString("base64url");

    const q = encodeURIComponent;
    const cases: Array<[string, string, string?]> = [
      ["notices: newest page", "/api/portal/notices"],
      ["notices: rare 2-character word (q=殡葬)", `/api/portal/notices?q=${q("殡葬")}`],
      ["notices: frequent 2-character word (q=采购)", `/api/portal/notices?q=${q("采购")}`],
      ["notices: 4-character word (q=电梯维保)", `/api/portal/notices?q=${q("电梯维保")}`],
      ["notices: region (tenant=441300, with counties)", "/api/portal/notices?tenant=441300"],
      ["notices: type (type=result)", "/api/portal/notices?type=result"],
      ["notices: one month (from/to)", "/api/portal/notices?from=2024-03-01&to=2024-03-31"],
      ["notices: region + type + month + word", `/api/portal/notices?tenant=440900&type=tender&from=2023-01-01&to=2023-12-31&q=${q("医院")}`],
      ["notices: page 1", "/api/portal/notices?pageSize=20"],
      [`notices: page ${fmt(deepPage)} by cursor`, `/api/portal/notices?pageSize=20&cursor=${deepCursor}`],
      [`notices: page ${fmt(deepPage)} by page number (OFFSET)`, `/api/portal/notices?pageSize=20&page=${deepPage}`],
      ["suppliers: first page", "/api/registries/suppliers", admin],
      ["suppliers: rare 2-character word (q=麒麟)", `/api/registries/suppliers?q=${q("麒麟")}`, admin],
      ["suppliers: frequent 2-character word (q=科技)", `/api/registries/suppliers?q=${q("科技")}`, admin],
      ["suppliers: 4-character word (q=信息技术)", `/api/registries/suppliers?q=${q("信息技术")}`, admin],
      ["suppliers: region (tenant=441300)", "/api/registries/suppliers?tenant=441300", admin],
      [`suppliers: ${fmt(reads.supplierOffset)} rows deep by cursor`, `/api/registries/suppliers?cursor=${supplierCursor}`, admin],
    ];
    // The platform has just started (plans, JIT, the database's caches): one figure's worth of calls
    // is thrown away first, or the first figure measured would carry the start-up.
    await measure(platform, "warm-up", cases[0][1]);
    const figures: Figure[] = [];
    for (const [figure, url, token] of cases) {
      if (ONLY && !ONLY.test(figure)) continue;
      figures.push(await measure(platform, figure, url, token));
      if (!JSON_OUT) process.stderr.write(`  measured ${figure}\n`);
    }
    const summary = { where: db.where, smoke: db.smoke, figures, goalMs: GOAL_MS };
    // goals and whether they were met: figures.ts, the same for this table, --json and run-all
    const judged = figuresOf("search", summary);
    if (JSON_OUT) {
      process.stdout.write(jsonLines(judged));
    } else {
      console.log(`\nSearch and lists, ${CALLERS} callers, ${MEASURE_MS} ms each, over ${db.where}`);
      console.log(`${machine()}; load ${load()}\n`);
      const rows = figures.map((f, i) => [f.figure, fmt(f.p50, 1), fmt(f.p99, 1), fmt(f.calls), f.found, judged[i].goal ?? "-", judged[i].met === null ? "-" : judged[i].met ? "yes" : "NO"]);
      const deep = judged[figures.length];
      if (deep) rows.push([deep.figure, "", `${fmt(deep.ratio ?? NaN, 2)}×`, "", "", deep.goal ?? "-", deep.met === null ? "-" : deep.met ? "yes" : "NO"]);
      console.log(table(["figure", "p50 ms", "p99 ms", "calls", "answer", "goal", "met"], rows));
      console.log(`\n${NOISE_NOTE}`);
    }
    writeSummary(summary);
  } finally {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
    await db.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`search bench: ${(err as Error).message}`);
    process.exit(1);
  });
}
