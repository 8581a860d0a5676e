import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

/**
 * A registry defined by configuration alone (test/fixtures/registry-plugins/testing-labs: a model, a
 * form, a migration and a `CodedRegistry`, no handler) gets everything purchasers, suppliers and
 * agencies have: list, search, import, audit and the plugin's rules, a hidden code included.
 */

const ROOT = path.resolve(__dirname, "../../..");
const FIXTURE = path.join(ROOT, "test/fixtures/registry-plugins");

// core's validateForm reads forms from the repository's forms/ whatever FORMS_DIR the kernel was given
// (the kernel's FormRegistry does honour it): the fixture's form is read from where the kernel reads it.
jest.mock("../../../core/forms/validate", () => {
  const actual = jest.requireActual("../../../core/forms/validate");
  const { errorsOf } = jest.requireActual("../../../core/forms/compile");
  const { validationFailed } = jest.requireActual("../../../core/sdk");
  const dir = jest.requireActual("node:path").resolve(__dirname, "../../fixtures/registry-plugins/forms");
  const own = (id: string) => id.startsWith("testing-labs.");
  const check = (id: string, data: unknown) => errorsOf(actual.compileForm(id, dir), data, { form: true });
  return {
    ...actual,
    checkForm: (id: string, data: unknown) => (own(id) ? check(id, data) : actual.checkForm(id, data)),
    validateForm: (id: string, data: unknown) => {
      if (!own(id)) return actual.validateForm(id, data);
      const problems = check(id, data);
      if (problems.length) throw validationFailed(problems);
      return data;
    },
  };
});

let platform: TestPlatform;
let pluginsDir: string;
let formsDir: string;
const tokens: Record<string, string> = {};

const call = (who: string, url: string, init: { method?: string; body?: unknown } = {}) => platform.api(url, { ...init, token: tokens[who] });
const upload = (who: string, csv: string) =>
  platform.api("/api/testing-labs/labs/import", { method: "POST", token: tokens[who], raw: csv, headers: { "content-type": "text/csv; charset=utf-8" } });

const lab = (over: Record<string, unknown> = {}) => ({ name: "惠州市建设工程质量检测站", licenseNo: "201319000101", region: "441300", discipline: "construction", contactPhone: "0752-2281234", ...over });

beforeAll(async () => {
  // the real registries plugin beside the fixture one; the real forms beside the fixture's
  pluginsDir = linkPlugins(["registries"], "configured-registry");
  formsDir = fs.mkdtempSync(path.join(os.tmpdir(), "configured-registry-forms-"));
  fs.cpSync(path.join(ROOT, "forms", "registries"), path.join(formsDir, "registries"), { recursive: true });
  fs.cpSync(path.join(FIXTURE, "forms", "testing-labs"), path.join(formsDir, "testing-labs"), { recursive: true });
  platform = await startTestPlatform({ pluginsDir, formsDir, pluginPaths: [path.join(FIXTURE, "testing-labs")] });
  tokens.admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
  tokens.huizhouAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
  tokens.huizhouRegulator = await platform.token({ roles: ["regulator"], tenantCode: "441300" });
  tokens.maomingRegulator = await platform.token({ roles: ["regulator"], tenantCode: "440900" });
  tokens.supplier = await platform.token({ roles: ["supplier"], tenantCode: "441300" });
});
afterAll(async () => {
  await platform?.stop();
  fs.rmSync(pluginsDir, { recursive: true, force: true });
  fs.rmSync(formsDir, { recursive: true, force: true });
});

test("registered through the API, checked by its form and rules, audited", async () => {
  const res = await call("huizhouAdmin", "/api/testing-labs/labs", { method: "POST", body: lab() });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ ...lab(), id: expect.any(String), status: "active", version: 1 });
  const bad = await call("huizhouAdmin", "/api/testing-labs/labs", { method: "POST", body: lab({ licenseNo: "12-AB", region: "440300" }) });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details.map((d: { path: string; rule: string }) => `${d.path} ${d.rule}`).sort()).toEqual(["/licenseNo pattern"]);
  const shenzhen = await call("admin", "/api/testing-labs/labs", { method: "POST", body: lab({ licenseNo: "201319000199", region: "440300" }) });
  expect(shenzhen.body.error.details).toEqual([expect.objectContaining({ path: "/region", rule: "tenant" })]);
  const twice = await call("admin", "/api/testing-labs/labs", { method: "POST", body: lab({ name: "另一个检测站" }) });
  expect(twice.body.error.details).toEqual([expect.objectContaining({ path: "/licenseNo", rule: "unique" })]);
  const elsewhere = await call("huizhouAdmin", "/api/testing-labs/labs", { method: "POST", body: lab({ licenseNo: "201319000102", region: "440900" }) });
  expect(elsewhere.status).toBe(403);
  const log = await platform.kernel.db.knex("core_audit_log").where({ object: "201319000101" }).orderBy("id");
  expect(log.map((e) => e.action)).toEqual(["testing-labs.labs.create"]);
  expect(log[0]).toMatchObject({ tenant_code: "441300" });
});

test("imported from CSV: good rows in, bad rows reported by line, the caller's reach row by row, a second run changes nothing", async () => {
  const csv = [
    "name,license_no,region,discipline,contact_phone,status",
    "惠州市食品检验所,201319000201,441302,food,,",
    "惠州市环境监测中心站,201319000202,441300,environment,0752-2345678,",
    "茂名市食品检验所,201319000203,440900,food,,",
    "坏编号检测站,ABC,441300,food,,",
    "重复编号检测站,201319000201,441300,food,,",
  ].join("\n");
  const res = await upload("huizhouAdmin", csv);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ rows: 5, created: 2, updated: 0, unchanged: 0 });
  expect(res.body.rejected.map((r: { line: number; licenseNo?: string; reasons: Array<{ path: string; rule: string }> }) => [r.line, r.licenseNo, r.reasons.map((x) => `${x.path} ${x.rule}`)])).toEqual([
    [4, "201319000203", ["/region permission"]],
    [5, "ABC", ["/licenseNo pattern"]],
    [6, "201319000201", ["/licenseNo unique"]],
  ]);
  const again = await upload("huizhouAdmin", csv.split("\n").slice(0, 3).join("\n"));
  expect(again.body).toMatchObject({ rows: 2, created: 0, updated: 0, unchanged: 2, rejected: [] });
  expect((await upload("huizhouRegulator", csv)).status).toBe(403);
});

test("listed and searched by name (two-character words) and by filters; a bad filter is 400 naming it", async () => {
  const names = async (query: string, who = "admin") => ((await call(who, `/api/testing-labs/labs${query}`)).body.items as Array<{ name: string }>).map((l) => l.name);
  expect(await names(`?q=${encodeURIComponent("食品")}`)).toEqual(["惠州市食品检验所"]);
  expect(await names("?discipline=environment")).toEqual(["惠州市环境监测中心站"]);
  expect((await names("?tenant=441300")).length).toBe(3);
  const bad = await call("admin", "/api/testing-labs/labs?discipline=medicine&tenant=450100");
  expect(bad.status).toBe(400);
  expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/discipline", "/tenant"]);
});

test("what each role may see: the certificate number is hidden from those who may not read it, in answers and in searches", async () => {
  const everything = (await call("admin", "/api/testing-labs/labs")).body.items as Array<Record<string, unknown>>;
  expect(everything).toHaveLength(3);
  const asSupplier = (await call("supplier", "/api/testing-labs/labs")).body.items as Array<Record<string, unknown>>;
  expect(asSupplier).toHaveLength(3);
  for (const l of asSupplier) expect(Object.keys(l).sort()).toEqual(["discipline", "id", "name", "region", "status"]);
  // a prefix search on a code the caller cannot read would spell it out, digit by digit
  expect((await call("supplier", "/api/testing-labs/labs?q=2013190002")).body.total).toBe(0);
  expect((await call("huizhouRegulator", "/api/testing-labs/labs?q=2013190002")).body.total).toBe(2);
  const one = (await call("huizhouRegulator", `/api/testing-labs/labs/${everything[0].id}`)).body;
  expect(one).toMatchObject({ licenseNo: expect.any(String), contactPhone: expect.anything() });
  // another region's regulator reads the public fields only, and may not change anything
  const far = await call("maomingRegulator", `/api/testing-labs/labs/${everything[0].id}`);
  expect(far.status).toBe(200);
  expect(far.body.licenseNo).toBeUndefined();
  expect((await call("maomingRegulator", `/api/testing-labs/labs/${everything[0].id}`, { method: "PATCH", body: { name: "改名" } })).status).toBe(403);
  expect((await call("supplier", "/api/testing-labs/labs/not-an-id")).status).toBe(404);
});

test("changed and closed by its owner, each change audited; closing twice changes nothing", async () => {
  const [first] = (await call("admin", `/api/testing-labs/labs?q=${encodeURIComponent("环境")}`)).body.items;
  const changed = await call("huizhouAdmin", `/api/testing-labs/labs/${first.id}`, { method: "PATCH", body: { contactPhone: null, expectedVersion: first.version } });
  expect(changed.status).toBe(200);
  expect(changed.body).toMatchObject({ contactPhone: null, version: first.version + 1 });
  expect((await call("huizhouAdmin", `/api/testing-labs/labs/${first.id}`, { method: "DELETE" })).body).toMatchObject({ status: "closed" });
  expect((await call("huizhouAdmin", `/api/testing-labs/labs/${first.id}`, { method: "DELETE" })).body).toMatchObject({ status: "closed", version: first.version + 2 });
  const log = await platform.kernel.db.knex("core_audit_log").where({ object: first.licenseNo }).orderBy("id");
  expect(log.map((e) => e.action)).toEqual(["testing-labs.labs.create", "testing-labs.labs.update", "testing-labs.labs.deactivate"]);
});
