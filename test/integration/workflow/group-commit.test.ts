import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import type { Reply } from "../../support/http";

/**
 * Group commit (issue 16): hook-free transitions that arrive while earlier ones are being written
 * share one transaction. Through the HTTP API, as callers at a deadline would send them: every
 * step is written whole (instance, history, deadline timer, outbox, audit), steps on one instance
 * still exclude each other by its version, and one step that cannot be written does not take the
 * others of its group down with it. Rows written by one transaction share its xmin: fewer distinct
 * xmins than steps is the proof that steps were grouped.
 */
const FIXTURES = path.resolve(__dirname, "../../fixtures");

let platform: TestPlatform;
let buyer: string;

beforeAll(async () => {
  platform = await startTestPlatform({ pluginsDir: path.join(FIXTURES, "workflow-plugins"), formsDir: path.join(FIXTURES, "workflow-forms"), deadlineCheckMs: 3_600_000 });
  buyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
});
afterAll(() => platform?.stop());

const later = (days: number, minutes = 0) => new Date(Date.now() + days * 86_400_000 + minutes * 60_000).toISOString();
const knex = () => platform.kernel.db.knex;

async function published(n: number, name: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const started = await platform.api("/api/workflows/etrading.tender/instances", { method: "POST", token: buyer, body: { data: { projectName: `${name}${i}`, budget: "1000.00", tenderPeriod: { endDate: later(20) } } } });
    expect(started.status).toBe(201);
    expect((await platform.api(`/api/instances/${started.body.id}/transitions/publish`, { method: "POST", token: buyer, body: {} })).status).toBe(200);
    ids.push(started.body.id as string);
  }
  return ids;
}

const amend = (id: string, endDate: string, headers: Record<string, string> = {}): Promise<Reply> =>
  platform.api(`/api/instances/${id}/transitions/amend`, { method: "POST", token: buyer, headers: { "accept-language": "en", ...headers }, body: { data: { reason: "集中更正", tenderPeriod: { endDate } } } });

test("40 amendments at once: each written whole, in fewer transactions than steps", async () => {
  const ids = await published(40, "集中提交");
  const ends = ids.map((_, i) => later(25, i));
  const answers = await Promise.all(ids.map((id, i) => amend(id, ends[i])));
  expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
  answers.forEach((a, i) => expect(a.body).toMatchObject({ id: ids[i], state: "published", version: 3, data: { tenderPeriod: { endDate: ends[i] } } }));

  const history = await knex()("core_workflow_history").whereIn("instance_id", ids).where({ transition: "amend" }).select("instance_id", "seq", knex().raw("xmin::text as tx"));
  expect(history.map((h: { instance_id: string }) => h.instance_id).sort()).toEqual([...ids].sort());
  expect(history.every((h: { seq: number }) => h.seq === 3)).toBe(true);
  expect(new Set(history.map((h: { tx: string }) => h.tx)).size).toBeLessThan(ids.length);

  // each instance's one open deadline is the amended closing time; the published one was cancelled
  const open = await knex()("core_workflow_timers").whereIn("instance_id", ids).whereNull("cancelled_at").whereNull("fired_at").select("instance_id", "due_at");
  expect(open).toHaveLength(ids.length);
  for (const t of open as Array<{ instance_id: string; due_at: Date }>) expect(t.due_at.toISOString()).toBe(ends[ids.indexOf(t.instance_id)]);
  // the effect's event, once an instance, in the instance's stream
  const events = await knex()("core_outbox").whereIn("stream_key", ids).where({ event: "portal.publish" }).whereRaw("payload->>'transition' = 'amend'").select("stream_key");
  expect(events.map((e: { stream_key: string }) => e.stream_key).sort()).toEqual([...ids].sort());
  // and the audit entry, once a step
  const audit = await knex()("core_audit_log").where({ action: "workflow.transition.amend" }).whereIn("object", ids.map((id) => `etrading.tender/${id}`)).select("object", "after");
  expect(audit).toHaveLength(ids.length);
  expect(audit.every((a: { after: { version: number } }) => a.after.version === 3)).toBe(true);
});

test("two steps on one instance among many: one is written, the other answered 409 with the version it lost to", async () => {
  const ids = await published(20, "同实例并发");
  const twice = ids[7];
  const answers = await Promise.all([...ids.map((id) => amend(id, later(26))), amend(twice, later(27))]);
  expect(answers.slice(0, 20).filter((_, i) => i !== 7).map((a) => a.status)).toEqual(ids.slice(1).map(() => 200));
  const onTwice = [answers[7], answers[20]];
  expect(onTwice.map((a) => a.status).sort()).toEqual([200, 409]);
  expect(onTwice.find((a) => a.status === 409)!.body.error).toMatchObject({ details: expect.anything() });
  expect(JSON.stringify(onTwice.find((a) => a.status === 409)!.body)).toContain('"currentVersion":3');
  const steps = await knex()("core_workflow_history").where({ instance_id: twice, transition: "amend" });
  expect(steps).toHaveLength(1);
  expect((await knex()("core_workflow_instances").where({ id: twice }).first()).version).toBe(3);
});

test("a step its group cannot write (its key already used) fails alone: the rest of the group is written", async () => {
  const ids = await published(12, "组内失败");
  // one key for two different requests, sent at once: the second is refused as a reused key
  const answers = await Promise.all(ids.map((id, i) => amend(id, later(28), i === 3 || i === 8 ? { "idempotency-key": "group-shared-key" } : {})));
  const statuses = answers.map((a) => a.status);
  expect(statuses.filter((_, i) => i !== 3 && i !== 8)).toEqual(ids.slice(2).map(() => 200));
  expect([statuses[3], statuses[8]].sort()).toEqual([200, 409]);
  const refused = answers[statuses[3] === 409 ? 3 : 8];
  expect(refused.body.error.message).toMatch(/Idempotency-Key/);
  const refusedId = ids[statuses[3] === 409 ? 3 : 8];
  // the refused step left nothing; every other instance moved on once
  expect(await knex()("core_workflow_history").where({ instance_id: refusedId, transition: "amend" })).toHaveLength(0);
  expect((await knex()("core_workflow_instances").where({ id: refusedId }).first()).version).toBe(2);
  const moved = await knex()("core_workflow_history").whereIn("instance_id", ids).where({ transition: "amend" });
  expect(moved).toHaveLength(ids.length - 1);
});
