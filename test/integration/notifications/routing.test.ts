import { io, type Socket } from "socket.io-client";
import { notifyPlatform, readyTab, sleep, until, type NotifyPlatform, type Person, type Tab } from "./support";

/**
 * From events to people: a workflow effect or a plugin's event names roles in a tenant, the
 * owner, or followers; it reaches exactly those people's sockets (and inboxes): roles in the
 * event's tenant and the tenants above it (a Huizhou event reaches Huizhou's and the province's
 * regulators, not Maoming's, not a Huizhou county's).
 */
describe("live notifications reach exactly the right people", () => {
  let platform: NotifyPlatform;
  const people: Record<string, Person> = {};
  const tabs: Record<string, Tab> = {};
  const visitors: Record<string, { socket: Socket; notices: Array<Record<string, unknown>> }> = {};
  const later = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
  const who = {
    huizhouBuyer: { roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" },
    huizhouColleague: { roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" },
    huizhouRegulator: { roles: ["regulator"], tenantCode: "441300" },
    provinceRegulator: { roles: ["regulator"], tenantCode: "440000" },
    countyRegulator: { roles: ["regulator"], tenantCode: "441302" },
    maomingBuyer: { roles: ["purchaser"], tenantCode: "440900", unitCode: "440900101" },
    maomingRegulator: { roles: ["regulator"], tenantCode: "440900" },
  };
  type Who = keyof typeof who;
  const received = () => Object.fromEntries(Object.entries(tabs).map(([k, t]) => [k, t.got.map((n) => n.title.en)]));
  const reset = () => Object.values(tabs).forEach((t) => t.got.splice(0));

  async function publishTender(projectName = "惠州市某路段绿化养护", closesInDays = 20): Promise<string> {
    const created = await platform.api("/api/workflows/etrading.tender/instances", {
      method: "POST",
      token: people.huizhouBuyer.token,
      body: { data: { projectName, budget: "1280000.50", tenderPeriod: { endDate: later(closesInDays) } } },
    });
    expect(created.status).toBe(201);
    const published = await platform.api(`/api/instances/${created.body.id}/transitions/publish`, { method: "POST", token: people.huizhouBuyer.token, body: {} });
    expect(published.status).toBe(200);
    return created.body.id;
  }

  /** Waits for `expected` to arrive, then a little longer for anything that should not. */
  async function expectDelivered(expected: Partial<Record<Who, string[]>>): Promise<void> {
    const want = Object.fromEntries(Object.keys(who).map((k) => [k, expected[k as Who] ?? []]));
    await until("expected notifications", () => Object.entries(want).every(([k, titles]) => tabs[k].got.length >= titles.length), 10_000, received);
    await sleep(300);
    expect(received()).toEqual(want);
  }

  async function inboxOf(notificationId: number): Promise<string[]> {
    const rows = await platform.kernel.db.knex("core_inbox").where({ notification_id: notificationId }).select("account_id");
    const byId = Object.fromEntries(Object.entries(people).map(([k, p]) => [p.id, k]));
    return rows.map((r) => byId[r.account_id] ?? r.account_id).sort();
  }

  beforeAll(async () => {
    platform = await notifyPlatform();
    for (const [k, u] of Object.entries(who)) {
      people[k] = await platform.person(u);
      tabs[k] = await readyTab(platform.baseUrl, { token: people[k].token });
    }
    for (const feed of ["441300", "440000", "440900", "441302"]) {
      const socket = io(`${platform.baseUrl}/public`, { transports: ["websocket"], reconnection: false, forceNew: true });
      visitors[feed] = { socket, notices: [] };
      socket.on("notice", (n: Record<string, unknown>) => visitors[feed].notices.push(n));
      expect(await socket.timeout(5000).emitWithAck("subscribe", { tenants: [feed] })).toEqual({ feeds: [feed] });
    }
  });
  beforeEach(reset);
  afterAll(async () => {
    Object.values(tabs).forEach((t) => t.close());
    Object.values(visitors).forEach((v) => v.socket.close());
    await platform.stop();
  });

  test("a tender published in Huizhou reaches Huizhou's and the province's regulators, and nobody else", async () => {
    const id = await publishTender();
    await expectDelivered({ huizhouRegulator: ["A new tender notice"], provinceRegulator: ["A new tender notice"] });
    const n = tabs.huizhouRegulator.got[0];
    expect(n).toMatchObject({ kind: "etrading.tender.publish", title: { "zh-CN": "新的招标公告", en: "A new tender notice" }, link: `/instances/${id}`, tenantCode: "441300", instanceId: id, read: false });
    expect(tabs.provinceRegulator.got[0].id).toBe(n.id);
    // the inbox holds exactly who was pushed to
    expect(await inboxOf(n.id)).toEqual(["huizhouRegulator", "provinceRegulator"]);
  });

  test("an event to Huizhou's purchasers reaches both Huizhou purchasers, not Maoming's; and the other way round", async () => {
    await platform.raise({ tenantCode: "441300", roles: ["purchaser"], title: { "zh-CN": "惠州采购人须知", en: "For Huizhou purchasers" } });
    await expectDelivered({ huizhouBuyer: ["For Huizhou purchasers"], huizhouColleague: ["For Huizhou purchasers"] });
    reset();
    await platform.raise({ tenantCode: "440900", roles: ["purchaser", "regulator"], title: { "zh-CN": "茂名", en: "For Maoming" } });
    await expectDelivered({ maomingBuyer: ["For Maoming"], maomingRegulator: ["For Maoming"], provinceRegulator: ["For Maoming"] });
  });

  test("an event in a Huizhou county reaches the county's, the city's and the province's regulators", async () => {
    await platform.raise({ tenantCode: "441302", roles: ["regulator"], title: { "zh-CN": "惠城区", en: "In Huicheng" } });
    await expectDelivered({ countyRegulator: ["In Huicheng"], huizhouRegulator: ["In Huicheng"], provinceRegulator: ["In Huicheng"] });
  });

  test("the owner is told: every account of the unit that started it (a deadline's effect)", async () => {
    const id = await publishTender("开标通知测试", 2);
    await expectDelivered({ huizhouRegulator: ["A new tender notice"], provinceRegulator: ["A new tender notice"] });
    reset();
    // past this tender's closing time, before the others'
    platform.kernel.clock.travelTo(later(3));
    try {
      expect(await platform.kernel.workflow.fireDue("test")).toBe(1);
    } finally {
      platform.kernel.clock.reset();
    }
    await expectDelivered({ huizhouBuyer: ["Bids are open"], huizhouColleague: ["Bids are open"] });
    expect(tabs.huizhouBuyer.got[0]).toMatchObject({ kind: "etrading.tender.open", instanceId: id });
  });

  test("followers of an instance are told of it; only those who may read it can follow", async () => {
    const id = await publishTender("关注测试");
    await expectDelivered({ huizhouRegulator: ["A new tender notice"], provinceRegulator: ["A new tender notice"] });
    reset();
    // over the socket, with an answer
    expect(await tabs.huizhouRegulator.socket.timeout(5000).emitWithAck("follow", { instanceId: id })).toEqual({ instanceId: id, following: true });
    // someone in Maoming cannot read a Huizhou tender: as if it did not exist
    expect(await tabs.maomingRegulator.socket.timeout(5000).emitWithAck("follow", { instanceId: id })).toMatchObject({ error: { code: "NOT_FOUND" } });
    expect(await tabs.maomingRegulator.socket.timeout(5000).emitWithAck("follow", { instanceId: "not-an-id" })).toMatchObject({ error: { code: "NOT_FOUND" } });
    // or through the API
    const viaApi = await platform.api("/api/notifications/follows", { method: "POST", token: people.huizhouBuyer.token, body: { instanceId: id } });
    expect(viaApi.status).toBe(201);
    expect((await platform.api("/api/notifications/follows", { method: "POST", token: people.maomingBuyer.token, body: { instanceId: id } })).status).toBe(404);
    const listed = await platform.api("/api/notifications/follows", { token: people.huizhouBuyer.token });
    expect(listed.body.items.map((f: { instanceId: string }) => f.instanceId)).toEqual([id]);

    // A tab opened later sits in the room too.
    const second = await readyTab(platform.baseUrl, { token: people.huizhouRegulator.token });
    try {
      await platform.raise({ tenantCode: "441300", instanceId: id, title: { "zh-CN": "答疑", en: "Questions answered" } }, id);
      await expectDelivered({ huizhouRegulator: ["Questions answered"], huizhouBuyer: ["Questions answered"] });
      await until("second tab", () => second.got.length === 1);
      expect(second.got[0].title.en).toBe("Questions answered");

      // Unfollowing leaves the room on every tab.
      reset();
      expect(await tabs.huizhouRegulator.socket.timeout(5000).emitWithAck("unfollow", { instanceId: id })).toEqual({ instanceId: id, following: false });
      expect((await platform.api(`/api/notifications/follows/${id}`, { method: "DELETE", token: people.huizhouBuyer.token })).status).toBe(200);
      await sleep(100);
      await platform.raise({ tenantCode: "441300", instanceId: id, title: { "zh-CN": "再次答疑", en: "More answers" } }, id);
      await platform.raise({ tenantCode: "441300", roles: ["regulator"], title: { "zh-CN": "标记", en: "Marker" } });
      await expectDelivered({ huizhouRegulator: ["Marker"], provinceRegulator: ["Marker"] });
      expect(second.got.map((n) => n.title.en)).toEqual(["Questions answered", "Marker"]);
    } finally {
      second.close();
    }
  });

  test("anonymous feeds get the public notice of their tenant and the tenants below it", async () => {
    for (const v of Object.values(visitors)) v.notices.splice(0);
    const id = await publishTender("公开公告测试");
    await until("notices", () => visitors["441300"].notices.length === 1 && visitors["440000"].notices.length === 1);
    await sleep(300);
    expect(visitors["441300"].notices[0]).toMatchObject({ notice: "tender", tenantCode: "441300", instanceId: id, workflowId: "etrading.tender", title: "公开公告测试" });
    expect(Object.keys(visitors["441300"].notices[0]).sort()).toEqual(["at", "id", "instanceId", "notice", "tenantCode", "title", "workflowId"]);
    expect(visitors["440900"].notices).toEqual([]);
    expect(visitors["441302"].notices).toEqual([]);
    // signed-in sockets are not sent the public feed
    expect(received().huizhouBuyer).toEqual([]);
  });
});
