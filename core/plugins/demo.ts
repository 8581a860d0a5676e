import type { ServiceBroker } from "moleculer";
import type { Knex } from "knex";
import type { Clock } from "../tenancy/clock";
import type { Identity } from "../identity";
import type { AccountRow } from "../identity/accounts";
import type { DemoTools, LoadedPlugin, SessionUser } from "./types";

/**
 * Runs the plugins' demonstration data once per database: on the first start that imported the
 * demo accounts (the embedded defaults), in dependency order, before the gateway opens. A demo that
 * fails is reported and the platform starts anyway, without it; it is not tried again.
 */
export async function runDemos(o: { knex: Knex; broker: ServiceBroker; identity: Identity; clock: Clock; plugins: LoadedPlugin[]; log: (line: string) => void; fireDue: () => Promise<number> }): Promise<void> {
  const withDemo = o.plugins.filter((p) => p.manifest.demo);
  if (!withDemo.length) return;
  const claimed = await o.knex("core_settings").insert({ key: "demo.plugins-seeded", value: JSON.stringify(new Date().toISOString()) }).onConflict("key").ignore().returning("key");
  if (!claimed.length) return;
  const admin = await o.knex<AccountRow>("core_accounts").where({ privileged: true }).orderBy("created_at").first();
  const tools: DemoTools = {
    admin: admin?.username ?? "",
    as(username) {
      // the account is looked up once, at its first call
      let user: Promise<SessionUser> | undefined;
      const userOf = async () => {
        const row = await o.knex<AccountRow>("core_accounts").whereRaw("lower(username) = lower(?)", [username]).first();
        if (!row) throw new Error(`demo: no account ${username}`);
        return { ...o.identity.userOf(row, `demo:${row.id}`), mustChangePassword: false };
      };
      return async <T>(action: string, params: Record<string, unknown> = {}) => {
        user ??= userOf();
        return o.broker.call<T, Record<string, unknown>>(action, params, { meta: { user: await user } });
      };
    },
    travelTo: (at) => o.clock.travelTo(at),
    fireDueTimers: () => o.fireDue(),
    log: o.log,
  };
  try {
    for (const p of withDemo) {
      const started = Date.now();
      try {
        await p.manifest.demo!(tools);
        o.log(`[demo] ${p.manifest.name}: demonstration data in place (${Date.now() - started} ms)`);
      } catch (err) {
        o.log(`[demo] ${p.manifest.name}: demonstration data not complete: ${(err as Error).message}`);
      }
    }
  } finally {
    o.clock.reset();
  }
}
