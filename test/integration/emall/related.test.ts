import { intention, type Lifecycle, ok, plan } from "../supervision/support";
import { mallLifecycle } from "../emall/support";
import { usccCheckChar } from "../../../core/forms/formats";

const company = (n: number) => {
  const first17 = `91441300${String(n).padStart(8, "0")}M`;
  return first17 + usccCheckChar(first17);
};
/** two suppliers with the same legal representative in credit's imported registrations, and a third */
const FIRMS = {
  relA: { creditCode: company(8901), name: "惠州市关联甲科技有限公司", head: "张三" },
  relB: { creditCode: company(8902), name: "惠州市关联乙科技有限公司", head: "张三" },
  clean: { creditCode: company(8903), name: "惠州市独立丙科技有限公司", head: "李四" },
};

/**
 * supplier.relatedParties in the e-mall: suppliers with the same head or a direct control relation may
 * not both take part in one auction. The e-mall asks e-trading's eligibility point, which credit
 * provides from its imported enterprise registrations.
 */
describe("emall auctions keep related suppliers apart (supplier.relatedParties)", () => {
  let l: Lifecycle;
  let projectId: string;
  const offers: Record<string, string> = {};
  const auction = (title: string) => ({
    projectId, planLine: 0, title, requirements: "国产CPU，内存不少于8GB", categoryCode: "A02010104", quantity: 2, maxUnitPrice: "5000.00", endsAt: "2021-03-01T12:00:00+08:00",
  });
  const quote = (who: string, id: string, unitPrice: string) => l.call(who, `/api/emall/auctions/${id}/quotes`, { method: "POST", body: { unitPrice, offerId: offers[who] } });

  beforeAll(async () => {
    l = await mallLifecycle(["credit"]);
    l.tokens.cityAdmin = await l.platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
    l.tokens.province = await l.platform.token({ roles: ["regulator"], tenantCode: "440000" });
    l.travel("2021-01-20");
    const started = ok(await l.start("buyer", "supervision.intention", intention({ projectName: "惠州市交通运输局电脑竞价", budget: "30000.00", expectedMonth: "2021-03" })), 201);
    ok(await l.take("buyer", started.id, "publish"));
    l.travel("2021-02-26");
    const items = [{ category: "A02010104", name: "台式计算机", quantity: 4, unit: "台", unitPrice: "5000.00", amount: "20000.00" }];
    const p = ok(await l.start("buyer", "supervision.plan", plan(started.data.projectId, { method: "emall-direct", items, total: "20000.00" })), 201);
    ok(await l.take("buyer", p.id, "submit"));
    ok(await l.take("regulator", p.id, "file"));
    ok(await l.take("buyer", p.id, "choose-channel", { channel: "emall" }));
    projectId = started.data.projectId;
    l.travel("2021-03-01T09:00:00+08:00");
    // credit's import of the enterprise registrations (法定代表人, 控股方)
    const lines = Object.values(FIRMS).map((f) => JSON.stringify({ code: f.creditCode, name: f.name, legalRepresentative: f.head })).join("\n");
    const job = ok(await l.call("province", "/api/credit/imports", { method: "POST", body: { list: "enterprise-registrations", version: "2021-02", source: "https://www.gsxt.gov.cn/", fetchedAt: "2021-03-01T08:00:00+08:00", format: "json", bytes: Buffer.byteLength(lines) } }), 201);
    const imported = await l.platform.api(`/api/credit/imports/${job.id}/file`, { method: "PUT", token: l.tokens.province, raw: lines, headers: { "content-type": "application/json" } });
    expect(ok(imported).result).toMatchObject({ added: 3 });
    let productId = "";
    for (const [who, f] of Object.entries(FIRMS)) {
      ok(await l.call("admin", "/api/registries/suppliers", { method: "POST", body: { creditCode: f.creditCode, name: f.name, sizeClass: "small", region: "441300", contactName: "王经理", contactPhone: "13800138000" } }), 201);
      l.tokens[who] = await l.platform.token({ roles: ["supplier"], tenantCode: "441300", unitCode: f.creditCode });
      ok(await l.call(who, "/api/commodities/admissions", { method: "POST", body: { role: "dealer", licences: [{ kind: "营业执照", number: `L-${who}`, expiresOn: "2030-12-31" }] } }));
      ok(await l.call("cityAdmin", `/api/commodities/admissions/${f.creditCode}/review`, { method: "POST", body: { decision: "admitted" } }));
      if (!productId) productId = ok(await l.call(who, "/api/commodities/products", { method: "POST", body: { categoryCode: "A02010104", brand: "同方", model: "超越E500", name: "同方台式计算机", attributes: { cpu: "兆芯KX-6000", memoryGb: 8, storageGb: 256, os: "麒麟" } } })).id;
      offers[who] = ok(await l.call(who, "/api/commodities/offers", { method: "POST", body: { productId, price: "4900.00", stock: 10, regions: ["441300"], deliveryDays: 3, warrantyMonths: 36 } })).id;
    }
  }, 180_000);
  afterAll(() => l?.platform.stop());

  test("the second of two suppliers with the same head is refused 409 supplier.relatedParties without learning who the other is; an unrelated one quotes; alone, it may take part in another auction", async () => {
    const a = ok(await l.start("buyer", "emall.auction", auction("台式计算机网上竞价（一）")), 201);
    ok(await quote("relA", a.id, "4800.00"));
    const refused = await quote("relB", a.id, "4700.00");
    expect(refused.status).toBe(409);
    expect(refused.body.error.details).toMatchObject({ rule: "supplier.relatedParties", source: "enterprise-registrations" });
    expect(refused.body.error.message).toContain("supplier.relatedParties");
    expect(JSON.stringify(refused.body)).not.toContain(FIRMS.relA.name);
    expect(JSON.stringify(refused.body)).not.toContain(FIRMS.relA.creditCode);
    ok(await quote("clean", a.id, "4750.00"));
    // nothing of relB's entered the auction: two bidders, the lowest the unrelated one's
    const state = ok(await l.call("buyer", `/api/emall/auctions/${a.id}`));
    expect(state).toMatchObject({ bidders: 2, lowest: { unitPrice: "4750.00" } });
    // in English too
    const en = await l.platform.api(`/api/emall/auctions/${a.id}/quotes`, { method: "POST", token: l.tokens.relB, body: { unitPrice: "4600.00", offerId: offers.relB }, headers: { "Accept-Language": "en" } });
    expect(en.body.error.message).toMatch(/^You share a head/);

    const b = ok(await l.start("buyer", "emall.auction", auction("台式计算机网上竞价（二）")), 201);
    ok(await quote("relB", b.id, "4700.00"));
  });
});
