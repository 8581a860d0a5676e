/**
 * Forms and pages that make sense to the people using them, in Debian's Chromium against a whole
 * platform with the demo data: one click submits a corrected form, public notices and case pages
 * name fields and options as the forms do and show amounts one way.
 */
import type { Browser, Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { builtWebApp, firstSignIn, launchChromium, newPage, shot } from "./browser";
import { see } from "./see";

jest.setTimeout(180_000);

let platform: TestPlatform;
let browser: Browser;
const pages: Array<{ page: Page; errors: string[] }> = [];

async function open() {
  const p = await newPage(browser, platform.baseUrl);
  pages.push(p);
  return p.page;
}

/** Field names the demo data holds, which a person must never read on a page. */
const RAW = ["publishedAt", "documentHash", "filedOn", "startDate", "paymentTerms", "projectName", "fundsSource", "smeShare"];
/** Codes of the plan's options (method, funds, channel): shown by their names only. */
const CODES = /public-tender|invited-tender|competitive-|single-source|\binquiry\b|emall-|designated-point|current-year-quota|non-quota|non-fiscal|\betrading\b|legacy-execution|\boffline\b/;

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  platform = await startTestPlatform({ demoAccounts: true });
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

afterEach(() => {
  for (const p of pages) expect(p.errors).toEqual([]);
});

const PROJECT = `惠州市路灯采购 ${Date.now().toString(36)}`;

describe("forms and pages in Chromium", () => {
  let buyer: Page;

  test("one click submits a corrected form: the error leaving its field on blur does not pull the button away", async () => {
    buyer = await open();
    await firstSignIn(buyer, "huizhou.buyer", "441300401", "Huizhou-Buyer-Forms-2027!");
    await buyer.goto("/start/supervision.intention");
    await buyer.locator("#root_summary").fill("LED 路灯 200 盏");
    await buyer.locator("#root_budget").fill("500000");
    await buyer.locator("#root_expectedMonth").fill(`${new Date().getUTCFullYear() + 1}-06`);
    const submit = buyer.getByRole("button", { name: "提交", exact: true });
    await submit.click();
    const nameField = buyer.locator(".form-group", { has: buyer.locator("#root_projectName") });
    await see(nameField).toContainText("必填项");
    await buyer.locator("#root_projectName").fill(PROJECT);
    // Pressed near its lower edge, as a hurried hand does: a layout shift while the button is held
    // (the field's error going on blur) would put the release outside it, and the click would be lost.
    const box = (await submit.boundingBox())!;
    await submit.click({ position: { x: box.width / 2, y: box.height - 3 } });
    await buyer.waitForURL(/\/instances\/[0-9a-f-]{36}\?started=1/, { timeout: 10_000 });
  });

  test("the plan form: the project picked by its name, the budget code from the account, the lines and total added up as one types", async () => {
    await buyer.getByRole("button", { name: "公开", exact: true }).click();
    await buyer.getByRole("button", { name: "确认公开" }).click();
    await see(buyer.getByRole("status")).toContainText("已完成：公开");
    // opened straight from the workspace, with nothing in the link
    await buyer.goto("/start/supervision.plan");
    await see(buyer.locator("#root_budgetCode")).toHaveValue("441300401");
    const project = buyer.locator("#root_projectId");
    await see(project.locator("option", { hasText: PROJECT })).toHaveCount(1);
    await project.selectOption({ label: (await project.locator("option", { hasText: PROJECT }).innerText()).trim() });
    await buyer.locator("#root_fundsSource").selectOption({ label: "当年资金指标" });
    await buyer.locator("#root_method").selectOption({ label: "公开招标" });
    await buyer.locator("#root_items_0_category").fill("A02010104");
    await buyer.locator("#root_items_0_name").fill("LED 路灯");
    await buyer.locator("#root_items_0_quantity").pressSequentially("200");
    await buyer.locator("#root_items_0_unitPrice").pressSequentially("1234.5");
    await see(buyer.locator("#root_items_0_amount")).toHaveValue("246900.00");
    await see(buyer.locator("#root_total")).toHaveValue("246900.00");
    await see(buyer.locator("#root_total__words")).toHaveText("贰拾肆万陆仟玖佰元整");
    await buyer.getByRole("button", { name: /添加/ }).first().click();
    await buyer.locator("#root_items_1_category").fill("A02010105");
    await buyer.locator("#root_items_1_name").fill("灯杆");
    await buyer.locator("#root_items_1_quantity").fill("200");
    await buyer.locator("#root_items_1_unitPrice").fill("300.25");
    await see(buyer.locator("#root_items_1_amount")).toHaveValue("60050.00");
    await see(buyer.locator("#root_total")).toHaveValue("306950.00");
    await buyer.locator("#root_smeShare").fill("30");
    // published today: the 30-day lead needs the exemption's reason
    await buyer.locator("#root_exemptionReason").fill("道路照明安全隐患整改，依法豁免意向公开时限");
    await shot(buyer, "plan-form-derived");
    await buyer.getByRole("button", { name: "提交", exact: true }).click();
    await buyer.waitForURL(/\/instances\/[0-9a-f-]{36}\?started=1/);
    await see(buyer.locator("main")).toContainText("¥306,950.00");
  });

  test("a public contract notice names its fields by the form's titles, with one money format", async () => {
    const page = await open();
    await page.goto("/notices?type=contract");
    await page.locator(".notice-list a.notice-title").first().click();
    await page.waitForURL(/\/notices\/[0-9a-f-]{36}$/);
    const main = page.locator("main");
    await see(main).toContainText("合同文本摘要（SHA-256）");
    await see(main).toContainText("备案日期");
    await see(main).toContainText(/¥\d{1,3}(,\d{3})*\.\d{2}/);
    const text = await main.innerText();
    for (const raw of RAW) expect(text).not.toContain(raw);
    expect(text).not.toMatch(/\d{4,}\.\d{2}(?!\d)/); // no amount without its separators
    await shot(page, "notice-contract-labelled");
  });

  test("a public result notice shows the method by its name, in Chinese and in English", async () => {
    const page = await open();
    await page.goto("/notices?type=result");
    // a procurement's result (a framework agreement's call-off names how its supplier was chosen instead)
    await page.locator(".notice-list a.notice-title", { hasNotText: "框架协议" }).first().click();
    await page.waitForURL(/\/notices\/[0-9a-f-]{36}$/);
    const main = page.locator("main");
    await see(main).toContainText("采购方式");
    await see(main).toContainText(/公开招标|邀请招标|竞争性谈判|竞争性磋商|单一来源采购|询价|网上直购|网上竞价|定点采购/);
    expect(await main.innerText()).not.toMatch(CODES);
    await page.locator("button.lang-switch").click();
    await see(main).toContainText("Procurement method");
    await see(main).toContainText(/¥\d{1,3}(,\d{3})*\.\d{2}/);
  });

  test("a project's page and its instances show the channel and the options by their names", async () => {
    await buyer.goto("/projects?stage=contract");
    await buyer.locator('[data-testid="projects"] tbody a').first().click();
    await buyer.waitForURL(/\/projects\/[0-9a-f-]{36}$/);
    const main = buyer.locator("main");
    await see(main).toContainText("执行渠道");
    await see(main).toContainText(/¥\d{1,3}(,\d{3})*\.\d{2}/);
    const channel = await main.locator(".facts div", { hasText: "执行渠道" }).locator("dd").innerText();
    expect(["项目采购电子交易系统", "电子卖场", "原执行交易平台", "代理机构线下组织"]).toContain(channel);
    // the plan's own page: method and funds by their names, the lines' amounts as money
    await buyer.locator(".stage-entry a", { hasText: "采购计划" }).first().click();
    await buyer.waitForURL(/\/instances\/[0-9a-f-]{36}$/);
    await see(main).toContainText("采购方式");
    await see(main).toContainText("资金来源");
    const text = await main.innerText();
    for (const raw of RAW) expect(text).not.toContain(raw);
    expect(text).not.toMatch(CODES);
    await shot(buyer, "instance-plan-labelled");
  });
});
