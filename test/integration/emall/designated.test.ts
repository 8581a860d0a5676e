import { intention, type Lifecycle, ok, plan, UNITS } from "../supervision/support";
import { mallLifecycle as lifecycle } from "../emall/support";
import { usccCheckChar } from "../../../core/forms/formats";

const company = (division: string, n: number) => {
  const first17 = `91${division}${String(n).padStart(8, "0")}M`;
  return first17 + usccCheckChar(first17);
};
/** a Huizhou garage admitted as a designated point, one in Guangzhou, and a Huizhou dealer that is not one */
const FIRMS = {
  garage: { creditCode: company("441300", 8801), name: "惠州市安达汽车维修有限公司", region: "441300", role: "designated-point", serves: "441300" },
  farGarage: { creditCode: company("440100", 8802), name: "广州市穗通汽车维修有限公司", region: "440100", role: "designated-point", serves: "440100" },
  dealer: { creditCode: company("441300", 8803), name: "惠州市车管家汽车服务有限公司", region: "441300", role: "dealer", serves: "441300" },
};

describe("emall designated points (定点采购)", () => {
  let l: Lifecycle;
  let projectId: string;
  const offers: Record<string, string> = {};
  const service = (offerId: string, over: Record<string, unknown> = {}) => ({
    projectId, planLine: 0, offerId, servedOn: "2021-03-02", description: "粤L·A1234 公务车二级保养，更换机油及滤芯", amount: "860.00",
    invoice: { kind: "normal", title: UNITS.buyer.name, taxId: UNITS.buyer.budgetCode }, ...over,
  });

  beforeAll(async () => {
    l = await lifecycle();
    l.tokens.cityAdmin = await l.platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
    l.tokens.gzAdmin = await l.platform.token({ roles: ["tenant-admin"], tenantCode: "440100" });
    l.travel("2021-01-20");
    const started = ok(await l.start("buyer", "supervision.intention", intention({ projectName: "惠州市交通运输局公务车辆定点维修", budget: "10000.00", expectedMonth: "2021-03" })), 201);
    ok(await l.take("buyer", started.id, "publish"));
    l.travel("2021-02-26");
    const items = [{ category: "C23120301", name: "公务车辆维修保养", quantity: 1, unit: "年", unitPrice: "5000.00", amount: "5000.00" }];
    const p = ok(await l.start("buyer", "supervision.plan", plan(started.data.projectId, { method: "designated-point", items, total: "5000.00" })), 201);
    ok(await l.take("buyer", p.id, "submit"));
    ok(await l.take("regulator", p.id, "file"));
    ok(await l.take("buyer", p.id, "choose-channel", { channel: "emall" }));
    projectId = started.data.projectId;
    l.travel("2021-03-01");
    for (const [who, f] of Object.entries(FIRMS)) {
      ok(await l.call("admin", "/api/registries/suppliers", { method: "POST", body: { creditCode: f.creditCode, name: f.name, sizeClass: "small", region: f.region, contactName: "王经理", contactPhone: "13800138000" } }), 201);
      l.tokens[who] = await l.platform.token({ roles: ["supplier"], tenantCode: f.region, unitCode: f.creditCode });
      ok(await l.call(who, "/api/commodities/admissions", { method: "POST", body: { role: f.role, licences: [{ kind: "机动车维修经营备案", number: `W-${who}`, expiresOn: "2025-12-31" }] } }));
      ok(await l.call(f.region === "441300" ? "cityAdmin" : "gzAdmin", `/api/commodities/admissions/${f.creditCode}/review`, { method: "POST", body: { decision: "admitted" } }));
      const product = ok(await l.call(who, "/api/commodities/products", { method: "POST", body: { categoryCode: "C23120301", brand: f.name.slice(3, 5), model: `${who}-保养`, name: "公务车辆维修保养服务", attributes: { vehicleClass: "小型客车", serviceLevel: "二类", pickup: true, hoursToQuote: 4 } } }));
      offers[who] = ok(await l.call(who, "/api/commodities/offers", { method: "POST", body: { productId: product.id, price: "800.00", stock: 999, regions: [f.serves], deliveryDays: 1, warrantyMonths: 3 } })).id;
    }
  }, 180_000);
  afterAll(() => l?.platform.stop());

  test("a unit sees the designated points serving its region only: not another city's, not a dealer", async () => {
    const list = ok(await l.call("buyer", "/api/commodities/designated-points?category=C2312"));
    expect(list.region).toBe("441300");
    expect(list.items.map((s: { code: string }) => s.code)).toEqual([FIRMS.garage.creditCode]);
    expect(list.items[0].offers.map((o: { id: string }) => o.id)).toEqual([offers.garage]);
    const goods = await l.call("buyer", "/api/commodities/designated-points?category=A02");
    expect(goods.status).toBe(400);
    expect(goods.body.error.details[0]).toMatchObject({ path: "/category" });
  });

  test("each service order is recorded at its billed amount within the plan line; the garage confirms it and it is a contract record in supervision; another region's point, a dealer or an amount beyond the line are refused, nothing written", async () => {
    l.travel("2021-03-03");
    const rows = () => l.platform.kernel.db.knex("emall_orders").where({ kind: "designated" });
    for (const who of ["farGarage", "dealer"]) {
      const refused = await l.start("buyer", "emall.designated", service(offers[who]));
      expect(refused.status).toBe(400);
      expect(refused.body.error.details[0]).toMatchObject({ path: "/offerId", rule: "designated-point" });
    }
    const ahead = await l.start("buyer", "emall.designated", service(offers.garage, { servedOn: "2021-03-04" }));
    expect(ahead.status).toBe(400);
    expect(ahead.body.error.details[0]).toMatchObject({ path: "/servedOn", rule: "notAfter" });
    const first = ok(await l.start("buyer", "emall.designated", service(offers.garage)), 201);
    expect(first.data).toMatchObject({ supplierCode: FIRMS.garage.creditCode, total: "860.00", remainingAfter: "4140.00" });
    const second = ok(await l.start("buyer", "emall.designated", service(offers.garage, { servedOn: "2021-03-01", description: "粤L·B5678 更换前刹车片", amount: "1240.50" })), 201);
    expect(second.data.remainingAfter).toBe("2899.50");
    const over = await l.start("buyer", "emall.designated", service(offers.garage, { amount: "2899.51" }));
    expect(over.status).toBe(400);
    expect(over.body.error.details[0]).toMatchObject({ path: "/amount", rule: "plan-line-budget" });
    expect(await rows()).toHaveLength(2);
    // the garage confirms: the service order is its contract; no stock is taken for a service done
    ok(await l.take("garage", first.id, "confirm"));
    expect(Number((await l.platform.kernel.db.knex("commodities_offers").where({ id: offers.garage }).first()).stock)).toBe(999);
    const project = ok(await l.call("regulator", `/api/supervision/projects/${projectId}`));
    expect(project.contractRecords).toEqual([expect.objectContaining({ kind: "designated", instanceId: first.id, amount: "860.00", supplier: { code: FIRMS.garage.creditCode, name: FIRMS.garage.name } })]);
  });
});
