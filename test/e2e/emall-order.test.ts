/**
 * A direct order to payment in Debian's Chromium: the purchaser searches the mall, adds an offer to
 * the cart and orders against its filed plan line; the supplier confirms in its inbox; the purchaser
 * accepts and pays; the project's page in supervision shows the contract, its payment and the line's
 * spend. The orders page and the project's page are accessible (WCAG 2.1 AA) in both languages.
 */
import type { Browser, Page } from "playwright-core";
import { usernameKey } from "../../core/identity/accounts";
import { intention, type Lifecycle, ok, plan, UNITS } from "../integration/supervision/support";
import { mallLifecycle } from "../integration/emall/support";
import { usccCheckChar } from "../../core/forms/formats";
import { axeCheck, ready, serious, unlabelledFields, type Signed, watchedPages } from "./a11y";
import { builtWebApp, launchChromium } from "./browser";

jest.setTimeout(180_000);

let l: Lifecycle;
let browser: Browser;
const SUPPLIER = (() => {
  const first17 = `91441300${String(8501).padStart(8, "0")}M`;
  return { creditCode: first17 + usccCheckChar(first17), name: "惠州市订购示范办公设备有限公司" };
})();

async function account(roles: string[], unitCode: string | null): Promise<Signed> {
  const username = `e2e-${roles[0]}-${Math.random().toString(36).slice(2, 8)}`;
  const [row] = await l.platform.kernel.db.knex("core_accounts").insert({ username, username_key: usernameKey(username), display_name: username, tenant_code: "441300", unit_code: unitCode, roles }).returning("*");
  const b = await l.platform.kernel.identity.sessionFor(row);
  return { username, state: { token: b.token, refreshToken: b.refreshToken, expiresAt: Date.now() + b.expiresIn * 1000, ttl: b.expiresIn, user: b.user, mustChangePassword: b.mustChangePassword } };
}

const open = watchedPages(() => ({ browser, baseUrl: l.platform.baseUrl }));

async function accessible(page: Page) {
  for (const [lang, button] of [["zh-CN", null], ["en", "切换语言：English"]] as const) {
    if (button) {
      await page.getByRole("button", { name: button }).click();
      await page.waitForFunction(`document.documentElement.lang === "${lang}"`);
    }
    await ready(page);
    expect([lang, serious(await axeCheck(page)).map((v) => `${v.id}: ${v.targets[0]}`)]).toEqual([lang, []]);
    expect([lang, await unlabelledFields(page)]).toEqual([lang, []]);
  }
}

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  l = await mallLifecycle();
});

afterAll(async () => {
  await browser?.close();
  await l?.platform.stop();
});

test("a purchaser searches, adds to the cart and orders; the supplier confirms; the purchaser accepts and pays; supervision shows the contract and the line's spend", async () => {
  l.travel("2021-01-20");
  const started = ok(await l.start("buyer", "supervision.intention", intention({ projectName: "惠州市交通运输局打印机直接订购", budget: "10000.00", expectedMonth: "2021-03" })), 201);
  ok(await l.take("buyer", started.id, "publish"));
  l.travel("2021-02-26");
  const items = [{ category: "A0201060101", name: "激光打印机", quantity: 4, unit: "台", unitPrice: "2000.00", amount: "8000.00" }];
  const p = ok(await l.start("buyer", "supervision.plan", plan(started.data.projectId, { method: "emall-direct", items, total: "8000.00" })), 201);
  ok(await l.take("buyer", p.id, "submit"));
  ok(await l.take("regulator", p.id, "file"));
  ok(await l.take("buyer", p.id, "choose-channel", { channel: "emall" }));
  const projectId = started.data.projectId as string;
  l.travel(new Date().toISOString());
  l.tokens.cityAdmin = await l.platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
  ok(await l.call("admin", "/api/registries/suppliers", { method: "POST", body: { ...SUPPLIER, sizeClass: "small", region: "441300", contactName: "王经理", contactPhone: "13800138000" } }), 201);
  const supplier = await account(["supplier"], SUPPLIER.creditCode);
  l.tokens.seller = supplier.state.token;
  ok(await l.call("seller", "/api/commodities/admissions", { method: "POST", body: { role: "dealer", licences: [{ kind: "营业执照", number: "L-order-e2e", expiresOn: "2099-12-31" }] } }));
  ok(await l.call("cityAdmin", `/api/commodities/admissions/${SUPPLIER.creditCode}/review`, { method: "POST", body: { decision: "admitted" } }));
  const product = ok(await l.call("seller", "/api/commodities/products", { method: "POST", body: { categoryCode: "A0201060101", brand: "奔图", model: "P3308DN", name: "奔图黑白激光打印机", attributes: { color: false, ppm: 33, duplex: true, paper: "A4" } } }));
  const offerId = ok(await l.call("seller", "/api/commodities/offers", { method: "POST", body: { productId: product.id, price: "1850.00", stock: 5, regions: ["441300"], deliveryDays: 3, warrantyMonths: 12 } })).id;

  const buyer = await open(await account(["purchaser"], UNITS.buyer.budgetCode));
  const seller = await open(supplier);

  // the purchaser: search, add to the cart, order against the plan line
  await buyer.goto("/mall");
  await buyer.getByLabel("搜索商品（品牌、型号、参数）").fill("P3308");
  await buyer.getByLabel("搜索商品（品牌、型号、参数）").press("Enter");
  await buyer.getByRole("button", { name: "将 奔图 P3308DN 加入购物车" }).click();
  await buyer.getByRole("status").getByText("奔图 P3308DN").waitFor();
  await buyer.getByRole("link", { name: "购物车" }).click();
  await buyer.getByLabel("采购项目（已备案、电子卖场执行）").selectOption(projectId);
  await buyer.getByLabel("计划明细").locator("option").first().waitFor({ state: "attached" });
  await buyer.getByLabel("奔图黑白激光打印机 的数量").fill("2");
  await buyer.getByLabel("收货人").fill("张科长");
  await buyer.getByLabel("联系电话").fill("0752-2281234");
  await buyer.getByLabel("收货地址").fill("惠州市惠城区江北三新南路22号");
  await buyer.getByLabel("发票抬头").fill(UNITS.buyer.name);
  await buyer.getByLabel("纳税人识别号").fill(UNITS.buyer.budgetCode);
  await buyer.getByRole("button", { name: "提交订单" }).click();
  await buyer.getByText("订单已提交，等待供应商确认。").waitFor();

  // the supplier confirms in its inbox: the stock goes down by the order's quantity
  await seller.goto("/mall/orders");
  await seller.getByRole("button", { name: `确认订单：${UNITS.buyer.name}` }).click();
  await seller.getByRole("table").getByText("已确认").waitFor();
  expect(Number((await l.platform.kernel.db.knex("commodities_offers").where({ id: offerId }).first()).stock)).toBe(3);

  // the purchaser accepts (the invoice with it) and pays
  await buyer.goto("/mall/orders");
  await buyer.getByRole("button", { name: `验收（已收到发票）：${SUPPLIER.name}` }).click();
  await buyer.getByText("应于").waitFor();
  await accessible(buyer);
  await buyer.getByRole("button", { name: "Switch language: 中文" }).click();
  await buyer.waitForFunction(`document.documentElement.lang === "zh-CN"`);
  await buyer.getByRole("button", { name: `登记付款：${SUPPLIER.name}` }).click();
  await buyer.getByRole("table").getByText("已付款").waitFor();

  // supervision: the project's page shows the contract, paid, and the line's spend
  await buyer.goto(`/projects/${projectId}`);
  const records = buyer.getByTestId("contract-records");
  await records.getByText(SUPPLIER.name).waitFor();
  await records.getByText("已付款").waitFor();
  const spend = buyer.getByTestId("line-spend").getByRole("row", { name: /激光打印机/ });
  await expect(spend.textContent()).resolves.toContain("3,700.00");
  await expect(spend.textContent()).resolves.toContain("4,300.00");
  await accessible(buyer);
});
