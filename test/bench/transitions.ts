/**
 * Workflow transitions per second, and their latency, with 50 callers in flight, each on its own
 * instance: through the engine (the `workflows.transition` action as the gateway calls it: the
 * password, module and permission gates, the form, the guard, then the instance's compare-and-set,
 * its history row, its deadline timers, the hash-chained audit entry and the outbox row in one
 * transaction, which the steps arriving together share: the engine's group commit), against the
 * bare library underneath: the same rows written with knex in one transaction per call, with no checks (the audit entry through writeAudit in both: a chained
 * entry cannot be written without its chain).
 *
 *   npx tsx test/bench/transitions.ts                 embedded PostgreSQL (a fresh one in /tmp)
 *   DATABASE_URL=postgres://... npx tsx test/bench/transitions.ts     e.g. Debian's PostgreSQL
 *
 * TRANSITIONS_MS (default 5000) sets how long each variant is measured, TRANSITIONS_ROUNDS (default 2)
 * how many times each, taking turns (the best round counts), then the engine once with 200 callers
 * (issue 16: no pool timeouts), TRANSITIONS_INSTANCES (default 1000, at
 * least one per caller of that round) how many instances are made first. Afterwards the audit chain of the run is
 * sealed and verified, and one of its entries edited, then deleted, must be found and named. A
 * benchmark: it prints figures and exits 0 whatever they are.
 * TRANSITIONS_BESIDE=1 is for notifications.ts, which runs this beside its fan-out: after the warm-up
 * it prints "@@measuring", then one line `@@{perS,p99,errors}` per second of engine calls for
 * TRANSITIONS_MS, and no summary; it is stopped with SIGTERM (and drops its database or stops its embedded PostgreSQL).
 */
import os from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import path from "node:path";
import type { Knex } from "knex";
import { readConfig } from "../../core/config";
import { startKernel } from "../../core/kernel";
import { usernameKey } from "../../core/identity/accounts";
import { writeAudit } from "../../core/audit/log";
import { sealAudit } from "../../core/audit/seal";
import { verifyChain, type VerifyResult } from "../../core/audit/verify";
import type { SessionUser } from "../../core/plugins/types";
import { NOISE_NOTE, ROOT, benchDatabase, envNumber, fmt, load, machine, postmasterOf, serverCpuMs, table, writeSummary } from "./lib";

const MEASURE_MS = Math.round(envNumber("TRANSITIONS_MS", 5000));
const ROUNDS = Math.round(envNumber("TRANSITIONS_ROUNDS", 2));
const BESIDE = process.env.TRANSITIONS_BESIDE === "1";
const CALLERS = 50;
const MANY_CALLERS = 200;
// Every caller needs instances of its own (a shared one would measure compare-and-set conflicts):
// at least one per caller of the largest round.
const INSTANCES = Math.max(MANY_CALLERS, Math.round(envNumber("TRANSITIONS_INSTANCES", 1000)));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * A call refused for want of capacity: the engine's 503 (no free pool connection, overload) or, in the
 * bare variant, knex's own pool timeout. Issue 16 counts these ("0 errors"); any other error means the
 * bench itself is broken and stops it.
 */
function refused(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown };
  return e.code === 503 || e.name === "KnexTimeoutError";
}

/** `loopP99`: the 99th percentile of this process's event-loop delay during the round, ms: how long a ready answer may wait behind other work (the relay, the consumers, a group's own), a part of every call's latency */
type Round = { perS: number; p50: number; p99: number; n: number; errors: number; cpuMs: { node: number; database: number }; loopP99: number };

/**
 * `callers` loops for `ms`, each going round instances of its own (caller c: c, c + callers, ...; no two
 * calls in flight on one instance, whose compare-and-set would refuse one); latencies of every answered call,
 * refusals counted, and the CPU each answered call cost this process (the node) and the PostgreSQL
 * server whose postmaster is `postmaster` (NaN when it is not on this machine).
 */
async function run(callers: number, ms: number, call: (i: number) => Promise<void>, postmaster: number | null): Promise<Round> {
  const node0 = process.cpuUsage();
  const database0 = serverCpuMs(postmaster);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const each = Math.floor(INSTANCES / callers);
  let errors = 0;
  const latencies: number[] = [];
  const end = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      for (let k = 0; performance.now() < end; k++) {
        const i = c + (k % each) * callers;
        const t0 = performance.now();
        try {
          await call(i);
          latencies.push(performance.now() - t0);
        } catch (err) {
          if (!refused(err)) throw err;
          errors++;
        }
      }
    }),
  );
  if (!latencies.length) throw new Error(`no call answered in ${ms} ms: all ${errors} refused for want of a database connection`);
  const elapsed = (performance.now() - started) / 1000;
  loop.disable();
  const node = process.cpuUsage(node0);
  const cpuMs = { node: (node.user + node.system) / 1000 / latencies.length, database: (serverCpuMs(postmaster) - database0) / latencies.length };
  latencies.sort((a, b) => a - b);
  return { perS: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), n: latencies.length, errors, cpuMs, loopP99: loop.percentile(99) / 1e6 };
}

async function main(): Promise<void> {
  const where = process.env.DATABASE_URL ? "DATABASE_URL's server" : "embedded PostgreSQL";
  const db = await benchDatabase("bench_transitions");
  const fixtures = path.join(ROOT, "test", "fixtures");
  const kernel = await startKernel(
    {
      ...readConfig({ LOG_LEVEL: "warn", DB_POOL_MAX: process.env.DB_POOL_MAX }),
      port: 0,
      host: "127.0.0.1",
      databaseUrl: db.url,
      services: ["etrading", "registries"],
      pluginsDir: path.join(fixtures, "workflow-plugins"),
      formsDir: path.join(fixtures, "workflow-forms"),
      initAdminPassword: "Bench-Keeper-Lantern-2026",
      demoAccounts: false,
      deadlineCheckMs: 3_600_000,
    },
    () => {},
  );
  try {
    const knex = kernel.db.knex;
    const postmaster = await postmasterOf(knex);
    const [account] = await knex("core_accounts")
      .insert({ username: "bench.buyer", username_key: usernameKey("bench.buyer"), display_name: "bench", tenant_code: "441300", unit_code: "441300401", roles: ["purchaser"] })
      .returning("*");
    const { session } = await kernel.identity.sessions.open(knex, account.id);
    const user: SessionUser = { id: account.id, username: account.username, tenantCode: "441300", roles: ["purchaser"], unitCode: "441300401", sessionId: session.id };
    const far = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
    const ids: string[] = [];
    for (let i = 0; i < INSTANCES; i++) {
      const row = await kernel.workflow.start(user, "etrading.tender", { projectName: `基准测试项目${i}`, budget: "100000.00", tenderPeriod: { endDate: far(30) } });
      ids.push(row.id);
    }
    const ability = (await import("../../core/access/ability")).buildAbility(user, kernel.registry.plugins.map((p) => p.manifest), kernel.tenancy.tree);
    for (const id of ids) await kernel.workflow.transition(user, ability, id, "publish", undefined);

    // Each amendment moves the closing time a minute later than the last one on that instance.
    const bump = new Map<string, number>(ids.map((id) => [id, 0]));
    const amendment = (id: string) => {
      const n = bump.get(id)! + 1;
      bump.set(id, n);
      return { reason: "基准测试更正", tenderPeriod: { endDate: new Date(Date.now() + 30 * 86_400_000 + n * 60_000).toISOString() } };
    };
    const platform = (i: number) =>
      kernel.broker.call("workflows.transition", { id: ids[i], name: "amend", data: amendment(ids[i]) }, { meta: { user } }).then(() => undefined);
    const bare = async (i: number) => {
      const id = ids[i];
      const data = amendment(id);
      await knex.transaction(async (trx) => {
        const [row] = await trx("core_workflow_instances").where({ id }).update({ data: trx.raw("data || ?::jsonb", [JSON.stringify(data)]), version: trx.raw("version + 1"), updated_at: new Date() }).returning(["version", "tenant_code"]);
        await trx("core_workflow_history").insert({ instance_id: id, seq: row.version, transition: "amend", from_state: "published", to_state: "published", actor: JSON.stringify({ id: user.id }), data: JSON.stringify(data), at: new Date() });
        await trx("core_workflow_timers").where({ instance_id: id }).whereNull("fired_at").whereNull("cancelled_at").update({ cancelled_at: new Date() });
        await trx("core_workflow_timers").insert({ instance_id: id, transition: "open", state: "published", due_at: data.tenderPeriod.endDate });
        // The audit entry goes through writeAudit here too: a chained entry cannot be written without its chain.
        await writeAudit(trx, { actor: { id: user.id }, tenantCode: row.tenant_code, action: "workflow.transition.amend", object: id });
        await trx("core_outbox").insert({ event: "portal.publish", payload: JSON.stringify({ instanceId: id }), stream_key: id });
      });
    };

    console.log(`transitions: ${CALLERS} callers, each on its own instance (${INSTANCES} instances), ${MEASURE_MS / 1000} s per variant; ${where}`);
    console.log(`machine: ${machine()}; load ${load()}\n`);
    if (BESIDE) {
      await run(CALLERS, 1000, platform, postmaster); // warm-up
      // On DATABASE_URL's server its database is dropped on the way out (the finally below); lib.ts
      // exits at once and stops an embedded server itself.
      let stopping = false;
      process.once("SIGTERM", () => (stopping = true));
      console.log("@@measuring");
      // one-second rounds, so that the process beside reads what the engine did while it measured
      for (const end = performance.now() + MEASURE_MS; performance.now() < end && !stopping; ) {
        const r = await run(CALLERS, 1000, platform, postmaster);
        console.log(`@@${JSON.stringify({ perS: r.perS, p99: r.p99, errors: r.errors })}`);
      }
      return;
    }
    // One node's memory (issue 16: RSS < 500 MB): this process is the node, the callers with it.
    let rssMax = process.memoryUsage.rss();
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage.rss())), 100);
    await run(CALLERS, 1000, platform, postmaster); // warm-up
    const results = { platform: [] as Round[], bare: [] as Round[] };
    for (let round = 0; round < ROUNDS; round++) {
      results.bare.push(await run(CALLERS, MEASURE_MS, bare, postmaster));
      results.platform.push(await run(CALLERS, MEASURE_MS, platform, postmaster));
    }
    // issue 16: with 200 callers (more than the pool has connections, many times over) nothing may
    // time out waiting for one; each caller still has instances of its own
    const manyCallers = Math.min(MANY_CALLERS, INSTANCES);
    const many = await run(manyCallers, MEASURE_MS, platform, postmaster);
    clearInterval(sampler);
    const best = (xs: Round[]) => xs.reduce((a, b) => (b.perS > a.perS ? b : a));
    const p = best(results.platform);
    const b = best(results.bare);
    console.log(
      table(
        ["variant", "transitions/s", "p50 ms", "p99 ms", "calls", "refused", "event loop p99 ms", "rounds (/s)"],
        [
          ["bare knex transaction, same rows", fmt(b.perS), fmt(b.p50, 1), fmt(b.p99, 1), fmt(b.n), fmt(b.errors), fmt(b.loopP99, 1), results.bare.map((r) => fmt(r.perS)).join(", ")],
          ["engine (workflows.transition)", fmt(p.perS), fmt(p.p50, 1), fmt(p.p99, 1), fmt(p.n), fmt(p.errors), fmt(p.loopP99, 1), results.platform.map((r) => fmt(r.perS)).join(", ")],
          [`engine, ${manyCallers} callers`, fmt(many.perS), fmt(many.p50, 1), fmt(many.p99, 1), fmt(many.n), fmt(many.errors), fmt(many.loopP99, 1), "one round"],
        ],
      ),
    );
    const audit = await checkAudit(knex);
    const rssMaxMb = rssMax / 2 ** 20;
    const errors = results.platform.reduce((n, r) => n + r.errors, 0);
    // On a machine of C cores nothing does more than C × 1000 / (ms of CPU a call) calls a second.
    const cores = os.cpus().length;
    const cpuLine = (r: Round) => `this process ${fmt(r.cpuMs.node, 2)} ms, PostgreSQL ${fmt(r.cpuMs.database, 2)} ms (at most ${fmt((cores * 1000) / (r.cpuMs.node + r.cpuMs.database))}/s on ${cores} cores)`;
    console.log(`\nCPU a call: engine ${cpuLine(p)}; bare ${cpuLine(b)}`);
    console.log(`ratio engine / bare: ${fmt(p.perS / b.perS, 2)}×; engine calls refused (503) in all its rounds: ${fmt(errors)}; this process's RSS at most ${fmt(rssMaxMb)} MB\n${NOISE_NOTE}`);
    writeSummary({ where, platform: p, bare: b, ratio: p.perS / b.perS, errors, rssMaxMb, many: { callers: manyCallers, ...many }, audit });
  } finally {
    await kernel.stop();
    await db.close();
  }
}

/**
 * Issue 16: after the run the audit chain is intact, and an edited or deleted entry among the
 * run's is found and named. Every entry is sealed and the whole chain verified; then, as an attacker
 * with superuser rights would (the append-only trigger skipped), one entry from the middle of the run
 * is edited and the chain verified again, then put back, then deleted. The database is the bench's own.
 */
async function checkAudit(knex: Knex): Promise<{ entries: number; verifyS: number; intact: boolean; edited: boolean; deleted: boolean }> {
  await sealAudit(knex, { timeoutMs: 120_000 });
  const t0 = performance.now();
  const whole = await verifyChain(knex);
  const verifyS = (performance.now() - t0) / 1000;
  const superuser = <T>(fn: (trx: Knex.Transaction) => Promise<T>) =>
    knex.transaction(async (trx) => {
      await trx.raw("set local session_replication_role = replica");
      return fn(trx);
    });
  const { id, object } = await knex("core_audit_log").where("seq", Math.ceil(whole.checked / 2)).first("id", "object");
  const named = (r: VerifyResult, reason: string, at: string) => !r.ok && r.broken?.reason === reason && r.broken.id === at;
  await superuser((trx) => trx("core_audit_log").where({ id }).update({ object: `${object}-edited` }));
  const edited = named(await verifyChain(knex), "content", String(id));
  await superuser((trx) => trx("core_audit_log").where({ id }).update({ object }));
  const restored = (await verifyChain(knex)).ok;
  // deleted: the entry after it no longer links to what comes before it
  const next = await knex("core_audit_log").where("id", ">", id).orderBy("id").first("id");
  await superuser((trx) => trx("core_audit_log").where({ id }).delete());
  const deleted = restored && named(await verifyChain(knex), "link", String(next.id));
  console.log(
    `audit chain after the run: ${fmt(whole.checked)} entries sealed and verified in ${fmt(verifyS, 1)} s, ${whole.ok ? "intact" : `BROKEN at ${whole.broken?.id}: ${whole.broken?.message}`}; ` +
      `entry ${id} edited: ${edited ? "found and named (content)" : "NOT found"}; deleted: ${deleted ? `found, named at the next entry ${next.id} (link)` : "NOT found"}`,
  );
  return { entries: whole.checked, verifyS, intact: whole.ok && whole.complete, edited, deleted };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
