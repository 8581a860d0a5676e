import type { DemoTools } from "../../core/sdk";

/** How far back the demo's history goes by default: two years, so that a year compares with the one before. */
export const DEMO_MONTHS = 24;

/** ANALYTICS_DEMO_MONTHS: 0 (none) to 36; the test suites set 0 unless they read the history. */
export function demoMonths(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ANALYTICS_DEMO_MONTHS?.trim();
  if (!raw) return DEMO_MONTHS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 36) throw new Error(`ANALYTICS_DEMO_MONTHS must be a whole number from 0 to 36; got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * Two years of projects in every city (services/history.ts), written on the first start as the
 * platform's administrator, so that the dashboards, the open-data page and the red flags have
 * trends to show. A later start finds them and writes nothing.
 */
export async function analyticsDemo(d: DemoTools): Promise<void> {
  const months = demoMonths();
  if (!months) return;
  const started = Date.now();
  const r = await d.as(d.admin)<{ facts: number; projects: number; skipped: boolean }>("analytics.history.seed", { months });
  if (!r.skipped) d.log(`analytics: ${r.projects} projects of ${months} months in every city (${r.facts} facts) in ${Date.now() - started} ms`);
}
