import { usccCheckChar } from "../../../core/forms/formats";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";

/**
 * A hook's calls to other services are made before the step's transaction opens (issue 13: a call
 * to a dead or slow node made inside it held a pool connection and the project's row lock until it
 * timed out, and the gateway's pool ran dry). The supervision plugin's hooks are the real ones:
 * the intention's start asks the purchasers registry for the unit's name.
 */

let platform: TestPlatform;
let buyer: string;
/** For each registry call a hook made: how many connections of this database were inside a transaction then. */
const seen: Array<{ action: string; inTransaction: number }> = [];

beforeAll(async () => {
  // No deadline or outbox poll runs during the test: they open short transactions of their own.
  platform = await startTestPlatform({ deadlineCheckMs: 3_600_000, outboxPollMs: 3_600_000 });
  const admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
  const first17 = "11441300007208521";
  const unit = { name: "惠州市交通运输局", budgetCode: "441300401", tenantCode: "441300", unitType: "government-agency", creditCode: first17 + usccCheckChar(first17) };
  expect((await platform.api("/api/registries/purchasers", { method: "POST", token: admin, body: unit })).status).toBe(201);
  buyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: unit.budgetCode });

  // Every call a handler makes goes through broker.call: look at the database as each registry call leaves.
  const broker = platform.kernel.broker;
  const knex = platform.kernel.db.knex;
  const call = broker.call.bind(broker);
  (broker as { call: unknown }).call = (action: unknown, params: unknown, opts: unknown) => {
    // (moleculer-web calls with an endpoint it has already chosen, not a name)
    if (typeof action !== "string" || !action.startsWith("registries.")) return call(action as never, params as never, opts as never);
    return fewestInTransaction(knex)
      .then((n) => seen.push({ action, inTransaction: n }))
      .then(() => call(action, params as never, opts as never));
  };
});

afterAll(() => platform?.stop());

const IN_TRANSACTION = "select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'";

/**
 * The fewest connections inside a transaction in five looks 10 ms apart, while the hook waits for its
 * call: a step's transaction opened before the call stays open through all five (the call has not been
 * made yet), while the platform's own short ones (the audit sealer every 100 ms, an event's consumer)
 * come and go between them (CI on Debian's PostgreSQL caught one in a single look).
 */
async function fewestInTransaction(knex: TestPlatform["kernel"]["db"]["knex"]): Promise<number> {
  let fewest = Infinity;
  for (let i = 0; i < 5 && fewest > 0; i++) {
    if (i) await new Promise((res) => setTimeout(res, 10));
    fewest = Math.min(fewest, ((await knex.raw(IN_TRANSACTION)) as { rows: Array<{ n: number }> }).rows[0].n);
  }
  return fewest;
}

/** Until no connection of this database is inside a transaction (5 s at most). */
async function quiet(): Promise<void> {
  const knex = platform.kernel.db.knex;
  for (const until = Date.now() + 5_000; Date.now() < until; ) {
    const r = await knex.raw(IN_TRANSACTION);
    if (r.rows[0].n === 0) return;
    await new Promise((res) => setTimeout(res, 20));
  }
}

test("the intention's start asks the registry for the unit's name with no transaction open, then stores it", async () => {
  // The registration's own event is still being handled in the background (a consumer's short
  // transaction): only the step's transaction may count, so start from a quiet database.
  await quiet();
  const r = await platform.api("/api/workflows/supervision.intention/instances", {
    method: "POST",
    token: buyer,
    body: { data: { projectName: "惠州市某路段照明采购", summary: "LED路灯", budget: "500000.00", expectedMonth: "2030-02" } },
  });
  expect(r.status).toBe(201);
  expect(r.body.data.purchaserName).toBe("惠州市交通运输局");
  expect(seen).toEqual([{ action: "registries.purchasers.byCode", inTransaction: 0 }]);
  const project = await platform.kernel.db.knex("supervision_projects").where({ id: r.body.id }).first();
  expect(project).toMatchObject({ unit_name: "惠州市交通运输局", owner_unit: "441300401" });
});
