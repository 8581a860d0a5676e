/**
 * Credit management in Debian's Chromium, on the demo's data (plugins/credit/demo.ts): (a) the listed
 * supplier's consortium excluded at the closing demo tender's cutoff, the screening snapshot read by the
 * committee (a review expert) in its browser (credit.consortium, credit.blacklists); (b) a rating round:
 * the purchaser rates the supplier and the agency in its browser, then the supplier reads its quarter
 * score and the formula. WCAG 2.1 AA in both languages on each page.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { poll } from "../support/http";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { linkPlugins } from "../support/plugins";
import { accessible, apiSignIn, ready, watchedPages } from "./a11y";
import { builtWebApp, launchChromium } from "./browser";

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, "../..");
const LEAD = "91441302MA52KQ7X3E";
let platform: TestPlatform;
let browser: Browser;
let pluginsDir: string;
const lines: string[] = [];

const signIn = (username: string, first: string) => apiSignIn(platform, username, first, `Guangdong-Credit-E2e-${first.slice(-3)}!`);

const open = watchedPages(() => ({ browser, baseUrl: platform.baseUrl }));

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  pluginsDir = linkPlugins(["registries", "supervision", "etrading", "credit"], "credit-e2e-plugins");
  platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms"), demoAccounts: true, deadlineCheckMs: 200 }, { log: (l) => lines.push(l) });
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  if (pluginsDir) fs.rmSync(pluginsDir, { recursive: true, force: true });
});

test("credit.consortium: the listed supplier's consortium is excluded at the demo tender's cutoff, and the committee's expert reads the snapshot in its browser", async () => {
  const line = lines.find((l) => l.startsWith("[demo] credit: huizhou.supplier3 bids"));
  const tender = /\/etrading\/tenders\/([0-9a-f-]{36})\/screening/.exec(line!)![1];
  const agency = await signIn("huizhou.agency", "441300801");
  const detail = (await platform.api(`/api/etrading/tenders/${tender}`, { token: agency.state.token })).body;
  platform.kernel.clock.travelTo(new Date(Date.parse(detail.bidDeadline) + 60_000).toISOString());
  await poll("the snapshot at the cutoff", () => platform.api(`/api/etrading/tenders/${tender}/screening`, { token: agency.state.token }), (r) => r.body?.status === "screened", 60_000);

  const page = await open(await signIn("huizhou.expert", "441300990"));
  await page.goto(`/etrading/tenders/${tender}/screening`);
  await ready(page);
  const row = page.getByRole("row").filter({ hasText: LEAD });
  await row.waitFor();
  expect(await row.textContent()).toContain("拒绝参与");
  expect(await row.textContent()).toContain("credit.consortium");
  expect(await row.textContent()).toContain("惠州市诚达照明工程有限公司");
  // the list version used is on the page: the snapshot says what it rested on
  expect(await page.locator("main").textContent()).toMatch(/dishonest-debtors: \d{4}-\d{2}-\d{2}/);
  await accessible(page, "screening");
});

test("a rating round: the purchaser rates the supplier and the agency in its browser; the supplier then reads its quarter score and the formula", async () => {
  const buyer = await signIn("huizhou.buyer", "441300401");
  const page = await open(buyer);
  await page.goto("/credit/ratings");
  await ready(page);
  await accessible(page, "ratings (owed)");
  const supplierForm = page.getByRole("form", { name: "评价 惠州市绿源照明科技有限公司" });
  const agencyForm = page.getByRole("form", { name: "评价 惠州市公共资源交易代理有限公司" });
  // the keyboard: into the star group, an arrow key to the next star
  await supplierForm.getByRole("radio", { name: "4 星" }).focus();
  await page.keyboard.press("ArrowRight");
  expect(await supplierForm.getByRole("radio", { name: "5 星" }).isChecked()).toBe(true);
  await supplierForm.getByLabel("评语（选填，500 字以内）").fill("供货及时，质量可靠");
  await supplierForm.getByRole("button", { name: "提交评价" }).click();
  await page.getByRole("status").filter({ hasText: "已提交 1 项评价" }).waitFor();
  await agencyForm.getByRole("radio", { name: "4 星" }).check();
  await agencyForm.getByRole("button", { name: "提交评价" }).click();
  await page.getByRole("status").filter({ hasText: "已提交 2 项评价" }).waitFor();
  expect(await page.getByText("没有待评价的项目").isVisible()).toBe(true);
  const owed = await platform.api("/api/credit/ratings/pending", { token: buyer.state.token });
  expect(owed.body.items).toEqual([]);

  // the supplier: 5 stars received, no record, nothing missed: 100 × 0.7 + 100 × 0.3 = 100
  const supplier = await open(await signIn("huizhou.supplier", "441300901"));
  await supplier.goto("/credit/ratings");
  await ready(supplier);
  const main = supplier.locator("main");
  await supplier.getByText(/100 分（满分 100）/).waitFor();
  expect(await main.textContent()).toContain("得分 = 评价分 × 0.7 + 信用记录分 × 0.3");
  expect(await main.textContent()).toContain("100 × 0.7 + 100 × 0.3 = 100");
  await accessible(supplier, "ratings (score)");
  await supplier.getByRole("button", { name: "切换语言：English" }).click();
  await supplier.getByText(/100 of 100/).waitFor();
  expect(await main.textContent()).toContain("score = rating points × 0.7 + record points × 0.3");
});
