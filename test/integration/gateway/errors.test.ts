import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { createTestDatabase } from "../../support/db";
import { startTcpProxy } from "../../support/tcp-proxy";

const FIXTURE_PLUGINS = path.resolve(__dirname, "../../fixtures/plugins");

describe("the gateway answers every failure in the error envelope", () => {
  let platform: TestPlatform;
  let admin: string;
  let clerk: string;

  beforeAll(async () => {
    platform = await startTestPlatform({ pluginsDir: FIXTURE_PLUGINS, bodyLimit: "64kb" });
    admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    clerk = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300001" });
  });
  afterAll(() => platform.stop());

  const expectEnvelope = (res: { status: number; body: any }, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
    expect(res.body.error.message.length).toBeGreaterThan(0);
  };

  test("an unknown route is 404 NOT_FOUND", async () => {
    expectEnvelope(await platform.api("/api/no/such/route"), 404, "NOT_FOUND");
    expectEnvelope(await platform.api("/api/registries/purchasers", { method: "DELETE", token: admin }), 404, "NOT_FOUND");
  });

  test("a body that is not JSON is 400 VALIDATION_FAILED with a json rule", async () => {
    const res = await platform.api("/api/probe/echo", { method: "POST", token: admin, raw: '{"name": ', headers: { "content-type": "application/json" } });
    expectEnvelope(res, 400, "VALIDATION_FAILED");
    expect(res.body.error.details).toEqual([{ path: "", rule: "json" }]);
  });

  test("a body over the configured limit is 413 PAYLOAD_TOO_LARGE, and one under it passes", async () => {
    const big = { text: "采".repeat(40 * 1024) }; // 120 KiB of UTF-8, limit 64 KiB
    expectEnvelope(await platform.api("/api/probe/echo", { method: "POST", token: admin, body: big }), 413, "PAYLOAD_TOO_LARGE");
    const ok = await platform.api("/api/probe/echo", { method: "POST", token: admin, body: { text: "采".repeat(1000) } });
    expect(ok.status).toBe(200);
  });

  test("a call that needs a user without a token is 401 UNAUTHENTICATED", async () => {
    expectEnvelope(await platform.api("/api/probe/echo", { method: "POST", body: {} }), 401, "UNAUTHENTICATED");
  });

  test.each([
    ["a token with a wrong signature", (t: string) => t.slice(0, -4) + (t.endsWith("AAAA") ? "BBBB" : "AAAA")],
    ["a token that is not a JWT", () => "not-a-token"],
    ["an unsigned token (alg none)", (t: string) => {
      const [, payload] = t.split(".");
      return `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
    }],
  ])("%s is 401 UNAUTHENTICATED, even on a public route", async (_case, spoil) => {
    expectEnvelope(await platform.api("/api/probe/echo", { method: "POST", body: {}, token: spoil(admin) }), 401, "UNAUTHENTICATED");
    expectEnvelope(await platform.api("/api/health", { token: spoil(admin) }), 401, "UNAUTHENTICATED");
  });

  test("a malformed Authorization header is 401 UNAUTHENTICATED", async () => {
    expectEnvelope(await platform.api("/api/probe/echo", { method: "POST", body: {}, headers: { authorization: "Basic YWRtaW46YWRtaW4=" } }), 401, "UNAUTHENTICATED");
  });

  test("a signed-in user without the permission is 403 FORBIDDEN; with it, 200", async () => {
    expectEnvelope(await platform.api("/api/probe/secret", { token: clerk }), 403, "FORBIDDEN");
    const keeper = await platform.token({ roles: ["probe-keeper"], tenantCode: "440000" });
    expect((await platform.api("/api/probe/secret", { token: keeper })).body).toEqual({ secret: 42 });
  });

  test("a crash inside a plugin is 500 INTERNAL_ERROR without its message, SQL or stack", async () => {
    const res = await platform.api("/api/probe/boom");
    expectEnvelope(res, 500, "INTERNAL_ERROR");
    const text = JSON.stringify(res.body);
    expect(text).not.toMatch(/secret_table|select|stack|at /i);
  });

  test("a stale version is 409 CONFLICT", async () => {
    const created = await platform.api("/api/registries/purchasers", {
      method: "POST",
      token: admin,
      body: { name: "惠州市教育局", budgetCode: "441300101", tenantCode: "441300", unitType: "government-agency" },
    });
    expect(created.status).toBe(201);
    const first = await platform.api(`/api/registries/purchasers/${created.body.id}`, { method: "PATCH", token: admin, body: { address: "惠州市江北", expectedVersion: 1 } });
    expect(first.status).toBe(200);
    const stale = await platform.api(`/api/registries/purchasers/${created.body.id}`, { method: "PATCH", token: admin, body: { address: "惠州市惠城区", expectedVersion: 1 } });
    expectEnvelope(stale, 409, "CONFLICT");
    expect(stale.body.error.details).toEqual({ currentVersion: 2 });
  });

  test("messages are in Chinese by default and in English on request", async () => {
    const zh = await platform.api("/api/no/such/route");
    expect(zh.body.error.message).toMatch(/[\u4e00-\u9fff]/);
    const en = await platform.api("/api/no/such/route", { headers: { "accept-language": "en-US,en;q=0.9" } });
    expect(en.body.error.message).toBe("Not found");
    const query = await platform.api("/api/probe/echo?lang=en", { method: "POST", body: {} });
    expect(query.body.error.message).toBe("Sign-in required");
  });

  test("health and the plugin list are public", async () => {
    const health = await platform.api("/api/health");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: "ok",
      node: platform.kernel.broker.nodeID,
      nodes: [platform.kernel.broker.nodeID],
      database: { status: "up" },
      transporter: { type: "in-process", connected: true },
    });
    expect(health.body.plugins).toEqual(expect.arrayContaining([{ name: "probe", available: true }, { name: "registries", available: true }]));
    const plugins = await platform.api("/api/plugins");
    expect(plugins.body.map((p: { name: string }) => p.name).sort()).toEqual(["probe", "probe-addon", "registries"]);
    expect(plugins.body.find((p: { name: string }) => p.name === "registries")).toMatchObject({
      title: { "zh-CN": "基础信息库", en: "Base registries" },
      version: expect.any(String),
      dependsOn: [],
      extensionPoints: [],
      nodes: [platform.kernel.broker.nodeID],
    });
  });

  test("a plugin calls what another contributed to its extension points, whichever plugin that is", async () => {
    const res = await platform.api("/api/probe/greetings?name=%E6%83%A0%E5%B7%9E");
    expect(res.body).toEqual({ answers: [{ plugin: "probe-addon", result: "你好，惠州" }], badges: [{ plugin: "probe-addon", data: { icon: "star" } }] });
    const probe = (await platform.api("/api/plugins")).body.find((p: { name: string }) => p.name === "probe");
    expect(probe.extensionPoints).toEqual([
      { id: "probe.greeters", title: { "zh-CN": "问候", en: "Greeters" }, kind: "action", contributors: ["probe-addon"] },
      { id: "probe.badges", title: { "zh-CN": "徽章", en: "Badges" }, kind: "data", contributors: ["probe-addon"] },
    ]);
    const addon = (await platform.api("/api/plugins")).body.find((p: { name: string }) => p.name === "probe-addon");
    expect(addon).toMatchObject({ dependsOn: ["probe"], extends: ["probe.greeters", "probe.badges"] });
  });

  test("the web app is served at /", async () => {
    const res = await fetch(platform.baseUrl + "/");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("广东省政府采购");
  });
});

describe("when the database goes away", () => {
  test("health answers 503 and a business call 503 UNAVAILABLE, and both recover", async () => {
    const db = await createTestDatabase();
    const target = new URL(db.url);
    const proxy = await startTcpProxy(Number(target.port), target.hostname);
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    const platform = await startTestPlatform({ pluginsDir: FIXTURE_PLUGINS, databaseUrl: viaProxy.toString() });
    try {
      expect((await platform.api("/api/probe/notes")).status).toBe(200);
      proxy.cut();
      const health = await platform.api("/api/health");
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ status: "unavailable", database: { status: "down" } });
      const call = await platform.api("/api/probe/notes");
      expect(call.status).toBe(503);
      expect(call.body.error.code).toBe("UNAVAILABLE");
      expect(JSON.stringify(call.body)).not.toMatch(/ECONN|127\.0\.0\.1|postgres/);

      proxy.restore();
      expect((await platform.api("/api/health")).status).toBe(200);
      expect((await platform.api("/api/probe/notes")).body).toEqual([{ body: "first" }, { body: "second" }]);
    } finally {
      await platform.stop();
      await proxy.close();
      await db.drop();
    }
  });
});

describe("graceful stop", () => {
  test("refused calls are not left in flight: a node that refused many stops at once", async () => {
    const platform = await startTestPlatform({ pluginsDir: FIXTURE_PLUGINS });
    const clerk = await platform.token({ roles: ["purchaser"], tenantCode: "441300" });
    const refusals = await Promise.all(Array.from({ length: 20 }, (_, i) => platform.api(i % 2 ? "/api/probe/secret" : "/api/probe/echo", { method: i % 2 ? "GET" : "POST", token: i % 2 ? clerk : undefined, body: i % 2 ? undefined : {} })));
    expect(refusals.map((r) => r.status).sort()).toEqual([...Array(10).fill(401), ...Array(10).fill(403)]);
    const started = Date.now();
    await platform.stop();
    // A leaked request would hold the stop for the whole shutdown timeout (10 s).
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test("requests in flight finish before the node stops", async () => {
    const platform = await startTestPlatform({ pluginsDir: FIXTURE_PLUGINS });
    const inFlight = platform.api("/api/probe/slow?ms=1500");
    await new Promise((r) => setTimeout(r, 300));
    const stopped = platform.stop();
    const res = await inFlight;
    await stopped;
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ done: true });
  });
});
