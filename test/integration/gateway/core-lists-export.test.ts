import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { csvRecords, download, xlsxRecords } from "../../support/list-export";

/**
 * Core's own lists on the gateway's list helper, with their exports: the accounts of an
 * administrator's region (searched by a 2-character Chinese word, paged by cursor, exported with the
 * same filters and nothing secret) and the event queue's dead letters (platform administrators').
 * Core alone: no plugin is loaded.
 */
describe("core's lists: accounts and dead letters, by cursor and as files", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  let root: string;
  let huizhouAdmin: string;
  let maomingAdmin: string;
  const knex = () => platform.kernel.db.knex;

  type Item = Record<string, unknown> & { id: string };
  /** Every page of a list by its cursor, checking each page's size. */
  async function byCursor(url: string, token: string, pageSize: number): Promise<Item[]> {
    const items: Item[] = [];
    let cursor: string | null = null;
    for (let n = 0; n < 100; n++) {
      const res = await platform.api(`${url}${url.includes("?") ? "&" : "?"}pageSize=${pageSize}${cursor ? `&cursor=${cursor}` : ""}`, { token });
      expect(res.status).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
      if (!cursor) return items;
      expect(res.body.items).toHaveLength(pageSize);
    }
    throw new Error("the cursor never ended");
  }

  beforeAll(async () => {
    pluginsDir = fs.mkdtempSync(path.join(os.tmpdir(), "core-lists-"));
    platform = await startTestPlatform({ pluginsDir });
    root = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    huizhouAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
    maomingAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "440900" });
    const names = ["惠州市人民医院", "惠州市交通运输局", "惠城区教育局"];
    const accounts = Array.from({ length: 40 }, (_, i) => {
      const tenant = i < 24 ? "441300" : i < 30 ? "441302" : "440900";
      const username = `acct.${String(i).padStart(2, "0")}`;
      return {
        username,
        username_key: username,
        display_name: tenant === "440900" ? `茂名市人民医院经办人${i}` : `${names[i % 3]}经办人${i}`,
        tenant_code: tenant,
        unit_code: `${tenant}${String(100 + i)}`,
        roles: ["tenant-admin"],
        password_kind: i % 2 ? "initial" : "chosen",
        password_hash: `$argon2id$v=19$m=65536,t=3,p=4$secret-hash-${i}`,
        initial_mac: i % 2 ? `secret-mac-${i}` : null,
      };
    });
    await knex()("core_accounts").insert(accounts);
    await knex()("core_dead_letters").insert(
      Array.from({ length: 23 }, (_, i) => ({
        consumer: i % 2 ? "ledger" : "mailer",
        event_id: crypto.randomUUID(),
        event: i % 2 ? "ledger.entry.posted" : "mail.message.queued",
        stream_key: `K-${i}`,
        event_at: new Date(Date.UTC(2026, 10, 1, 0, i)),
        payload: JSON.stringify({ phone: "13800138000" }),
        error: i % 3 ? `连接超时 (${i})` : `=cmd|' /C calc'!A0 签名无效 ${i}`,
        attempts: 3,
        // two letters failed in the same microsecond: the id orders them
        failed_at: new Date(Date.UTC(2026, 10, 2, 0, i === 7 ? 6 : i)),
        replayed_at: i >= 20 ? new Date(Date.UTC(2026, 10, 3)) : null,
      })),
    );
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  describe("accounts", () => {
    test("a tenant admin pages its region's accounts by cursor: every row once, in order, none of another city", async () => {
      const listed = await byCursor("/api/accounts", huizhouAdmin, 7);
      const ids = listed.map((a) => a.id);
      expect(new Set(ids).size).toBe(ids.length);
      const expected = await knex()("core_accounts").where("tenant_code", "like", "4413%").orderBy(["tenant_code", "username_key"]).pluck("id");
      expect(ids).toEqual(expected);
      expect(listed.some((a) => a.tenantCode === "440900")).toBe(false);
      // by page number too (the console's pager), with the same total
      const page2 = await platform.api("/api/accounts?page=2&pageSize=7", { token: huizhouAdmin });
      expect(page2.body).toMatchObject({ page: 2, pageSize: 7, total: expected.length, totalIsEstimate: false });
      expect(page2.body.items.map((a: Item) => a.id)).toEqual(expected.slice(7, 14));
      for (const a of listed) expect(a).not.toHaveProperty("passwordHash");
    });

    test("a 2-character Chinese word and the filters narrow the list and its CSV alike; the file has a BOM, titles in either language, no secret", async () => {
      const filter = `q=${encodeURIComponent("医院")}&passwordKind=initial`;
      const listed = await byCursor(`/api/accounts?${filter}`, huizhouAdmin, 3);
      // Huizhou's hospital staff are i % 3 == 0 below 30: odd ones are on their first password
      expect(listed.map((a) => a.username)).toEqual(["acct.03", "acct.09", "acct.15", "acct.21", "acct.27"]);
      const file = await download(platform, `/api/accounts/export?${filter}&format=csv`, huizhouAdmin);
      expect(file.status).toBe(200);
      expect(file.headers.get("content-type")).toMatch(/^text\/csv/);
      expect(file.headers.get("x-export-rows")).toBe("5");
      const records = csvRecords(file.body);
      expect(records[0]).toEqual(["用户名", "姓名或单位名称", "区划代码", "角色", "状态", "密码类型", "密码到期时间", "原用户名", "创建时间"]);
      expect(records.slice(1).map((r) => r[0])).toEqual(listed.map((a) => a.username));
      expect(records[1].slice(0, 6)).toEqual(["acct.03", "惠州市人民医院经办人3", "441300", "地区管理员", "启用", "初始密码"]);
      const text = file.body.toString("utf8");
      expect(text).not.toMatch(/argon2|secret-/);
      // a unit's code may be its accounts' first password: not in a file that travels
      expect(text).not.toMatch(/441300103|441302127/);
      const en = csvRecords((await download(platform, `/api/accounts/export?${filter}&format=csv&lang=en`, huizhouAdmin)).body);
      expect(en[0]).toEqual(["Username", "Display name", "Division code", "Roles", "Status", "Password", "Password expires", "Old username", "Created"]);
      expect(en[1].slice(3, 6)).toEqual(["tenant admin", "active", "first password"]);
      // the unit code is searchable by those who see it in the list, exactly
      const byUnit = await platform.api("/api/accounts?q=441302127", { token: huizhouAdmin });
      expect(byUnit.body.items.map((a: Item) => a.username)).toEqual(["acct.27"]);
    });

    test("the Excel export opens, scoped as the list: Maoming's admin gets Maoming's hospital, not Huizhou's", async () => {
      const file = await download(platform, `/api/accounts/export?q=${encodeURIComponent("医院")}&format=xlsx&lang=en`, maomingAdmin);
      expect(file.status).toBe(200);
      const { sheet, rows } = await xlsxRecords(file.body);
      expect(sheet).toBe("Accounts");
      expect(rows[0][0]).toBe("Username");
      const expected = await knex()("core_accounts").where({ tenant_code: "440900" }).where("display_name", "like", "%医院%").orderBy("username_key").pluck("username");
      expect(rows.slice(1).map((r) => r[0])).toEqual(expected);
      expect(rows.slice(1).every((r) => r[2] === "440900")).toBe(true);
      expect(expected.length).toBe(10);
    });

    test("bad filters, a bad format and a forged cursor are 400 at their fields, in the caller's language; no session is 401", async () => {
      const bad = await platform.api("/api/accounts/export?format=pdf&status=gone&passwordKind=x&role=nobody&tenantCode=44", { token: huizhouAdmin, headers: { "accept-language": "en" } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe("VALIDATION_FAILED");
      expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/format", "/passwordKind", "/role", "/status", "/tenantCode"]);
      expect(bad.body.error.message).not.toMatch(/\p{Script=Han}/u);
      expect(bad.body.error.details.find((d: { path: string }) => d.path === "/format").message).toEqual({ "zh-CN": "导出格式应为 csv 或 xlsx", en: "format must be csv or xlsx" });
      const forged = await platform.api(`/api/accounts?cursor=${Buffer.from(JSON.stringify(["accounts", "441300", 5])).toString("base64url")}`, { token: huizhouAdmin });
      expect(forged.status).toBe(400);
      expect(forged.body.error.details[0]).toMatchObject({ path: "/cursor", message: expect.objectContaining({ "zh-CN": expect.stringContaining("翻页标记") }) });
      expect(forged.body.error.message).toMatch(/\p{Script=Han}/u);
      expect((await download(platform, "/api/accounts/export", undefined)).status).toBe(401);
    });
  });

  describe("dead letters", () => {
    test("paged by cursor, newest failure first (ties by id), every letter once; the search and the state apply", async () => {
      const open = await byCursor("/api/events/dead-letters", root, 6);
      const expected = await knex()("core_dead_letters").whereNull("replayed_at").orderBy([{ column: "failed_at", order: "desc" }, { column: "id", order: "desc" }]).pluck("id");
      expect(open.map((d) => d.id)).toEqual(expected.map(String));
      expect(open).toHaveLength(20);
      const all = await byCursor("/api/events/dead-letters?state=all", root, 5);
      expect(all).toHaveLength(23);
      const timeouts = await byCursor(`/api/events/dead-letters?state=all&q=${encodeURIComponent("超时 ledger")}`, root, 4);
      expect(timeouts.every((d) => d.consumer === "ledger" && String(d.error).includes("超时"))).toBe(true);
      expect(timeouts.map((d) => d.key).sort()).toEqual(["K-1", "K-11", "K-13", "K-17", "K-19", "K-5", "K-7"]);
    });

    test("the export has the list's filters, neutralises formulas, leaves out the payload, and opens in Excel", async () => {
      const file = await download(platform, `/api/events/dead-letters/export?q=${encodeURIComponent("签名")}&format=csv`, root);
      expect(file.status).toBe(200);
      const records = csvRecords(file.body);
      expect(records[0]).toEqual(["失败时间", "订阅者", "事件", "事件编号", "键", "错误", "尝试次数", "重放时间"]);
      // i % 3 == 0 and still open: 18, 15, 12, 9, 6, 3, 0
      expect(records.slice(1).map((r) => r[4])).toEqual(["K-18", "K-15", "K-12", "K-9", "K-6", "K-3", "K-0"]);
      expect(records[1][5]).toBe("'=cmd|' /C calc'!A0 签名无效 18");
      expect(records[1][7]).toBe("未重放");
      expect(file.body.toString("utf8")).not.toContain("13800138000");
      const xlsx = await download(platform, "/api/events/dead-letters/export?state=replayed&format=xlsx&lang=en", root);
      const { sheet, rows } = await xlsxRecords(xlsx.body);
      expect(sheet).toBe("Dead letters");
      expect(rows[0][1]).toBe("Subscriber");
      expect(rows.slice(1).map((r) => r[4])).toEqual(["K-22", "K-21", "K-20"]);
    });

    test("only platform administrators; a bad state or format is 400", async () => {
      const refused = await platform.api("/api/events/dead-letters/export?format=csv", { token: huizhouAdmin });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe("FORBIDDEN");
      const bad = await platform.api("/api/events/dead-letters/export?state=gone&format=txt", { token: root });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/format", "state"]);
    });
  });
});
