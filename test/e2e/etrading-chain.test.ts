/**
 * Issue 18's chain in Debian's Chromium: one public tender carried from a filed plan to an opened bid
 * by the people who do it, each in its own browser, through the web pages: the agency the plan
 * entrusts drafts and publishes the documents, three suppliers obtain them and seal their bids in
 * their browsers, the custodians (agency, purchaser, supervisor) make their keys in theirs, and after
 * the deadline two of them hand in their shares; the opening record shows the three prices, a bidder
 * confirms it and the regulator reads it. The law's 20 days to the deadline (`tender.biddingPeriod`)
 * are kept: the platform's clock is moved past the deadline rather than the deadline shortened.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { linkPlugins } from "../support/plugins";
import { apiSignIn, cspViolations, ready, useSession, watchCsp, type Signed } from "./a11y";
import { builtWebApp, launchChromium, newPage } from "./browser";

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, "../..");
const TITLE = "惠州市隧道通风设备更新采购（全流程）";
const AGENCY_CODE = "91441300MA51XH3T8F";
const PEOPLE = {
  buyer: ["huizhou.buyer", "441300401"],
  agency: ["huizhou.agency", "441300801"],
  regulator: ["huizhou.regulator", "441300001"],
  supplier1: ["huizhou.supplier", "441300901"],
  supplier2: ["huizhou.supplier2", "441300902"],
  supplier3: ["huizhou.supplier3", "441300903"],
} as const;
type Who = keyof typeof PEOPLE;
const PRICES: Record<"supplier1" | "supplier2" | "supplier3", string> = { supplier1: "1710000.00", supplier2: "1688000.00", supplier3: "1745500.00" };

let platform: TestPlatform;
let browser: Browser;
let pluginsDir: string;
const sessions = {} as Record<Who, Signed>;
const pages = {} as Record<Who, { page: Page; errors: string[] }>;

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  // e-trading and what it builds on, linked so that other plugins' work in progress cannot stop it
  pluginsDir = linkPlugins(["registries", "supervision", "etrading"], "etrading-chain-plugins");
  platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms"), demoAccounts: true, deadlineCheckMs: 200 });
  for (const [who, [username, first]] of Object.entries(PEOPLE) as Array<[Who, readonly [string, string]]>) {
    sessions[who] = await apiSignIn(platform, username, first, `Chain-${first.slice(-3)}-Etrading-2026!`);
    const p = await newPage(browser, platform.baseUrl);
    await watchCsp(p.context);
    await useSession(p.page, sessions[who]);
    pages[who] = p;
  }
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  if (pluginsDir) fs.rmSync(pluginsDir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const [who, p] of Object.entries(pages)) {
    expect([who, p.errors]).toEqual([who, []]);
    expect([who, await cspViolations(p.page)]).toEqual([who, []]);
  }
});

async function call(who: Who, url: string, body?: unknown) {
  const r = await platform.api(url, body === undefined ? { token: sessions[who].state.token } : { method: "POST", token: sessions[who].state.token, body });
  if (r.status >= 300) throw new Error(`${who} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Clicks a workflow step's button on an instance page and confirms it. */
async function step(page: Page, name: string) {
  await page.getByRole("button", { name, exact: true }).click();
  await page.getByRole("button", { name: `确认${name}` }).click();
  await page.getByRole("status").filter({ hasText: `已完成：${name}` }).waitFor();
}

const china = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 16);

let projectId = "";
let tenderId = "";
let instancePath = "";
let deadline: Date;

test("the purchaser's plan, entrusting the agency and executed on e-trading, is filed by the regulator", async () => {
  const intention = await call("buyer", "/api/workflows/supervision.intention/instances", { data: { projectName: TITLE, summary: "三条隧道射流风机及控制系统更新", budget: "1900000.00", expectedMonth: "2027-03" } });
  await call("buyer", `/api/instances/${intention.id}/transitions/publish`, {});
  projectId = intention.data.projectId;
  const plan = await call("buyer", "/api/workflows/supervision.plan/instances", {
    data: {
      projectId, budgetCode: "441300401", fundsSource: "current-year-quota", method: "public-tender", agencyCode: AGENCY_CODE, smeShare: 40, total: "1800000.00",
      items: [{ category: "A02052300", name: "射流风机", quantity: 36, unit: "台", unitPrice: "50000.00", amount: "1800000.00" }],
      exemptionReason: "隧道通风安全隐患整改，依法豁免意向公开时限",
    },
  });
  await call("agency", `/api/instances/${plan.id}/transitions/submit`, {});
  await call("regulator", `/api/instances/${plan.id}/transitions/file`, {});
  await call("agency", `/api/instances/${plan.id}/transitions/choose-channel`, { data: { channel: "etrading" } });
});

test("the agency drafts the documents from the filed plan; a deadline shorter than tender.biddingPeriod is refused at its field; it publishes with a lawful one", async () => {
  const page = pages.agency.page;
  // 21 days on at 09:30 China time: past tender.biddingPeriod's 20 days and the documents' 5 working days
  const day = new Date(Date.now() + 21 * 86_400_000);
  deadline = new Date(`${china(day).slice(0, 10)}T09:30:00+08:00`);
  await page.goto(`/start/etrading.public-tender?projectId=${projectId}`);
  await ready(page);
  await page.locator("#root_title").fill(TITLE);
  await page.locator("#root_maxPrice").fill("1760000.00");
  await page.locator("#root_requirements").fill("射流风机36台，含安装调试及五年质保");
  await page.locator("#root_qualifications").fill("具有独立承担民事责任的能力；参加采购活动前三年内无重大违法记录。");
  await page.locator("#root_scoring").fill("综合评分法：价格分30分，技术分50分，商务分20分。");
  await page.locator("#root_deposit_kind").selectOption({ label: "保函（含电子保函）" });
  await page.locator("#root_deposit_amount").fill("17600.00");
  // ten days is shorter than the law allows: refused at the field, naming the rule (tender.biddingPeriod)
  const tooSoon = new Date(Date.now() + 10 * 86_400_000);
  await page.locator("#root_creditQueryCutoff").fill(china(tooSoon));
  await page.locator("#root_bidDeadline").fill(china(tooSoon));
  await page.getByRole("button", { name: "提交", exact: true }).click();
  await page.locator(".form-group", { has: page.locator("#root_bidDeadline") }).getByText("tender.biddingPeriod").waitFor();
  await page.locator("#root_creditQueryCutoff").fill(china(deadline));
  await page.locator("#root_bidDeadline").fill(china(deadline));
  await page.getByRole("button", { name: "提交", exact: true }).click();
  await page.waitForURL(/\/instances\/[0-9a-f-]{36}\?started=1/);
  instancePath = new URL(page.url()).pathname;
  await step(page, "发布采购公告");
  const mine = await call("agency", `/api/etrading/tenders?mine=1&q=${encodeURIComponent(TITLE)}`);
  expect(mine.items.map((t: { status: string; bidDeadline: string }) => [t.status, t.bidDeadline])).toEqual([["published", deadline.toISOString()]]);
  tenderId = mine.items[0].id;
});

test("the custodians make their keys in their own browsers: the agency, the purchaser and the supervising regulator", async () => {
  for (const [who, custodian] of [["agency", "agency"], ["buyer", "purchaser"], ["regulator", "supervisor"]] as const) {
    const page = pages[who].page;
    // the purchaser finds the agency's tender among its own
    await page.goto(`/etrading/tenders/${tenderId}`);
    await page.getByRole("heading", { level: 1, name: TITLE }).waitFor();
    await page.goto(`/etrading/tenders/${tenderId}/custodians/${custodian}`);
    await ready(page);
    await page.getByRole("button", { name: "生成密钥并登记公钥" }).click();
    await page.getByText("密钥已生成，公钥已登记").waitFor();
  }
  const held = await platform.kernel.db.knex("etrading_custodian_keys").where({ tender_id: tenderId });
  expect(held.map((k) => k.custodian).sort()).toEqual(["agency", "purchaser", "supervisor"]);
});

test("three suppliers find the tender, obtain its documents and seal their bids in their browsers", async () => {
  for (const who of ["supplier1", "supplier2", "supplier3"] as const) {
    const page = pages[who].page;
    await page.goto("/etrading/tenders");
    await ready(page);
    await page.getByRole("link", { name: TITLE }).click();
    await page.getByRole("heading", { level: 1, name: TITLE }).waitFor();
    await page.getByRole("button", { name: "获取采购文件" }).click();
    await page.getByRole("link", { name: "递交投标文件" }).click();
    await ready(page);
    await page.getByLabel("投标报价（元）").fill(PRICES[who]);
    await page.getByLabel("响应说明").fill(`${who} 技术响应：射流风机36台`);
    await page.getByLabel("投标文件附件").setInputFiles({ name: "技术响应.txt", mimeType: "text/plain", buffer: Buffer.from(`${who}｜${PRICES[who]}`) });
    await page.getByRole("button", { name: "加密并递交" }).click();
    await page.getByText("回执签名已在本机核验").waitFor();
  }
  // the server holds three sealed bids and not one price in clear
  const rows = await platform.kernel.db.knex("etrading_bids").where({ tender_id: tenderId });
  expect(rows).toHaveLength(3);
  const stored = JSON.stringify(rows) + rows.map((r) => Buffer.from(r.ciphertext).toString("latin1")).join("");
  for (const price of Object.values(PRICES)) expect([price, stored.includes(price)]).toEqual([price, false]);
  // before the deadline nobody, the regulator included, sees who bid (tender.bidderListConfidential)
  expect((await platform.api(`/api/etrading/tenders/${tenderId}/bids`, { token: sessions.regulator.state.token })).status).toBe(409);
});

test("past the deadline the tender opens by itself; the agency and the supervisor hand in their shares and the record shows the three prices", async () => {
  platform.kernel.clock.travelTo(new Date(deadline.getTime() + 60_000));
  // the deadline timer (tender.opening.atDeadline) moves the procedure to the opening
  for (let i = 0; i < 100; i++) {
    const t = await call("agency", `/api/etrading/tenders/${tenderId}`);
    if (t.status === "opening") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect((await call("agency", `/api/etrading/tenders/${tenderId}`)).status).toBe("opening");
  await pages.agency.page.getByRole("button", { name: "解密并提交份额" }).click();
  await pages.agency.page.getByText("已提交 3 份密钥份额").waitFor();
  // one custodian's shares open nothing: the supervisor's complete each bid
  const regulator = pages.regulator.page;
  await regulator.getByRole("button", { name: "解密并提交份额" }).click();
  await regulator.getByText("已提交 3 份密钥份额").waitFor();
  const record = await regulator.getByRole("table").innerText();
  for (const price of Object.values(PRICES)) expect(record).toContain(price);
  expect(record.match(/已解密/g)).toHaveLength(3);
});

test("a bidder reads the record on its bid page and confirms it; the agency records the opening; the regulator reads the record and who registered", async () => {
  const page = pages.supplier2.page;
  await page.goto(`/etrading/tenders/${tenderId}/bid`);
  await ready(page);
  await page.getByRole("button", { name: "确认开标记录" }).click();
  await page.getByText("贵单位已确认开标记录").waitFor();
  const confirmed = await platform.kernel.db.knex("etrading_opening_confirmations").where({ tender_id: tenderId });
  expect(confirmed.map((c) => [c.supplier_code, c.confirmed])).toEqual([["91441300MA5D3H8R1T", true]]);
  // the agency records the opening on the procedure's page: the tender is opened
  await pages.agency.page.goto(instancePath);
  await step(pages.agency.page, "确认开标记录");
  expect((await call("agency", `/api/etrading/tenders/${tenderId}`)).status).toBe("opened");
  // the regulator reads the tender: the bidder list is open now
  const regulator = pages.regulator.page;
  await regulator.goto(`/etrading/tenders/${tenderId}`);
  await ready(regulator);
  const registered = await regulator.locator("#tender-registrations").locator("..").innerText();
  for (const name of ["惠州市绿源照明科技有限公司", "惠州市明途光电科技有限公司", "惠州市智联交通设备有限公司"]) expect(registered).toContain(name);
  // and the opening record in the opening hall (远程开标), with the three prices
  await regulator.goto(`/etrading/tenders/${tenderId}/opening`);
  await ready(regulator);
  for (const price of Object.values(PRICES)) await regulator.getByTestId("hall-record").getByText(price).waitFor();
});
