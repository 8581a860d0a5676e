/**
 * Printed records in Debian's Chromium: the demo's opened tender ③ (plugins/etrading/demo.ts) has
 * its opening record printed to PDF by its purchaser, the Chinese text read back from the PDF, and
 * the code on the paper checked on /verify, which answers every code through core's /api/verify. One
 * platform (the demo).
 */
import type { Browser, Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { apiSignIn, axeCheck, cspViolations, ready, serious, useSession, watchCsp } from "./a11y";
import { builtWebApp, launchChromium, newPage } from "./browser";
import { pdfText } from "./pdf-text";

jest.setTimeout(180_000);

let platform: TestPlatform;
let browser: Browser;
const pages: Array<{ page: Page; errors: string[] }> = [];

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  platform = await startTestPlatform({ demoAccounts: true });
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

test("the opening record of ③ printed to PDF: its Chinese text extracts back, and its code verifies on /verify without the prices", async () => {
  const tender = await platform.kernel.db.knex("etrading_tenders").where({ title: "惠州市桥梁健康监测设备采购" }).first("id");
  const bids = await platform.api(`/api/etrading/tenders/${tender.id}/opening-record`, { token: (await apiSignIn(platform, "huizhou.regulator", "441300001", "Regulator-Print-2027!")).state.token });
  expect(bids.status).toBe(200);
  const bidders = bids.body.document.bidders as Array<{ supplierName: string; price: string | null }>;
  expect(bidders.length).toBe(3);

  const signed = await apiSignIn(platform, "huizhou.buyer", "441300401", "Buyer-Print-2027!");
  const page = await open();
  await useSession(page, signed);
  // linked from the tender's page
  await page.goto(`/etrading/tenders/${tender.id}`);
  await page.getByRole("link", { name: "打印开标记录" }).click();
  await page.waitForURL(`**/etrading/tenders/${tender.id}/opening-record`);
  await page.getByRole("heading", { level: 1, name: "开标记录" }).waitFor();
  const code = await page.locator(".doc-code").getAttribute("data-code");
  expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
  await bothLanguages(page);

  const pdf = await page.pdf({ format: "A4", printBackground: true });
  expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
  expect(pdf.toString("latin1")).toMatch(/\/FontName \/[A-Z]{6}\+WenQuanYiMicroHei/);
  const printed = pdfText(pdf).join("").replace(/\s+/g, "");
  const grouped = (price: string) => Number(price).toLocaleString("en-US", { minimumFractionDigits: 2 });
  for (const line of ["广东省政府采购网", "开标记录", "惠州市桥梁健康监测设备采购", "惠州市交通运输局", "公开招标", "投标人及唱标报价", "解密人", "异常情况", `验证码${code}`, ...bidders.flatMap((b) => [b.supplierName, ...(b.price ? [grouped(b.price)] : [])])]) {
    expect({ line, found: printed.includes(line.replace(/\s+/g, "")) }).toEqual({ line, found: true });
  }
  for (const chrome of ["打印或保存为PDF", "跳到主要内容"]) expect({ chrome, printed: printed.includes(chrome) }).toEqual({ chrome, printed: false });

  // anyone checks the paper's code, signed out, typed loosely: genuine, current, the prices not shown
  const visitor = await open();
  await visitor.goto("/verify");
  await visitor.getByLabel(/验证码/).fill(code!.toLowerCase().replace(/-/g, " "));
  await visitor.getByRole("button", { name: "核验" }).click();
  const result = visitor.locator(".verify-result");
  await result.waitFor();
  expect(await result.getAttribute("data-valid")).toBe("true");
  expect(await result.getAttribute("data-current")).toBe("true");
  expect(await result.getByRole("heading", { level: 2 }).textContent()).toMatch(/^有效：本平台于 \d{4}-\d{2}-\d{2} 出具的开标记录/);
  const text = (await result.textContent()) ?? "";
  expect(text).toContain("该文件内容不公开");
  expect(text).toContain("审计链记录");
  for (const b of bidders) if (b.price) expect(text).not.toContain(grouped(b.price));
  await bothLanguages(visitor);
});
