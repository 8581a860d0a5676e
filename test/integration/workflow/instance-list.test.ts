import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { csvRecords, download, xlsxRecords } from "../../support/list-export";

const FIXTURES = path.resolve(__dirname, "../../fixtures");

/**
 * The workspace's instances (the work inbox) on the gateway's list helper, with their export: paged
 * by cursor, filtered (mine, actionable, state), and the same rows in the files, with the
 * transitions open to the caller; another unit's instances are in neither.
 */
describe("workflow instances: list by cursor and export", () => {
  let platform: TestPlatform;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string[]> = { buyer: [], otherBuyer: [] };
  const later = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

  async function byCursor(url: string, token: string, pageSize: number): Promise<Array<{ id: string; state: string; actions?: unknown[] }>> {
    const items: Array<{ id: string; state: string }> = [];
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
    platform = await startTestPlatform({ pluginsDir: path.join(FIXTURES, "workflow-plugins"), formsDir: path.join(FIXTURES, "workflow-forms"), deadlineCheckMs: 60_000 });
    tokens.buyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
    tokens.otherBuyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300402" });
    tokens.regulator = await platform.token({ roles: ["regulator"], tenantCode: "441300" });
    for (const [who, n] of [["buyer", 9], ["otherBuyer", 3]] as const) {
      for (let i = 0; i < n; i++) {
        const data = { projectName: `${who}-绿化养护-${i}`, budget: "1280000.50", tenderPeriod: { endDate: later(20) } };
        const res = await platform.api("/api/workflows/etrading.tender/instances", { method: "POST", token: tokens[who], body: { data } });
        expect(res.status).toBe(201);
        ids[who].push(res.body.id);
      }
    }
  }, 120_000);
  afterAll(() => platform?.stop());

  test("a unit pages its instances by cursor, recently changed first, each once; another unit's are not among them", async () => {
    const mine = await byCursor("/api/instances?mine=1", tokens.buyer, 4);
    expect(mine.map((i) => i.id)).toEqual([...ids.buyer].reverse());
    const all = await byCursor("/api/instances", tokens.regulator, 5);
    expect(new Set(all.map((i) => i.id))).toEqual(new Set([...ids.buyer, ...ids.otherBuyer]));
    expect(all).toHaveLength(12);
    const page = await platform.api("/api/instances?mine=1&page=2&pageSize=4", { token: tokens.buyer });
    expect(page.body).toMatchObject({ page: 2, total: 9, totalIsEstimate: false });
    expect(page.body.items.map((i: { id: string }) => i.id)).toEqual([...ids.buyer].reverse().slice(4, 8));
  });

  test("the inbox's export (actionable) holds the caller's tasks with the transitions open to them, in CSV and Excel", async () => {
    const listed = await byCursor("/api/instances?actionable=1", tokens.buyer, 100);
    expect(listed.map((i) => i.id)).toEqual([...ids.buyer].reverse());
    const file = await download(platform, "/api/instances/export?actionable=1&format=csv", tokens.buyer);
    expect(file.status).toBe(200);
    const records = csvRecords(file.body);
    expect(records[0]).toEqual(["事项", "状态", "区划代码", "可办理", "创建时间", "更新时间", "编号"]);
    expect(records.slice(1).map((r) => r[6])).toEqual(listed.map((i) => i.id));
    expect(records.slice(1).every((r) => r[2] === "441300" && r[3].length > 0)).toBe(true);
    // the form's fields are not in it
    expect(file.body.toString("utf8")).not.toContain("绿化养护");
    const en = await xlsxRecords((await download(platform, "/api/instances/export?actionable=1&format=xlsx&lang=en", tokens.otherBuyer)).body);
    expect(en.sheet).toBe("Instances");
    expect(en.rows[0]).toEqual(["Workflow", "State", "Division code", "Open to me", "Created", "Updated", "Id"]);
    expect(en.rows.slice(1).map((r) => r[6])).toEqual([...ids.otherBuyer].reverse());
  });

  test("the state filter applies to the export; a bad format or cursor is 400 in the envelope", async () => {
    const state = (await platform.api(`/api/instances/${ids.buyer[0]}`, { token: tokens.buyer })).body.state as string;
    const same = csvRecords((await download(platform, `/api/instances/export?mine=1&state=${state}&format=csv`, tokens.buyer)).body);
    // without actionable=1 there is no "open to me" column: the id is the sixth
    expect(same[0]).toHaveLength(6);
    expect(same.slice(1).map((r) => r[5])).toEqual([...ids.buyer].reverse());
    const none = csvRecords((await download(platform, `/api/instances/export?mine=1&state=${state}x&format=csv&lang=en`, tokens.buyer)).body);
    expect(none).toEqual([["Workflow", "State", "Division code", "Created", "Updated", "Id"]]);
    const bad = await platform.api("/api/instances/export?format=ods&cursor=x!", { token: tokens.buyer, headers: { "accept-language": "en" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/cursor", "/format"]);
    expect((await download(platform, "/api/instances/export", undefined)).status).toBe(401);
  });
});
