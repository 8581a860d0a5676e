/**
 * `npm run bench -- --only evaluation`: issue 19's figures. The drawing: 7 experts out of a registry
 * of 20,000 admitted experts, with conflicts excluded (ties with the bidders and staff of the
 * purchaser and the agency), unavailable days and busy experts left out, then the HMAC-SHA256
 * Fisher–Yates order over the eligible list (plugins/experts/services/drawings.ts `eligibility`,
 * services/draw.ts `drawingOrder`): what the draw step does inside its transaction. Goal: p99 < 200 ms.
 * The scoring: a committee of 7 scoring 30 bids on 40 criteria at once, each save one
 * `PUT /api/evaluation/evaluations/:id/scores` through the gateway (plugins/evaluation), its p99
 * against a bare knex upsert of the same row. Goal: p99 < 100 ms.
 *
 *   EVAL_EXPERTS   registry size (20000; --smoke 2000)
 *   EVAL_DRAWS     draws measured (200; --smoke 20)
 *   EVAL_BIDS, EVAL_CRITERIA   the scoring's size (30 × 40; --smoke 5 × 4), 7 members
 */
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { startKernel } from "../../core/kernel";
import { readConfig } from "../../core/config";
import { usernameKey } from "../../core/identity/accounts";
import { eligibility } from "../../plugins/experts/services/drawings";
import { drawingOrder } from "../../plugins/experts/services/draw";
import { NOISE_NOTE, ROOT, benchDatabase, envNumber, fmt, load, machine, pluginsDirOf, table, writeSummary } from "./lib";

const SMOKE = process.argv.includes("--smoke");
const EXPERTS = Math.round(envNumber("EVAL_EXPERTS", SMOKE ? 2000 : 20_000));
const DRAWS = Math.round(envNumber("EVAL_DRAWS", SMOKE ? 20 : 200));
const GOAL_MS = 200;
const BIDS = Math.round(envNumber("EVAL_BIDS", SMOKE ? 5 : 30));
const CRITERIA = Math.round(envNumber("EVAL_CRITERIA", SMOKE ? 4 : 40));
const MEMBERS = 7;
const SAVE_GOAL_MS = 100;
const LEAVES = ["A0101", "A0102", "A0103", "A0201", "A0202", "A0301", "A0302", "A0401", "A0402", "A05", "B01", "B0201", "B0202", "B03", "B04", "C0101", "C0102", "C02", "C03", "C04", "C05", "D01", "D02", "D03"];
const REGIONS = ["441300", "441302", "441303", "441322", "441323", "441324"];

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const pick = <T>(xs: readonly T[], i: number) => xs[i % xs.length];
const company = (i: number) => `91441300MA${String(i).padStart(8, "0")}`;

async function main(): Promise<void> {
  const db = await benchDatabase("bench_evaluation");
  const pluginsDir = pluginsDirOf("evaluation", ["registries", "supervision", "etrading", "experts", "evaluation"]);
  const kernel = await startKernel(
    { ...readConfig({ LOG_LEVEL: "warn" }), port: 0, host: "127.0.0.1", databaseUrl: db.url, pluginsDir, formsDir: path.join(ROOT, "forms"), initAdminPassword: "Bench-Keeper-Lantern-2026", demoAccounts: false, deadlineCheckMs: 3_600_000 },
    () => {},
  );
  try {
    const knex = kernel.db.knex;
    const now = new Date();
    // the registry: every expert admitted, two or three specialities, a region of Huizhou; one in ten
    // declares a tie with one of 2,000 companies, one in twenty is away on the slot's day
    const ids: string[] = [];
    for (let start = 0; start < EXPERTS; start += 2000) {
      const rows = [];
      for (let i = start; i < Math.min(EXPERTS, start + 2000); i++) {
        const id = randomUUID();
        ids.push(id);
        rows.push({
          id, instance_id: randomUUID(), account_id: randomUUID(), tenant_code: "441300", name: `专家${i}`, phone: "13800138000", employer_name: `单位${i % 3000}`,
          employer_code: company(i % 3000), titles: JSON.stringify(["高级工程师"]), specialities: [pick(LEAVES, i), pick(LEAVES, i * 7 + 3), ...(i % 3 ? [] : [pick(LEAVES, i * 13 + 5)])],
          region: pick(REGIONS, i), availability: "any", status: "admitted", created_at: now, updated_at: now,
        });
      }
      await knex("experts_experts").insert(rows);
    }
    const slotDate = "2027-03-10";
    const ties = ids.filter((_, i) => i % 10 === 0).map((id, k) => ({ id: randomUUID(), expert_id: id, company_code: company(k % 2000), company_name: "某公司", kind: pick(["employment", "shareholding", "management"], k), since: "2024-01-01", until: null, declared_at: now }));
    for (let s = 0; s < ties.length; s += 2000) await knex("experts_ties").insert(ties.slice(s, s + 2000));
    const away = ids.filter((_, i) => i % 20 === 1).map((id) => ({ expert_id: id, day: slotDate }));
    for (let s = 0; s < away.length; s += 2000) await knex("experts_unavailable").insert(away.slice(s, s + 2000));
    await knex.raw("analyze");

    // a drawing: 7 experts of road lighting or transport (a branch), Huizhou and its districts, five bidders
    const ask = { specialities: ["A03", "B0201"], region: "441300", slotDate, slot: "am", bidders: [0, 1, 2, 3, 4].map(company), ownCodes: ["441300801"], ownNames: ["惠州市交通运输局"] };
    const draw = async () => {
      const { eligible, counts } = await eligibility(knex, ask);
      const order = drawingOrder(randomBytes(32).toString("hex"), randomBytes(32).toString("hex"), eligible);
      return { invited: order.slice(0, 7), counts };
    };
    const first = await draw();
    for (let i = 0; i < Math.min(10, DRAWS); i++) await draw(); // warm-up
    const latencies: number[] = [];
    for (let i = 0; i < DRAWS; i++) {
      const t0 = performance.now();
      await draw();
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(`evaluation: drawing 7 of ${fmt(EXPERTS)} experts (${fmt(first.counts.matching)} of the specialities and region, ${fmt(first.counts.eligible)} eligible; ${fmt(first.counts.conflictOfInterest)} tied to a bidder, ${fmt(first.counts.ownUnitAndAgencyStaff)} staff, ${fmt(first.counts.unavailable)} away), ${DRAWS} draws in turn`);
    console.log(`machine: ${machine()}; load ${load()}\n`);
    console.log(table(["figure", "p50 ms", "p99 ms", "goal"], [["drawing: eligibility with conflict exclusion + HMAC-SHA256 Fisher–Yates", fmt(p50, 1), fmt(p99, 1), `p99 < ${GOAL_MS} ms`]]));
    const scoring = await scoringFigures(kernel);
    console.log(`\nscoring: ${MEMBERS} members × ${BIDS} bids × ${CRITERIA} criteria = ${fmt(scoring.saves)} saves, the members at once, each save one request`);
    console.log(table(["figure", "p50 ms", "p99 ms", "goal"], [
      ["score save: PUT /api/evaluation/evaluations/:id/scores", fmt(scoring.platform.p50, 1), fmt(scoring.platform.p99, 1), `p99 < ${SAVE_GOAL_MS} ms`],
      ["bare knex upsert of the same row", fmt(scoring.bare.p50, 2), fmt(scoring.bare.p99, 2), ""],
    ]));
    console.log(`ratio p99 platform / bare: ${fmt(scoring.platform.p99 / scoring.bare.p99, 1)}`);
    console.log(`\n${NOISE_NOTE}`);
    writeSummary({ experts: EXPERTS, draws: DRAWS, eligible: first.counts.eligible, drawing: { p50, p99, target: GOAL_MS }, scoring: { ...scoring, members: MEMBERS, bids: BIDS, criteria: CRITERIA, target: SAVE_GOAL_MS } });
  } finally {
    await kernel.stop();
    await db.close();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  }
}

type Kernel = Awaited<ReturnType<typeof startKernel>>;

/** An evaluation in its scoring stage, as the qualification review leaves it, then every member saving every score at once. */
async function scoringFigures(kernel: Kernel) {
  const knex = kernel.db.knex;
  const now = new Date();
  const members: Array<{ id: string; token: string }> = [];
  for (let m = 0; m < MEMBERS; m++) {
    const username = `bench-expert-${m}`;
    const [row] = await knex("core_accounts").insert({ username, username_key: usernameKey(username), display_name: username, tenant_code: "441300", roles: ["expert"] }).returning("*");
    members.push({ id: row.id as string, token: (await kernel.identity.sessionFor(row)).token });
  }
  const id = randomUUID();
  const bids = Array.from({ length: BIDS }, (_, i) => ({ bidId: randomUUID(), supplierCode: company(i), supplierName: `供应商${i}`, price: `${400000 + i * 100}.00`, order: i + 1 }));
  const criteria = Array.from({ length: CRITERIA }, (_, i) => ({ id: `c${i}`, title: `评审因素${i}`, max: 70 / CRITERIA }));
  await knex("evaluation_evaluations").insert({
    id, tender_id: randomUUID(), tender_instance_id: randomUUID(), tenant_code: "441300", unit_code: "441300401", title: "基准评审", unit_name: "惠州市交通运输局", method: "comprehensive",
    category: "goods", price_weight: 30, sme_deduction: 0, criteria: JSON.stringify(criteria), members: members.map((m) => m.id), chair: members[0].id, bids: JSON.stringify(bids), status: "scoring", created_at: now, updated_at: now,
  });
  await knex("evaluation_qualifications").insert(bids.map((b) => ({ evaluation_id: id, bid_id: b.bidId, passed: true, sme: false, account_id: members[0].id, reviewed_at: now })));
  const gateway = kernel.broker.getLocalService("gateway") as unknown as { server: { address(): { port: number } } };
  const url = `http://127.0.0.1:${gateway.server.address().port}/api/evaluation/evaluations/${id}/scores`;
  const platform: number[] = [];
  await Promise.all(members.map(async (m, k) => {
    for (const b of bids) {
      for (const c of criteria) {
        const t0 = performance.now();
        const r = await fetch(url, { method: "PUT", headers: { authorization: `Bearer ${m.token}`, "content-type": "application/json" }, body: JSON.stringify({ scores: [{ bidId: b.bidId, criterion: c.id, score: Math.round(((k + 1) * c.max * 100) / 8) / 100 }] }) });
        await r.arrayBuffer();
        if (r.status !== 200) throw new Error(`save: ${r.status}`);
        platform.push(performance.now() - t0);
      }
    }
  }));
  const saved = await knex("evaluation_scores").where({ evaluation_id: id }).count<{ n: string }[]>("* as n");
  if (Number(saved[0].n) !== MEMBERS * BIDS * CRITERIA) throw new Error(`scores saved: ${saved[0].n}`);
  const bare: number[] = [];
  await Promise.all(members.map(async (m) => {
    for (const b of bids) {
      for (const c of criteria) {
        const t0 = performance.now();
        await knex("evaluation_scores").insert({ evaluation_id: id, member_id: m.id, bid_id: b.bidId, criterion: c.id, score: 1, saved_at: new Date() })
          .onConflict(["evaluation_id", "member_id", "bid_id", "criterion"]).merge(["score", "saved_at"]);
        bare.push(performance.now() - t0);
      }
    }
  }));
  platform.sort((a, b) => a - b);
  bare.sort((a, b) => a - b);
  return { saves: platform.length, platform: { p50: percentile(platform, 50), p99: percentile(platform, 99) }, bare: { p50: percentile(bare, 50), p99: percentile(bare, 99) } };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
