/**
 * The HTTP API's OpenAPI 3.1 description (GET /api/openapi.json) and its reference page
 * (/api/docs), against a platform with every plugin: valid by a standard validator, and complete
 * when compared with the broker's own services, not with a list kept here.
 */
import SwaggerParser from "@apidevtools/swagger-parser";
import type { OpenAPIV3_1 } from "openapi-types";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import type { PlatformServiceSchema, PluginManifest } from "../../../core/plugins/types";
import { restRoutes } from "../../../core/gateway/openapi/routes";

let platform: TestPlatform;
let doc: OpenAPIV3_1.Document;
let firstMs = 0;
let cachedMs = 0;

type Op = OpenAPIV3_1.OperationObject & { "x-permission"?: unknown };
const METHODS = ["get", "put", "post", "delete", "patch"] as const;

function operations(d: OpenAPIV3_1.Document): Array<{ path: string; method: string; op: Op }> {
  return Object.entries(d.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((m) => item?.[m]).map((method) => ({ path, method, op: item![method] as Op })),
  );
}

const timed = async (p: string) => {
  const started = performance.now();
  const res = await platform.api(p);
  return { res, ms: performance.now() - started };
};

beforeAll(async () => {
  platform = await startTestPlatform();
  const first = await timed("/api/openapi.json");
  const again = await timed("/api/openapi.json");
  firstMs = first.ms;
  cachedMs = again.ms;
  expect(first.res.status).toBe(200);
  doc = first.res.body;
});
afterAll(() => platform?.stop());

describe("GET /api/openapi.json", () => {
  test("is OpenAPI 3.1 that @apidevtools/swagger-parser validates (every $ref resolves)", async () => {
    expect(doc.openapi).toBe("3.1.0");
    // validate() dereferences in place: give it a copy
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
    // eslint-disable-next-line no-console
    console.log(`OpenAPI description: first request ${firstMs.toFixed(1)} ms (built then), cached ${cachedMs.toFixed(1)} ms, ${Buffer.byteLength(JSON.stringify(doc))} bytes, ${operations(doc).length} operations`);
  });

  test("every REST action of every loaded service (the broker's registry) is there, under its route", async () => {
    const services = platform.kernel.broker.services as unknown as Array<{ name: string; schema: PlatformServiceSchema; plugin?: PluginManifest }>;
    const expected: string[] = [];
    for (const svc of services) {
      for (const [name, action] of Object.entries(svc.schema.actions ?? {})) {
        if (!action.rest) continue;
        const [method, rel] = action.rest.split(" ");
        const prefix = svc.plugin ? `/${svc.plugin.name}` : "";
        const route = `/api${prefix}${rel === "/" && prefix ? "" : rel}`.replace(/:(\w+)/g, "{$1}");
        expected.push(`${method.toLowerCase()} ${route} ${svc.name}.${name}`);
      }
    }
    // the plugins' services are there, not just the kernel's
    for (const plugin of platform.kernel.registry.names()) expect(expected.some((e) => e.includes(` /api/${plugin}/`))).toBe(true);
    const described = operations(doc).map(({ path, method, op }) => `${method} ${path} ${op.operationId}`);
    // moleculer-web's own listAliases declares `rest` for auto-aliasing, which the gateway does not
    // do: whatever is left out must be no route at all
    for (const missing of expected.filter((e) => !described.includes(e))) {
      const [method, path] = missing.split(" ");
      const r = await platform.api(path, { method: method.toUpperCase() });
      expect([missing, r.status, r.body?.error?.code]).toEqual([missing, 404, "NOT_FOUND"]);
    }
    // and nothing the gateway does not route: the described rest are the gateway's own pages
    expect(described.filter((d) => !expected.includes(d)).sort()).toEqual(["get /api/docs gateway.docs", "get /api/openapi.json gateway.openapi-json"]);
  });

  test("path parameters are declared for every {name} in a path", () => {
    for (const { path, method, op } of operations(doc)) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = ((op.parameters ?? []) as OpenAPIV3_1.ParameterObject[]).filter((p) => p.in === "path").map((p) => p.name).sort();
      expect([method, path, declared]).toEqual([method, path, inPath]);
    }
  });

  test("every route lists the error envelope for the statuses it can answer", () => {
    const error = (doc.components!.schemas!.Error as OpenAPIV3_1.SchemaObject).properties!.error as OpenAPIV3_1.SchemaObject;
    expect(error.required).toEqual(["code", "message"]);
    expect(Object.keys(error.properties!)).toEqual(["code", "message", "details"]);
    for (const [name, response] of Object.entries(doc.components!.responses!)) {
      expect([name, (response as OpenAPIV3_1.ResponseObject).content?.["application/json"]?.schema]).toEqual([name, { $ref: "#/components/schemas/Error" }]);
    }
    const ref = (status: string) => (op: Op) => ((op.responses?.[status] as OpenAPIV3_1.ReferenceObject | undefined)?.$ref ?? "").startsWith("#/components/responses/");
    for (const { path, method, op } of operations(doc)) {
      const where = `${method} ${path}`;
      for (const s of ["400", "401", "500", "503"]) expect([where, s, ref(s)(op)]).toEqual([where, s, true]);
      if (!op["x-permission"]) continue; // the description and its page: no action behind them
      if (path.includes("{")) expect([where, "404", ref("404")(op)]).toEqual([where, "404", true]);
      if (op["x-permission"] !== "public") {
        expect([where, "403", ref("403")(op)]).toEqual([where, "403", true]);
        expect([where, op.security]).toEqual([where, [{ bearerAuth: [] }]]);
      }
      if (op.requestBody) expect([where, "413", ref("413")(op)]).toEqual([where, "413", true]);
    }
    const login = doc.paths!["/api/auth/login"]!.post!;
    expect(Object.keys(login.responses!)).toEqual(expect.arrayContaining(["400", "401", "429", "503"]));
    expect(login.responses!["403"]).toBeUndefined(); // callable with a first password, public, not gated
    expect(doc.paths!["/api/instances/{id}/transitions/{name}"]!.post!.responses!["409"]).toBeDefined();
  });

  test("workflow starts and transitions take the forms the workflows name, as components", () => {
    const schemas = doc.components!.schemas!;
    for (const f of platform.kernel.forms.list()) expect([f.id, typeof schemas[f.id]]).toEqual([f.id, "object"]);
    const workflows = [...platform.kernel.workflow.workflows.values()];
    const refsIn = (s: unknown): string[] => JSON.stringify(s).match(/#\/components\/schemas\/[\w.-]+/g) ?? [];

    const start = doc.paths!["/api/workflows/{workflowId}/instances"]!.post!;
    const startBody = (start.requestBody as OpenAPIV3_1.RequestBodyObject).content["application/json"].schema as OpenAPIV3_1.SchemaObject;
    expect(startBody.required).toEqual(["data"]);
    expect(new Set(refsIn(startBody))).toEqual(new Set(workflows.map((w) => `#/components/schemas/${w.start.form}`)));
    const workflowParam = (start.parameters as OpenAPIV3_1.ParameterObject[]).find((p) => p.name === "workflowId")!;
    expect((workflowParam.schema as OpenAPIV3_1.SchemaObject).enum).toEqual(workflows.map((w) => w.id).sort());

    const transition = doc.paths!["/api/instances/{id}/transitions/{name}"]!.post!;
    const transitionBody = (transition.requestBody as OpenAPIV3_1.RequestBodyObject).content["application/json"].schema as OpenAPIV3_1.SchemaObject;
    const transitionForms = new Set(workflows.flatMap((w) => w.transitions.flatMap((t) => (t.form ? [`#/components/schemas/${t.form}`] : []))));
    expect(transitionForms.size).toBeGreaterThan(0);
    expect(new Set(refsIn(transitionBody))).toEqual(transitionForms);
    expect(Object.keys(transitionBody.properties!)).toEqual(["data", "expectedVersion"]);

    // the form as the server validates with it: the same required fields, no $id, zh-CN titles
    const intention = schemas["supervision.intention"] as OpenAPIV3_1.SchemaObject & { $id?: string };
    expect(intention.required).toEqual(platform.kernel.forms.effective("supervision.intention").schema.required);
    expect([intention.$id, intention.title]).toEqual([undefined, "采购意向"]);
  });

  test("in English with ?lang=en or Accept-Language: en; Chinese by default", async () => {
    const en = await platform.api("/api/openapi.json?lang=en");
    const accept = await platform.api("/api/openapi.json", { headers: { "accept-language": "en" } });
    for (const r of [en, accept]) {
      expect(r.body.info.title).toBe("Guangdong Government Procurement Cloud API");
      expect(r.body.components.schemas["supervision.intention"].title).toBe("Procurement intention");
    }
    expect(doc.info.title).toBe("广东省政府采购智慧云平台 API");
  });

  test("is public: no token needed, a bad one is refused as everywhere", async () => {
    expect((await platform.api("/api/openapi.json", { token: "not-a-token" })).status).toBe(401);
  });
});

describe("GET /api/docs", () => {
  test("a page in the caller's language that loads Swagger UI from the platform itself", async () => {
    const zh = await fetch(`${platform.baseUrl}/api/docs`);
    expect([zh.status, zh.headers.get("content-type")]).toEqual([200, "text/html; charset=utf-8"]);
    const html = await zh.text();
    expect(html).toMatch(/<html lang="zh-CN">/);
    expect(html).toMatch(/<title>接口文档 · 广东省政府采购智慧云平台<\/title>/);
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls.length).toBeGreaterThanOrEqual(4);
    for (const u of urls) expect(u).toMatch(/^\/api\/docs\//);
    for (const u of urls) {
      const res = await fetch(platform.baseUrl + u);
      expect([u, res.status]).toEqual([u, 200]);
    }
    const en = await (await fetch(`${platform.baseUrl}/api/docs`, { headers: { "accept-language": "en" } })).text();
    expect(en).toMatch(/<html lang="en">/);
    expect(en).toMatch(/<title>API reference · Guangdong Government Procurement Cloud<\/title>/);
  });

  test("only Swagger UI's listed files: anything else under /api/docs/ is 404 in the envelope", async () => {
    for (const p of ["/api/docs/package.json", "/api/docs/..%2F..%2Fpackage.json", "/api/docs/index.html", "/api/docs/swagger-ui-bundle.js.map"]) {
      const r = await platform.api(p);
      expect([p, r.status, r.body?.error?.code]).toEqual([p, 404, "NOT_FOUND"]);
    }
  });
});

describe("restRoutes, the one list the aliases and the description are made from", () => {
  test("two actions on one method and path stop start-up, naming both", () => {
    const handler = () => null;
    const manifest = {
      name: "demo",
      services: [{ name: "demo.items", actions: { list: { rest: "GET /items", kind: "read", permission: "public", handler }, all: { rest: "GET /items", kind: "read", permission: "public", handler } } }],
    } as unknown as PluginManifest;
    const kernel = { registry: { plugins: [{ manifest, dir: "" }] }, coreServices: [] } as unknown as Parameters<typeof restRoutes>[0];
    expect(() => restRoutes(kernel)).toThrow('plugin "demo": services.demo.items.actions.all.rest: "GET /demo/items" is already routed to demo.items.list');
  });
});
