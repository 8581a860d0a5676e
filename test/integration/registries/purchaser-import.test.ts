import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { creditCode as unitCreditCode } from "../../support/registries";
import type { SessionUser } from "../../../core/plugins/types";

// The units imported here are public institutions.
const creditCode = (division: string, n: number) => unitCreditCode(division, n, "12");

const HEADER = "name,credit_code,budget_code,tenant_code,unit_type,contact_name,contact_phone,contact_email,address,status";

describe("importing purchasing units from CSV", () => {
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
    platform.api("/api/registries/purchasers/import", { method: "POST", token, raw: csv, headers: { "content-type": "text/csv; charset=utf-8" } });

  const good = [
    `惠州市交通运输局,${creditCode("441300", 1)},441300401,441300,government-agency,王强,0752-2112233,,"惠州市惠城区江北, 三新南路",active`,
    `惠阳区人民医院,${creditCode("441303", 2)},441303402,441303,public-institution,,,,,`,
    `"茂名市""阳光""中学",,440900403,440900,public-institution,,,,,inactive`,
  ];

  test("good rows import, each bad row is reported with its line and reason, and nothing of a bad row is stored", async () => {
    const csv = [
      "\uFEFF" + HEADER, // a BOM, as Excel writes it
      good[0],
      `坏的信用代码单位,${creditCode("441300", 9).slice(0, 17)}Z,441300409,441300,government-agency,,,,,`,
      good[1],
      `深圳市某局,,440300410,440300,government-agency,,,,,`,
      `缺少性质单位,,441300411,441300,,,,,,`,
      good[2],
      `重复编码单位,,441300401,441300,government-agency,,,,,`,
      `列数不对,441300412`,
      "",
    ].join("\r\n");
    const res = await upload(csv);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 8, created: 3, updated: 0, unchanged: 0 });
    const rejected = res.body.rejected as Array<{ line: number; reasons: Array<{ path: string; rule: string; message: Record<string, string> }> }>;
    expect(rejected.map((r) => [r.line, r.reasons.map((x) => `${x.path} ${x.rule}`)])).toEqual([
      [3, ["/creditCode format:uscc"]],
      [5, ["/tenantCode tenant"]],
      [6, ["/unitType required"]],
      [8, ["/budgetCode unique"]],
      [9, [" columns"]],
    ]);
    for (const r of rejected) for (const reason of r.reasons) expect(reason.message["zh-CN"]).toBeTruthy();
    const stored = (await platform.api("/api/registries/purchasers?pageSize=100", { token: admin })).body;
    expect(stored.items.map((p: { name: string }) => p.name).sort()).toEqual(['惠州市交通运输局', '惠阳区人民医院', '茂名市"阳光"中学'].sort());
    const transport = stored.items.find((p: { budgetCode: string }) => p.budgetCode === "441300401");
    expect(transport).toMatchObject({ address: "惠州市惠城区江北, 三新南路", contactEmail: null, status: "active" });
    // audited: one entry per unit stored, none for a rejected row, and the import's own
    const audit = await platform.kernel.db.knex("core_audit_log").where("action", "like", "registries.purchaser.%").orderBy("id");
    expect(audit.map((e) => `${e.action} ${e.object}`)).toEqual([
      "registries.purchaser.create 441300401",
      "registries.purchaser.create 441303402",
      "registries.purchaser.create 440900403",
      "registries.purchaser.import registries_purchasers",
    ]);
    expect(audit[3].after).toMatchObject({ rows: 8, created: 3, rejected: 5 });
  });

  test("running the same file again changes nothing", async () => {
    const csv = [HEADER, ...good].join("\n");
    const before = (await platform.api("/api/registries/purchasers?pageSize=100", { token: admin })).body.items;
    const res = await upload(csv);
    expect(res.body).toMatchObject({ rows: 3, created: 0, updated: 0, unchanged: 3, rejected: [] });
    expect((await platform.api("/api/registries/purchasers?pageSize=100", { token: admin })).body.items).toEqual(before);
  });

  test("a changed row updates the unit it names by budget code", async () => {
    const csv = [HEADER, good[0].replace("王强", "刘洋")].join("\n");
    const res = await upload(csv);
    expect(res.body).toMatchObject({ created: 0, updated: 1, unchanged: 0 });
    const unit = (await platform.api("/api/registries/purchasers?q=441300401", { token: admin })).body.items[0];
    expect(unit).toMatchObject({ contactName: "刘洋", version: 2 });
  });

  test("an empty status cell keeps the unit's status: an import does not reopen a closed unit", async () => {
    const unit = (await platform.api("/api/registries/purchasers?q=441303402", { token: admin })).body.items[0];
    expect((await platform.api(`/api/registries/purchasers/${unit.id}`, { method: "DELETE", token: admin })).body.status).toBe("inactive");
    const res = await upload([HEADER, good[1].replace("惠阳区人民医院", "惠州市惠阳区人民医院")].join("\n"));
    expect(res.body).toMatchObject({ updated: 1, rejected: [] });
    expect((await platform.api(`/api/registries/purchasers/${unit.id}`, { token: admin })).body).toMatchObject({ name: "惠州市惠阳区人民医院", status: "inactive" });
  });

  test("a tenant admin's import is limited to their tenants, row by row", async () => {
    const csv = [
      HEADER,
      `惠东县财政局,,441323501,441323,government-agency,,,,,`,
      `茂名市财政局,,440900502,440900,government-agency,,,,,`,
      good[2].replace("440900403", "440900403"), // exists, in Maoming: not theirs to change
    ].join("\n");
    const res = await upload(csv.replace("inactive", "active"), huizhouAdmin);
    expect(res.body.created).toBe(1);
    expect(res.body.rejected.map((r: { line: number; reasons: Array<{ rule: string }> }) => [r.line, r.reasons[0].rule])).toEqual([
      [3, "permission"],
      [4, "permission"],
    ]);
  });

  test("a file with an unknown or missing column is refused whole, naming the columns", async () => {
    const res = await upload("name,budget,tenant_code\n某单位,1,441300\n");
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: "/header/1", rule: "column" }),
        expect.objectContaining({ path: "/header", rule: "required" }),
      ]),
    );
  });

  test("an empty file and a malformed CSV are refused with VALIDATION_FAILED", async () => {
    expect((await upload("")).body.error.code).toBe("VALIDATION_FAILED");
    const res = await upload(`${HEADER}\n"unterminated,1,2,3,4,5,6,7,8,9\n`);
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].rule).toBe("csv");
  });

  test("a file that breaks off after several batches imports nothing", async () => {
    const rows = Array.from({ length: 1200 }, (_, i) => `断开单位${i},,4413037${String(i).padStart(5, "0")},441303,public-institution,,,,,`);
    const res = await upload([HEADER, ...rows, `"never closed,441303799999,441303`].join("\n"));
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].rule).toBe("csv");
    expect((await platform.api(`/api/registries/purchasers?q=${encodeURIComponent("断开单位")}`, { token: admin })).body.total).toBe(0);
  });

  test("an upload over the limit is 413 PAYLOAD_TOO_LARGE and imports nothing", async () => {
    const { importRecords } = await import("../../../plugins/registries/services/coded-import");
    const { PURCHASERS } = await import("../../../plugins/registries/services/purchaser-model");
    const { Readable } = await import("node:stream");
    const { createMongoAbility } = await import("@casl/ability");
    const rows = Array.from({ length: 2000 }, (_, i) => `超限单位${i},,4413038${String(i).padStart(5, "0")},441303,public-institution,,,,,`);
    const csv = [HEADER, ...rows].join("\n");
    const everything = createMongoAbility([{ action: "manage", subject: "all" }]);
    const user = { id: "00000000-0000-4000-8000-000000000001", username: "test", tenantCode: "440000", roles: ["platform-admin"] } as SessionUser;
    await expect(importRecords(PURCHASERS, Readable.from([csv.slice(0, 40_000), csv.slice(40_000)]), everything, user, { maxBytes: 60_000 })).rejects.toMatchObject({ type: "PAYLOAD_TOO_LARGE", code: 413 });
    expect((await platform.api(`/api/registries/purchasers?q=${encodeURIComponent("超限单位")}`, { token: admin })).body.total).toBe(0);
  });

  test("only those allowed to import may upload", async () => {
    const regulator = await platform.token({ roles: ["regulator"], tenantCode: "441300" });
    expect((await upload([HEADER, good[0]].join("\n"), regulator)).status).toBe(403);
    expect((await platform.api("/api/registries/purchasers/import", { method: "POST", raw: HEADER, headers: { "content-type": "text/csv" } })).status).toBe(401);
  });

  test("ten thousand rows import in batches and are all there", async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => `单位${i},${creditCode("441302", 10_000 + i)},4413029${String(i).padStart(5, "0")},441302,public-institution,,,,,`);
    const started = Date.now();
    const res = await upload([HEADER, ...rows].join("\n"));
    const seconds = (Date.now() - started) / 1000;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 10_000, created: 10_000, rejected: [] });
    expect((await platform.api("/api/registries/purchasers?tenantCode=441302&pageSize=1", { token: admin })).body.total).toBe(10_000);
    // Not a timing assertion: the figure is printed for the reader.
    console.log(`[import] 10,000 rows in ${seconds.toFixed(1)} s`);
  });
});
