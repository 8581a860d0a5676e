import crypto from "node:crypto";
import type { TestPlatform } from "../../support/kernel";
import { announce, enqueued, get, handled, publish, publishPayload, startPortalPlatform, withdraw, CONSUMER } from "./support";

const ITEM_KEYS = ["id", "type", "title", "tenantCode", "tenantName", "unitName", "publishedAt", "updatedAt"].sort();
// workflowId: a page names the public fields by that (public) workflow's forms
const DETAIL_KEYS = [...ITEM_KEYS, "instanceId", "workflowId", "fields"].sort();
const q = (s: string) => encodeURIComponent(s);

describe("the public procurement portal", () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await startPortalPlatform();
  });
  afterAll(() => platform?.stop());

  const list = (query = "", token?: string) => get(platform, `/api/portal/notices${query}`, token);
  const detail = (id: string, token?: string) => get(platform, `/api/portal/notices/${id}`, token);
  const byInstance = async (instanceId: string) => platform.kernel.db.knex("portal_notices").where({ instance_id: instanceId }).first();

  describe("publishing", () => {
    test("a published notice appears for anybody, with exactly the public fields its event carried and nothing internal", async () => {
      const fields = { projectName: "惠州市政务云扩容项目", budget: 1280000, tenderPeriod: { endDate: "2027-03-01" }, lots: [{ name: "一标段" }] };
      const { payload, at } = await publish(platform, { title: "惠州市政务云扩容项目招标公告", unitName: "惠州市政务服务数据管理局", data: fields });

      const listed = await list(`?q=${q("政务云扩容")}`);
      expect(listed.status).toBe(200);
      expect(listed.body).toEqual({ items: [expect.any(Object)], total: 1, totalIsEstimate: false, page: 1, pageSize: 20, nextCursor: null });
      const item = listed.body.items[0];
      expect(Object.keys(item).sort()).toEqual(ITEM_KEYS);
      expect(item).toEqual({
        id: expect.any(String),
        type: "tender",
        title: "惠州市政务云扩容项目招标公告",
        tenantCode: "441300",
        tenantName: { "zh-CN": "惠州市", en: "Huizhou" },
        unitName: "惠州市政务服务数据管理局",
        publishedAt: at,
        updatedAt: null,
      });

      const read = await detail(item.id);
      expect(read.status).toBe(200);
      expect(Object.keys(read.body).sort()).toEqual(DETAIL_KEYS);
      expect(read.body).toEqual({ ...item, instanceId: payload.instanceId, workflowId: payload.workflowId, fields });
      // The engine's bookkeeping travels in the event but is never shown.
      for (const hidden of ["ownerUnit", "state", "transition", "version", "plugin", "workflowId", "search", "withdrawnAt", "instance_id"]) {
        if (hidden !== "workflowId") expect(read.body).not.toHaveProperty(hidden);
        expect(item).not.toHaveProperty(hidden);
      }
      expect(JSON.stringify(read.body)).not.toContain("441300001");
    });

    test("fields the event lacked are never in the answer, not even as null", async () => {
      const { payload } = await publish(platform, { title: "惠州市第一中学课桌椅采购意向", notice: "intention", data: { projectName: "课桌椅" } });
      const id = (await byInstance(payload.instanceId)).id;
      const read = await detail(id);
      expect(read.body.fields).toEqual({ projectName: "课桌椅" });
      expect(Object.keys(read.body.fields)).toEqual(["projectName"]);
    });

    test("a notice without a unit name shows null, and an event without public data shows no fields", async () => {
      const { payload } = await publish(platform, { title: "惠州市公共资源交易合同公告", notice: "contract", unitName: null, data: undefined });
      const read = await detail((await byInstance(payload.instanceId)).id);
      expect(read.body.unitName).toBeNull();
      expect(read.body.fields).toEqual({});
    });

    test("an amendment replaces the content and keeps the first publication time; an older version arriving late changes nothing", async () => {
      const instanceId = crypto.randomUUID();
      const first = await publish(platform, { instanceId, version: 2, title: "惠州市人民医院医疗设备采购招标公告", data: { projectName: "医疗设备", budget: 500000 } });
      const id = (await byInstance(instanceId)).id;
      const amended = await publish(platform, { instanceId, version: 4, title: "惠州市人民医院医疗设备采购招标公告（更正）", data: { projectName: "医疗设备", deadline: "2027-04-01" } });

      const read = await detail(id);
      expect(read.body).toMatchObject({ id, title: "惠州市人民医院医疗设备采购招标公告（更正）", publishedAt: first.at, updatedAt: amended.at });
      expect(read.body.fields).toEqual({ projectName: "医疗设备", deadline: "2027-04-01" });
      expect(amended.at > first.at).toBe(true);

      await publish(platform, { instanceId, version: 3, title: "迟到的旧版本", data: { projectName: "旧" } });
      const after = await detail(id);
      expect(after.body).toEqual(read.body);
      expect((await list(`?q=${q("迟到")}`)).body.total).toBe(0);
      expect(await platform.kernel.db.knex("portal_notices").where({ instance_id: instanceId }).count({ n: "*" })).toEqual([{ n: "1" }]);
    });

    test("two kinds of notice of one procedure are two notices", async () => {
      const instanceId = crypto.randomUUID();
      await publish(platform, { instanceId, version: 2, notice: "tender", title: "惠州市水务局管网改造招标公告" });
      await publish(platform, { instanceId, version: 6, notice: "result", title: "惠州市水务局管网改造中标结果公告" });
      const found = await list(`?q=${q("管网改造")}`);
      expect(found.body.items.map((i: { type: string }) => i.type)).toEqual(["result", "tender"]);
    });

    test("a duplicate delivery of an event (same eventId) is a no-op", async () => {
      const { eventId, payload, at } = await publish(platform, { title: "惠州市审计局审计服务招标公告", version: 2 });
      const id = (await byInstance(payload.instanceId)).id;
      const before = (await detail(id)).body;
      // Delivered again, even carrying something else (and a higher version): the receipt says it was handled.
      await platform.kernel.broker.emit("portal.publish", { eventId, event: "portal.publish", key: payload.instanceId, at, data: { ...payload, version: 9, title: "重复投递" } });
      await new Promise((r) => setTimeout(r, 200));
      expect((await detail(id)).body).toEqual(before);
      expect(await platform.kernel.db.knex("core_event_receipts").where({ consumer: CONSUMER, event_id: eventId }).count({ n: "*" })).toEqual([{ n: "1" }]);
      expect((await byInstance(payload.instanceId)).version).toBe(2);
    });

    test("events the portal cannot use are let go without a row, and do not stop the next", async () => {
      const bad = [
        publishPayload({ notice: "announcement" }),
        publishPayload({ title: "" }),
        publishPayload({ tenantCode: "4413" }),
        publishPayload({ version: 0 }),
        publishPayload({ data: ["not", "an", "object"] as unknown as Record<string, unknown> }),
        { ...publishPayload(), instanceId: "not-a-uuid" },
      ];
      for (const payload of bad) await announce(platform, "portal.publish", payload);
      const ids = bad.map((p) => p.instanceId).filter((i) => i !== "not-a-uuid");
      expect(await platform.kernel.db.knex("portal_notices").whereIn("instance_id", ids).count({ n: "*" })).toEqual([{ n: "0" }]);
      const { payload } = await publish(platform, { title: "惠州市民政局养老服务采购公告" });
      expect(await byInstance(payload.instanceId)).toBeTruthy();
    });
  });

  describe("withdrawing", () => {
    test("a withdrawn notice disappears from the lists and its page says so with 404; the row stays with the time", async () => {
      const instanceId = crypto.randomUUID();
      await publish(platform, { instanceId, version: 2, title: "惠州市应急管理局救援装备招标公告" });
      const id = (await byInstance(instanceId)).id;
      expect((await list(`?q=${q("救援装备")}`)).body.total).toBe(1);

      const { at } = await withdraw(platform, { instanceId, version: 3 });
      const listed = await list(`?q=${q("救援装备")}`);
      expect(listed.body).toEqual({ items: [], total: 0, totalIsEstimate: false, page: 1, pageSize: 20, nextCursor: null });
      const read = await detail(id);
      expect(read.status).toBe(404);
      expect(read.body).toEqual({ error: { code: "NOT_FOUND", message: "该公告已撤回", details: { reason: "withdrawn", withdrawnAt: at } } });
      expect(read.headers.get("cache-control")).toBe("no-store");
      const en = await get(platform, `/api/portal/notices/${id}?lang=en`);
      expect(en.body.error.message).toBe("This notice has been withdrawn");

      const row = await byInstance(instanceId);
      expect(row.withdrawn_at.toISOString()).toBe(at);
      expect(row.title).toBe("惠州市应急管理局救援装备招标公告");
    });

    test("a late publication older than the withdrawal does not bring the notice back; a newer one does, with its first publication time", async () => {
      const instanceId = crypto.randomUUID();
      const first = await publish(platform, { instanceId, version: 2, title: "惠州市自然资源局测绘服务招标公告" });
      await withdraw(platform, { instanceId, version: 5 });
      await publish(platform, { instanceId, version: 4, title: "惠州市自然资源局测绘服务招标公告（旧）" });
      expect((await list(`?q=${q("测绘服务")}`)).body.total).toBe(0);

      const again = await publish(platform, { instanceId, version: 7, title: "惠州市自然资源局测绘服务招标公告（重新发布）" });
      const items = (await list(`?q=${q("测绘服务")}`)).body.items;
      expect(items).toEqual([expect.objectContaining({ title: "惠州市自然资源局测绘服务招标公告（重新发布）", publishedAt: first.at, updatedAt: again.at })]);
      expect((await detail(items[0].id)).status).toBe(200);
    });

    test("a withdrawal that overtakes its publication keeps the publication out", async () => {
      const instanceId = crypto.randomUUID();
      await withdraw(platform, { instanceId, version: 6, notice: "result" });
      await publish(platform, { instanceId, version: 5, notice: "result", title: "惠州市城市管理局环卫车辆中标结果公告" });
      expect((await list(`?q=${q("环卫车辆")}`)).body.total).toBe(0);
      const row = await byInstance(instanceId);
      expect(row).toMatchObject({ version: 6, published_at: null });
      expect((await detail(row.id)).status).toBe(404);
    });

    test("a withdrawal older than the notice's current version is ignored", async () => {
      const instanceId = crypto.randomUUID();
      await publish(platform, { instanceId, version: 8, title: "惠州市林业局森林防火招标公告" });
      await withdraw(platform, { instanceId, version: 7 });
      expect((await list(`?q=${q("森林防火")}`)).body.total).toBe(1);
    });
  });

  describe("finding notices", () => {
    const instances: Record<string, string> = {};
    beforeAll(async () => {
      const seed: Array<[string, string, string, string | null]> = [
        ["hz-traffic", "441300", "2027年国省道路面养护工程招标公告", "惠州市交通运输局"],
        ["hc-school", "441302", "惠城区实验小学LED显示屏采购公告", "惠州市惠城区教育局"],
        ["mm-traffic", "440900", "茂名市交通信号灯升级改造招标公告", "茂名市公安局"],
        ["mm-hospital", "440900", "茂名市人民医院100%国产化设备采购公告", "茂名市人民医院"],
        ["hz-under", "441300", "惠州市智慧_城市平台运维服务公告", "惠州市政务服务数据管理局"],
      ];
      for (const [key, tenantCode, title, unitName] of seed) {
        const { payload } = await publish(platform, { tenantCode, title, unitName, notice: key === "mm-hospital" ? "intention" : "tender" });
        instances[key] = payload.instanceId;
      }
    });
    /** The seeded notices a list answers, by key; any other notice by its title, so that an unexpected match shows. */
    const ids = async (query: string) => {
      const res = await list(query);
      expect(res.status).toBe(200);
      const keyOf = (instanceId: string) => Object.entries(instances).find(([, v]) => v === instanceId)?.[0];
      const rows = await platform.kernel.db.knex("portal_notices").whereIn("id", res.body.items.map((i: { id: string }) => i.id)).select("instance_id", "title");
      return rows.map((r) => keyOf(r.instance_id) ?? r.title).sort();
    };

    test("a city's notices include its districts' and counties', never another city's", async () => {
      // Other tests publish in Huizhou too: here, which of the seeded notices come, and from where.
      const seeded = (keys: string[]) => keys.filter((k) => k in instances);
      const huizhou = await list("?tenant=441300&pageSize=100");
      expect(new Set(huizhou.body.items.map((i: { tenantCode: string }) => i.tenantCode))).toEqual(new Set(["441300", "441302"]));
      expect(seeded(await ids("?tenant=441300&pageSize=100"))).toEqual(["hc-school", "hz-traffic", "hz-under"]);
      expect(await ids("?tenant=441302")).toEqual(["hc-school"]);
      expect(await ids("?tenant=440900")).toEqual(["mm-hospital", "mm-traffic"]);
      expect(seeded(await ids("?tenant=440000&pageSize=100"))).toEqual(Object.keys(instances).sort());
      const hc = await list("?tenant=441302");
      expect(hc.body.items[0].tenantName).toEqual({ "zh-CN": "惠城区", en: "Huicheng" });
    });

    test("by type", async () => {
      expect(await ids("?tenant=440900&type=intention")).toEqual(["mm-hospital"]);
      const tenders = await list("?type=tender&pageSize=100");
      expect(tenders.body.items.every((i: { type: string }) => i.type === "tender")).toBe(true);
      expect((await list("?type=contract")).body.items.every((i: { type: string }) => i.type === "contract")).toBe(true);
    });

    test("by a two-character Chinese word in the unit name or the title", async () => {
      // 「交通」: the unit name of Huizhou's notice (its title does not say it), the title of Maoming's
      expect(await ids(`?q=${q("交通")}`)).toEqual(["hz-traffic", "mm-traffic"]);
      expect(await ids(`?q=${q("交通")}&tenant=441300`)).toEqual(["hz-traffic"]);
      expect(await ids(`?q=${q("养护")}`)).toEqual(["hz-traffic"]);
      expect(await ids(`?q=${q("医院")}&tenant=440900`)).toEqual(["mm-hospital"]);
    });

    test("by longer words, one character, several words at once, full-width and upper- or lower-case", async () => {
      expect(await ids(`?q=${q("惠州市交通运输局")}`)).toEqual(["hz-traffic"]);
      expect(await ids(`?q=${q("路面养护工程")}`)).toEqual(["hz-traffic"]);
      expect(await ids(`?q=${q("灯")}`)).toEqual(["mm-traffic"]);
      expect(await ids(`?q=${q("茂名 招标")}`)).toEqual(["mm-traffic"]);
      expect(await ids(`?q=${q("茂名　设备")}`)).toEqual(["mm-hospital"]); // ideographic space
      expect(await ids(`?q=${q("led")}`)).toEqual(["hc-school"]);
      expect(await ids(`?q=${q("ＬＥＤ显示屏")}`)).toEqual(["hc-school"]);
      expect(await ids(`?q=${q("  ")}&tenant=441302`)).toEqual(["hc-school"]);
      expect(await ids(`?q=${q("不存在的项目")}`)).toEqual([]);
    });

    test("% and _ in the search are the characters themselves, not wildcards", async () => {
      expect(await ids(`?q=${q("%")}`)).toEqual(["mm-hospital"]);
      expect(await ids(`?q=${q("100%国产")}`)).toEqual(["mm-hospital"]);
      expect(await ids(`?q=${q("_")}`)).toEqual(["hz-under"]);
      expect(await ids(`?q=${q("慧_城")}`)).toEqual(["hz-under"]);
      // as wildcards they would match 「交通运输局」
      expect(await ids(`?q=${q("交_运")}`)).toEqual([]);
      expect(await ids(`?q=${q("交%局")}`)).toEqual([]);
      expect(await ids(`?q=${q("交通%")}`)).toEqual([]);
      expect(await ids(`?q=${q("\\")}`)).toEqual([]);
    });

    test("page by page, newest first, with the total", async () => {
      const tenantCode = "441303"; // Huiyang: only these notices
      const events = [];
      // one transaction each, so each its own publication time
      for (let i = 1; i <= 23; i++) events.push(await enqueued(platform, "portal.publish", publishPayload({ tenantCode, title: `惠阳区分页测试公告第${i}号`, unitName: "惠州市惠阳区财政局" })));
      for (const eventId of events) await handled(platform, eventId);
      const pages = [];
      for (let page = 1; page <= 3; page++) pages.push((await list(`?tenant=${tenantCode}&page=${page}&pageSize=10`)).body);
      expect(pages.map((p) => [p.total, p.page, p.pageSize, p.items.length])).toEqual([[23, 1, 10, 10], [23, 2, 10, 10], [23, 3, 10, 3]]);
      const all = pages.flatMap((p) => p.items.map((i: { title: string }) => i.title));
      expect(all).toEqual(Array.from({ length: 23 }, (_, i) => `惠阳区分页测试公告第${23 - i}号`));
      const stamps = pages.flatMap((p) => p.items.map((i: { publishedAt: string }) => i.publishedAt));
      expect([...stamps].sort().reverse()).toEqual(stamps);
      expect((await list(`?tenant=${tenantCode}&page=4&pageSize=10`)).body).toEqual({ items: [], total: 23, totalIsEstimate: false, page: 4, pageSize: 10, nextCursor: null });
      expect((await list(`?tenant=${tenantCode}&pageSize=100`)).body.items).toHaveLength(23);
    });
  });

  describe("bad requests", () => {
    test.each([
      ["an unknown tenant", "?tenant=999999", "/tenant", "tenant"],
      ["Shenzhen, which runs its own platform", "?tenant=440300", "/tenant", "tenant"],
      ["an unknown type", "?type=announcement", "/type", "enum"],
      ["a type given twice", "?type=tender&type=result", "/type", "type"],
      ["page 0", "?page=0", "/page", "range"],
      ["a page that is not a number", "?page=two", "/page", "range"],
      ["more than 100 a page", "?pageSize=101", "/pageSize", "range"],
      ["a negative page size", "?pageSize=-5", "/pageSize", "range"],
      ["a search of more than 100 characters", `?q=${q("采".repeat(101))}`, "/q", "maxLength"],
      ["a search of more than 5 words", `?q=${q("一 二 三 四 五 六")}`, "/q", "maxItems"],
    ])("%s is refused with 400 and the field", async (_case, query, path, rule) => {
      const res = await list(query);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "VALIDATION_FAILED", message: "提交的数据未通过校验" });
      expect(res.body.error.details).toEqual([expect.objectContaining({ path, rule, message: { "zh-CN": expect.any(String), en: expect.any(String) } })]);
      expect(res.headers.get("cache-control")).toBe("no-store");
    });

    test("every bad parameter is named at once", async () => {
      const res = await list("?tenant=123456&type=x&page=0&pageSize=1000");
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(["/tenant", "/type", "/page", "/pageSize"]);
    });

    test("a notice id that is not a uuid, or no notice's, is 404 in the envelope", async () => {
      for (const id of ["not-a-uuid", crypto.randomUUID(), "1%27%20or%201=1"]) {
        const res = await detail(id);
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ error: { code: "NOT_FOUND", message: "未找到该公告" } });
      }
    });
  });

  describe("open to everyone", () => {
    test("no sign-in is needed, a token changes nothing, and answers may be cached briefly by anyone", async () => {
      const { payload } = await publish(platform, { title: "惠州市文化广电旅游体育局演出服务采购公告" });
      const id = (await byInstance(payload.instanceId)).id;
      const supplier = await platform.token({ roles: ["supplier"], tenantCode: "440900" });
      const admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
      for (const path of [`/api/portal/notices?tenant=441300&pageSize=100`, `/api/portal/notices/${id}`]) {
        const anonymous = await get(platform, path);
        expect(anonymous.status).toBe(200);
        expect(anonymous.headers.get("cache-control")).toBe("public, max-age=30");
        for (const token of [supplier, admin]) {
          const signedIn = await get(platform, path, token);
          expect(signedIn.status).toBe(200);
          expect(signedIn.body).toEqual(anonymous.body);
          expect(signedIn.headers.get("cache-control")).toBe("public, max-age=30");
        }
      }
    });
  });
});
