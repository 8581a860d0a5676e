import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import type { Reply } from "../../support/http";

/**
 * A client that lost the answer to a write (a timeout, a node killed mid-call, a dropped
 * connection) sends it again with the same Idempotency-Key and gets the first result: never a
 * second instance, never a 409 for the transition it already took (issue 16; issue 13's retries).
 */
const FIXTURES = path.resolve(__dirname, "../../fixtures");

let platform: TestPlatform;
let buyer: string;
let colleague: string;

beforeAll(async () => {
  platform = await startTestPlatform({ pluginsDir: path.join(FIXTURES, "workflow-plugins"), formsDir: path.join(FIXTURES, "workflow-forms"), deadlineCheckMs: 3_600_000 });
  buyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
  colleague = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
});

afterAll(() => platform?.stop());

const notice = (projectName: string) => ({ projectName, budget: "1000.00", tenderPeriod: { endDate: new Date(Date.now() + 20 * 86_400_000).toISOString() } });
const start = (projectName: string, key?: string, token = buyer): Promise<Reply> =>
  platform.api("/api/workflows/etrading.tender/instances", { method: "POST", token, headers: { "accept-language": "en", ...(key ? { "idempotency-key": key } : {}) }, body: { data: notice(projectName) } });
const stored = async (projectName: string) =>
  Number((await platform.kernel.db.knex("core_workflow_instances").whereRaw("data->>'projectName' = ?", [projectName]).count({ n: "*" }))[0].n);

test("a start sent again with the same Idempotency-Key answers the first instance and creates no second", async () => {
  const first = await start("重试不应重复", "start-1");
  expect(first.status).toBe(201);
  const again = await start("重试不应重复", "start-1");
  expect(again.status).toBe(201);
  expect(again.body).toEqual(first.body);
  expect(await stored("重试不应重复")).toBe(1);
  // without a key, or with another one, it is a new request
  expect((await start("重试不应重复", "start-2")).body.id).not.toBe(first.body.id);
  expect(await stored("重试不应重复")).toBe(2);
});

test("the same key sent five times at once: one instance, five answers naming it", async () => {
  const answers = await Promise.all(Array.from({ length: 5 }, () => start("并发重试", "burst-1")));
  expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
  expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
  expect(await stored("并发重试")).toBe(1);
});

test("a transition retried with its key answers the first result instead of 409; a key is the caller's own", async () => {
  const { body } = await start("重试流转", "tr-start");
  const publish = (key: string, token = buyer) =>
    platform.api(`/api/instances/${body.id}/transitions/publish`, { method: "POST", token, headers: { "accept-language": "en", "idempotency-key": key }, body: {} });
  const first = await publish("tr-1");
  expect(first.status).toBe(200);
  const again = await publish("tr-1");
  expect(again.status).toBe(200);
  expect(again.body).toEqual(first.body);
  const history = await platform.kernel.db.knex("core_workflow_history").where({ instance_id: body.id });
  expect(history.map((h: { transition: string }) => h.transition).sort()).toEqual(["$start", "publish"]);
  // another account's same key is its own: here the step was taken already, so 409
  expect((await publish("tr-1", colleague)).status).toBe(409);
});

test("a key used for another request is refused (409), and a malformed key is a 400, with nothing written", async () => {
  await start("键已用过", "reuse-1");
  const other = await platform.api("/api/workflows/etrading.tender/instances", { method: "POST", token: buyer, headers: { "accept-language": "en", "idempotency-key": "reuse-1" }, body: { data: notice("另一请求") } });
  // same route and workflow, other data: still the first request's key, so its result
  expect(other.status).toBe(201);
  expect(await stored("另一请求")).toBe(0);
  const { body } = await start("键用于流转", "reuse-2");
  const misuse = await platform.api(`/api/instances/${body.id}/transitions/publish`, { method: "POST", token: buyer, headers: { "accept-language": "en", "idempotency-key": "reuse-1" }, body: {} });
  expect(misuse.status).toBe(409);
  expect(misuse.body.error).toMatchObject({ code: "CONFLICT", details: { rule: "idempotency-key" } });
  const bad = await start("坏键", "x".repeat(201));
  expect(bad.status).toBe(400);
  expect(bad.body.error.details).toEqual([expect.objectContaining({ path: "/headers/idempotency-key", rule: "format" })]);
  expect(await stored("坏键")).toBe(0);
});
