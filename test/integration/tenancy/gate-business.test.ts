import { randomUUID } from "node:crypto";
import { newSigningKey, sealBid, softwareSigner } from "../../../plugins/etrading/sealed";
import { usccCheckChar } from "../../../core/forms/formats";
import { packageOf, publishedTender, registerCustodianKeys, startBidsWorld, stopBidsWorld, UNITS, type BidsWorld } from "../etrading/bids-support";

/**
 * The module gate applies where the business is (DESIGN.md §5, core/tenancy/README.md "The gate"):
 * a tender's actions are governed by its purchaser's region's schedule and unit, whoever calls them.
 * Seeded schedule: e-trading live in Huizhou (441300), off in Guangzhou (440100), Maonan (440902)
 * off until 2021-08-01.
 */
const company = (division: string, n: number) => {
  const first17 = `91${division}${String(n).padStart(8, "0")}M`;
  return first17 + usccCheckChar(first17);
};
const GZ_SUPPLIER = { creditCode: company("440100", 8101), name: "广州市照明工程有限公司", sizeClass: "medium", region: "440100" };
const HZ_SUPPLIER = { creditCode: company("441300", 8102), name: "惠州市光明照明有限公司", sizeClass: "small", region: "441300" };
const OTHER_UNIT = { budgetCode: "441300402", tenantCode: "441300", name: "惠州市水利局" };

describe("the module gate by the place of the business", () => {
  let w: BidsWorld;
  const t: Record<string, string> = {};
  const api = (who: string, p: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) => w.platform.api(p, { ...init, token: t[who] });
  const register = (who: string, tender: string, headers: Record<string, string> = {}) => api(who, `/api/etrading/tenders/${tender}/registrations`, { method: "POST", headers });
  const registrations = async (tender: string) => (await w.platform.kernel.db.knex("etrading_registrations").where({ tender_id: tender })).map((r) => r.supplier_code as string);
  /** An administrator's schedule entry for Huizhou's e-trading, from a day ahead of the clock for a day; then the clock goes into it. */
  const huizhouFor = async (state: string, units?: string[]) => {
    const now = w.platform.kernel.clock.nowMs();
    const from = new Date(now + 86_400_000);
    const r = await api("admin", "/api/tenants/441300/modules/etrading", { method: "PUT", body: { state, from: from.toISOString(), until: new Date(now + 2 * 86_400_000).toISOString(), ...(units ? { units } : {}) } });
    expect([r.status, r.body?.error]).toEqual([200, undefined]);
    w.platform.kernel.clock.travelTo(new Date(from.getTime() + 3600_000));
  };
  /** A published Huizhou tender (suppliers 0-2 of the bids world registered), optionally of another unit or tenant. */
  const tender = async (over: { unit?: string; tenant_code?: string } = {}) => {
    const id = await publishedTender(w, new Date(Math.ceil(Date.now() / 1000) * 1000 + 10 * 86_400_000));
    if (Object.keys(over).length) await w.platform.kernel.db.knex("etrading_tenders").where({ id }).update(over);
    return id;
  };

  beforeAll(async () => {
    w = await startBidsWorld();
    t.admin = await w.platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    t.gzSupplier = await w.platform.token({ roles: ["supplier"], tenantCode: "440100", unitCode: GZ_SUPPLIER.creditCode });
    t.hzSupplier = await w.platform.token({ roles: ["supplier"], tenantCode: "441300", unitCode: HZ_SUPPLIER.creditCode });
    t.hzRegulator = await w.platform.token({ roles: ["regulator"], tenantCode: "441300" });
    t.mmRegulator = await w.platform.token({ roles: ["regulator"], tenantCode: "440900" });
    for (const s of [GZ_SUPPLIER, HZ_SUPPLIER]) {
      const r = await api("admin", "/api/registries/suppliers", { method: "POST", body: { ...s, contactName: "陈经理", contactPhone: "13800138001" } });
      expect(r.status).toBe(201);
    }
    for (const u of [{ budgetCode: UNITS.purchaser, tenantCode: "441300", name: "惠州市交通运输局" }, OTHER_UNIT]) {
      const r = await api("admin", "/api/registries/purchasers", { method: "POST", body: { ...u, unitType: "government-agency" } });
      expect(r.status).toBe(201);
    }
  });
  afterAll(() => stopBidsWorld(w));
  afterEach(() => w.platform.kernel.clock.reset());

  test("a Guangzhou supplier (e-trading off in Guangzhou) reads, registers for and bids on a Huizhou tender while Huizhou is live", async () => {
    const id = await tender();
    await registerCustodianKeys(w, id);
    expect((await api("gzSupplier", `/api/etrading/tenders/${id}`)).status).toBe(200);
    const reg = await register("gzSupplier", id);
    expect([reg.status, reg.body.error]).toEqual([200, undefined]);
    expect(await registrations(id)).toContain(GZ_SUPPLIER.creditCode);

    const sealing = await api("gzSupplier", `/api/etrading/tenders/${id}/sealing`);
    expect(sealing.status).toBe(200);
    const s = sealing.body as { custodians: Array<{ id: string; publicKey: string }>; threshold: number };
    const bid = await sealBid({ tenderId: id, package: packageOf("398000.00"), custodians: s.custodians, threshold: s.threshold, signer: softwareSigner(newSigningKey()) });
    const r = await api("gzSupplier", `/api/etrading/tenders/${id}/bids`, { method: "POST", body: { bid } });
    expect([r.status, r.body.error]).toEqual([201, undefined]);
    expect(await w.platform.kernel.db.knex("etrading_bids").where({ tender_id: id, supplier_code: GZ_SUPPLIER.creditCode })).toHaveLength(1);
  });

  test("nobody registers on a tender of a region that is off: a Maonan tender before 2021-08-01, from Huizhou or Guangzhou; the refusal names Maonan; nothing is written", async () => {
    const id = await tender({ tenant_code: "440902", unit: "440902301" });
    w.platform.kernel.clock.travelTo("2021-06-01T10:00:00+08:00");
    for (const who of ["hzSupplier", "gzSupplier"]) {
      const r = await register(who, id);
      expect(r.status).toBe(403);
      expect(r.body.error).toMatchObject({ code: "MODULE_NOT_ENABLED", details: { tenant: "440902", state: "off", opensAt: "2021-07-31T16:00:00.000Z" } });
      expect(r.body.error.message).toBe("茂南区的「项目采购电子交易系统」当前未开通，不能办理此业务；将于 2021-08-01 开通");
    }
    const en = await register("hzSupplier", id, { "accept-language": "en" });
    expect(en.body.error.message).toBe("Project procurement e-trading is off for Maonan; this is not possible there now; it opens on 2021-08-01");
    expect(await registrations(id)).not.toContain(HZ_SUPPLIER.creditCode);
    expect(await registrations(id)).not.toContain(GZ_SUPPLIER.creditCode);

    w.platform.kernel.clock.travelTo("2021-08-02T10:00:00+08:00");
    expect((await register("hzSupplier", id)).status).toBe(200);
  });

  test("a tender that does not exist answers 404, not a gate refusal", async () => {
    const r = await register("gzSupplier", randomUUID());
    expect([r.status, r.body.error.code]).toEqual([404, "NOT_FOUND"]);
  });

  test("pilot: a supplier of another region acts on a listed purchasing unit's tender, not on another unit's", async () => {
    const listed = await tender();
    const other = await tender({ unit: OTHER_UNIT.budgetCode });
    await huizhouFor("pilot", [UNITS.purchaser]);
    expect((await register("gzSupplier", listed)).status).toBe(200);
    const refused = await register("gzSupplier", other);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: "MODULE_NOT_ENABLED", details: { tenant: "441300", state: "pilot" } });
    expect(refused.body.error.message).toContain("惠州市");
    expect(await registrations(other)).not.toContain(GZ_SUPPLIER.creditCode);
  });

  test("sunset, by the tender's region: a Guangzhou supplier continues on a Huizhou tender; a new Huizhou tender is refused", async () => {
    const id = await tender();
    await huizhouFor("sunset");
    expect((await register("gzSupplier", id)).status).toBe(200);
    // starting one is new business, refused before its data is even looked at
    const created = await w.platform.api("/api/workflows/etrading.public-tender/instances", { method: "POST", body: { data: {} }, token: w.tokens.purchaser });
    expect(created.status).toBe(403);
    expect(created.body.error).toMatchObject({ code: "MODULE_NOT_ENABLED", details: { tenant: "441300", state: "sunset" } });
  });

  test("retired: the tender is read by the regulators who oversee Huizhou, not Maoming's, not suppliers", async () => {
    const id = await tender();
    await huizhouFor("retired");
    expect((await api("hzRegulator", `/api/etrading/tenders/${id}`)).status).toBe(200);
    const maoming = await api("mmRegulator", `/api/etrading/tenders/${id}`);
    expect(maoming.status).toBe(403);
    expect(maoming.body.error).toMatchObject({ code: "MODULE_NOT_ENABLED", details: { tenant: "441300", state: "retired" } });
    expect((await api("gzSupplier", `/api/etrading/tenders/${id}`)).status).toBe(403);
    expect((await api("hzSupplier", `/api/etrading/tenders/${id}`)).status).toBe(403);
  });
});
