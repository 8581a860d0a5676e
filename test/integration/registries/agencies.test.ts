import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { creditCode, withWrongCheck } from "../../support/registries";
import type { SessionUser } from "../../../core/plugins/types";

const code = (division: string, n: number) => creditCode(division, n, "91");

// Huizhou-only: based in Huizhou, works in Huizhou.
const HUIZHOU_ONLY = code("441300", 1);
// Based in Huizhou, works in Huizhou and Maoming.
const TWO_CITIES = code("441300", 2);
// Based in Maoming, works in two of its districts.
const MAOMING = code("440900", 3);

const agency = (over: Record<string, unknown> = {}) => ({
  name: "惠州市公信招标代理有限公司",
  creditCode: HUIZHOU_ONLY,
  region: "441300",
  tenantsServed: ["441300"],
  accreditation: { recordNumber: "粤采代〔2018〕0101", registeredOn: "2018-06-01", authority: "440000" },
  contactName: "周敏",
  contactPhone: "0752-2887766",
  contactEmail: "bid@gongxin.example.cn",
  address: "惠州市江北文昌一路 11 号",
  ...over,
});

const PUBLIC = ["accreditation", "creditCode", "name", "status", "tenantsServed"].sort();
const keys = (body: Record<string, unknown>) => Object.keys(body).sort();

describe("the agencies registry", () => {
  let platform: TestPlatform;
  let admin: string;
  let huizhouAdmin: string;
  let maomingAdmin: string;
  let maomingRegulator: string;
  let purchaser: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    huizhouAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
    maomingAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "440900" });
    maomingRegulator = await platform.token({ roles: ["regulator"], tenantCode: "440900" });
    purchaser = await platform.token({ roles: ["purchaser"], tenantCode: "440900", unitCode: "440900001" });
  });
  afterAll(() => platform.stop());

  const create = (body: unknown, token = admin) => platform.api("/api/registries/agencies", { method: "POST", token, body });
  const get = (c: string, token = admin) => platform.api(`/api/registries/agencies/${c}`, { token });
  const patch = (c: string, body: unknown, token = admin) => platform.api(`/api/registries/agencies/${c}`, { method: "PATCH", token, body });
  const remove = (c: string, token = admin) => platform.api(`/api/registries/agencies/${c}`, { method: "DELETE", token });
  const list = (query: string, token = admin) => platform.api(`/api/registries/agencies${query}`, { token });

  describe("registering an agency", () => {
    test("a tenant admin registers an agency based in their city, with its listing at the finance department", async () => {
      const res = await create(agency(), huizhouAdmin);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ ...agency(), status: "active", version: 1 });
      expect(await platform.kernel.db.knex("core_audit_log").where({ object: HUIZHOU_ONLY, action: "registries.agencies.create" })).toHaveLength(1);
    });

    test("based in Huizhou, it may serve Maoming too: the regions served are kept as a set", async () => {
      const res = await create(
        agency({ name: "广东华南招标咨询有限公司", creditCode: TWO_CITIES, tenantsServed: ["440900", "441300"], accreditation: { recordNumber: "粤采代〔2018〕0102", registeredOn: "2018-07-15", authority: "440000" } }),
        huizhouAdmin,
      );
      expect(res.status).toBe(201);
      expect(res.body.tenantsServed).toEqual(["440900", "441300"]);
    });

    test("a tenant admin cannot register an agency based in another city", async () => {
      const maoming = agency({ name: "茂名市诚达采购代理有限公司", creditCode: MAOMING, region: "440900", tenantsServed: ["440904", "440902"], accreditation: { recordNumber: "粤采代〔2019〕0203", registeredOn: "2019-03-01", authority: "440000" } });
      expect((await create(maoming, huizhouAdmin)).status).toBe(403);
      expect((await create(maoming, maomingRegulator)).status).toBe(403);
      const res = await create(maoming, maomingAdmin);
      expect(res.status).toBe(201);
      expect(res.body.tenantsServed).toEqual(["440902", "440904"]);
    });

    const fresh = (over: Record<string, unknown>) => agency({ name: "新登记代理公司", creditCode: code("441302", 9), accreditation: { recordNumber: "粤采代〔2020〕0909", registeredOn: "2020-01-02", authority: "440000" }, ...over });
    test.each([
      ["a credit code whose check character is wrong", { creditCode: withWrongCheck(code("441302", 9)) }, "/creditCode", "format:uscc"],
      ["no region served", { tenantsServed: [] }, "/tenantsServed", "minItems"],
      ["the same region served twice", { tenantsServed: ["441300", "441300"] }, "/tenantsServed", "uniqueItems"],
      ["a region served that is not on the platform", { tenantsServed: ["441300", "440300"] }, "/tenantsServed/1", "tenant"],
      ["a home region that is not a tenant", { region: "450100" }, "/region", "tenant"],
      ["no listing at all", { accreditation: undefined }, "/accreditation", "required"],
      ["a listing without its record number", { accreditation: { registeredOn: "2020-01-02", authority: "440000" } }, "/accreditation/recordNumber", "required"],
      ["a listing date that is no date", { accreditation: { recordNumber: "X-1", registeredOn: "2020-13-01", authority: "440000" } }, "/accreditation/registeredOn", "format:date"],
      ["a listing dated in the future", { accreditation: { recordNumber: "X-1", registeredOn: "2999-01-01", authority: "440000" } }, "/accreditation/registeredOn", "past"],
      ["a listing by a city, not a province", { accreditation: { recordNumber: "X-1", registeredOn: "2020-01-02", authority: "441300" } }, "/accreditation/authority", "province"],
      ["a field the listing does not have", { accreditation: { recordNumber: "X-1", registeredOn: "2020-01-02", authority: "440000", level: "甲级" } }, "/accreditation/level", "additionalProperties"],
    ])("%s is refused at that field, and nothing is stored", async (_case, change, path, rule) => {
      const before = (await list("")).body.total;
      const res = await create(fresh(change));
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
      expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path, rule })]));
      expect((await list("")).body.total).toBe(before);
    });

    test("a department's record number belongs to one agency; another department may use the same number", async () => {
      const taken = await create(fresh({ accreditation: { recordNumber: "粤采代〔2018〕0101", registeredOn: "2020-01-02", authority: "440000" } }));
      expect(taken.status).toBe(400);
      expect(taken.body.error.details).toEqual([expect.objectContaining({ path: "/accreditation/recordNumber", rule: "unique" })]);
      const elsewhere = await create(fresh({ accreditation: { recordNumber: "粤采代〔2018〕0101", registeredOn: "2020-01-02", authority: "110000" } }));
      expect(elsewhere.status).toBe(201);
    });
  });

  describe("finding agencies", () => {
    const codes = (res: { body: { items: Array<{ creditCode: string }> } }) => res.body.items.map((a) => a.creditCode).sort();

    test("by tenant: the agencies that serve it or a tenant below it", async () => {
      expect(codes(await list("?tenant=440900"))).toEqual([TWO_CITIES, MAOMING].sort());
      expect(codes(await list("?tenant=440902"))).toEqual([MAOMING]);
      expect(codes(await list("?tenant=441324"))).toEqual([]);
      expect(codes(await list("?tenant=441300&q=" + encodeURIComponent("招标")))).toEqual([HUIZHOU_ONLY, TWO_CITIES].sort());
    });

    test("by the beginning of the credit code, and by status", async () => {
      expect(codes(await list(`?q=${MAOMING.slice(0, 12)}`))).toEqual([MAOMING]);
      expect((await list("?status=suspended")).body.total).toBe(0);
      expect((await list("?status=closed")).status).toBe(400);
    });
  });

  describe("who sees and changes what", () => {
    test("Maoming's tenant admin sees only the public fields of a Huizhou-only agency, and can neither change nor deregister it", async () => {
      const before = (await get(HUIZHOU_ONLY)).body;
      const seen = await get(HUIZHOU_ONLY, maomingAdmin);
      expect(keys(seen.body)).toEqual(PUBLIC);
      const listed = (await list("?pageSize=100", maomingAdmin)).body.items.find((a: { creditCode: string }) => a.creditCode === HUIZHOU_ONLY);
      expect(keys(listed)).toEqual(PUBLIC);
      expect((await patch(HUIZHOU_ONLY, { contactPhone: "13900139000" }, maomingAdmin)).status).toBe(403);
      expect((await patch(HUIZHOU_ONLY, { tenantsServed: ["440900"] }, maomingAdmin)).status).toBe(403);
      expect((await remove(HUIZHOU_ONLY, maomingAdmin)).status).toBe(403);
      expect((await get(HUIZHOU_ONLY)).body).toEqual(before);
    });

    test("an agency that serves Maoming is overseen there (contacts visible) but changed only by its home region", async () => {
      expect((await get(TWO_CITIES, maomingAdmin)).body.contactPhone).toBe("0752-2887766");
      expect((await get(TWO_CITIES, maomingRegulator)).body.contactPhone).toBe("0752-2887766");
      expect(keys((await get(HUIZHOU_ONLY, maomingRegulator)).body)).toEqual(PUBLIC);
      expect((await patch(TWO_CITIES, { contactPhone: "13900139000" }, maomingAdmin)).status).toBe(403);
      const res = await patch(TWO_CITIES, { tenantsServed: ["441300", "440900", "441322"] }, huizhouAdmin);
      expect(res.status).toBe(200);
      expect(res.body.tenantsServed).toEqual(["440900", "441300", "441322"]);
    });

    test("the same regions served in another order are no change", async () => {
      const before = (await get(TWO_CITIES)).body;
      const res = await patch(TWO_CITIES, { tenantsServed: ["441322", "441300", "440900"] }, huizhouAdmin);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(before);
    });

    test("a purchaser sees the public fields of every agency", async () => {
      for (const c of [HUIZHOU_ONLY, TWO_CITIES, MAOMING]) expect(keys((await get(c, purchaser)).body)).toEqual(PUBLIC);
    });

    test("an agency sees and keeps its own contacts current, and nothing else of its record", async () => {
      const self = await platform.token({ roles: ["agency"], tenantCode: "441300", unitCode: HUIZHOU_ONLY });
      expect((await get(HUIZHOU_ONLY, self)).body.contactName).toBe("周敏");
      expect(keys((await get(MAOMING, self)).body)).toEqual(PUBLIC);
      const res = await patch(HUIZHOU_ONLY, { contactName: "吴丽", contactEmail: null }, self);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ contactName: "吴丽", contactEmail: null, version: 2 });
      expect((await patch(HUIZHOU_ONLY, { tenantsServed: ["441300", "440900"] }, self)).status).toBe(403);
      expect((await patch(HUIZHOU_ONLY, { accreditation: { registeredOn: "2018-06-02" } }, self)).status).toBe(403);
      expect((await patch(MAOMING, { contactName: "吴丽" }, self)).status).toBe(403);
    });

    test("part of the listing changes as a merge patch: the rest of it stays", async () => {
      const res = await patch(HUIZHOU_ONLY, { accreditation: { registeredOn: "2018-06-02" } }, huizhouAdmin);
      expect(res.status).toBe(200);
      expect(res.body.accreditation).toEqual({ recordNumber: "粤采代〔2018〕0101", registeredOn: "2018-06-02", authority: "440000" });
      const [entry] = await platform.kernel.db.knex("core_audit_log").where({ object: HUIZHOU_ONLY, action: "registries.agencies.update" }).orderBy("id", "desc").limit(1);
      expect(entry.before.accreditation.registeredOn).toBe("2018-06-01");
      expect(entry.after.accreditation.registeredOn).toBe("2018-06-02");
    });

    test("an agency nobody registered is 404 to everyone, a malformed code too", async () => {
      const missing = await get(code("441300", 777), maomingAdmin);
      expect(missing.status).toBe(404);
      expect((await get("91441300", maomingAdmin)).body).toEqual(missing.body);
      expect((await patch(code("441300", 777), { name: "某公司" }, maomingAdmin)).body).toEqual(missing.body);
      expect((await remove(code("441300", 777), huizhouAdmin)).body).toEqual(missing.body);
    });
  });

  describe("deregistering and asking through the broker", () => {
    test("its home region's admin deregisters an agency; it stays readable as deregistered", async () => {
      const res = await remove(TWO_CITIES, huizhouAdmin);
      expect(res.status).toBe(200);
      expect(res.body.status).toBe("deregistered");
      expect((await get(TWO_CITIES, purchaser)).body.status).toBe("deregistered");
    });

    test("registries.agencies.get answers other plugins what their caller may see", async () => {
      const user = (over: Partial<SessionUser>): SessionUser => ({ id: "00000000-0000-4000-8000-000000000002", username: "caller", tenantCode: "440900", roles: [], ...over });
      const asSupplier = (await platform.kernel.broker.call("registries.agencies.get", { code: MAOMING }, { meta: { user: user({ roles: ["supplier"] }) } })) as Record<string, unknown>;
      expect(keys(asSupplier)).toEqual(PUBLIC);
      const asRegulator = (await platform.kernel.broker.call("registries.agencies.get", { code: MAOMING }, { meta: { user: user({ roles: ["regulator"] }) } })) as Record<string, unknown>;
      expect(asRegulator).toMatchObject({ region: "440900", contactName: "周敏" });
    });
  });
});
