import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkManifest, discoverPlugins, orderPlugins, PluginError } from "../../../core/plugins/loader";
import { PluginRegistry } from "../../../core/plugins/registry";
import type { LoadedPlugin, PluginManifest } from "../../../core/plugins/types";

const title = { "zh-CN": "测试", en: "Test" };
const action = { kind: "read", permission: "public", handler: () => "ok" };

function manifest(name: string, extra: Partial<PluginManifest> = {}): PluginManifest {
  return { name, title, version: "1.0.0", services: [{ name, actions: { ping: { ...action } as never } }], ...extra };
}

const loaded = (...ms: PluginManifest[]): LoadedPlugin[] => ms.map((m) => ({ manifest: m, dir: `/plugins/${m.name}` }));

function expectPluginError(fn: () => unknown, plugin: string, field: string, reason: RegExp) {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(PluginError);
  const e = caught as PluginError;
  expect(e.plugin).toBe(plugin);
  expect(e.field).toBe(field);
  expect(e.message).toMatch(reason);
  expect(e.message).toContain(`plugin "${plugin}"`);
}

/** Writes plugins/<folder>/plugin.js into a temporary plugins folder, as a plugin developer would. */
function writePlugin(dir: string, folder: string, source: string) {
  fs.mkdirSync(path.join(dir, folder), { recursive: true });
  fs.writeFileSync(path.join(dir, folder, "plugin.js"), source);
}

describe("plugin manifests", () => {
  test("a good manifest passes unchanged", () => {
    const m = manifest("credit");
    expect(checkManifest(m, "credit")).toBe(m);
  });

  test.each<[string, (m: PluginManifest) => unknown, string, RegExp]>([
    ["a name that is not kebab-case", (m) => ((m as { name: string }).name = "Credit_Plugin"), "name", /kebab-case/],
    ["a name that differs from its folder", (m) => ((m as { name: string }).name = "other"), "name", /must equal its folder name/],
    ["a title without zh-CN", (m) => ((m as { title: unknown }).title = { en: "Credit" }), "title", /zh-CN/],
    ["a version that is not semver", (m) => ((m as { version: string }).version = "v1"), "version", /semver/],
    ["dependsOn that is not a list", (m) => ((m as { dependsOn: unknown }).dependsOn = "registries"), "dependsOn", /list/],
    ["a service named outside the plugin", (m) => ((m.services[0] as { name: string }).name = "etrading.bids"), "services[0].name", /start with "credit\."/],
    ["an action without a gate kind", (m) => delete (m.services[0].actions!.ping as Partial<typeof action>).kind, "services[0].actions.ping.kind", /create.*continue.*read/],
    ["an action without a permission", (m) => delete (m.services[0].actions!.ping as Partial<typeof action>).permission, "services[0].actions.ping.permission", /public/],
    ["a malformed rest route", (m) => ((m.services[0].actions!.ping as { rest?: string }).rest = "FETCH things"), "services[0].actions.ping.rest", /GET \/things/],
    ["a form id of another plugin", (m) => (m.forms = ["etrading.notice"]), "forms[0]", /credit\.<name>/],
    ["an extension point without a kind", (m) => (m.extensionPoints = { eligibility: { title } as never }), "extensionPoints.eligibility.kind", /action.*data/],
    ["permissions that are not a function", (m) => ((m as { permissions: unknown }).permissions = {}), "permissions", /function/],
  ])("%s is refused, naming the plugin and the field", (_case, spoil, field, reason) => {
    const m = manifest("credit");
    spoil(m);
    expectPluginError(() => checkManifest(m, "credit"), "credit", field, reason);
  });

  test("a plugin whose plugin.ts exports nothing is refused", () => {
    expectPluginError(() => checkManifest(undefined, "empty"), "empty", "default export", /definePlugin/);
  });
});

describe("dependency order", () => {
  test("plugins start after the plugins they depend on", () => {
    const order = orderPlugins(
      loaded(
        manifest("etrading", { dependsOn: ["registries", "credit"] }),
        manifest("credit", { dependsOn: ["registries"] }),
        manifest("analytics", { dependsOn: ["etrading"] }),
        manifest("registries"),
      ),
    ).map((p) => p.manifest.name);
    expect(order).toEqual(["registries", "credit", "etrading", "analytics"]);
  });

  test("a missing dependency names the plugin, the field and what to install", () => {
    expectPluginError(() => orderPlugins(loaded(manifest("etrading", { dependsOn: ["credit"] }))), "etrading", "dependsOn[0]", /"credit", which is not installed/);
  });

  test("a dependency cycle is reported with its path", () => {
    expectPluginError(
      () => orderPlugins(loaded(manifest("a", { dependsOn: ["b"] }), manifest("b", { dependsOn: ["c"] }), manifest("c", { dependsOn: ["a"] }))),
      "a",
      "dependsOn",
      /cycle: a → b → c → a/,
    );
  });
});

describe("extension points", () => {
  const credit = manifest("credit", {
    extensionPoints: { eligibility: { title, kind: "action" }, badges: { title, kind: "data" } },
  });
  const etrading = manifest("etrading", {
    dependsOn: ["credit"],
    services: [{ name: "etrading.bids", actions: { checkBidder: { ...action } as never } }],
    extends: { "credit.eligibility": { action: "etrading.bids.checkBidder" }, "credit.badges": { data: { icon: "gavel" } } },
  });

  test("the owner lists contributions in dependency order", () => {
    const registry = new PluginRegistry(orderPlugins(loaded(etrading, credit)));
    expect(registry.contributions("credit.eligibility")).toEqual([{ plugin: "etrading", contribution: { action: "etrading.bids.checkBidder" } }]);
    expect(registry.contributions("credit.badges")).toEqual([{ plugin: "etrading", contribution: { data: { icon: "gavel" } } }]);
  });

  test("the owner calls each contributed action through the broker with the caller's context", async () => {
    const registry = new PluginRegistry(orderPlugins(loaded(etrading, credit)));
    const calls: Array<[string, unknown]> = [];
    const ctx = { call: async (name: string, params: unknown) => (calls.push([name, params]), { eligible: true }) };
    const results = await registry.invoke(ctx as never, "credit.eligibility", { supplier: "S1" });
    expect(calls).toEqual([["etrading.bids.checkBidder", { supplier: "S1" }]]);
    expect(results).toEqual([{ plugin: "etrading", result: { eligible: true } }]);
  });

  test("contributing to a point nobody declares is refused", () => {
    const stray = manifest("emall", { extends: { "credit.nothing": { data: 1 } } });
    expectPluginError(() => orderPlugins(loaded(credit, stray)), "emall", 'extends["credit.nothing"]', /no plugin declares/);
  });

  test("a contributor starts after the point's owner without listing it in dependsOn", () => {
    const addon = manifest("emall", { extends: { "credit.badges": { data: 1 } } });
    expect(orderPlugins(loaded(addon, credit)).map((p) => p.manifest.name)).toEqual(["credit", "emall"]);
  });

  test("contributing another plugin's action is refused", () => {
    const stray = manifest("emall", { dependsOn: ["credit"], extends: { "credit.eligibility": { action: "etrading.bids.checkBidder" } } });
    expectPluginError(() => orderPlugins(loaded(credit, stray)), "emall", 'extends["credit.eligibility"].action', /not an action of this plugin/);
  });
});

describe("discovering plugins from a folder", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "plugins-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const pluginSource = (name: string, dependsOn: string[] = []) =>
    `exports.default = { name: ${JSON.stringify(name)}, title: { "zh-CN": "测试", en: "Test" }, version: "1.0.0",
      dependsOn: ${JSON.stringify(dependsOn)},
      services: [{ name: ${JSON.stringify(name)}, actions: { ping: { kind: "read", permission: "public", handler: () => "pong" } } }] };`;

  test("a plugin folder dropped into plugins/ is picked up, in dependency order, with no change to core", () => {
    writePlugin(dir, "zeta", pluginSource("zeta"));
    expect(discoverPlugins(dir).map((p) => p.manifest.name)).toEqual(["zeta"]);
    writePlugin(dir, "alpha", pluginSource("alpha", ["zeta"]));
    const found = discoverPlugins(dir);
    expect(found.map((p) => p.manifest.name)).toEqual(["zeta", "alpha"]);
    expect(found[1].dir).toBe(path.join(dir, "alpha"));
  });

  test("a folder without plugin.ts stops start-up with its name", () => {
    fs.mkdirSync(path.join(dir, "half-done"));
    expectPluginError(() => discoverPlugins(dir), "half-done", "plugin.ts", /has no plugin\.ts/);
  });

  test("a plugin.ts that throws while loading stops start-up with the plugin's name and the cause", () => {
    writePlugin(dir, "broken", 'throw new Error("boom at load");');
    expectPluginError(() => discoverPlugins(dir), "broken", "plugin.ts", /boom at load/);
  });

  test("a migrations folder that does not exist is refused", () => {
    writePlugin(dir, "nomig", pluginSource("nomig").replace("version:", 'migrations: "migrations", version:'));
    expectPluginError(() => discoverPlugins(dir), "nomig", "migrations", /does not exist/);
  });

  test("the platform's own plugins folder loads", () => {
    const names = discoverPlugins(path.resolve(__dirname, "../../../plugins")).map((p) => p.manifest.name);
    expect(names).toContain("registries");
  });
});
