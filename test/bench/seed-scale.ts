/**
 * `npm run seed:scale -- --notices 1100000 --suppliers 1000000`: fills a database with generated
 * data at the province's scale, for the search benchmark (test/bench/search.ts) and for trying the
 * lists by hand. The database is DATABASE_URL's, or else the embedded one under DATA_DIR (started
 * here, and migrated like the platform would: core, portal and registries).
 *
 * - Notices: over the platform's regions (tenants/tenants.json, cities and counties, Shenzhen left
 *   out as it runs its own platform), the four kinds, five years up to now, titles made of a
 *   region, a purchasing unit, a project and the kind's wording (「惠州市第一人民医院医疗设备采购项目招标公告」),
 *   a budget in `fields` from a log-normal distribution (median about ¥400,000, a few in the tens of
 *   millions), as government procurement amounts are spread.
 * - Suppliers: a city, a two-character trade name, an industry and a company form
 *   (「广州华信信息技术有限公司」), a valid unified social credit code (GB 32100 check character),
 *   size classes weighted as the registry's are (mostly micro and small enterprises).
 *
 * Rows are made by PostgreSQL itself (generate_series, in batches, with a progress line); the
 * search indexes are dropped first and built once at the end, which is several times faster than
 * keeping them up to date row by row. Rows seeded before (marked: plugin 'seed-scale', e-mail
 * domain seed.invalid) are replaced, never added to. Options: --notices N, --suppliers N (default 0).
 */
import fs from "node:fs";
import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { readConfig } from "../../core/config";
import { describeUrl } from "../../core/db";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../core/db/embedded";
import { runMigrations } from "../../core/db/migrate";
import { ROOT, fmt } from "./lib";

const BATCH = 50_000;

interface TenantFile {
  tenants: Array<{ code: string; name: { "zh-CN": string }; level: string; onPlatform?: boolean }>;
}

/** The regions notices are published in: every city and county on the platform. */
export function seedRegions(): Array<{ code: string; name: string }> {
  const file = JSON.parse(fs.readFileSync(path.join(ROOT, "tenants", "tenants.json"), "utf8")) as TenantFile;
  return file.tenants.filter((t) => t.level !== "province" && t.onPlatform !== false).map((t) => ({ code: t.code, name: t.name["zh-CN"] }));
}

// Each attribute of a row from its own hash of the row number, so that they are independent (a
// city does not decide the industry). Purchasing units, projects and trade names: the words of the province's real notices. The
// search benchmark's queries rely on these: 「采购」 in most titles, 「殡葬」 in about one notice in
// 10,000 (a rare word), 「麒麟」 in about one supplier in 50,000.
const UNITS = ["财政局", "教育局", "公安局", "卫生健康局", "交通运输局", "住房和城乡建设局", "自然资源局", "生态环境局", "水务局", "农业农村局", "第一人民医院", "中医院", "妇幼保健院", "疾病预防控制中心", "实验小学", "第一中学", "职业技术学院", "图书馆", "城市管理和综合执法局", "市场监督管理局", "政务服务数据管理局", "应急管理局", "人力资源和社会保障局", "民政局", "文化广电旅游体育局"];
const PROJECTS = ["办公设备", "医疗设备", "电梯维保服务", "物业管理服务", "信息化系统建设", "校园安防监控", "课桌椅", "道路养护工程", "绿化养护服务", "食堂食材配送", "公务用车", "政务云服务", "LED显示屏", "空调设备", "污水处理设施运维", "档案数字化服务", "法律顾问服务", "审计服务", "车辆维修", "印刷服务", "保安服务", "实验室设备", "图书", "体育器材", "消防设施维保"];
const KINDS: Record<string, string[]> = {
  intention: ["采购意向公开", "政府采购意向"],
  tender: ["采购项目招标公告", "采购项目竞争性磋商公告", "采购项目询价公告", "项目公开招标公告"],
  result: ["采购项目中标结果公告", "采购项目成交结果公告"],
  contract: ["采购合同公告", "项目合同公告"],
};
const TRADE_CHARS = [..."华信达宏泰恒鑫源盛丰瑞祥安康金隆昌兴凯德嘉通利远博创新科明天海云龙中正德广粤南方汇智诚伟建业永和"];
const INDUSTRIES = ["信息技术", "科技", "建设工程", "医疗器械", "物业服务", "环保科技", "教育设备", "办公用品", "电梯工程", "园林绿化", "餐饮管理", "安防科技", "电子", "印务", "汽车服务", "建筑装饰", "软件", "贸易", "检测技术", "咨询"];
const FORMS = ["有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司"];

function arg(name: string): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return 0;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${JSON.stringify(process.argv[i + 1])}`);
  return n;
}

function progress(what: string, done: number, total: number, started: number): void {
  const s = (performance.now() - started) / 1000;
  const pct = total ? Math.floor((100 * done) / total) : 100;
  const bar = "#".repeat(Math.floor(pct / 5)).padEnd(20, ".");
  process.stderr.write(`\r${what.padEnd(34)} [${bar}] ${fmt(done).padStart(9)} / ${fmt(total)} (${pct} %) ${s.toFixed(0)} s   `);
  if (done >= total) process.stderr.write("\n");
}

/** The table's indexes that back no constraint: dropped before a bulk load, built again after. */
async function secondaryIndexes(knex: Knex, table: string): Promise<Array<{ name: string; def: string }>> {
  const { rows } = await knex.raw(
    `select c.relname as name, pg_get_indexdef(i.indexrelid) as def
     from pg_index i join pg_class c on c.oid = i.indexrelid
     where i.indrelid = ?::regclass and not i.indisprimary and not i.indisunique`,
    [table],
  );
  return rows;
}

async function bulkLoad(knex: Knex, table: string, total: number, clear: string, insertBatch: (from: number, to: number) => Promise<unknown>): Promise<void> {
  const indexes = await secondaryIndexes(knex, table);
  let started = performance.now();
  process.stderr.write(`${table}: removing earlier seeded rows…\n`);
  await knex.raw(clear);
  for (const ix of indexes) await knex.raw(`drop index ${ix.name}`);
  for (let from = 1; from <= total; from += BATCH) {
    await insertBatch(from, Math.min(total, from + BATCH - 1));
    progress(`${table}: rows`, Math.min(total, from + BATCH - 1), total, started);
  }
  started = performance.now();
  let built = 0;
  for (const ix of indexes) {
    progress(`${table}: indexes`, built, indexes.length, started);
    await knex.raw(ix.def);
    built++;
  }
  progress(`${table}: indexes`, built, indexes.length, started);
  await knex.raw(`vacuum analyze ${table}`);
}

async function seedNotices(knex: Knex, total: number): Promise<void> {
  const regions = seedRegions();
  const kinds = Object.keys(KINDS);
  const wordings = kinds.map((k) => KINDS[k]);
  const perKind = Math.max(...wordings.map((w) => w.length));
  // a rectangular array for SQL: each kind's wordings repeated to the longest list's length
  const wordingGrid = wordings.map((w) => Array.from({ length: perKind }, (_, i) => w[i % w.length]));
  await bulkLoad(knex, "portal_notices", total, "delete from portal_notices where plugin = 'seed-scale'", (from, to) =>
    knex.raw(
      `with g as (
         select i, hashint8(i)::bigint as h1, hashint8(i + 1000000007)::bigint as h2, hashint8(i + 2000000011)::bigint as h3, hashint8(i + 3000000019)::bigint as h4, hashint8(i + 4000000007)::bigint as h5, hashint8(i + 5000000003)::bigint as h6
         from generate_series(?::bigint, ?::bigint) as i
       ), p as (
         select i, ((abs(h1) % ?) + 1)::int as r, ((abs(h2) % 4) + 1)::int as k, ((abs(h3) % ?) + 1)::int as u, ((abs(h4) % ?) + 1)::int as pr, ((abs(h5) % ?) + 1)::int as w from g
       )
       insert into portal_notices (instance_id, type, tenant_code, plugin, workflow_id, title, unit_name, fields, version, published_at)
       select gen_random_uuid(), (?::text[])[k], (?::text[])[r], 'seed-scale', 'etrading.tender',
              (?::text[])[r] || unit || (?::text[])[pr] || (?::text[])[k][w],
              (?::text[])[r] || unit,
              jsonb_build_object('budget', round(exp(ln(400000) + 1.3 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))::numeric, 2)::text),
              1,
              now() - interval '5 years' * (1 - i::float8 / ?) - random() * interval '2 hours'
       from p, lateral (select case when i % 10007 = 0 then '殡葬管理所' else (?::text[])[u] end as unit) as n`,
      [from, to, regions.length, UNITS.length, PROJECTS.length, perKind, kinds, regions.map((r) => r.code), regions.map((r) => r.name), PROJECTS, wordingGrid, regions.map((r) => r.name), total, UNITS],
    ),
  );
}

async function seedSuppliers(knex: Knex, total: number): Promise<void> {
  const cities = seedRegions().filter((r) => r.code.endsWith("00"));
  // GB 32100: 17 characters, then a check character from the weighted sum modulo 31.
  await knex.raw(`create or replace function pg_temp.uscc_check(body text) returns text language sql immutable as $$
    select substr('0123456789ABCDEFGHJKLMNPQRTUWXY', ((31 - sum((strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(body, n, 1)) - 1) * (array[1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28])[n]) % 31) % 31)::int + 1, 1)
    from generate_series(1, 17) as n $$`);
  await bulkLoad(knex, "registries_suppliers", total, "delete from registries_suppliers where contact_email like '%@seed.invalid'", (from, to) =>
    knex.raw(
      `with g as (
         select i, hashint8(i)::bigint as h1, hashint8(i + 1000000007)::bigint as h2, hashint8(i + 2000000011)::bigint as h3, hashint8(i + 3000000019)::bigint as h4, hashint8(i + 4000000007)::bigint as h5, hashint8(i + 5000000003)::bigint as h6 from generate_series(?::bigint, ?::bigint) as i
       ), p as (
         select i, ((abs(h1) % ?) + 1)::int as c, ((abs(h2) % ?) + 1)::int as a, ((abs(h3) % ?) + 1)::int as b, ((abs(h4) % ?) + 1)::int as ind, ((abs(h5) % ?) + 1)::int as f,
                abs(h6) % 100 as sz,
                '91' || (?::text[])[((abs(h1) % ?) + 1)::int] || lpad(upper(to_hex(i + 100000000)), 9, '0') as body
         from g
       )
       insert into registries_suppliers (credit_code, name, size_class, region, contact_name, contact_phone, contact_email, address, status)
       select body || pg_temp.uscc_check(body),
              regexp_replace((?::text[])[c], '市$', '') || case when i % 50021 = 0 then '麒麟' else (?::text[])[a] || (?::text[])[b] end || (?::text[])[ind] || (?::text[])[f],
              case when sz < 60 then 'micro' when sz < 85 then 'small' when sz < 97 then 'medium' else 'large' end,
              (?::text[])[c], '联系人', '0' || (20 + c)::text || lpad((i % 100000000)::text, 8, '0'), 's' || i || '@seed.invalid',
              (?::text[])[c] || '某路' || (i % 500 + 1) || '号', case when i % 50 = 0 then 'suspended' else 'active' end
       from p`,
      [
        from, to, cities.length, TRADE_CHARS.length, TRADE_CHARS.length, INDUSTRIES.length, FORMS.length,
        cities.map((c) => c.code), cities.length,
        cities.map((c) => c.name), TRADE_CHARS, TRADE_CHARS, INDUSTRIES, FORMS,
        cities.map((c) => c.code), cities.map((c) => c.name),
      ],
    ),
  );
}

/**
 * Migrates (core, portal, registries) and seeds the database at `url`, in one session whose
 * settings and pg_temp check-digit function hold for the whole load.
 */
export async function seedScale(url: string, counts: { notices: number; suppliers: number }, quiet = false): Promise<void> {
  const session = knexFactory({
    client: "pg",
    connection: { connectionString: url, application_name: "gd-procurement-seed" },
    pool: {
      min: 1,
      max: 1,
      // index builds over a million rows: memory and both cores (this is an operator's tool)
      afterCreate: (conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) =>
        conn.query("set maintenance_work_mem = '512MB'; set max_parallel_maintenance_workers = 2", (err) => done(err, conn)),
    },
  });
  const write = process.stderr.write.bind(process.stderr);
  if (quiet) process.stderr.write = (() => true) as typeof process.stderr.write;
  // migrations hold a lock on one connection while they run on another: a pool of their own
  const migrator = knexFactory({ client: "pg", connection: { connectionString: url }, pool: { min: 0, max: 2 } });
  try {
    await runMigrations(migrator, [
      { name: "core", directory: path.join(ROOT, "core", "db", "migrations") },
      { name: "portal", directory: path.join(ROOT, "plugins", "portal", "migrations") },
      { name: "registries", directory: path.join(ROOT, "plugins", "registries", "migrations") },
    ]);
    await migrator.destroy();
    if (counts.notices) await seedNotices(session, counts.notices);
    if (counts.suppliers) await seedSuppliers(session, counts.suppliers);
  } finally {
    process.stderr.write = write;
    await migrator.destroy();
    await session.destroy();
  }
}

async function main(): Promise<void> {
  const notices = arg("notices");
  const suppliers = arg("suppliers");
  if (!notices && !suppliers) {
    process.stderr.write("usage: npm run seed:scale -- --notices 1100000 --suppliers 1000000 (DATABASE_URL, or the embedded database of DATA_DIR)\n");
    process.exit(2);
  }
  const cfg = readConfig({ ...process.env, LOG_LEVEL: "warn" });
  let url = cfg.databaseUrl;
  let embedded: EmbeddedPostgres | undefined;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: cfg.dataDir, port: cfg.embeddedPgPort, log: (line) => process.stderr.write(line + "\n") });
    url = embedded.url;
  }
  const started = performance.now();
  try {
    await seedScale(url, { notices, suppliers });
    process.stderr.write(`seeded ${fmt(notices)} notices and ${fmt(suppliers)} suppliers in ${((performance.now() - started) / 60000).toFixed(1)} min (${describeUrl(url)})\n`);
  } finally {
    await embedded?.stop();
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`seed:scale: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
