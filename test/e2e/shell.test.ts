/**
 * The app's shell in Chromium (issue 13's browser breakages, issue 17's titles and language): deep
 * links opened signed out, reloads of page paths with a dot, page titles and `lang` on every route,
 * and the Content-Security-Policy: no page of these tests may report a violation.
 */
import type { Browser, Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { apiSignIn, axeCheck, cspViolations, ready, serious, useSession, watchCsp, type Signed } from "./a11y";
import { builtWebApp, launchChromium, newPage } from "./browser";
import { see } from "./see";

jest.setTimeout(120_000);

let platform: TestPlatform;
let browser: Browser;
const pages: Array<{ page: Page; errors: string[] }> = [];
let buyer: Signed;
let regulator: Signed;

async function open(viewport?: { width: number; height: number }, deviceScaleFactor?: number) {
  const p = deviceScaleFactor ? await zoomedPage(viewport!, deviceScaleFactor) : await newPage(browser, platform.baseUrl, viewport);
  await watchCsp(p.context);
  p.page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) p.errors.push(m.text());
  });
  pages.push(p);
  return p;
}

/** A page as a person at 200 % zoom sees it: a 1280 px window is 640 CSS pixels at scale 2. */
async function zoomedPage(viewport: { width: number; height: number }, deviceScaleFactor: number) {
  const context = await browser.newContext({ baseURL: platform.baseUrl, viewport, deviceScaleFactor, locale: "zh-CN", timezoneId: "Asia/Shanghai" });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.setDefaultTimeout(15_000);
  return { context, page, errors };
}

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  platform = await startTestPlatform({ demoAccounts: true });
  buyer = await apiSignIn(platform, "huizhou.buyer", "441300401", "Huizhou-Buyer-Shell-2027!");
  regulator = await apiSignIn(platform, "huizhou.regulator", "441300001", "Huizhou-Regulator-Shell-2027!");
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

afterEach(async () => {
  for (const p of pages) {
    // no script error, no CSP violation on any page along the way
    expect(p.errors).toEqual([]);
    if (!p.page.isClosed()) expect(await cspViolations(p.page)).toEqual([]);
  }
});

describe("deep links and reloads", () => {
  test("an instance's link opened signed out shows the sign-in page; the first sign-in and the forced change lead back to that instance", async () => {
    const unit = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
    const made = await platform.api("/api/workflows/supervision.intention/instances", {
      method: "POST",
      token: unit,
      body: { data: { projectName: "惠州市深层链接测试项目", summary: "链接", budget: "100000.00", expectedMonth: "2027-06" } },
    });
    expect(made.status).toBe(201);
    const { page } = await open();
    await page.goto(`/instances/${made.body.id}`);
    await page.getByRole("heading", { level: 1, name: "登录" }).waitFor();
    expect(new URL(page.url()).searchParams.get("next")).toBe(`/instances/${made.body.id}`);
    await page.locator("#login_username").fill("huizhou.agency");
    await page.locator("#login_password").fill("441300801");
    await page.getByRole("button", { name: "登录", exact: true }).click();
    await page.waitForURL(/\/change-password\?next=/);
    await page.locator("#pwd_currentPassword").fill("441300801");
    await page.locator("#pwd_newPassword").fill("Huizhou-Agency-Shell-2027!");
    await page.locator("#pwd_confirmPassword").fill("Huizhou-Agency-Shell-2027!");
    await page.getByRole("button", { name: "保存新密码" }).click();
    await page.waitForURL((u) => u.pathname === `/instances/${made.body.id}`);
    await ready(page);

    // and the same link once more, signed out, by someone who already chose a password
    const second = await open();
    await second.page.goto(`/instances/${made.body.id}`);
    await second.page.getByRole("heading", { level: 1, name: "登录" }).waitFor();
    await second.page.locator("#login_username").fill("huizhou.agency");
    await second.page.locator("#login_password").fill("Huizhou-Agency-Shell-2027!");
    await second.page.getByRole("button", { name: "登录", exact: true }).click();
    await second.page.waitForURL((u) => u.pathname === `/instances/${made.body.id}`);
    await ready(second.page);
  });

  test("reloading a form's page (/start/supervision.intention, a path with a dot) shows the form, its title and its language", async () => {
    const { page } = await open();
    await useSession(page, buyer);
    await page.goto("/start/supervision.intention");
    await ready(page);
    await see(page.locator("main h1")).toContainText("采购意向");
    await page.reload();
    await ready(page);
    await page.locator("#root_projectName").waitFor();
    expect(await page.evaluate("document.documentElement.lang")).toBe("zh-CN");
    expect(await page.title()).toMatch(/采购意向.* · 广东省政府采购智慧云平台$/);
  });
});

describe("page titles and language", () => {
  test("every route has its own document title, and <html lang> follows the switch, on deep links and reloads", async () => {
    const { page } = await open();
    await useSession(page, buyer);
    const titles = new Map<string, string>();
    for (const path of ["/notices", "/calendar", "/guides", "/work", "/projects", "/notifications", "/change-password", "/no/such/page"]) {
      await page.goto(path);
      await ready(page);
      const h1 = (await page.locator("main h1").innerText()).trim();
      const title = await page.title();
      expect([path, title]).toEqual([path, `${h1} · 广东省政府采购智慧云平台`]);
      titles.set(path, title);
    }
    expect(new Set(titles.values()).size).toBe(titles.size);
    await page.goto("/calendar");
    await ready(page);
    await page.getByRole("button", { name: "切换语言：English" }).click();
    await see(page.locator("main h1")).not.toContainText("上线");
    expect(await page.evaluate("document.documentElement.lang")).toBe("en");
    expect(await page.title()).toMatch(/ · Guangdong Government Procurement Cloud$/);
    await page.goto("/work");
    await ready(page);
    expect(await page.evaluate("document.documentElement.lang")).toBe("en");
    expect(await page.title()).toBe("My workspace · Guangdong Government Procurement Cloud");
    await page.getByRole("button", { name: "Switch language: 中文" }).click();
    await see(page.locator("main h1")).toContainText("我的工作台");
    expect(await page.evaluate("document.documentElement.lang")).toBe("zh-CN");
  });
});

/** Elements that stick out of the window sideways (wide tables scroll inside their own box). */
const OVERFLOW = `(() => {
  const out = [];
  const w = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > w + 1) out.push("page scrolls sideways: " + document.documentElement.scrollWidth + " > " + w);
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest(".table-wrap, .sr-only, .skip-link") || el.getClientRects().length === 0) continue;
    const r = el.getBoundingClientRect();
    if (r.width && (r.right > w + 1 || r.left < -1)) out.push(el.tagName.toLowerCase() + "." + el.className + " " + Math.round(r.left) + "–" + Math.round(r.right));
    // text its own box clips (an ellipsis, a hidden overflow)
    const cs = getComputedStyle(el);
    if ((cs.overflowX === "hidden" || cs.overflowX === "clip") && el.scrollWidth > el.clientWidth + 1 && el.textContent.trim()) out.push("cut off: " + el.tagName.toLowerCase() + "." + el.className + " " + JSON.stringify(el.textContent.trim().slice(0, 30)));
  }
  return out.slice(0, 10);
})()`;

describe("elder-friendly mode (适老化) and zoom", () => {
  test("the header's switch makes text larger and contrast stronger, says its state, and is kept per person across reloads", async () => {
    const { page } = await open();
    await useSession(page, buyer);
    await page.goto("/work");
    await ready(page);
    const rootSize = () => page.evaluate<number>("parseFloat(getComputedStyle(document.documentElement).fontSize)");
    const normal = await rootSize();
    const toggle = page.getByRole("button", { name: "适老模式" });
    expect(await toggle.getAttribute("aria-pressed")).toBe("false");
    await toggle.click();
    expect(await toggle.getAttribute("aria-pressed")).toBe("true");
    expect(await rootSize()).toBeGreaterThanOrEqual(normal * 1.25);
    // body text is black on white in this mode
    expect(await page.evaluate<string>("getComputedStyle(document.querySelector('main h1')).color")).toBe("rgb(0, 0, 0)");
    await page.reload();
    await ready(page);
    expect(await page.getByRole("button", { name: "适老模式" }).getAttribute("aria-pressed")).toBe("true");
    expect(await rootSize()).toBeGreaterThanOrEqual(normal * 1.25);

    // someone else signing in on this browser has their own choice
    await page.evaluate(`localStorage.setItem("gdpc.session", ${JSON.stringify(JSON.stringify(regulator.state))})`);
    await page.goto("/work");
    await ready(page);
    expect(await page.getByRole("button", { name: "适老模式" }).getAttribute("aria-pressed")).toBe("false");
    expect(await rootSize()).toBe(normal);
    await page.evaluate(`localStorage.setItem("gdpc.session", ${JSON.stringify(JSON.stringify(buyer.state))})`);
    await page.goto("/work");
    await ready(page);
    expect(await page.getByRole("button", { name: "适老模式" }).getAttribute("aria-pressed")).toBe("true");
    // the mode itself passes the WCAG check (contrast of its colours, its switch's name)
    for (const path of ["/work", "/notifications", "/start/supervision.intention"]) {
      await page.goto(path);
      await ready(page);
      expect([path, serious(await axeCheck(page))]).toEqual([path, []]);
    }
    // in English too
    await page.getByRole("button", { name: "切换语言：English" }).click();
    expect(await page.getByRole("button", { name: "Larger text" }).getAttribute("aria-pressed")).toBe("true");
    await page.getByRole("button", { name: "Switch language: 中文" }).click();

    // switched on before signing in, it stays on for an account that never chose
    const visitor = await open();
    await visitor.page.goto("/login");
    await ready(visitor.page);
    await visitor.page.getByRole("button", { name: "适老模式" }).click();
    await visitor.page.locator("#login_username").fill("huizhou.supplier");
    await visitor.page.locator("#login_password").fill("441300901");
    await visitor.page.getByRole("button", { name: "登录", exact: true }).click();
    await visitor.page.waitForURL(/\/change-password/);
    await ready(visitor.page);
    expect(await visitor.page.getByRole("button", { name: "适老模式" }).getAttribute("aria-pressed")).toBe("true");
    expect(await visitor.page.evaluate<boolean>("document.documentElement.classList.contains('elder')")).toBe(true);
  });

  test("at 200 % zoom (640 px at scale 2), with and without elder mode, pages fit the window and nothing sticks out", async () => {
    const { page } = await open({ width: 640, height: 800 }, 2);
    await useSession(page, buyer);
    const problems: string[] = [];
    for (const elder of [false, true]) {
      await page.evaluate(`localStorage.setItem("gdpc.elder.${buyer.state.user.id}", "${elder ? 1 : 0}")`);
      for (const path of ["/notices", "/calendar", "/guides", "/work", "/projects", "/notifications", "/start/supervision.intention", "/start/supervision.plan", "/change-password"]) {
        await page.goto(path);
        await ready(page);
        expect(await page.evaluate<boolean>("document.documentElement.classList.contains('elder')")).toBe(elder);
        for (const p of await page.evaluate<string[]>(OVERFLOW)) problems.push(`${elder ? "elder " : ""}${path}: ${p}`);
      }
      // the folded menu opens and its links fit too
      await page.getByRole("button", { name: "菜单" }).click();
      await page.getByRole("link", { name: "我的工作台" }).waitFor();
      for (const p of await page.evaluate<string[]>(OVERFLOW)) problems.push(`${elder ? "elder " : ""}menu: ${p}`);
    }
    expect(problems).toEqual([]);
  });
});

/** Where the keyboard's focus is: a short name for messages, its place, and whether it is visibly marked. */
const FOCUS = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const cs = getComputedStyle(el);
  const ring = (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2) || cs.boxShadow !== "none";
  const name = (el.getAttribute("aria-label") || el.textContent || el.id || el.tagName).trim().replace(/\\s+/g, " ").slice(0, 40);
  const all = [...document.querySelectorAll("*")];
  return { name: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + name, index: all.indexOf(el), ring, inMain: !!el.closest("main") };
})()`;
type Stop = { name: string; index: number; ring: boolean; inMain: boolean };

/**
 * Presses Tab until `target` has the focus, as a keyboard user would; fails if it takes more than
 * `max` presses (a trap, or something unreachable). Every stop on the way must show where focus is,
 * and the stops inside <main> come in the page's reading order.
 */
async function tabTo(page: Page, target: string, max = 40): Promise<Stop[]> {
  const stops: Stop[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const stop = await page.evaluate<Stop | null>(FOCUS);
    if (stop) stops.push(stop);
    if (await page.locator(target).first().evaluate((el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement).catch(() => false)) {
      expect(stops.filter((s) => !s.ring).map((s) => s.name)).toEqual([]);
      // within each stretch of stops inside <main> (Tab wraps round through the header)
      const backwards = stops.some((st, k) => k > 0 && st.inMain && stops[k - 1].inMain && st.index < stops[k - 1].index);
      if (backwards) throw new Error(`the focus went back up the page: ${stops.map((s) => `${s.name} (${s.index})`).join(" → ")}`);
      return stops;
    }
  }
  throw new Error(`${target} not reached by ${max} presses of Tab; the focus went: ${stops.map((s) => s.name).join(" → ")}`);
}

describe("the keyboard alone, through the lifecycle", () => {
  test("sign in, the forced password change with a mistake, a notification from the bell, and the task it points to", async () => {
    // a plan of Maoming's hospital waiting for the regulator, made through the API
    const unit = await platform.token({ roles: ["purchaser"], tenantCode: "440900", unitCode: "440900201" });
    const call = async (path: string, body: unknown) => {
      const r = await platform.api(path, { method: "POST", token: unit, body });
      if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const intention = await call("/api/workflows/supervision.intention/instances", { data: { projectName: "茂名市医疗设备键盘测试采购", summary: "监护仪", budget: "300000.00", expectedMonth: "2027-05" } });
    await call(`/api/instances/${intention.id}/transitions/publish`, { expectedVersion: intention.version });
    const plan = await call("/api/workflows/supervision.plan/instances", {
      data: { projectId: intention.id, budgetCode: "440900201", fundsSource: "current-year-quota", method: "public-tender", items: [{ category: "A02010104", name: "监护仪", quantity: 3, unit: "台", unitPrice: "100000.00", amount: "300000.00" }], total: "300000.00", smeShare: 40, exemptionReason: "急需，依法豁免" },
    });
    await call(`/api/instances/${plan.id}/transitions/submit`, { expectedVersion: plan.version });

    const { page } = await open();
    expect(await page.evaluate("0")).toBe(0);
    await page.goto("/login");
    await ready(page);
    expect(await page.locator("[tabindex]:not([tabindex='0']):not([tabindex='-1'])").count()).toBe(0);
    // the page puts the focus in its first field; a full round of Tab comes back to it past the skip link
    await see(page.locator("#login_username")).toBeFocused();
    const round = await tabTo(page, "#login_username");
    expect(round.map((st) => st.name)).toEqual(expect.arrayContaining([expect.stringContaining("跳到主要内容"), expect.stringContaining("login_password"), expect.stringContaining("适老模式")]));
    await page.keyboard.type("maoming.regulator");
    await page.keyboard.press("Tab");
    await see(page.locator("#login_password")).toBeFocused();
    await page.keyboard.type("440900001");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/change-password/);
    await ready(page);

    // a form with a mistake: the two new passwords differ
    await tabTo(page, "#pwd_currentPassword");
    await page.keyboard.type("440900001");
    await page.keyboard.press("Tab");
    await page.keyboard.type("Maoming-Regulator-Key-2027!");
    await page.keyboard.press("Tab");
    await see(page.locator("#pwd_confirmPassword")).toBeFocused();
    await page.keyboard.type("Maoming-Regulator-Key-2O27!");
    await page.keyboard.press("Enter");
    // announced (role=alert takes the focus), and linked: the field says it is wrong and which words say why
    await see(page.locator(".error-summary")).toBeFocused();
    expect(await page.locator(".error-summary").getAttribute("role")).toBe("alert");
    const confirm = page.locator("#pwd_confirmPassword");
    await see(page.locator(`[id="pwd_confirmPassword__error"]`)).toContainText("两次输入的新密码不一致");
    expect(await confirm.getAttribute("aria-invalid")).toBe("true");
    expect((await confirm.getAttribute("aria-describedby"))?.split(" ")).toContain("pwd_confirmPassword__error");
    // the summary's entry takes the keyboard to the field
    await tabTo(page, ".error-summary a", 3);
    await page.keyboard.press("Enter");
    await see(confirm).toBeFocused();
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.type("Maoming-Regulator-Key-2027!");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/work$/);
    await ready(page);

    // the bell: opened, closed with Escape (focus back on it), opened again, its item followed
    const bell = page.getByRole("button", { name: /^通知，\d+ 条未读$/ });
    await tabTo(page, ".bell-button", 30);
    await page.keyboard.press("Enter");
    expect(await bell.getAttribute("aria-expanded")).toBe("true");
    await page.keyboard.press("Tab");
    expect(await page.evaluate<boolean>(`!!document.activeElement.closest("#bell-panel")`)).toBe(true);
    await page.keyboard.press("Escape");
    await see(bell).toBeFocused();
    await see(page.locator("#bell-panel")).toHaveCount(0);
    await page.keyboard.press("Enter");
    await tabTo(page, `.bell-item:has-text("有采购计划待备案")`, 12);
    await page.keyboard.press("Enter");
    await page.waitForURL((u) => u.pathname === `/instances/${plan.id}`);
    await ready(page);
    // focus starts at the new page's heading, not lost on the page's body
    await see(page.locator("main h1")).toBeFocused();

    // the task: file the plan
    await tabTo(page, `button:text-is("备案")`, 25);
    await page.keyboard.press("Enter");
    // cancelled: the panel closes and the focus is back on the button that opened it
    await tabTo(page, `.transition-form button:text-is("取消")`, 8);
    await page.keyboard.press("Enter");
    await see(page.getByTestId("transition-form")).toHaveCount(0);
    await see(page.locator(`button:text-is("备案")`)).toBeFocused();
    await page.keyboard.press("Enter");
    await tabTo(page, `button:text-is("确认备案")`, 5);
    await page.keyboard.press("Enter");
    await see(page.getByRole("status")).toContainText("已完成：备案");
  });
});

describe("the bell", () => {
  test("its items name their project, and leave it once handled (the task acted on) or read", async () => {
    const unit = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
    const project = `惠州市铃铛测试项目 ${Date.now().toString(36)}`;
    const call = async (path: string, body: unknown, token = unit) => {
      const r = await platform.api(path, { method: "POST", token, body });
      if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const intention = await call("/api/workflows/supervision.intention/instances", { data: { projectName: project, summary: "铃铛", budget: "200000.00", expectedMonth: "2027-05" } });
    await call(`/api/instances/${intention.id}/transitions/publish`, { expectedVersion: intention.version });
    const plan = await call("/api/workflows/supervision.plan/instances", {
      data: { projectId: intention.id, budgetCode: "441300401", fundsSource: "current-year-quota", method: "public-tender", items: [{ category: "A02010104", name: "路灯", quantity: 2, unit: "台", unitPrice: "100000.00", amount: "200000.00" }], total: "200000.00", smeShare: 40, exemptionReason: "急需，依法豁免" },
    });
    const submitted = await call(`/api/instances/${plan.id}/transitions/submit`, { expectedVersion: plan.version });

    const { page } = await open();
    await useSession(page, regulator);
    await page.goto("/work");
    await ready(page);
    const bell = page.locator(".bell-button");
    const mine = page.locator(".bell-item", { hasText: project });
    await see(page.getByTestId("bell-count")).toBeVisible();
    await bell.click();
    await see(mine).toContainText("有采购计划待备案");
    const before = Number(await page.getByTestId("bell-count").innerText());
    // the inbox page names it too
    await page.goto("/notifications");
    await ready(page);
    await see(page.locator(".inbox")).toContainText(project);

    // filed (here through the API, as from another tab or device): the item leaves the bell and the count
    await call(`/api/instances/${plan.id}/transitions/file`, { expectedVersion: submitted.version }, regulator.state.token);
    await page.goto("/work");
    await ready(page);
    await bell.click();
    await page.locator("#bell-panel").waitFor();
    await see(mine).toHaveCount(0);
    await see(page.getByTestId("bell-count")).toHaveText(String(before - 1));

    // read: it leaves the bell as well (the inbox page keeps it, marked read)
    // an item whose project no other item names (the demo has several tasks about one project)
    const subjects = (await page.locator(".bell-list li .bell-item-subject").allInnerTexts()).map((x) => x.trim());
    const at = subjects.findIndex((x) => x !== "" && subjects.indexOf(x) === subjects.lastIndexOf(x));
    expect(at).toBeGreaterThanOrEqual(0);
    const other = page.locator(".bell-list li").nth(at);
    const subject = subjects[at];
    await other.getByRole("button", { name: "标为已读" }).click();
    await see(page.getByTestId("bell-count")).toHaveText(String(before - 2));
    await see(page.locator(".bell-list")).not.toContainText(subject);
  });
});
