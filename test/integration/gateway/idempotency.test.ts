import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";

/**
 * Every write accepts an Idempotency-Key (issue 16: "a retry returns the first result and never creates
 * a second"), kept by the kernel (core/broker/idempotency.ts) for actions that do not keep it in their
 * own transaction. The fixture's POST /api/probe/notes writes one row per call.
 */
const FIXTURE_PLUGINS = path.resolve(__dirname, "../../fixtures/plugins");

let platform: TestPlatform;
let clerk: string;
let other: string;

beforeAll(async () => {
  platform = await startTestPlatform({ pluginsDir: FIXTURE_PLUGINS });
  clerk = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300001" });
  other = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300002" });
});
afterAll(() => platform?.stop());

const write = (body: Record<string, unknown>, key?: string, token = clerk) =>
  platform.api("/api/probe/notes", { method: "POST", token, headers: { "accept-language": "en", ...(key ? { "idempotency-key": key } : {}) }, body });
const rows = (body: string) => platform.kernel.db.knex("probe_notes").where({ body }).count({ n: "*" }).first().then((r) => Number(r!.n));

test("the same key again answers the first result, status included, and writes nothing more", async () => {
  const first = await write({ body: "重发一" }, "retry-1");
  expect([first.status, first.body.body]).toEqual([201, "重发一"]);
  const again = await write({ body: "重发一" }, "retry-1");
  expect([again.status, again.body]).toEqual([201, first.body]);
  expect(await rows("重发一")).toBe(1);
  // without a key, the same request is another write
  expect((await write({ body: "重发一" })).status).toBe(201);
  expect(await rows("重发一")).toBe(2);
});

test("the key of one request sent with another is 409 (other-request), and nothing is written", async () => {
  expect((await write({ body: "原请求" }, "reuse-2")).status).toBe(201);
  const res = await write({ body: "另一请求" }, "reuse-2");
  expect(res.status).toBe(409);
  expect(res.body.error).toMatchObject({ code: "CONFLICT", details: { rule: "idempotency-key", reason: "other-request" } });
  expect(await rows("另一请求")).toBe(0);
});

test("a write that failed forgets its key: the corrected retry with the same key runs", async () => {
  const bad = await write({}, "fix-3");
  expect(bad.status).toBe(400);
  const good = await write({ body: "改正后" }, "fix-3");
  expect(good.status).toBe(201);
  expect(await rows("改正后")).toBe(1);
});

test("five copies sent at once: one write; each copy gets its answer or 409 in-progress, never a second row", async () => {
  const answers = await Promise.all(Array.from({ length: 5 }, () => write({ body: "并发", delayMs: 300 }, "burst-4")));
  const created = answers.filter((a) => a.status === 201);
  const waiting = answers.filter((a) => a.status === 409);
  expect(created.length + waiting.length).toBe(5);
  expect(created.length).toBeGreaterThanOrEqual(1);
  expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
  for (const w of waiting) expect(w.body.error.details).toEqual({ rule: "idempotency-key", reason: "in-progress" });
  expect(await rows("并发")).toBe(1);
  // once the first has answered, every copy gets its result
  const later = await write({ body: "并发", delayMs: 300 }, "burst-4");
  expect([later.status, later.body.id]).toEqual([201, created[0].body.id]);
});

test("keys are each account's own: another account's same key is its own write", async () => {
  const mine = await write({ body: "各自的" }, "shared-5");
  const theirs = await write({ body: "各自的" }, "shared-5", other);
  expect([mine.status, theirs.status]).toEqual([201, 201]);
  expect(theirs.body.id).not.toBe(mine.body.id);
  expect(await rows("各自的")).toBe(2);
});

test("a malformed key is 400 at /headers/idempotency-key and writes nothing", async () => {
  const res = await write({ body: "坏键" }, "has a space");
  expect(res.status).toBe(400);
  expect(res.body.error.details).toEqual([expect.objectContaining({ path: "/headers/idempotency-key", rule: "format" })]);
  expect(await rows("坏键")).toBe(0);
});

test("the kept answer is in core_idempotency_keys, by account and key, with what was asked", async () => {
  const res = await write({ body: "留存" }, "kept-6");
  const kept = await platform.kernel.db.knex("core_idempotency_keys").where({ key: "kept-6" }).first();
  expect(kept.request).toMatch(/^call probe\.note [0-9a-f]{64}$/);
  expect(kept.result).toEqual({ value: res.body, status: 201 });
});
