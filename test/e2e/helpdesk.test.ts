/**
 * The helpdesk assistant in Chromium (issue 23): a signed-out visitor opens the chat from any page
 * with the keyboard, gets an answer with its source and two alternatives, asks for a person, and
 * the dialog hands focus back; the help page lists the FAQ. WCAG 2.1 AA on the open dialog.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { linkPlugins } from "../support/plugins";
import { axeCheck, cspViolations, serious, watchCsp } from "./a11y";
import { builtWebApp, launchChromium, newPage } from "./browser";

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, "../..");
let platform: TestPlatform;
let browser: Browser;
let pluginsDir: string;
let page: Page;
let errors: string[];

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  // the helpdesk alone: other plugins' work cannot stop this test
  pluginsDir = linkPlugins(["helpdesk"], "e2e-helpdesk-plugins");
  platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms") });
  const admin = await platform.token({ tenantCode: "440000", roles: ["platform-admin"] });
  const from = new Date(Date.now() + 60_000);
  await platform.api("/api/tenants/440000/modules/helpdesk", { method: "PUT", token: admin, body: { state: "live", from: from.toISOString() } });
  platform.kernel.clock.travelTo(new Date(from.getTime() + 60_000));
  const opened = await newPage(browser, platform.baseUrl);
  await watchCsp(opened.context);
  page = opened.page;
  errors = opened.errors;
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  fs.rmSync(pluginsDir, { recursive: true, force: true });
});

afterEach(async () => {
  expect(errors).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
});

test("a signed-out visitor opens the chat with the keyboard, gets an answer with its source and two alternatives, and focus returns on closing", async () => {
  await page.goto("/help");
  await page.getByRole("heading", { level: 1, name: "帮助中心：常见问题" }).waitFor();
  const opener = page.getByRole("button", { name: "在线客服 Help" });
  await opener.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "在线智能客服" });
  await dialog.waitFor();
  await expect(dialog.getByRole("link", { name: "400-183-2999" }).isVisible()).resolves.toBe(true);

  await dialog.getByLabel("您的问题").fill("第一次登录密码是什么？");
  await page.keyboard.press("Enter");
  const log = dialog.getByRole("log");
  await log.getByText("（faq-002）").waitFor();
  await expect(log.textContent()).resolves.toContain("预算编码");
  await expect(log.textContent()).resolves.toContain("依据： 粤财采购函〔2020〕59号");
  await expect(log.getByRole("listitem").count()).resolves.toBe(2);
  expect(serious(await axeCheck(page))).toEqual([]);

  await dialog.getByRole("button", { name: "转人工" }).click();
  await log.getByText(/已为您转人工客服/).waitFor();

  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  expect(await page.evaluate("document.activeElement?.textContent")).toBe("在线客服 Help");
});

test("the help page lists the FAQ by category and filters it", async () => {
  await page.goto("/help");
  await page.getByRole("heading", { level: 2, name: "账号与登录" }).waitFor();
  await page.getByLabel("搜索常见问题").fill("保证金");
  await page.getByText("投标保证金什么时候退还？").waitFor();
  await expect(page.getByRole("heading", { level: 2, name: "账号与登录" }).count()).resolves.toBe(0);
});
