import SwaggerParser from "@apidevtools/swagger-parser";
import type { OpenAPIV3_1 } from "openapi-types";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";

/**
 * The attachments' routes in the OpenAPI description (core/files/openapi.ts): the upload as the
 * octet-stream it is, with its query parameters and answer; the download with its ranges.
 */
let platform: TestPlatform;
let doc: OpenAPIV3_1.Document;

type Op = OpenAPIV3_1.OperationObject;
const param = (op: Op, name: string) => (op.parameters as OpenAPIV3_1.ParameterObject[]).find((p) => p.name === name);

beforeAll(async () => {
  platform = await startTestPlatform();
  const res = await platform.api("/api/openapi.json?lang=en");
  expect(res.status).toBe(200);
  doc = res.body;
});

afterAll(() => platform?.stop());

test("the description still validates (@apidevtools/swagger-parser) with the files' routes described", async () => {
  await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
});

test("POST /api/files takes application/octet-stream (not CSV), with name, form and field, and answers 201 { id, sha256, size, type, name }", () => {
  const op = doc.paths!["/api/files"]!.post as Op;
  const body = op.requestBody as OpenAPIV3_1.RequestBodyObject;
  expect(Object.keys(body.content)).toEqual(["application/octet-stream"]);
  expect(body.required).toBe(true);
  expect(body.content["application/octet-stream"].schema).toMatchObject({ type: "string", format: "binary" });
  expect(body.description).toMatch(/not believed/);
  expect(param(op, "name")).toMatchObject({ in: "query", required: true });
  expect(param(op, "form")).toMatchObject({ in: "query", required: false });
  expect(param(op, "field")).toMatchObject({ in: "query", required: false });
  const created = (op.responses!["201"] as OpenAPIV3_1.ResponseObject).content!["application/json"].schema as OpenAPIV3_1.SchemaObject;
  expect(created.required).toEqual(["id", "sha256", "size", "type", "name"]);
  expect(op.responses!["413"]).toEqual({ $ref: "#/components/responses/PayloadTooLarge" });
});

test("GET /api/files/{id} and its link's /content: Range and If-Range, 200/206/416 with their headers", () => {
  for (const p of ["/api/files/{id}", "/api/files/{id}/content"]) {
    const op = doc.paths![p]!.get as Op;
    expect(param(op, "Range")).toMatchObject({ in: "header", required: false });
    expect(param(op, "If-Range")).toMatchObject({ in: "header" });
    const r = op.responses as Record<string, OpenAPIV3_1.ResponseObject>;
    expect(Object.keys(r)).toEqual(expect.arrayContaining(["200", "206", "416", "404"]));
    expect(Object.keys(r["200"].headers!)).toEqual(expect.arrayContaining(["ETag", "Accept-Ranges", "Content-Disposition", "Content-Length"]));
    expect(Object.keys(r["206"].headers!)).toContain("Content-Range");
    expect(r["416"].headers!["Content-Range"]).toBeDefined();
    expect(r["416"].content!["application/json"].schema).toMatchObject({ properties: { error: { properties: { code: { const: "RANGE_NOT_SATISFIABLE" } } } } });
  }
  const content = doc.paths!["/api/files/{id}/content"]!.get as Op;
  for (const q of ["u", "exp", "sig"]) expect(param(content, q)).toMatchObject({ in: "query", required: true });
  // the link is the right: no token needed
  expect(content.security).toEqual([{}, { bearerAuth: [] }]);
  const link = doc.paths!["/api/files/{id}/link"]!.get as Op;
  expect(((link.responses!["200"] as OpenAPIV3_1.ResponseObject).content!["application/json"].schema as OpenAPIV3_1.SchemaObject).required).toEqual(["url", "expiresAt"]);
});
