import { intention, type Lifecycle, ok, plan, SUPPLIERS, UNITS } from "../supervision/support";
import { mallLifecycle as lifecycle } from "../emall/support";

/**
 * An e-mall order to payment through supervision: once its supplier confirms it the order is a
 * contract record on the project's page, with its acceptance, its payment term and its spend
 * against the plan line; the confirmation takes the stock, and two orders cannot both take the last item.
 */
describe("emall orders as contracts in supervision", () => {
  let l: Lifecycle;
  let projectId: string;
  let offerId: string;

  const order = (quantity: number, who = "buyer") =>
    l.start(who, "emall.order", {
      projectId,
      planLine: 0,
      lines: [{ offerId, quantity }],
      consignee: { name: "张科长", phone: "0752-2281234", address: "惠州市惠城区江北三新南路22号" },
      invoice: { kind: "normal", title: UNITS.buyer.name, taxId: UNITS.buyer.budgetCode },
    });
  const project = (who = "buyer") => l.call(who, `/api/supervision/projects/${projectId}`);
  const stock = async () => Number((await l.platform.kernel.db.knex("commodities_offers").where({ id: offerId }).first()).stock);

  beforeAll(async () => {
    l = await lifecycle();
    l.tokens.cityAdmin = await l.platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
    l.travel("2021-01-20");
    const started = ok(await l.start("buyer", "supervision.intention", intention({ projectName: "惠州市交通运输局打印机采购", budget: "20000.00", expectedMonth: "2021-03" })), 201);
    ok(await l.take("buyer", started.id, "publish"));
    l.travel("2021-02-26");
    const items = [{ category: "A0201060101", name: "激光打印机", quantity: 8, unit: "台", unitPrice: "2000.00", amount: "16000.00" }];
    const p = ok(await l.start("buyer", "supervision.plan", plan(started.data.projectId, { method: "emall-direct", items, total: "16000.00" })), 201);
    ok(await l.take("buyer", p.id, "submit"));
    ok(await l.take("regulator", p.id, "file"));
    ok(await l.take("buyer", p.id, "choose-channel", { channel: "emall" }));
    projectId = started.data.projectId;
    l.travel("2021-03-01");
    const a = ok(await l.call("smallSupplier", "/api/commodities/admissions", { method: "POST", body: { role: "dealer", licences: [{ kind: "营业执照", number: "L-contracts", expiresOn: "2022-12-31" }] } }));
    ok(await l.call("cityAdmin", `/api/commodities/admissions/${a.supplierCode}/review`, { method: "POST", body: { decision: "admitted" } }));
    const product = ok(await l.call("smallSupplier", "/api/commodities/products", {
      method: "POST",
      body: { categoryCode: "A0201060101", brand: "奔图", model: "P3308DN", name: "奔图黑白激光打印机", attributes: { color: false, ppm: 33, duplex: true, paper: "A4" } },
    }));
    offerId = ok(await l.call("smallSupplier", "/api/commodities/offers", { method: "POST", body: { productId: product.id, price: "1800.00", stock: 3, regions: ["441300"], deliveryDays: 3, warrantyMonths: 12 } })).id;
  }, 180_000);
  afterAll(() => l?.platform.stop());

  test("confirmed, the order is a contract record on supervision's project page with its spend against the plan line; accepted, paid within payment.invoice30days; paid, emall.order.paid", async () => {
    const placed = ok(await order(2), 201);
    // placed, not yet a contract: supervision shows none
    expect(ok(await project()).contractRecords).toBeUndefined();
    ok(await l.take("smallSupplier", placed.id, "confirm"));
    expect(await stock()).toBe(1);
    const confirmed = ok(await project("regulator"));
    expect(confirmed.contractRecords).toEqual([
      expect.objectContaining({ source: "emall", kind: "order", instanceId: placed.id, planLine: 0, amount: "3600.00", status: "contracted", signedOn: "2021-03-01", supplier: { code: SUPPLIERS.small.creditCode, name: SUPPLIERS.small.name } }),
    ]);
    expect(confirmed.lineSpend).toEqual([{ line: 0, name: "激光打印机", category: "A0201060101", amount: "16000.00", contracted: "3600.00", paid: "0.00", remaining: "12400.00" }]);
    l.travel("2021-03-05");
    ok(await l.take("buyer", placed.id, "accept"));
    // payment.invoice30days: due 30 calendar days after the invoice that comes with the acceptance (2021-04-04 is
    // a Sunday of the Qingming holiday: the next working day)
    const accepted = ok(await project());
    expect(accepted.contractRecords[0]).toMatchObject({ status: "accepted", acceptedOn: "2021-03-05", paymentDue: "2021-04-06" });
    expect(accepted.flags).toEqual([]);
    // unpaid after its due day: supervision flags it, as it does a project's own contract
    l.travel("2021-04-07");
    const overdue = ok(await project("regulator"));
    expect(overdue.flags).toEqual([expect.objectContaining({ kind: "payment-overdue" })]);
    expect(overdue.flags[0].title["zh-CN"]).toContain("2021-04-06");
    ok(await l.take("buyer", placed.id, "pay"));
    const paid = ok(await project());
    expect(paid.contractRecords[0]).toMatchObject({ status: "paid", paidOn: "2021-04-07", paidLate: true });
    expect(paid.lineSpend[0]).toMatchObject({ contracted: "3600.00", paid: "3600.00", remaining: "12400.00" });
    expect(paid.flags).toEqual([]);
    // the order's completion, where credit's mutual rating round opens: emall.order.paid, with the late payment
    const events = await l.platform.kernel.db.knex("core_outbox").where({ event: "emall.order.paid" });
    expect(events.map((e) => e.payload)).toEqual([
      expect.objectContaining({ instanceId: placed.id, tenantCode: "441300", data: expect.objectContaining({ supplierCode: SUPPLIERS.small.creditCode, paymentDue: "2021-04-06", paidOn: "2021-04-07", paidLate: true }) }),
    ]);
  });

  test("two orders for the last item: both are placed, the first confirmation takes it, the second is refused 409 stock and stays placed", async () => {
    l.travel("2021-04-08");
    expect(await stock()).toBe(1);
    const a = ok(await order(1), 201);
    const b = ok(await order(1), 201);
    const answers = await Promise.all([l.take("smallSupplier", a.id, "confirm"), l.take("smallSupplier", b.id, "confirm")]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    const refused = answers.find((r) => r.status === 409)!;
    expect(refused.body.error.details).toMatchObject({ rule: "stock", stock: 0, quantity: 1 });
    expect(refused.body.error.message).toContain("库存不足");
    expect(await stock()).toBe(0);
    const rows = await l.platform.kernel.db.knex("emall_orders").whereIn("id", [a.id, b.id]);
    expect(rows.map((r) => r.status).sort()).toEqual(["confirmed", "placed"]);
    // confirmed again (a retry), the confirmed order takes nothing more
    const confirmedId = answers[0].status === 200 ? a.id : b.id;
    expect((await l.take("smallSupplier", confirmedId, "confirm")).status).toBe(409);
    expect(await stock()).toBe(0);
    // supervision counts the contract, not the order left placed
    expect(ok(await project()).lineSpend[0]).toMatchObject({ contracted: "5400.00" });
  });
});
