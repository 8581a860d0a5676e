import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { creditCode } from "../../support/registries";

const code = (division: string, n: number) => creditCode(division, n, "91");

const HEADER = "name,credit_code,region,tenants_served,accreditation_number,accreditation_date,accreditation_authority,contact_name,contact_phone,contact_email,address,status";

describe("importing agencies from CSV", () => {
  let platform: TestPlatform;
  let admin: string;
  let maomingAdmin: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    maomingAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "440900" });
    // An agency registered through the API, whose record number a row will try to take.
    const res = await platform.api("/api/registries/agencies", {
      method: "POST",
      token: admin,
      body: { name: "广东省机电设备招标中心有限公司", creditCode: code("440000", 1), region: "440000", tenantsServed: ["440000"], accreditation: { recordNumber: "粤-0001", registeredOn: "2018-03-01", authority: "440000" } },
    });
    expect(res.status).toBe(201);
  });
  afterAll(() => platform.stop());

  const upload = (csv: string, token = admin) =>
    platform.api("/api/registries/agencies/import", { method: "POST", token, raw: csv, headers: { "content-type": "text/csv" } });
  const one = async (c: string) => (await platform.api(`/api/registries/agencies/${c}`, { token: admin })).body;

  const good = [
    `惠州市公信招标代理有限公司,${code("441300", 2)},441300,441300;441302,粤-0102,2018-06-01,440000,周敏,0752-2887766,,,`,
    `茂名市诚达采购代理有限公司,${code("440900", 3)},440900,"440902、440904",粤-0203,2019-03-01,440000,,,,,`,
  ];

  test("good rows import; bad rows are reported with their line and reasons", async () => {
    const csv = [
      HEADER,
      good[0],
      `无服务地区公司,${code("441300", 4)},441300,,粤-0304,2019-01-01,440000,,,,,`,
      `未来登记公司,${code("441300", 5)},441300,441300,粤-0405,2999-01-01,440000,,,,,`,
      `市级登记公司,${code("441300", 6)},441300,441300,粤-0506,2019-01-01,441300,,,,,`,
      good[1],
      `编号重复公司,${code("440900", 7)},440900,440900,粤-0203,2019-03-01,440000,,,,,`,
      `编号已被占用公司,${code("440900", 8)},440900,440900,粤-0001,2019-03-01,440000,,,,,`,
      `深圳服务公司,${code("440900", 9)},440900,440900;440300,粤-0909,2019-03-01,440000,,,,,`,
    ].join("\n");
    const res = await upload(csv);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 8, created: 2, updated: 0, unchanged: 0 });
    expect(res.body.rejected.map((r: { line: number; reasons: Array<{ path: string; rule: string }> }) => [r.line, r.reasons.map((x) => `${x.path} ${x.rule}`)])).toEqual([
      [3, ["/tenantsServed required"]],
      [4, ["/accreditation/registeredOn past"]],
      [5, ["/accreditation/authority province"]],
      [7, ["/accreditation/recordNumber unique"]],
      [8, ["/accreditation/recordNumber unique"]],
      [9, ["/tenantsServed/1 tenant"]],
    ]);
    expect(await one(code("441300", 2))).toMatchObject({
      tenantsServed: ["441300", "441302"],
      accreditation: { recordNumber: "粤-0102", registeredOn: "2018-06-01", authority: "440000" },
      contactName: "周敏",
      status: "active",
    });
    expect((await one(code("440900", 3))).tenantsServed).toEqual(["440902", "440904"]);
  });

  test("running the file again changes nothing, even with the regions served listed in another order", async () => {
    const before = [await one(code("441300", 2)), await one(code("440900", 3))];
    const res = await upload([HEADER, good[0].replace("441300;441302", "441302 441300"), good[1]].join("\n"));
    expect(res.body).toMatchObject({ rows: 2, created: 0, updated: 0, unchanged: 2, rejected: [] });
    expect([await one(code("441300", 2)), await one(code("440900", 3))]).toEqual(before);
  });

  test("a changed listing updates the agency, with its audit entry", async () => {
    const res = await upload([HEADER, good[1].replace("粤-0203,2019-03-01", "粤-0203,2019-03-02")].join("\n"));
    expect(res.body).toMatchObject({ updated: 1 });
    expect((await one(code("440900", 3))).accreditation.registeredOn).toBe("2019-03-02");
    const [entry] = await platform.kernel.db.knex("core_audit_log").where({ object: code("440900", 3), action: "registries.agencies.update" });
    expect(entry.actor).toMatchObject({ via: "import" });
  });

  test("a tenant admin imports agencies based in their region only, whatever they serve", async () => {
    const csv = [
      HEADER,
      `茂名市信达招标有限公司,${code("440900", 11)},440900,440900;441300,粤-1111,2020-05-01,440000,,,,,`,
      `惠州市远景招标有限公司,${code("441300", 12)},441300,440900,粤-1212,2020-05-01,440000,,,,,`,
      good[0].replace("周敏", "改名"), // based in Huizhou: not theirs to change
    ].join("\n");
    const res = await upload(csv, maomingAdmin);
    expect(res.body.created).toBe(1);
    expect(res.body.rejected.map((r: { line: number; reasons: Array<{ rule: string }> }) => [r.line, r.reasons[0].rule])).toEqual([
      [3, "permission"],
      [4, "permission"],
    ]);
    expect((await one(code("441300", 2))).contactName).toBe("周敏");
  });
});
