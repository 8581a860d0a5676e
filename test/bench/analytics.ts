/**
 * `npm run bench -- --only analytics`: issue 22's dashboard figure. The aggregate tables as the facts
 * of 1,000,000 projects leave them (every tenant, 24 months, every method, 20 categories, 40 units a
 * tenant; planned, awarded, contracted, paid; cycle times and breaches), written in bulk SQL grouped
 * the way the `analytics.fact` handler adds them; then a sample of real facts through the handler, to
 * show the tables stay current. Then GET /api/analytics/dashboard as the province's, a city's and a
 * county's regulator ask it, with date ranges. Goal: p99 < 1 s. Beneath: the totals' bare SQL.
 * Then GET /api/analytics/flags as the province and a city: the red flags raised (one project in 50)
 * and each purchaser's share of non-competitive awards, summed from the cells for the range.
 *
 *   ANALYTICS_PROJECTS   projects whose aggregates are seeded (1000000; --smoke 20000)
 *   ANALYTICS_QUERIES    dashboards asked per kind (40; --smoke 3)
 *   ANALYTICS_FACTS      real facts sent through the event handler (500; --smoke 50)
 */
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { startKernel } from "../../core/kernel";
import { readConfig } from "../../core/config";
import { enqueue } from "../../core/events/outbox";
import { usernameKey } from "../../core/identity/accounts";
import { tenantTree } from "../../core/sdk";
import { withAncestors } from "../../plugins/analytics/services/aggregates";
import { METHODS } from "../../plugins/analytics/services/ocds-builder";
import { NOISE_NOTE, ROOT, benchDatabase, envNumber, fmt, load, machine, pluginsDirOf, table, writeSummary } from "./lib";

const SMOKE = process.argv.includes("--smoke");
const PROJECTS = Math.round(envNumber("ANALYTICS_PROJECTS", SMOKE ? 20_000 : 1_000_000));
const QUERIES = Math.round(envNumber("ANALYTICS_QUERIES", SMOKE ? 3 : 40));
const FACTS = Math.round(envNumber("ANALYTICS_FACTS", SMOKE ? 50 : 500));
const GOAL_MS = 1000;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

export interface AnalyticsSummary {
  projects: number;
  cells: number;
  queries: number;
  dashboard: { p50: number; p99: number; target: number };
  bareP99: number;
  factsPerS: number;
  /** GET /api/analytics/flags, province and cities */
  flags: { p50: number; p99: number };
}

async function main(): Promise<void> {
  const db = await benchDatabase("bench_analytics");
  const pluginsDir = pluginsDirOf("analytics", ["registries", "supervision", "analytics"]);
  const kernel = await startKernel(
    { ...readConfig({ LOG_LEVEL: "warn" }), port: 0, host: "127.0.0.1", databaseUrl: db.url, pluginsDir, formsDir: path.join(ROOT, "forms"), initAdminPassword: "Bench-Keeper-Lantern-2026", demoAccounts: false, deadlineCheckMs: 3_600_000 },
    () => {},
  );
  const gateway = kernel.broker.getLocalService("gateway") as unknown as { server: { address(): { port: number } } };
  const base = `http://127.0.0.1:${gateway.server.address().port}`;
  try {
    const knex = kernel.db.knex;
    const tenants = tenantTree().tenants.map((t) => t.code);
    const t0 = performance.now();
    // one project a row of the series: its tenant, unit, method, category and month, its amounts;
    // summed into cells as the handler sums facts, so the tables hold what 1,000,000 projects leave
    const series = `select i, (?::text[])[1 + i % ?] as tenant_code, '单位' || (i % 40) as unit, (?::text[])[1 + (i / 7) % ?] as method,
      'C' || lpad(((i / 3) % 20)::text, 2, '0') as category, to_char(date '2025-01-01' + ((i * 13) % 730)::int, 'YYYY-MM') as month,
      (10000 + (i * 7919) % 5000000)::numeric as amount, i % 3 = 0 as sme from generate_series(1::bigint, ?) i`;
    const args = [tenants, tenants.length, [...METHODS], METHODS.length, PROJECTS];
    // each unit's sums at its tenant, and under ALL_UNITS at its tenant and every tenant above, as
    // the handler writes them (aggregates.ts, withAncestors)
    const pairs = tenants.flatMap((t) => withAncestors(t).map((a) => [t, a]));
    const up = `(select unnest(?::text[]) as code, unnest(?::text[]) as ancestor)`;
    const upArgs = [pairs.map((p) => p[0]), pairs.map((p) => p[1])];
    for (const [tenantExpr, unit, from, extra] of [
      ["tenant_code", "unit", "", []],
      ["a.ancestor", `'*'`, ` join ${up} a on a.code = p.tenant_code`, upArgs],
    ] as Array<[string, string, string, unknown[]]>) {
      await knex.raw(
        `insert into analytics_agg_cells (tenant_code, unit, method, category, month, planned, awarded, awards, sme_awarded, sme_awards, small_awards, small_sme_awards, contracted, contracts, paid, payments, bid_tenders, bids, single_bid_tenders)
         select ${tenantExpr}, ${unit}, method, category, month, sum(amount * 1.1), sum(amount), count(*), sum(case when sme then amount else 0 end), count(*) filter (where sme),
                count(*) filter (where amount < 2000000), count(*) filter (where sme and amount < 2000000), sum(amount), count(*), sum(amount * 0.8), count(*) * 2,
                count(*), sum(1 + i % 7), count(*) filter (where i % 7 = 0)
         from (${series}) p${from} group by 1, 2, 3, 4, 5`,
        [...args, ...extra],
      );
      await knex.raw(
        `insert into analytics_agg_cycles (tenant_code, unit, method, kind, month, days, n)
         select ${tenantExpr}, ${unit}, method, k.kind, month, (i * k.mult) % 180, count(*) from (${series}) p${from}, (values ('intention-contract', 31), ('contract-payment', 17)) k(kind, mult)
         group by 1, 2, 3, 4, 5, 6`,
        [...args, ...extra],
      );
    }
    await knex.raw(
      `insert into analytics_agg_breaches (fact_key, project_id, tenant_code, unit, rule, month, from_on, done_on, days, allowed)
       select 'contract-' || i, gen_random_uuid(), tenant_code, unit, 'contract.publish', month, (month || '-01')::date, (month || '-10')::date, 7, 2 from (${series}) p where i % 50 = 0`,
      args,
    );
    // an award a project, and a flag for one project in 50, as the handler leaves them
    await knex.raw(
      `insert into analytics_agg_wins (project_id, tenant_code, unit, supplier, method, award_on)
       select gen_random_uuid(), tenant_code, unit, '供应商' || (i % 97), method, (month || '-15')::date from (${series}) p`,
      args,
    );
    await knex.raw(
      `insert into analytics_agg_flags (flag_key, flag, tenant_code, unit, month, project_ids, evidence)
       select 'single-bid|' || i, 'single-bid', tenant_code, unit, month, array[gen_random_uuid()], jsonb_build_object('method', method, 'bidders', 1, 'rule', 'tender.minBidders', 'minimum', 3)
       from (${series}) p where i % 50 = 0`,
      args,
    );
    await knex.raw("analyze");
    const seedS = (performance.now() - t0) / 1000;
    const cells = Number((await knex("analytics_agg_cells").count({ n: "*" }))[0].n);

    // real facts through the handler: the tables are kept by events, not by the seed
    const t1 = performance.now();
    const sent: string[] = [];
    for (let i = 0; i < FACTS; i++) {
      const instanceId = randomUUID();
      // contracts and awards, the awards counting bids and naming suppliers (the flags' paths)
      const data = i % 2
        ? { projectId: randomUUID(), method: METHODS[i % METHODS.length], purchaserName: `单位${i % 40}`, supplierName: `供应商${i % 97}`, amount: "100000.00", awardDate: "2026-03-01", bidders: 1 + (i % 5) }
        : { projectId: randomUUID(), purchaserName: `单位${i % 40}`, amount: "100000.00", signedOn: "2026-03-02", filedOn: "2026-03-03" };
      const payload = { instanceId, workflowId: "bench.fact", plugin: "bench", tenantCode: tenants[i % tenants.length], version: 1, stage: i % 2 ? "award" : "contract", data };
      const { eventId } = await knex.transaction((trx) => enqueue(trx, { event: "analytics.fact", payload, key: instanceId }));
      sent.push(eventId);
    }
    for (;;) {
      const [{ n }] = await knex("core_event_receipts").where({ consumer: "analytics.aggregates" }).whereIn("event_id", sent).count({ n: "*" });
      if (Number(n) === sent.length) break;
      if (performance.now() - t1 > 300_000) throw new Error(`facts not handled in 5 minutes: ${n} of ${sent.length}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const factsPerS = FACTS / ((performance.now() - t1) / 1000);

    const token = async (tenantCode: string) => {
      const username = `bench-${tenantCode}-${randomUUID().slice(0, 6)}`;
      const [row] = await knex("core_accounts").insert({ username, username_key: usernameKey(username), display_name: username, tenant_code: tenantCode, roles: ["regulator"] }).returning("*");
      return (await kernel.identity.sessionFor(row)).token;
    };
    const province = await token("440000");
    const kinds: Array<{ label: string; token: string; query: (i: number) => string }> = [
      { label: "province, all months", token: province, query: () => "" },
      { label: "province, eleven months", token: province, query: (i) => `from=${2025 + (i % 2)}-01-01&to=${2025 + (i % 2)}-11-30` },
      { label: "a city (drill-down)", token: province, query: (i) => `region=${tenants.filter((t) => tenantTree().get(t)?.level === "city")[i % 20]}` },
      { label: "a county, a quarter", token: province, query: (i) => `region=${tenants.filter((t) => tenantTree().get(t)?.level === "county")[i % 5]}&from=2025-04-01&to=2025-06-30` },
    ];
    const ask = async (tok: string, qs: string, route = "dashboard") => {
      const r = await fetch(`${base}/api/analytics/${route}?${qs}`, { headers: { authorization: `Bearer ${tok}` } });
      if (r.status !== 200) throw new Error(`${route} ${qs}: ${r.status} ${await r.text()}`);
      return r.json();
    };
    const all: number[] = [];
    const rows: string[][] = [];
    for (const k of kinds) {
      for (let i = 0; i < 2; i++) await ask(k.token, k.query(i)); // warm-up
      const lat: number[] = [];
      for (let i = 0; i < QUERIES; i++) {
        const s = performance.now();
        await ask(k.token, k.query(i));
        lat.push(performance.now() - s);
      }
      lat.sort((a, b) => a - b);
      all.push(...lat);
      rows.push([k.label, fmt(percentile(lat, 50), 1), fmt(percentile(lat, 99), 1)]);
    }
    const flagLat: number[] = [];
    const flagKinds = [kinds[0], kinds[1], kinds[2]];
    for (const k of flagKinds) {
      await ask(k.token, k.query(0), "flags");
      for (let i = 0; i < QUERIES; i++) {
        const s = performance.now();
        await ask(k.token, k.query(i), "flags");
        flagLat.push(performance.now() - s);
      }
    }
    flagLat.sort((a, b) => a - b);
    const bare: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const s = performance.now();
      await knex("analytics_agg_cells").where({ tenant_code: "440000", unit: "*" }).select(knex.raw("sum(planned), sum(contracted), sum(paid)"));
      bare.push(performance.now() - s);
    }
    all.sort((a, b) => a - b);
    bare.sort((a, b) => a - b);
    const p50 = percentile(all, 50), p99 = percentile(all, 99);
    console.log(`analytics: aggregates of ${fmt(PROJECTS)} projects (${fmt(cells)} cells) seeded in ${fmt(seedS, 1)} s; ${fmt(FACTS)} facts through the handler at ${fmt(factsPerS)} /s`);
    console.log(`machine: ${machine()}; load ${load()}\n`);
    console.log(table(["dashboard", "p50 ms", "p99 ms"], rows));
    console.log(`\nall kinds: p50 ${fmt(p50, 1)} ms, p99 ${fmt(p99, 1)} ms (goal < ${GOAL_MS} ms); the province totals' bare SQL: p99 ${fmt(percentile(bare, 99), 1)} ms`);
    console.log(`red flags (province and cities): p50 ${fmt(percentile(flagLat, 50), 1)} ms, p99 ${fmt(percentile(flagLat, 99), 1)} ms`);
    console.log(`\n${NOISE_NOTE}`);
    writeSummary({ projects: PROJECTS, cells, queries: all.length, dashboard: { p50, p99, target: GOAL_MS }, bareP99: percentile(bare, 99), factsPerS, flags: { p50: percentile(flagLat, 50), p99: percentile(flagLat, 99) } } satisfies AnalyticsSummary);
  } finally {
    await kernel.stop();
    await db.close();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
