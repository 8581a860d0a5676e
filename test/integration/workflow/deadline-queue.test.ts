import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { poll } from "../../support/http";

/**
 * Workflow deadlines on the job queue: a timer is a job that starts when it is due, so it fires on
 * time with the sweep (DEADLINE_CHECK_MS) an hour away.
 */
const FIXTURES = path.resolve(__dirname, "../../fixtures");
jest.setTimeout(60_000);

let platform: TestPlatform;
let buyer: string;

beforeAll(async () => {
  platform = await startTestPlatform({ pluginsDir: path.join(FIXTURES, "workflow-plugins"), formsDir: path.join(FIXTURES, "workflow-forms"), deadlineCheckMs: 3_600_000 });
  buyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
});

afterAll(async () => {
  await platform?.stop();
});

test("a deadline fires through its job when it falls, once, with no sweep running", async () => {
  const endDate = new Date(Date.now() + 2000).toISOString();
  const created = await platform.api("/api/workflows/etrading.tender/instances", {
    method: "POST",
    token: buyer,
    body: { data: { projectName: "队列截止测试项目", budget: "1000.00", tenderPeriod: { endDate } } },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  expect((await platform.api(`/api/instances/${id}/transitions/publish`, { method: "POST", token: buyer, body: {} })).status).toBe(200);

  const opened = await poll("the tender opened", () => platform.api(`/api/instances/${id}`, { token: buyer }), (r) => r.body.state === "opening", 15_000);
  expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(endDate));
  expect(opened.body.state).toBe("opening");
  const knex = platform.kernel.db.knex;
  const timers = await knex("core_workflow_timers").where({ instance_id: id }).whereNotNull("fired_at");
  expect(timers).toEqual([expect.objectContaining({ outcome: "fired", fired_by: platform.kernel.broker.nodeID })]);
  expect(await knex("core_workflow_history").where({ instance_id: id, transition: "open" })).toHaveLength(1);
});
