/**
 * The web app's side of the gateway: page paths get the app (history fallback), files keep their
 * 404, and every answer, API or page, carries the security headers. A stand-in web/dist (an
 * index.html and one asset) keeps this off the real build; the e2e tests check the built app.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";

const FIXTURE_PLUGINS = path.resolve(__dirname, "../../fixtures/plugins");
const INDEX = '<!doctype html><html lang="zh-CN"><head><title>app</title><script type="module" src="/assets/app.js"></script></head><body><div id="root"></div></body></html>';

let platform: TestPlatform;
let webDir: string;

beforeAll(async () => {
  webDir = fs.mkdtempSync(path.join(os.tmpdir(), "gdpc-web-"));
  fs.mkdirSync(path.join(webDir, "dist", "assets"), { recursive: true });
  fs.writeFileSync(path.join(webDir, "dist", "index.html"), INDEX);
  fs.writeFileSync(path.join(webDir, "dist", "assets", "app.js"), "export {};\n");
  platform = await startTestPlatform({ pluginsDir: FIXTURE_PLUGINS, webDir });
});
afterAll(async () => {
  await platform?.stop();
  fs.rmSync(webDir, { recursive: true, force: true });
});

const get = (p: string, headers: Record<string, string> = {}) => fetch(platform.baseUrl + p, { headers, signal: AbortSignal.timeout(10_000) });

describe("the history fallback", () => {
  test("a page path with a dot in it (a workflow id) is the app, not the API's JSON 404", async () => {
    for (const p of ["/start/supervision.intention", "/start/supervision.plan?projectId=1", "/instances/3f0c", "/admin/440900/etrading"]) {
      const res = await get(p, { accept: "text/html" });
      expect([p, res.status, res.headers.get("content-type")]).toEqual([p, 200, "text/html; charset=utf-8"]);
      expect(await res.text()).toBe(INDEX);
    }
  });

  test("missing files, API paths and socket.io keep their 404", async () => {
    for (const p of ["/assets/missing.js", "/assets/missing.css", "/favicon.ico", "/robots.txt", "/api/no/such/route"]) {
      const res = await get(p);
      expect([p, res.status]).toEqual([p, 404]);
    }
    const api = await get("/api/no/such/route");
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
  });
});

describe("security headers on every answer", () => {
  const answers = () => Promise.all([get("/"), get("/start/supervision.intention"), get("/assets/app.js"), get("/api/health"), get("/api/no/such/route"), get("/assets/missing.js")]);

  test("X-Content-Type-Options: nosniff, on pages, files, API answers and errors", async () => {
    for (const res of await answers()) expect([res.url, res.headers.get("x-content-type-options")]).toEqual([res.url, "nosniff"]);
  });

  test("socket.io's own HTTP answers (the polling handshake) carry them too", async () => {
    const res = await get("/socket.io/?EIO=4&transport=polling");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });

  test("a Content-Security-Policy that allows no inline script and no other origin's script", async () => {
    for (const res of await answers()) {
      const csp = res.headers.get("content-security-policy") ?? "";
      const directives = new Map(csp.split(";").map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name, values]));
      expect([res.url, directives.get("default-src")]).toEqual([res.url, ["'self'"]]);
      // eval for ajv's compiled validators (see SECURITY_HEADERS); never inline script or another origin
      expect([res.url, directives.get("script-src")]).toEqual([res.url, ["'self'", "'unsafe-eval'"]]);
      expect([res.url, directives.get("object-src")]).toEqual([res.url, ["'none'"]]);
      expect([res.url, directives.get("base-uri")]).toEqual([res.url, ["'self'"]]);
    }
  });

  test("frame-ancestors 'none', and X-Frame-Options: DENY for browsers that predate it", async () => {
    for (const res of await answers()) {
      expect([res.url, res.headers.get("content-security-policy")]).toEqual([res.url, expect.stringContaining("frame-ancestors 'none'")]);
      expect([res.url, res.headers.get("x-frame-options")]).toEqual([res.url, "DENY"]);
    }
  });
});
