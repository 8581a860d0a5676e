import fs from "node:fs";
import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";
import { readyTab, until, type Tab } from "../notifications/support";

const ROOT = path.resolve(__dirname, "../../..");
const HUIZHOU = "441300";
const MAOMING = "440900";

/** Issue 23, live chat: hand-over → a tenant's queue → an agent takes it and answers over the socket. */
describe("helpdesk live chat with agents", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  let agent: string;
  let agentId: string;
  let maomingAgent: string;
  let provinceAgent: string;
  const tabs: Tab[] = [];

  const join = (t: Tab, params: unknown) => new Promise<Record<string, any>>((resolve) => t.socket.emit("join", { action: "helpdesk.live.join", params }, resolve));
  const open = (body: unknown, token?: string) => platform.api("/api/helpdesk/chats", { method: "POST", body, token });

  beforeAll(async () => {
    process.env.HELPDESK_RATE_PER_MINUTE = "100000";
    pluginsDir = linkPlugins(["helpdesk"], "helpdesk-live");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms") });
    agent = await platform.token({ tenantCode: HUIZHOU, roles: ["helpdesk-agent"], username: "hz-agent" });
    maomingAgent = await platform.token({ tenantCode: MAOMING, roles: ["helpdesk-agent"] });
    provinceAgent = await platform.token({ tenantCode: "440000", roles: ["helpdesk-agent"] });
    agentId = (await platform.kernel.db.knex("core_accounts").where({ username: "hz-agent" }).first()).id;
    const admin = await platform.token({ tenantCode: "440000", roles: ["platform-admin"] });
    const from = new Date(Date.now() + 60_000);
    const put = await platform.api("/api/tenants/440000/modules/helpdesk", { method: "PUT", token: admin, body: { state: "live", from: from.toISOString() } });
    expect(put.status).toBe(200);
    platform.kernel.clock.travelTo(new Date(from.getTime() + 60_000));
  });
  afterAll(async () => {
    tabs.forEach((t) => t.close());
    delete process.env.HELPDESK_RATE_PER_MINUTE;
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  test("a hand-over waits in the user's city queue; the agent sees it and the user's context live, takes it and answers with a KB entry", async () => {
    const user = await platform.token({ tenantCode: HUIZHOU, roles: ["purchaser"] });
    const agentTab = await readyTab(platform.baseUrl, { token: agent });
    tabs.push(agentTab);
    const queued: any[] = [];
    const presence: any[] = [];
    agentTab.socket.on("queued", (c) => queued.push(c));
    agentTab.socket.on("presence", (p) => presence.push(p));
    expect(await join(agentTab, {})).toMatchObject({ room: `helpdesk.live:queue:${HUIZHOU}` });
    await until("agent present", () => presence.some((p) => p.some((a: any) => a.id === agentId)));

    const asked = await platform.api("/api/helpdesk/ask", { method: "POST", token: user, body: { question: "转人工", page: "/etrading/tenders" } });
    expect(asked.body.handover).toBe(true);
    const opened = await open({ text: "保证金退不回来", handoverId: asked.body.handoverId, page: "/etrading/tenders", errors: [{ message: "退还失败", code: "CONFLICT" }] }, user);
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ status: "waiting", tenantCode: HUIZHOU, position: 1, visitorKey: null });
    await until("queue told", () => queued.some((c) => c.id === opened.body.id));
    expect(queued.find((c) => c.id === opened.body.id).context).toMatchObject({ role: "purchaser", city: HUIZHOU, page: "/etrading/tenders", errors: [{ message: "退还失败", code: "CONFLICT" }] });

    const q = await platform.api("/api/helpdesk/queue", { token: agent });
    expect(q.body.chats.map((c: any) => c.id)).toContain(opened.body.id);
    expect(q.body.agents.map((a: any) => a.id)).toContain(agentId);

    const userTab = await readyTab(platform.baseUrl, { token: user });
    tabs.push(userTab);
    const heard: any[] = [];
    userTab.socket.on("message", (m) => heard.push(m.message));
    expect(await join(userTab, { chatId: opened.body.id })).toMatchObject({ as: "user" });

    const take = await platform.api(`/api/helpdesk/chats/${opened.body.id}/take`, { method: "POST", token: agent });
    expect(take.status).toBe(200);
    expect(take.body).toMatchObject({ status: "active", agent: { id: agentId } });
    // a second agent of the city loses the race
    const other = await platform.token({ tenantCode: HUIZHOU, roles: ["helpdesk-agent"] });
    expect((await platform.api(`/api/helpdesk/chats/${opened.body.id}/take`, { method: "POST", token: other })).status).toBe(409);

    const snippet = await platform.api(`/api/helpdesk/chats/${opened.body.id}/messages`, { method: "POST", token: agent, body: { entryId: "faq-002" } });
    expect(snippet.status).toBe(200);
    expect(snippet.body).toMatchObject({ author: "agent", entryId: "faq-002" });
    await until("user hears the answer", () => heard.some((m) => m.entryId === "faq-002"));

    const reply = await platform.api(`/api/helpdesk/chats/${opened.body.id}/messages`, { method: "POST", token: user, body: { text: "<script>alert(1)</script>谢谢" } });
    expect(reply.body.text).toBe("<script>alert(1)</script>谢谢");
    const read = await platform.api(`/api/helpdesk/chats/${opened.body.id}`, { token: user });
    expect(read.body.messages.map((m: any) => m.author)).toEqual(["user", "system", "agent", "user"]);

    expect((await platform.api(`/api/helpdesk/chats/${opened.body.id}/close`, { method: "POST", token: user })).body.status).toBe("closed");
    expect((await platform.api(`/api/helpdesk/chats/${opened.body.id}/rating`, { method: "POST", token: user, body: { rating: 2, comment: "太慢" } })).body.rating).toBe(2);
  });

  test("an agent of another city, or another user, cannot read, join or answer the chat; the province's agent can", async () => {
    const user = await platform.token({ tenantCode: HUIZHOU, roles: ["supplier"] });
    const stranger = await platform.token({ tenantCode: HUIZHOU, roles: ["supplier"] });
    const chat = (await open({ text: "CA 证书过期了怎么办" }, user)).body;
    for (const token of [maomingAgent, stranger, undefined]) {
      const res = await platform.api(`/api/helpdesk/chats/${chat.id}`, { token });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("NOT_FOUND");
      expect((await platform.api(`/api/helpdesk/chats/${chat.id}/messages`, { method: "POST", token, body: { text: "hi" } })).status).toBe(404);
    }
    expect((await platform.api(`/api/helpdesk/chats/${chat.id}/take`, { method: "POST", token: maomingAgent })).status).toBe(404);
    const res = await platform.api(`/api/helpdesk/queue?tenantCode=${HUIZHOU}`, { token: maomingAgent, headers: { "accept-language": "en" } });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/[a-z]/i);
    const tabM = await readyTab(platform.baseUrl, { token: maomingAgent });
    tabs.push(tabM);
    expect(await join(tabM, { chatId: chat.id })).toMatchObject({ error: { code: "NOT_FOUND" } });
    expect(await join(tabM, { tenantCode: HUIZHOU })).toMatchObject({ error: { code: "FORBIDDEN" } });
    // the province's agents oversee every city's queue
    expect((await platform.api(`/api/helpdesk/chats/${chat.id}`, { token: provinceAgent })).status).toBe(200);
  });

  test("a signed-out visitor waits in the province's queue and holds the chat by its secret", async () => {
    const opened = await open({ text: "怎么注册供应商" });
    expect(opened.body).toMatchObject({ tenantCode: "440000", visitor: true });
    expect(opened.body.visitorKey).toEqual(expect.any(String));
    expect((await platform.api(`/api/helpdesk/chats/${opened.body.id}`)).status).toBe(404);
    expect((await platform.api(`/api/helpdesk/chats/${opened.body.id}?visitorKey=wrong`)).status).toBe(404);
    const mine = await platform.api(`/api/helpdesk/chats/${opened.body.id}?visitorKey=${opened.body.visitorKey}`);
    expect(mine.body.context).toMatchObject({ role: "public", city: null });
    expect((await platform.api("/api/helpdesk/queue", { token: provinceAgent })).body.chats.map((c: any) => c.id)).toContain(opened.body.id);
    expect((await platform.api(`/api/helpdesk/queue`, { token: agent })).body.chats.map((c: any) => c.id)).not.toContain(opened.body.id);
  });

  test("empty, huge, binary messages and bad context are refused in the envelope, in Chinese or English, writing nothing", async () => {
    const user = await platform.token({ tenantCode: HUIZHOU, roles: ["purchaser"] });
    const before = await platform.kernel.db.knex("helpdesk_chats").count<{ n: string }[]>({ n: "*" });
    const cases: [unknown, string][] = [
      [{ text: "  " }, "/text"],
      [{ text: "长".repeat(2001) }, "/text"],
      [{ text: "abc\u0001\ufffd" }, "/text"],
      [{ text: "hi", page: "javascript:alert(1)" }, "/page"],
      [{ text: "hi", errors: Array.from({ length: 11 }, () => ({ message: "x" })) }, "/errors"],
      [{ text: "hi", errors: [{ message: 3 }] }, "/errors/0"],
      [{ text: "hi", handoverId: "00000000-0000-4000-8000-000000000000" }, "/handoverId"],
    ];
    for (const [body, at] of cases) {
      const res = await open(body, user);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: [expect.objectContaining({ path: at })] });
      expect(res.body.error.message).toMatch(/[\u4e00-\u9fff]/);
    }
    const en = await platform.api("/api/helpdesk/chats", { method: "POST", token: user, body: { text: "" }, headers: { "accept-language": "en" } });
    expect(en.body.error.details[0].message).toMatchObject({ en: "type a message" });
    expect(en.body.error.message).not.toMatch(/[\u4e00-\u9fff]/);
    const after = await platform.kernel.db.knex("helpdesk_chats").count<{ n: string }[]>({ n: "*" });
    expect(after).toEqual(before);
  });
});
