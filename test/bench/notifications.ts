/**
 * Live notifications: 1,000 signed-in clients connected from a separate process, all in one room
 * (the purchasers of Huizhou); 100 notifications to that room. For each: delivered messages/s and
 * latency from commit to client (p50, p99), through the platform (a business transaction enqueues
 * `notifications.requested`; the relay, the notifications service writing 1,000 inbox rows in the
 * event's receipt transaction, the push broadcast, the gateway's socket.io emit) and through a bare
 * socket.io emit to the same room of the same server, in the same run.
 *
 *   npx tsx test/bench/notifications.ts                embedded PostgreSQL (a fresh one in /tmp)
 *   DATABASE_URL=postgres://... npx tsx test/bench/notifications.ts
 *
 * Two ways of sending, both for each variant: a burst (the 100 as fast as they can be sent:
 * throughput) and paced (one every NOTIFY_PACE_MS, default 100 ms, i.e. 10/s and 10,000 deliveries/s:
 * latency when the pipeline is not saturated). The bursts run NOTIFY_ROUNDS times (3), bare and
 * platform in turn, and count by their medians: a moment of load from elsewhere on the machine then
 * moves one round, not the ratio. NOTIFY_CLIENTS (1000) and NOTIFY_COUNT (100) shorten a run.
 * Each phase also reports the CPU time it took in this process (the server), in the clients' process
 * and in PostgreSQL's processes (with the embedded server, or any on this machine): where the time went.
 * Each phase also reports this process's event-loop delay (p99, max): a server that could not run
 * its callbacks in time, as against time spent in PostgreSQL or the clients.
 * Beside: the two paced phases once more while test/bench/transitions.ts runs in a child process
 * (TRANSITIONS_BESIDE=1: its engine round, 50 callers, its own database) from the moment it says it
 * measures until both phases are done; then it is stopped (SIGTERM). Issue 16: the paced p99 must stay
 * under 250 ms with the transitions beside it. NOTIFY_BESIDE=0 leaves this part out.
 * PLUGINS_DIR / FORMS_DIR choose the plugins the kernel loads (default: the project's).
 * Targets: p99 under 250 ms; throughput at least 0.5× bare socket.io. Exits 0 whatever the figures are.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import readline from "node:readline";
import { io, type Socket } from "socket.io-client";
import { readConfig } from "../../core/config";
import { startKernel, type Kernel } from "../../core/kernel";
import { usernameKey } from "../../core/identity/accounts";
import { enqueue } from "../../core/events/outbox";
import { rooms } from "../../core/events/notifications";
import type { LiveSockets } from "../../core/gateway/sockets";
import { NOISE_NOTE, ROOT, benchDatabase, envNumber, fmt, load, machine, sleep, table, writeSummary } from "./lib";

const CLIENTS = Math.round(envNumber("NOTIFY_CLIENTS", 1000));
const COUNT = Math.round(envNumber("NOTIFY_COUNT", 100));
const PACE_MS = envNumber("NOTIFY_PACE_MS", 100);
const ROUNDS = Math.round(envNumber("NOTIFY_ROUNDS", 3));
const BESIDE = process.env.NOTIFY_BESIDE !== "0";
const TARGET_P99_MS = 250;
const TARGET_RATIO = 0.5;
const ROOM = rooms.role("441300", "purchaser");

const now = () => performance.timeOrigin + performance.now();

interface PhaseResult {
  name: string;
  expected: number;
  delivered: number;
  /** deliveries / (last delivery − first send) */
  perS: number;
  p50: number;
  p99: number;
  max: number;
  spanMs: number;
  /** CPU seconds spent during the phase: the server process, the clients' process, PostgreSQL */
  cpu?: { server: number; clients: number; db: number | null };
  /** the whole machine's CPU during the phase, % of all cores: busy, and idle waiting for the disk */
  machine?: { busy: number; iowait: number };
  /** this (the server's) process's event-loop delay during the phase, ms */
  loop?: { p99: number; max: number };
}

/** What the transitions bench beside the paced phases did while they ran (its one-second rounds). */
interface BesideLoad {
  /** median of its rounds, transitions/s; its worst round's p99 */
  perS: number;
  p99: number;
  rounds: number;
  errors: number;
  /** CPU seconds of its node (not its PostgreSQL) during the phases */
  cpuS: number | null;
  /** false when it had stopped before the phases were done (then they were not measured beside it throughout) */
  throughout: boolean;
}

/** User + system CPU seconds of a process, from /proc (null where it cannot be read: another machine, not Linux). */
function procCpu(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/** The machine's CPU time so far, in ticks: all, busy, waiting for the disk (null where /proc/stat cannot be read). */
function machineCpu(): { total: number; busy: number; iowait: number } | null {
  try {
    const [, ...ticks] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is counted in user already)
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
    return { total, busy: total - ticks[3] - ticks[4], iowait: ticks[4] };
  } catch {
    return null;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

// ------------------------------------------------------------------------------------------ clients

/** The client process: connects every token, then records when each message of a phase arrives. */
async function clients(tokensFile: string, baseUrl: string): Promise<void> {
  const tokens = JSON.parse(fs.readFileSync(tokensFile, "utf8")) as string[];
  const say = (msg: unknown) => process.stdout.write(`@@${JSON.stringify(msg)}\n`);
  let phase: { name: string; expected: number; seqs: number[]; times: number[]; cpu: NodeJS.CpuUsage } | null = null;
  const record = (name: string, seq: number) => {
    if (!phase || phase.name !== name) return;
    phase.seqs.push(seq);
    phase.times.push(now());
    if (phase.times.length === phase.expected) say({ done: name });
  };
  const sockets: Socket[] = [];
  let ready = 0;
  let lost = 0;
  for (let i = 0; i < tokens.length; i += 100) {
    const wave = tokens.slice(i, i + 100).map((token) => {
      const s = io(baseUrl, { auth: { token }, transports: ["websocket"], reconnection: false, forceNew: true });
      s.on("notifications", (list: Array<{ title: { en: string } }>) => {
        for (const n of list) {
          const m = /^bench (\S+) (\d+)$/.exec(n.title.en);
          if (m) record(m[1], Number(m[2]));
        }
      });
      s.on("bare", (b: { phase: string; seq: number }) => record(b.phase, b.seq));
      s.on("disconnect", () => lost++);
      sockets.push(s);
      return new Promise<void>((resolve, reject) => {
        s.once("ready", () => resolve());
        s.once("connect_error", (err) => reject(err));
      });
    });
    await Promise.all(wave);
    ready += wave.length;
  }
  say({ ready, lost });
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const cmd = JSON.parse(line) as { phase?: string; expected?: number; result?: string; sent?: number[]; quit?: boolean };
    if (cmd.phase) phase = { name: cmd.phase, expected: cmd.expected!, seqs: [], times: [], cpu: process.cpuUsage() };
    else if (cmd.result && phase && cmd.result === phase.name) {
      const sent = cmd.sent!;
      const lat = phase.times.map((t, i) => t - sent[phase!.seqs[i]]).sort((a, b) => a - b);
      const first = Math.min(...sent);
      const last = phase.times.length ? Math.max(...phase.times) : first;
      const r: PhaseResult = {
        name: phase.name,
        expected: phase.expected,
        delivered: phase.times.length,
        perS: phase.times.length / ((last - first) / 1000),
        p50: percentile(lat, 50),
        p99: percentile(lat, 99),
        max: lat[lat.length - 1] ?? NaN,
        spanMs: last - first,
      };
      const cpu = process.cpuUsage(phase.cpu);
      say({ result: r, lost, cpu: (cpu.user + cpu.system) / 1e6 });
    } else if (cmd.quit) break;
  }
  sockets.forEach((s) => s.close());
  process.exit(0);
}

// ------------------------------------------------------------------------------------------ beside

/**
 * Runs `during` while test/bench/transitions.ts runs engine calls in a child process, from its
 * "@@measuring" line (its kernel, data and warm-up are then done) until `during` is done; then
 * stops it (SIGTERM: lib.ts stops its embedded PostgreSQL on the way out) and waits until it is gone.
 */
async function besideTransitions<T>(during: () => Promise<T>): Promise<T & { transitions: BesideLoad }> {
  // long enough for any round: the child is stopped as soon as `during` is done
  const env: NodeJS.ProcessEnv = { ...process.env, TRANSITIONS_BESIDE: "1", TRANSITIONS_MS: String(2 * COUNT * PACE_MS + 120_000) };
  delete env.BENCH_SUMMARY_FILE; // its figures are read here, from its stdout
  const child = spawn(process.execPath, ["--import", "tsx", path.join("test", "bench", "transitions.ts")], { cwd: ROOT, env, stdio: ["ignore", "pipe", "inherit"] });
  let gone = false;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      gone = true;
      resolve();
    }),
  );
  const rounds: Array<{ perS: number; p99: number; errors: number }> = [];
  let counting = false;
  let timer: NodeJS.Timeout | undefined;
  const measuring = new Promise<boolean>((resolve) => {
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line === "@@measuring") resolve(true);
      else if (line.startsWith("@@")) {
        if (counting) rounds.push(JSON.parse(line.slice(2)));
      } else if (line.trim()) console.log(`  [transitions beside] ${line}`);
    });
    void exited.then(() => resolve(false));
    timer = setTimeout(() => resolve(false), 300_000);
  });
  try {
    const started = await measuring;
    clearTimeout(timer);
    if (!started) throw new Error(gone ? "the transitions bench beside stopped before it measured" : "the transitions bench beside did not start measuring within 5 minutes");
    console.log(`transitions bench beside: measuring (pid ${child.pid}); load ${load()}`);
    counting = true;
    const cpu0 = procCpu(child.pid!);
    const result = await during();
    const cpu1 = procCpu(child.pid!);
    counting = false;
    const sorted = [...rounds].sort((a, b) => a.perS - b.perS);
    const transitions: BesideLoad = {
      perS: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)].perS : NaN,
      p99: rounds.length ? Math.max(...rounds.map((r) => r.p99)) : NaN,
      rounds: rounds.length,
      errors: rounds.reduce((n, r) => n + r.errors, 0),
      cpuS: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null,
      throughout: !gone,
    };
    return { ...result, transitions };
  } finally {
    clearTimeout(timer);
    await stopChild(child, exited, () => gone);
  }
}

/** SIGTERM, and SIGKILL if it is still there 30 s later (its cleanup stuck). */
async function stopChild(child: ChildProcess, exited: Promise<void>, isGone: () => boolean): Promise<void> {
  if (isGone()) return;
  child.kill("SIGTERM");
  let kill: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise<void>((resolve) => (kill = setTimeout(resolve, 30_000)))]);
  clearTimeout(kill);
  if (!isGone()) {
    console.log("the transitions bench beside did not stop within 30 s of SIGTERM: killed");
    child.kill("SIGKILL");
    await exited;
  }
}

// ------------------------------------------------------------------------------------------ server

async function main(): Promise<void> {
  const where = process.env.DATABASE_URL ? "DATABASE_URL's server" : "embedded PostgreSQL";
  const db = await benchDatabase("bench_notifications");
  const kernel: Kernel = await startKernel(
    { ...readConfig({ LOG_LEVEL: "warn", PLUGINS_DIR: process.env.PLUGINS_DIR, FORMS_DIR: process.env.FORMS_DIR }), port: 0, host: "127.0.0.1", databaseUrl: db.url, demoAccounts: false, deadlineCheckMs: 3_600_000, initAdminPassword: "Bench-Keeper-Lantern-2026" },
    () => {},
  );
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gdp-bench-notify-"));
  try {
    const gateway = kernel.broker.getLocalService("gateway") as unknown as { server: import("node:http").Server; sockets: LiveSockets };
    const baseUrl = `http://127.0.0.1:${(gateway.server.address() as import("node:net").AddressInfo).port}`;
    const knex = kernel.db.knex;

    // 1,000 purchasers of Huizhou, each signed in (a session and a token).
    const rows = await knex("core_accounts")
      .insert(Array.from({ length: CLIENTS }, (_, i) => ({ username: `bench.buyer.${i}`, username_key: usernameKey(`bench.buyer.${i}`), display_name: `bench ${i}`, tenant_code: "441300", unit_code: `4413009${String(i).padStart(5, "0")}`, roles: ["purchaser"] })))
      .returning("*");
    const tokens: string[] = [];
    for (const row of rows) tokens.push((await kernel.identity.sessionFor(row)).token);
    const tokensFile = path.join(tmp, "tokens.json");
    fs.writeFileSync(tokensFile, JSON.stringify(tokens));

    console.log(`live notifications: ${fmt(CLIENTS)} clients in one room (a separate process), ${COUNT} notifications per phase; ${where}`);
    console.log(`machine: ${machine()}; load ${load()}\n`);

    const child = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.relative(ROOT, __filename), "--clients", tokensFile, baseUrl], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
    const waiting: Array<{ ok: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }> = [];
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      if (!line.startsWith("@@")) return;
      const msg = JSON.parse(line.slice(2)) as Record<string, unknown>;
      const i = waiting.findIndex((w) => w.ok(msg));
      if (i >= 0) waiting.splice(i, 1)[0].resolve(msg);
    });
    const next = (ok: (m: Record<string, unknown>) => boolean, timeoutMs: number) =>
      new Promise<Record<string, unknown> | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), timeoutMs);
        waiting.push({ ok, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    const tell = (cmd: unknown) => child.stdin!.write(JSON.stringify(cmd) + "\n");
    const connectStarted = Date.now();
    const hello = await next((m) => "ready" in m, 300_000);
    if (!hello) throw new Error("the client process did not connect its clients within 5 minutes");
    console.log(`${fmt(Number(hello.ready))} clients connected and caught up in ${fmt((Date.now() - connectStarted) / 1000, 1)} s; ${gateway.sockets.stats.users} sockets on the server\n`);

    let key = 0;
    const raise = async (name: string, seq: number): Promise<number> => {
      await knex.transaction((trx) =>
        enqueue(trx, { event: "notifications.requested", key: `bench-${key++}`, payload: { tenantCode: "441300", roles: ["purchaser"], kind: "bench", title: { "zh-CN": `bench ${name} ${seq}`, en: `bench ${name} ${seq}` }, link: "/bench" } }),
      );
      return now(); // committed
    };
    const bare = (name: string, seq: number): number => {
      const t = now();
      gateway.sockets.users.to(ROOM).emit("bare", { phase: name, seq, title: { "zh-CN": `bench ${name} ${seq}`, en: `bench ${name} ${seq}` } });
      return t;
    };

    // PostgreSQL's processes (backends and background writers), when they run on this machine: CPU
    // seconds by pid, and what they spent between two readings (a process that started in between
    // counts whole; one that ended is missed).
    const dbCpu = async (): Promise<Map<number, number> | null> => {
      const { rows } = await knex.raw(`select pid from pg_stat_activity`);
      const out = new Map<number, number>();
      for (const { pid } of rows as Array<{ pid: number }>) {
        const c = procCpu(pid);
        if (c !== null) out.set(pid, c);
      }
      return out.size ? out : null;
    };
    /**
     * Where a platform phase's time went before the inbox was written, in PostgreSQL's own clock: from
     * the outbox row (its transaction's start, just before commit) to the relay's batch that sent it,
     * and to the notifications consumer's transaction that received it (p50 / p99 ms over the phase's
     * notifications). The rest of commit → client is writing the inbox, its commit, the push and the emits.
     */
    const stagesOf = async (name: string): Promise<{ relay: [number, number]; consumer: [number, number]; batches: number; events: number }> => {
      const { rows } = await knex.raw(
        `select extract(epoch from o.sent_at - o.created_at) * 1000 as relay, extract(epoch from r.received_at - o.created_at) * 1000 as consumer, o.sent_at
           from core_outbox o join core_event_receipts r on r.event_id = o.event_id and r.consumer = 'notifications'
          where o.event = 'notifications.requested' and o.payload->'title'->>'en' like ?`,
        [`bench ${name} %`],
      );
      const pair = (xs: number[]): [number, number] => {
        const sorted = xs.sort((a, b) => a - b);
        return [percentile(sorted, 50), percentile(sorted, 99)];
      };
      return {
        relay: pair(rows.map((r: { relay: string }) => Number(r.relay))),
        consumer: pair(rows.map((r: { consumer: string }) => Number(r.consumer))),
        // fewer batches than events: some waited for the batch before theirs and went out together
        batches: new Set(rows.map((r: { sent_at: Date }) => new Date(r.sent_at).getTime())).size,
        events: rows.length,
      };
    };
    const dbSpent = (before: Map<number, number> | null, after: Map<number, number> | null): number | null =>
      before && after ? [...after].reduce((sum, [pid, c]) => sum + c - (before.get(pid) ?? 0), 0) : null;

    // Its samples are the 10 ms between two of its timer's turns plus the delay: the 10 ms are taken off.
    const LOOP_RESOLUTION_MS = 10;
    const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    loop.enable();

    /** Sends COUNT messages (burst: as fast as possible, 10 transactions at a time; else one every PACE_MS). */
    async function phase(name: string, send: (name: string, seq: number) => number | Promise<number>, paced: boolean): Promise<PhaseResult> {
      const expected = COUNT * CLIENTS;
      tell({ phase: name, expected });
      await sleep(200);
      const cpuBefore = { server: process.cpuUsage(), db: await dbCpu(), machine: machineCpu() };
      loop.reset();
      const sent: number[] = new Array(COUNT);
      const done = next((m) => m.done === name, 120_000);
      if (paced) {
        const start = now();
        for (let seq = 0; seq < COUNT; seq++) {
          const wait = start + seq * PACE_MS - now();
          if (wait > 0) await sleep(wait);
          sent[seq] = await send(name, seq);
        }
      } else {
        let seq = 0;
        await Promise.all(
          Array.from({ length: 10 }, async () => {
            while (seq < COUNT) {
              const s = seq++;
              sent[s] = await send(name, s);
            }
          }),
        );
      }
      await done;
      const beyond = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
      // a burst may be over before the timer turns once
      const loopDelay = loop.count ? { p99: beyond(loop.percentile(99)), max: beyond(loop.max) } : undefined;
      const server = process.cpuUsage(cpuBefore.server);
      const m0 = cpuBefore.machine;
      const m1 = machineCpu();
      const whole = m0 && m1 && m1.total > m0.total ? { busy: (100 * (m1.busy - m0.busy)) / (m1.total - m0.total), iowait: (100 * (m1.iowait - m0.iowait)) / (m1.total - m0.total) } : undefined;
      const dbAfter = await dbCpu();
      await sleep(200);
      tell({ result: name, sent });
      const r = await next((m) => (m.result as PhaseResult | undefined)?.name === name, 30_000);
      if (!r) throw new Error(`no result for ${name}`);
      if (Number(r.lost) > 0) console.log(`  (${r.lost} clients were disconnected during ${name})`);
      const cpu = { server: (server.user + server.system) / 1e6, clients: Number(r.cpu), db: dbSpent(cpuBefore.db, dbAfter) };
      return { ...(r.result as PhaseResult), cpu, machine: whole, loop: loopDelay };
    }

    await phase("warmup-platform", raise, true);
    await phase("warmup-bare", bare, true);
    const rounds: Array<{ bare: PhaseResult; platform: PhaseResult }> = [];
    for (let i = 1; i <= ROUNDS; i++) {
      // each variant first in turn, so that neither always follows the other
      const bareFirst = i % 2 === 1;
      const first = await phase(`${bareFirst ? "bare" : "platform"}-burst-${i}`, bareFirst ? bare : raise, false);
      const second = await phase(`${bareFirst ? "platform" : "bare"}-burst-${i}`, bareFirst ? raise : bare, false);
      rounds.push(bareFirst ? { bare: first, platform: second } : { bare: second, platform: first });
    }
    /** the round whose delivered/s is the median (the middle one, or the lower middle one) */
    const medianOf = (rs: PhaseResult[]) => [...rs].sort((a, b) => a.perS - b.perS)[Math.floor((rs.length - 1) / 2)];
    const results = {
      bareBurst: medianOf(rounds.map((r) => r.bare)),
      platformBurst: medianOf(rounds.map((r) => r.platform)),
      barePaced: await phase("bare-paced", bare, true),
      platformPaced: await phase("platform-paced", raise, true),
    };
    const beside = BESIDE
      ? await besideTransitions(async () => ({ barePaced: await phase("bare-paced-beside", bare, true), platformPaced: await phase("platform-paced-beside", raise, true) }))
      : undefined;
    tell({ quit: true });

    const cpuCell = (c: number | null | undefined) => (c === null || c === undefined ? "n/a" : fmt(c, 2));
    const row = (label: string, r: PhaseResult) => [label, fmt(r.perS), fmt(r.p50, 1), fmt(r.p99, 1), fmt(r.max, 1), `${fmt(r.delivered)}/${fmt(r.expected)}`, fmt(r.spanMs), cpuCell(r.cpu?.server), cpuCell(r.cpu?.clients), cpuCell(r.cpu?.db),
      r.machine ? `${fmt(r.machine.busy)} / ${fmt(r.machine.iowait)}` : "n/a",
      r.loop ? `${fmt(r.loop.p99, 1)} / ${fmt(r.loop.max, 1)}` : "n/a"];
    const burstLabel = ROUNDS > 1 ? `, burst (median of ${ROUNDS})` : ", burst";
    console.log(
      table(
        ["variant", "delivered/s", "p50 ms", "p99 ms", "max ms", "delivered", "span ms", "CPU s server", "clients", "PostgreSQL", "machine busy / iowait %", "loop delay p99 / max ms"],
        [
          row(`bare socket.io emit${burstLabel}`, results.bareBurst),
          row(`platform (commit → client)${burstLabel}`, results.platformBurst),
          row(`bare socket.io emit, one per ${PACE_MS} ms`, results.barePaced),
          row(`platform (commit → client), one per ${PACE_MS} ms`, results.platformPaced),
          ...(beside ? [row(`bare socket.io emit, one per ${PACE_MS} ms, transitions beside`, beside.barePaced), row(`platform (commit → client), one per ${PACE_MS} ms, transitions beside`, beside.platformPaced)] : []),
        ],
      ),
    );
    const ratio = results.platformBurst.perS / results.bareBurst.perS;
    const p99 = results.platformPaced.p99;
    const inbox = Number((await knex("core_inbox").count({ n: "*" }))[0].n);
    if (ROUNDS > 1) {
      console.log(`\nbursts round by round, delivered/s bare / platform (ratio): ${rounds.map((r) => `${fmt(r.bare.perS)} / ${fmt(r.platform.perS)} (${fmt(r.platform.perS / r.bare.perS, 2)}×)`).join("; ")}`);
    }
    console.log(`\nthroughput platform / bare (burst${ROUNDS > 1 ? ", medians" : ""}): ${fmt(ratio, 2)}× (target ≥ ${TARGET_RATIO}×: ${ratio >= TARGET_RATIO ? "met" : "NOT met"})`);
    console.log(`p99 commit → client (paced): ${fmt(p99, 1)} ms (target < ${TARGET_P99_MS} ms: ${p99 < TARGET_P99_MS ? "met" : "NOT met"}); in a burst: ${fmt(results.platformBurst.p99, 1)} ms`);
    if (beside) {
      const t = beside.transitions;
      const bp99 = beside.platformPaced.p99;
      console.log(`p99 commit → client (paced), transitions bench beside it: ${fmt(bp99, 1)} ms (target < ${TARGET_P99_MS} ms: ${bp99 < TARGET_P99_MS ? "met" : "NOT met"}); bare socket.io beside it: ${fmt(beside.barePaced.p99, 1)} ms (${fmt(bp99 / beside.barePaced.p99, 2)}×)`);
      console.log(`the transitions beside: ${fmt(t.perS)} transitions/s (median of ${t.rounds} one-second rounds; worst p99 ${fmt(t.p99, 1)} ms; ${t.errors} refused); its node's CPU ${t.cpuS === null ? "n/a" : `${fmt(t.cpuS, 2)} s`}${t.throughout ? "" : "; it stopped before the phases were done"}`);
    }
    const ms = ([p50, p99]: [number, number]) => `${fmt(p50, 1)} / ${fmt(p99, 1)}`;
    for (const name of ["platform-paced", ...(beside ? ["platform-paced-beside"] : [])]) {
      const st = await stagesOf(name);
      console.log(`${name}: outbox row → relay's batch ${ms(st.relay)} ms, → consumer's transaction ${ms(st.consumer)} ms (p50 / p99); ${st.events} events in ${st.batches} relay batches`);
    }
    const st = gateway.sockets.stats;
    console.log(`inbox rows written: ${fmt(inbox)}; connections cut off as too slow: ${st.cutOff}; pushes held back for an earlier one: ${st.heldBack}; load ${load()}`);
    console.log(NOISE_NOTE);
    writeSummary({
      where,
      clients: CLIENTS,
      notifications: COUNT,
      paceMs: PACE_MS,
      ...results,
      rounds,
      ratio,
      p99,
      beside,
      targetRatio: TARGET_RATIO,
      targetP99Ms: TARGET_P99_MS,
      met: ratio >= TARGET_RATIO && p99 < TARGET_P99_MS && (!beside || beside.platformPaced.p99 < TARGET_P99_MS),
    });
    await new Promise((r) => child.once("exit", r));
  } finally {
    await kernel.stop();
    await db.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--clients") {
  clients(process.argv[3], process.argv[4]).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
