/**
 * The e-mall's live reverse auction in Debian's Chromium, two supplier browsers: each quotes by the
 * keyboard on the auction page and the other sees the lowest price fall without a reload, told by
 * the page's polite live region; neither learns who the other is. WCAG 2.1 AA in both languages.
 */
import type { Browser, Page } from "playwright-core";
import { usernameKey } from "../../core/identity/accounts";
import { intention, type Lifecycle, ok, plan } from "../integration/supervision/support";
import { mallLifecycle } from "../integration/emall/support";
import { usccCheckChar } from "../../core/forms/formats";
import { axeCheck, ready, serious, unlabelledFields, type Signed, watchedPages } from "./a11y";
import { builtWebApp, launchChromium } from "./browser";

jest.setTimeout(180_000);

let l: Lifecycle;
let browser: Browser;
const company = (n: number) => {
  const first17 = `91441300${String(n).padStart(8, "0")}M`;
  return first17 + usccCheckChar(first17);
};

async function account(roles: string[], unitCode: string): Promise<Signed> {
  const username = `e2e-${roles[0]}-${Math.random().toString(36).slice(2, 8)}`;
  const [row] = await l.platform.kernel.db.knex("core_accounts").insert({ username, username_key: usernameKey(username), display_name: username, tenant_code: "441300", unit_code: unitCode, roles }).returning("*");
  const b = await l.platform.kernel.identity.sessionFor(row);
  return { username, state: { token: b.token, refreshToken: b.refreshToken, expiresAt: Date.now() + b.expiresIn * 1000, ttl: b.expiresIn, user: b.user, mustChangePassword: b.mustChangePassword } };
}

const open = watchedPages(() => ({ browser, baseUrl: l.platform.baseUrl }));

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  l = await mallLifecycle();
});

afterAll(async () => {
  await browser?.close();
  await l?.platform.stop();
});

test("two suppliers quote by the keyboard, each watching the price fall live on the other's quote; the page is accessible in both languages", async () => {
  l.travel("2021-01-20");
  const started = ok(await l.start("buyer", "supervision.intention", intention({ projectName: "惠州市交通运输局电脑竞价采购", budget: "30000.00", expectedMonth: "2021-03" })), 201);
  ok(await l.take("buyer", started.id, "publish"));
  l.travel("2021-02-26");
  const items = [{ category: "A02010104", name: "台式计算机", quantity: 4, unit: "台", unitPrice: "5000.00", amount: "20000.00" }];
  const p = ok(await l.start("buyer", "supervision.plan", plan(started.data.projectId, { method: "emall-direct", items, total: "20000.00" })), 201);
  ok(await l.take("buyer", p.id, "submit"));
  ok(await l.take("regulator", p.id, "file"));
  ok(await l.take("buyer", p.id, "choose-channel", { channel: "emall" }));
  // the platform's clock back to the wall's: the page counts down by the server's time
  l.travel(new Date().toISOString());
  l.tokens.cityAdmin = await l.platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
  const bidders: Signed[] = [];
  let productId = "";
  for (const i of [1, 2]) {
    const code = company(8400 + i);
    ok(await l.call("admin", "/api/registries/suppliers", { method: "POST", body: { creditCode: code, name: `惠州市竞价${i}号科技有限公司`, sizeClass: "small", region: "441300", contactName: "王经理", contactPhone: "13800138000" } }), 201);
    const signed = await account(["supplier"], code);
    l.tokens[`b${i}`] = signed.state.token;
    ok(await l.call(`b${i}`, "/api/commodities/admissions", { method: "POST", body: { role: "dealer", licences: [{ kind: "营业执照", number: `L-b${i}`, expiresOn: "2099-12-31" }] } }));
    ok(await l.call("cityAdmin", `/api/commodities/admissions/${code}/review`, { method: "POST", body: { decision: "admitted" } }));
    if (!productId) productId = ok(await l.call(`b${i}`, "/api/commodities/products", { method: "POST", body: { categoryCode: "A02010104", brand: "同方", model: "超越E500", name: "同方台式计算机", attributes: { cpu: "兆芯KX-6000", memoryGb: 8, storageGb: 256, os: "麒麟" } } })).id;
    ok(await l.call(`b${i}`, "/api/commodities/offers", { method: "POST", body: { productId, price: "4900.00", stock: 10, regions: ["441300"], deliveryDays: 3, warrantyMonths: 36 } }));
    bidders.push(signed);
  }
  const auction = ok(await l.start("buyer", "emall.auction", {
    projectId: started.data.projectId, planLine: 0, title: "台式计算机网上竞价", requirements: "国产CPU，内存不少于8GB", categoryCode: "A02010104", quantity: 4, maxUnitPrice: "4800.00",
    endsAt: new Date(Date.now() + 20 * 60_000).toISOString(),
  }), 201);

  const [a, b] = await Promise.all(bidders.map((s) => open(s)));
  for (const page of [a, b]) {
    await page.goto(`/mall/auctions/${auction.id}`);
    await page.getByText("已连接").waitFor();
    await page.getByTestId("auction-lowest").getByText("尚无报价").waitFor();
  }
  const quote = async (page: Page, price: string) => {
    await page.getByLabel("单价（元）").fill(price);
    await page.getByLabel("单价（元）").press("Enter");
    await page.getByText(`报价 ${price} 元已接受`).waitFor();
  };

  await quote(a, "4700.00");
  await b.getByTestId("auction-lowest").getByText("¥4,700.00").waitFor();
  await b.getByTestId("auction-announcer").getByText("新的最低价：4700.00 元（供应商 A）").waitFor();
  await quote(b, "4650.00");
  await a.getByTestId("auction-lowest").getByText("¥4,650.00").waitFor();
  await a.getByTestId("auction-announcer").getByText("新的最低价：4650.00 元（供应商 B）").waitFor();
  // anonymous to each other: no page names the other bidder
  expect(await a.content()).not.toContain("竞价2号");
  expect(await b.content()).not.toContain("竞价1号");

  // above the maximum: refused clearly, nothing changes
  await a.getByLabel("单价（元）").fill("4800.01");
  await a.getByRole("button", { name: "提交报价" }).click();
  await a.getByText("报价 4800.01 元高于最高限价 4800.00 元").waitFor();

  for (const [lang, button] of [["zh-CN", null], ["en", "切换语言：English"]] as const) {
    if (button) {
      await a.getByRole("button", { name: button }).click();
      await a.waitForFunction(`document.documentElement.lang === "${lang}"`);
    }
    await ready(a);
    expect([lang, serious(await axeCheck(a)).map((v) => `${v.id}: ${v.targets[0]}`)]).toEqual([lang, []]);
    expect([lang, await unlabelledFields(a)]).toEqual([lang, []]);
  }
  await a.getByText("Lowest price now").waitFor();
});
