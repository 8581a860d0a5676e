/**
 * The remote opening hall in Debian's Chromium, two browsers: a bidder watches the hall while a
 * custodian, in its own browser, hands in its shares; the bids open and the record appears on the
 * bidder's page live (no reload), announced through the page's live region. WCAG 2.1 AA in both languages.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { newKeyPair, newSigningKey, openShare, sealBid, softwareSigner, type SealedBid } from "../../plugins/etrading/sealed";
import { usernameKey } from "../../core/identity/accounts";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { linkPlugins } from "../support/plugins";
import { packageOf, publishedTender, SUPPLIERS, UNITS, type BidsWorld } from "../integration/etrading/bids-support";
import { accessible, ready, type Signed, watchedPages } from "./a11y";
import { builtWebApp, launchChromium } from "./browser";

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, "../..");
let platform: TestPlatform;
let browser: Browser;
let pluginsDir: string;

async function account(roles: string[], unitCode: string): Promise<Signed> {
  const knex = platform.kernel.db.knex;
  const username = `e2e-${roles[0]}-${Math.random().toString(36).slice(2, 8)}`;
  const [row] = await knex("core_accounts").insert({ username, username_key: usernameKey(username), display_name: username, tenant_code: "441300", unit_code: unitCode, roles }).returning("*");
  const b = await platform.kernel.identity.sessionFor(row);
  return { username, state: { token: b.token, refreshToken: b.refreshToken, expiresAt: Date.now() + b.expiresIn * 1000, ttl: b.expiresIn, user: b.user, mustChangePassword: b.mustChangePassword } };
}

const open = watchedPages(() => ({ browser, baseUrl: platform.baseUrl }));

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  pluginsDir = linkPlugins(["registries", "supervision", "etrading"], "etrading-hall-e2e-plugins");
  platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms") });
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  if (pluginsDir) fs.rmSync(pluginsDir, { recursive: true, force: true });
});

test("a bidder watches the hall while a custodian hands in shares in its own browser: the record appears live and is announced", async () => {
  const deadline = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2 * 3600_000);
  const tender = await publishedTender({ platform } as BidsWorld, deadline);
  const agency = await account(["agency"], UNITS.agency);
  const supervisor = await account(["regulator"], UNITS.supervisor);
  const purchaser = await account(["purchaser"], UNITS.purchaser);
  const bidders = await Promise.all(SUPPLIERS.slice(0, 3).map((code) => account(["supplier"], code)));

  // the custodians' keys, as their browsers made them
  const keys = { agency: newKeyPair(), purchaser: newKeyPair(), supervisor: newKeyPair() };
  for (const [c, who] of [["agency", agency], ["purchaser", purchaser], ["supervisor", supervisor]] as const) {
    expect((await platform.api(`/api/etrading/tenders/${tender}/custodians/${c}/key`, { method: "PUT", token: who.state.token, body: { publicKey: keys[c].publicKey } })).status).toBe(200);
  }
  const prices = ["356789.00", "361000.00", "372500.00"];
  for (const [i, who] of bidders.entries()) {
    const custodians = Object.entries(keys).map(([id, k]) => ({ id, publicKey: k.publicKey }));
    const bid = await sealBid({ tenderId: tender, package: packageOf(prices[i]), custodians, threshold: 2, signer: softwareSigner(newSigningKey()) });
    expect((await platform.api(`/api/etrading/tenders/${tender}/bids`, { method: "POST", token: who.state.token, body: { bid } })).status).toBe(201);
  }
  platform.kernel.clock.travelTo(deadline);

  // the bidder's browser in the hall
  const watcher = await open(bidders[0]);
  await watcher.goto(`/etrading/tenders/${tender}/opening`);
  await ready(watcher);
  await watcher.getByText("已连接").waitFor();
  await watcher.getByText("惠州市第1照明科技有限公司 · 投标人").waitFor();
  await accessible(watcher, "opening hall (bidder)");

  // the supervisor hands in its shares (one custodian opens nothing)
  const sup = await platform.api(`/api/etrading/tenders/${tender}/opening/custodians/supervisor/shares`, { token: supervisor.state.token });
  const shares = sup.body.bids.map((b: Pick<SealedBid, "tenderId" | "shares"> & { bidId: string }) => ({ bidId: b.bidId, share: openShare(b, "supervisor", keys.supervisor.privateKey) }));
  expect((await platform.api(`/api/etrading/tenders/${tender}/opening/shares`, { method: "POST", token: supervisor.state.token, body: { custodian: "supervisor", shares } })).status).toBe(200);
  await watcher.getByTestId("hall-log").getByText("开标人 supervisor 提交了 3 份密钥份额").waitFor();

  // the agency's custodian, in its own browser with the key it kept, hands in its shares
  const custodian = await open(agency);
  await custodian.goto(`/etrading/tenders/${tender}/custodians/agency`);
  await custodian.evaluate(([name, key]) => localStorage.setItem(name, key), [`gdpc.etrading.custodian.${tender}.agency`, keys.agency.privateKey]);
  await custodian.reload();
  await ready(custodian);
  await custodian.getByRole("button", { name: "解密并提交份额" }).click();
  await custodian.getByText("已提交 3 份密钥份额").waitFor();

  // the bidder's page, never reloaded, shows the record and says so in its live region
  const record = watcher.getByTestId("hall-record");
  for (const price of prices) await record.getByText(price).waitFor();
  await watcher.getByTestId("hall-outcome").getByText("有效投标人达到法定数量，进入评审").waitFor();
  const announced = watcher.getByTestId("hall-announcer");
  expect(await announced.getAttribute("aria-live")).toBe("polite");
  expect(await announced.innerText()).not.toBe("");
  expect(await watcher.getByTestId("hall-log").innerText()).toContain("惠州市第1照明科技有限公司 的投标文件已解密，报价 356789.00 元");
  await accessible(watcher, "opening hall with the record");

  // a reload reads the same state
  await watcher.reload();
  await ready(watcher);
  for (const price of prices) await watcher.getByTestId("hall-record").getByText(price).waitFor();

  // keyboard: the host's controls are reachable and work by the keyboard alone
  const host = await open(agency);
  await host.goto(`/etrading/tenders/${tender}/opening`);
  await ready(host);
  await host.getByRole("button", { name: "公布投标人名单及保证金情况" }).focus();
  await host.keyboard.press("Enter");
  await host.getByRole("heading", { name: "投标人名单" }).waitFor();
  await watcher.getByRole("heading", { name: "投标人名单" }).waitFor();
  await accessible(host, "opening hall (host)");
});

test("with bidder self-decryption the bid page keeps the bidder's own key in its browser and seals the data key to it; in the hall the same browser opens the bid with it", async () => {
  const deadline = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2 * 3600_000);
  const tender = await publishedTender({ platform } as BidsWorld, deadline, { maxPrice: "400000.00", config: { bidderKey: true } });
  const agency = await account(["agency"], UNITS.agency);
  const purchaser = await account(["purchaser"], UNITS.purchaser);
  const supervisor = await account(["regulator"], UNITS.supervisor);
  const keys = { agency: newKeyPair(), purchaser: newKeyPair(), supervisor: newKeyPair() };
  for (const [c, who] of [["agency", agency], ["purchaser", purchaser], ["supervisor", supervisor]] as const) {
    expect((await platform.api(`/api/etrading/tenders/${tender}/custodians/${c}/key`, { method: "PUT", token: who.state.token, body: { publicKey: keys[c].publicKey } })).status).toBe(200);
  }
  const page = await open(await account(["supplier"], SUPPLIERS[0]));
  await page.goto(`/etrading/tenders/${tender}/bid`);
  await ready(page);
  await page.getByText("递交投标文件时将在本浏览器生成解密密钥").waitFor();
  await page.getByLabel("投标报价（元）").fill("356789.00");
  await page.getByRole("button", { name: "加密并递交" }).click();
  await page.getByText("回执签名已在本机核验").waitFor();
  const kept = await page.evaluate((name) => localStorage.getItem(name), `gdpc.etrading.bidder.${tender}`);
  expect(kept).toMatch(/^[0-9a-f]{64}$/);
  // shown for its holder to back up, as a custodian's key is
  expect(await page.getByLabel("解密私钥（请离线备份，勿发给任何人）").inputValue()).toBe(kept);
  await accessible(page, "bid page with the bidder's own key");
  // the server holds the copy sealed to the bidder's key, never the key itself
  const row = await platform.kernel.db.knex("etrading_bids").where({ tender_id: tender }).first();
  expect(row.bidder_key).toMatchObject({ to: "bidder" });
  expect(JSON.stringify(row)).not.toContain(kept);

  platform.kernel.clock.travelTo(deadline);
  const endsAt = new Date(deadline.getTime() + 30 * 60_000).toISOString();
  expect((await platform.api(`/api/etrading/tenders/${tender}/hall/window`, { method: "PUT", token: agency.state.token, body: { startsAt: deadline.toISOString(), endsAt } })).status).toBe(200);
  await page.goto(`/etrading/tenders/${tender}/opening`);
  await ready(page);
  expect(await page.getByLabel("投标人私钥（64 位十六进制）").inputValue()).toBe(kept);
  await page.getByRole("button", { name: "解密本单位投标文件" }).click();
  await page.getByTestId("hall-record").getByText("356789.00").waitFor();
  const opened = await platform.kernel.db.knex("etrading_openings").where({ bid_id: row.id }).first();
  expect(opened.outcome).toBe("opened");
});
