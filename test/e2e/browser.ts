import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { ensureWebBuilt } from "../../core/gateway/web-build";

/** Debian's Chromium (apt-get install chromium); Playwright never downloads a browser here. */
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** Screenshots of the main pages, kept after the run (git-ignored: test/e2e/.gitignore). */
export const ARTIFACTS = path.join(__dirname, "artifacts");

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * The browser for a run. No Chromium is a failure that says what to install, never a skip: these
 * tests are the only ones that see the web app as a person does.
 */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the web app's end-to-end tests drive Debian's Chromium. ` +
        `Install it with \`apt-get install -y chromium fonts-wqy-microhei\` (as root; .ci/run does), or set CHROMIUM_PATH.`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    // Playwright gives each launch a new, empty profile (its own --user-data-dir).
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** web/dist as npm start would serve it: built now if missing or older than its sources. */
export async function builtWebApp(): Promise<void> {
  const lines: string[] = [];
  const result = await ensureWebBuilt(ROOT, (l) => lines.push(l));
  if (result.status === "failed" || result.status === "skipped") throw new Error(`the web app could not be built (${result.reason}):\n${lines.join("\n")}`);
}

/** A page in a context of its own; `storage` is the site's localStorage it starts with (a session handed over, say). */
export async function newPage(browser: Browser, baseURL: string, viewport = { width: 1280, height: 900 }, storage?: Record<string, string>): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const storageState = storage && { cookies: [], origins: [{ origin: new URL(baseURL).origin, localStorage: Object.entries(storage).map(([name, value]) => ({ name, value })) }] };
  const context = await browser.newContext({ baseURL, viewport, locale: "zh-CN", timezoneId: "Asia/Shanghai", storageState });
  const page = await context.newPage();
  const errors: string[] = [];
  // A script error on any page fails the test that caused it (checked by the tests).
  page.on("pageerror", (e) => errors.push(e.message));
  page.setDefaultTimeout(15_000);
  return { context, page, errors };
}

/** The whole page; `fullPage: false` for a very long one (what the window shows). */
export async function shot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: opts.fullPage ?? true, timeout: 30_000 });
}

/** Signs in through the login page. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.locator("#login_username").fill(username);
  await page.locator("#login_password").fill(password);
  await page.getByRole("button", { name: "登录", exact: true }).click();
}

/** The first sign-in: the budget code, then the forced change on its own screen. */
export async function firstSignIn(page: Page, username: string, budgetCode: string, newPassword: string): Promise<void> {
  await signIn(page, username, budgetCode);
  await page.waitForURL(/\/change-password/);
  await page.locator("#pwd_currentPassword").fill(budgetCode);
  await page.locator("#pwd_newPassword").fill(newPassword);
  await page.locator("#pwd_confirmPassword").fill(newPassword);
  await page.getByRole("button", { name: "保存新密码" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/change-password") && !url.pathname.startsWith("/login"));
}
