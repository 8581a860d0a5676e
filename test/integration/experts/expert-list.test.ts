import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { localDate } from "../../../core/sdk";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";
import { csvRecords, download, xlsxRecords } from "../../support/list-export";

const ROOT = path.resolve(__dirname, "../../..");

/**
 * The regulator's experts list on core's list helper, with its export: searched by a 2-character
 * name, filtered by status, paged by cursor, each expert with the year's figures, and the same rows
 * in the files; a county's regulator sees its county's experts only; nobody else lists them.
 */
describe("review experts: the regulator's list by cursor and export", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  let regulator: string;
  let countyRegulator: string;
  let agency: string;
  let buyer: string;
  const knex = () => platform.kernel.db.knex;
  const ids: string[] = [];

  type Item = { id: string; name: string; employerName: string; region: string; status: string; phone?: string; stats: { drawings: number; attendances: number; refusals: number } };
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
    pluginsDir = linkPlugins(["registries", "supervision", "etrading", "experts"], "expert-list");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms") });
    regulator = await platform.token({ tenantCode: "441300", roles: ["regulator"], unitCode: "441300001" });
    countyRegulator = await platform.token({ tenantCode: "441302", roles: ["regulator"] });
    agency = await platform.token({ tenantCode: "441300", roles: ["agency"], unitCode: "91441300MA51XH3T8F" });
    const surnames = ["王", "李", "张"];
    const statuses = ["admitted", "applied", "admitted", "suspended"];
    const experts = Array.from({ length: 26 }, (_, i) => {
      const id = crypto.randomUUID();
      ids.push(id);
      const at = new Date(Date.UTC(2026, 5, 1, 0, i === 3 ? 2 : i));
      return {
        id, instance_id: crypto.randomUUID(), account_id: crypto.randomUUID(),
        tenant_code: i < 20 ? (i % 2 ? "441302" : "441300") : "440900",
        name: `${surnames[i % 3]}建${i}`, phone: `1380013${String(i).padStart(4, "0")}`,
        employer_name: i % 2 ? "惠州学院" : "惠州市建筑设计院", employer_code: "91441300MA0000EX99",
        titles: JSON.stringify(["高级工程师"]), specialities: i % 2 ? ["A0302"] : ["B01"], region: i < 20 ? "441300" : "440900", availability: "any",
        status: statuses[i % 4], status_reason: i % 4 === 3 ? "无故缺席评审两次" : null, created_at: at, updated_at: at,
      };
    });
    await knex()("experts_experts").insert(experts);
    // one drawing this year: expert 0 drawn three times (accepted, declined, skipped), expert 2 once and silent
    const drawing = crypto.randomUUID();
    await knex()("experts_drawings").insert({
      id: drawing, instance_id: crypto.randomUUID(), tenant_code: "441300", tender_id: crypto.randomUUID(), unit_code: "441300401", committee_size: 5, experts: 4,
      specialities: ["B01"], region: "441300", slot_date: "2026-12-20", slot: "am", seed: "a".repeat(64), seed_hash: "b".repeat(64), status: "inviting", committed_at: new Date(),
    });
    // four more drawings: the buyer's unit has three in all, another unit two
    for (let k = 1; k <= 4; k++) {
      await knex()("experts_drawings").insert({
        id: crypto.randomUUID(), instance_id: crypto.randomUUID(), tenant_code: "441300", tender_id: crypto.randomUUID(), unit_code: k <= 2 ? "441300401" : "441300402", committee_size: 5, experts: 4,
        specialities: ["A0302"], region: "441300", slot_date: `2026-12-2${k}`, slot: k % 2 ? "pm" : "am", seed: "c".repeat(64), seed_hash: String(k).repeat(64), status: k === 4 ? "cancelled" : "committed",
        committed_at: new Date(Date.UTC(2026, 10, k)),
      });
    }
    buyer = await platform.token({ tenantCode: "441300", roles: ["purchaser"], unitCode: "441300401" });
    const now = Date.now();
    const invite = (position: number, expert: string, status: string, at = new Date(now - 3600_000)) => ({
      id: crypto.randomUUID(), drawing_id: drawing, expert_id: expert, position, status, invited_at: at, reply_by: new Date(at.getTime() + 3600_000),
    });
    await knex()("experts_invitations").insert([
      invite(0, ids[0], "accepted"), invite(1, ids[0], "declined"), invite(2, ids[0], "skipped"), invite(3, ids[2], "lapsed"),
      // last year's: not this year's figures
      invite(4, ids[2], "accepted", new Date(Date.UTC(new Date(now).getUTCFullYear() - 1, 5, 1))),
    ]);
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  test("a regulator pages its region's experts by cursor in the order of application, each once, with the year's figures", async () => {
    const listed = await byCursor("/api/experts/list", regulator, 3);
    const expected = await knex()("experts_experts").where("tenant_code", "like", "4413%").orderBy(["created_at", "id"]).pluck("id");
    expect(listed.map((e) => e.id)).toEqual(expected);
    expect(listed).toHaveLength(20);
    expect(listed.find((e) => e.id === ids[0])!.stats).toEqual({ drawings: 2, attendances: 1, refusals: 1 });
    expect(listed.find((e) => e.id === ids[2])!.stats).toEqual({ drawings: 1, attendances: 0, refusals: 1 });
    expect(listed.find((e) => e.id === ids[4])!.stats).toEqual({ drawings: 0, attendances: 0, refusals: 0 });
    const county = await byCursor("/api/experts/list", countyRegulator, 4);
    expect(county.map((e) => e.id).sort()).toEqual(ids.filter((_, i) => i < 20 && i % 2).sort());
    const page = await platform.api("/api/experts/list?page=2&pageSize=3", { token: regulator });
    expect(page.body).toMatchObject({ page: 2, total: 20, totalIsEstimate: false });
    expect(page.body.items.map((e: Item) => e.id)).toEqual(expected.slice(3, 6));
  });

  test("a 2-character name and the status narrow the list and its CSV alike; the file has no phone", async () => {
    const filter = `q=${encodeURIComponent("建筑")}&status=admitted`;
    const listed = await byCursor(`/api/experts/list?${filter}`, regulator, 2);
    // even i below 20 (the design institute), admitted when i % 4 is 0 or 2
    expect(listed.map((e) => e.name)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18].map((i) => `${["王", "李", "张"][i % 3]}建${i}`));
    const file = await download(platform, `/api/experts/list/export?${filter}&format=csv`, regulator);
    expect(file.status).toBe(200);
    const records = csvRecords(file.body);
    const year = Number(localDate(new Date()).slice(0, 4));
    expect(records[0]).toEqual(["姓名", "工作单位", "专业", "评审区域", "状态", "状态说明", `${year} 年抽取次数`, `${year} 年参加次数`, `${year} 年拒绝或未答复次数`]);
    expect(records.slice(1).map((r) => r[0])).toEqual(listed.map((e) => e.name));
    expect(records[1]).toEqual(["王建0", "惠州市建筑设计院", expect.stringMatching(/^B01 /), "441300", "已入库", "", "2", "1", "1"]);
    expect(file.body.toString("utf8")).not.toMatch(/1380013|91441300MA0000EX99/);
    const en = csvRecords((await download(platform, `/api/experts/list/export?${filter}&format=csv&lang=en`, regulator)).body);
    expect(en[0].slice(0, 5)).toEqual(["Name", "Employer", "Specialities", "Region", "Status"]);
    expect(en[1][4]).toBe("admitted");
    // a two-character name found as one word
    const byName = await platform.api(`/api/experts/list?q=${encodeURIComponent("李建")}`, { token: regulator });
    expect(byName.body.items.map((e: Item) => e.name)).toEqual([1, 4, 7, 10, 13, 16, 19].map((i) => `李建${i}`));
  });

  test("the Excel export opens with the county regulator's experts only", async () => {
    const file = await download(platform, "/api/experts/list/export?status=suspended&format=xlsx&lang=en", countyRegulator);
    expect(file.status).toBe(200);
    const { sheet, rows } = await xlsxRecords(file.body);
    expect(sheet).toBe("Review experts");
    // odd i below 20 with i % 4 == 3: 3, 7, 11, 15, 19
    expect(rows.slice(1).map((r) => r[0])).toEqual([3, 7, 11, 15, 19].map((i) => `${["王", "李", "张"][i % 3]}建${i}`));
    expect(rows.slice(1).every((r) => r[5] === "无故缺席评审两次")).toBe(true);
  });

  test("only regulators list and export (404 otherwise); bad filters and format are 400 at their fields", async () => {
    expect((await platform.api("/api/experts/list/export?format=csv", { token: agency })).status).toBe(404);
    const bad = await platform.api("/api/experts/list/export?status=gone&year=1999&format=pdf", { token: regulator, headers: { "accept-language": "en" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/format", "/status", "/year"]);
    const cursor = await platform.api("/api/experts/list?cursor=bm90LWEtY3Vyc29y", { token: regulator });
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.details[0].path).toBe("/cursor");
  });

  test("drawings: by cursor, newest first, with their counts; a unit's own only; the export has the counts and no names", async () => {
    const all = await byCursor("/api/experts/drawings", regulator, 2);
    expect(all).toHaveLength(5);
    const expected = await knex()("experts_drawings").orderBy([{ column: "committed_at", order: "desc" }, { column: "id", order: "desc" }]).pluck("id");
    expect(all.map((d) => d.id)).toEqual(expected);
    const first = (all as unknown as Array<{ counts: Record<string, number> }>)[0];
    expect(first.counts).toMatchObject({ accepted: 2, declined: 1, skipped: 1, lapsed: 1, invited: 0 });
    const own = await byCursor("/api/experts/drawings", buyer, 2);
    expect(own).toHaveLength(3);
    const file = await download(platform, "/api/experts/drawings/export?status=committed&format=csv", buyer);
    expect(file.status).toBe(200);
    const records = csvRecords(file.body);
    expect(records[0]).toEqual(["评审日期", "时段", "抽取人数", "状态", "已确认参加", "待答复", "拒绝或逾期", "种子摘要", "项目编号", "公布时间"]);
    expect(records.slice(1).map((r) => r[0])).toEqual(["2026-12-22", "2026-12-21"]);
    expect(records[1].slice(1, 4)).toEqual(["上午", "4", "已公布种子摘要"]);
    expect(file.body.toString("utf8")).not.toMatch(/王建|李建|张建/);
    const regulatorFile = await xlsxRecords((await download(platform, "/api/experts/drawings/export?format=xlsx&lang=en", regulator)).body);
    expect(regulatorFile.rows[0].slice(0, 4)).toEqual(["Review date", "Slot", "Experts", "Status"]);
    // the inviting drawing's counts, every year's: two accepted, one declined and one silent (skipped is neither)
    expect(regulatorFile.rows[1].slice(3, 7)).toEqual(["inviting", "2", "0", "2"]);
    expect(regulatorFile.rows).toHaveLength(6);
    const bad = await platform.api("/api/experts/drawings/export?status=open&format=x", { token: regulator });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/format", "/status"]);
  });
});
