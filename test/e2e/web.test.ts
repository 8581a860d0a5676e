/**
 * The web app as people use it, in Debian's Chromium, against a whole platform (the kernel with
 * every plugin, on its own database, serving the built web/dist): the story of one procurement
 * plan in Huizhou, Maoming's administrator moving a date, and the public reading along.
 * Screenshots land in test/e2e/artifacts/.
 */
import type { Browser, Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { builtWebApp, firstSignIn, launchChromium, newPage, shot, signIn } from "./browser";
import { see } from "./see";
import { cspViolations, watchCsp } from "./a11y";

jest.setTimeout(180_000);

let platform: TestPlatform;
let browser: Browser;
const pages: Array<{ page: Page; errors: string[] }> = [];

const PASSWORD = { buyer: "Huizhou-Buyer-2027!", regulator: "Huizhou-Regulator-2027!", maoming: "Maoming-Admin-2027!" };
/** the page itself is no wider than the window (wide tables scroll inside their own box) */
const FITS = "document.documentElement.scrollWidth <= window.innerWidth + 1";
const PROJECT = `惠州市交通运输局执法装备采购 ${Date.now().toString(36)}`;

/** The number on the bell (0 when it shows none). */
async function unread(page: Page): Promise<number> {
  const badge = page.getByTestId("bell-count");
  return (await badge.count()) ? Number(await badge.innerText()) : 0;
}

async function open(viewport?: { width: number; height: number }) {
  const p = await newPage(browser, platform.baseUrl, viewport);
  // the gateway's Content-Security-Policy: the built app, rjsf and its validator must work under it
  await watchCsp(p.context);
  p.page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) p.errors.push(m.text());
  });
  pages.push(p);
  return p;
}

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  // Tokens of 30 s: the session must renew them while people work.
  platform = await startTestPlatform({ demoAccounts: true, accessTokenTtl: 30 });
  // The purchasing unit of the demo purchaser, as the registry holds it (an intention names it);
  // registered here unless the demo data already has it.
  const admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
  const unit = await platform.api("/api/registries/purchasers", {
    method: "POST",
    token: admin,
    body: { name: "惠州市交通运输局", budgetCode: "441300401", tenantCode: "441300", unitType: "government-agency" },
  });
  const already = unit.status === 400 && unit.body?.error?.details?.[0]?.rule === "unique";
  if (unit.status !== 201 && !already) throw new Error(`registering the demo purchaser: ${unit.status} ${JSON.stringify(unit.body)}`);
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

afterEach(async () => {
  // no page may have thrown a script error or met the CSP along the way
  for (const p of pages) {
    expect(p.errors).toEqual([]);
    if (!p.page.isClosed()) expect(await cspViolations(p.page)).toEqual([]);
  }
});

describe("the web app in Chromium", () => {
  let buyer: Page;
  let regulator: Page;

  test("a wrong password is refused plainly; the first sign-in with the budget code leads to its own password screen, then to the workspace", async () => {
    ({ page: buyer } = await open());
    await signIn(buyer, "huizhou.buyer", "not-the-code");
    await see(buyer.getByRole("alert")).toContainText("用户名或密码不正确");
    await firstSignIn(buyer, "huizhou.buyer", "441300401", PASSWORD.buyer);
    await buyer.waitForURL(/\/work$/);
    await buyer.getByRole("heading", { level: 1, name: "我的工作台" }).waitFor();
    await shot(buyer, "workspace");
  });

  test("the regulator signs in too and waits in the workspace", async () => {
    ({ page: regulator } = await open());
    await firstSignIn(regulator, "huizhou.regulator", "441300001", PASSWORD.regulator);
    await regulator.waitForURL(/\/work$/);
    await regulator.getByRole("heading", { level: 1, name: "我的工作台" }).waitFor();
  });

  test("the purchaser opens a project with its intention, and publishes it", async () => {
    await buyer.goto("/projects");
    await buyer.getByRole("link", { name: "新建项目（公开采购意向）" }).click();
    await buyer.waitForURL(/\/start\/supervision\.intention/);
    await buyer.locator("#root_projectName").fill(PROJECT);
    await buyer.locator("#root_summary").fill("执法记录仪及配套设备，共 2 台");
    await buyer.locator("#root_budget").fill("５００，０００");
    // full-width digits and separators typed through a Chinese input method come out as a money string
    await see(buyer.locator("#root_budget")).toHaveValue("500000");
    await see(buyer.locator("#root_budget__words")).toHaveText("伍拾万元整");
    await buyer.locator("#root_expectedMonth").fill("2027-03");
    await buyer.getByRole("button", { name: "提交", exact: true }).click();
    await buyer.waitForURL(/\/instances\/[0-9a-f-]{36}\?started=1/);
    await buyer.getByRole("button", { name: "公开", exact: true }).click();
    await buyer.getByRole("button", { name: "确认公开" }).click();
    await see(buyer.getByRole("status")).toContainText("已完成：公开");
    await see(buyer.getByTestId("history")).toContainText("公开");
    await shot(buyer, "instance-intention");
  });

  test("the public portal lists the published notice, finds it by search and opens it, without signing in", async () => {
    const { page } = await open();
    await page.goto("/notices?type=intention");
    await see(page.locator(".notice-list")).toContainText(PROJECT, { timeout: 20_000 });
    await page.locator('input[type="search"]').fill(PROJECT.split(" ")[1]);
    await page.getByRole("button", { name: "搜索" }).click();
    await page.waitForURL(/q=/);
    await page.getByRole("link", { name: PROJECT }).click();
    await page.getByRole("heading", { level: 1, name: PROJECT }).waitFor();
    await see(page.locator("main")).toContainText("¥500,000.00");
    await shot(page, "portal-notice");
    await page.goto("/notices");
    await shot(page, "portal");
  });

  test("the purchaser files the plan through its form: the server's errors appear at their fields, the corrected plan goes through", async () => {
    await buyer.getByRole("link", { name: "查看所属项目" }).click();
    await buyer.waitForURL(/\/projects\/[0-9a-f-]{36}$/);
    await see(buyer.getByTestId("stages")).toContainText("采购意向");
    await shot(buyer, "project");
    await buyer.getByRole("link", { name: "办理：采购计划备案" }).click();
    await buyer.waitForURL(/\/start\/supervision\.plan\?/);
    // the link filled in the project and the unit
    await see(buyer.locator("#root_budgetCode")).toHaveValue("441300401");
    await buyer.locator("#root_fundsSource").selectOption({ label: "当年资金指标" });
    await buyer.locator("#root_method").selectOption({ label: "公开招标" });
    await buyer.locator("#root_items_0_category").fill("A02010104");
    await buyer.locator("#root_items_0_name").fill("执法记录仪");
    await buyer.locator("#root_items_0_quantity").fill("2");
    await buyer.locator("#root_items_0_unit").fill("台");
    await buyer.locator("#root_items_0_unitPrice").fill("100000.00");
    await buyer.locator("#root_items_0_amount").fill("250000.00"); // not 2 × 100000.00: only the server knows
    await buyer.locator("#root_total").fill("250000.00");
    await buyer.locator("#root_smeShare").fill("30");
    // every input is named by a label tied to it
    for (const id of await buyer.locator("form input:visible, form select:visible, form textarea:visible").evaluateAll((els) => els.map((e) => (e as unknown as { id: string }).id))) {
      expect(await buyer.locator(`label[for="${id}"]`).count()).toBeGreaterThan(0);
    }
    await buyer.getByRole("button", { name: "提交", exact: true }).click();

    // the server's refusal, beside the amount and in the summary above the form
    const amountField = buyer.locator(".form-group", { has: buyer.locator("#root_items_0_amount") });
    await see(amountField).toContainText("应为 数量×单价 = 200000.00");
    await see(buyer.locator(".error-summary")).toContainText("采购明细 › 第 1 项 › 金额（元）");
    await see(buyer.locator(".error-summary")).toBeFocused();
    await shot(buyer, "plan-server-error");
    // the summary's link takes the keyboard to the field
    await buyer.locator(".error-summary a").first().click();
    await see(buyer.locator("#root_items_0_amount")).toBeFocused();
    await buyer.locator("#root_items_0_amount").fill("200000.00");
    await see(amountField).not.toContainText("应为 数量×单价");
    await buyer.locator("#root_total").fill("200000.00");
    await buyer.getByRole("button", { name: "提交", exact: true }).click();

    // the intention was published today, not 30 days ago: the server asks for the exemption's reason, at its field
    const reason = buyer.locator(".form-group", { has: buyer.locator("#root_exemptionReason") });
    await see(reason).toContainText("采购意向应至少提前 30 日公开");
    await buyer.locator("#root_exemptionReason").fill("防汛应急执法需要，依法豁免意向公开时限");
    await buyer.getByRole("button", { name: "提交", exact: true }).click();
    await buyer.waitForURL(/\/instances\/[0-9a-f-]{36}\?started=1/);
    await see(buyer.locator("main")).toContainText("草稿");
  });

  test("the purchaser submits it for filing; the regulator's bell rings without a reload, and the regulator files it", async () => {
    const unreadBefore = await unread(regulator);
    await buyer.getByRole("button", { name: "报送备案" }).click();
    await buyer.getByRole("button", { name: "确认报送备案" }).click();
    await see(buyer.getByRole("status")).toContainText("已完成：报送备案");

    // live, in the other browser context: no reload
    await see(regulator.getByTestId("bell-count")).toHaveText(String(unreadBefore + 1), { timeout: 20_000 });
    await regulator.getByRole("button", { name: new RegExp(`通知，${unreadBefore + 1} 条未读`) }).click();
    await shot(regulator, "bell");
    // the newest first (the demo data has plans of its own waiting)
    await regulator.locator(".bell-item", { hasText: "有采购计划待备案" }).first().click();
    await regulator.waitForURL(/\/instances\//);
    // opening it marked it read
    await see(regulator.getByRole("button", { name: unreadBefore ? new RegExp(`通知，${unreadBefore} 条未读`) : /^通知$/ })).toBeVisible();
    await regulator.getByRole("button", { name: "备案", exact: true }).click();
    await regulator.getByRole("button", { name: "确认备案" }).click();
    await see(regulator.getByRole("status")).toContainText("已完成：备案");
    await see(regulator.locator("main")).toContainText("已备案");
    await shot(regulator, "instance-filed");

    // and the purchaser hears back, live as well; the open page shows the new state
    await see(buyer.getByRole("button", { name: /通知，\d+ 条未读/ })).toBeVisible();
    await see(buyer.locator("main")).toContainText("已备案");
  });

  test("the session renews its token before it expires and goes on working", async () => {
    const before = await buyer.evaluate<string>(`JSON.parse(localStorage.getItem("gdpc.session") ?? "{}").token`);
    await buyer.waitForTimeout(31_000);
    await buyer.goto("/work");
    await buyer.getByRole("heading", { level: 1, name: "我的工作台" }).waitFor();
    await see(buyer.getByText("我发起的业务")).toBeVisible();
    const after = await buyer.evaluate<string>(`JSON.parse(localStorage.getItem("gdpc.session") ?? "{}").token`);
    expect(after).not.toBe(before);
    expect(buyer.url()).not.toContain("/login");
  });

  test("Maoming's administrator moves etrading's date; the matrix and the public calendar show it", async () => {
    const { page: admin } = await open();
    await firstSignIn(admin, "maoming.admin", "440900001", PASSWORD.maoming);
    await admin.getByRole("link", { name: "管理控制台" }).click();
    const cell = admin.locator('td[data-tenant="440900"][data-module="etrading"]');
    await see(cell).toContainText("全面上线");
    await shot(admin, "admin-matrix-before");
    await cell.getByRole("link").click();
    await admin.waitForURL(/\/admin\/440900\/etrading$/);
    await see(admin.getByTestId("timeline")).toContainText("2021-05-01");
    await admin.locator("#entry_state").selectOption({ label: "停止新业务" });
    await admin.locator("#entry_from").fill("2027-03-01");
    await admin.getByRole("button", { name: "保存安排" }).click();
    await see(admin.getByRole("status")).toContainText("下一次变化：停止新业务 2027-03-01");
    await see(admin.getByTestId("timeline")).toContainText("2027-03-01");
    await shot(admin, "admin-module");
    await admin.getByRole("link", { name: "返回模块矩阵" }).click();
    await see(cell).toContainText("2027-03-01");
    await see(cell).toContainText("停止新业务");
    await shot(admin, "admin-matrix-after");

    // anyone, signed in or not
    const { page } = await open();
    await page.goto("/calendar");
    const publicCell = page.locator('td[data-tenant="440900"][data-module="etrading"]');
    await see(publicCell).toContainText("2027-03-01");
    await see(page.getByTestId("upcoming")).toContainText("2027-03-01");
    await shot(page, "calendar");

    await admin.getByRole("link", { name: "仍在使用初始密码的账号" }).click();
    await see(admin.getByTestId("initial-accounts")).toContainText("maoming.buyer");
    await see(admin.getByTestId("initial-accounts")).not.toContainText("maoming.admin");
    await shot(admin, "admin-accounts");
  });

  test("the language switches to English and back, with the page's own words and the server's", async () => {
    await buyer.goto("/work");
    await buyer.getByRole("button", { name: "切换语言：English" }).click();
    await buyer.getByRole("heading", { level: 1, name: "My workspace" }).waitFor();
    expect(await buyer.evaluate<string>("document.documentElement.lang")).toBe("en");
    await buyer.goto("/projects");
    await see(buyer.getByTestId("projects")).toContainText("Plan filing");
    await shot(buyer, "projects-en");
    await buyer.getByRole("button", { name: "Switch language: 中文" }).click();
    await buyer.getByRole("heading", { level: 1, name: "我的项目" }).waitFor();
  });

  test("on a phone the menu folds away and the pages still fit", async () => {
    const { page } = await open({ width: 390, height: 844 });
    await page.goto("/calendar");
    await see(page.locator("#main-nav")).toBeHidden();
    await page.getByRole("button", { name: "菜单" }).click();
    await see(page.getByRole("link", { name: "办事指南" })).toBeVisible();
    expect(await page.evaluate<boolean>(FITS)).toBe(true);
    await shot(page, "phone-calendar");
    await page.goto("/login");
    expect(await page.evaluate<boolean>(FITS)).toBe(true);
    await shot(page, "phone-login");
  });

  test("a plan of 200 lines stays usable: shown, typed into and checked in the browser (figures in the log)", async () => {
    // A returned plan of 200 lines, made through the API as the purchaser's unit and the regulator would.
    const unitBuyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
    const reg = await platform.token({ roles: ["regulator"], tenantCode: "441300" });
    const call = async (path: string, token: string, body: unknown) => {
      const r = await platform.api(path, { method: "POST", token, body });
      if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const intention = await call("/api/workflows/supervision.intention/instances", unitBuyer, { data: { projectName: "全市中小学课桌椅更新", summary: "200 个品目", budget: "9000000.00", expectedMonth: "2027-04" } });
    await call(`/api/instances/${intention.id}/transitions/publish`, unitBuyer, { expectedVersion: intention.version });
    const items = Array.from({ length: 200 }, (_, i) => ({ category: "A05010201", name: `课桌椅 ${i + 1}`, quantity: (i % 5) + 1, unit: "套", unitPrice: "300.00", amount: `${((i % 5) + 1) * 300}.00` }));
    const total = `${items.reduce((sum, it) => sum + Number.parseInt(it.amount, 10), 0)}.00`;
    const plan = await call("/api/workflows/supervision.plan/instances", unitBuyer, {
      data: { projectId: intention.id, budgetCode: "441300401", fundsSource: "current-year-quota", method: "public-tender", items, total, smeShare: 40, exemptionReason: "开学前必须到位，依法豁免" },
    });
    const submitted = await call(`/api/instances/${plan.id}/transitions/submit`, unitBuyer, { expectedVersion: plan.version });
    await call(`/api/instances/${plan.id}/transitions/return`, reg, { data: { reason: "请核对单价" }, expectedVersion: submitted.version });

    await buyer.goto(`/instances/${plan.id}`);
    // The page loads the 200-line instance, its forms and its steps before it shows 修改; on a CI machine
    // busy with the other suite run that took longer than the default 15 s twice, so this step gets a minute.
    await buyer.getByRole("button", { name: "修改", exact: true }).click({ timeout: 60_000 });
    const t0 = Date.now();
    await buyer.locator("#t_revise_items_199_name").waitFor({ timeout: 60_000 });
    const shown = Date.now() - t0;
    await see(buyer.locator("#t_revise_items_199_name")).toHaveValue("课桌椅 200");
    // one keystroke, from the input event to the next frame painted, as the page measures it
    const keystroke = await buyer.evaluate<number>(`(async () => {
      const times = [];
      const input = document.getElementById("t_revise_items_100_name");
      const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
      for (const text of ["课桌椅 101 A", "课桌椅 101 AB", "课桌椅 101 ABC", "课桌椅 101 ABCD", "课桌椅 101 ABCDE"]) {
        const t0 = performance.now();
        set.call(input, text);
        input.dispatchEvent(new Event("input", { bubbles: true }));
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        times.push(performance.now() - t0);
      }
      return times.sort((a, b) => a - b)[2];
    })()`);
    await buyer.locator("#t_revise_items_150_amount").fill("1.234");
    const t1 = Date.now();
    await buyer.getByRole("button", { name: "确认修改" }).click();
    await see(buyer.locator(".error-summary")).toContainText("第 151 项");
    const checked = Date.now() - t1;
    await see(buyer.locator(".form-group", { has: buyer.locator("#t_revise_items_150_amount") })).toContainText("以元为单位，最多两位小数");
    await shot(buyer, "plan-200-lines", { fullPage: false });
    console.log(`200-line plan in Chromium: shown ${shown} ms after the click; a keystroke ${Math.round(keystroke)} ms to the next frame (median of 5); submit with the browser's check of all lines ${checked} ms`);
    // the figures are reported (web/README.md), not asserted: a loaded machine is no measure
  });

  test("the keyboard alone reaches the skip link and the main content", async () => {
    const { page } = await open();
    await page.goto("/guides");
    await page.getByRole("heading", { level: 1, name: "办事指南" }).waitFor();
    await page.keyboard.press("Tab");
    await see(page.getByRole("link", { name: "跳到主要内容" })).toBeFocused();
    await page.keyboard.press("Enter");
    await page.keyboard.press("Tab");
    // the next stop is inside <main>
    expect(await page.evaluate<boolean>(`!!document.activeElement?.closest("main")`)).toBe(true);
  });
});
