import fs from "node:fs";
import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";
import { addWorkingHours, serviceLevels } from "../../../plugins/helpdesk/sla";

const ROOT = path.resolve(__dirname, "../../..");
const HUIZHOU = "441300";
const MAOMING = "440900";

describe("helpdesk working time (service levels count office hours of China's working days)", () => {
  test("4 working hours from a Friday afternoon end on Monday morning; the lunch break does not count", () => {
    // Friday 2026-12-04 16:00 China: 1.5 h that day, 2.5 h on Monday from 09:00
    expect(addWorkingHours(new Date("2026-12-04T16:00:00+08:00"), 4).toISOString()).toBe(new Date("2026-12-07T11:30:00+08:00").toISOString());
    // Monday 11:00: one hour before lunch, three after 13:30
    expect(addWorkingHours(new Date("2026-12-07T11:00:00+08:00"), 4).toISOString()).toBe(new Date("2026-12-07T16:30:00+08:00").toISOString());
    // raised at night: counts from the next morning
    expect(addWorkingHours(new Date("2026-12-07T22:00:00+08:00"), 1).toISOString()).toBe(new Date("2026-12-08T10:00:00+08:00").toISOString());
  });

  test("the Spring Festival holiday (chinese-days) is no working time", () => {
    // 2026's Spring Festival holiday runs 15-23 February; the 14th (Saturday) is a moved working day (调休)
    const due = addWorkingHours(new Date("2026-02-13T17:00:00+08:00"), 8);
    expect(due.getTime()).toBeGreaterThan(new Date("2026-02-14T00:00:00+08:00").getTime());
    expect(due.getTime()).toBeLessThan(new Date("2026-02-25T00:00:00+08:00").getTime());
    const afterHoliday = addWorkingHours(new Date("2026-02-16T10:00:00+08:00"), 1);
    expect(afterHoliday.getTime()).toBeGreaterThanOrEqual(new Date("2026-02-24T10:00:00+08:00").getTime());
  });

  test("resolution targets differ by category", () => {
    const at = new Date("2026-12-07T09:00:00+08:00");
    expect(serviceLevels(at, "账号与登录").resolutionDue).toBe(new Date("2026-12-07T17:30:00+08:00").toISOString());
    expect(new Date(serviceLevels(at, "质疑与投诉").resolutionDue).getTime()).toBeGreaterThan(new Date(serviceLevels(at, "电子交易").resolutionDue).getTime());
  });
});

describe("helpdesk tickets with service levels", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  let agent: string;
  let maomingAgent: string;
  let admin: string;
  let user: string;

  beforeAll(async () => {
    process.env.HELPDESK_RATE_PER_MINUTE = "100000";
    pluginsDir = linkPlugins(["helpdesk"], "helpdesk-tickets");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms"), deadlineCheckMs: 100 });
    agent = await platform.token({ tenantCode: HUIZHOU, roles: ["helpdesk-agent"] });
    maomingAgent = await platform.token({ tenantCode: MAOMING, roles: ["helpdesk-agent"] });
    admin = await platform.token({ tenantCode: HUIZHOU, roles: ["tenant-admin"] });
    user = await platform.token({ tenantCode: HUIZHOU, roles: ["supplier"] });
    const root = await platform.token({ tenantCode: "440000", roles: ["platform-admin"] });
    const from = new Date(Date.now() + 60_000);
    expect((await platform.api("/api/tenants/440000/modules/helpdesk", { method: "PUT", token: root, body: { state: "live", from: from.toISOString() } })).status).toBe(200);
    platform.kernel.clock.travelTo(new Date(from.getTime() + 60_000));
  });
  afterAll(async () => {
    delete process.env.HELPDESK_RATE_PER_MINUTE;
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  const chatOf = async (token: string) => {
    const chat = (await platform.api("/api/helpdesk/chats", { method: "POST", token, body: { text: "保证金一直没退" } })).body;
    expect((await platform.api(`/api/helpdesk/chats/${chat.id}/take`, { method: "POST", token: agent })).status).toBe(200);
    return chat;
  };
  const raise = (token: string, data: Record<string, unknown>) => platform.api("/api/workflows/helpdesk.ticket/instances", { method: "POST", token, body: { data } });
  const state = async (id: string) => (await platform.kernel.db.knex("helpdesk_tickets").where({ instance_id: id }).first()).state;
  /** Polls what the outbox relay and the deadline timer do after the answer, for at most 10 s. */
  const eventually = async (what: string, ok: () => Promise<boolean>) => {
    for (const end = Date.now() + 10_000; !(await ok()); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > end) throw new Error(`${what}: not within 10 s`);
    }
  };
  const inbox = async (token: string) => (await platform.api("/api/notifications?pageSize=100", { token })).body.items as Array<{ title: Record<string, string>; link: string | null }>;

  test("a chat not solved becomes a ticket the user follows; a reply notifies them; no one else reads it", async () => {
    const chat = await chatOf(user);
    const res = await raise(agent, { chatId: chat.id, subject: "投标保证金未退还", category: "金融服务", priority: "high", description: "开标后 5 个工作日仍未退还" });
    expect(res.status).toBe(201);
    const id = res.body.id;
    expect(res.body.state).toBe("open");
    const mine = await platform.api("/api/helpdesk/tickets", { token: user });
    expect(mine.body.items).toEqual([expect.objectContaining({ id, state: "open", category: "金融服务", priority: "high" })]);
    const t = mine.body.items[0];
    expect(new Date(t.firstResponseDue).getTime()).toBeLessThan(new Date(t.resolutionDue).getTime());

    const stranger = await platform.token({ tenantCode: HUIZHOU, roles: ["supplier"] });
    for (const token of [stranger, maomingAgent]) {
      const got = await platform.api(`/api/helpdesk/tickets/${id}`, { token });
      expect(got.status).toBe(404);
      expect(got.body.error.code).toBe("NOT_FOUND");
    }
    expect((await platform.api(`/api/instances/${id}`, { token: maomingAgent })).status).toBe(404);
    expect((await platform.api("/api/helpdesk/tickets?scope=region", { token: maomingAgent })).body.items.map((x: { id: string }) => x.id)).not.toContain(id);
    expect((await platform.api("/api/helpdesk/tickets?scope=region", { token: agent })).body.items.map((x: { id: string }) => x.id)).toContain(id);
    expect((await platform.api(`/api/instances/${id}/transitions/reply`, { method: "POST", token: maomingAgent, body: { data: { message: "x" } } })).status).toBe(404);

    const replied = await platform.api(`/api/instances/${id}/transitions/reply`, { method: "POST", token: agent, body: { data: { message: "已联系银行核实，今日退还" } } });
    expect(replied.status).toBe(200);
    expect(await state(id)).toBe("answered");
    let items: Awaited<ReturnType<typeof inbox>> = [];
    await eventually("requester notified", async () => (items = await inbox(user)).some((n) => n.link === `/helpdesk/tickets/${id}`));
    expect(items.find((n) => n.link === `/helpdesk/tickets/${id}`)?.title["zh-CN"]).toContain("投标保证金未退还");

    const follow = await platform.api(`/api/helpdesk/tickets/${id}/messages`, { method: "POST", token: user, body: { text: "<b>还没到账</b>" } });
    expect(follow.status).toBe(201);
    const read = await platform.api(`/api/helpdesk/tickets/${id}`, { token: user });
    expect(read.body.messages.map((m: { author: string; text: string }) => [m.author, m.text])).toEqual([
      ["user", "开标后 5 个工作日仍未退还"],
      ["agent", "已联系银行核实，今日退还"],
      ["user", "<b>还没到账</b>"],
    ]);
    expect(read.body.firstResponseAt).not.toBeNull();
    expect((await platform.api(`/api/helpdesk/tickets/${id}/messages`, { method: "POST", token: stranger, body: { text: "hi" } })).status).toBe(404);
    expect((await platform.api(`/api/helpdesk/tickets/${id}/rating`, { method: "POST", token: user, body: { rating: 1 } })).body.rating).toBe(1);
    const review = await platform.api("/api/helpdesk/review", { token: agent });
    expect(review.body.lowRatedTickets.map((x: { id: string }) => x.id)).toContain(id);
  });

  test("no first reply within 4 working hours: the ticket escalates by itself and the tenant's admin is told", async () => {
    const chat = await chatOf(user);
    const res = await raise(agent, { chatId: chat.id, subject: "CA 证书无法登录", category: "账号与登录", priority: "normal", description: "提示证书无效" });
    const id = res.body.id;
    const due = new Date((await platform.api(`/api/helpdesk/tickets/${id}`, { token: user })).body.firstResponseDue);
    platform.kernel.clock.travelTo(new Date(due.getTime() - 60_000));
    await new Promise((r) => setTimeout(r, 300));
    expect(await state(id)).toBe("open");
    platform.kernel.clock.travelTo(new Date(due.getTime() + 60_000));
    await eventually("escalated", async () => (await state(id)) === "escalated");
    await eventually("admin told", async () => (await inbox(admin)).some((n) => n.title["zh-CN"].includes("首次答复超时") && n.link === `/instances/${id}`));
    // a late reply still answers it, and the escalation stays on record
    expect((await platform.api(`/api/instances/${id}/transitions/reply`, { method: "POST", token: agent, body: { data: { message: "已处理" } } })).status).toBe(200);
    expect((await platform.api(`/api/helpdesk/tickets/${id}`, { token: user })).body).toMatchObject({ state: "answered", escalatedAt: expect.any(String) });
  });

  test("bad tickets are refused in the envelope: another region's chat, unknown category, empty or huge follow-ups, bad ratings", async () => {
    const chat = await chatOf(user);
    const other = await raise(maomingAgent, { chatId: chat.id, subject: "x 工单", category: "其他", priority: "low", description: "别的城市" });
    expect(other.status).toBe(400);
    expect(other.body.error.details[0]).toMatchObject({ path: "/chatId" });
    const bad = await raise(agent, { subject: "工单", category: "火星", priority: "whenever", description: "" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
    expect(await platform.kernel.db.knex("helpdesk_tickets").where({ chat_id: chat.id }).first()).toBeUndefined();
    const ok = (await raise(agent, { chatId: chat.id, subject: "好的工单", category: "其他", priority: "low", description: "描述" })).body.id;
    for (const text of ["", "长".repeat(2001), "\u0001"]) {
      const res = await platform.api(`/api/helpdesk/tickets/${ok}/messages`, { method: "POST", token: user, body: { text } });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].path).toBe("/text");
    }
    expect((await platform.api(`/api/helpdesk/tickets/${ok}/rating`, { method: "POST", token: user, body: { rating: 6 } })).status).toBe(400);
    expect((await platform.api(`/api/helpdesk/answers/rating`, { method: "POST", body: { entryId: "faq-999", question: "q", rating: 3 } })).status).toBe(400);
    expect((await platform.api(`/api/helpdesk/answers/rating`, { method: "POST", body: { entryId: "faq-002", question: "初始密码", rating: 1 } })).status).toBe(201);
    expect((await platform.api("/api/helpdesk/review", { token: agent })).body.lowRatedAnswers).toEqual(expect.arrayContaining([expect.objectContaining({ entryId: "faq-002", rating: 1 })]));
  });
});
