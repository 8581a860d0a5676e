/**
 * The regulator's dashboard and the portal's open-data page in Debian's Chromium: ECharts draws
 * every chart, and the numbers ECharts holds are the numbers of the table beside it; a click on a
 * region's row drills down; both pages pass WCAG 2.1 AA in Chinese and English. One platform (the
 * demo, plus facts of a second city so that the province has regions to compare).
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import type { Browser, Page } from "playwright-core";
import { enqueue } from "../../core/events/outbox";
import { poll } from "../support/http";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { apiSignIn, axeCheck, cspViolations, ready, serious, useSession, watchCsp } from "./a11y";
import { builtWebApp, launchChromium, newPage } from "./browser";
import { pdfText } from "./pdf-text";

jest.setTimeout(180_000);

let platform: TestPlatform;
let browser: Browser;
const pages: Array<{ page: Page; errors: string[] }> = [];
/** the crafted projects' ids, by tenant */
const projects: Record<string, string> = {};

async function fact(tenantCode: string, projectId: string, stage: string, data: Record<string, unknown>) {
  const instanceId = randomUUID();
  const payload = { instanceId, workflowId: "e2e.fact", plugin: "e2e", tenantCode, version: 1, stage, data: { projectId, ...data } };
  const knex = platform.kernel.db.knex;
  const { eventId } = await knex.transaction((trx) => enqueue(trx, { event: "analytics.fact", payload, key: instanceId }));
  await poll(`aggregates of ${eventId}`, () => knex("core_event_receipts").where({ consumer: "analytics.aggregates", event_id: eventId }).first(), (r) => !!r);
}

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  platform = await startTestPlatform({ demoAccounts: true });
  for (const [tenant, unit, amount] of [["441300", "惠州市交通运输局", "800000.00"], ["440100", "广州市教育局", "1500000.00"], ["440902", "茂南区人民医院", "620000.00"]]) {
    const id = randomUUID();
    projects[tenant] = id;
    await fact(tenant, id, "planning", { purchaserName: unit, budget: amount, publishedAt: "2026-03-02T09:00:00+08:00" });
    await fact(tenant, id, "plan", { purchaserName: unit, method: "public-tender", total: amount, category: "A02" });
    // Guangzhou's open tender had a single bid: a red flag on the regulator's page
    await fact(tenant, id, "award", { method: "public-tender", purchaserName: unit, supplierName: "测试供应商有限公司", amount, awardDate: "2026-05-06", bidders: tenant === "440100" ? 1 : 4 });
    await fact(tenant, id, "contract", { purchaserName: unit, amount, signedOn: "2026-05-11", filedOn: "2026-05-19" });
    await fact(tenant, id, "payment", { amount, paidOn: "2026-06-15" });
  }
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

afterEach(async () => {
  for (const p of pages) {
    expect(p.errors).toEqual([]);
    expect(await cspViolations(p.page)).toEqual([]);
  }
  pages.length = 0;
});

async function open(): Promise<Page> {
  const p = await newPage(browser, platform.baseUrl);
  await watchCsp(p.context);
  pages.push(p);
  return p.page;
}

/** Every chart on the page: what ECharts holds against the table's cells, column by column. */
async function chartsAgainstTables(page: Page): Promise<Array<{ id: string; chart: number[][]; table: number[][] }>> {
  // a string: this file is compiled without the DOM's types
  return page.evaluate(`[...document.querySelectorAll("[data-chart]")].map((el) => {
    const id = el.dataset.chart;
    const series = JSON.parse(el.dataset.chartSeries || "[]");
    const rows = [...document.querySelectorAll('table[data-table="' + id + '"] tbody tr')];
    const table = series.map((_, col) => rows.map((r) => Number(r.querySelectorAll("td[data-value]")[col].dataset.value)));
    return { id, chart: series.map((s) => s.data.map(Number)), table };
  })`);
}

async function bothLanguages(page: Page): Promise<void> {
  await ready(page);
  expect(serious(await axeCheck(page))).toEqual([]);
  await page.getByRole("button", { name: "切换语言：English" }).click();
  await page.waitForFunction(`document.documentElement.lang === "en"`);
  await ready(page);
  expect(serious(await axeCheck(page))).toEqual([]);
  await page.getByRole("button", { name: "Switch language: 中文" }).click();
  await page.waitForFunction(`document.documentElement.lang === "zh-CN"`);
}

test("the province regulator's dashboard: charts drawn by ECharts with the tables' numbers, drill-down by a region's row, accessible in both languages", async () => {
  const signed = await apiSignIn(platform, "gd.regulator", "440000001", "Regulator-Dash-2027");
  const page = await open();
  await useSession(page, signed);
  await page.goto("/analytics");
  await page.locator('[data-chart="by-region"] svg').waitFor();
  await ready(page);
  const charts = await chartsAgainstTables(page);
  expect(charts.map((c) => c.id)).toEqual(expect.arrayContaining(["by-month", "by-region", "by-method", "by-category", "cycles", "competition-month", "competition-region", "method-share"]));
  for (const c of charts) {
    expect(c.chart.length).toBeGreaterThan(0);
    expect({ id: c.id, values: c.chart }).toEqual({ id: c.id, values: c.table });
  }
  // the image's label summarises it; the canvas draws in SVG
  const region = page.locator('[data-chart="by-region"]');
  expect(await region.getAttribute("role")).toBe("img");
  // the label names the region that planned most, as the table says
  const planned = await page.evaluate<Array<{ name: string; v: number }>>(
    `[...document.querySelectorAll('table[data-table="by-region"] tbody tr')].map((r) => ({ name: r.querySelector("th").textContent, v: Number(r.querySelector("td[data-value]").dataset.value) }))`,
  );
  const top = planned.reduce((a, b) => (b.v > a.v ? b : a));
  expect(await region.getAttribute("aria-label")).toContain(`最高：${top.name}`);
  // Guangzhou's contracted amount, in the chart's table
  const gz = page.locator('table[data-table="by-region"] tr', { hasText: "广州市" });
  expect(await gz.locator("td[data-value]").nth(1).getAttribute("data-value")).toBe("1500000");
  // a missed contract deadline is listed with a link to its project
  await page.getByRole("link", { name: "打开项目" }).first().waitFor();
  // the single bid is flagged beside the charts, and its project opens from the keyboard
  const flag = page.locator('table[data-table="flags"] tr[data-flag="single-bid"]', { hasText: "广州市教育局" });
  await flag.waitFor();
  expect(await flag.textContent()).toContain("tender.minBidders");
  await bothLanguages(page);
  const link = flag.getByRole("link", { name: "打开项目 1" });
  await link.focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/projects\/[0-9a-f-]{36}/);
  await page.goBack();
  await page.locator('[data-chart="by-region"] svg').waitFor();

  // the breaches' export: the same rows as the table (all of them here: fewer than the page's 200), as CSV for Excel
  const breaches = page.locator('section[aria-labelledby="breaches-title"]');
  const shown = await breaches.locator("tbody tr").count();
  expect(shown).toBeGreaterThan(0);
  const downloading = page.waitForEvent("download");
  await breaches.getByRole("button", { name: "导出 CSV" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe("时限违规.csv");
  const csv = fs.readFileSync((await download.path())!, "utf8").replace(/^\uFEFF/, "").trimEnd().split("\r\n");
  expect(csv[0]).toBe("规则,地区,采购单位,起算日,完成日,用时,时限,项目");
  expect(csv).toHaveLength(1 + shown);
  expect(csv.some((l) => l.startsWith("contract.publish,广州市,广州市教育局,2026-05-11,2026-05-19,"))).toBe(true);

  // the red flags' table downloads as it stands
  const flagsDownload = page.waitForEvent("download");
  await page.getByRole("button", { name: /^下载 CSV：风险提示/ }).click();
  const flagsCsv = fs.readFileSync((await (await flagsDownload).path())!, "utf8").replace(/^\uFEFF/, "").trimEnd().split("\r\n");
  expect(flagsCsv[0]).toBe("风险,采购单位,依据,规则或指标来源,涉及项目");
  expect(flagsCsv.some((l) => l.includes("广州市教育局") && l.includes(projects["440100"]))).toBe(true);

  await page.getByRole("button", { name: "查看茂名市" }).first().click();
  await page.waitForURL(/region=440900/);
  await page.getByRole("heading", { level: 1, name: /茂名市/ }).waitFor();
  await page.locator('[data-chart="by-region"] svg').waitFor();
  const drilled = await chartsAgainstTables(page);
  for (const c of drilled) expect({ id: c.id, values: c.chart }).toEqual({ id: c.id, values: c.table });
  expect(await page.locator('table[data-table="by-region"] tr', { hasText: "茂南区" }).locator("td[data-value]").nth(1).getAttribute("data-value")).toBe("620000");
});

test("the public data page: the province's charts with their tables and the OCDS downloads, signed out, in both languages", async () => {
  const page = await open();
  await page.goto("/data");
  await page.locator('[data-chart="by-month"] svg').waitFor();
  const charts = await chartsAgainstTables(page);
  expect(charts.map((c) => c.id)).toEqual(expect.arrayContaining(["by-month", "by-region", "by-method", "competition-month", "method-share"]));
  for (const c of charts) expect({ id: c.id, values: c.chart }).toEqual({ id: c.id, values: c.table });
  expect(await page.getByRole("link", { name: /发布包/ }).getAttribute("href")).toBe("/api/analytics/ocds/releases");
  expect(await page.getByRole("link", { name: /JSON Lines/ }).getAttribute("href")).toMatch(/^\/api\/analytics\/ocds\/bulk\/\d{4}-\d{2}-\d{2}\.jsonl\.gz$/);
  // no unit's figures and no breach list for the public
  expect(await page.locator('[data-chart="by-unit"]').count()).toBe(0);
  expect(await page.getByText("时限违规").count()).toBe(0);
  expect(await page.locator('table[data-table="flags"]').count()).toBe(0);
  await bothLanguages(page);
  // printed, the page is its figures alone: the print stylesheet leaves the site's chrome and buttons on screen
  const printed = pdfText(await page.pdf({ format: "A4" })).join("").replace(/\s+/g, "");
  expect(printed).toContain("政府采购开放数据");
  expect(printed).toContain("计划金额（元）");
  for (const chrome of ["跳到主要内容", "适老模式", "下载CSV"]) expect({ chrome, printed: printed.includes(chrome) }).toEqual({ chrome, printed: false });
});

test("an award notice's print view and its PDF: Chinese text that extracts back, a verification code that the public page verifies", async () => {
  const ocid = `ocds-xxxxxx-gd-${projects["441300"]}`;
  const page = await open();
  await page.goto(`/documents/${ocid}/award`);
  const code = await page.locator(".doc-code").getAttribute("data-code");
  expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
  await page.getByRole("heading", { level: 1, name: "中标（成交）结果公告" }).waitFor();
  await bothLanguages(page);

  // Chromium's print of the view, through the print stylesheet: the document alone, its CJK font
  // embedded as a subset, every line read back through the fonts' Unicode maps
  const pdf = await page.pdf({ format: "A4", printBackground: true });
  expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
  expect(pdf.toString("latin1")).toMatch(/\/FontName \/[A-Z]{6}\+WenQuanYiMicroHei/);
  const pages = pdfText(pdf);
  expect(pages).toHaveLength(1);
  // read as printed: a code or id drawn with a ligature ("ff" as ﬀ, which a uuid can hold) would not match
  const text = pages[0].replace(/\s+/g, "");
  for (const line of ["广东省政府采购网", "中标（成交）结果公告", "惠州市交通运输局", "测试供应商有限公司", "公开招标", "800,000.00", "投标（响应）供应商数4", `验证码${code}`, ocid]) expect(text).toContain(line.replace(/\s+/g, ""));
  // the screen's chrome stays off the paper
  expect(text).not.toContain("打印或保存为PDF");
  expect(text).not.toContain("跳到主要内容");

  // anyone checks the code on the portal, typed as from paper
  await page.goto("/verify");
  await page.getByLabel(/验证码/).fill(code!.toLowerCase().replace(/-/g, " "));
  await page.getByRole("button", { name: "核验" }).click();
  const result = page.locator(".verify-result");
  await result.waitFor();
  expect(await result.getAttribute("data-valid")).toBe("true");
  expect(await result.getByRole("heading", { level: 2 }).textContent()).toMatch(/^有效：本平台于 \d{4}-\d{2}-\d{2} 出具的中标（成交）结果公告/);
  expect(await result.textContent()).toContain("惠州市交通运输局");
  await bothLanguages(page);
  // a code nobody issued is refused in words
  await page.goto("/verify?code=0000-0000-0000-0000");
  await page.getByText("本平台没有出具过该验证码的文件").waitFor();
});
