import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";

/**
 * A step whose transaction PostgreSQL chose as a deadlock's loser (CI saw one: a clarification's hook
 * and a deadline firing on the same tender locked the same rows in the other order) is run again: the
 * caller gets the step, not a 500 for a clash it had no part in. A real deadlock, made to order: the
 * test's own transaction holds the instance's row, the step then waits for it while holding the
 * instance's open timers, and the test's transaction asks for those.
 */
const FIXTURES = path.resolve(__dirname, "../../fixtures");

let platform: TestPlatform;
let buyer: string;

beforeAll(async () => {
  platform = await startTestPlatform({ pluginsDir: path.join(FIXTURES, "workflow-plugins"), formsDir: path.join(FIXTURES, "workflow-forms"), deadlineCheckMs: 3_600_000 });
  buyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
});
afterAll(() => platform?.stop());

const later = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

test("a transition that lost a deadlock to another transaction is run again and answered 200; the step is recorded once", async () => {
  const knex = platform.kernel.db.knex;
  const started = await platform.api("/api/workflows/etrading.tender/instances", { method: "POST", token: buyer, body: { data: { projectName: "死锁重试", budget: "1000.00", tenderPeriod: { endDate: later(20) } } } });
  expect(started.status).toBe(201);
  const id = started.body.id as string;
  expect((await platform.api(`/api/instances/${id}/transitions/publish`, { method: "POST", token: buyer, body: {} })).status).toBe(200);
  const steps = async () => Number((await knex("core_workflow_history").where({ instance_id: id }).count({ n: "*" }))[0].n);
  const before = await steps();

  // The other transaction: the instance's timers first, then (once the step waits on them) its row.
  let release!: () => void;
  const holding = new Promise<void>((r) => (release = r));
  const other = knex.transaction(async (trx) => {
    await trx("core_workflow_timers").where({ instance_id: id }).forUpdate();
    await holding;
    await trx("core_workflow_instances").where({ id }).forUpdate();
  });
  // the step: updates the instance's row, then the instance's timers (the amendment moves the deadline)
  const step = platform.api(`/api/instances/${id}/transitions/amend`, { method: "POST", token: buyer, body: { data: { reason: "更正截止时间", tenderPeriod: { endDate: later(25) } } } });
  // the step is waiting for the timers when one of its statements is seen waiting on a lock
  for (let i = 0; i < 100; i++) {
    const { rows } = await knex.raw("select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%core_workflow_timers%'");
    if (rows[0].n > 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  release();
  const [otherOutcome, answer] = await Promise.allSettled([other, step]);
  // PostgreSQL broke the cycle by failing one of the two: whichever it was, the step is done once
  const res = (answer as PromiseFulfilledResult<{ status: number; body: any }>).value; // eslint-disable-line @typescript-eslint/no-explicit-any
  expect([res.status, res.body?.error]).toEqual([200, undefined]);
  expect(await steps()).toBe(before + 1);
  // the deadlock really happened: one of the two was its loser (the other transaction, or the step's first attempt)
  // (the statistics reach pg_stat_database within a second or so of the transaction's end)
  const deadlocks = async () => Number((await knex.raw("select deadlocks from pg_stat_database where datname = current_database()")).rows[0].deadlocks);
  for (let i = 0; i < 40 && otherOutcome.status === "fulfilled" && (await deadlocks()) === 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(otherOutcome.status === "rejected" || (await deadlocks()) > 0).toBe(true);
});
