import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { creditCode } from "../../support/registries";

const unit = (over: Record<string, unknown> = {}) => ({
  name: "惠州市财政局",
  budgetCode: "441300001",
  tenantCode: "441300",
  unitType: "government-agency",
  creditCode: creditCode("441300", 1),
  contactName: "陈晓",
  contactPhone: "0752-2281234",
  ...over,
});

describe("the purchasers registry", () => {
  let platform: TestPlatform;
  let admin: string;
  let huizhouAdmin: string;
  let maomingAdmin: string;
  let huizhouRegulator: string;
  let provinceRegulator: string;
  let boluoRegulator: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    huizhouAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
    maomingAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "440900" });
    huizhouRegulator = await platform.token({ roles: ["regulator"], tenantCode: "441300" });
    provinceRegulator = await platform.token({ roles: ["regulator"], tenantCode: "440000" });
    boluoRegulator = await platform.token({ roles: ["regulator"], tenantCode: "441322" });
  });
  afterAll(() => platform.stop());

  const create = (body: unknown, token = admin) => platform.api("/api/registries/purchasers", { method: "POST", token, body });

  describe("registering a purchasing unit", () => {
    test("a tenant admin registers a unit of their city and reads it back", async () => {
      const res = await create(unit(), huizhouAdmin);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ ...unit(), id: expect.any(String), status: "active", version: 1 });
      const read = await platform.api(`/api/registries/purchasers/${res.body.id}`, { token: huizhouRegulator });
      expect(read.status).toBe(200);
      expect(read.body.name).toBe("惠州市财政局");
    });

    test("registering, changing and closing a unit are audited, with who did it and what changed; a refused change is not", async () => {
      const code = "441300777";
      const res = await create(unit({ name: "惠州市审计测试单位", budgetCode: code, creditCode: creditCode("441300", 777) }), huizhouAdmin);
      expect(res.status).toBe(201);
      const refused = await platform.api(`/api/registries/purchasers/${res.body.id}`, { method: "PATCH", token: huizhouAdmin, body: { contactPhone: "not a phone" } });
      expect(refused.status).toBe(400);
      expect((await platform.api(`/api/registries/purchasers/${res.body.id}`, { method: "PATCH", token: huizhouAdmin, body: { contactName: "陈主任" } })).status).toBe(200);
      expect((await platform.api(`/api/registries/purchasers/${res.body.id}`, { method: "DELETE", token: huizhouAdmin })).status).toBe(200);
      const log = await platform.kernel.db.knex("core_audit_log").where({ object: code }).orderBy("id");
      expect(log.map((e) => e.action)).toEqual(["registries.purchaser.create", "registries.purchaser.update", "registries.purchaser.deactivate"]);
      expect(log[0]).toMatchObject({ tenant_code: "441300", actor: expect.objectContaining({ tenant: "441300" }) });
      expect(log[1].before).toMatchObject({ contactName: "陈晓" });
      expect(log[1].after).toMatchObject({ contactName: "陈主任" });
      // the whole unit before and after, as every registry's entries have it
      expect(log[2].before).toMatchObject({ budgetCode: code, status: "active" });
      expect(log[2].after).toMatchObject({ budgetCode: code, status: "inactive" });
    });

    test("a unit in a county below the admin's city is theirs too", async () => {
      const res = await create(unit({ name: "博罗县教育局", budgetCode: "441322001", tenantCode: "441322", creditCode: creditCode("441322", 1) }), huizhouAdmin);
      expect(res.status).toBe(201);
    });

    test("a tenant admin cannot register a unit of another city", async () => {
      const res = await create(unit({ name: "茂名市财政局", budgetCode: "440900001", tenantCode: "440900", creditCode: creditCode("440900", 1) }), huizhouAdmin);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("FORBIDDEN");
      expect((await platform.api("/api/registries/purchasers?q=茂名", { token: admin })).body.total).toBe(0);
    });

    test("a regulator may look units up but not register them", async () => {
      const res = await create(unit({ budgetCode: "441300999" }), huizhouRegulator);
      expect(res.status).toBe(403);
    });

    test.each([
      ["a credit code with a wrong check character", { creditCode: creditCode("441300", 7).slice(0, 17) + (creditCode("441300", 7).endsWith("0") ? "1" : "0") }, "/creditCode", "format:uscc"],
      ["a budget code with letters", { budgetCode: "AB-12" }, "/budgetCode", "pattern"],
      ["a missing name", { name: undefined }, "/name", "required"],
      ["an unknown kind of unit", { unitType: "company" }, "/unitType", "enum"],
      ["a field the form does not have", { nickname: "财政" }, "/nickname", "additionalProperties"],
      ["a malformed phone number", { contactPhone: "12345" }, "/contactPhone", "format:phone-cn"],
      ["a division that is not a tenant", { tenantCode: "450100" }, "/tenantCode", "tenant"],
      ["Shenzhen, which runs its own platform", { tenantCode: "440300" }, "/tenantCode", "tenant"],
    ])("%s is refused with the field and the rule, and nothing is stored", async (_case, change, path, rule) => {
      const before = (await platform.api("/api/registries/purchasers", { token: admin })).body.total;
      const res = await create(unit({ budgetCode: "441300777", creditCode: creditCode("441300", 777), ...change }));
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
      expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path, rule })]));
      const detail = res.body.error.details.find((d: { path: string }) => d.path === path);
      if (detail.message) {
        expect(detail.message["zh-CN"]).toBeTruthy();
        expect(detail.message.en).toBeTruthy();
      }
      expect((await platform.api("/api/registries/purchasers", { token: admin })).body.total).toBe(before);
    });

    test("a second unit with the same budget code or credit code is refused on that field", async () => {
      const dupBudget = await create(unit({ name: "另一个单位", creditCode: creditCode("441300", 55) }));
      expect(dupBudget.status).toBe(400);
      expect(dupBudget.body.error.details).toEqual([expect.objectContaining({ path: "/budgetCode", rule: "unique" })]);
      const dupCredit = await create(unit({ name: "另一个单位", budgetCode: "441300055" }));
      expect(dupCredit.body.error.details).toEqual([expect.objectContaining({ path: "/creditCode", rule: "unique" })]);
    });

    test("ten concurrent registrations of one budget code store exactly one unit", async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => create(unit({ name: `并发单位${i}`, budgetCode: "441300888", creditCode: creditCode("441300", 800 + i) }))),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 400 && r.body.error.details[0].rule === "unique")).toHaveLength(9);
      expect((await platform.api("/api/registries/purchasers?q=441300888", { token: admin })).body.total).toBe(1);
    });
  });

  describe("finding units", () => {
    beforeAll(async () => {
      const names = ["惠州市卫生健康局", "惠州市公安局", "惠州市第一中学", "惠东县人民医院", "茂名市人民医院", "茂名市公安局"];
      const tenants = ["441300", "441300", "441300", "441323", "440900", "440900"];
      for (let i = 0; i < names.length; i++) {
        const res = await create(unit({ name: names[i], budgetCode: `${tenants[i]}5${i}`, tenantCode: tenants[i], creditCode: creditCode(tenants[i], 500 + i) }));
        expect(res.status).toBe(201);
      }
    });

    test("by part of the name, including two-character Chinese words", async () => {
      const res = await platform.api(`/api/registries/purchasers?q=${encodeURIComponent("医院")}`, { token: admin });
      expect(res.body.items.map((p: { name: string }) => p.name).sort()).toEqual(["惠东县人民医院", "茂名市人民医院"]);
    });

    test("by the beginning of the budget code, and by the whole credit code", async () => {
      expect((await platform.api("/api/registries/purchasers?q=4409005", { token: admin })).body.total).toBe(2);
      const code = creditCode("441300", 501);
      const byCredit = await platform.api(`/api/registries/purchasers?q=${code.toLowerCase()}`, { token: admin });
      expect(byCredit.body.items.map((p: { name: string }) => p.name)).toEqual(["惠州市公安局"]);
    });

    test("a search term with LIKE wildcards matches them literally", async () => {
      expect((await platform.api(`/api/registries/purchasers?q=${encodeURIComponent("%")}`, { token: admin })).body.total).toBe(0);
      expect((await platform.api(`/api/registries/purchasers?q=_`, { token: admin })).body.total).toBe(0);
    });

    test("page by page, without overlap, in name order", async () => {
      const all = (await platform.api("/api/registries/purchasers?pageSize=100", { token: admin })).body;
      const seen: string[] = [];
      for (let page = 1; page <= Math.ceil(all.total / 3); page++) {
        const res = await platform.api(`/api/registries/purchasers?page=${page}&pageSize=3`, { token: admin });
        expect(res.body).toMatchObject({ page, pageSize: 3, total: all.total });
        seen.push(...res.body.items.map((p: { id: string }) => p.id));
      }
      expect(seen).toEqual(all.items.map((p: { id: string }) => p.id));
      expect(new Set(seen).size).toBe(all.total);
    });

    test("page after page by cursor, the same name order as page numbers; a tampered cursor is 400", async () => {
      const all = (await platform.api("/api/registries/purchasers?pageSize=100", { token: admin })).body;
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await platform.api(`/api/registries/purchasers?pageSize=3${cursor ? `&cursor=${cursor}` : ""}`, { token: admin });
        expect(res.body).toMatchObject({ total: all.total, totalIsEstimate: false });
        seen.push(...res.body.items.map((p: { id: string }) => p.id));
        cursor = res.body.nextCursor;
      } while (cursor && seen.length <= all.total);
      expect(seen).toEqual(all.items.map((p: { id: string }) => p.id));
      const bad = await platform.api(`/api/registries/purchasers?cursor=${Buffer.from(JSON.stringify(["registries.Purchaser", "甲", "not-a-uuid"])).toString("base64url")}`, { token: admin });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details).toEqual([expect.objectContaining({ path: "/cursor", rule: "cursor" })]);
    });

    test("a regulator's list holds exactly their tenant and the tenants below it", async () => {
      const everything = (await platform.api("/api/registries/purchasers?pageSize=100", { token: admin })).body.items as Array<{ id: string; tenantCode: string }>;
      const expectations: Array<[string, (t: string) => boolean]> = [
        [huizhouRegulator, (t) => t.startsWith("4413")],
        [boluoRegulator, (t) => t === "441322"],
        [provinceRegulator, () => true],
        [maomingAdmin, (t) => t.startsWith("4409")],
      ];
      for (const [token, visible] of expectations) {
        const list = (await platform.api("/api/registries/purchasers?pageSize=100", { token })).body.items as Array<{ id: string; tenantCode: string }>;
        expect(list.map((p) => p.id).sort()).toEqual(everything.filter((p) => visible(p.tenantCode)).map((p) => p.id).sort());
        // One by one, the same verdict: what the list hides, a direct read does not reveal.
        for (const p of everything) {
          const res = await platform.api(`/api/registries/purchasers/${p.id}`, { token });
          expect(res.status).toBe(visible(p.tenantCode) ? 200 : 404);
        }
      }
    });

    test("by its exact budget code (GET by-code/:code, what a workflow asks of its unit): a prefix is not a code; a code the caller may not read is 404 like a missing one", async () => {
      const byCode = (code: string, token: string) => platform.api(`/api/registries/purchasers/by-code/${code}`, { token });
      const found = await byCode("44130051", admin);
      expect(found.status).toBe(200);
      expect(found.body).toMatchObject({ name: "惠州市公安局", budgetCode: "44130051", tenantCode: "441300" });
      const missing = await byCode("44130099", admin);
      expect(missing.status).toBe(404);
      expect((await byCode("4413005", admin)).body).toEqual(missing.body);
      // another city's unit, for a regulator of this one
      expect((await byCode("44090055", huizhouRegulator)).body).toEqual(missing.body);
      // a purchaser reads its own unit by its code; another unit of its city only by what the list
      // shows of it (no budget code), so its code tells nothing
      const own = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "44130050" });
      expect((await byCode("44130050", own)).body).toMatchObject({ name: "惠州市卫生健康局", budgetCode: "44130050" });
      expect((await byCode("44130051", own)).body).toEqual(missing.body);
    });

    test("a unit of another tenant answers 404, exactly like one that does not exist", async () => {
      const maoming = (await platform.api(`/api/registries/purchasers?q=${encodeURIComponent("茂名市公安局")}`, { token: admin })).body.items[0];
      const foreign = await platform.api(`/api/registries/purchasers/${maoming.id}`, { token: huizhouRegulator });
      const missing = await platform.api("/api/registries/purchasers/00000000-0000-4000-8000-000000000000", { token: huizhouRegulator });
      const garbage = await platform.api("/api/registries/purchasers/not-a-uuid", { token: huizhouRegulator });
      expect(foreign.status).toBe(404);
      expect(foreign.body).toEqual(missing.body);
      expect(garbage.body).toEqual(missing.body);
    });

    test("?tenantCode= is that tenant and the tenants below it, as every registry's tenant filter; an unknown one or a bad status is 400 naming it", async () => {
      const huizhou = (await platform.api("/api/registries/purchasers?tenantCode=441300&pageSize=100", { token: admin })).body.items as Array<{ tenantCode: string }>;
      expect(huizhou.map((p) => p.tenantCode)).toEqual(expect.arrayContaining(["441300", "441323"]));
      expect(huizhou.every((p) => p.tenantCode.startsWith("4413"))).toBe(true);
      const bad = await platform.api("/api/registries/purchasers?tenantCode=450100&status=closed", { token: admin });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/status", "/tenantCode"]);
    });

    test("without a token the registry is closed", async () => {
      expect((await platform.api("/api/registries/purchasers")).status).toBe(401);
    });
  });

  describe("changing a unit", () => {
    let id: string;
    beforeAll(async () => {
      const res = await create(unit({ name: "惠州市审计局", budgetCode: "441300301", creditCode: creditCode("441300", 301) }));
      id = res.body.id;
    });

    test("a purchaser updates its own contact details, and the version moves on", async () => {
      const own = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300301" });
      const res = await platform.api(`/api/registries/purchasers/${id}`, { method: "PATCH", token: own, body: { contactPhone: "13800138000", contactName: "李娜" } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ contactPhone: "13800138000", contactName: "李娜", version: 2 });
    });

    test("a purchaser cannot change its own budget code or name", async () => {
      const own = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300301" });
      const res = await platform.api(`/api/registries/purchasers/${id}`, { method: "PATCH", token: own, body: { name: "改名" } });
      expect(res.status).toBe(403);
      const sameValues = await platform.api(`/api/registries/purchasers/${id}`, { method: "PATCH", token: own, body: { name: "惠州市审计局", address: "惠州市" } });
      expect(sameValues.status).toBe(200);
    });

    test("a purchaser cannot change another unit of its city", async () => {
      const other = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300001" });
      const res = await platform.api(`/api/registries/purchasers/${id}`, { method: "PATCH", token: other, body: { contactPhone: "13900139000" } });
      expect(res.status).toBe(403);
    });

    test("a tenant admin cannot move a unit out of their tenants", async () => {
      const res = await platform.api(`/api/registries/purchasers/${id}`, { method: "PATCH", token: huizhouAdmin, body: { tenantCode: "440900" } });
      expect(res.status).toBe(403);
      expect((await platform.api(`/api/registries/purchasers/${id}`, { token: admin })).body.tenantCode).toBe("441300");
    });

    test("an invalid change is refused and leaves the unit as it was", async () => {
      const before = (await platform.api(`/api/registries/purchasers/${id}`, { token: admin })).body;
      const res = await platform.api(`/api/registries/purchasers/${id}`, { method: "PATCH", token: admin, body: { contactEmail: "not-an-email" } });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([expect.objectContaining({ path: "/contactEmail", rule: "format:email" })]);
      expect((await platform.api(`/api/registries/purchasers/${id}`, { token: admin })).body).toEqual(before);
    });

    test("null or an empty string clears an optional field (a merge patch, as every registry's PATCH)", async () => {
      const set = await platform.api(`/api/registries/purchasers/${id}`, { method: "PATCH", token: admin, body: { contactEmail: "audit@huizhou.example.cn" } });
      expect(set.body.contactEmail).toBe("audit@huizhou.example.cn");
      const cleared = await platform.api(`/api/registries/purchasers/${id}`, { method: "PATCH", token: admin, body: { contactEmail: null, address: "" } });
      expect(cleared.status).toBe(200);
      expect(cleared.body).toMatchObject({ contactEmail: null, address: null, version: set.body.version + 1 });
    });

    test("a PATCH that changes nothing writes nothing: no new version, no audit entry", async () => {
      const before = (await platform.api(`/api/registries/purchasers/${id}`, { token: admin })).body;
      const entries = async () => (await platform.kernel.db.knex("core_audit_log").where({ object: "441300301" })).length;
      const logged = await entries();
      const res = await platform.api(`/api/registries/purchasers/${id}`, { method: "PATCH", token: admin, body: { name: before.name, contactName: before.contactName } });
      expect(res.status).toBe(200);
      expect(res.body.version).toBe(before.version);
      expect(await entries()).toBe(logged);
    });

    test("of two edits made from the same version, exactly one wins", async () => {
      const { version } = (await platform.api(`/api/registries/purchasers/${id}`, { token: admin })).body;
      const results = await Promise.all(
        ["惠州市江北一路", "惠州市江北二路", "惠州市江北三路"].map((address) =>
          platform.api(`/api/registries/purchasers/${id}`, { method: "PATCH", token: admin, body: { address, expectedVersion: version } }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
      expect((await platform.api(`/api/registries/purchasers/${id}`, { token: admin })).body.version).toBe(version + 1);
    });
  });
});
