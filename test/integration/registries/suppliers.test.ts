import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { creditCode, withWrongCheck } from "../../support/registries";
import type { SessionUser } from "../../../core/plugins/types";

const code = (division: string, n: number) => creditCode(division, n, "91");

const supplier = (over: Record<string, unknown> = {}) => ({
  name: "惠州市鹏程办公设备有限公司",
  creditCode: code("441302", 1),
  sizeClass: "small",
  region: "441302",
  contactName: "黄伟",
  contactPhone: "0752-2345678",
  contactEmail: "sales@pengcheng.example.cn",
  address: "惠州市惠城区演达大道 8 号",
  ...over,
});

const PUBLIC = ["creditCode", "name", "region", "sizeClass", "sme", "status"].sort();

describe("the suppliers registry", () => {
  let platform: TestPlatform;
  let admin: string;
  let huizhouAdmin: string;
  let maomingAdmin: string;
  let huizhouRegulator: string;
  let maomingRegulator: string;
  let purchaser: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    huizhouAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
    maomingAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "440900" });
    huizhouRegulator = await platform.token({ roles: ["regulator"], tenantCode: "441300" });
    maomingRegulator = await platform.token({ roles: ["regulator"], tenantCode: "440900" });
    purchaser = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300001" });
  });
  afterAll(() => platform.stop());

  const create = (body: unknown, token = admin) => platform.api("/api/registries/suppliers", { method: "POST", token, body });
  const get = (c: string, token = admin) => platform.api(`/api/registries/suppliers/${c}`, { token });
  const patch = (c: string, body: unknown, token = admin) => platform.api(`/api/registries/suppliers/${c}`, { method: "PATCH", token, body });
  const list = (query: string, token = admin) => platform.api(`/api/registries/suppliers${query}`, { token });
  const auditOf = (object: string) => platform.kernel.db.knex("core_audit_log").where({ object }).orderBy("id");

  describe("registering a supplier", () => {
    test("a tenant admin registers a supplier of a county below their city; the answer says whether it is an SME", async () => {
      const res = await create(supplier(), huizhouAdmin);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ ...supplier(), sme: true, status: "active", version: 1 });
      const read = await get(supplier().creditCode, huizhouRegulator);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(res.body);
    });

    test("the registration is in the audit log, with who did it and what was stored", async () => {
      const [entry] = await auditOf(supplier().creditCode);
      expect(entry).toMatchObject({ action: "registries.suppliers.create", tenant_code: "441302", before: null });
      expect(entry.after).toMatchObject({ name: supplier().name, contactPhone: "0752-2345678", sme: true });
      expect(entry.actor).toMatchObject({ tenant: "441300" });
    });

    test("a large or medium enterprise is not an SME", async () => {
      const res = await create(supplier({ name: "广东粤电设备集团有限公司", creditCode: code("441300", 2), region: "441300", sizeClass: "large" }));
      expect(res.status).toBe(201);
      expect(res.body.sme).toBe(false);
    });

    test("a tenant admin cannot register a supplier of another city, and a regulator none at all", async () => {
      const maoming = supplier({ name: "茂名石化配件有限公司", creditCode: code("440902", 3), region: "440902" });
      expect((await create(maoming, huizhouAdmin)).status).toBe(403);
      expect((await create(maoming, maomingRegulator)).status).toBe(403);
      expect((await get(maoming.creditCode)).status).toBe(404);
    });

    test.each([
      ["a credit code whose check character is wrong", { creditCode: withWrongCheck(code("441302", 7)) }, "/creditCode", "format:uscc"],
      ["a credit code in lower case", { creditCode: code("441302", 7).toLowerCase() }, "/creditCode", "format:uscc"],
      ["a credit code of 17 characters", { creditCode: code("441302", 7).slice(0, 17) }, "/creditCode", "format:uscc"],
      ["a missing size class", { sizeClass: undefined }, "/sizeClass", "required"],
      ["a size class the standard does not have", { sizeClass: "tiny" }, "/sizeClass", "enum"],
      ["a region that is not a tenant of the platform", { region: "450100" }, "/region", "tenant"],
      ["Shenzhen, which runs its own platform", { region: "440300" }, "/region", "tenant"],
      ["a malformed phone number", { contactPhone: "12345" }, "/contactPhone", "format:phone-cn"],
      ["a field the form does not have", { sme: true }, "/sme", "additionalProperties"],
      ["an unknown status", { status: "closed" }, "/status", "enum"],
    ])("%s is refused at that field, in both languages, and nothing is stored", async (_case, change, path, rule) => {
      const before = (await list("")).body.total;
      const res = await create(supplier({ creditCode: code("441302", 7), ...change }));
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
      const detail = res.body.error.details.find((d: { path: string }) => d.path === path);
      expect(detail).toMatchObject({ path, rule });
      expect(detail.message["zh-CN"]).toBeTruthy();
      expect(detail.message.en).toBeTruthy();
      expect((await list("")).body.total).toBe(before);
    });

    test("a code registered already is refused on that field; of ten concurrent registrations exactly one is stored", async () => {
      const dup = await create(supplier({ name: "另一家公司" }));
      expect(dup.status).toBe(400);
      expect(dup.body.error.details).toEqual([expect.objectContaining({ path: "/creditCode", rule: "unique" })]);
      const c = code("441303", 8);
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => create(supplier({ name: `并发公司${i}`, creditCode: c, region: "441303" }))));
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 400 && r.body.error.details[0].rule === "unique")).toHaveLength(9);
      expect(await auditOf(c)).toHaveLength(1);
    });
  });

  describe("finding suppliers", () => {
    beforeAll(async () => {
      const rows: Array<[string, string, string, number]> = [
        ["惠州市惠阳区文具批发部", "441303", "micro", 101],
        ["博罗县建筑工程有限公司", "441322", "medium", 102],
        ["惠东县印刷有限公司", "441323", "small", 103],
        ["茂名市印刷厂有限公司", "440902", "large", 104],
        ["化州市农机有限公司", "440982", "micro", 105],
      ];
      for (const [name, region, sizeClass, n] of rows) {
        const res = await create(supplier({ name, region, sizeClass, creditCode: code(region, n) }));
        expect(res.status).toBe(201);
      }
    });

    const names = (res: { body: { items: Array<{ name: string }> } }) => res.body.items.map((s) => s.name).sort();

    test("by part of the name, two-character Chinese words too", async () => {
      expect(names(await list(`?q=${encodeURIComponent("印刷")}`))).toEqual(["茂名市印刷厂有限公司", "惠东县印刷有限公司"].sort());
    });

    test("by the beginning of the credit code, in any case", async () => {
      const c = code("440982", 105);
      expect(names(await list(`?q=${c.slice(0, 10).toLowerCase()}`))).toEqual(["化州市农机有限公司"]);
      expect(names(await list(`?q=${c}`))).toEqual(["化州市农机有限公司"]);
    });

    test("LIKE wildcards in a search match literally", async () => {
      expect((await list(`?q=${encodeURIComponent("%")}`)).body.total).toBe(0);
      expect((await list("?q=_")).body.total).toBe(0);
    });

    test("by tenant: the tenant and every tenant below it", async () => {
      const huizhou = (await list("?tenant=441300&pageSize=100")).body.items as Array<{ region: string }>;
      expect(huizhou.length).toBeGreaterThan(3);
      expect(huizhou.every((s) => s.region.startsWith("4413"))).toBe(true);
      expect(huizhou.map((s) => s.region)).toEqual(expect.arrayContaining(["441300", "441302", "441303", "441322", "441323"]));
      expect(names(await list("?tenant=440900"))).toEqual(["化州市农机有限公司", "茂名市印刷厂有限公司"].sort());
      expect(names(await list("?tenant=440982"))).toEqual(["化州市农机有限公司"]);
    });

    test("by size class, and SMEs (small and micro) at once", async () => {
      expect(names(await list("?sizeClass=micro&pageSize=100"))).toEqual(["化州市农机有限公司", "惠州市惠阳区文具批发部"].sort());
      const smes = (await list("?sme=true&pageSize=100")).body.items as Array<{ sizeClass: string; sme: boolean }>;
      expect(smes.length).toBeGreaterThan(0);
      expect(smes.every((s) => s.sme && ["small", "micro"].includes(s.sizeClass))).toBe(true);
      expect(names(await list("?sme=false&tenant=440900"))).toEqual(["茂名市印刷厂有限公司"]);
    });

    test("a filter that cannot match anything real is a 400 naming it, not an empty list", async () => {
      const res = await list("?sizeClass=huge&tenant=440300&status=gone");
      expect(res.status).toBe(400);
      expect(res.body.error.details.map((d: { path: string; rule: string }) => `${d.path} ${d.rule}`).sort()).toEqual(["/sizeClass enum", "/status enum", "/tenant tenant"]);
    });

    test("page by page, without overlap, in name order", async () => {
      const all = (await list("?pageSize=100")).body;
      const seen: string[] = [];
      for (let page = 1; page <= Math.ceil(all.total / 2); page++) {
        const res = await list(`?page=${page}&pageSize=2`);
        expect(res.body).toMatchObject({ page, pageSize: 2, total: all.total });
        seen.push(...res.body.items.map((s: { creditCode: string }) => s.creditCode));
      }
      expect(seen).toEqual(all.items.map((s: { creditCode: string }) => s.creditCode));
    });

    test("by several words, full-width and any case, as every list searches (core's list-query)", async () => {
      expect(names(await list(`?q=${encodeURIComponent("茂名 印刷")}`))).toEqual(["茂名市印刷厂有限公司"]);
      expect(names(await list(`?q=${encodeURIComponent("印刷　有限公司")}`))).toEqual(["茂名市印刷厂有限公司", "惠东县印刷有限公司"].sort());
      // the search reads a normalised column with a bigram index, not ILIKE over the raw name
      const plan = await platform.kernel.db.knex.raw("explain select 1 from registries_suppliers where registries_bigrams(search) @> array['印刷']");
      expect(JSON.stringify(plan.rows)).toContain("registries_suppliers_search_bigrams");
    });

    test("page after page by cursor, in the same name order as page numbers, to the end", async () => {
      const all = (await list("?pageSize=100")).body;
      expect(all.nextCursor).toBeNull();
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await list(`?pageSize=2${cursor ? `&cursor=${cursor}` : ""}`);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ total: all.total, totalIsEstimate: false });
        seen.push(...res.body.items.map((s: { creditCode: string }) => s.creditCode));
        cursor = res.body.nextCursor;
      } while (cursor && seen.length <= all.total);
      expect(seen).toEqual(all.items.map((s: { creditCode: string }) => s.creditCode));
    });

    test("the list as a file: CSV with the import's columns, the list's filters and order; what the caller may not read stays empty; it imports back", async () => {
      const download = async (url: string, token: string) => {
        const res = await fetch(platform.baseUrl + url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(60_000) });
        return { status: res.status, type: res.headers.get("content-type"), rows: res.headers.get("x-export-rows"), lines: Buffer.from(await res.arrayBuffer()).toString("utf8").replace(/^\uFEFF/, "").split("\r\n").filter(Boolean) };
      };
      const listed = (await list("?tenant=441300&pageSize=100")).body.items.map((s: { creditCode: string }) => s.creditCode);
      const file = await download("/api/registries/suppliers/export?tenant=441300&format=csv", admin);
      expect([file.status, file.type]).toEqual([200, expect.stringContaining("text/csv")]);
      const header = file.lines[0].split(",");
      expect(header).toEqual(["name", "credit_code", "size_class", "region", "contact_name", "contact_phone", "contact_email", "address", "status"]);
      expect(file.lines.slice(1).map((l) => l.split(",")[1])).toEqual(listed);
      expect(file.rows).toBe(String(listed.length));
      // a purchaser reads no supplier's contacts: the columns are there, empty
      const seen = await download("/api/registries/suppliers/export?tenant=441300&format=csv", purchaser);
      expect(seen.lines.slice(1).every((l) => l.split(",").slice(4, 8).every((v) => v === ""))).toBe(true);
      expect(seen.lines.length).toBe(file.lines.length);
      // bad input: a format that is none, a tenant that is none
      expect((await platform.api("/api/registries/suppliers/export?format=pdf", { token: admin })).body.error.details).toEqual([expect.objectContaining({ path: "/format" })]);
      expect((await platform.api("/api/registries/suppliers/export?tenant=999999&format=csv", { token: admin })).status).toBe(400);
      // what was exported imports back unchanged: nothing created, nothing changed
      const res = await platform.api("/api/registries/suppliers/import", { method: "POST", token: admin, raw: file.lines.join("\n") + "\n", headers: { "content-type": "text/csv" } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ created: 0 });
    });

    test("a city and its counties, page after page by cursor and by number: the same name order as one page, read region by region", async () => {
      const all = (await list("?tenant=441300&pageSize=100")).body;
      expect(all.items.length).toBeGreaterThan(3);
      const expected = all.items.map((s: { creditCode: string }) => s.creditCode);
      const collate = await platform.kernel.db.knex("registries_suppliers").whereIn("credit_code", expected).orderBy([{ column: "name" }, { column: "credit_code" }]).pluck("credit_code");
      expect(expected).toEqual(collate);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await list(`?tenant=441300&pageSize=2${cursor ? `&cursor=${cursor}` : ""}`);
        expect(res.status).toBe(200);
        seen.push(...res.body.items.map((s: { creditCode: string }) => s.creditCode));
        cursor = res.body.nextCursor;
      } while (cursor && seen.length <= expected.length);
      expect(seen).toEqual(expected);
      const numbered: string[] = [];
      for (let page = 1; page <= Math.ceil(expected.length / 2); page++) {
        numbered.push(...(await list(`?tenant=441300&pageSize=2&page=${page}`)).body.items.map((s: { creditCode: string }) => s.creditCode));
      }
      expect(numbered).toEqual(expected);
      // the page is read per region (a union of one walk each), and each walks its (region, name) index
      const sqls: string[] = [];
      const spy = (q: { sql: string }) => sqls.push(q.sql);
      platform.kernel.db.knex.on("query", spy);
      try {
        await list("?tenant=441300&pageSize=2");
      } finally {
        platform.kernel.db.knex.off("query", spy);
      }
      expect(sqls.some((q) => q.includes("union all") && q.includes("registries_suppliers"))).toBe(true);
      expect((await list("?tenant=441302&pageSize=2")).body.items.length).toBeGreaterThan(0);
      const { sql, bindings } = platform.kernel.db.knex("registries_suppliers").where("region", "441302").orderBy(["name", "credit_code"]).limit(21).toSQL();
      const plan = await platform.kernel.db.knex.raw(`explain ${sql}`, bindings as never);
      expect(JSON.stringify(plan.rows)).toContain("registries_suppliers_region_name");
    });

    test("a tampered cursor is 400 at /cursor, and a cursor of the agencies' list is refused here", async () => {
      const first = (await list("?pageSize=1")).body.nextCursor as string;
      const edited = Buffer.from(JSON.stringify([...JSON.parse(Buffer.from(first, "base64url").toString()).slice(0, 2), 42])).toString("base64url");
      const agencies = Buffer.from(JSON.stringify(["registries.Agency", "甲", "91440000000000000X"])).toString("base64url");
      for (const cursor of [edited, agencies, "not*a*cursor"]) {
        const res = await list(`?cursor=${cursor}`);
        expect(res.status).toBe(400);
        expect(res.body.error.details).toEqual([expect.objectContaining({ path: "/cursor", rule: "cursor" })]);
      }
    });

    test("a code nobody registered, and a path that is no credit code, answer the same 404", async () => {
      const missing = await get(code("441302", 999), purchaser);
      const garbage = await get("not-a-code", purchaser);
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe("NOT_FOUND");
      expect(garbage.body).toEqual(missing.body);
      // lower case in a path is the same code
      expect((await get(code("440982", 105).toLowerCase(), purchaser)).status).toBe(200);
    });

    test("without a token the registry is closed", async () => {
      expect((await platform.api("/api/registries/suppliers")).status).toBe(401);
      expect((await platform.api(`/api/registries/suppliers/${supplier().creditCode}`)).status).toBe(401);
    });
  });

  describe("who sees what", () => {
    const own = () => supplier().creditCode; // 441302, Huizhou
    const maoming = () => code("440902", 104); // Maoming's printing works
    const keys = (body: Record<string, unknown>) => Object.keys(body).sort();

    test("a purchaser sees every supplier's public fields, and no contacts (absent, not null)", async () => {
      for (const c of [own(), maoming()]) {
        const res = await get(c, purchaser);
        expect(res.status).toBe(200);
        expect(keys(res.body)).toEqual(PUBLIC);
      }
      const listed = (await list("?pageSize=100", purchaser)).body.items as Array<Record<string, unknown>>;
      expect(listed.length).toBe((await list("?pageSize=100")).body.total);
      for (const s of listed) expect(keys(s)).toEqual(PUBLIC);
    });

    test("a supplier sees its own contacts but not another supplier's", async () => {
      const self = await platform.token({ roles: ["supplier"], tenantCode: "441302", unitCode: own() });
      const mine = await get(own(), self);
      expect(mine.body).toMatchObject({ contactName: "黄伟", contactPhone: "0752-2345678", version: expect.any(Number) });
      const theirs = await get(maoming(), self);
      expect(keys(theirs.body)).toEqual(PUBLIC);
    });

    test("regulators see the contacts of their region's suppliers only", async () => {
      expect((await get(own(), huizhouRegulator)).body.contactPhone).toBe("0752-2345678");
      expect(keys((await get(maoming(), huizhouRegulator)).body)).toEqual(PUBLIC);
      expect(keys((await get(own(), maomingRegulator)).body)).toEqual(PUBLIC);
      expect((await get(maoming(), maomingRegulator)).body.contactName).toBe("黄伟");
    });

    test("another city's tenant admin sees the public fields and may change nothing", async () => {
      const before = (await get(own())).body;
      expect(keys((await get(own(), maomingAdmin)).body)).toEqual(PUBLIC);
      const rename = await patch(own(), { name: "改名公司" }, maomingAdmin);
      expect(rename.status).toBe(403);
      expect(rename.body.error.code).toBe("FORBIDDEN");
      expect((await platform.api(`/api/registries/suppliers/${own()}`, { method: "DELETE", token: maomingAdmin })).status).toBe(403);
      expect((await get(own())).body).toEqual(before);
      // changing a supplier nobody registered is 404, whoever asks
      expect((await patch(code("441302", 998), { name: "改名公司" }, maomingAdmin)).status).toBe(404);
    });
  });

  describe("changing a supplier", () => {
    const c = () => supplier().creditCode;

    test("the supplier keeps its own contact details current; the version moves on and the change is audited", async () => {
      const self = await platform.token({ roles: ["supplier"], tenantCode: "441302", unitCode: c() });
      const { version } = (await get(c())).body;
      const res = await patch(c(), { contactName: "林静", contactPhone: "13800138000" }, self);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ contactName: "林静", contactPhone: "13800138000", version: version + 1 });
      const entry = (await auditOf(c())).pop();
      expect(entry).toMatchObject({ action: "registries.suppliers.update", before: expect.objectContaining({ contactName: "黄伟" }), after: expect.objectContaining({ contactName: "林静" }) });
    });

    test("the supplier cannot change its own name, size class or status, nor another supplier's contacts", async () => {
      const self = await platform.token({ roles: ["supplier"], tenantCode: "441302", unitCode: c() });
      for (const body of [{ name: "改名公司" }, { sizeClass: "micro" }, { status: "active", sizeClass: "medium" }]) {
        expect((await patch(c(), body, self)).status).toBe(403);
      }
      // sending the values it already has is no change
      expect((await patch(c(), { name: supplier().name, address: "惠州市惠城区演达大道 9 号" }, self)).status).toBe(200);
      expect((await patch(code("440902", 104), { contactPhone: "13900139000" }, self)).status).toBe(403);
    });

    test("a purchaser may change no supplier", async () => {
      expect((await patch(c(), { contactPhone: "13900139000" }, purchaser)).status).toBe(403);
    });

    test("a tenant admin changes the size class; the supplier is no longer an SME", async () => {
      const res = await patch(c(), { sizeClass: "medium" }, huizhouAdmin);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ sizeClass: "medium", sme: false });
    });

    test("a tenant admin cannot move a supplier out of their tenants", async () => {
      expect((await patch(c(), { region: "440900" }, huizhouAdmin)).status).toBe(403);
      expect((await get(c())).body.region).toBe("441302");
      expect((await patch(c(), { region: "441303" }, huizhouAdmin)).status).toBe(200);
    });

    test("the credit code cannot change: it is the supplier's identity", async () => {
      const res = await patch(c(), { creditCode: code("441302", 555) }, admin);
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([expect.objectContaining({ path: "/creditCode", rule: "readOnly" })]);
    });

    test("null (or an empty string) clears an optional field", async () => {
      const res = await patch(c(), { contactEmail: null, address: "" }, huizhouAdmin);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ contactEmail: null, address: null });
    });

    test("an invalid change is refused at its field and leaves the supplier as it was", async () => {
      const before = (await get(c())).body;
      const res = await patch(c(), { contactEmail: "not-an-email", name: null }, admin);
      expect(res.status).toBe(400);
      expect(res.body.error.details.map((d: { path: string; rule: string }) => `${d.path} ${d.rule}`).sort()).toEqual(["/contactEmail format:email", "/name required"]);
      expect((await get(c())).body).toEqual(before);
    });

    test("of two edits made from the same version, exactly one wins", async () => {
      const { version } = (await get(c())).body;
      const results = await Promise.all(["惠州市江北一路", "惠州市江北二路", "惠州市江北三路"].map((address) => patch(c(), { address, expectedVersion: version })));
      expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
      expect(results.find((r) => r.status === 409)!.body.error).toMatchObject({ code: "CONFLICT", details: { currentVersion: version + 1 } });
      expect((await get(c())).body.version).toBe(version + 1);
    });
  });

  describe("deregistering a supplier", () => {
    const c = () => code("441323", 103);

    test("DELETE deregisters it, keeps it readable, and is audited once however often it is sent", async () => {
      const first = await platform.api(`/api/registries/suppliers/${c()}`, { method: "DELETE", token: huizhouAdmin });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ status: "deregistered", name: "惠东县印刷有限公司" });
      const again = await platform.api(`/api/registries/suppliers/${c()}`, { method: "DELETE", token: huizhouAdmin });
      expect(again.body).toEqual(first.body);
      expect((await get(c(), purchaser)).body.status).toBe("deregistered");
      expect((await list("?status=deregistered")).body.items.map((s: { creditCode: string }) => s.creditCode)).toEqual([c()]);
      const entries = (await auditOf(c())).filter((e) => e.action === "registries.suppliers.deactivate");
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ before: expect.objectContaining({ status: "active" }), after: expect.objectContaining({ status: "deregistered" }) });
    });

    test("a regulator and the supplier itself cannot deregister it", async () => {
      const self = await platform.token({ roles: ["supplier"], tenantCode: "441303", unitCode: code("441303", 101) });
      expect((await platform.api(`/api/registries/suppliers/${code("441303", 101)}`, { method: "DELETE", token: self })).status).toBe(403);
      expect((await platform.api(`/api/registries/suppliers/${code("441303", 101)}`, { method: "DELETE", token: huizhouRegulator })).status).toBe(403);
    });
  });

  describe("other plugins ask through the broker, as their caller", () => {
    const user = (over: Partial<SessionUser>): SessionUser => ({ id: "00000000-0000-4000-8000-000000000001", username: "caller", tenantCode: "441300", roles: [], ...over });
    const call = (meta: Record<string, unknown>) => platform.kernel.broker.call("registries.suppliers.get", { code: code("441303", 101) }, { meta });

    test("registries.suppliers.get answers what the caller may see", async () => {
      const asPurchaser = (await call({ user: user({ roles: ["purchaser"], unitCode: "441300001" }) })) as Record<string, unknown>;
      expect(Object.keys(asPurchaser).sort()).toEqual(PUBLIC);
      expect(asPurchaser).toMatchObject({ name: "惠州市惠阳区文具批发部", sme: true });
      const asRegulator = (await call({ user: user({ roles: ["regulator"] }) })) as Record<string, unknown>;
      expect(asRegulator).toHaveProperty("contactPhone");
    });

    test("without a caller it refuses, and a code nobody registered is NOT_FOUND", async () => {
      await expect(call({})).rejects.toMatchObject({ type: "UNAUTHENTICATED" });
      await expect(platform.kernel.broker.call("registries.suppliers.get", { code: code("441303", 999) }, { meta: { user: user({ roles: ["purchaser"] }) } })).rejects.toMatchObject({ type: "NOT_FOUND" });
    });
  });
});
