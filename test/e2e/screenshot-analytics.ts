/**
 * The README's screenshot of the province regulator's dashboard, from the demo (24 months in every
 * city, plugins/analytics/demo.ts), taken with Debian's Chromium:
 *
 *   npx tsx test/e2e/screenshot-analytics.ts        # writes docs/analytics-dashboard.png
 *
 * A throwaway PostgreSQL and platform, as the tests use; nothing of a developer's .data is touched.
 */
import path from "node:path";
import globalSetup from "../support/global-setup";
import globalTeardown from "../support/global-teardown";
import { startAnalyticsPlatform } from "../integration/analytics/support";
import { apiSignIn, ready, useSession } from "./a11y";
import { builtWebApp, launchChromium, newPage } from "./browser";

const OUT = path.resolve(__dirname, "../../docs/analytics-dashboard.png");

async function main(): Promise<void> {
  process.env.ANALYTICS_DEMO_MONTHS = "24";
  await globalSetup();
  const browser = await launchChromium();
  let platform: Awaited<ReturnType<typeof startAnalyticsPlatform>> | undefined;
  try {
    await builtWebApp();
    platform = await startAnalyticsPlatform({ demo: true });
    const signed = await apiSignIn(platform, "gd.regulator", "440000001", "Regulator-Shot-2027");
    const { page } = await newPage(browser, platform.baseUrl, { width: 1280, height: 1500 });
    await useSession(page, signed);
    await page.goto("/analytics");
    await page.locator('[data-chart="by-month"] svg').waitFor({ timeout: 60_000 });
    await page.locator('[data-chart="by-region"] svg').waitFor();
    await ready(page);
    // the charts animate in; the picture is of the drawn ones
    await page.waitForTimeout(1500);
    await page.screenshot({ path: OUT, fullPage: false });
    console.log(`wrote ${OUT}`);
  } finally {
    await browser.close();
    await platform?.stop();
    await globalTeardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
