/**
 * The helpdesk assistant (issue 23's quality figure): on the evaluation set of
 * test/fixtures/helpdesk/questions.json, asked through POST /api/helpdesk/ask as users would,
 *  - top-1 accuracy (the answer shown, not handed over, is an expected entry),
 *  - top-3 accuracy (an expected entry is the answer or one of the two alternatives),
 *  - hand-over rate on the questions the knowledge base cannot answer,
 * then the answer time with HELPDESK_USERS (100) users chatting at once for HELPDESK_MS (5000):
 * each reads an answer for HELPDESK_THINK_MS (1000) before asking the next question, so 100 users
 * put up to 100 questions a second on the node (a person in a chat asks every 10 s or more: this is
 * ten times that). p50 and p99, against the retrieval alone (the same questions to the Retriever in
 * this process: what the platform adds around it). HELPDESK_THINK_MS=0 makes it a closed loop (as
 * fast as answers come: the node's throughput, where latency is users ÷ throughput).
 *
 *   npx tsx test/bench/helpdesk.ts          embedded PostgreSQL (a fresh one in /tmp)
 *
 * Goals: top-3 ≥ 90 %, top-1 ≥ 75 %, hand-over ≥ 90 %, p99 < 200 ms. Exits 0 whatever the figures are.
 */
import fs from "node:fs";
import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { Retriever, Synonyms } from "../../plugins/helpdesk/retrieval";
import { NOISE_NOTE, ROOT, benchDatabase, envNumber, fmt, machine, pluginsDirOf, table, writeSummary } from "./lib";

const USERS = Math.round(envNumber("HELPDESK_USERS", 100));
const MEASURE_MS = envNumber("HELPDESK_MS", 5000);
const THINK_MS = Number(process.env.HELPDESK_THINK_MS ?? 1000);

interface Q {
  id: string;
  question: string;
  page?: string;
  user?: { tenantCode: string; roles: string[] };
  expect: { entries?: string[]; schedule?: { tenant: string; module: string }; handover?: boolean };
}

export interface HelpdeskSummary {
  questions: number;
  answerable: number;
  unanswerable: number;
  top1: number;
  top3: number;
  handover: number;
  users: number;
  thinkMs: number;
  perS: number;
  p50: number;
  p99: number;
  bareP99: number;
  asked: number;
  goals: { top1: number; top3: number; handover: number; p99Ms: number };
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

async function main(): Promise<void> {
  // the assistant rate-limits one address; the bench's users all come from this one
  process.env.HELPDESK_RATE_PER_MINUTE = "100000000";
  const set: Q[] = JSON.parse(fs.readFileSync(path.join(ROOT, "test/fixtures/helpdesk/questions.json"), "utf8")).questions;
  const db = await benchDatabase("bench_helpdesk");
  const pluginsDir = pluginsDirOf("helpdesk", ["helpdesk"]);
  let platform: TestPlatform | undefined;
  try {
    platform = await startTestPlatform({ databaseUrl: db.url, pluginsDir, demoAccounts: false, formsDir: path.join(ROOT, "forms") });
    const admin = await platform.token({ tenantCode: "440000", roles: ["platform-admin"] });
    const from = new Date(Date.now() + 60_000);
    await platform.api("/api/tenants/440000/modules/helpdesk", { method: "PUT", token: admin, body: { state: "live", from: from.toISOString() } });
    platform.kernel.clock.travelTo(new Date(from.getTime() + 60_000));
    const tokens = new Map<string, string>();
    const tokenOf = async (q: Q) => {
      if (!q.user) return undefined;
      const key = `${q.user.tenantCode}:${q.user.roles.join(",")}`;
      if (!tokens.has(key)) tokens.set(key, await platform!.token(q.user));
      return tokens.get(key);
    };
    const ask = async (q: Q) => platform!.api("/api/helpdesk/ask", { method: "POST", body: { question: q.question, page: q.page }, token: await tokenOf(q) });

    let answerable = 0, top1 = 0, top3 = 0, unanswerable = 0, handedOver = 0;
    for (const q of set) {
      const res = await ask(q);
      if (res.status !== 200) throw new Error(`${q.id}: ${res.status} ${JSON.stringify(res.body)}`);
      const ranked: string[] = [res.body.answer?.id, ...res.body.alternatives.map((a: { id: string }) => a.id)].filter(Boolean);
      if (q.expect.handover) {
        unanswerable++;
        if (res.body.handover) handedOver++;
        continue;
      }
      answerable++;
      const right = q.expect.schedule ? [`schedule:${q.expect.schedule.tenant}:${q.expect.schedule.module}`] : q.expect.entries!;
      if (!res.body.handover && right.includes(ranked[0])) top1++;
      if (ranked.some((id) => right.includes(id))) top3++;
    }

    // 100 users at once through the whole platform; they arrive spread over one think time
    const latencies: number[] = [];
    const until = Date.now() + MEASURE_MS;
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await Promise.all(
      Array.from({ length: USERS }, async (_, u) => {
        await pause((u / USERS) * THINK_MS);
        for (let i = u; Date.now() < until; i += USERS) {
          if (i !== u) await pause(THINK_MS);
          const q = set[i % set.length];
          const t0 = performance.now();
          const res = await ask(q);
          latencies.push(performance.now() - t0);
          if (res.status !== 200) throw new Error(`${q.id}: ${res.status}`);
        }
      }),
    );
    latencies.sort((a, b) => a - b);

    // the retrieval alone, on the knowledge base as the platform holds it
    const entries = (await platform.api("/api/helpdesk/faq")).body.items;
    const groups = (await platform.api("/api/helpdesk/synonyms")).body.groups;
    const bare = new Retriever(entries, new Synonyms(groups));
    const bareTimes: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (const q of set) {
        const t0 = performance.now();
        bare.search(q.question, { page: q.page }, 3);
        bareTimes.push(performance.now() - t0);
      }
    }
    bareTimes.sort((a, b) => a - b);

    const summary: HelpdeskSummary = {
      questions: set.length,
      answerable,
      unanswerable,
      top1: top1 / answerable,
      top3: top3 / answerable,
      handover: handedOver / unanswerable,
      users: USERS,
      thinkMs: THINK_MS,
      perS: latencies.length / (MEASURE_MS / 1000),
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      bareP99: pct(bareTimes, 99),
      asked: latencies.length,
      goals: { top1: 0.75, top3: 0.9, handover: 0.9, p99Ms: 200 },
    };
    console.error(`helpdesk: ${set.length} questions (${answerable} answerable, ${unanswerable} not), ${machine()}`);
    console.error(
      table(
        ["figure", "value", "goal"],
        [
          ["top-1 accuracy", `${fmt(summary.top1 * 100, 1)} %`, "≥ 75 %"],
          ["top-3 accuracy", `${fmt(summary.top3 * 100, 1)} %`, "≥ 90 %"],
          ["unanswerable handed over", `${fmt(summary.handover * 100, 1)} %`, "≥ 90 %"],
          [`questions answered, ${USERS} users, ${THINK_MS} ms reading each answer`, `${fmt(summary.perS, 0)}/s`, ""],
          [`answer time, ${USERS} users, p50`, `${fmt(summary.p50, 1)} ms`, ""],
          [`answer time, ${USERS} users, p99 (${fmt(latencies.length)} answers)`, `${fmt(summary.p99, 1)} ms`, "< 200 ms"],
          ["retrieval alone, p99", `${fmt(summary.bareP99, 2)} ms`, ""],
        ],
      ),
    );
    console.error(NOISE_NOTE);
    writeSummary(summary);
  } finally {
    await platform?.stop();
    await db.close();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
