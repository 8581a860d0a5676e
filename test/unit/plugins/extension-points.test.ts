import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ServiceBroker, type Context, type ServiceSchema } from "moleculer";
import { checkManifest, discoverPlugins, orderPlugins, PluginError } from "../../../core/plugins/loader";
import { PluginRegistry } from "../../../core/plugins/registry";
import { contribute, dataPoint, extensionPoint, implement, provide, type ExtensionPoint } from "../../../core/plugins/points";
import type { LoadedPlugin, PluginManifest, PluginServiceThis, SessionUser } from "../../../core/plugins/types";
import { ScheduleBook } from "../../../core/tenancy/schedule";
import { Clock } from "../../../core/tenancy/clock";
import { moduleRefusal } from "../../../core/tenancy/gate";
import { tenantTree } from "../../../core/tenancy";

const title = { "zh-CN": "测试", en: "Test" };
const readAction = { kind: "read", permission: "public", handler: () => "ok" };

/** What a bid-security provider does (issue 18: deposits and e-guarantees), as etrading's api.ts would declare it. */
interface BidSecurityProvider {
  quote(params: { amount: string }): { kind: string; amount: string; node: string };
  verify(params: { reference: string }): Promise<{ valid: boolean }>;
}

const bidSecurity = extensionPoint<BidSecurityProvider>("etrading.bid-security", { title, methods: { quote: true, verify: true } });

function manifest(name: string, extra: Partial<PluginManifest> = {}): PluginManifest {
  return { name, title, version: "1.0.0", services: [{ name, actions: { ping: { ...readAction } as never } }], ...extra };
}

/** A provider plugin: a `<name>.security` service with quote and verify, provided to etrading's point. */
function provider(name: string, extra: Partial<PluginManifest> = {}): PluginManifest {
  return manifest(name, {
    services: [{ name: `${name}.security`, actions: { quote: { ...readAction } as never, verify: { ...readAction } as never } }],
    extends: provide(bidSecurity, { quote: `${name}.security.quote`, verify: `${name}.security.verify` }),
    ...extra,
  });
}

const etrading = (point: ExtensionPoint<BidSecurityProvider> = bidSecurity) => manifest("etrading", { extensionPoints: { "bid-security": point } });
const loaded = (...ms: PluginManifest[]): LoadedPlugin[] => ms.map((m) => ({ manifest: m, dir: `/plugins/${m.name}` }));
const names = (ps: LoadedPlugin[]) => ps.map((p) => p.manifest.name);

function pluginError(fn: () => unknown): PluginError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PluginError);
    return err as PluginError;
  }
  throw new Error("expected a PluginError");
}

describe("start order by provided and consumed points", () => {
  test("a provider starts after the point's owner, and a consumer after the providers, with no dependsOn", () => {
    const analytics = manifest("analytics", { consumes: { "etrading.bid-security": "optional" } });
    // by name alone it would be analytics, deposit, etrading
    expect(names(orderPlugins(loaded(analytics, provider("deposit"), etrading())))).toEqual(["etrading", "deposit", "analytics"]);
  });

  test("a cycle through a consumed point is refused, naming the path and why each step", () => {
    const analytics = manifest("analytics", { consumes: { "etrading.bid-security": "optional" } });
    const e = pluginError(() => orderPlugins(loaded(analytics, provider("deposit", { dependsOn: ["analytics"] }), etrading())));
    expect(e.plugin).toBe("analytics");
    expect(e.field).toBe('consumes["etrading.bid-security"]');
    expect(e.message).toBe(
      'plugin "analytics": consumes["etrading.bid-security"]: dependency cycle: analytics → deposit → analytics ' +
        '(analytics consumes "etrading.bid-security", which deposit provides; deposit depends on analytics)',
    );
  });

  test("a cycle through provided points and dependsOn names every step", () => {
    const eligibility = extensionPoint<{ check(p: { supplier: string }): boolean }>("credit.eligibility", { title, methods: { check: true } });
    const credit = manifest("credit", { dependsOn: ["deposit"], extensionPoints: { eligibility } });
    const trading = manifest("etrading", {
      extensionPoints: { "bid-security": bidSecurity },
      services: [{ name: "etrading.bids", actions: { check: { ...readAction } as never } }],
      extends: provide(eligibility, { check: "etrading.bids.check" }),
    });
    const e = pluginError(() => orderPlugins(loaded(credit, provider("deposit"), trading)));
    expect(e.message).toContain(
      'dependency cycle: credit → deposit → etrading → credit (credit depends on deposit; deposit provides "etrading.bid-security", which etrading declares; ' +
        'etrading provides "credit.eligibility", which credit declares)',
    );
  });
});

describe("missing providers", () => {
  test("a point its owner requires, with no provider installed, stops start-up naming the owner and the point", () => {
    const required = extensionPoint<BidSecurityProvider>("etrading.bid-security", { title, methods: { quote: true, verify: true }, required: true });
    const e = pluginError(() => orderPlugins(loaded(etrading(required))));
    expect(e.plugin).toBe("etrading");
    expect(e.field).toBe("extensionPoints.bid-security");
    expect(e.message).toMatch(/requires a provider of "etrading\.bid-security", and no installed plugin provides it/);
    expect(names(orderPlugins(loaded(etrading(required), provider("deposit"))))).toEqual(["etrading", "deposit"]);
  });

  test("a consumer that requires a provider stops start-up without one; an optional one starts", () => {
    const e = pluginError(() => orderPlugins(loaded(etrading(), manifest("analytics", { consumes: { "etrading.bid-security": "required" } }))));
    expect(e.plugin).toBe("analytics");
    expect(e.field).toBe('consumes["etrading.bid-security"]');
    expect(e.message).toMatch(/requires a provider of "etrading\.bid-security" \(declared by etrading\), and no installed plugin provides it/);
    expect(names(orderPlugins(loaded(etrading(), manifest("analytics", { consumes: { "etrading.bid-security": "optional" } }))))).toEqual(["analytics", "etrading"]);
  });

  test("consuming a point nobody declares is refused", () => {
    const e = pluginError(() => orderPlugins(loaded(manifest("analytics", { consumes: { "credit.eligibility": "optional" } }))));
    expect(e.message).toMatch(/consumes\["credit\.eligibility"\]: no plugin declares the extension point "credit\.eligibility" \(is "credit" installed\?\)/);
  });

  test("a typed point is declared by its own plugin under its own key", () => {
    const e = pluginError(() => checkManifest(manifest("credit", { extensionPoints: { security: bidSecurity } }), "credit"));
    expect(e.message).toBe('plugin "credit": extensionPoints.security.id: the point "etrading.bid-security" must be declared by its plugin under its own key ("credit.security" here)');
  });

  test("a provider must name one of its own actions for every method of the interface", () => {
    const half = provider("deposit", { extends: { "etrading.bid-security": { actions: { quote: "deposit.security.quote" } } } });
    expect(pluginError(() => orderPlugins(loaded(etrading(), half))).message).toMatch(/actions\.verify: "etrading\.bid-security" needs an action for its method "verify"/);
    const borrowed = provider("deposit", { extends: provide(bidSecurity, { quote: "deposit.security.quote", verify: "eguarantee.security.verify" }) });
    expect(pluginError(() => orderPlugins(loaded(etrading(), borrowed))).message).toMatch(/"eguarantee\.security\.verify" is not an action of this plugin/);
  });
});

describe("typed providers over the broker", () => {
  const NAMESPACE = `points-${process.pid}`;
  let a: ServiceBroker;
  let b: ServiceBroker;
  const calls: string[] = [];

  /** Provider services as their plugins write them, answering which node served them. */
  const providerService = (name: string) => ({
    name: `${name}.security`,
    actions: {
      quote: {
        ...readAction,
        handler(this: { broker: ServiceBroker }, ctx: Context<{ amount: string }>) {
          calls.push(`${name}:${ctx.nodeID}`);
          return { kind: name, amount: ctx.params.amount, node: this.broker.nodeID };
        },
      },
      verify: { ...readAction, handler: (ctx: Context<{ reference: string }>) => ({ valid: ctx.params.reference.startsWith(name) }) },
    },
  });
  const deposit = provider("deposit", { gated: true, services: [providerService("deposit")] as never });
  const eguarantee = provider("eguarantee", { gated: true, services: [providerService("eguarantee")] as never });
  const registry = new PluginRegistry(orderPlugins(loaded(etrading(), deposit, eguarantee)));

  beforeAll(async () => {
    // The module gate as the kernel hands it in: deposits are live in Huizhou only, e-guarantees in the whole province.
    const tree = tenantTree();
    const from = new Date("2020-01-01T00:00:00+08:00");
    const book = new ScheduleBook(tree, [
      { tenant: "441300", module: "deposit", state: "live", from, until: null, units: null },
      { tenant: tree.root().code, module: "eguarantee", state: "live", from, until: null, units: null },
    ]);
    const gate = { book: () => book, clock: new Clock(), moduleTitle: () => title, rootTenant: tree.root().code };
    registry.gateWith((plugin, kind, user) => registry.get(plugin)?.gated === false || !moduleRefusal(gate, plugin, kind, user));

    a = new ServiceBroker({ namespace: NAMESPACE, nodeID: "node-a", transporter: "Fake", logger: false });
    b = new ServiceBroker({ namespace: NAMESPACE, nodeID: "node-b", transporter: "Fake", logger: false });
    // etrading's service, on node A only: it asks for the providers and calls them by the interface
    a.createService({
      name: "etrading.bids",
      created(this: PluginServiceThis) {
        this.extensions = registry;
      },
      actions: {
        securityOptions: {
          async handler(this: PluginServiceThis, ctx: Context<{ amount: string; reference: string }>) {
            return Promise.all(
              this.extensions.providers(ctx, bidSecurity).map(async (p) => {
                // typed by BidSecurityProvider: a promise of its answer, whatever the method returns
                const quote: { kind: string; amount: string; node: string } = await p.call.quote({ amount: ctx.params.amount });
                const { valid } = await p.call.verify({ reference: ctx.params.reference });
                // @ts-expect-error the interface says amount is a string
                void (() => p.call.quote({ amount: 5 }));
                return { plugin: p.plugin, quote, valid };
              }),
            );
          },
        },
      },
    } as unknown as ServiceSchema);
    b.createService(providerService("deposit"));
    b.createService(providerService("eguarantee"));
    await Promise.all([a.start(), b.start()]);
    await a.waitForServices(["deposit.security", "eguarantee.security"], 5000);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const as = (tenantCode: string): SessionUser => ({ id: tenantCode, username: `buyer-${tenantCode}`, tenantCode, roles: ["purchaser"] });

  test("the owner on one node calls each provider on another, typed by the point's interface", async () => {
    const answers = await a.call("etrading.bids.securityOptions", { amount: "20000.00", reference: "deposit-1" }, { meta: { user: as("441300") } });
    expect(answers).toEqual([
      { plugin: "deposit", quote: { kind: "deposit", amount: "20000.00", node: "node-b" }, valid: true },
      { plugin: "eguarantee", quote: { kind: "eguarantee", amount: "20000.00", node: "node-b" }, valid: false },
    ]);
  });

  test("a provider whose module is off in the caller's tenant is not offered there", async () => {
    calls.length = 0;
    // Maoming has no deposits: only the e-guarantee is offered, and the deposit service is never called
    const maoming = await a.call("etrading.bids.securityOptions", { amount: "8000.00", reference: "eguarantee-9" }, { meta: { user: as("440900") } });
    expect(maoming).toEqual([{ plugin: "eguarantee", quote: { kind: "eguarantee", amount: "8000.00", node: "node-b" }, valid: true }]);
    expect(calls).toEqual(["eguarantee:node-a"]);
    const huizhou = (await a.call("etrading.bids.securityOptions", { amount: "8000.00", reference: "x" }, { meta: { user: as("441302") } })) as Array<{ plugin: string }>;
    // a Huizhou county follows its city
    expect(huizhou.map((x) => x.plugin)).toEqual(["deposit", "eguarantee"]);
  });

  test("a plugin calling a point it neither owns nor lists in consumes is told so", () => {
    const ctx = { service: { name: "analytics.reports" }, meta: {}, call: jest.fn() } as unknown as Context;
    const withAnalytics = new PluginRegistry(orderPlugins(loaded(etrading(), deposit, manifest("analytics"))));
    expect(() => withAnalytics.providers(ctx, bidSecurity)).toThrow('plugin "analytics" calls the providers of "etrading.bid-security" without listing it in consumes');
  });
});

describe("typed data points and provider actions", () => {
  test("contributions to a data point are read typed, in plugin order", () => {
    const badges = dataPoint<{ icon: string; label: string }>("etrading.badges", { title });
    const owner = manifest("etrading", { extensionPoints: { badges } });
    const addon = manifest("deposit", { extends: { ...contribute(badges, { icon: "coin", label: "保证金" }) } });
    const registry = new PluginRegistry(orderPlugins(loaded(addon, owner)));
    const read: Array<{ plugin: string; data: { icon: string; label: string } }> = registry.data(badges);
    expect(read).toEqual([{ plugin: "deposit", data: { icon: "coin", label: "保证金" } }]);
    // @ts-expect-error a badge's icon is a string
    void (() => contribute(badges, { icon: 1, label: "x" }));
  });

  test("implement() types a provider's handler by the interface, and is the action schema itself", async () => {
    const schema = implement(bidSecurity, "verify", {
      kind: "read",
      permission: "authenticated",
      handler: async (ctx) => ({ valid: ctx.params.reference.startsWith("EG-") }),
    });
    expect(schema).toMatchObject({ kind: "read", permission: "authenticated" });
    expect(await schema.handler!({ params: { reference: "EG-1" } } as never)).toEqual({ valid: true });
    // @ts-expect-error verify answers { valid: boolean }
    void implement(bidSecurity, "verify", { kind: "read", permission: "public", handler: () => ({ valid: "yes" }) });
  });
});

describe("plugins from PLUGIN_PATHS", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "plugin-paths-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (folder: string, name: string) => {
    fs.mkdirSync(path.join(dir, folder), { recursive: true });
    fs.writeFileSync(
      path.join(dir, folder, "plugin.js"),
      `exports.default = { name: ${JSON.stringify(name)}, title: { "zh-CN": "测试", en: "Test" }, version: "1.0.0",
        services: [{ name: ${JSON.stringify(name)}, actions: { ping: { kind: "read", permission: "public", handler: () => "pong" } } }] };`,
    );
    return path.join(dir, folder);
  };

  test("a path is one plugin's folder or a folder of them, loaded with plugins/", () => {
    const own = write("plugins/registry-lite", "registry-lite");
    const single = write("vendor/e-guarantee", "e-guarantee");
    write("more/deposit", "deposit");
    const found = discoverPlugins(path.join(dir, "plugins"), [single, path.join(dir, "more")]);
    expect(found.map((p) => [p.manifest.name, p.dir])).toEqual([
      ["deposit", path.join(dir, "more", "deposit")],
      ["e-guarantee", single],
      ["registry-lite", own],
    ]);
  });

  test("one name installed twice, or a path that is not a folder, stops start-up saying where", () => {
    write("plugins/deposit", "deposit");
    const twin = write("vendor/deposit", "deposit");
    const e = pluginError(() => discoverPlugins(path.join(dir, "plugins"), [path.join(dir, "vendor")]));
    expect(e.message).toBe(`plugin "deposit": name: installed twice: ${path.join(dir, "plugins", "deposit")} and ${twin}`);
    const missing = path.join(dir, "nowhere");
    expect(pluginError(() => discoverPlugins(path.join(dir, "plugins"), [missing])).message).toBe(
      `plugin "nowhere": PLUGIN_PATHS: ${missing} is not a folder (a plugin's folder, or a folder of plugin folders)`,
    );
  });
});
