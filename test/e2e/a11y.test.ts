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
  { role: "expert", username: "huizhou.expert", first: "441300990" },
  { role: "platform-admin", username: "admin", first: ADMIN_PASSWORD },
  { role: "helpdesk-agent", username: "huizhou.helpdesk", first: "441300001" },
  { role: "institution", username: "huizhou.insurer", first: "441300702" },
];

let platform: TestPlatform;
let browser: Browser;
const found: Array<Violation & { who: string; lang: string; route: string }> = [];
const opened: Array<{ context: BrowserContext; page: Page; errors: string[] }> = [];
let checks = 0;
/** each role's session, signed in once by its matrix test */
const sessions = new Map<string, Signed>();

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
  const offers = await platform.api("/api/commodities/offers?pageSize=1&facets=0");
  const product = offers.status === 200 && offers.body.items?.length ? String(offers.body.items[0].productId) : null;
  // the e-mall's catalogue and a product (demo data: plugins/commodities/demo.ts)
  // the helpdesk's guides (plugins/helpdesk/demo.ts): the list, one guide, the help link's page
  const guide = await firstId(signed?.state.token ?? null, "/api/helpdesk/guides?kind=video");
  const helpdesk = ["/help/guides", ...(guide ? [`/help/guides/${guide}`] : []), `/help/page?path=${encodeURIComponent("/etrading/tenders")}`];
  // a print view (the demo's award notice, plugins/analytics) and the page that verifies its code
  const releases = await platform.api("/api/analytics/ocds/releases?pageSize=100");
  const award = (releases.body.releases ?? []).find((r: { tag: string[] }) => r.tag.includes("award"))?.ocid as string | undefined;
  const documents = ["/verify", ...(award ? [`/documents/${award}/award`] : [])];
  const publicRoutes = ["/", "/notices", ...(notice ? [`/notices/${notice}`] : []), "/calendar", "/guides", "/credit", "/data", ...documents, "/help", ...helpdesk, "/mall", ...(product ? [`/mall/products/${product}`] : []), "/finance/verify", "/no/such/page"];
  if (!signed) return [...publicRoutes, "/login", "/work"];
  const { token, user } = signed.state;
  const project = await firstId(token, "/api/supervision/projects?pageSize=1");
  // a custodian's key page, for the roles that hold a custodian place on a tender (agency, purchaser, supervisor)
  const custodian = (["agency", "purchaser", "regulator"] as const).find((r) => user.roles.includes(r));
  const instance = await firstId(token, "/api/instances?pageSize=1");
  const tender = await firstId(token, "/api/etrading/tenders");
  const drawing = await firstId(token, "/api/experts/drawings");
  const evaluation = await firstId(token, "/api/evaluation/evaluations");
  const challenge = await firstId(token, "/api/complaints/challenges");
  const auction = await firstId(token, "/api/emall/auctions");
  const ticket = await firstId(token, `/api/helpdesk/tickets?scope=${user.roles.includes("helpdesk-agent") ? "region" : "mine"}`);
  const workflows = (await platform.api("/api/workflows", { token })).body as Array<{ id: string; start: { roles: string[] } | null }>;
  const startable = workflows.filter((w) => w.start?.roles.some((r) => user.roles.includes(r))).map((w) => `/start/${w.id}`);
  const admin = user.roles.some((r) => r === "tenant-admin" || r === "platform-admin");
  return [
    "/notices",
    "/work",
    "/projects",
    ...(project ? [`/projects/${project}`] : []),
    ...(instance ? [`/instances/${instance}`] : []),
    "/etrading/tenders",
    ...(tender ? [`/etrading/tenders/${tender}`] : []),
    ...startable,
    "/notifications",
    "/notifications?unread=1",
    "/change-password",
    ...(admin ? ["/admin", "/admin/accounts", `/admin/${user.tenantCode}/etrading`] : []),
    ...(user.roles.includes("platform-admin") ? ["/admin/dead-letters"] : []),
    ...(tender && user.roles.includes("supplier") ? [`/etrading/tenders/${tender}/bid`] : []),
    ...(tender && custodian ? [`/etrading/tenders/${tender}/custodians/${custodian === "regulator" ? "supervisor" : custodian}`] : []),
    // the opening hall: open to those who take part after the deadline, a clear refusal otherwise
    ...(tender ? [`/etrading/tenders/${tender}/opening`] : []),
    // the printed opening record (its parties after the decryption, a clear refusal otherwise)
    ...(tender ? [`/etrading/tenders/${tender}/opening-record`] : []),
    // credit: the screening snapshot (a clear refusal for those it is not for), the party's own file, the regulators' imports
    ...(tender ? [`/etrading/tenders/${tender}/screening`] : []),
    ...((user as { unitCode?: string }).unitCode ? [`/credit/files/${(user as { unitCode?: string }).unitCode}`] : []),
    ...(user.roles.includes("regulator") ? ["/credit/imports"] : []),
    ...(user.roles.includes("regulator") ? ["/credit/penalties/new"] : []),
    // credit: the ratings the party owes and its quarter score
    ...(user.roles.some((r) => ["purchaser", "agency", "supplier", "expert"].includes(r)) ? ["/credit/ratings"] : []),
    // the analytics dashboard: a regulator's region, a purchasing unit's own figures
    ...(user.roles.some((r) => r === "regulator" || r === "purchaser") ? ["/analytics"] : []),
    // the experts registry: the expert's own record (a way to apply for the others), the regulator's admission list, the drawings
    "/experts/me",
    // the e-mall: the cart and order form, the unit's orders or the supplier's inbox
    "/mall",
    "/mall/cart",
    "/mall/orders",
    // the live reverse auctions: the list, and the demo's Huizhou auction (plugins/emall/demo.ts)
    "/mall/auctions",
    ...(auction ? [`/mall/auctions/${auction}`] : []),
    ...(user.roles.includes("regulator") ? ["/experts/admission"] : []),
    ...(["agency", "purchaser", "regulator"].some((r) => user.roles.includes(r)) ? ["/experts/drawings"] : []),
    ...(drawing ? [`/experts/drawings/${drawing}`] : []),
    // evaluation: the caller's evaluations and one of them (an expert's score sheet, the report)
    "/evaluation",
    ...(evaluation ? [`/evaluation/evaluations/${evaluation}`] : []),
    // the printed report (once signed; a clear refusal before)
    ...(evaluation ? [`/evaluation/evaluations/${evaluation}/report`] : []),
    // challenges and complaints: filing from the tender page (a clear refusal for a non-participant), the list and one challenge, the regulator's desk
    ...(tender && user.roles.includes("supplier") ? [`/etrading/tenders/${tender}/challenge`] : []),
    "/complaints/challenges",
    ...(tender ? [`/complaints/challenges?tender=${tender}`] : []),
    ...(challenge ? [`/complaints/challenges/${challenge}`] : []),
    ...(user.roles.includes("regulator") ? ["/complaints/desk"] : []),
    // the helpdesk: guides for the role, tickets (the demo's are Huizhou suppliers' and a purchaser's), the agents' desk
    ...helpdesk,
    "/helpdesk/tickets",
    ...(ticket ? [`/helpdesk/tickets/${ticket}`] : []),
    ...(user.roles.includes("helpdesk-agent") ? ["/helpdesk/agent", "/helpdesk/tickets?scope=region"] : []),
    // financial services: the supplier's securities, the institution's inbox, the agency's and regulator's deposits and red items
    ...(user.roles.includes("supplier") ? ["/finance/securities"] : []),
    ...(user.roles.includes("institution") ? ["/finance/inbox"] : []),
    ...(["agency", "regulator"].some((r) => user.roles.includes(r)) ? ["/finance/deposits"] : []),
    // the registries: every signed-in role has the page (the API says what each may read), a supplier filter on
    "/registries/suppliers",
    "/registries/suppliers?sizeClass=small&sme=true",
    "/registries/purchasers",
    "/registries/agencies",
  ];
}

/**
 * Two pages, each in its own browser context (its own renderer), take turns with the routes: while
 * one waits for an answer or a paint the other runs axe, which on two cores halves the matrix's time
 * without checking any less.
 */
const LANES = 2;

async function checkAll(who: string, signed: Signed | null, only?: (route: string) => boolean): Promise<void> {
  const routes = (await routesOf(signed)).filter((r) => !only || only(r));
  const lane = async (mine: string[], withBell: boolean) => {
    const p = await newPage(browser, platform.baseUrl);
    await watchCsp(p.context);
    opened.push(p);
    const { page } = p;
    if (signed) await useSession(page, signed);
    const check = async (route: string, lang: string) => {
      await ready(page);
      expect([route, await page.evaluate("document.documentElement.lang")]).toEqual([route, lang]);
      const vs = await axeCheck(page);
      checks++;
      for (const v of vs) found.push({ ...v, who, lang, route });
      expect([route, lang, await unlabelledFields(page)]).toEqual([route, lang, []]);
    };
    // each route in Chinese, then in English by the header's switch (no reload), then back
    for (const route of mine) {
      await page.goto(route);
      await check(route, "zh-CN");
      await page.getByRole("button", { name: "切换语言：English" }).click();
      await page.waitForFunction(`document.documentElement.lang === "en"`);
      await check(route, "en");
      await page.getByRole("button", { name: "Switch language: 中文" }).click();
      await page.waitForFunction(`document.documentElement.lang === "zh-CN"`);
    }
    if (withBell) {
      // the bell's panel, open (it is not in the page until then)
      await page.goto("/work");
      await page.locator(".bell-button").click();
      await page.locator("#bell-panel").waitFor();
      await check("/work (bell open)", "zh-CN");
    }
  };
  const lanes = Array.from({ length: LANES }, (_, n) => lane(routes.filter((_, i) => i % LANES === n), !!signed && n === 0));
  // every lane to its end before judging, so that a failing lane does not leave the other running into the next test
  const settled = await Promise.allSettled(lanes);
  for (const s of settled) if (s.status === "rejected") throw s.reason;
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
      sessions.set(r.role, signed);
      await checkAll(r.role, signed);
    });
  }
});

describe("the registries pages", () => {
  // what the matrix checks for every role, alone for two (-t 'registries'), with the columns each gets
  for (const [role, contacts] of [
    ["purchaser", false],
    ["platform-admin", true],
  ] as const) {
    test(`registries as ${role}: no serious violation in either language; supplier contacts shown only to those who may read them`, async () => {
      const r = ROLES.find((x) => x.role === role)!;
      // the whole file's matrix has checked these routes for the role already (and signed it in): alone, they are checked here
      const matrixRan = sessions.has(role);
      const signed = sessions.get(role) ?? (await apiSignIn(platform, r.username, r.first, `Guangdong-A11y-${ROLES.indexOf(r)}-2027!`));
      sessions.set(role, signed);
      if (!matrixRan) await checkAll(`${role} (registries)`, signed, (route) => route.startsWith("/registries"));
      const p = await newPage(browser, platform.baseUrl);
      await watchCsp(p.context);
      opened.push(p);
      const { page } = p;
      await useSession(page, signed);
      await page.goto("/registries/suppliers");
      await ready(page);
      const headers = await page.locator("[data-testid=registry] thead th").allInnerTexts();
      expect(headers.slice(0, 2)).toEqual(["名称", "统一社会信用代码"]);
      expect(headers.includes("联系人")).toBe(contacts);
    });
  }
});

describe("the demo evaluation's score sheet", () => {
  test("huizhou.expert's sheet on the demo evaluation (plugins/evaluation/demo.ts): every score input named by bidder and criterion, no serious violation, in both languages", async () => {
    // the matrix signed the expert in already when the whole file runs; alone (-t), it signs in here
    const signed = sessions.get("expert") ?? (await apiSignIn(platform, "huizhou.expert", "441300990", `Guangdong-A11y-${ROLES.findIndex((r) => r.role === "expert")}-2027!`));
    const id = await firstId(signed.state.token, "/api/evaluation/evaluations");
    expect(id).not.toBeNull();
    const p = await newPage(browser, platform.baseUrl);
    await watchCsp(p.context);
    opened.push(p);
    const { page } = p;
    await useSession(page, signed);
    await page.goto(`/evaluation/evaluations/${id}`);
    await ready(page);
    const inputs = page.locator("section[aria-labelledby=evaluation-sheet] input[type=number]");
    // three qualified bids × two criteria
    expect(await inputs.count()).toBe(6);
    expect(await inputs.first().getAttribute("aria-label")).toMatch(/^惠州市.+：技术方案$/);
    expect(await unlabelledFields(page)).toEqual([]);
    expect(serious(await axeCheck(page))).toEqual([]);
    await page.getByRole("button", { name: "切换语言：English" }).click();
    await page.waitForFunction(`document.documentElement.lang === "en"`);
    await ready(page);
    expect(await inputs.first().getAttribute("aria-label")).toMatch(/: Technical proposal$/);
    expect(await unlabelledFields(page)).toEqual([]);
    expect(serious(await axeCheck(page))).toEqual([]);
  });
});

describe("the demo evaluation's runner page", () => {
  test("huizhou.agency runs the demo evaluation (plugins/evaluation/demo.ts, in scoring): its panel with the qualification review's results, no serious violation, in both languages", async () => {
    const signed = sessions.get("agency") ?? (await apiSignIn(platform, "huizhou.agency", "441300801", `Guangdong-A11y-${ROLES.findIndex((r) => r.role === "agency")}-2027!`));
    const id = await firstId(signed.state.token, "/api/evaluation/evaluations");
    expect(id).not.toBeNull();
    const p = await newPage(browser, platform.baseUrl);
    await watchCsp(p.context);
    opened.push(p);
    const { page } = p;
    await useSession(page, signed);
    await page.goto(`/evaluation/evaluations/${id}`);
    await ready(page);
    const panel = page.locator("section[aria-labelledby=evaluation-runner]");
    await panel.getByRole("heading", { name: "采购人（代理机构）办理" }).waitFor();
    // the demo's agency passed the three bids; the committee's score sheet is not the runner's
    expect(await panel.getByRole("listitem").allInnerTexts()).toEqual([expect.stringMatching(/：通过$/), expect.stringMatching(/：通过$/), expect.stringMatching(/：通过$/)]);
    expect(await page.locator("section[aria-labelledby=evaluation-sheet]").count()).toBe(0);
    expect(await unlabelledFields(page)).toEqual([]);
    expect(serious(await axeCheck(page))).toEqual([]);
    await page.getByRole("button", { name: "切换语言：English" }).click();
    await page.waitForFunction(`document.documentElement.lang === "en"`);
    await ready(page);
    await panel.getByRole("heading", { name: "For the purchaser or agency" }).waitFor();
    expect(await panel.getByRole("listitem").allInnerTexts()).toEqual([expect.stringMatching(/: Passed$/), expect.stringMatching(/: Passed$/), expect.stringMatching(/: Passed$/)]);
    expect(await unlabelledFields(page)).toEqual([]);
    expect(serious(await axeCheck(page))).toEqual([]);
  });
});

describe("the printed records", () => {
  test("printed records: ③'s opening record as huizhou.buyer, the demo evaluation's report before it is signed as huizhou.agency, and /verify with the record's code: no serious violation, in both languages", async () => {
    const buyer = sessions.get("purchaser") ?? (await apiSignIn(platform, "huizhou.buyer", "441300401", `Guangdong-A11y-${ROLES.findIndex((r) => r.role === "purchaser")}-2027!`));
    const agency = sessions.get("agency") ?? (await apiSignIn(platform, "huizhou.agency", "441300801", `Guangdong-A11y-${ROLES.findIndex((r) => r.role === "agency")}-2027!`));
    sessions.set("purchaser", buyer);
    sessions.set("agency", agency);
    const tender = await platform.kernel.db.knex("etrading_tenders").where({ title: "惠州市桥梁健康监测设备采购" }).first("id");
    const evaluation = await firstId(agency.state.token, "/api/evaluation/evaluations");
    const record = await platform.api(`/api/etrading/tenders/${tender.id}/opening-record`, { token: buyer.state.token });
    expect(record.status).toBe(200);
    const p = await newPage(browser, platform.baseUrl);
    await watchCsp(p.context);
    opened.push(p);
    const { page } = p;
    const both = async (what: string) => {
      await ready(page);
      expect([what, await unlabelledFields(page)]).toEqual([what, []]);
      expect([what, serious(await axeCheck(page))]).toEqual([what, []]);
      await page.getByRole("button", { name: "切换语言：English" }).click();
      await page.waitForFunction(`document.documentElement.lang === "en"`);
      await ready(page);
      expect([what, serious(await axeCheck(page))]).toEqual([what, []]);
      await page.getByRole("button", { name: "Switch language: 中文" }).click();
      await page.waitForFunction(`document.documentElement.lang === "zh-CN"`);
    };
    await useSession(page, buyer);
    await page.goto(`/etrading/tenders/${tender.id}/opening-record`);
    await page.locator(".doc-code").waitFor();
    await both("opening record");
    await useSession(page, agency);
    await page.goto(`/evaluation/evaluations/${evaluation}/report`);
    await page.locator(".notice-error").first().waitFor();
    await both("evaluation report (not signed yet)");
    await page.goto(`/verify?code=${record.body.code}`);
    await page.locator(".verify-result").waitFor();
    await both("verify");
  });
});

describe("forms a tenant overlays", () => {
  test("a field Huizhou adds is labelled and described like the form's own, and its error is announced and linked", async () => {
    const admin = sessions.get("tenant-admin")!;
    const buyer = sessions.get("purchaser")!;
    const put = await platform.api("/api/forms/supervision.intention/overlays/441300", {
      method: "PUT",
      token: admin.state.token,
      body: {
        addProperties: { projectCode: { type: "string", title: "项目编号", titleEn: "Project code", pattern: "^HZ[0-9]{6}$" } },
        required: ["projectCode"],
        ui: { projectCode: { "ui:help": "市财政局核发的项目编号，如 HZ202701", "ui:helpEn": "The code the city's finance bureau issued, e.g. HZ202701" } },
      },
    });
    expect([put.status, put.body?.error]).toEqual([200, undefined]);

    const p = await newPage(browser, platform.baseUrl);
    await watchCsp(p.context);
    opened.push(p);
    const { page } = p;
    await useSession(page, buyer);
    await page.goto("/start/supervision.intention");
    await ready(page);
    const field = page.locator("#root_projectCode");
    await field.waitFor();
    expect(await page.locator('label[for="root_projectCode"]').innerText()).toContain("项目编号");
    const described = (await field.getAttribute("aria-describedby"))?.split(" ") ?? [];
    const helps = await Promise.all(described.map((id) => page.locator(`[id="${id}"]`).allInnerTexts()));
    expect(helps.flat().join(" ")).toContain("市财政局核发的项目编号");
    expect(await unlabelledFields(page)).toEqual([]);
    expect(serious(await axeCheck(page))).toEqual([]);

    await page.locator("#root_projectName").fill("惠州市叠加表单测试");
    await page.locator("#root_summary").fill("叠加");
    await page.locator("#root_budget").fill("10000");
    await page.locator("#root_expectedMonth").fill("2027-09");
    await field.fill("HZ-1");
    await page.getByRole("button", { name: "提交", exact: true }).click();
    const summary = page.locator(".error-summary");
    await summary.waitFor();
    expect(await summary.getAttribute("role")).toBe("alert");
    await page.locator(".error-summary a", { hasText: "项目编号" }).click();
    expect(await field.evaluate((el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement)).toBe(true);
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    const errorIds = ((await field.getAttribute("aria-describedby")) ?? "").split(" ").filter((id) => id.endsWith("__error"));
    expect((await Promise.all(errorIds.map((id) => page.locator(`[id="${id}"]`).innerText()))).join(" ").trim()).not.toBe("");
    expect(serious(await axeCheck(page))).toEqual([]);
  });
});
