/**
 * Issue 16's cluster row: 3 platform nodes (separate processes, `tsx core/main.ts`, every service on
 * each) on one nats-server and one PostgreSQL; CLUSTER_CALLERS (50) purchasers' callers create
 * procurement intentions (`POST /api/workflows/supervision.intention/instances`: the form, the start
 * hook's registry look-up of the unit, the project row, the instance, its history, the chained audit
 * entry and the Idempotency-Key, in one transaction) for CLUSTER_MS (10 s), each request to the next
 * gateway in turn, each with an Idempotency-Key of its own. Closed loop: each caller sends its next
 * request when its previous one was answered.
 *
 * Figures: creations/s, p50/p99, refused (503, or no answer within the gateway's timeout and a margin)
 * and other errors; then, in the database: committed intentions against the ones answered 201
 * (committed - answered = created by a request answered as failed: goal 0; answered and not committed:
 * lost, goal 0); then a sample of the keys sent again (answered ones and every failed one): the same
 * instance back for an answered one, and never a second row (duplicates: goal 0).
 *
 * The bare baseline, measured in the same run against the same database: the same callers writing the
 * same rows with knex (project, its link, instance, history, the audit entry through writeAudit, the
 * key), one transaction each, on as many connections as the three nodes' pools hold together. Chosen
 * over bare Moleculer calls over NATS (action-overhead measures those) because the issue's failure was
 * the database side (pool timeouts, a transaction held across a call to another node): the ratio says
 * how much of what the database can commit, for this shape of write, the platform delivers; the
 * difference is HTTP, NATS, the checks and the hook's look-up.
 *
 * CLUSTER_KILL (on by default; 0 turns it off): a second round where one node is killed (SIGKILL) a
 * quarter of the way in; callers then send to the surviving gateways only (as a balancer would) and a
 * request whose connection died is sent again with its key. Nothing may be lost or duplicated; the
 * refusals of the surviving nodes are counted.
 *
 *   npx tsx test/bench/cluster.ts                 embedded PostgreSQL (a fresh one in /tmp)
 *   DATABASE_URL=postgres://... npx tsx test/bench/cluster.ts     e.g. Debian's PostgreSQL
 *   CLUSTER_MS=2000 npx tsx test/bench/cluster.ts (what --smoke sets)
 *   CLUSTER_POOL=20 npx tsx test/bench/cluster.ts   each node's DB_POOL_MAX (10): is the pool or the CPU the limit?
 *   npx tsx test/bench/cluster.ts --profile   also a CPU profile of each node (--cpu-prof): where the time goes, by function
 *
 * A benchmark: it prints figures and exits 0 whatever they are.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { readConfig } from "../../core/config";
import { startKernel } from "../../core/kernel";
import { usernameKey } from "../../core/identity/accounts";
import { writeAudit } from "../../core/audit/log";
import { startNats, type NatsServer } from "../support/nats";
import { startNode, type PlatformNode } from "../support/node-process";
import { freePort } from "../support/processes";
import { NOISE_NOTE, ROOT, benchDatabase, envNumber, fmt, load, machine, pluginsDirOf, postmasterOf, processes, serverCpuMs, table, topFunctions, writeSummary } from "./lib";

const MEASURE_MS = Math.round(envNumber("CLUSTER_MS", 10_000));
const CALLERS = Math.round(envNumber("CLUSTER_CALLERS", 50));
const KILL = process.env.CLUSTER_KILL !== "0";
const PROFILE = process.argv.includes("--profile");
const NODES = 3;
/** each node's pool (CLUSTER_POOL, default DB_POOL_MAX's default): the bare baseline gets as many connections as the three together */
const POOL_PER_NODE = Math.round(envNumber("CLUSTER_POOL", 10));
/** the nodes' REQUEST_TIMEOUT_MS (the kernel's default): a request not answered by then and a margin counts as refused */
const REQUEST_TIMEOUT_MS = 10_000;
const CLIENT_TIMEOUT_MS = REQUEST_TIMEOUT_MS + 5_000;
/** keys sent again after the run: this many answered ones (every failed one too) */
const RETRY_SAMPLE = 100;
const WORKFLOW = "supervision.intention";
const UNIT = { budgetCode: "441300401", tenantCode: "441300", name: "惠州市交通运输局" };

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

/** The expected month: next year's June, never over while the bench runs (the form says not before today). */
const expectedMonth = `${new Date().getUTCFullYear() + 1}-06`;
const intention = (name: string) => ({ projectName: name, summary: "基准测试：更换办公电脑及配套设备", budget: "300000.00", expectedMonth });

interface Sent {
  key: string;
  name: string;
  gateway: number;
  status: number;
  /** the instance the 201 named */
  id?: string;
  /** the error's code and reason, or the client's own ("timeout", "connection") */
  error?: string;
  ms: number;
}

export interface RoundFigures {
  sent: number;
  answered: number;
  refused: number;
  otherErrors: number;
  /** status and code → count, for what was not a 201 */
  failures: Record<string, number>;
  perS: number;
  p50: number;
  p99: number;
  committed: number;
  /** committed, though its request was answered as failed (refused, error, no answer) */
  committedUnanswered: number;
  /** answered 201, not in the database */
  lost: number;
  retried: number;
  /** a retry of an answered key that did not give the first instance back */
  retryMismatches: number;
  /** rows beyond one per request (after the retries) */
  duplicates: number;
  /** CPU per creation answered, ms: the nodes' processes and the PostgreSQL server's (NaN when not on this machine) */
  cpuPerCreationMs: { nodes: number; database: number };
}

export interface ClusterSummary {
  where: string;
  nodes: number;
  callers: number;
  measureMs: number;
  platform: RoundFigures;
  bare: { perS: number; p50: number; p99: number; n: number; errors: number; connections: number; cpuPerCreationMs: { bench: number; database: number } };
  ratio: number;
  kill?: RoundFigures & { killedAtMs: number; survivorsRefused: number; survivorsSent: number; reconnected: number };
  loadBefore: string;
  loadAfter: string;
}

async function send(gateway: string, token: string, key: string, name: string): Promise<Omit<Sent, "gateway">> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${gateway}/api/workflows/${WORKFLOW}/instances`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": key, "accept-language": "en" },
      body: JSON.stringify({ data: intention(name) }),
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    const body = (await res.json()) as { id?: string; error?: { code: string; details?: { reason?: string } } };
    const ms = performance.now() - t0;
    if (res.status === 201) return { key, name, status: 201, id: body.id, ms };
    return { key, name, status: res.status, error: [body.error?.code, body.error?.details?.reason].filter(Boolean).join(" "), ms };
  } catch (err) {
    const e = err as Error;
    return { key, name, status: 0, error: e.name === "TimeoutError" ? "timeout" : "connection", ms: performance.now() - t0 };
  }
}

/**
 * CPU the nodes (their process groups) and the PostgreSQL server have used so far, in ms (the
 * server's NaN when it is not on this machine). What explains a figure on a 2-core machine: the CPU
 * each creation costs, and on which side.
 */
function cpuMs(nodeGroups: number[], postmaster: number | null): { nodes: number; database: number } {
  const ps = processes();
  let nodes = 0;
  for (const p of ps.values()) if (nodeGroups.includes(p.pgrp)) nodes += p.ms;
  return { nodes, database: serverCpuMs(postmaster, ps) };
}

const isRefused = (s: Sent) => s.status === 503 || s.error === "timeout";

/**
 * `CALLERS` loops for `ms`, each request to the next live gateway in turn. `live` may shrink while it
 * runs (a killed node): a request whose connection died is sent again, with its key, to a live one.
 */
async function round(
  prefix: string, gateways: string[], live: Set<number>, token: string, ms: number, cpu: () => { nodes: number; database: number },
): Promise<{ sent: Sent[]; elapsedS: number; reconnected: number; cpu: { nodes: number; database: number } }> {
  const sent: Sent[] = [];
  let n = 0;
  let count = 0;
  let reconnected = 0;
  const next = () => {
    const ids = [...live];
    return ids[n++ % ids.length];
  };
  const end = performance.now() + ms;
  const started = performance.now();
  const cpu0 = cpu();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (performance.now() < end) {
        const i = count++;
        const key = `${prefix}-${i}-${randomUUID()}`;
        const name = `基准意向 ${prefix} ${i}`;
        let g = next();
        const t0 = performance.now();
        let r = await send(gateways[g], token, key, name);
        // its node died under it: the client sends it again, with the same key, to a live gateway
        while (r.status === 0 && r.error === "connection" && !live.has(g) && live.size) {
          reconnected++;
          g = next();
          r = await send(gateways[g], token, key, name);
        }
        sent.push({ ...r, gateway: g, ms: performance.now() - t0 });
      }
    }),
  );
  const cpu1 = cpu();
  return { sent, elapsedS: (performance.now() - started) / 1000, reconnected, cpu: { nodes: cpu1.nodes - cpu0.nodes, database: cpu1.database - cpu0.database } };
}

/** What the database holds of a round, the keys sent again, and the figures. */
async function check(knex: Knex, prefix: string, gateways: string[], live: Set<number>, token: string, r: { sent: Sent[]; elapsedS: number; cpu: { nodes: number; database: number } }): Promise<RoundFigures> {
  const { sent } = r;
  const rowsOf = async () => {
    const rows = await knex("core_workflow_instances").where({ workflow_id: WORKFLOW }).whereRaw("data->>'projectName' like ?", [`基准意向 ${prefix} %`]).select("id", knex.raw("data->>'projectName' as name"));
    const byName = new Map<string, string[]>();
    for (const row of rows) byName.set(row.name, [...(byName.get(row.name) ?? []), row.id]);
    return { count: rows.length, byName };
  };
  const before = await rowsOf();
  const answered = sent.filter((s) => s.status === 201);
  const lost = answered.filter((s) => !before.byName.get(s.name)?.includes(s.id!)).length;
  const failed = sent.filter((s) => s.status !== 201);
  const committedUnanswered = failed.filter((s) => before.byName.has(s.name)).length;

  // Sent again with the same keys: an answered one gives its instance back; a failed one is done now
  // (or was done after all) — in neither case may a second row appear.
  const sample = [...answered.filter((_, i) => i % Math.max(1, Math.floor(answered.length / RETRY_SAMPLE)) === 0).slice(0, RETRY_SAMPLE), ...failed];
  const gw = [...live];
  let mismatches = 0;
  for (let i = 0; i < sample.length; i += 10) {
    const part = sample.slice(i, i + 10);
    const again = await Promise.all(part.map((s, j) => send(gateways[gw[(i + j) % gw.length]], token, s.key, s.name)));
    part.forEach((s, j) => {
      if (s.status === 201 && (again[j].status !== 201 || again[j].id !== s.id)) mismatches++;
    });
  }
  const after = await rowsOf();
  const duplicates = [...after.byName.values()].reduce((d, ids) => d + ids.length - 1, 0);

  const failures: Record<string, number> = {};
  for (const s of failed) {
    const k = `${s.status} ${s.error ?? ""}`.trim();
    failures[k] = (failures[k] ?? 0) + 1;
  }
  const ms = answered.map((s) => s.ms).sort((a, b) => a - b);
  const refused = sent.filter(isRefused).length;
  return {
    sent: sent.length, answered: answered.length, refused, otherErrors: failed.length - refused, failures,
    perS: answered.length / r.elapsedS, p50: percentile(ms, 50), p99: percentile(ms, 99),
    committed: before.count, committedUnanswered, lost, retried: sample.length, retryMismatches: mismatches, duplicates,
    cpuPerCreationMs: { nodes: r.cpu.nodes / answered.length, database: r.cpu.database / answered.length },
  };
}

/** The same rows as an intention's start, written with knex from this process: the database's own pace for this write. */
async function bare(knex: Knex, accountId: string, ms: number, database: () => number): Promise<ClusterSummary["bare"]> {
  const latencies: number[] = [];
  let errors = 0;
  let i = 0;
  const end = performance.now() + ms;
  const started = performance.now();
  const own0 = process.cpuUsage();
  const db0 = database();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (performance.now() < end) {
        const n = i++;
        const id = randomUUID();
        const now = new Date();
        const data = { ...intention(`基准意向 bare ${n}`), projectId: id, purchaserName: UNIT.name };
        const t0 = performance.now();
        try {
          await knex.transaction(async (trx) => {
            await trx("supervision_projects").insert({ id, tenant_code: UNIT.tenantCode, owner_unit: UNIT.budgetCode, unit_id: null, unit_name: UNIT.name, name: data.projectName, stage: "intention", budget: data.budget, intention_id: id, created_at: now, updated_at: now });
            await trx("supervision_project_instances").insert({ instance_id: id, project_id: id, stage: "intention", amount: null, created_at: now });
            const [row] = await trx("core_workflow_instances")
              .insert({ id, workflow_id: WORKFLOW, workflow_version: 1, plugin: "supervision", tenant_code: UNIT.tenantCode, owner_unit: UNIT.budgetCode, created_by: accountId, parties: [], state: "draft", data, version: 1, created_at: now, updated_at: now })
              .returning("*");
            await trx("core_workflow_history").insert({ instance_id: id, seq: 1, transition: "start", from_state: null, to_state: "draft", actor: JSON.stringify({ id: accountId }), data: JSON.stringify(data), at: now });
            // through writeAudit here too: a chained entry cannot be written without its chain
            await writeAudit(trx, { actor: { id: accountId }, tenantCode: UNIT.tenantCode, action: "workflow.start", object: `${WORKFLOW}/${id}`, after: { state: "draft", version: 1 } });
            await trx("core_idempotency_keys").insert({ account_id: accountId, key: `bare-${n}-${id}`, request: `start ${WORKFLOW}`, result: JSON.stringify(row) });
          });
          latencies.push(performance.now() - t0);
        } catch (err) {
          if ((err as Error).name !== "KnexTimeoutError") throw err;
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const own = process.cpuUsage(own0);
  const cpuPerCreationMs = { bench: (own.user + own.system) / 1000 / latencies.length, database: (database() - db0) / latencies.length };
  latencies.sort((a, b) => a - b);
  return { perS: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), n: latencies.length, errors, connections: NODES * POOL_PER_NODE, cpuPerCreationMs };
}

function row(label: string, f: RoundFigures): string[] {
  return [label, fmt(f.sent), fmt(f.answered), fmt(f.refused), fmt(f.otherErrors), fmt(f.perS), fmt(f.p50, 1), fmt(f.p99, 1), fmt(f.committed), fmt(f.committedUnanswered), fmt(f.lost), `${fmt(f.retried)} / ${fmt(f.retryMismatches)}`, fmt(f.duplicates)];
}

async function main(): Promise<void> {
  const where = process.env.DATABASE_URL ? "DATABASE_URL's server" : "embedded PostgreSQL";
  const db = await benchDatabase("bench_cluster");
  // supervision and what it depends on only, through links: other plugins' work in progress cannot stop it
  const pluginsDir = pluginsDirOf("cluster", ["registries", "supervision"]);
  const nodes: PlatformNode[] = [];
  let nats: NatsServer | undefined;
  const knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: NODES * POOL_PER_NODE } });
  const profileDir = PROFILE ? fs.mkdtempSync(path.join(os.tmpdir(), "gdp-bench-cluster-profile-")) : "";
  try {
    // Set-up on a kernel in this process (migrations, the unit in the registry, the account and its
    // session), stopped before the nodes take the load.
    const setup = await startKernel(
      { ...readConfig({ LOG_LEVEL: "warn", PLUGINS_DIR: pluginsDir, FORMS_DIR: path.join(ROOT, "forms") }), port: 0, host: "127.0.0.1", databaseUrl: db.url, demoAccounts: false, deadlineCheckMs: 3_600_000, initAdminPassword: "Bench-Keeper-Lantern-2026" },
      () => {},
    );
    let token: string;
    let accountId: string;
    try {
      await knex("registries_purchasers").insert({ tenant_code: UNIT.tenantCode, name: UNIT.name, budget_code: UNIT.budgetCode, unit_type: "government-agency" });
      const [account] = await knex("core_accounts")
        .insert({ username: "bench.cluster.buyer", username_key: usernameKey("bench.cluster.buyer"), display_name: "bench", tenant_code: UNIT.tenantCode, unit_code: UNIT.budgetCode, roles: ["purchaser"] })
        .returning("*");
      accountId = account.id;
      token = (await setup.identity.sessionFor(account)).token;
    } finally {
      await setup.stop();
    }

    // the nodes' pools and the baseline's (as many again) are open at once, with a few for the set-up
    const { rows: limit } = await knex.raw("select current_setting('max_connections')::int as n");
    if (2 * NODES * POOL_PER_NODE + 10 > limit[0].n) throw new Error(`CLUSTER_POOL=${POOL_PER_NODE} needs ${2 * NODES * POOL_PER_NODE + 10} connections; the server allows ${limit[0].n} (max_connections)`);
    nats = await startNats();
    const ports = await Promise.all(Array.from({ length: NODES }, () => freePort()));
    const node = (n: number) =>
      startNode({
        nodeId: `cluster-${n + 1}`, services: "", databaseUrl: db.url, natsUrl: nats!.url, port: ports[n], requestTimeoutMs: REQUEST_TIMEOUT_MS,
        env: { PLUGINS_DIR: pluginsDir, FORMS_DIR: path.join(ROOT, "forms"), DEMO_ACCOUNTS: "false", DB_POOL_MAX: String(POOL_PER_NODE), ...(PROFILE ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` } : {}) },
      });
    // together: the set-up kernel ran the migrations
    nodes.push(...(await Promise.all(Array.from({ length: NODES }, (_, n) => node(n)))));
    const gateways = ports.map((p) => `http://127.0.0.1:${p}`);
    const all = new Set(gateways.map((_, i) => i));
    // each node sees the others before the load (a start's hook may call another node's registries)
    for (let tries = 0; ; tries++) {
      const seen = await Promise.all(gateways.map(async (g) => ((await (await fetch(`${g}/api/health`)).json()) as { nodes?: string[] }).nodes?.length ?? 0));
      if (seen.every((s) => s >= NODES)) break;
      if (tries > 200) throw new Error(`the nodes did not discover each other: ${seen.join(", ")}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const postmaster = await postmasterOf(knex);
    const cpu = () => cpuMs(nodes.map((n) => n.proc.pid!), postmaster);
    const loadBefore = load();
    console.log(`cluster: ${NODES} nodes on NATS (${where}), ${CALLERS} callers creating ${WORKFLOW} instances over the ${NODES} gateways in turn, ${fmt(MEASURE_MS / 1000, 1)} s a round`);
    console.log(`machine: ${machine()}; load ${loadBefore}\n`);
    // warm-up: each node's first calls compile and load what they need
    await round("warm", gateways, all, token, Math.min(5000, MEASURE_MS), cpu);

    const measureStarted = performance.now();
    const measured = await round("run", gateways, all, token, MEASURE_MS, cpu);
    const platform = await check(knex, "run", gateways, all, token, measured);
    if (PROFILE) {
      // stopped gracefully: a node writes its CPU profile as it exits (the killed round is left out)
      await Promise.all(nodes.map((n) => n.stop()));
      console.log(`where the nodes' CPU went in the no-fault round (self time, all nodes; profiles in ${profileDir}):`);
      console.log(table(["share", "function"], topFunctions(profileDir, performance.now() - measureStarted, 30).map((f) => [`${fmt(f.share * 100, 1)} %`, f.fn])) + "\n");
    }
    const bareFigures = await bare(knex, accountId, MEASURE_MS, () => cpu().database);

    let kill: ClusterSummary["kill"];
    if (KILL && !PROFILE) {
      const live = new Set(all);
      const victim = NODES - 1;
      const killedAtMs = Math.round(MEASURE_MS / 4);
      const killer = setTimeout(() => {
        live.delete(victim);
        void nodes[victim].stop("SIGKILL");
      }, killedAtMs);
      const killed = await round("kill", gateways, live, token, MEASURE_MS, cpu);
      clearTimeout(killer);
      const figures = await check(knex, "kill", gateways, live, token, killed);
      const survivors = killed.sent.filter((s) => s.gateway !== victim);
      kill = { ...figures, killedAtMs, survivorsSent: survivors.length, survivorsRefused: survivors.filter(isRefused).length, reconnected: killed.reconnected };
    }
    const loadAfter = load();

    const head = ["round", "sent", "201", "refused", "other errors", "creations/s", "p50 ms", "p99 ms", "committed", "committed, answered failed", "lost", "retried / other answer", "duplicates"];
    const rows = [row("3 nodes, no fault", platform)];
    if (kill) rows.push(row(`node 3 killed at ${fmt(kill.killedAtMs / 1000, 1)} s`, kill));
    console.log(table(head, rows));
    console.log(`\nbare knex transaction, same rows, ${CALLERS} callers on ${bareFigures.connections} connections: ${fmt(bareFigures.perS)} /s, p50 ${fmt(bareFigures.p50, 1)} ms, p99 ${fmt(bareFigures.p99, 1)} ms (${fmt(bareFigures.errors)} pool timeouts)`);
    console.log(`ratio platform / bare: ${fmt(platform.perS / bareFigures.perS, 2)}×`);
    const c = platform.cpuPerCreationMs;
    console.log(
      `CPU per creation, no fault: the nodes ${fmt(c.nodes, 2)} ms, PostgreSQL ${fmt(c.database, 2)} ms; bare: knex in this process ${fmt(bareFigures.cpuPerCreationMs.bench, 2)} ms, PostgreSQL ${fmt(bareFigures.cpuPerCreationMs.database, 2)} ms ` +
        `(${os.cpus().length} cores: at most ${fmt((os.cpus().length * 1000) / (c.nodes + c.database))} creations/s with nothing else running)`,
    );
    if (Object.keys(platform.failures).length) console.log(`not 201, no fault: ${JSON.stringify(platform.failures)}`);
    if (kill) console.log(`with a node killed: ${JSON.stringify(kill.failures)}; the surviving nodes refused ${fmt(kill.survivorsRefused)} of ${fmt(kill.survivorsSent)}; ${fmt(kill.reconnected)} requests sent again after their node died`);
    console.log(`load before ${loadBefore}, after ${loadAfter}\n${NOISE_NOTE}`);
    const summary: ClusterSummary = { where, nodes: NODES, callers: CALLERS, measureMs: MEASURE_MS, platform, bare: bareFigures, ratio: platform.perS / bareFigures.perS, kill, loadBefore, loadAfter };
    writeSummary(summary);
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    await nats?.stop();
    await knex.destroy();
    await db.close();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
