import { intention, type Lifecycle, ok, plan, SUPPLIERS, UNITS } from "../supervision/support";
import { mallLifecycle as lifecycle } from "../emall/support";
import { usccCheckChar } from "../../../core/forms/formats";

const company = (division: string, n: number) => {
  const first17 = `91${division}${String(n).padStart(8, "0")}M`;
  return first17 + usccCheckChar(first17);
};
const DEALER = { creditCode: company("441300", 8201), name: "惠州市惠民办公设备有限公司", sizeClass: "small", region: "441300" };

describe("emall direct orders", () => {
  let l: Lifecycle;
  let projectId: string;
  let offerSmall: string;
  let offerDealer: string;

  const order = (over: Record<string, unknown> = {}) => ({
    projectId,
    planLine: 0,
    lines: [{ offerId: offerSmall, quantity: 2 }],
    consignee: { name: "张科长", phone: "0752-2281234", address: "惠州市惠城区江北三新南路22号" },
    invoice: { kind: "normal", title: UNITS.buyer.name, taxId: UNITS.buyer.budgetCode },
    ...over,
  });
  const place = (data: unknown, who = "buyer") => l.start(who, "emall.order", data);
  const orderRows = () => l.platform.kernel.db.knex("emall_orders").orderBy("created_at");

  beforeAll(async () => {
    l = await lifecycle();
    ok(await l.call("admin", "/api/registries/suppliers", { method: "POST", body: { ...DEALER, contactName: "赵经理", contactPhone: "13800138003" } }), 201);
    l.tokens.dealer = await l.platform.token({ roles: ["supplier"], tenantCode: "441300", unitCode: DEALER.creditCode });
    l.tokens.cityAdmin = await l.platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
    // a unit's plan with an e-mall line: intention public 35 days before, filed, executed on the e-mall
    l.travel("2021-01-20");
    const started = ok(await l.start("buyer", "supervision.intention", intention({ projectName: "惠州市交通运输局办公电脑采购", budget: "30000.00", expectedMonth: "2021-03" })), 201);
    ok(await l.take("buyer", started.id, "publish"));
    l.travel("2021-02-26");
    const items = [
      { category: "A02010104", name: "台式计算机", quantity: 4, unit: "台", unitPrice: "5000.00", amount: "20000.00" },
      { category: "A0201060101", name: "激光打印机", quantity: 2, unit: "台", unitPrice: "2000.00", amount: "4000.00" },
    ];
    const p = ok(await l.start("buyer", "supervision.plan", plan(started.data.projectId, { method: "emall-direct", items, total: "24000.00" })), 201);
    ok(await l.take("buyer", p.id, "submit"));
    ok(await l.take("regulator", p.id, "file"));
    ok(await l.take("buyer", p.id, "choose-channel", { channel: "emall" }));
    projectId = started.data.projectId;
    l.travel("2021-03-01");
    for (const who of ["smallSupplier", "dealer"]) {
      const a = ok(await l.call(who, "/api/commodities/admissions", { method: "POST", body: { role: "dealer", licences: [{ kind: "营业执照", number: `L-${who}`, expiresOn: "2021-12-31" }] } }));
      ok(await l.call("cityAdmin", `/api/commodities/admissions/${a.supplierCode}/review`, { method: "POST", body: { decision: "admitted" } }));
    }
    const product = ok(await l.call("smallSupplier", "/api/commodities/products", {
      method: "POST",
      body: { categoryCode: "A02010104", brand: "同方", model: "超越E500", name: "同方台式计算机", attributes: { cpu: "兆芯KX-6000", memoryGb: 8, storageGb: 256, os: "麒麟" } },
    }));
    const offer = (who: string, price: string) => l.call(who, "/api/commodities/offers", { method: "POST", body: { productId: product.id, price, stock: 10, regions: ["441300"], deliveryDays: 3, warrantyMonths: 36 } });
    offerSmall = ok(await offer("smallSupplier", "4800.00")).id;
    offerDealer = ok(await offer("dealer", "4900.00")).id;
  }, 180_000);
  afterAll(() => l?.platform.stop());

  let placedId: string;
  test("an order within the plan line's remaining budget is placed for its supplier, who sees it in the inbox; the line holds it", async () => {
    const placed = ok(await place(order()), 201);
    placedId = placed.id;
    expect(placed).toMatchObject({ state: "placed", data: { total: "9600.00", supplierCode: SUPPLIERS.small.creditCode, remainingAfter: "10400.00" } });
    const inbox = ok(await l.call("smallSupplier", "/api/emall/orders?status=placed"));
    expect(inbox.items.map((o: { id: string }) => o.id)).toEqual([placed.id]);
    expect(ok(await l.call("dealer", "/api/emall/orders")).items).toEqual([]);
    const budget = ok(await l.call("buyer", `/api/emall/budget/${projectId}`));
    expect(budget.lines[0]).toMatchObject({ amount: "20000.00", spent: "9600.00", remaining: "10400.00" });
  });

  test("an order beyond the line's remaining budget is refused clearly, and nothing is written", async () => {
    const before = (await orderRows()).length;
    const over = await place(order({ lines: [{ offerId: offerDealer, quantity: 3 }] }));
    expect(over.status).toBe(400);
    expect(over.body.error.details).toEqual([expect.objectContaining({ path: "/lines", rule: "plan-line-budget" })]);
    expect(over.body.error.details[0].message["zh-CN"]).toContain("剩余预算 10400.00 元");
    expect((await orderRows()).length).toBe(before);
    const mixed = await place(order({ lines: [{ offerId: offerSmall, quantity: 1 }, { offerId: offerDealer, quantity: 1 }] }));
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.details[0].rule).toBe("one-supplier");
  });

  test("a supplier cannot confirm someone else's order; its own supplier can, and then it is accepted and paid within payment.invoice30days", async () => {
    const other = await l.take("dealer", placedId, "confirm");
    expect(other.status).toBe(404);
    const buyer = await l.take("buyer", placedId, "confirm");
    expect(buyer.status).toBe(403);
    expect((await orderRows()).find((o) => o.id === placedId).status).toBe("placed");
    ok(await l.take("smallSupplier", placedId, "confirm"));
    l.travel("2021-03-05");
    const accepted = ok(await l.take("buyer", placedId, "accept"));
    // payment.invoice30days: 30 calendar days from the invoice (given with the acceptance); 2021-04-04 is a
    // Sunday in the Qingming holiday, so the period runs to the next working day
    expect(accepted.data).toMatchObject({ acceptedOn: "2021-03-05", paymentDue: "2021-04-06" });
    l.travel("2021-03-20");
    const paid = ok(await l.take("buyer", placedId, "pay"));
    expect(paid.state).toBe("paid");
    expect(paid.data.paidLate).toBe(false);
    const budget = ok(await l.call("buyer", `/api/emall/budget/${projectId}`));
    expect(budget.lines[0].spent).toBe("9600.00");
  });

  test("an order not confirmed within the set time lapses by the workflow's timer and gives its budget back", async () => {
    l.travel("2021-03-22");
    const placed = ok(await place(order({ lines: [{ offerId: offerDealer, quantity: 2 }] })), 201);
    expect(ok(await l.call("buyer", `/api/emall/budget/${projectId}`)).lines[0].remaining).toBe("600.00");
    l.travel("2021-03-24T10:01:00+08:00");
    let state = "placed";
    for (let i = 0; i < 100 && state === "placed"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await orderRows()).find((o) => o.id === placed.id).status;
    }
    expect(state).toBe("lapsed");
    expect(ok(await l.call("buyer", `/api/emall/budget/${projectId}`)).lines[0].remaining).toBe("10400.00");
    const late = await l.take("dealer", placed.id, "confirm");
    expect(late.status).toBe(409);
  });

  test("an expired licence refuses the order at order time, even before the daily sweep, and nothing is written", async () => {
    l.travel("2022-01-03");
    const before = (await orderRows()).length;
    const refused = await place(order({ lines: [{ offerId: offerSmall, quantity: 1 }] }));
    expect(refused.status).toBe(409);
    expect(refused.body.error.details).toMatchObject({ rule: "licence-expired", lapsed: [{ expiresOn: "2021-12-31" }] });
    expect((await orderRows()).length).toBe(before);
  });

  test("an order needs a plan filed for the e-mall: another unit's project is not found, a bad line is refused", async () => {
    l.travel("2021-03-25");
    const other = await place(order(), "otherBuyer");
    expect(other.status).toBe(400);
    expect(other.body.error.details[0]).toMatchObject({ path: "/projectId", rule: "project" });
    const line = await place(order({ planLine: 7 }));
    expect(line.status).toBe(400);
    expect(line.body.error.details[0]).toMatchObject({ path: "/planLine", rule: "plan-line" });
  });

  describe("parallel operation with the old execution platform, as the module state says", () => {
    const counties = { live: "441302", sunset: "441303", off: "441322", pilot: "441323", retired: "441324" } as const;
    const tokens: Record<string, string> = {};
    beforeAll(async () => {
      l.travel("2021-04-01");
      ok(await l.call("admin", "/api/registries/purchasers", { method: "POST", body: { budgetCode: "441323101", tenantCode: "441323", name: "惠东县教育局", unitType: "government-agency" } }), 201);
      for (const [state, code] of Object.entries(counties)) {
        const body = state === "pilot" ? { state, from: "2021-04-02", units: ["441323101"] } : { state, from: "2021-04-02" };
        ok(await l.call("admin", `/api/tenants/${code}/modules/emall`, { method: "PUT", body }));
        tokens[state] = await l.platform.token({ roles: ["purchaser"], tenantCode: code, unitCode: `${code}999` });
      }
      tokens.pilotUnit = await l.platform.token({ roles: ["purchaser"], tenantCode: "441323", unitCode: "441323101" });
      tokens.retiredRegulator = await l.platform.token({ roles: ["regulator"], tenantCode: "441324" });
      l.travel("2021-04-02T10:00:00+08:00");
    });
    const access = (token: string) => l.platform.api("/api/emall/access", { token });
    const start = (token: string) => l.platform.api("/api/workflows/emall.order/instances", { method: "POST", token, body: { data: order() } });

    test("live: the unit orders in the mall", async () => {
      expect(ok(await access(tokens.live))).toMatchObject({ state: "live", create: true, mode: "open" });
    });
    test("sunset: no new orders; orders in progress continue; the unit is sent to the old platform, still live", async () => {
      expect(ok(await access(tokens.sunset))).toMatchObject({ state: "sunset", create: false, continue: true, read: true, mode: "legacy", legacy: { state: "live", open: true } });
      const refused = await start(tokens.sunset);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe("MODULE_NOT_ENABLED");
    });
    test("off: the mall refuses the unit, and the schedule shows the old platform live for it", async () => {
      const r = await access(tokens.off);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe("MODULE_NOT_ENABLED");
      expect((await start(tokens.off)).status).toBe(403);
      const modules = ok(await l.platform.api("/api/tenants/441322/modules"));
      expect(modules.modules).toContainEqual(expect.objectContaining({ module: "legacy-execution", state: "live" }));
    });
    test("pilot: a listed unit orders; another unit of the county is sent to the old platform", async () => {
      expect(ok(await access(tokens.pilotUnit))).toMatchObject({ state: "pilot", create: true, mode: "open" });
      const other = await access(tokens.pilot);
      expect(other.status).toBe(403);
      expect((await start(tokens.pilot)).status).toBe(403);
    });
    test("retired: units are refused, the region's regulator still reads (read-only)", async () => {
      expect((await access(tokens.retired)).status).toBe(403);
      expect(ok(await access(tokens.retiredRegulator))).toMatchObject({ state: "retired", create: false, read: true, mode: "legacy" });
    });
  });
});
