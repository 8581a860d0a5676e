import fs from "node:fs";
import path from "node:path";
import { readConfig } from "../../../core/config";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

/**
 * Plugins kept outside plugins/ (test/fixtures/outside-plugins), loaded through PLUGIN_PATHS with
 * the real registries and supervision: e-guarantee adds a field to supervision's intention form and
 * provides bid-desk's typed extension point, which only tenants that switched e-guarantee on are offered.
 */

const ROOT = path.resolve(__dirname, "../../..");
const OUTSIDE = "test/fixtures/outside-plugins";

let platform: TestPlatform;
let pluginsDir: string;
const tokens: Record<string, string> = {};

const call = (who: string, url: string, init: { method?: string; body?: unknown } = {}) => platform.api(url, { ...init, token: tokens[who] });
const localDay = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);

beforeAll(async () => {
  // the real plugins, linked so that others' work in progress in plugins/ cannot break this test
  pluginsDir = linkPlugins(["registries", "supervision"], "outside-real");
  const { pluginPaths } = readConfig({ PLUGIN_PATHS: OUTSIDE }, ROOT);
  platform = await startTestPlatform({ pluginsDir, pluginPaths });
  tokens.admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
  tokens.huizhouAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
  tokens.buyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
  tokens.maomingBuyer = await platform.token({ roles: ["purchaser"], tenantCode: "440900", unitCode: "440900201" });
  const unit = await call("admin", "/api/registries/purchasers", {
    method: "POST",
    body: { name: "惠州市交通运输局", budgetCode: "441300401", tenantCode: "441300", unitType: "government-agency" },
  });
  expect(unit.status).toBe(201);
  // e-guarantee is a module like any other: Huizhou switches it on, Maoming does not
  const opens = localDay(platform.kernel.clock.nowMs() + 2 * 86_400_000);
  const on = await call("admin", "/api/tenants/441300/modules/e-guarantee", { method: "PUT", body: { state: "live", from: opens } });
  expect(on.status).toBe(200);
  platform.kernel.clock.travelTo(`${opens}T10:00:00+08:00`);
});

afterAll(async () => {
  await platform?.stop();
  fs.rmSync(pluginsDir, { recursive: true, force: true });
});

test("PLUGIN_PATHS entries are read as PATH is, relative to the project folder", () => {
  expect(readConfig({ PLUGIN_PATHS: `${OUTSIDE}:/opt/gdpc-plugins/` }, ROOT).pluginPaths).toEqual([path.join(ROOT, OUTSIDE), "/opt/gdpc-plugins"]);
  expect(readConfig({}, ROOT).pluginPaths).toEqual([]);
});

test("the outside plugins load with the real ones, in order, their point and its provider listed", async () => {
  expect(platform.kernel.registry.names()).toEqual(["bid-desk", "e-guarantee", "registries", "supervision"]);
  expect(platform.kernel.registry.plugins.find((p) => p.manifest.name === "e-guarantee")!.dir).toBe(path.join(ROOT, OUTSIDE, "e-guarantee"));
  const plugins = (await platform.api("/api/plugins")).body as Array<{ name: string; extensionPoints: unknown[]; extends: string[] }>;
  expect(plugins.find((p) => p.name === "bid-desk")!.extensionPoints).toEqual([
    { id: "bid-desk.bid-security", title: { "zh-CN": "投标保证金提供方", en: "Bid security providers" }, kind: "action", contributors: ["e-guarantee"] },
  ]);
  expect(plugins.find((p) => p.name === "e-guarantee")!.extends).toEqual(["bid-desk.bid-security"]);
  expect(plugins.find((p) => p.name === "registries")!.extends).toContain("core.units");
});

test("its provider answers bid-desk's typed calls in Huizhou, and is not offered in Maoming, where the module is off", async () => {
  const huizhou = await call("buyer", "/api/bid-desk/security-options?amount=20000.00");
  expect(huizhou.status).toBe(200);
  expect(huizhou.body).toEqual([
    { plugin: "e-guarantee", quote: { form: "e-guarantee", amount: "20000.00", fee: "100.00", issuer: { "zh-CN": "示例银行电子保函", en: "Example Bank e-guarantee" } } },
  ]);
  const maoming = await call("maomingBuyer", "/api/bid-desk/security-options?amount=20000.00");
  expect(maoming.status).toBe(200);
  expect(maoming.body).toEqual([]);
  const bad = await call("buyer", "/api/bid-desk/security-options?amount=lots");
  expect(bad.body.error.code).toBe("VALIDATION_FAILED");
  expect(bad.body.error.details).toEqual([expect.objectContaining({ path: "/amount", message: { "zh-CN": "保证金金额应为金额，如 20000.00", en: "amount must be money, e.g. 20000.00" } })]);
});

test("its field joins supervision's intention form for the tenant that takes it, and submissions are checked against it", async () => {
  const before = await call("buyer", "/api/forms/supervision.intention");
  expect(before.body.schema.properties.bidSecurityForm).toBeUndefined();

  const taken = await call("huizhouAdmin", "/api/e-guarantee/intention-field/441300", { method: "PUT" });
  expect([taken.status, taken.body.error]).toEqual([200, undefined]);
  const form = await call("buyer", "/api/forms/supervision.intention");
  expect(form.body.schema.properties.bidSecurityForm).toMatchObject({ title: "投标保证金形式", titleEn: "Form of bid security", enum: ["deposit", "e-guarantee"] });
  // Maoming did not take it
  expect((await call("maomingBuyer", "/api/forms/supervision.intention")).body.schema.properties.bidSecurityForm).toBeUndefined();

  const data = { projectName: "惠州市某路段照明采购", summary: "LED路灯", budget: "500000.00", expectedMonth: localDay(platform.kernel.clock.nowMs() + 90 * 86_400_000).slice(0, 7) };
  const refused = await call("buyer", "/api/workflows/supervision.intention/instances", { method: "POST", body: { data: { ...data, bidSecurityForm: "cheque" } } });
  expect(refused.body.error.code).toBe("VALIDATION_FAILED");
  expect(refused.body.error.details).toEqual([expect.objectContaining({ path: "/bidSecurityForm" })]);
  const started = await call("buyer", "/api/workflows/supervision.intention/instances", { method: "POST", body: { data: { ...data, bidSecurityForm: "e-guarantee" } } });
  expect(started.status).toBe(201);
  expect(started.body.data.bidSecurityForm).toBe("e-guarantee");
});
