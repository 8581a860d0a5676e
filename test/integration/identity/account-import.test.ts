import { runTool } from "../../support/processes";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import knexFactory, { type Knex } from "knex";
import { runMigrations } from "../../../core/db/migrate";
import { importAccounts, type ImportOptions, type ImportReport } from "../../../core/identity/account-import";
import type { AccountRow } from "../../../core/identity/accounts";
import { initialPasswordKey } from "../../../core/identity/keys";
import { initialCredentialOf, macOf } from "../../../core/identity/credential";
import { RoleBook } from "../../../core/identity/roles";
import registries from "../../../plugins/registries/plugin";
import supervision from "../../../plugins/supervision/plugin";
import { tenantTree } from "../../../core/tenancy";
import { TenantTree, type Tenant } from "../../../core/tenancy/tree";
import { createTestDatabase } from "../../support/db";

const ROOT = path.resolve(__dirname, "../../..");
const HEADER = "username,display_name,role,tenant_code,unit_code,budget_code";
const NOW = new Date("2026-12-01T10:00:00+08:00");
const DAY = 86_400_000;
// what the installed plugins say: their roles, and registries' rule that the budget code is the first password
const ROLES = new RoleBook([registries, supervision]).importable();
const CREDENTIAL = initialCredentialOf({ contributions: (id) => [{ plugin: "registries", contribution: registries.extends![id] }] });

const csv = (...rows: string[]) => [HEADER, ...rows].join("\n") + "\n";
/** The file in small pieces, as a network or a disk delivers it: characters split across chunks too. */
function chunked(data: string | Buffer, size = 777): Readable {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data, "utf8");
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}

/** A row of core_accounts, as the import leaves it. */
type Row = AccountRow;

describe("importing the old system's accounts (units and agencies keep their usernames; the first password is the budget code)", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let knex: Knex;
  let macKey: Buffer;
  const tree = tenantTree();

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 6 } });
    await runMigrations(knex, [{ name: "core", directory: path.join(ROOT, "core", "db", "migrations") }]);
    macKey = await initialPasswordKey(knex);
  });
  afterAll(async () => {
    await knex.destroy();
    await db.drop();
  });
  beforeEach(async () => {
    await knex.raw("truncate core_accounts, core_audit_log cascade");
  });

  const options = (over: Partial<ImportOptions> = {}): ImportOptions => ({ knex, tree, macKey, roles: ROLES, credential: CREDENTIAL, now: NOW, may: () => true, actor: { via: "test" }, ...over });
  const run = (data: string | Buffer | Readable, over: Partial<ImportOptions> = {}) =>
    importAccounts(data instanceof Readable ? data : chunked(data), options(over));
  const accounts = async (): Promise<Row[]> => knex<Row>("core_accounts").orderBy("username_key");
  const account = async (tenant: string, legacy: string): Promise<Row> => (await knex<Row>("core_accounts").where({ tenant_code: tenant, legacy_username: legacy }).first())!;
  const lines = (report: ImportReport) => report.rejected.map((r) => [r.line, r.field, r.reason.en]);

  const FIRST = csv(
    "gzcz01,广州市财政局,purchaser,440100,440100-0001,440100101",
    "Zhang.Wei,广州市采购代理有限公司,agency,440100,,440100102",
    "hcjy,惠城区教育局,purchaser,441302,441302-0001,441302101",
    "ShaoGuan-WSJ,韶关市卫生健康局,purchaser,440200,,440200101.001",
    "stgt,汕头市国土局,purchaser,440500,,440500101",
    "yfadmin,云浮市财政局管理员,tenant-admin,445300,,445300101",
  );

  test("new accounts start on the first password: a MAC of the budget code that expires after 90 days; the budget code itself is stored nowhere", async () => {
    const report = await run(FIRST);
    expect(report).toMatchObject({ created: 6, updated: 0, unchanged: 0, rejected: [] });
    const rows = await accounts();
    expect(rows).toHaveLength(6);
    for (const r of rows) {
      expect(r).toMatchObject({ password_kind: "initial", password_hash: null, version: 1 });
      expect(new Date(r.password_expires_at!).getTime()).toBe(NOW.getTime() + 90 * DAY);
      expect(new Date(r.password_set_at!).getTime()).toBe(NOW.getTime());
      expect(r.username_key).toBe(r.username.toLowerCase());
    }
    expect((await account("440100", "gzcz01")).initial_mac).toBe(macOf(macKey, "440100101"));
    expect((await account("440200", "ShaoGuan-WSJ")).initial_mac).toBe(macOf(macKey, "440200101.001"));
    const everything = (await knex.raw("select row_to_json(a)::text as j from core_accounts a")).rows.map((r: { j: string }) => r.j).join("\n");
    for (const code of ["440100101", "440100102", "441302101", "440200101", "440500101", "445300101"]) expect(everything).not.toContain(code);
  });

  test("tenants with their own rule get the rule's username, and the report lists them; the others keep the old username", async () => {
    const report = await run(FIRST);
    expect(report.renamed).toEqual([
      { line: 4, legacyUsername: "hcjy", username: "441302_hcjy" },
      { line: 5, legacyUsername: "ShaoGuan-WSJ", username: "sg_shaoguan-wsj" },
      { line: 6, legacyUsername: "stgt", username: "st_stgt" },
      { line: 7, legacyUsername: "yfadmin", username: "yf-tenant-admin-yfadmin" },
    ]);
    expect((await account("440100", "gzcz01")).username).toBe("gzcz01");
    expect((await account("440100", "Zhang.Wei")).username).toBe("Zhang.Wei");
    expect((await account("441302", "hcjy")).username).toBe("441302_hcjy");
  });

  test("running the same file again changes nothing: same rows, same versions, same updated_at", async () => {
    await run(FIRST);
    const before = await accounts();
    const again = await run(FIRST);
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 6, rejected: [] });
    expect(again.renamed).toHaveLength(4);
    expect(await accounts()).toEqual(before);
  });

  test("a row that differs updates its account (version + 1), never its password; a new role ends the account's sessions", async () => {
    await run(FIRST);
    // gzcz01 has changed its password meanwhile; Zhang.Wei has not.
    await knex("core_accounts").where({ legacy_username: "gzcz01" }).update({ password_kind: "chosen", password_hash: "$argon2id$stand-in", password_expires_at: null });
    const chosen = await account("440100", "gzcz01");
    const before = await account("440100", "Zhang.Wei");
    const ended: string[] = [];
    const later = new Date(NOW.getTime() + 10 * DAY);
    const report = await run(
      csv(
        "gzcz01,广州市财政局（新）,regulator,440100,440100-0009,440100901", // everything changes
        "Zhang.Wei,广州市采购代理有限公司,agency,440100,,440100902", // a corrected budget code
        "hcjy,惠城区教育局,purchaser,441302,441302-0001,441302101", // unchanged
      ),
      { now: later, endSessions: async (_trx, id) => void ended.push(id) },
    );
    expect(report).toMatchObject({ created: 0, updated: 2, unchanged: 1, rejected: [] });

    const gz = await account("440100", "gzcz01");
    expect(gz).toMatchObject({ display_name: "广州市财政局（新）", roles: ["regulator"], unit_code: "440100-0009", version: 2, username: "gzcz01" });
    // their own password stays; the MAC follows the new code, so the code is still refused as a new password
    expect(gz).toMatchObject({ password_kind: "chosen", password_hash: "$argon2id$stand-in", password_expires_at: null, initial_mac: macOf(macKey, "440100901") });
    expect(new Date(gz.updated_at).getTime()).toBeGreaterThan(new Date(chosen.updated_at).getTime());

    const zw = await account("440100", "Zhang.Wei");
    // still on the first password: the new budget code is it now, for a full period from the import
    expect(zw).toMatchObject({ password_kind: "initial", version: 2, initial_mac: macOf(macKey, "440100902") });
    expect(new Date(zw.password_expires_at!).getTime()).toBe(later.getTime() + 90 * DAY);
    expect(zw.initial_mac).not.toBe(before.initial_mac);

    expect(ended.sort()).toEqual([gz.id, zw.id].sort());
    expect((await account("441302", "hcjy")).version).toBe(1);
  });

  test("each bad row is rejected with its line, column and reason, and the good rows still import", async () => {
    await run(csv("caigou,广州市某单位,purchaser,440100,,440100201", "huiyang_ly,惠阳区某单位,purchaser,441300,,441300201"));
    const report = await run(
      csv(
        ",无用户名单位,purchaser,440100,,440100301", // 2
        "ok1,好单位一,purchaser,440100,,440100302", // 3 good
        "noname,,purchaser,440100,,440100303", // 4
        "root,某管理员,platform-admin,440000,,440000304", // 5
        "clerk,某单位,clerk,440100,,440100305", // 6
        "nowhere,某单位,purchaser,449999,,449999306", // 7
        "shenzhen1,深圳市某局,purchaser,440300,,440300307", // 8
        "nocode,某单位,purchaser,440100,,", // 9
        "badcode,某单位,purchaser,440100,,44-01-00", // 10
        "ok1,好单位一（重复）,purchaser,440100,,440100311", // 11: same account as line 3
        "caigou,珠海市某单位,purchaser,440400,,440400312", // 12: Guangzhou's caigou has the username
        "ok2,好单位二,purchaser,440400,,440400313", // 13 good
        "ok2,茂名市同名单位,purchaser,440900,,440900314", // 14: the username of line 13
        "zhang san,韶关市某单位,purchaser,440200,,440200315", // 15: Shaoguan's rule makes "sg_zhang san"
        "ly,惠阳区某单位,purchaser,441303,,441303316", // 16 good: Huiyang's rule makes 441303_ly, not Huizhou's huiyang_ly
        "too,few,columns", // 17
        "ok3,好单位三,agency,441303,441303-0003,441303318", // 18 good
      ),
    );
    expect(lines(report)).toEqual([
      [2, "username", "the username is missing"],
      [4, "display_name", "the display name is missing"],
      [5, "role", "platform administrators are not imported; they are made on the platform"],
      [6, "role", "the role is one of: tenant-admin, purchaser, agency, supplier, expert, regulator"],
      [7, "tenant_code", "449999 is not a tenant of this platform"],
      [8, "tenant_code", "Shenzhen runs its own platform and is not on this one"],
      [9, "budget_code", "the budget code (the first password) is missing"],
      [10, "budget_code", "a budget unit code is digits, optionally in dot-separated levels"],
      [11, "username", "the same account (tenant and username) as line 3"],
      [12, "username", 'the username "caigou" already belongs to another account'],
      [14, "username", 'the username "ok2" is already taken by line 13'],
      [15, "username", 'the tenant\'s username rule sg_{username} makes "sg_zhang san", which is not a valid username: a username holds only letters, digits and _ . @ -'],
      [17, "", "expected 6 columns, found 3"],
    ]);
    expect(report.rejected.find((r) => r.line === 12)).toMatchObject({ username: "caigou" });
    for (const r of report.rejected) expect(r.reason["zh-CN"]).toBeTruthy();
    expect(report).toMatchObject({ created: 4, updated: 0, unchanged: 0 });
    expect((await accounts()).map((a) => a.username).sort()).toEqual(["441303_ly", "441303_ok3", "caigou", "huiyang_ly", "ok1", "ok2"].sort());
  });

  test("a rule that needs a unit code rejects the rows without one; the tenant's own days set the expiry", async () => {
    const tenants: Tenant[] = tree.tenants.map((t) =>
      t.code === "441700" ? { ...t, accounts: { usernameRule: "yj{unit_code}", initialPasswordDays: 30 } } : t.code === "440000" ? { ...t, accounts: { initialPasswordDays: 60 } } : t,
    );
    const report = await run(csv("a1,阳江市甲单位,purchaser,441700,U-001,441700401", "a2,阳江市乙单位,purchaser,441700,,441700402", "a3,广州市丙单位,purchaser,440100,,440100403"), {
      tree: new TenantTree(tenants),
    });
    expect(lines(report)).toEqual([[3, "unit_code", "the tenant's username rule yj{unit_code} needs unit_code, which this row lacks"]]);
    expect(report.renamed).toEqual([{ line: 2, legacyUsername: "a1", username: "yjU-001" }]);
    expect(new Date((await account("441700", "a1")).password_expires_at!).getTime()).toBe(NOW.getTime() + 30 * DAY);
    // Guangzhou says nothing: the province's 60 days
    expect(new Date((await account("440100", "a3")).password_expires_at!).getTime()).toBe(NOW.getTime() + 60 * DAY);
  });

  test("rows the caller may not import are rejected; so is a change to an account the caller may not change", async () => {
    await run(csv("hzadmin,惠州市管理员,tenant-admin,441300,,441300501"));
    // a tenant admin of Huizhou: units of Huizhou and below, no admins
    const may: ImportOptions["may"] = (r) => r.tenantCode.startsWith("4413") && !r.roles.includes("tenant-admin");
    const seen: Array<{ tenantCode: string; roles: string[]; unitCode: string | null }> = [];
    const report = await run(
      csv(
        "hzok,惠州市某单位,purchaser,441300,441300-0502,441300502",
        "gzno,广州市某单位,purchaser,440100,,440100503",
        "hzadmin2,惠州市新管理员,tenant-admin,441300,,441300504",
        "hzadmin,惠州市管理员,purchaser,441300,,441300501", // demoting an admin they may not touch
      ),
      { may: (r) => (seen.push(r), may(r)) },
    );
    expect(lines(report)).toEqual([
      [3, "tenant_code", "you may not import accounts of this role for this tenant"],
      [4, "tenant_code", "you may not import accounts of this role for this tenant"],
      [5, "role", "this account exists and you may not change it"],
    ]);
    expect(seen).toContainEqual({ tenantCode: "441300", roles: ["purchaser"], unitCode: "441300-0502" });
    expect(report.created).toBe(1);
    expect((await account("441300", "hzadmin")).roles).toEqual(["tenant-admin"]);
  });

  test("a file that breaks off part-way, or ends inside a quoted field, writes nothing", async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => `cut${i},断开单位${i},purchaser,440100,,4401006${String(i).padStart(5, "0")}`);
    async function* breaksOff() {
      yield Buffer.from(csv(...rows.slice(0, 2200)));
      throw Object.assign(new Error("aborted"), { code: "ECONNRESET" });
    }
    await expect(run(Readable.from(breaksOff()))).rejects.toThrow("aborted");
    await expect(run(csv(...rows) + '"never closed,x,purchaser,440100,,440100999\n')).rejects.toMatchObject({ type: "VALIDATION_FAILED", data: { details: [{ rule: "csv" }] } });
    expect(await knex("core_accounts").count<{ count: string }[]>("* as count")).toEqual([{ count: "0" }]);
    expect(await knex("core_audit_log").count<{ count: string }[]>("* as count")).toEqual([{ count: "0" }]);
  });

  test("a failure while writing (here: ending a changed account's sessions) takes the whole import back", async () => {
    await run(csv("roles1,某单位,purchaser,440100,,440100951"));
    const more = Array.from({ length: 2500 }, (_, i) => `fail${i},回滚单位${i},purchaser,440100,,4401009${String(i).padStart(5, "0")}`);
    const failing = async () => {
      throw new Error("sessions unavailable");
    };
    await expect(run(csv("roles1,某单位,agency,440100,,440100951", ...more), { endSessions: failing })).rejects.toThrow("sessions unavailable");
    expect(await knex("core_accounts").count<{ count: string }[]>("* as count")).toEqual([{ count: "1" }]);
    expect((await account("440100", "roles1")).roles).toEqual(["purchaser"]);
    expect(await knex("core_audit_log").count<{ count: string }[]>("* as count")).toEqual([{ count: "1" }]);
  });

  test("two imports at once take turns: no errors, no duplicates, and the second finds the first's accounts", async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `same${i},同时单位${i},purchaser,${i % 2 ? "441302" : "440100"},,4401007${String(i).padStart(5, "0")}`);
    const file = csv(...rows);
    const [a, b] = await Promise.all([run(file), run(file)]);
    const counts = [a, b].map((r) => ({ created: r.created, unchanged: r.unchanged, rejected: r.rejected.length })).sort((x, y) => y.created - x.created);
    expect(counts).toEqual([
      { created: 3000, unchanged: 0, rejected: 0 },
      { created: 0, unchanged: 3000, rejected: 0 },
    ]);
    expect(await knex("core_accounts").count<{ count: string }[]>("* as count")).toEqual([{ count: "3000" }]);
  });

  test("a file that is not UTF-8 (GBK, as Excel saves it) is refused whole with a message that says to save it as UTF-8", async () => {
    // 惠州财政局 in GBK
    const gbk = Buffer.from("bbddd6ddb2c6d5febed6", "hex");
    expect(new TextDecoder("gbk").decode(gbk)).toBe("惠州财政局");
    const file = Buffer.concat([Buffer.from(csv("ok,好单位,purchaser,440100,,440100801") + "hz,"), gbk, Buffer.from(",purchaser,441300,,441300802\n")]);
    const err = await run(file).then(
      () => null,
      (e) => e,
    );
    expect(err).toMatchObject({ type: "VALIDATION_FAILED", data: { details: [{ rule: "encoding" }] } });
    expect(err.data.messages.en).toMatch(/not UTF-8.*CSV UTF-8/);
    expect(err.data.messages["zh-CN"]).toMatch(/UTF-8/);
    expect(await knex("core_accounts").count<{ count: string }[]>("* as count")).toEqual([{ count: "0" }]);
  });

  test("a UTF-8 file with a BOM (Excel's CSV UTF-8) imports", async () => {
    const report = await run("\uFEFF" + csv("bom1,惠州市带BOM单位,purchaser,441300,,441300901").replace(/\n/g, "\r\n"));
    expect(report).toMatchObject({ created: 1, rejected: [] });
  });

  test("a file with an unknown or a missing column is refused whole, naming them under /header", async () => {
    const err = await run("username,name,role,tenant_code,budget_code\nx,y,purchaser,440100,440100001\n").then(
      () => null,
      (e) => e,
    );
    expect(err).toMatchObject({ type: "VALIDATION_FAILED" });
    expect(err.data.details).toEqual([
      expect.objectContaining({ path: "/header/1", rule: "column" }),
      expect.objectContaining({ path: "/header", rule: "required", message: expect.objectContaining({ en: 'required column "display_name" is missing' }) }),
      expect.objectContaining({ path: "/header", rule: "required", message: expect.objectContaining({ en: 'required column "unit_code" is missing' }) }),
    ]);
    await expect(run("")).rejects.toMatchObject({ type: "VALIDATION_FAILED", data: { details: [{ path: "/header", rule: "required" }] } });
  });

  test("the first password is the installed plugins' rule: without one nothing is imported, and the rule's own column is the one read", async () => {
    await expect(run(FIRST, { credential: null })).rejects.toMatchObject({ type: "CONFLICT", data: { details: { rule: "initial-credential" } } });
    expect(await accounts()).toEqual([]);
    // a rule that reads another column, of another shape (a platform whose plugin says so)
    const pin = initialCredentialOf({
      contributions: () => [{ plugin: "pins", contribution: { data: { column: "pin", label: { "zh-CN": "初始口令", en: "first PIN" }, pattern: "[0-9]{8}", minLength: 8, maxLength: 8, message: { "zh-CN": "应为 8 位数字", en: "eight digits" }, roles: ["supplier"] } } }],
    });
    const report = await run("username,display_name,role,tenant_code,unit_code,pin\npin1,某供应商,supplier,440100,,12345678\npin2,某供应商二,supplier,440100,,1234\npin3,某采购人,purchaser,440100,,12345678\n", { credential: pin });
    expect(lines(report)).toEqual([
      [3, "pin", "eight digits"],
      [4, "role", "the platform's first-password rule (the first PIN) is not for this role"],
    ]);
    expect(await account("440100", "pin1")).toMatchObject({ password_kind: "initial", initial_mac: macOf(macKey, "12345678") });
  });

  test("the columns may come in any order", async () => {
    const report = await run("budget_code,tenant_code,role,username,unit_code,display_name\n440100111,440100,purchaser,order1,,顺序单位\n");
    expect(report).toMatchObject({ created: 1, rejected: [] });
    expect(await account("440100", "order1")).toMatchObject({ display_name: "顺序单位", initial_mac: macOf(macKey, "440100111") });
  });

  test("each import writes one audit row with who and the counts, in its transaction", async () => {
    await run(FIRST, { actor: { via: "api", id: "u-1", username: "admin" } });
    await run(csv("gzcz01,广州市财政局,purchaser,440100,440100-0001,440100101", "bad,x,clerk,440100,,440100999"));
    const rows = await knex("core_audit_log").where({ action: "accounts.import" }).orderBy("id");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ actor: { via: "api", id: "u-1", username: "admin" }, object: "core_accounts" });
    expect(rows[0].after).toMatchObject({ rows: 6, created: 6, updated: 0, unchanged: 0, rejected: 0, renamed: 4, tenants: ["440100", "440200", "440500", "441302", "445300"] });
    expect(rows[1].after).toMatchObject({ rows: 2, created: 0, unchanged: 1, rejected: 1 });
  });

  test("progress is reported every 1,000 rows and at the end", async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => `p${i},进度单位${i},purchaser,440100,,4401008${String(i).padStart(5, "0")}`);
    const file = csv(...rows);
    const seen: Array<{ rows: number; bytes: number }> = [];
    await run(file, { onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.rows)).toEqual([1000, 2000, 2500]);
    expect(seen[2].bytes).toBe(Buffer.byteLength(file));
    expect(seen[0].bytes).toBeLessThan(seen[1].bytes);
  });

  describe("the command: npm run accounts:import -- <file.csv> [--json]", () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "gdpc-accounts-"));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    const cli = (args: string[], env: Record<string, string | undefined> = { DATABASE_URL: db.url }) => runTool("core/identity/import-cli.ts", args, env);
    const write = (name: string, text: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return file;
    };
    const units = (n: number, from = 0) =>
      Array.from({ length: n }, (_, k) => {
        const i = from + k;
        const tenant = ["440100", "440500", "441302", "440900"][i % 4];
        return `cli${i},命令行单位${i},purchaser,${tenant},,${tenant}${String(i).padStart(6, "0")}`;
      });

    test("5,000 rows: exit 0, progress on stderr, the report on stdout", async () => {
      const file = write("units.csv", csv(...units(5000)));
      const { code, stdout, stderr } = await cli([file]);
      expect({ code, stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/^\[accounts:import\] 5,000 rows, 100% of \d+ KiB: done in [\d.]+ s$/m) });
      const progress = stderr.trim().split("\n");
      expect(progress[0]).toMatch(/^\[accounts:import\] 1,000 rows, \d+% of \d+ KiB$/);
      for (const line of progress) expect(line).toMatch(/^\[accounts:import\] [\d,]+ rows, \d+% of \d+ KiB/);
      expect(stdout).toMatch(/^created 5,000, updated 0, unchanged 0, rejected 0, renamed 2,500$/m);
      expect(stdout).toContain("line 3: cli1 -> st_cli1");
      expect(stdout).toContain("... and 2,450 more (--json lists them all)");
      expect(await knex("core_accounts").count<{ count: string }[]>("* as count")).toEqual([{ count: "5000" }]);
      const [audit] = await knex("core_audit_log").where({ action: "accounts.import" });
      expect(audit.actor).toEqual({ via: "cli", operator: os.userInfo().username });

      // the same file again: nothing to do
      const again = await cli([file]);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/^created 0, updated 0, unchanged 5,000, rejected 0/m);
    });

    test("rejected rows: exit 3, each with its line and reason; --json lists everything", async () => {
      const bad = Array.from({ length: 60 }, (_, i) => `bad${i},坏单位${i},purchaser,440100,,not-a-code`);
      const file = write("some-bad.csv", csv(...units(100, 9000), ...bad));
      const text = await cli([file]);
      expect(text.code).toBe(3);
      expect(text.stdout).toMatch(/^created 100, updated 0, unchanged 0, rejected 60/m);
      expect(text.stdout).toContain("  line 102 (bad0) budget_code: a budget unit code is digits, optionally in dot-separated levels");
      expect(text.stdout).toContain("... and 10 more (--json lists them all)");

      const json = await cli([file, "--json"]);
      expect(json.code).toBe(3);
      const report = JSON.parse(json.stdout) as ImportReport;
      expect(report).toMatchObject({ created: 0, unchanged: 100 });
      expect(report.rejected).toHaveLength(60);
      expect(report.rejected[59]).toMatchObject({ line: 161, username: "bad59", field: "budget_code" });
    });

    test("a file it cannot import at all: exit 1 and why (not UTF-8, bad header, no such file)", async () => {
      const gbk = path.join(dir, "gbk.csv");
      fs.writeFileSync(gbk, Buffer.concat([Buffer.from(HEADER + "\nhz,"), Buffer.from("bbddd6dd", "hex"), Buffer.from(",purchaser,441300,,441300001\n")]));
      const notUtf8 = await cli([gbk]);
      expect(notUtf8).toMatchObject({ code: 1, stdout: "" });
      expect(notUtf8.stderr).toContain('nothing was imported: The file is not UTF-8 text (Excel often saves CSV as GBK); nothing was imported. In Excel, use "Save As" "CSV UTF-8 (Comma delimited)"');

      const header = await cli([write("header.csv", "user,display_name\nx,y\n")]);
      expect(header.code).toBe(1);
      expect(header.stderr).toContain("The CSV header must use the columns: username,display_name,role,tenant_code,unit_code,budget_code");
      expect(header.stderr).toContain('/header/0: unknown column "user"');

      const missing = await cli([path.join(dir, "nope.csv")]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("cannot read");
    });

    test("no database to import into: exit 1 with what to do", async () => {
      const empty = await createTestDatabase();
      try {
        const fresh = await cli([write("one.csv", csv(...units(1)))], { DATABASE_URL: empty.url });
        expect(fresh.code).toBe(1);
        expect(fresh.stderr).toMatch(/has no table core_accounts yet: start the platform once \(npm start\)/);
      } finally {
        await empty.drop();
      }
      const none = await cli([path.join(dir, "one.csv")], { DATA_DIR: path.join(dir, "no-data-here") });
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/no DATABASE_URL, and no embedded database in .*no-data-here: set DATABASE_URL, or start the platform once \(npm start\)/);
    });
  });
});
