/**
 * The API reference page (/api/docs) in Debian's Chromium, against a platform with every plugin:
 * Swagger UI renders the platform's OpenAPI description under the platform's
 * Content-Security-Policy, with nothing fetched from anywhere but the platform itself.
 */
import type { Browser, Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { launchChromium, newPage, shot } from "./browser";
import { axeCheck, cspViolations, serious, watchCsp } from "./a11y";

jest.setTimeout(120_000);

let platform: TestPlatform;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  platform = await startTestPlatform();
});
afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

/** A page that notes console errors (CSP refusals among them) and every request, and lets none leave the platform. */
async function open(): Promise<{ page: Page; errors: string[]; outside: string[]; close: () => Promise<void> }> {
  const { context, page, errors } = await newPage(browser, platform.baseUrl);
  await watchCsp(context);
  const outside: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${platform.baseUrl}/`) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    outside.push(url);
    return route.abort();
  });
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  return { page, errors, outside, close: () => context.close() };
}

test("the reference renders the routes from /api/openapi.json, in Chinese, with no console error and no outside request", async () => {
  const { page, errors, outside, close } = await open();
  const loaded = page.waitForResponse((r) => r.url().startsWith(`${platform.baseUrl}/api/openapi.json`));
  await page.goto("/api/docs");
  expect((await loaded).status()).toBe(200);
  await expect(page.title()).resolves.toBe("接口文档 · 广东省政府采购智慧云平台");
  expect(await page.locator("html").getAttribute("lang")).toBe("zh-CN");
  await page.getByRole("heading", { name: /广东省政府采购智慧云平台 API/ }).waitFor();
  // Every plugin's routes make the list long enough for Swagger UI to draw only what is on screen:
  // a reader finds a section with the tag filter (named for screen readers, in the page's language).
  const filter = page.getByRole("textbox", { name: "按分组筛选接口" });
  // a route of a plugin, then one of the kernel, by their paths
  await filter.fill("registries");
  await page.locator(".opblock-summary-path", { hasText: /^\/api\/registries\/purchasers$/ }).first().waitFor();
  await filter.fill("auth");
  const login = page.locator(".opblock-summary-path", { hasText: /^\/api\/auth\/login$/ });
  await login.waitFor();
  expect(await page.locator(".opblock-summary-path", { hasText: /^\/api\/registries\// }).count()).toBe(0);
  // opened from the keyboard, an operation lists its error answers (the envelope's statuses)
  await page.locator(".opblock-summary-control", { has: login }).focus();
  await page.keyboard.press("Enter");
  await page.locator(".opblock-body .responses-table .response-col_status", { hasText: /^429$/ }).waitFor();
  // a workflow start's body is its forms' fields; the forms are listed with the other schemas
  await filter.fill("workflows");
  await page.locator(".opblock-summary-path", { hasText: /^\/api\/workflows\/\{workflowId\}\/instances$/ }).click();
  await page.locator(".opblock-body .body-param__example, .opblock-body .request-body").first().waitFor();
  await page.locator(".opblock.is-open .opblock-body").getByText(/"projectName"/).first().waitFor();
  await page.locator(".models").getByText("采购意向", { exact: true }).first().waitFor();
  await shot(page, "api-docs");
  expect(await cspViolations(page)).toEqual([]);
  // WCAG 2.1 AA with the operations open (docs.css and docs-init.js fix what Swagger UI lacks)
  expect(serious(await axeCheck(page))).toEqual([]);
  expect(outside).toEqual([]);
  expect(errors).toEqual([]);
  await close();
});

test("in English with ?lang=en", async () => {
  const { page, errors, outside, close } = await open();
  await page.goto("/api/docs?lang=en");
  await expect(page.title()).resolves.toBe("API reference · Guangdong Government Procurement Cloud");
  expect(await page.locator("html").getAttribute("lang")).toBe("en");
  await page.getByRole("heading", { name: /Guangdong Government Procurement Cloud API/ }).waitFor();
  await page.getByRole("textbox", { name: "Filter the operations by section" }).fill("workflows");
  await page.locator(".opblock-summary-path", { hasText: /^\/api\/workflows\/\{workflowId\}\/instances$/ }).waitFor();
  expect(outside).toEqual([]);
  expect(errors).toEqual([]);
  await close();
});
