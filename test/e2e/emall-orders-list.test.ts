/**
 * The e-mall's orders page in Debian's Chromium, on the list's pages: a supplier with 25 orders sees
 * 20 and a pager, searches a product and filters a status (both kept in the address), and the
 * export buttons download the orders as filtered, CSV with its Chinese header. Orders are written
 * straight into the table: the page reads the list, not how the orders were made.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { usernameKey } from "../../core/identity/accounts";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { linkPlugins } from "../support/plugins";
import { MALL_PLUGINS } from "../integration/emall/support";
import { cspViolations, useSession, watchCsp } from "./a11y";
import { builtWebApp, launchChromium, newPage } from "./browser";

jest.setTimeout(180_000);

const SUPPLIER = "91441300MA4UA0001X";
let platform: TestPlatform;
let pluginsDir: string;
let browser: Browser;
let p: Awaited<ReturnType<typeof newPage>>;

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  pluginsDir = linkPlugins(MALL_PLUGINS, "emall-orders-e2e");
  platform = await startTestPlatform({ pluginsDir, formsDir: path.resolve(__dirname, "../../forms") });
  await platform.kernel.db.knex("emall_orders").insert(Array.from({ length: 25 }, (_, i) => ({
    id: crypto.randomUUID(), tenant_code: "441300", unit_code: "441300401", unit_name: i % 2 ? "惠州市交通运输局" : "惠州市教育局", project_id: crypto.randomUUID(), plan_line: 0,
    supplier_code: SUPPLIER, supplier_name: "惠州市恒信办公设备有限公司", total: `${1000 + i}.00`, status: i % 4 === 0 ? "paid" : "placed", kind: "order",
    lines: JSON.stringify([{ offerId: null, productId: crypto.randomUUID(), productName: i % 3 === 0 ? "A4复印纸" : "人体工学办公椅", brand: "得力", model: "X", quantity: 1, unitPrice: `${1000 + i}.00`, amount: `${1000 + i}.00` }]),
    confirm_by: new Date(Date.now() + 86_400_000), created_at: new Date(Date.UTC(2026, 9, 1, 0, i)), updated_at: new Date(Date.UTC(2026, 9, 1, 0, i)),
  })));
  const username = `e2e-supplier-${Math.random().toString(36).slice(2, 8)}`;
  const [row] = await platform.kernel.db.knex("core_accounts").insert({ username, username_key: usernameKey(username), display_name: username, tenant_code: "441300", unit_code: SUPPLIER, roles: ["supplier"] }).returning("*");
  const b = await platform.kernel.identity.sessionFor(row);
  p = await newPage(browser, platform.baseUrl);
  await watchCsp(p.context);
  await useSession(p.page, { username, state: { token: b.token, refreshToken: b.refreshToken, expiresAt: Date.now() + b.expiresIn * 1000, ttl: b.expiresIn, user: b.user, mustChangePassword: b.mustChangePassword } });
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  if (pluginsDir) fs.rmSync(pluginsDir, { recursive: true, force: true });
});

test("a supplier pages its orders, searches and filters them, and exports what it filtered", async () => {
  const { page } = p;
  await page.goto("/mall/orders");
  const rows = page.getByRole("table").locator("tbody tr");
  await rows.first().waitFor();
  expect(await rows.count()).toBe(20);
  await page.getByText("共 25 条").waitFor();
  await page.getByRole("navigation", { name: "分页" }).getByRole("link", { name: "第 2 页" }).click();
  await page.waitForURL(/page=2/);
  await page.waitForFunction(`document.querySelectorAll("table tbody tr").length === 5`);

  // search a product and keep only the paid: the address carries both, page 1 again
  await page.getByRole("searchbox").fill("复印纸");
  await page.getByRole("button", { name: "搜索" }).click();
  await page.waitForURL((u) => u.searchParams.get("q") === "复印纸" && !u.searchParams.has("page"));
  await page.getByLabel("状态").selectOption("paid");
  await page.waitForURL((u) => u.searchParams.get("status") === "paid");
  // A4 paper (every third) and paid (every fourth): orders 0, 12 and 24
  await page.waitForFunction(`document.querySelectorAll("table tbody tr").length === 3`);

  const downloading = page.waitForEvent("download");
  await page.getByRole("button", { name: "导出 CSV" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe("电子卖场订单.csv");
  const csv = fs.readFileSync((await download.path())!, "utf8").replace(/^\uFEFF/, "").trimEnd().split("\r\n");
  expect(csv[0]).toBe("下单时间,方式,采购单位,供应商,商品,金额（元）,状态,确认日期,验收日期,付款期限,付款日期");
  expect(csv.slice(1).map((r) => r.split(",")[5])).toEqual(["1024.00", "1012.00", "1000.00"]);
  expect(csv.slice(1).every((r) => r.includes("A4复印纸 × 1") && r.includes(",已付款,"))).toBe(true);
  expect(p.errors).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
});
