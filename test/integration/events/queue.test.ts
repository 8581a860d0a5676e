import path from "node:path";
import { enqueue } from "../../../core/events/outbox";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import type { FlakyOrder } from "../../fixtures/queue-plugins/flaky/plugin";
import { until } from "./harness";

/**
 * Durable subscribers (onceHandler) in a platform node: their events come through the job queue
 * (pg-boss), retried with back-off, and after the last try they are dead letters an administrator
 * lists and replays (fixture: test/fixtures/queue-plugins/flaky, whose events script its failures).
 */
jest.setTimeout(120_000);

let platform: TestPlatform;
let admin: string;

beforeAll(async () => {
  platform = await startTestPlatform({
    pluginsDir: path.resolve(__dirname, "../../fixtures/queue-plugins"),
    eventRetryLimit: 2,
    eventRetryDelaySeconds: 1,
  });
  admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
});

afterAll(async () => {
  await platform?.stop();
});

const knex = () => platform.kernel.db.knex;

async function place(order: FlakyOrder): Promise<string> {
  return knex().transaction(async (trx) => (await enqueue(trx, { event: "flaky.order.placed", payload: order, key: order.ref })).eventId);
}

const count = async (table: string, eventId: string) => Number((await knex()(table).where({ event_id: eventId }).count<{ n: string }[]>("* as n"))[0].n);

test("a handler that fails twice and then succeeds handles the event exactly once, on its third try", async () => {
  const eventId = await place({ ref: "Q-TWICE", failTimes: 2 });
  await until("the third try succeeded", async () => (await count("flaky_effects", eventId)) > 0, 30_000);
  // Nothing comes after: the job is complete, and no further try or effect appears.
  await new Promise((r) => setTimeout(r, 2500));
  expect(await count("flaky_effects", eventId)).toBe(1);
  expect(await count("flaky_tries", eventId)).toBe(3);
  expect(await knex()("core_event_receipts").where({ consumer: "flaky", event_id: eventId })).toHaveLength(1);
  expect(await knex()("core_dead_letters").where({ event_id: eventId })).toHaveLength(0);
});

test("a handler that always fails leaves a dead letter with its error; an administrator sees it and replays it after the fix, once", async () => {
  const eventId = await place({ ref: "Q-BROKEN", failUntilFixed: true });
  await until("the dead letter", async () => (await knex()("core_dead_letters").where({ event_id: eventId })).length > 0, 30_000);
  expect(await count("flaky_tries", eventId)).toBe(3);
  expect(await count("flaky_effects", eventId)).toBe(0);

  const listed = await platform.api("/api/events/dead-letters", { token: admin });
  expect(listed.status).toBe(200);
  const letter = listed.body.items.find((d: { eventId: string }) => d.eventId === eventId);
  expect(letter).toMatchObject({
    consumer: "flaky",
    event: "flaky.order.placed",
    key: "Q-BROKEN",
    attempts: 3,
    error: "flaky: Q-BROKEN is not fixed yet",
    payload: { ref: "Q-BROKEN", failUntilFixed: true },
    replayedAt: null,
  });

  // Only a platform administrator: a tenant administrator is refused, in the envelope.
  const tenantAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
  const refused = await platform.api("/api/events/dead-letters", { token: tenantAdmin, headers: { "accept-language": "en" } });
  expect(refused.status).toBe(403);
  expect(refused.body.error.code).toBe("FORBIDDEN");
  const replayRefused = await platform.api(`/api/events/dead-letters/${letter.id}/replay`, { method: "POST", token: tenantAdmin, body: {} });
  expect(replayRefused.status).toBe(403);
  const badState = await platform.api("/api/events/dead-letters?state=gone", { token: admin });
  expect(badState.status).toBe(400);
  expect(badState.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: [expect.objectContaining({ path: "state" })] });

  await knex()("flaky_fixed").insert({ ref: "Q-BROKEN" });
  const replayed = await platform.api(`/api/events/dead-letters/${letter.id}/replay`, { method: "POST", token: admin, body: {} });
  expect(replayed.status).toBe(200);
  expect(replayed.body).toMatchObject({ id: letter.id, eventId, replayedAt: expect.any(String) });
  await until("the replayed event handled", async () => (await count("flaky_effects", eventId)) > 0, 30_000);
  await new Promise((r) => setTimeout(r, 1500));
  expect(await count("flaky_effects", eventId)).toBe(1);

  // Replayed once only; the list of open letters no longer has it; the replay is in the audit log.
  const again = await platform.api(`/api/events/dead-letters/${letter.id}/replay`, { method: "POST", token: admin, body: {}, headers: { "accept-language": "en" } });
  expect(again.status).toBe(409);
  expect(again.body.error).toMatchObject({ code: "CONFLICT", message: "This dead letter has already been replayed" });
  const open = await platform.api("/api/events/dead-letters", { token: admin });
  expect(open.body.items.some((d: { eventId: string }) => d.eventId === eventId)).toBe(false);
  const all = await platform.api("/api/events/dead-letters?state=replayed", { token: admin });
  expect(all.body.items.find((d: { eventId: string }) => d.eventId === eventId)).toMatchObject({ replayedBy: expect.objectContaining({ username: expect.any(String) }) });
  const audit = await knex()("core_audit_log").where({ action: "events.dead-letter.replay", object: `dead-letter:${letter.id}` });
  expect(audit).toHaveLength(1);

  const missing = await platform.api("/api/events/dead-letters/999999/replay", { method: "POST", token: admin, body: {} });
  expect(missing.status).toBe(404);
  expect(missing.body.error.code).toBe("NOT_FOUND");
});
