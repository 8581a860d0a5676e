import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";

/**
 * A request the gateway answered 503 (its REQUEST_TIMEOUT_MS ran out) must leave nothing behind:
 * the client is told it failed and may retry, and a step that committed after the answer would then
 * be done twice (issue 16: "answered 503 after the gateway's timeout and committed anyway").
 */
const FIXTURES = path.resolve(__dirname, "../../fixtures");
const REQUEST_TIMEOUT_MS = 1000;

let platform: TestPlatform;
let buyer: string;

beforeAll(async () => {
  platform = await startTestPlatform({ pluginsDir: path.join(FIXTURES, "workflow-plugins"), formsDir: path.join(FIXTURES, "workflow-forms"), requestTimeoutMs: REQUEST_TIMEOUT_MS, deadlineCheckMs: 3_600_000 });
  buyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
});

afterAll(() => platform?.stop());

const notice = (projectName: string) => ({ projectName, budget: "1000.00", tenderPeriod: { endDate: new Date(Date.now() + 20 * 86_400_000).toISOString() } });
const stored = async (projectName: string) =>
  Number((await platform.kernel.db.knex("core_workflow_instances").whereRaw("data->>'projectName' = ?", [projectName]).count({ n: "*" }))[0].n);

test("a start held up past the request's timeout is answered 503 and rolled back, not committed after the answer", async () => {
  const knex = platform.kernel.db.knex;
  // Another writer holds the instances table (as a long migration or a lock queue would) for twice the timeout.
  const holder = knex.transaction(async (trx) => {
    await trx.raw("lock table core_workflow_instances in share mode");
    await new Promise((r) => setTimeout(r, 2 * REQUEST_TIMEOUT_MS));
  });
  await new Promise((r) => setTimeout(r, 100));
  const r = await platform.api("/api/workflows/etrading.tender/instances", { method: "POST", token: buyer, headers: { "accept-language": "en" }, body: { data: notice("超时不应提交") } });
  expect(r.status).toBe(503);
  await holder;
  // The step went on once the lock was released; give it the time to commit if it were going to.
  await new Promise((r) => setTimeout(r, 1000));
  expect(await stored("超时不应提交")).toBe(0);
  expect(r.body.error).toMatchObject({ code: "UNAVAILABLE", details: { reason: "timeout", service: "workflows" } });

  // Unhindered, the same start is committed and answered.
  const ok = await platform.api("/api/workflows/etrading.tender/instances", { method: "POST", token: buyer, body: { data: notice("按时提交") } });
  expect(ok.status).toBe(201);
  expect(await stored("按时提交")).toBe(1);
});
