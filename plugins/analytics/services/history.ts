import { createHash } from "node:crypto";
import type { Knex } from "knex";
import type { Service } from "moleculer";
import { type PlatformContext, type PlatformServiceSchema, type PluginServiceThis, platformNow, tenantTree } from "../../../core/sdk";
import { readOcdsConfig } from "../ocds-config";
import { aggregateFact } from "./aggregates";
import { type Fact, type Method, ocidOf } from "./ocds-builder";
import { applyFact, PROJECTS } from "./ocds-store";

/**
 * The demo's history (demo.ts, README.md "Demo"): two years of plausible projects in every city,
 * so that the dashboards show trends, breaches and red flags on the first start. The facts are
 * made from a fixed seed (the same facts, the same ids, every time) and go through the handlers'
 * own functions (applyFact, aggregateFact), so the feed and the aggregates hold them as if the
 * modules had announced them.
 */

/** A small, seeded generator (mulberry32): the same history on every machine. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uuid (v4's shape) from a name: a demo project's ids are the same on every start. */
export function demoUuid(name: string): string {
  const h = createHash("sha256").update(`analytics-demo:${name}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${"89ab"[parseInt(h[16], 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const UNITS = ["教育局", "卫生健康局", "交通运输局", "城市管理和综合执法局"];
const SUPPLIERS = ["信息技术有限公司", "建设工程有限公司", "医疗器械有限公司", "物业服务有限公司", "办公设备有限公司", "环境科技有限公司"];
const CATEGORIES = ["A02", "A05", "B01", "C16"];
/** Methods as often as they occur in a province's year: open tender most, single source rarely. */
const METHODS: Array<[Method, number]> = [
  ["public-tender", 0.5],
  ["competitive-consultation", 0.15],
  ["inquiry", 0.1],
  ["competitive-negotiation", 0.05],
  ["single-source", 0.1],
  ["emall-direct", 0.1],
];
const NOTICED: Method[] = ["public-tender", "competitive-consultation", "inquiry", "competitive-negotiation"];

const DAY = 86_400_000;
const dayText = (t: number) => new Date(t + 8 * 3600_000).toISOString().slice(0, 10);
/** An event's time: the day at 10:00 in China. */
const at = (t: number) => new Date(`${dayText(t)}T10:00:00+08:00`).toISOString();
const yuan = (n: number) => (Math.round(n / 100) * 100).toFixed(2);

/** The facts of `perCity` projects a month in every city, for `months` months up to `now`; oldest first. */
export function historyFacts(now: Date, months: number, perCity = 1): Fact[] {
  const tree = tenantTree();
  const cities = tree.children(tree.root().code);
  const facts: Fact[] = [];
  const end = now.getTime();
  cities.forEach((city, ci) => {
    const cityName = city.name["zh-CN"];
    for (let m = months; m >= 1; m--) {
      for (let k = 0; k < perCity; k++) {
        const name = `${city.code}-${m}-${k}`;
        const r = random(ci * 100_003 + m * 101 + k);
        const projectId = demoUuid(name);
        const pick = <T>(list: T[]) => list[Math.floor(r() * list.length)];
        let u = r();
        const method = METHODS.find(([, w]) => (u -= w) < 0)?.[0] ?? "public-tender";
        // one unit of each city awards one supplier again and again: the repeated-winner flag's case
        const unitIndex = Math.floor(r() * UNITS.length);
        const unit = `${cityName}${UNITS[unitIndex]}`;
        const supplier = unitIndex === 0 && r() < 0.6 ? `${cityName}${SUPPLIERS[0].replace("有限公司", "")}集团有限公司` : `${cityName}${pick(SUPPLIERS)}`;
        const category = pick(CATEGORIES);
        const budget = 200_000 + r() * 4_800_000;
        const intention = end - m * 30 * DAY - Math.floor(r() * 20) * DAY;
        const planned = intention + 10 * DAY;
        const noticed = intention + 35 * DAY;
        const awarded = noticed + 30 * DAY;
        const signed = awarded + 7 * DAY;
        const stage = (s: Fact["stage"], t: number, data: Record<string, unknown>): void => {
          if (t > end) return; // not yet: the recent projects are under way
          facts.push({ stage: s, projectId, instanceId: demoUuid(`${name}-${s}`), version: 1, tenantCode: city.code, at: at(t), data: { projectId, ...data } });
        };
        const title = `${unit}${category === "C16" ? "物业管理服务" : category === "B01" ? "维修改造工程" : "设备采购"}（${dayText(intention).slice(0, 7)}）`;
        stage("planning", intention, { projectName: title, purchaserName: unit, budget: yuan(budget), expectedMonth: dayText(planned).slice(0, 7), publishedAt: at(intention) });
        stage("plan", planned, { projectName: title, purchaserName: unit, method, total: yuan(budget), category });
        if (NOTICED.includes(method)) {
          // now and then a bidding period shorter than the law allows: the short-period flag's case
          const period = r() < 0.04 ? 8 : method === "public-tender" ? 21 : 12;
          stage("tender", noticed, { title, purchaserName: unit, method, maxPrice: yuan(budget), publishedOn: dayText(noticed), docsUntil: dayText(noticed + 5 * DAY), bidDeadline: dayText(noticed + period * DAY), category });
        }
        const amount = budget * (0.85 + r() * 0.13);
        const bidders = NOTICED.includes(method) ? (r() < 0.08 ? 1 : 3 + Math.floor(r() * 6)) : 1;
        stage("award", awarded, { method, purchaserName: unit, supplierName: supplier, amount: yuan(amount), awardDate: dayText(awarded), bidders, supplierSme: r() < 0.4, category });
        // a contract above its award now and then; most published within 2 working days, some late
        const contracted = r() < 0.04 ? amount * 1.12 : amount;
        const filed = signed + (r() < 0.1 ? 6 : 1) * DAY;
        stage("contract", signed, { purchaserName: unit, supplierName: supplier, amount: yuan(contracted), signedOn: dayText(signed), filedOn: dayText(filed), startDate: dayText(signed + 3 * DAY), endDate: dayText(signed + 300 * DAY), category });
        const paid = signed + (20 + Math.floor(r() * 40)) * DAY;
        stage("payment", paid, { projectName: title, supplierName: supplier, amount: yuan(contracted), paidOn: dayText(paid), invoicedOn: dayText(paid - (5 + Math.floor(r() * 35)) * DAY), category });
      }
    }
  });
  return facts.sort((a, b) => a.at.localeCompare(b.at) || a.projectId.localeCompare(b.projectId));
}

/** Facts written per transaction: a few hundred statements, then a commit. */
const BATCH = 200;

/**
 * Writes the history once. A start that finds its newest project already written does nothing
 * (and a half-written history, after a crash, is finished: each fact is kept once either way).
 */
export async function writeHistory(db: Knex, prefix: string, now: Date, months: number): Promise<{ facts: number; projects: number; skipped: boolean }> {
  const facts = historyFacts(now, months);
  if (!facts.length) return { facts: 0, projects: 0, skipped: true };
  const last = facts[facts.length - 1];
  if (await db(PROJECTS).where({ ocid: ocidOf(prefix, last.projectId) }).first("ocid")) return { facts: 0, projects: 0, skipped: true };
  for (let i = 0; i < facts.length; i += BATCH) {
    await db.transaction(async (trx) => {
      for (const f of facts.slice(i, i + BATCH)) {
        await applyFact(trx, prefix, f);
        await aggregateFact(trx, f);
      }
    });
  }
  return { facts: facts.length, projects: new Set(facts.map((f) => f.projectId)).size, skipped: false };
}

type This = Service & PluginServiceThis;

export const historyService: PlatformServiceSchema = {
  name: "analytics.history",
  actions: {
    // The demo's (demo.ts), as the platform's administrator: not a route, nothing for anyone else.
    seed: {
      kind: "create",
      permission: ["manage", "all"],
      async handler(this: This, ctx: PlatformContext<{ months?: number }>) {
        const months = Math.min(Math.max(Number(ctx.params.months) || 24, 1), 36);
        return writeHistory(this.db, readOcdsConfig().ocidPrefix, platformNow(), months);
      },
    },
  },
};
