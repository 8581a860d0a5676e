/**
 * WCAG 2.1 AA (GB/T 37668-2019) on every route of the web app, checked by axe-core in Chromium, and no
 * unnamed form field. In zh-CN, the platform's first language: every route signed out and as each of the
 * nine demo roles (with real ids where a route takes one), and each role's bell panel open. In English:
 * each distinct page once, a page being a route with its record ids named (`/etrading/tenders/:tender`;
 * a registry, a workflow's start form, a query are pages of their own): every signed-out page, and each
 * signed-in page as the first role (in ROLES' order) that reaches it. English changes the text and the
 * lang attributes, not which components render for a role, which the zh-CN pass checks role by role.
 * Any serious or critical violation fails the suite; everything axe finds is printed, with the number of
 * checks in each language. One platform, one browser, one sign-in per role. New routes of app.tsx join
 * by being listed in `routesOf`.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { apiSignIn, axeCheck, cspViolations, ready, serious, storedSession, unlabelledFields, useSession, watchCsp, type Signed, type Violation } from "./a11y";
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

type Lang = "zh-CN" | "en";
/** the header's button that switches the page to the key's language */
const SWITCH: Record<Lang, string> = { en: "切换语言：English", "zh-CN": "Switch language: 中文" };

let platform: TestPlatform;
let browser: Browser;
const found: Array<Violation & { who: string; lang: string; route: string }> = [];
/** the pages the running test opened, judged (script errors, CSP) and closed after it */
const opened: Array<{ context: BrowserContext; page: Page; errors: string[] }> = [];
const checks: Record<Lang, number> = { "zh-CN": 0, en: 0 };
/** each role's session, signed in once by its matrix test */
const sessions = new Map<string, Signed>();

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  platform = await startTestPlatform({ demoAccounts: true, initAdminPassword: ADMIN_PASSWORD });
});

afterAll(async () => {
  const lines = found.map((v) => `  ${v.impact ?? "?"} ${v.id} · ${v.who} · ${v.lang} · ${v.route} · ${v.help}\n      ${v.targets.join("\n      ")}`);
  console.log(
    `axe-core WCAG 2.1 AA: ${checks["zh-CN"] + checks.en} page checks (${checks["zh-CN"]} in zh-CN: every route signed out and as each role, and each role's bell; ` +
      `${checks.en} in English: each distinct page once, signed out and as the first role that reaches it signed in), ${found.length} violation(s)${lines.length ? `:\n${lines.join("\n")}` : ""}`,
  );
  await browser?.close();
  await platform?.stop();
});

afterEach(async () => {
  const pages = opened.splice(0);
  try {
    for (const p of pages) {
      expect(p.errors).toEqual([]);
      expect(await cspViolations(p.page)).toEqual([]);
    }
  } finally {
    // a page left open goes on rendering (countdowns tick every second) while the next tests run
    await Promise.all(pages.map((p) => p.context.close()));
  }
});

/** A page of its own (its own context), watched for CSP violations, signed in as `signed` from its first load. */
async function openPage(signed: Signed | null): Promise<Page> {
  const p = await newPage(browser, platform.baseUrl, undefined, signed ? storedSession(signed) : undefined);
  await watchCsp(p.context);
  opened.push(p);
  return p.page;
}

async function switchTo(page: Page, lang: Lang): Promise<void> {
  await page.getByRole("button", { name: SWITCH[lang] }).click();
  await page.waitForFunction(`document.documentElement.lang === ${JSON.stringify(lang)}`);
}

async function firstId(token: string | null, path: string): Promise<string | null> {
  const r = await platform.api(path, { token: token ?? undefined });
  return r.status === 200 && r.body.items?.length ? String(r.body.items[0].id) : null;
}

/** A route to check: `page` is its path with the record ids named (`/notices/:notice`), `path` with the ids. */
interface Route {
  page: string;
  path: string;
}

/** The pages with their ids filled in; a page whose id this person has none of is left out. */
function withIds(pages: string[], ids: Record<string, string | null | undefined>): Route[] {
  return pages.flatMap((page) => {
    let missing = false;
    const path = page.replace(/:(\w+)/g, (_, name: string) => {
      if (!(name in ids)) throw new Error(`${page}: no id named ${name}`);
      missing ||= !ids[name];
      return ids[name] ?? "";
    });
    return missing ? [] : [{ page, path }];
  });
}

/** What every visitor sees the same: the first notice, the e-mall's first product, the demo's award notice. Read once. */
let publicIds: Promise<{ notice: string | null; product: string | null; award: string | null }> | undefined;
function readPublicIds(): NonNullable<typeof publicIds> {
  publicIds ??= (async () => {
    const notice = await firstId(null, "/api/portal/notices?pageSize=1");
    // the e-mall's catalogue and a product (demo data: plugins/commodities/demo.ts)
    const offers = await platform.api("/api/commodities/offers?pageSize=1&facets=0");
    const product = offers.status === 200 && offers.body.items?.length ? String(offers.body.items[0].productId) : null;
    // a print view (the demo's award notice, plugins/analytics) and the page that verifies its code
    const releases = await platform.api("/api/analytics/ocds/releases?pageSize=100");
    const award = ((releases.body.releases ?? []).find((r: { tag: string[] }) => r.tag.includes("award"))?.ocid as string | undefined) ?? null;
    return { notice, product, award };
  })();
  return publicIds;
}

/** The routes of web/src/app.tsx this person can reach, with real ids where a route takes one. */
async function routesOf(signed: Signed | null): Promise<Route[]> {
  const { notice, product, award } = await readPublicIds();
  // the helpdesk's guides for this person (plugins/helpdesk/demo.ts): the list, one guide, the help link's page
  const guide = await firstId(signed?.state.token ?? null, "/api/helpdesk/guides?kind=video");
  const helpdesk = ["/help/guides", "/help/guides/:guide", `/help/page?path=${encodeURIComponent("/etrading/tenders")}`];
  const publicPages = ["/", "/notices", "/notices/:notice", "/calendar", "/guides", "/credit", "/data", "/verify", "/documents/:award/award", "/help", ...helpdesk, "/mall", "/mall/products/:product", "/finance/verify", "/no/such/page"];
  if (!signed) return withIds([...publicPages, "/login", "/work"], { notice, product, award, guide });
  const { token, user } = signed.state;
  const has = (...roles: string[]) => roles.some((r) => user.roles.includes(r));
  const unit = (user as { unitCode?: string }).unitCode;
  // a custodian's key page, for the roles that hold a custodian place on a tender (agency, purchaser, supervisor)
  const custodian = (["agency", "purchaser", "regulator"] as const).find((r) => user.roles.includes(r));
  const workflows = (await platform.api("/api/workflows", { token })).body as Array<{ id: string; start: { roles: string[] } | null }>;
  const startable = workflows.filter((w) => w.start?.roles.some((r) => user.roles.includes(r))).map((w) => `/start/${w.id}`);
  const ids = {
    guide,
    project: await firstId(token, "/api/supervision/projects?pageSize=1"),
    instance: await firstId(token, "/api/instances?pageSize=1"),
    tender: await firstId(token, "/api/etrading/tenders"),
    drawing: await firstId(token, "/api/experts/drawings"),
    evaluation: await firstId(token, "/api/evaluation/evaluations"),
    challenge: await firstId(token, "/api/complaints/challenges"),
    auction: await firstId(token, "/api/emall/auctions"),
    ticket: await firstId(token, `/api/helpdesk/tickets?scope=${has("helpdesk-agent") ? "region" : "mine"}`),
    tenant: user.tenantCode,
    unit,
  };
  return withIds(
    [
      "/notices",
      "/work",
      "/projects",
      "/projects/:project",
      "/instances/:instance",
      "/etrading/tenders",
      "/etrading/tenders/:tender",
      ...startable,
      "/notifications",
      "/notifications?unread=1",
      "/change-password",
      ...(has("tenant-admin", "platform-admin") ? ["/admin", "/admin/accounts", "/admin/:tenant/etrading"] : []),
      ...(has("platform-admin") ? ["/admin/dead-letters"] : []),
      ...(has("supplier") ? ["/etrading/tenders/:tender/bid"] : []),
      ...(custodian ? [`/etrading/tenders/:tender/custodians/${custodian === "regulator" ? "supervisor" : custodian}`] : []),
      // the opening hall: open to those who take part after the deadline, a clear refusal otherwise
      "/etrading/tenders/:tender/opening",
      // the printed opening record (its parties after the decryption, a clear refusal otherwise)
      "/etrading/tenders/:tender/opening-record",
      // credit: the screening snapshot (a clear refusal for those it is not for), the party's own file, the regulators' imports
      "/etrading/tenders/:tender/screening",
      ...(unit ? ["/credit/files/:unit"] : []),
      ...(has("regulator") ? ["/credit/imports"] : []),
      ...(has("regulator") ? ["/credit/penalties/new"] : []),
      // credit: the ratings the party owes and its quarter score
      ...(has("purchaser", "agency", "supplier", "expert") ? ["/credit/ratings"] : []),
      // the analytics dashboard: a regulator's region, a purchasing unit's own figures
      ...(has("regulator", "purchaser") ? ["/analytics"] : []),
      // the experts registry: the expert's own record (a way to apply for the others), the regulator's admission list, the drawings
      "/experts/me",
      // the e-mall: the cart and order form, the unit's orders or the supplier's inbox
      "/mall",
      "/mall/cart",
      "/mall/orders",
      // the live reverse auctions: the list, and the demo's Huizhou auction (plugins/emall/demo.ts)
      "/mall/auctions",
      "/mall/auctions/:auction",
      ...(has("regulator") ? ["/experts/admission"] : []),
      ...(has("agency", "purchaser", "regulator") ? ["/experts/drawings"] : []),
      "/experts/drawings/:drawing",
      // evaluation: the caller's evaluations and one of them (an expert's score sheet, the report)
      "/evaluation",
      "/evaluation/evaluations/:evaluation",
      // the printed report (once signed; a clear refusal before)
      "/evaluation/evaluations/:evaluation/report",
      // challenges and complaints: filing from the tender page (a clear refusal for a non-participant), the list and one challenge, the regulator's desk
      ...(has("supplier") ? ["/etrading/tenders/:tender/challenge"] : []),
      "/complaints/challenges",
      "/complaints/challenges?tender=:tender",
      "/complaints/challenges/:challenge",
      ...(has("regulator") ? ["/complaints/desk"] : []),
      // the helpdesk: guides for the role, tickets (the demo's are Huizhou suppliers' and a purchaser's), the agents' desk
      ...helpdesk,
      "/helpdesk/tickets",
      "/helpdesk/tickets/:ticket",
      ...(has("helpdesk-agent") ? ["/helpdesk/agent", "/helpdesk/tickets?scope=region"] : []),
      // financial services: the supplier's securities, the institution's inbox, the agency's and regulator's deposits and red items
      ...(has("supplier") ? ["/finance/securities"] : []),
      ...(has("institution") ? ["/finance/inbox"] : []),
      ...(has("agency", "regulator") ? ["/finance/deposits"] : []),
      // the registries: every signed-in role has the page (the API says what each may read), a supplier filter on
      "/registries/suppliers",
      "/registries/suppliers?sizeClass=small&sme=true",
      "/registries/purchasers",
      "/registries/agencies",
    ],
    ids,
  );
}

/** the pages checked in English so far, signed out and signed in: each once, by the first who reaches it */
const inEnglish = new Set<string>();

/**
 * Two pages, each in its own browser context (its own renderer), share the routes: while one waits for
 * an answer or a paint the other runs axe. (Three lanes measured slower than two on two cores: the
 * walk is busy more than it waits.)
 */
const LANES = 2;
/** what a page read in both languages costs against one read in Chinese only (the second read is a switch, not a load) */
const BOTH_COST = 1.6;

async function checkAll(who: string, signed: Signed | null, only?: (route: string) => boolean): Promise<void> {
  const routes = (await routesOf(signed)).filter((r) => !only || only(r.path));
  const lanes = Array.from({ length: LANES }, () => ({ routes: [] as Array<Route & { bell: boolean; english: boolean }>, load: 0 }));
  for (const r of routes) {
    const key = `${signed ? "signed in" : "signed out"} ${r.page}`;
    const english = !inEnglish.has(key);
    inEnglish.add(key);
    // the bell's panel is checked on /work, the page loaded in zh-CN: first in the first lane
    const bell = !!signed && r.path === "/work";
    const lane = bell ? lanes[0] : lanes.reduce((a, b) => (b.load < a.load ? b : a));
    lane.routes.push({ ...r, bell, english });
    lane.load += (english ? BOTH_COST : 1) + (bell ? 1 : 0);
  }
  const walk = async ({ routes: mine }: (typeof lanes)[number]) => {
    const page = await openPage(signed);
    let lang: Lang = "zh-CN";
    const check = async (route: string) => {
      await ready(page);
      expect([route, await page.evaluate("document.documentElement.lang")]).toEqual([route, lang]);
      const vs = await axeCheck(page);
      checks[lang]++;
      for (const v of vs) found.push({ ...v, who, lang, route });
      expect([route, lang, await unlabelledFields(page)]).toEqual([route, lang, []]);
    };
    // the bell's page, then the pages read in zh-CN only, then those also read in English, each of
    // these in the language the last one was left in (the choice is kept) and then in the other by the
    // header's switch (no reload)
    const order = (r: (typeof mine)[number]) => (r.bell ? 0 : r.english ? 2 : 1);
    for (const r of [...mine].sort((a, b) => order(a) - order(b))) {
      await page.goto(r.path);
      await check(r.path);
      if (r.bell) {
        // the bell's panel, open (it is not in the page until then), and closed by Escape
        await page.locator(".bell-button").click();
        await page.locator("#bell-panel").waitFor();
        await check("/work (bell open)");
        await page.keyboard.press("Escape");
        await page.locator("#bell-panel").waitFor({ state: "detached" });
      }
      if (r.english) {
        lang = lang === "zh-CN" ? "en" : "zh-CN";
        await switchTo(page, lang);
        await check(r.path);
      }
    }
  };
  // every lane to its end before judging, so that a failing lane does not leave the other running into the next test
  const settled = await Promise.allSettled(lanes.map(walk));
  for (const s of settled) if (s.status === "rejected") throw s.reason;
  const bad = found.filter((v) => v.who === who && serious([v]).length);
  expect(bad.map((v) => `${v.impact} ${v.id} on ${v.route} (${v.lang}): ${v.targets[0]}`)).toEqual([]);
}

describe("WCAG 2.1 AA on every route in zh-CN, and on each distinct page in English", () => {
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
      // the whole file's walk has checked these routes in zh-CN for the role already (and signed it in): alone, they are checked here
      const walked = sessions.has(role);
      const signed = sessions.get(role) ?? (await apiSignIn(platform, r.username, r.first, `Guangdong-A11y-${ROLES.indexOf(r)}-2027!`));
      sessions.set(role, signed);
      if (!walked) await checkAll(`${role} (registries)`, signed, (route) => route.startsWith("/registries"));
      const page = await openPage(signed);
      await page.goto("/registries/suppliers");
      await ready(page);
      const headers = page.locator("[data-testid=registry] thead th");
      expect((await headers.allInnerTexts()).slice(0, 2)).toEqual(["名称", "统一社会信用代码"]);
      expect((await headers.allInnerTexts()).includes("联系人")).toBe(contacts);
      // the walk reads each page in English once, as the first role: the columns this role gets, in English, here
      await switchTo(page, "en");
      await ready(page);
      expect((await headers.allInnerTexts()).slice(0, 2)).toEqual(["Name", "Unified social credit code"]);
      expect((await headers.allInnerTexts()).includes("Contact person")).toBe(contacts);
      expect(await unlabelledFields(page)).toEqual([]);
      expect(serious(await axeCheck(page))).toEqual([]);
    });
  }
});

describe("the demo evaluation's score sheet", () => {
  test("huizhou.expert's sheet on the demo evaluation (plugins/evaluation/demo.ts): every score input named by bidder and criterion, no serious violation, in both languages", async () => {
    // the matrix signed the expert in already when the whole file runs; alone (-t), it signs in here
    const signed = sessions.get("expert") ?? (await apiSignIn(platform, "huizhou.expert", "441300990", `Guangdong-A11y-${ROLES.findIndex((r) => r.role === "expert")}-2027!`));
    const id = await firstId(signed.state.token, "/api/evaluation/evaluations");
    expect(id).not.toBeNull();
    const page = await openPage(signed);
    await page.goto(`/evaluation/evaluations/${id}`);
    await ready(page);
    const inputs = page.locator("section[aria-labelledby=evaluation-sheet] input[type=number]");
    // three qualified bids × two criteria
    expect(await inputs.count()).toBe(6);
    expect(await inputs.first().getAttribute("aria-label")).toMatch(/^惠州市.+：技术方案$/);
    expect(await unlabelledFields(page)).toEqual([]);
    expect(serious(await axeCheck(page))).toEqual([]);
    await switchTo(page, "en");
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
    const page = await openPage(signed);
    await page.goto(`/evaluation/evaluations/${id}`);
    await ready(page);
    const panel = page.locator("section[aria-labelledby=evaluation-runner]");
    await panel.getByRole("heading", { name: "采购人（代理机构）办理" }).waitFor();
    // the demo's agency passed the three bids; the committee's score sheet is not the runner's
    expect(await panel.getByRole("listitem").allInnerTexts()).toEqual([expect.stringMatching(/：通过$/), expect.stringMatching(/：通过$/), expect.stringMatching(/：通过$/)]);
    expect(await page.locator("section[aria-labelledby=evaluation-sheet]").count()).toBe(0);
    expect(await unlabelledFields(page)).toEqual([]);
    expect(serious(await axeCheck(page))).toEqual([]);
    await switchTo(page, "en");
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
    const page = await openPage(buyer);
    // in the language the last page was left in (the choice is kept), then in the other
    let lang: Lang = "zh-CN";
    const read = async (what: string) => {
      await ready(page);
      expect([what, lang, await unlabelledFields(page)]).toEqual([what, lang, []]);
      expect([what, lang, serious(await axeCheck(page))]).toEqual([what, lang, []]);
    };
    const both = async (what: string) => {
      await read(what);
      lang = lang === "zh-CN" ? "en" : "zh-CN";
      await switchTo(page, lang);
      await read(what);
    };
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

    const page = await openPage(buyer);
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
