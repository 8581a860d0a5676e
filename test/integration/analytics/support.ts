import fs from "node:fs";
import { enqueue } from "../../../core/events/outbox";
import { poll } from "../../support/http";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

export const CONSUMER = "analytics.ocds";

/**
 * A platform with the plugins the demo's projects go through and the analytics: other plugins'
 * work in progress cannot stop these tests.
 */
export async function startAnalyticsPlatform(opts: { demo?: boolean; plugins?: string[] } = {}): Promise<TestPlatform> {
  const plugins = opts.plugins ?? (opts.demo ? ["registries", "supervision", "etrading", "portal", "analytics"] : ["analytics"]);
  const pluginsDir = linkPlugins(plugins, "analytics-plugins");
  try {
    const platform = await startTestPlatform({ pluginsDir, demoAccounts: !!opts.demo });
    return {
      ...platform,
      async stop() {
        try {
          await platform.stop();
        } finally {
          fs.rmSync(pluginsDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    fs.rmSync(pluginsDir, { recursive: true, force: true });
    throw err;
  }
}

/** Writes `analytics.fact` to the outbox as a workflow's emit does, and waits until the feed has handled it. */
export async function announceFact(platform: TestPlatform, payload: { instanceId: string; [field: string]: unknown }): Promise<string> {
  const knex = platform.kernel.db.knex;
  const { eventId } = await knex.transaction((trx) => enqueue(trx, { event: "analytics.fact", payload, key: payload.instanceId }));
  await poll(`analytics receipt of ${eventId}`, () => knex("core_event_receipts").where({ consumer: CONSUMER, event_id: eventId }).first(), (row) => !!row);
  return eventId;
}

/** GET with status, headers and the JSON body. */
export async function get(platform: TestPlatform, url: string, headers: Record<string, string> = {}) {
  const res = await fetch(platform.baseUrl + url, { headers, signal: AbortSignal.timeout(30_000) });
  const type = res.headers.get("content-type") ?? "";
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const body: any = type.includes("json") ? await res.json() : Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body };
}
