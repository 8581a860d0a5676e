/**
 * What the accessibility and shell tests share: axe-core injected from node_modules (no CDN), the
 * Content-Security-Policy violations a page reports, a page being ready to check, and signing in a
 * demo account once (through the API, first password changed) to hand its session to a browser.
 */
import fs from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { TestPlatform } from "../support/kernel";
import { newPage } from "./browser";

const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
/** WCAG 2.1 A and AA: what GB/T 37668-2019 asks of web content */
const WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * axe-core's WCAG 2.1 AA rules over the page as it is now. Injected through the DevTools protocol,
 * which the page's CSP does not govern (the app itself must never need an inline script).
 */
export async function axeCheck(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate("typeof window.axe === 'object'"))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }>(
    `axe.run(document, { runOnly: { type: "tag", values: ${JSON.stringify(WCAG_21_AA)} }, resultTypes: ["violations"] })`,
  );
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 8).map((n) => n.target.map(String).join(" ")) }));
}

export const serious = (vs: Violation[]) => vs.filter((v) => v.impact === "serious" || v.impact === "critical");

/** Every CSP violation any page of this context reports (read with `cspViolations`). */
export async function watchCsp(context: BrowserContext): Promise<void> {
  await context.addInitScript(`
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber));
  `);
}

export async function cspViolations(page: Page): Promise<string[]> {
  const seen = await page.evaluate<string[] | null>("window.__csp ?? null");
  if (!seen) throw new Error(`the CSP watch is not installed on ${page.url()} (watchCsp before opening it)`);
  return seen;
}

/** The page has its heading and nothing left loading. */
export async function ready(page: Page): Promise<void> {
  await page.waitForFunction(`!!document.querySelector("main h1") && !document.querySelector("main .loading")`, undefined, { timeout: 15_000 });
  // what the last answer rendered, painted
  await page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))");
}

export interface Signed {
  username: string;
  /** the browser's stored session (web/src/auth/session.ts, key gdpc.session) */
  state: { token: string; refreshToken: string; expiresAt: number; ttl: number; user: { id: string; roles: string[]; tenantCode: string }; mustChangePassword: boolean };
}

/** A demo account signed in through the API, its first password changed to `newPassword`. */
export async function apiSignIn(platform: TestPlatform, username: string, password: string, newPassword: string): Promise<Signed> {
  let r = await platform.api("/api/auth/login", { method: "POST", body: { username, password } });
  if (r.status !== 200) throw new Error(`signing in ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  if (r.body.mustChangePassword) {
    r = await platform.api("/api/auth/change-password", { method: "POST", token: r.body.token, body: { currentPassword: password, newPassword } });
    if (r.status !== 200) throw new Error(`changing ${username}'s first password: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const b = r.body;
  return { username, state: { token: b.token, refreshToken: b.refreshToken, expiresAt: Date.now() + b.expiresIn * 1000, ttl: b.expiresIn, user: b.user, mustChangePassword: b.mustChangePassword } };
}

/** The site's localStorage holding a signed-in session, for a new context to start with (`newPage`'s `storage`). */
export const storedSession = (signed: Signed): Record<string, string> => ({ "gdpc.session": JSON.stringify(signed.state) });

/** Hands a signed-in session to a browser page (as a reload after signing in would find it). */
export async function useSession(page: Page, signed: Signed): Promise<void> {
  await page.goto("/guides");
  for (const [key, value] of Object.entries(storedSession(signed))) await page.evaluate(`localStorage.setItem(${JSON.stringify(key)}, ${JSON.stringify(value)})`);
}

/**
 * The fields of the page's forms that a screen reader could not name or describe: each needs a
 * label (rjsf renders the schema's title in a `<label for>`), and a description the form shows (the
 * schema's `description`, `<id>__description`) must be in its field's aria-describedby.
 */
export async function unlabelledFields(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const out = [];
    for (const el of document.querySelectorAll("main form input:not([type=hidden]), main form select, main form textarea")) {
      if (el.hidden || el.closest("[hidden]")) continue;
      const named = (el.labels && el.labels.length) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
      if (!named) out.push("no label: " + (el.id || el.name || el.outerHTML.slice(0, 60)));
    }
    for (const d of document.querySelectorAll("main form [id$='__description']")) {
      const field = document.getElementById(d.id.slice(0, -"__description".length));
      if (field && !(field.getAttribute("aria-describedby") || "").split(/\\s+/).includes(d.id)) out.push("description not tied to its field: " + d.id);
    }
    return out;
  })()`);
}

/**
 * A page as a reader meets it in both languages: zh-CN, switched to English, and back (the switch is
 * the header's button, by keyboard-reachable role), each with no serious or critical axe violation and
 * no unnamed field. `what` names the page in a failure.
 */
export async function accessible(page: Page, what: string): Promise<void> {
  for (const [lang, button] of [["zh-CN", null], ["en", "切换语言：English"], ["zh-CN", "Switch language: 中文"]] as const) {
    if (button) {
      await page.getByRole("button", { name: button }).click();
      await page.waitForFunction(`document.documentElement.lang === "${lang}"`);
    }
    await ready(page);
    expect([what, lang, serious(await axeCheck(page)).map((v) => `${v.id}: ${v.targets[0]}`)]).toEqual([what, lang, []]);
    expect([what, lang, await unlabelledFields(page)]).toEqual([what, lang, []]);
  }
}

/**
 * The pages a test file opens, each in a context of its own with the CSP watch installed, signed in
 * as `signed` (or signed out: null). After each test none of them may have logged an error or met a
 * CSP violation (the afterEach registered here). `at` gives the file's browser and platform once its
 * beforeAll has started them.
 */
export function watchedPages(at: () => { browser: Browser; baseUrl: string }): (signed: Signed | null) => Promise<Page> {
  const pages: Array<{ page: Page; errors: string[] }> = [];
  afterEach(async () => {
    for (const p of pages) {
      expect(p.errors).toEqual([]);
      expect(await cspViolations(p.page)).toEqual([]);
    }
  });
  return async (signed) => {
    const { browser, baseUrl } = at();
    const p = await newPage(browser, baseUrl);
    await watchCsp(p.context);
    pages.push(p);
    if (signed) await useSession(p.page, signed);
    return p.page;
  };
}
