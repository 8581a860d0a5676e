/**
 * A regulator's penalty and appeal in Debian's Chromium (plugins/credit: POST /api/credit/penalties, PATCH
 * /api/credit/facts/:id/appeal; web/src/credit/pages.tsx): huizhou.regulator opens the penalty form from the
 * credit imports page, sends a period that ends before it starts and reads the server's refusal at its field,
 * corrects it and lands on the party's credit file with the new record, barred (credit.blacklists); then
 * records the appeal as overturned on that file, and the bar is gone. A party reading its own file has no
 * such control. WCAG 2.1 AA in both languages on each page.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { usccCheckChar } from "../../core/forms/formats";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { linkPlugins } from "../support/plugins";
import { accessible, apiSignIn, ready, watchedPages } from "./a11y";
import { builtWebApp, launchChromium } from "./browser";

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, "../..");
// a party on no demo list and with no record: whatever bars it below is the penalty recorded here
const CODE = `91441302MA4PEN001${usccCheckChar("91441302MA4PEN001")}`;
const NAME = "惠州市恒信达建材有限公司";
const TITLE = "提供虚假材料谋取中标";
const DECISION = "惠财采罚〔2026〕7号";
// huizhou.supplier2 (tenants/demo-accounts.csv), warned by the Huizhou regulator in the demo (plugins/credit/demo.ts)
const SUPPLIER2 = "91441300MA5D3H8R1T";

let platform: TestPlatform;
let browser: Browser;
let pluginsDir: string;

const signIn = (username: string, first: string) => apiSignIn(platform, username, first, `Guangdong-Penalty-E2e-${first.slice(-3)}!`);

const open = watchedPages(() => ({ browser, baseUrl: platform.baseUrl }));

/** A day in China, `days` after the platform's today. */
function chinaDay(days: number): string {
  return new Date(platform.kernel.clock.now().getTime() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  pluginsDir = linkPlugins(["registries", "supervision", "etrading", "credit"], "credit-penalty-e2e-plugins");
  platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms"), demoAccounts: true });
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  if (pluginsDir) fs.rmSync(pluginsDir, { recursive: true, force: true });
});

test("credit.blacklists: the regulator records a penalty through the form (a bad period refused at its field first), reads it on the party's file, records the appeal overturned, and the bar goes", async () => {
  const regulator = await signIn("huizhou.regulator", "441300001");
  const page = await open(regulator);
  await page.goto("/credit/imports");
  await ready(page);
  await page.getByRole("region", { name: "信用档案与行政处罚" }).getByRole("link", { name: "登记行政处罚" }).click();
  await page.waitForURL(/\/credit\/penalties\/new$/);
  await ready(page);
  await page.locator("#penalty_subjectCode").waitFor();
  await accessible(page, "penalty form");

  await page.getByLabel("被处罚单位的统一社会信用代码").fill(CODE);
  await page.getByLabel("被处罚单位名称").fill(NAME);
  expect(await page.getByLabel("主体类别").locator("option:checked").textContent()).toBe("供应商");
  await page.getByLabel("处罚决定书文号").fill(DECISION);
  await page.getByLabel("处罚事由（中文）").fill(TITLE);
  await page.getByLabel("处罚事由（英文）").fill("False documents submitted to win a contract");
  await page.getByLabel("处罚决定日期").fill(chinaDay(-1));
  await page.getByLabel("禁止参加政府采购活动").check();
  await page.getByLabel("处罚期限起始日").fill(chinaDay(-1));
  // the last day before the first: only the server knows the two belong together
  await page.getByLabel("处罚期限截止日").fill(chinaDay(-2));
  await page.getByLabel("重大违法记录").check();
  await page.getByLabel("在信用信息公示页公开").check();
  await page.getByRole("button", { name: "登记", exact: true }).click();

  // the refusal, announced at the top (role alert, focused) and beside its field
  const summary = page.locator(".error-summary[role=alert]");
  await summary.waitFor();
  expect(await summary.textContent()).toContain("处罚期限截止日：结束日期早于开始日期");
  await page.waitForFunction("document.activeElement?.classList.contains('error-summary')");
  const endsOn = page.locator("#penalty_endsOn");
  expect(await endsOn.getAttribute("aria-invalid")).toBe("true");
  const describedBy = (await endsOn.getAttribute("aria-describedby")) ?? "";
  const beside = await page.evaluate<string>(`${JSON.stringify(describedBy)}.split(/\\s+/).map((id) => document.getElementById(id)?.textContent ?? "").join(" ")`);
  expect(beside).toContain("结束日期早于开始日期");
  expect(page.url()).toMatch(/\/credit\/penalties\/new$/);
  // nothing was written
  const before = await platform.api(`/api/credit/files/${CODE}`, { token: regulator.state.token });
  expect(before.body.facts).toEqual([]);

  // by keyboard: the summary's link to the field, a new last day, Enter on the button
  await summary.getByRole("link").first().press("Enter");
  await page.waitForFunction("document.activeElement?.id === 'penalty_endsOn'");
  await endsOn.fill(chinaDay(364));
  await page.getByRole("button", { name: "登记", exact: true }).press("Enter");

  await page.waitForURL(new RegExp(`/credit/files/${CODE}\\?recorded=`));
  await ready(page);
  const main = page.locator("main");
  await page.getByRole("status").filter({ hasText: `已登记行政处罚：${TITLE}` }).waitFor();
  expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(`信用档案：${NAME}`);
  const row = page.getByRole("row").filter({ hasText: DECISION });
  expect(await row.textContent()).toContain(TITLE);
  expect(await row.textContent()).toContain("禁止参加政府采购活动");
  expect(await row.textContent()).toContain("重大违法记录");
  expect(await row.textContent()).toContain(`${chinaDay(-1)} – ${chinaDay(364)}`);
  expect(await row.textContent()).toContain("未申请复议或诉讼");
  // credit.blacklists: a penalty that bars, in its period, keeps the party out of procurement today
  expect(await row.textContent()).toContain("credit.blacklists");
  expect(await main.textContent()).toContain("目前被限制参加政府采购活动");
  const recorded = await platform.api(`/api/credit/files/${CODE}`, { token: regulator.state.token });
  expect(recorded.body.barredToday).toBe(true);
  expect(recorded.body.facts).toEqual([expect.objectContaining({ kind: "penalty", rule: "credit.blacklists", reference: DECISION, bars: true, major: true, published: true, appealState: "none", startsOn: chinaDay(-1), endsOn: chinaDay(364) })]);
  await accessible(page, "credit file (regulator)");

  // the appeal: the state chosen in the row's control and recorded, by keyboard
  const appeal = page.getByLabel(`${TITLE}：复议诉讼状态`);
  await appeal.selectOption("overturned");
  // the button's name says which record (记录, and the record's title for a screen reader)
  await page.getByRole("button", { name: new RegExp(`^记录\\s*：${TITLE}$`) }).press("Enter");
  await page.getByRole("status").filter({ hasText: `已记录：${TITLE}，复议诉讼状态为「已撤销」` }).waitFor();
  await page.getByText("目前无限制").waitFor();
  expect(await row.textContent()).toContain("已撤销");
  // credit.blacklists: an overturned penalty no longer bars the party
  expect(await main.textContent()).not.toContain("目前被限制参加政府采购活动");
  const overturned = await platform.api(`/api/credit/files/${CODE}`, { token: regulator.state.token });
  expect(overturned.body.barredToday).toBe(false);
  expect(overturned.body.facts[0].appealState).toBe("overturned");
  await accessible(page, "credit file (appeal recorded)");

  await page.getByRole("button", { name: "切换语言：English" }).click();
  await page.getByText("No bar now").waitFor();
  expect(await row.textContent()).toContain("Overturned");
  expect(await page.getByLabel("False documents submitted to win a contract: appeal state").inputValue()).toBe("overturned");
  // the file's way to another penalty of the same party: the form starts with its code and name
  await page.getByRole("link", { name: "Record a penalty of this party" }).click();
  await page.waitForURL(/\/credit\/penalties\/new\?/);
  await ready(page);
  expect(await page.locator("#penalty_subjectCode").inputValue()).toBe(CODE);
  expect(await page.locator("#penalty_subjectName").inputValue()).toBe(NAME);
});

test("a party reading its own credit file sees its records and no control to record a penalty or an appeal; the penalty page tells it who may", async () => {
  const supplier = await signIn("huizhou.supplier2", "441300902");
  const page = await open(supplier);
  await page.goto(`/credit/files/${SUPPLIER2}`);
  await ready(page);
  const row = page.getByRole("row").filter({ hasText: "未按合同约定期限交货，予以警告" });
  await row.waitFor();
  expect(await row.textContent()).toContain("未申请复议或诉讼");
  expect(await page.locator("main select").count()).toBe(0);
  expect(await page.getByRole("columnheader", { name: "记录复议诉讼状态" }).count()).toBe(0);
  expect(await page.getByRole("link", { name: "为该单位登记行政处罚" }).count()).toBe(0);
  await accessible(page, "credit file (the party)");
  // and the server agrees: the appeal is the regulators'
  const fact = (await platform.api(`/api/credit/files/${SUPPLIER2}`, { token: supplier.state.token })).body.facts[0];
  const refused = await platform.api(`/api/credit/facts/${fact.id}/appeal`, { method: "PATCH", token: supplier.state.token, body: { appealState: "overturned" } });
  expect(refused.status).toBe(403);

  await page.goto("/credit/penalties/new");
  await ready(page);
  expect(await page.locator("main").textContent()).toContain("只有监管部门可以登记行政处罚。");
  expect(await page.locator("main form").count()).toBe(0);
});
