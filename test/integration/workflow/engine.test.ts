import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { poll, type Call } from "../../support/http";

/**
 * A procedure made of JSON alone (test/fixtures/workflow-forms/etrading: three forms and a
 * workflow; the plugin's manifest only names them), used through the generic API.
 */
const FIXTURES = path.resolve(__dirname, "../../fixtures");

describe("the workflow engine through the generic API", () => {
  let platform: TestPlatform;
  const tokens: Record<string, string> = {};
  const later = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
  const notice = (over: Record<string, unknown> = {}) => ({ projectName: "惠州市某路段绿化养护", budget: "1280000.50", tenderPeriod: { endDate: later(20) }, ...over });
  const call = (who: string, p: string, init: Call = {}) => platform.api(p, { ...init, token: tokens[who] });
  const start = (who = "buyer", data: unknown = notice()) => call(who, "/api/workflows/etrading.tender/instances", { method: "POST", body: { data } });
  const take = (who: string, id: string, name: string, body: Record<string, unknown> = {}) => call(who, `/api/instances/${id}/transitions/${name}`, { method: "POST", body });
  const count = async (table: string, where: Record<string, unknown> = {}) => Number((await platform.kernel.db.knex(table).where(where).count({ n: "*" }))[0].n);

  beforeAll(async () => {
    platform = await startTestPlatform({ pluginsDir: path.join(FIXTURES, "workflow-plugins"), formsDir: path.join(FIXTURES, "workflow-forms"), deadlineCheckMs: 60_000 });
    const users: Record<string, { roles: string[]; tenantCode: string; unitCode?: string }> = {
      buyer: { roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" },
      colleague: { roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" },
      otherBuyer: { roles: ["purchaser"], tenantCode: "441300", unitCode: "441300402" },
      agency: { roles: ["agency"], tenantCode: "441300", unitCode: "91441300MA00000001" },
      regulator: { roles: ["regulator"], tenantCode: "441300" },
      provinceRegulator: { roles: ["regulator"], tenantCode: "440000" },
      maomingRegulator: { roles: ["regulator"], tenantCode: "440900" },
      guangzhouBuyer: { roles: ["purchaser"], tenantCode: "440100", unitCode: "440100101" },
      supplier: { roles: ["supplier"], tenantCode: "441300", unitCode: "91441300MA00000002" },
    };
    for (const [who, u] of Object.entries(users)) tokens[who] = await platform.token(u);
    // A consumer elsewhere in the platform: what the outbox relay publishes after each commit.
    platform.kernel.broker.createService({
      name: "award-listener",
      events: {
        "etrading.tender.awarded"(ctx: { params: { eventId: string; key: string; data: { state: string } } }) {
          awarded.push(ctx.params);
        },
      },
    });
  });
  const awarded: Array<{ eventId: string; key: string; data: { state: string } }> = [];
  afterAll(() => platform.stop());
  afterEach(() => platform.kernel.clock.reset());

  test("GET /api/instances?actionable=1: where the caller can act now, each with its transitions; nothing for someone who cannot", async () => {
    const { body } = await start("buyer");
    const mine = await call("buyer", "/api/instances?actionable=1&pageSize=100");
    const item = (mine.body as { items: Array<{ id: string; actions: Array<{ name: string }> }> }).items.find((i) => i.id === body.id);
    expect(item?.actions.map((a) => a.name)).toContain("publish");
    // the regulator reads it (its region) but has nothing to do on a draft
    const regulator = await call("regulator", "/api/instances?actionable=1&pageSize=100");
    expect((regulator.body as { items: Array<{ id: string }> }).items.map((i) => i.id)).not.toContain(body.id);
    expect((await call("regulator", `/api/instances/${body.id}`)).status).toBe(200);
  });

  test("GET /api/instances?ids=: the named instances the caller may read, in one request; bad ids are a 400", async () => {
    const a = (await start("buyer")).body.id as string;
    const b = (await start("buyer")).body.id as string;
    const missing = "00000000-0000-4000-8000-000000000000";
    const ids = `ids=${[a, b, missing].join(",")}&pageSize=100`;
    const r = await call("buyer", `/api/instances?${ids}`);
    expect(r.status).toBe(200);
    expect((r.body.items as Array<{ id: string }>).map((i) => i.id).sort()).toEqual([a, b].sort());
    expect(r.body.total).toBe(2);
    // another unit, another region: the same ids answer nothing (not a 403 that would tell they exist)
    expect((await call("otherBuyer", `/api/instances?${ids}`)).body.items).toEqual([]);
    expect((await call("maomingRegulator", `/api/instances?${ids}`)).body.items).toEqual([]);
    const bad = await call("buyer", `/api/instances?ids=${a},not-an-id`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({ path: "/ids" });
    const many = Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`).join(",");
    expect((await call("buyer", `/api/instances?ids=${many}`)).status).toBe(400);
  });

  test("GET /api/workflows lists what is loaded: states, transitions, roles, forms, deadlines", async () => {
    const r = await platform.api("/api/workflows");
    expect(r.status).toBe(200);
    const wf = r.body.find((w: { id: string }) => w.id === "etrading.tender");
    expect(wf).toMatchObject({ plugin: "etrading", version: 1, initial: "draft", start: { roles: ["purchaser", "agency"], form: "etrading.tender-notice" } });
    expect(wf.states.map((s: { name: string }) => s.name)).toEqual(["draft", "published", "opening", "evaluated", "cancelled"]);
    expect(wf.transitions.find((t: { name: string }) => t.name === "open")).toMatchObject({ roles: [], deadline: { at: "/tenderPeriod/endDate" } });
    expect((await platform.api("/api/workflows/etrading.nothing")).status).toBe(404);
  });

  test("start → publish → amend → deadline → evaluate: state, data, history, audit and outbox in step", async () => {
    const started = await start();
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ workflowId: "etrading.tender", state: "draft", version: 1, tenantCode: "441300", ownerUnit: "441300401", data: notice({ tenderPeriod: started.body.data.tenderPeriod }) });
    const id = started.body.id;

    const options = await call("buyer", `/api/instances/${id}/transitions`);
    expect(options.body.map((t: { name: string }) => t.name).sort()).toEqual(["cancel", "publish"]);
    expect((await call("agency", `/api/instances/${id}/transitions`)).status).toBe(404); // not the agency's unit

    const published = await take("colleague", id, "publish", { expectedVersion: 1 });
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({ state: "published", version: 2 });
    const outbox = await platform.kernel.db.knex("core_outbox").where({ stream_key: id }).orderBy("id");
    expect(outbox.map((o) => o.event)).toEqual(["portal.publish", "notifications.requested"]);
    expect(outbox[1].payload).toMatchObject({ roles: ["regulator"], tenantCode: "441300", instanceId: id, title: { en: "A new tender notice" } });
    // The emit carries its public fields and nothing else of the instance; `with` names values among them.
    const d = started.body.data;
    expect(outbox[0].payload.data).toEqual({ projectName: d.projectName, budget: d.budget, tenderPeriod: { endDate: d.tenderPeriod.endDate } });
    expect(outbox[0].payload).toMatchObject({ notice: "tender", title: d.projectName, instanceId: id, workflowId: "etrading.tender", tenantCode: "441300", ownerUnit: "441300401", version: 2 });

    const endDate = later(30);
    const amended = await take("buyer", id, "amend", { data: { reason: "延长投标期", tenderPeriod: { endDate } } });
    expect(amended.status).toBe(200);
    expect(amended.body).toMatchObject({ state: "published", version: 3, data: { tenderPeriod: { endDate }, reason: "延长投标期", projectName: "惠州市某路段绿化养护" } });

    // The deadline moved with the amendment: not due at the first closing time, due at the second.
    platform.kernel.clock.travelTo(later(25));
    expect(await platform.kernel.workflow.fireDue("test")).toBe(0);
    platform.kernel.clock.travelTo(new Date(Date.parse(endDate) + 1000));
    expect(await platform.kernel.workflow.fireDue("test")).toBe(1);
    expect(await platform.kernel.workflow.fireDue("test")).toBe(0);
    platform.kernel.clock.reset();

    const opened = await call("buyer", `/api/instances/${id}`);
    expect(opened.body.state).toBe("opening");
    expect(opened.body.history.map((h: { transition: string; to: string }) => [h.transition, h.to])).toEqual([
      ["$start", "draft"],
      ["publish", "published"],
      ["amend", "published"],
      ["open", "opening"],
    ]);
    expect(opened.body.history[3].actor).toMatchObject({ via: "deadline" });
    expect(opened.body.history[2].formRef).toMatchObject({ formId: "etrading.tender-amendment" });

    const evaluated = await take("buyer", id, "evaluate", { data: { winner: "广东某园林工程有限公司", amount: "1199000.00" } });
    expect(evaluated.body).toMatchObject({ state: "evaluated", terminal: true, version: 5 });
    // Published by the relay once committed: the event names the instance and carries its state.
    await poll("the award event arrives", async () => awarded.filter((e) => e.key === id), (xs) => xs.length === 1);
    expect(awarded.find((e) => e.key === id)!.data).toMatchObject({ state: "evaluated", instanceId: id });
    // an emit that lists no public fields carries none: the winner and the amount stay in the instance
    expect(awarded.find((e) => e.key === id)!.data).not.toHaveProperty("data");
    const audit = await platform.kernel.db.knex("core_audit_log").where("object", `etrading.tender/${id}`).orderBy("id").pluck("action");
    expect(audit).toEqual(["workflow.start", "workflow.transition.publish", "workflow.transition.amend", "workflow.transition.open", "workflow.transition.evaluate"]);
    expect((await platform.kernel.db.knex("core_outbox").where({ stream_key: id }).orderBy("id")).map((o) => o.event)).toEqual([
      "portal.publish",
      "notifications.requested",
      "portal.publish",
      "notifications.requested",
      "etrading.tender.awarded",
    ]);
  });

  test("a start's 201 names the new instance in Location, where a GET finds it", async () => {
    const res = await fetch(`${platform.baseUrl}/api/workflows/etrading.tender/instances`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.buyer}`, "content-type": "application/json" },
      body: JSON.stringify({ data: notice({ projectName: "惠州市某路段绿化养护（位置）" }) }),
    });
    expect(res.status).toBe(201);
    const made = (await res.json()) as { id: string };
    expect(res.headers.get("location")).toBe(`/api/instances/${made.id}`);
    const got = await call("buyer", res.headers.get("location")!);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: made.id, data: { projectName: "惠州市某路段绿化养护（位置）" } });
  });

  test("bad data is refused next to its field, unknown fields too, and nothing is written", async () => {
    const before = await count("core_workflow_instances");
    const r = await start("buyer", { projectName: "x", budget: "12.345", tenderPeriod: {}, colour: "red" });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("VALIDATION_FAILED");
    const paths = r.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["/projectName", "/budget", "/tenderPeriod/endDate"]));
    expect(r.body.error.details.some((d: { rule: string }) => d.rule === "additionalProperties")).toBe(true);
    expect(await count("core_workflow_instances")).toBe(before);
  });

  test("guards: a failed guard writes nothing; one naming a field answers next to it", async () => {
    const { body } = await start("buyer", notice({ tenderPeriod: { endDate: later(1) } }));
    platform.kernel.clock.travelTo(later(2));
    const late = await take("buyer", body.id, "publish");
    expect([late.status, late.body.error.code, late.body.error.details.rule]).toEqual([409, "CONFLICT", "guard"]);
    expect(late.body.error.message).toBe("投标截止时间已过，不能发布");
    platform.kernel.clock.reset();
    expect((await take("buyer", body.id, "publish")).status).toBe(200);
    const earlier = await take("buyer", body.id, "amend", { data: { reason: "提前", tenderPeriod: { endDate: later(0.5) } } });
    expect(earlier.status).toBe(400);
    expect(earlier.body.error.details).toEqual([expect.objectContaining({ path: "/tenderPeriod/endDate", rule: "guard" })]);
    expect(await count("core_workflow_history", { instance_id: body.id })).toBe(2);
    expect(await count("core_outbox", { stream_key: body.id })).toBe(2);
  });

  test("roles, states and visibility: 403 for a role the transition lacks, 409 in the wrong state, 404 for what one cannot see", async () => {
    const { body } = await start();
    expect((await start("regulator")).status).toBe(403);
    expect((await take("otherBuyer", body.id, "publish")).status).toBe(404); // another unit's
    expect((await call("maomingRegulator", `/api/instances/${body.id}`)).status).toBe(404);
    expect((await call("regulator", `/api/instances/${body.id}`)).status).toBe(200);
    expect((await call("provinceRegulator", `/api/instances/${body.id}`)).status).toBe(200);
    expect((await take("regulator", body.id, "publish")).status).toBe(403);
    const wrongState = await take("buyer", body.id, "evaluate", { data: { winner: "某公司", amount: "1.00" } });
    expect([wrongState.status, wrongState.body.error.details.rule]).toEqual([409, "state"]);
    expect((await take("buyer", body.id, "no-such-thing")).status).toBe(404);
    const noData = await take("buyer", body.id, "publish", { data: { extra: 1 } });
    expect(noData.status).toBe(400);
    const stale = await take("buyer", body.id, "publish", { expectedVersion: 7 });
    expect([stale.status, stale.body.error.details.currentVersion]).toEqual([409, 1]);
  });

  test("the module gate applies by the workflow's plugin: no tender where e-trading is not live", async () => {
    const r = await start("guangzhouBuyer");
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("MODULE_NOT_ENABLED");
    expect(r.body.error.details).toMatchObject({ module: "etrading", tenant: "440100", state: "off" });
  });

  test("lists are scoped: mine, my unit's, my region's; never another's", async () => {
    const mine = await start("otherBuyer");
    const list = async (who: string, q = "") => {
      const r = await call(who, `/api/instances?workflow=etrading.tender&pageSize=100${q}`);
      expect(r.status).toBe(200);
      return r.body.items.map((i: { id: string }) => i.id) as string[];
    };
    const other = await list("otherBuyer");
    expect(other).toEqual([mine.body.id]);
    expect(await list("buyer")).not.toContain(mine.body.id);
    expect(await list("regulator")).toContain(mine.body.id);
    expect(await list("maomingRegulator")).toEqual([]);
    expect(await list("supplier")).toEqual([]);
    expect(await list("otherBuyer", "&state=draft&mine=1")).toEqual([mine.body.id]);
  });

  test("20 concurrent transitions on one instance: exactly one wins, the others get 409", async () => {
    const { body } = await start();
    await take("buyer", body.id, "publish");
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => take(i % 2 ? "buyer" : "colleague", body.id, "amend", { expectedVersion: 2, data: { reason: `第${i}次更正`, tenderPeriod: { endDate: later(40 + i) } } })),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    expect(await count("core_workflow_history", { instance_id: body.id })).toBe(3);
    expect(await count("core_workflow_timers", { instance_id: body.id, cancelled_at: null, fired_at: null })).toBe(1);
  });

  test("leaving a state cancels its deadline: a cancelled tender never opens", async () => {
    const { body } = await start("buyer", notice({ tenderPeriod: { endDate: later(3) } }));
    await take("buyer", body.id, "publish");
    expect((await take("buyer", body.id, "cancel")).body.state).toBe("cancelled");
    platform.kernel.clock.travelTo(later(4));
    await platform.kernel.workflow.fireDue("test");
    platform.kernel.clock.reset();
    expect((await call("buyer", `/api/instances/${body.id}`)).body.state).toBe("cancelled");
  });
});
