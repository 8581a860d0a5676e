import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";
import { csvRecords, download, xlsxRecords } from "../../support/list-export";

const ROOT = path.resolve(__dirname, "../../..");

/**
 * The tickets list on core's list helper, with its export: an asker's own tickets only, a
 * region's for its staff, searched by a 2-character word of the subject, filtered, paged by cursor,
 * and the same rows in the CSV and Excel files.
 */
describe("helpdesk tickets: list by cursor and export", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  let agent: string;
  let maomingAgent: string;
  let asker: string;
  let other: string;
  const knex = () => platform.kernel.db.knex;
  const idOf = async (token: string) => (await platform.api("/api/me", { token })).body.user.id as string;

  type Item = { id: string; subject: string; tenantCode: string; state: string; category: string };
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
    pluginsDir = linkPlugins(["helpdesk"], "helpdesk-list");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms") });
    agent = await platform.token({ tenantCode: "441300", roles: ["helpdesk-agent"] });
    maomingAgent = await platform.token({ tenantCode: "440900", roles: ["helpdesk-agent"] });
    asker = await platform.token({ tenantCode: "441300", roles: ["supplier"] });
    other = await platform.token({ tenantCode: "441302", roles: ["supplier"] });
    const root = await platform.token({ tenantCode: "440000", roles: ["platform-admin"] });
    const from = new Date(Date.now() + 60_000);
    expect((await platform.api("/api/tenants/440000/modules/helpdesk", { method: "PUT", token: root, body: { state: "live", from: from.toISOString() } })).status).toBe(200);
    platform.kernel.clock.travelTo(new Date(from.getTime() + 60_000));
    const [askerId, otherId] = [await idOf(asker), await idOf(other)];
    const subjects = ["投标保证金未退还", "CA 证书无法登录", "电子卖场订单无法提交"];
    const categories = ["金融服务", "账号与登录", "电子卖场"];
    const states = ["open", "answered", "resolved"];
    await knex()("helpdesk_tickets").insert(
      Array.from({ length: 33 }, (_, i) => {
        const at = new Date(Date.UTC(2026, 11, 1, 1, i === 5 ? 4 : i));
        return {
          instance_id: crypto.randomUUID(),
          tenant_code: i < 27 ? (i % 2 ? "441302" : "441300") : "440900",
          requester_id: i < 27 ? (i % 4 === 0 ? askerId : otherId) : null,
          subject: `${subjects[i % 3]}（${i}）`,
          category: categories[i % 3],
          priority: i % 5 === 0 ? "urgent" : "normal",
          state: states[i % 3],
          first_response_due: new Date(at.getTime() + 4 * 3600_000),
          resolution_due: new Date(at.getTime() + 14 * 3600_000),
          rating: i % 3 === 2 ? 4 : null,
          created_at: at,
          updated_at: at,
        };
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  test("an asker pages their own tickets by cursor, newest first, each once; staff page their region's, not another city's", async () => {
    const mine = await byCursor("/api/helpdesk/tickets", asker, 2);
    // i % 4 == 0 below 27: 24, 20, 16, 12, 8, 4, 0
    expect(mine.map((t) => t.subject.replace(/^.*（(\d+)）$/, "$1"))).toEqual(["24", "20", "16", "12", "8", "4", "0"]);
    const region = await byCursor("/api/helpdesk/tickets?scope=region", agent, 4);
    const expected = await knex()("helpdesk_tickets").where("tenant_code", "like", "4413%").orderBy([{ column: "created_at", order: "desc" }, { column: "instance_id", order: "desc" }]).pluck("instance_id");
    expect(region.map((t) => t.id)).toEqual(expected);
    expect(new Set(region.map((t) => t.id)).size).toBe(27);
    expect(region.some((t) => t.tenantCode === "440900")).toBe(false);
    const page = await platform.api("/api/helpdesk/tickets?scope=region&page=3&pageSize=4", { token: agent });
    expect(page.body).toMatchObject({ page: 3, total: 27, totalIsEstimate: false });
    expect(page.body.items.map((t: Item) => t.id)).toEqual(expected.slice(8, 12));
  });

  test("a 2-character word and the filters narrow the list and its CSV alike, with a BOM and titles in either language", async () => {
    const filter = `scope=region&q=${encodeURIComponent("登录")}&state=answered`;
    const listed = await byCursor(`/api/helpdesk/tickets?${filter}`, agent, 2);
    // i % 3 == 1 below 27 (answered, login): 25, 22, …, 1
    expect(listed.map((t) => t.subject)).toEqual([25, 22, 19, 16, 13, 10, 7, 4, 1].map((i) => `CA 证书无法登录（${i}）`));
    const file = await download(platform, `/api/helpdesk/tickets/export?${filter}&format=csv`, agent);
    expect(file.status).toBe(200);
    expect(file.headers.get("x-export-rows")).toBe("9");
    const records = csvRecords(file.body);
    expect(records[0]).toEqual(["主题", "分类", "优先级", "状态", "区划代码", "首次响应时限", "首次响应时间", "解决时限", "升级时间", "评分", "创建时间"]);
    expect(records.slice(1).map((r) => r[0])).toEqual(listed.map((t) => t.subject));
    // 25 is urgent (i % 5 == 0), 22 normal
    expect(records[1].slice(1, 5)).toEqual(["账号与登录", "紧急", "已答复", "441302"]);
    expect(records[2].slice(1, 5)).toEqual(["账号与登录", "普通", "已答复", "441300"]);
    const en = csvRecords((await download(platform, `/api/helpdesk/tickets/export?${filter}&format=csv&lang=en`, agent)).body);
    expect(en[0].slice(0, 4)).toEqual(["Subject", "Category", "Priority", "State"]);
    expect(en[2].slice(2, 4)).toEqual(["normal", "answered"]);
  });

  test("an asker's Excel export holds their own tickets only; Maoming's staff get Maoming's", async () => {
    const own = await xlsxRecords((await download(platform, "/api/helpdesk/tickets/export?format=xlsx&lang=en", asker)).body);
    expect(own.sheet).toBe("Tickets");
    expect(own.rows[0][0]).toBe("Subject");
    expect(own.rows.slice(1).map((r) => r[0].replace(/^.*（(\d+)）$/, "$1"))).toEqual(["24", "20", "16", "12", "8", "4", "0"]);
    const maoming = await xlsxRecords((await download(platform, "/api/helpdesk/tickets/export?scope=region&format=xlsx", maomingAgent)).body);
    expect(maoming.rows.slice(1).map((r) => r[4])).toEqual(Array(6).fill("440900"));
  });

  test("an asker may not list the region; bad filters and format are 400 at their fields", async () => {
    const refused = await platform.api("/api/helpdesk/tickets/export?scope=region", { token: asker });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("FORBIDDEN");
    const bad = await platform.api("/api/helpdesk/tickets/export?scope=all&state=lost&category=x&priority=p&format=doc", { token: agent, headers: { "accept-language": "en" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/category", "/format", "/priority", "/scope", "/state"]);
    const cursor = await platform.api("/api/helpdesk/tickets?cursor=abc", { token: asker });
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.details[0].path).toBe("/cursor");
  });
});
