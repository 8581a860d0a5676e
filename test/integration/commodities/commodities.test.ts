import { type Lifecycle, ok } from "../supervision/support";
import { mallLifecycle as lifecycle } from "../emall/support";
import { usccCheckChar } from "../../../core/forms/formats";

const company = (division: string, n: number) => {
  const first17 = `91${division}${String(n).padStart(8, "0")}M`;
  return first17 + usccCheckChar(first17);
};
const DEALERS = [1, 2, 3].map((i) => ({ creditCode: company("441300", 8100 + i), name: `惠州市第${i}办公设备经销有限公司`, sizeClass: "small", region: "441300" }));

describe("commodities registry", () => {
  let l: Lifecycle;
  const licence = (expiresOn = "2030-12-31") => [{ kind: "营业执照", number: "91441300-001", expiresOn }];

  beforeAll(async () => {
    l = await lifecycle();
    for (const [i, s] of DEALERS.entries()) {
      ok(await l.call("admin", "/api/registries/suppliers", { method: "POST", body: { ...s, contactName: "赵经理", contactPhone: "13800138002" } }), 201);
      l.tokens[`dealer${i}`] = await l.platform.token({ roles: ["supplier"], tenantCode: "441300", unitCode: s.creditCode });
    }
    l.tokens.cityAdmin = await l.platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
    l.travel("2021-03-01");
    for (const who of ["smallSupplier", "dealer0", "dealer1", "dealer2"]) {
      const applied = ok(await l.call(who, "/api/commodities/admissions", { method: "POST", body: { role: who === "smallSupplier" ? "manufacturer" : "dealer", licences: licence() } }));
      expect(applied.status).toBe("pending");
      ok(await l.call("cityAdmin", `/api/commodities/admissions/${applied.supplierCode}/review`, { method: "POST", body: { decision: "admitted" } }));
    }
  }, 120_000);
  afterAll(() => l?.platform.stop());

  const product = (over: Record<string, unknown> = {}) => ({
    categoryCode: "A02010104", brand: "联想", model: "开天M90z", name: "联想台式计算机",
    attributes: { cpu: "兆芯KX-7000", memoryGb: 16, storageGb: 512, os: "统信UOS" }, specifications: "23.8英寸一体机", ...over,
  });

  test("the category tree has over 20 leaves, each with its own attribute questions", async () => {
    const r = ok(await l.call("buyer", "/api/commodities/categories"));
    const leaves = r.items.filter((c: { leaf: boolean }) => c.leaf);
    expect(leaves.length).toBeGreaterThanOrEqual(20);
    expect(new Set(r.items.filter((c: { parent: string | null }) => !c.parent).map((c: { code: string }) => c.code))).toEqual(new Set(["A", "B", "C"]));
    const fields = (code: string) => Object.keys(leaves.find((c: { code: string }) => c.code === code).attributes.properties);
    expect(fields("A02010109")).toContain("cores");
    expect(fields("A0201060101")).toContain("ppm");
    expect(fields("C23120301")).toContain("vehicleClass");
  });

  test("a product whose attributes do not match its category's schema is refused at each field, in zh-CN and en, and nothing is written", async () => {
    // a printer's questions asked of a CPU category, and a wrong type
    const bad = product({ categoryCode: "A02010109", brand: "龙芯", model: "3A6000", attributes: { ppm: 30, cores: "four" } });
    const zh = await l.call("smallSupplier", "/api/commodities/products", { method: "POST", body: bad });
    expect(zh.status).toBe(400);
    expect(zh.body.error.code).toBe("VALIDATION_FAILED");
    const paths = zh.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["/attributes/ppm", "/attributes/cores", "/attributes/baseGhz"]));
    expect(zh.body.error.message).toMatch(/[\u4e00-\u9fff]/);
    const missing = zh.body.error.details.find((d: { path: string }) => d.path === "/attributes/baseGhz");
    expect(missing.message["zh-CN"]).toMatch(/[\u4e00-\u9fff]/);
    expect(missing.message.en).toMatch(/^[\x20-\x7e]+$/);
    const en = await l.platform.api("/api/commodities/products", { method: "POST", token: l.tokens.smallSupplier, body: bad, headers: { "accept-language": "en" } });
    expect(en.body.error.message).toMatch(/^[\x20-\x7e]+$/);
    const found = ok(await l.call("buyer", "/api/commodities/offers?q=3A6000"));
    expect(found.items).toHaveLength(0);
    const rows = await l.platform.kernel.db.knex("commodities_products").where({ model: "3A6000" });
    expect(rows).toHaveLength(0);
  });

  test("a catalogue import is checked item by item and written all or nothing", async () => {
    const good = product({ model: "开天M90z-G" });
    const bad = product({ model: "开天M90z-B", attributes: { cpu: "兆芯", memoryGb: 1, storageGb: 512, os: "统信UOS" } });
    const refused = await l.call("smallSupplier", "/api/commodities/products/import", { method: "POST", body: { products: [good, bad] } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.map((d: { path: string }) => d.path)).toEqual(["/products/1/attributes/memoryGb"]);
    expect(await l.platform.kernel.db.knex("commodities_products").where("model", "like", "开天M90z-%")).toHaveLength(0);
    const made = ok(await l.call("smallSupplier", "/api/commodities/products/import", { method: "POST", body: { products: [good] } }));
    expect(made.items).toHaveLength(1);
  });

  let productId: string;
  test("a product and offers by four suppliers: an offer far above the median across suppliers is flagged for review", async () => {
    const p = ok(await l.call("smallSupplier", "/api/commodities/products", { method: "POST", body: product() }));
    productId = p.id;
    const svg = await l.platform.api(`/api/commodities/products/${p.id}/image.svg`);
    expect(svg.status).toBe(200);
    expect(String(svg.body)).toContain("<svg");
    const offer = (who: string, price: string) => l.call(who, "/api/commodities/offers", { method: "POST", body: { productId: p.id, price, stock: 20, regions: ["441300", "441302"], deliveryDays: 3, warrantyMonths: 36 } });
    ok(await offer("smallSupplier", "5200.00"));
    ok(await offer("dealer0", "5300.00"));
    ok(await offer("dealer1", "5400.00"));
    const high = ok(await offer("dealer2", "7990.00"));
    expect(high.flagged).toBe(true);
    expect(high.flagReason).toContain("中位数");
    const flagged = ok(await l.call("cityAdmin", "/api/commodities/offers/flagged"));
    expect(flagged.items.map((o: { supplier: { code: string } }) => o.supplier.code)).toEqual([DEALERS[2].creditCode]);
    // brought back in line, the flag is cleared
    const fixed = ok(await offer("dealer2", "5350.00"));
    expect(fixed.flagged).toBe(false);
  });

  test("search in Chinese by brand, model and attribute values, with facets by category, brand, price range and region", async () => {
    const p2 = ok(await l.call("dealer0", "/api/commodities/products", { method: "POST", body: product({ categoryCode: "A0201060101", brand: "奔图", model: "P3308DN", name: "奔图黑白激光打印机", attributes: { color: false, ppm: 33, duplex: true, paper: "A4" } }) }));
    ok(await l.call("dealer0", "/api/commodities/offers", { method: "POST", body: { productId: p2.id, price: "1299.00", stock: 50, regions: ["441300"], deliveryDays: 2, warrantyMonths: 12 } }));
    const byBrand = ok(await l.call("buyer", `/api/commodities/offers?q=${encodeURIComponent("联想")}`));
    expect(byBrand.items).toHaveLength(4);
    expect(byBrand.items.map((o: { price: string }) => o.price)).toEqual(["5200.00", "5300.00", "5350.00", "5400.00"]);
    const byAttribute = ok(await l.call("buyer", `/api/commodities/offers?q=${encodeURIComponent("统信")}`));
    expect(byAttribute.items).toHaveLength(4);
    // pinyin initials: lx for 联想, btjgdyj for 奔图激光打印机 (its name's 黑白激光打印机 run: hbjgdyj)
    expect(ok(await l.call("buyer", "/api/commodities/offers?q=lx")).items).toHaveLength(4);
    expect(ok(await l.call("buyer", "/api/commodities/offers?q=jgdyj")).items.map((o: { brand: string }) => o.brand)).toEqual(["奔图"]);
    const byModel = ok(await l.call("buyer", "/api/commodities/offers?q=p3308"));
    expect(byModel.items.map((o: { productId: string }) => o.productId)).toEqual([p2.id]);
    const all = ok(await l.call("buyer", "/api/commodities/offers"));
    expect(all.facets.brand).toEqual([{ value: "联想", count: 4 }, { value: "奔图", count: 1 }]);
    expect(all.facets.category).toEqual(expect.arrayContaining([{ value: "A0201", count: 5 }]));
    expect(all.facets.region).toEqual(expect.arrayContaining([{ value: "441300", count: 5 }, { value: "441302", count: 4 }]));
    expect(all.facets.price).toEqual([{ value: "500-2000", count: 1 }, { value: "5000-20000", count: 4 }]);
    const narrowed = ok(await l.call("buyer", "/api/commodities/offers?region=441302&priceMax=5360&brand=" + encodeURIComponent("联想")));
    expect(narrowed.items).toHaveLength(3);
    const page1 = ok(await l.call("buyer", "/api/commodities/offers?pageSize=2"));
    const page2 = ok(await l.call("buyer", `/api/commodities/offers?pageSize=2&cursor=${page1.nextCursor}`));
    expect(page1.items.map((o: { price: string }) => o.price)).toEqual(["1299.00", "5200.00"]);
    expect(page2.items.map((o: { price: string }) => o.price)).toEqual(["5300.00", "5350.00"]);
    const bad = await l.call("buyer", "/api/commodities/offers?priceMin=abc");
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe("/priceMin");
  });

  test("pavilions are per-tenant views: a featured pavilion shows its city's suppliers, 集采馆 its categories", async () => {
    ok(await l.call("cityAdmin", "/api/commodities/pavilions/441300/printers", { method: "PUT", body: { kind: "central", title: "集采馆", titleEn: "Central purchasing", categories: ["A020106"] } }));
    const shown = ok(await l.call("buyer", "/api/commodities/offers?pavilion=printers"));
    expect(shown.items.map((o: { brand: string }) => o.brand)).toEqual(["奔图"]);
    const other = await l.call("cityAdmin", "/api/commodities/pavilions/440900/printers", { method: "PUT", body: { kind: "central", title: "集采馆", titleEn: "Central", categories: [] } });
    expect(other.status).toBe(403);
    expect(ok(await l.call("buyer", "/api/commodities/pavilions/441300")).items).toHaveLength(1);
  });

  test("an expired licence suspends the supplier's offers (the daily sweep) and refuses new ones; a renewal restores them", async () => {
    const supplier = DEALERS[1].creditCode;
    await l.platform.kernel.db.knex("commodities_licences").where({ supplier_code: supplier }).update({ expires_on: "2021-03-10" });
    l.travel("2021-03-11");
    const swept = ok(await l.call("admin", "/api/commodities/licences/sweep", { method: "POST", body: {} }));
    expect(swept.suspended).toBe(1);
    const after = ok(await l.call("buyer", `/api/commodities/offers?q=${encodeURIComponent("联想")}`));
    expect(after.items.map((o: { supplier: { code: string } }) => o.supplier.code)).not.toContain(supplier);
    const refused = await l.call("dealer1", "/api/commodities/offers", { method: "POST", body: { productId, price: "5000.00", stock: 1, regions: ["441300"], deliveryDays: 3, warrantyMonths: 12 } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.details).toMatchObject({ rule: "licence-expired", lapsed: [{ expiresOn: "2021-03-10" }] });
    expect(refused.body.error.message).toContain("过期");
    // renewed, the offers come back at once
    ok(await l.call("dealer1", "/api/commodities/admissions", { method: "POST", body: { role: "dealer", licences: licence("2023-03-10") } }));
    const back = ok(await l.call("buyer", `/api/commodities/offers?q=${encodeURIComponent("联想")}`));
    expect(back.items.map((o: { supplier: { code: string } }) => o.supplier.code)).toContain(supplier);
  });

  test("only an admitted supplier lists products; a purchaser is not a supplier", async () => {
    const buyer = await l.call("buyer", "/api/commodities/products", { method: "POST", body: product({ model: "X1" }) });
    expect(buyer.status).toBe(403);
    const large = await l.call("largeSupplier", "/api/commodities/products", { method: "POST", body: product({ model: "X2" }) });
    expect(large.status).toBe(409);
    expect(large.body.error.details.rule).toBe("admission");
  });
});
