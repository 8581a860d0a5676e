/**
 * The helpdesk's people in Chromium (issue 23): a Huizhou purchaser handed over to a Huizhou agent
 * who answers live (two browsers), and a ticket that misses its first-reply target escalating by the
 * platform's clock (moved past the target, as etrading-chain does, rather than the target shortened).
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { usernameKey } from "../../core/identity/accounts";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { linkPlugins } from "../support/plugins";
import { axeCheck, ready, serious, type Signed, watchedPages } from "./a11y";
import { builtWebApp, launchChromium } from "./browser";

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, "../..");
const HUIZHOU = "441300";
let platform: TestPlatform;
let browser: Browser;
let pluginsDir: string;

async function account(roles: string[]): Promise<Signed> {
  const knex = platform.kernel.db.knex;
  const username = `e2e-${roles[0]}-${Math.random().toString(36).slice(2, 8)}`;
  const [row] = await knex("core_accounts").insert({ username, username_key: usernameKey(username), display_name: username, tenant_code: HUIZHOU, roles }).returning("*");
  const b = await platform.kernel.identity.sessionFor(row);
  return { username, state: { token: b.token, refreshToken: b.refreshToken, expiresAt: Date.now() + b.expiresIn * 1000, ttl: b.expiresIn, user: b.user, mustChangePassword: b.mustChangePassword } };
}

const open = watchedPages(() => ({ browser, baseUrl: platform.baseUrl }));

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  pluginsDir = linkPlugins(["helpdesk"], "e2e-helpdesk-live");
  platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms"), deadlineCheckMs: 200 });
  const admin = await platform.token({ tenantCode: "440000", roles: ["platform-admin"] });
  const from = new Date(Date.now() + 60_000);
  await platform.api("/api/tenants/440000/modules/helpdesk", { method: "PUT", token: admin, body: { state: "live", from: from.toISOString() } });
  platform.kernel.clock.travelTo(new Date(from.getTime() + 60_000));
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  fs.rmSync(pluginsDir, { recursive: true, force: true });
});

test("a purchaser asks for a person; a Huizhou agent sees the chat and its context live, takes it and answers with text and a KB entry", async () => {
  const purchaser = await open(await account(["purchaser"]));
  const agent = await open(await account(["helpdesk-agent"]));

  await agent.goto("/helpdesk/agent");
  await agent.getByRole("heading", { level: 1, name: "人工客服工作台" }).waitFor();
  await agent.getByText("实时连接").waitFor();
  await agent.getByText("暂无排队的会话").waitFor();

  await purchaser.goto("/etrading/tenders");
  await purchaser.getByRole("button", { name: "在线客服 Help" }).click();
  const dialog = purchaser.getByRole("dialog", { name: "在线智能客服" });
  await dialog.getByRole("button", { name: "转人工" }).click();
  await dialog.getByRole("button", { name: "接通人工客服" }).click();
  await dialog.getByText(/正在排队等待客服接入/).waitFor();

  // the queue is told over the socket: no reload
  const take = agent.getByRole("button", { name: "接入" });
  await take.waitFor();
  await take.click();
  const context = agent.getByRole("definition").filter({ hasText: "/etrading/tenders" });
  await context.waitFor();
  await expect(agent.locator(".helpdesk-context").textContent()).resolves.toContain("purchaser");
  expect(serious(await axeCheck(agent))).toEqual([]);

  await agent.getByLabel("发送给客服的消息").fill("您好，请问是哪个项目？");
  await agent.getByRole("button", { name: "发送", exact: true }).click();
  await dialog.getByText("您好，请问是哪个项目？").waitFor();
  await dialog.getByText(/客服 .* 已接入/).waitFor();

  await agent.getByLabel("知识库条目编号（如 faq-002）").fill("faq-002");
  await agent.getByRole("button", { name: "发送知识库答案" }).click();
  await dialog.getByText("（faq-002）").waitFor();

  // what the user types is text on the agent's screen, markup and all
  await dialog.getByLabel("发送给客服的消息").fill("<b>招标项目 A</b>");
  await dialog.getByLabel("发送给客服的消息").press("Enter");
  await agent.getByText("<b>招标项目 A</b>").waitFor();
  expect(await agent.locator(".helpdesk-agent-chat b").count()).toBe(0);

  await dialog.getByRole("button", { name: "结束会话" }).click();
  await dialog.getByRole("group", { name: "为本次服务评分" }).getByRole("button", { name: "2 分" }).click();
  await dialog.getByText("感谢您的评价").waitFor();
});

test("a ticket nobody answers within 4 working hours escalates: the requester sees it overdue, the tenant admin is told", async () => {
  const signedUser = await account(["supplier"]);
  // the inbox is filled for the accounts there when the breach is told
  const signedAdmin = await account(["tenant-admin"]);
  const agentToken = await platform.token({ tenantCode: HUIZHOU, roles: ["helpdesk-agent"] });
  const chat = (await platform.api("/api/helpdesk/chats", { method: "POST", token: signedUser.state.token, body: { text: "保证金没有退" } })).body;
  await platform.api(`/api/helpdesk/chats/${chat.id}/take`, { method: "POST", token: agentToken });
  const ticket = await platform.api("/api/workflows/helpdesk.ticket/instances", { method: "POST", token: agentToken, body: { data: { chatId: chat.id, subject: "投标保证金未退还", category: "金融服务", priority: "high", description: "保证金没有退" } } });
  expect(ticket.status).toBe(201);

  const user = await open(signedUser);
  await user.goto("/helpdesk/tickets");
  await ready(user);
  await user.getByRole("link", { name: "投标保证金未退还" }).click();
  await user.getByText("待答复").waitFor();
  expect(serious(await axeCheck(user))).toEqual([]);

  const due = new Date((await platform.api(`/api/helpdesk/tickets/${ticket.body.id}`, { token: signedUser.state.token })).body.firstResponseDue);
  platform.kernel.clock.travelTo(new Date(due.getTime() + 60_000));
  for (let i = 0; i < 100; i++) {
    const row = await platform.kernel.db.knex("helpdesk_tickets").where({ instance_id: ticket.body.id }).first();
    if (row.state === "escalated") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await user.reload();
  await user.getByText("首次答复超时（已升级）").first().waitFor();

  const admin = await open(signedAdmin);
  await admin.goto("/notifications");
  await admin.getByText("客服工单首次答复超时，已升级").first().waitFor();
});

test("guides: the list, a manual (Markdown, sanitized) and a page's help link pass WCAG 2.1 AA in Chinese and English", async () => {
  const root = await platform.token({ tenantCode: "440000", roles: ["platform-admin"] });
  const started = await platform.api("/api/workflows/helpdesk.guide/instances", {
    method: "POST",
    token: root,
    body: { data: { kind: "manual", title: "电子投标入门", titleEn: "E-bidding primer", roles: ["public"], subsystem: "portal", pages: ["/notices"], body: "# 投标\n\n1. **登录**\n2. 上传<script>window.bad=1</script>投标文件" } },
  });
  expect((await platform.api(`/api/instances/${started.body.id}/transitions/publish`, { method: "POST", token: root, body: {} })).status).toBe(200);
  const page = await open(null);
  await page.goto("/help");
  await ready(page);
  await page.goto("/notices");
  await page.getByRole("link", { name: "本页帮助 Help" }).click();
  await page.getByRole("heading", { level: 1, name: "电子投标入门" }).waitFor();
  expect(await page.evaluate("window.bad")).toBeUndefined();
  await expect(page.locator(".guide-body strong").textContent()).resolves.toBe("登录");
  expect(serious(await axeCheck(page))).toEqual([]);
  await page.goto("/help/guides");
  await ready(page);
  await page.getByRole("link", { name: "电子投标入门" }).waitFor();
  expect(serious(await axeCheck(page))).toEqual([]);
  await page.getByRole("button", { name: "切换语言：English" }).click();
  await page.waitForFunction(`document.documentElement.lang === "en"`);
  await page.getByRole("link", { name: "E-bidding primer" }).waitFor();
  expect(serious(await axeCheck(page))).toEqual([]);
  await page.getByRole("link", { name: "E-bidding primer" }).click();
  await page.getByRole("button", { name: "Print" }).waitFor();
  expect(serious(await axeCheck(page))).toEqual([]);
});
