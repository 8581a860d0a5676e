/**
 * The supplier's bid page and the custodian's page in Debian's Chromium: the bid is sealed in the
 * browser (the server never sees the price or the files in clear), the receipt is checked there,
 * an above-maximum price is refused before anything is sent, a custodian's key is made in its
 * browser, and after the deadline the custodians' browsers open the bid. WCAG 2.1 AA in both languages.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { openShare, type SealedBid } from "../../plugins/etrading/sealed";
import { usernameKey } from "../../core/identity/accounts";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { linkPlugins } from "../support/plugins";
import { publishedTender, SUPPLIERS, UNITS, type BidsWorld } from "../integration/etrading/bids-support";
import { accessible, ready, type Signed, watchedPages } from "./a11y";
import { builtWebApp, launchChromium } from "./browser";

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, "../..");
let platform: TestPlatform;
let browser: Browser;
let pluginsDir: string;

/** An account of the given role and unit, signed in as the browser would keep it. */
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
  pluginsDir = linkPlugins(["registries", "supervision", "etrading"], "etrading-e2e-plugins");
  platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms") });
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  if (pluginsDir) fs.rmSync(pluginsDir, { recursive: true, force: true });
});

test("a supplier seals a bid in its browser and gets a checked receipt; custodians make keys and open it in theirs after the deadline", async () => {
  const deadline = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2 * 3600_000);
  const tender = await publishedTender({ platform } as BidsWorld, deadline, { maxPrice: "400000.00" });
  const agency = await account(["agency"], UNITS.agency);
  const purchaser = await account(["purchaser"], UNITS.purchaser);
  const supervisor = await account(["regulator"], UNITS.supervisor);
  const supplier = await account(["supplier"], SUPPLIERS[0]);

  // each custodian makes its key in its own browser
  const custodianPages: Record<string, Page> = {};
  for (const [c, who] of [["agency", agency], ["purchaser", purchaser], ["supervisor", supervisor]] as const) {
    const page = await open(who);
    await page.goto(`/etrading/tenders/${tender}/custodians/${c}`);
    await ready(page);
    await page.getByRole("button", { name: "生成密钥并登记公钥" }).click();
    await page.getByText("密钥已生成，公钥已登记").waitFor();
    custodianPages[c] = page;
  }
  await accessible(custodianPages.agency, "custodian page");
  const held = await platform.kernel.db.knex("etrading_custodian_keys").where({ tender_id: tender });
  expect(held.map((k) => k.custodian).sort()).toEqual(["agency", "purchaser", "supervisor"]);

  const page = await open(supplier);
  await page.goto(`/etrading/tenders/${tender}/bid`);
  await ready(page);
  expect(await page.getByRole("timer").innerText()).toMatch(/距截止还有 0 天 0?[12]:\d\d:\d\d/);
  await accessible(page, "bid page");

  // above the maximum price: refused in the browser, nothing sent
  await page.getByLabel("投标报价（元）").fill("400000.01");
  await page.getByRole("button", { name: "加密并递交" }).click();
  await page.getByRole("alert").filter({ hasText: "超过最高限价" }).waitFor();
  expect(await platform.kernel.db.knex("etrading_bids").where({ tender_id: tender })).toEqual([]);

  const note = "浏览器内加密的技术方案 QX-2291";
  await page.getByLabel("投标报价（元）").fill("356789.00");
  await page.getByLabel("响应说明").fill(note);
  await page.getByLabel("投标文件附件").setInputFiles({ name: "方案.txt", mimeType: "text/plain", buffer: Buffer.from(`${note}｜附件正文`) });
  await page.getByRole("button", { name: "加密并递交" }).click();
  await page.getByText("回执签名已在本机核验").waitFor();
  await ready(page);
  await accessible(page, "bid page with its receipt");

  const row = await platform.kernel.db.knex("etrading_bids").where({ tender_id: tender }).first();
  expect(row.version).toBe(1);
  const everything = JSON.stringify(row) + Buffer.from(row.ciphertext).toString("latin1");
  for (const plain of ["356789.00", "QX-2291", Buffer.from(note).toString("base64").slice(0, 16)]) expect([plain, everything.includes(plain)]).toEqual([plain, false]);

  // after the deadline: the agency's and the supervisor's browsers unwrap their shares and hand them in
  platform.kernel.clock.travelTo(deadline);
  for (const c of ["agency", "supervisor"]) {
    const p = custodianPages[c];
    await p.getByRole("button", { name: "解密并提交份额" }).click();
    await p.getByText("已提交 1 份密钥份额").waitFor();
  }
  const record = custodianPages.supervisor.getByRole("table");
  expect(await record.innerText()).toContain("356789.00");
  expect(await record.innerText()).toContain("已解密");
  await accessible(custodianPages.supervisor, "custodian page with the opening record");

  // what the browser sealed is what opens: the purchaser's key, kept in its browser, opens it too
  const purchaserKey = await custodianPages.purchaser.evaluate<string | null>(`localStorage.getItem("gdpc.etrading.custodian.${tender}.purchaser")`);
  const shares = await platform.api(`/api/etrading/tenders/${tender}/opening/custodians/purchaser/shares`, { token: purchaser.state.token });
  expect(openShare(shares.body.bids[0] as Pick<SealedBid, "tenderId" | "shares">, "purchaser", purchaserKey!)).toMatch(/^[A-Za-z0-9+/]+=*$/);

  // the supplier's page now says the deadline has passed and takes nothing more
  await page.reload();
  await ready(page);
  expect(await page.getByRole("timer").innerText()).toContain("投标已截止");
  expect(await page.getByRole("button", { name: "加密并递交" }).isDisabled()).toBe(true);

  // tender.opening.record: the bidder reads the record and confirms it online
  await page.getByRole("button", { name: "确认开标记录" }).waitFor();
  expect(await page.locator("#bid-record-title").locator("..").getByRole("table").innerText()).toContain("356789.00");
  await accessible(page, "bid page with the opening record");
  await page.getByRole("button", { name: "确认开标记录" }).click();
  await page.getByText("贵单位已确认开标记录").waitFor();
  const answered = await platform.kernel.db.knex("etrading_opening_confirmations").where({ tender_id: tender });
  expect(answered.map((a) => [a.supplier_code, a.confirmed])).toEqual([[SUPPLIERS[0], true]]);
});
