import { startTestPlatform, type TestPlatform } from "../../support/kernel";

/**
 * The old system's projects: begun before 2021-01-01, brought over from its export, finished here
 * under the legacy module's sunset; a new project in the old system after the cutover is refused.
 */
describe("legacy projects", () => {
  let platform: TestPlatform;
  const tokens: Record<string, string> = {};
  const call = (who: string, path: string, init: { method?: string; body?: unknown; raw?: string } = {}) =>
    platform.api(path, { ...init, token: tokens[who], ...(init.raw !== undefined ? { headers: { "content-type": init.raw.startsWith("[") ? "application/json" : "text/csv" } } : {}) });
  const exported = [
    { legacyId: "HZ2020-0815", projectName: "惠州市交通运输局2020年道路养护设备采购", tenantCode: "441300", unitCode: "441300401", unitName: "惠州市交通运输局", stage: "contracted", startedOn: "2020-08-15", budget: "600000.00", supplierName: "惠州市路通机械有限公司", contractAmount: "500000.00", signedOn: "2020-11-20", paidAmount: "200000.00" },
    { legacyId: "HZ2021-0201", projectName: "切换后才开始的项目", tenantCode: "441300", unitCode: "441300401", stage: "planned", startedOn: "2021-02-01", budget: "100000.00" },
    { legacyId: "HZ2020-0999", projectName: "缺合同金额的项目", tenantCode: "441300", unitCode: "441300401", stage: "accepted", startedOn: "2020-05-01", budget: "100000.00" },
  ];

  beforeAll(async () => {
    platform = await startTestPlatform();
    tokens.admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    tokens.maomingAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "440900" });
    tokens.buyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
    // an imported project's unit must be a registered unit of its region
    const unit = await call("admin", "/api/registries/purchasers", { method: "POST", body: { name: "惠州市交通运输局", budgetCode: "441300401", tenantCode: "441300", unitType: "government-agency" } });
    expect(unit.status).toBe(201);
    platform.kernel.clock.travelTo("2021-03-01T10:00:00+08:00");
  });
  afterAll(() => platform.stop());

  test("a JSON export: good rows come over at their stage, bad rows are reported with the reason; a second run changes nothing", async () => {
    const first = await call("admin", "/api/legacy/projects/import", { method: "POST", raw: JSON.stringify(exported) });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ rows: 3, imported: 1, unchanged: 0 });
    const rejected = (first.body as { rejected: Array<{ line: number; legacyId: string; reasons: Array<{ path: string; rule: string }> }> }).rejected;
    expect(rejected.map((r) => [r.line, r.legacyId, r.reasons.map((x) => `${x.path}:${x.rule}`)])).toEqual([
      [2, "HZ2021-0201", ["/startedOn:cutover"]],
      [3, "HZ2020-0999", ["/contractAmount:required", "/supplierName:required", "/signedOn:required"]],
    ]);
    const again = await call("admin", "/api/legacy/projects/import", { method: "POST", raw: JSON.stringify(exported.slice(0, 1)) });
    expect(again.body).toMatchObject({ rows: 1, imported: 0, unchanged: 1, rejected: [] });
    // the same project in the CSV export: found, not doubled
    const header = Object.keys(exported[0]).join(",");
    const csv = `${header}\n${Object.values(exported[0]).join(",")}\n`;
    expect((await call("admin", "/api/legacy/projects/import", { method: "POST", raw: csv })).body).toMatchObject({ rows: 1, imported: 0, unchanged: 1 });
    const [{ n }] = await platform.kernel.db.knex("core_workflow_instances").where({ workflow_id: "legacy.project" }).count({ n: "*" });
    expect(Number(n)).toBe(1);
  });

  test("a JSON export over 16 MiB is refused whole as PAYLOAD_TOO_LARGE, as a CSV one is", async () => {
    const big = JSON.stringify(Array.from({ length: 60_000 }, (_, i) => ({ ...exported[0], legacyId: `BIG-${i}`, projectName: "超大导出文件中的项目".repeat(8) })));
    expect(big.length).toBeGreaterThan(16 * 1024 * 1024);
    const r = await call("admin", "/api/legacy/projects/import", { method: "POST", raw: big });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
    const [{ n }] = await platform.kernel.db.knex("core_workflow_instances").where({ workflow_id: "legacy.project" }).whereRaw("external_id like 'BIG-%'").count({ n: "*" });
    expect(Number(n)).toBe(0);
  });

  test("another city's tenant admin cannot bring over a Huizhou project", async () => {
    const r = await call("maomingAdmin", "/api/legacy/projects/import", { method: "POST", raw: JSON.stringify([{ ...exported[0], legacyId: "HZ2020-0816" }]) });
    expect(r.body).toMatchObject({ imported: 0, rejected: [{ line: 1, legacyId: "HZ2020-0816", reasons: [{ rule: "forbidden" }] }] });
  });

  test("the 2020 project continues to payment in 2021; the balance must be exactly what is unpaid", async () => {
    const list = await call("buyer", "/api/instances?workflow=legacy.project&mine=1");
    const item = (list.body as { items: Array<{ id: string; state: string; data: Record<string, unknown> }> }).items[0];
    expect(item).toMatchObject({ state: "contracted", data: { legacyId: "HZ2020-0815", contractAmount: "500000.00", paidAmount: "200000.00" } });
    const history = await call("buyer", `/api/instances/${item.id}`);
    expect((history.body as { history: Array<{ transition: string }> }).history.map((h) => h.transition)).toEqual(["$import"]);
    expect((await call("buyer", `/api/instances/${item.id}/transitions/accept`, { method: "POST", body: { data: { acceptedOn: "2021-03-01", result: "pass" } } })).status).toBe(200);
    const wrong = await call("buyer", `/api/instances/${item.id}/transitions/pay`, { method: "POST", body: { data: { amount: "500000.00", paidOn: "2021-03-01" } } });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: { code: "VALIDATION_FAILED", details: [{ path: "/amount", rule: "balance" }] } });
    const paid = await call("buyer", `/api/instances/${item.id}/transitions/pay`, { method: "POST", body: { data: { amount: "300000.00", paidOn: "2021-03-01" } } });
    expect(paid.body).toMatchObject({ state: "paid", terminal: true, data: { paidAmount: "500000.00" } });
  });

  test("a new project in the old system after the cutover is refused with the notice's reason; before it, it was allowed", async () => {
    const data = { projectName: "切换后在原系统新建的项目", budget: "80000.00" };
    const refused = await call("buyer", "/api/workflows/legacy.project/instances", { method: "POST", body: { data } });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: "MODULE_NOT_ENABLED", details: { module: "legacy", state: "sunset" } } });
    expect((refused.body as { error: { details: { reason: string }; message: string } }).error.details.reason).toContain("2021年1月1日起新项目一律在新平台办理");
    platform.kernel.clock.travelTo("2020-12-01T10:00:00+08:00");
    expect((await call("buyer", "/api/workflows/legacy.project/instances", { method: "POST", body: { data } })).status).toBe(201);
    platform.kernel.clock.travelTo("2021-03-01T10:00:00+08:00");
  });
});
