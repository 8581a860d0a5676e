import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { creditCode, withWrongCheck } from "../../support/registries";

const code = (division: string, n: number) => creditCode(division, n, "91");

const HEADER = "name,credit_code,size_class,region,contact_name,contact_phone,contact_email,address,status";

describe("importing suppliers from CSV", () => {
  let platform: TestPlatform;
  let admin: string;
  let huizhouAdmin: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    huizhouAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
  });
  afterAll(() => platform.stop());

  const upload = (csv: string, token = admin) =>
    platform.api("/api/registries/suppliers/import", { method: "POST", token, raw: csv, headers: { "content-type": "text/csv; charset=utf-8" } });
  const all = async () => (await platform.api("/api/registries/suppliers?pageSize=100", { token: admin })).body.items as Array<Record<string, unknown>>;
  const one = async (c: string) => (await platform.api(`/api/registries/suppliers/${c}`, { token: admin })).body;
  const audit = () => platform.kernel.db.knex("core_audit_log").where("action", "like", "registries.suppliers.%").orderBy("id");

  const good = [
    `惠州市鹏程办公设备有限公司,${code("441302", 1)},small,441302,黄伟,0752-2345678,,"惠州市惠城区演达大道 8 号, 201 室",active`,
    `博罗县顺达运输有限公司,${code("441322", 2)},micro,441322,,,,,`,
    `"茂名市""南方""石化配件有限公司",${code("440902", 3)},large,440902,,,,,suspended`,
  ];

  test("good rows import; each bad row is reported with its line and reasons, and nothing of it is stored", async () => {
    const csv = [
      "\uFEFF" + HEADER, // a BOM, as Excel writes it
      good[0],
      `校验码错误公司,${withWrongCheck(code("441302", 9))},small,441302,,,,,`,
      good[1],
      `深圳某公司,${code("440300", 10)},small,440300,,,,,`,
      `缺少规模公司,${code("441302", 11)},,441302,,,,,`,
      good[2],
      `重复代码公司,${code("441302", 1)},medium,441302,,,,,`,
      `列数不对,${code("441302", 12)}`,
      "",
    ].join("\r\n");
    const res = await upload(csv);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 8, created: 3, updated: 0, unchanged: 0 });
    const rejected = res.body.rejected as Array<{ line: number; creditCode?: string; reasons: Array<{ path: string; rule: string; message: Record<string, string> }> }>;
    expect(rejected.map((r) => [r.line, r.reasons.map((x) => `${x.path} ${x.rule}`)])).toEqual([
      [3, ["/creditCode format:uscc"]],
      [5, ["/region tenant"]],
      [6, ["/sizeClass required"]],
      [8, ["/creditCode unique"]],
      [9, [" columns"]],
    ]);
    expect(rejected.find((r) => r.line === 5)!.creditCode).toBe(code("440300", 10));
    for (const r of rejected) for (const reason of r.reasons) expect(reason.message["zh-CN"]).toBeTruthy();
    expect((await all()).map((s) => s.name).sort()).toEqual(["博罗县顺达运输有限公司", '茂名市"南方"石化配件有限公司', "惠州市鹏程办公设备有限公司"].sort());
    expect(await one(code("441302", 1))).toMatchObject({ address: "惠州市惠城区演达大道 8 号, 201 室", contactEmail: null, sme: true, status: "active", version: 1 });
    expect((await one(code("440902", 3))).status).toBe("suspended");
  });

  test("every record the import created is in the audit log, marked as imported, and so is the import", async () => {
    const entries = await audit();
    const created = entries.filter((e) => e.action === "registries.suppliers.create");
    expect(created.map((e) => e.object).sort()).toEqual([code("441302", 1), code("441322", 2), code("440902", 3)].sort());
    for (const e of created) expect(e.actor).toMatchObject({ via: "import" });
    expect(entries.filter((e) => e.action === "registries.suppliers.import").map((e) => e.after)).toEqual([{ rows: 8, created: 3, updated: 0, unchanged: 0, rejected: 5 }]);
  });

  test("running the same file again changes nothing", async () => {
    const before = await all();
    const changes = (await audit()).filter((e) => e.action !== "registries.suppliers.import").length;
    const res = await upload([HEADER, ...good].join("\n"));
    expect(res.body).toMatchObject({ rows: 3, created: 0, updated: 0, unchanged: 3, rejected: [] });
    expect(await all()).toEqual(before);
    expect((await audit()).filter((e) => e.action !== "registries.suppliers.import")).toHaveLength(changes);
  });

  test("a changed row updates the supplier it names by credit code, and the change is audited", async () => {
    const res = await upload([HEADER, good[0].replace("黄伟", "林静")].join("\n"));
    expect(res.body).toMatchObject({ created: 0, updated: 1, unchanged: 0 });
    expect(await one(code("441302", 1))).toMatchObject({ contactName: "林静", version: 2 });
    const update = (await audit()).filter((e) => e.action === "registries.suppliers.update").pop();
    expect(update).toMatchObject({ object: code("441302", 1), before: expect.objectContaining({ contactName: "黄伟" }), after: expect.objectContaining({ contactName: "林静" }) });
  });

  test("a column the file does not have leaves its field alone; an empty status keeps the supplier's", async () => {
    const suspended = code("440902", 3);
    const short = ["name,credit_code,size_class,region", `惠州市鹏程办公设备有限公司,${code("441302", 1)},small,441302`].join("\n");
    expect((await upload(short)).body).toMatchObject({ unchanged: 1, updated: 0 });
    expect((await one(code("441302", 1))).contactName).toBe("林静");
    expect((await upload([HEADER, good[2].replace(",suspended", ",")].join("\n"))).body).toMatchObject({ unchanged: 1 });
    expect((await one(suspended)).status).toBe("suspended");
    // an empty contact column is a cleared contact
    expect((await upload([HEADER, good[0].replace("黄伟", "")].join("\n"))).body).toMatchObject({ updated: 1 });
    expect((await one(code("441302", 1))).contactName).toBeNull();
  });

  test("a tenant admin's import reaches only their region, row by row", async () => {
    const csv = [
      HEADER,
      `惠东县新材料有限公司,${code("441323", 21)},medium,441323,,,,,`,
      `茂名市电白区渔具有限公司,${code("440904", 22)},micro,440904,,,,,`,
      good[2].replace("large", "medium"), // registered, in Maoming: not theirs to change
    ].join("\n");
    const res = await upload(csv, huizhouAdmin);
    expect(res.body.created).toBe(1);
    expect(res.body.rejected.map((r: { line: number; reasons: Array<{ rule: string }> }) => [r.line, r.reasons[0].rule])).toEqual([
      [3, "permission"],
      [4, "permission"],
    ]);
    expect((await one(code("440902", 3))).sizeClass).toBe("large");
  });

  test("a file with an unknown or a missing column is refused whole, naming them", async () => {
    const res = await upload("name,code,region\n某公司,1,441300\n");
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: "/header/1", rule: "column" }), expect.objectContaining({ path: "/header", rule: "required" })]),
    );
  });

  test("a file that breaks off after several batches imports nothing", async () => {
    const rows = Array.from({ length: 1200 }, (_, i) => `断开公司${i},${code("441303", 30_000 + i)},small,441303,,,,,`);
    const res = await upload([HEADER, ...rows, `"never closed,${code("441303", 39_999)},small`].join("\n"));
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].rule).toBe("csv");
    expect((await platform.api(`/api/registries/suppliers?q=${encodeURIComponent("断开公司")}`, { token: admin })).body.total).toBe(0);
    expect((await audit()).filter((e) => String(e.object).startsWith("91441303000300"))).toEqual([]);
  });

  test("only those who manage the registry may upload", async () => {
    const regulator = await platform.token({ roles: ["regulator"], tenantCode: "441300" });
    const supplier = await platform.token({ roles: ["supplier"], tenantCode: "441302", unitCode: code("441302", 1) });
    expect((await upload([HEADER, good[0]].join("\n"), regulator)).status).toBe(403);
    expect((await upload([HEADER, good[0]].join("\n"), supplier)).status).toBe(403);
    expect((await platform.api("/api/registries/suppliers/import", { method: "POST", raw: HEADER, headers: { "content-type": "text/csv" } })).status).toBe(401);
  });

  test("five thousand rows import in batches and are all there", async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `供应商${i},${code("441324", 50_000 + i)},${["large", "medium", "small", "micro"][i % 4]},441324,,,,,`);
    const started = Date.now();
    const res = await upload([HEADER, ...rows].join("\n"));
    const seconds = (Date.now() - started) / 1000;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 5000, created: 5000, rejected: [] });
    expect((await platform.api("/api/registries/suppliers?tenant=441324&sme=true&pageSize=1", { token: admin })).body.total).toBe(2500);
    // Not a timing assertion: the figure is printed for the reader.
    console.log(`[import] 5,000 suppliers in ${seconds.toFixed(1)} s`);
  });
});
