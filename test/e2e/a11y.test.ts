/**
 * WCAG 2.1 AA (GB/T 37668-2019) on every route of the web app, checked by axe-core in Chromium:
 * signed out and signed in as each demo role, in Chinese and in English. Any serious or critical
 * violation fails the suite; everything axe finds is printed. One platform, one browser, one
 * sign-in per role. New routes of app.tsx join by being listed in `routesOf`.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { apiSignIn, axeCheck, cspViolations, ready, serious, unlabelledFields, useSession, watchCsp, type Signed, type Violation } from "./a11y";
import { builtWebApp, launchChromium, newPage } from "./browser";

jest.setTimeout(180_000);

const ADMIN_PASSWORD = "Platform-Root-A11y-2027";
const ROLES: Array<{ role: string; username: string; first: string }> = [
  { role: "purchaser", username: "huizhou.buyer", first: "441300401" },
  { role: "regulator", username: "huizhou.regulator", first: "441300001" },
  { role: "agency", username: "huizhou.agency", first: "441300801" },
  { role: "supplier", username: "huizhou.supplier", first: "441300901" },
  { role: "tenant-admin", username: "huizhou.admin", first: "441300001" },
  { role: "platform-admin", username: "admin", first: ADMIN_PASSWORD },
];

let platform: TestPlatform;
let browser: Browser;
const found: Array<Violation & { who: string; lang: string; route: string }> = [];
const opened: Array<{ context: BrowserContext; page: Page; errors: string[] }> = [];
let checks = 0;

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  platform = await startTestPlatform({ demoAccounts: true, initAdminPassword: ADMIN_PASSWORD });
});

afterAll(async () => {
  const lines = found.map((v) => `  ${v.impact ?? "?"} ${v.id} · ${v.who} · ${v.lang} · ${v.route} · ${v.help}\n      ${v.targets.join("\n      ")}`);
  console.log(`axe-core WCAG 2.1 AA: ${checks} page checks, ${found.length} violation(s)${lines.length ? `:\n${lines.join("\n")}` : ""}`);
  await browser?.close();
  await platform?.stop();
});

afterEach(async () => {
  for (const p of opened) {
    expect(p.errors).toEqual([]);
    expect(await cspViolations(p.page)).toEqual([]);
  }
});

async function firstId(token: string | null, path: string): Promise<string | null> {
  const r = await platform.api(path, { token: token ?? undefined });
  return r.status === 200 && r.body.items?.length ? String(r.body.items[0].id) : null;
}

/** The routes of web/src/app.tsx this person can reach, with real ids where a route takes one. */
async function routesOf(signed: Signed | null): Promise<string[]> {
  const notice = await firstId(null, "/api/portal/notices?pageSize=1");
  const publicRoutes = ["/", "/notices", ...(notice ? [`/notices/${notice}`] : []), "/calendar", "/guides", "/no/such/page"];
  if (!signed) return [...publicRoutes, "/login", "/work"];
  const { token, user } = signed.state;
  const project = await firstId(token, "/api/supervision/projects?pageSize=1");
  const instance = await firstId(token, "/api/instances?pageSize=1");
  const workflows = (await platform.api("/api/workflows", { token })).body as Array<{ id: string; start: { roles: string[] } | null }>;
  const startable = workflows.filter((w) => w.start?.roles.some((r) => user.roles.includes(r))).map((w) => `/start/${w.id}`);
  const admin = user.roles.some((r) => r === "tenant-admin" || r === "platform-admin");
  return [
    "/notices",
    "/work",
    "/projects",
    ...(project ? [`/projects/${project}`] : []),
    ...(instance ? [`/instances/${instance}`] : []),
    ...startable,
    "/notifications",
    "/notifications?unread=1",
    "/change-password",
    ...(admin ? ["/admin", "/admin/accounts", `/admin/${user.tenantCode}/etrading`] : []),
  ];
}

async function checkAll(who: string, signed: Signed | null): Promise<void> {
  const p = await newPage(browser, platform.baseUrl);
  await watchCsp(p.context);
  opened.push(p);
  const { page } = p;
  if (signed) await useSession(page, signed);
  const routes = await routesOf(signed);
  const check = async (route: string, lang: string) => {
    await ready(page);
    expect([route, await page.evaluate("document.documentElement.lang")]).toEqual([route, lang]);
    const vs = await axeCheck(page);
    checks++;
    for (const v of vs) found.push({ ...v, who, lang, route });
    expect([route, lang, await unlabelledFields(page)]).toEqual([route, lang, []]);
  };
  // each route in Chinese, then in English by the header's switch (no reload), then back
  for (const route of routes) {
    await page.goto(route);
    await check(route, "zh-CN");
    await page.getByRole("button", { name: "切换语言：English" }).click();
    await page.waitForFunction(`document.documentElement.lang === "en"`);
    await check(route, "en");
    await page.getByRole("button", { name: "Switch language: 中文" }).click();
    await page.waitForFunction(`document.documentElement.lang === "zh-CN"`);
  }
  if (signed) {
    // the bell's panel, open (it is not in the page until then)
    await page.goto("/work");
    await page.locator(".bell-button").click();
    await page.locator("#bell-panel").waitFor();
    await check("/work (bell open)", "zh-CN");
  }
  const bad = found.filter((v) => v.who === who && serious([v]).length);
  expect(bad.map((v) => `${v.impact} ${v.id} on ${v.route} (${v.lang}): ${v.targets[0]}`)).toEqual([]);
}

describe("WCAG 2.1 AA on every route, both languages", () => {
  test("signed out", async () => {
    await checkAll("signed out", null);
  });

  for (const r of ROLES) {
    test(`signed in as ${r.role} (${r.username})`, async () => {
      const signed = await apiSignIn(platform, r.username, r.first, `Guangdong-A11y-${ROLES.indexOf(r)}-2027!`);
      expect(signed.state.user.roles).toContain(r.role);
      await checkAll(r.role, signed);
    });
  }
});
