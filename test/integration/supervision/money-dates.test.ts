import { SUPPLIERS, detailAt, intention, lifecycle, ok, plan, sha256, type Lifecycle } from "./support";

/**
 * Amounts below zero, "-0" and 0 where the law wants a positive amount, and dates the platform's
 * clock says cannot be (a month already gone, a payment tomorrow): each refused at its field through
 * the API, in the caller's language, and nothing of it stored or published.
 */
describe("money and dates the law rules out", () => {
  let l: Lifecycle;
  beforeAll(async () => {
    l = await lifecycle();
  });
  afterAll(() => l.platform.stop());
  afterEach(() => l.platform.kernel.clock.reset());

  const count = async (table: string) => Number((await l.platform.kernel.db.knex(table).count({ n: "*" }))[0].n);

  test("an intention's budget below or at zero, or an expected month already past, is refused, and nothing is stored (nor published)", async () => {
    l.travel("2021-03-10");
    const before = { instances: await count("core_workflow_instances"), projects: await count("supervision_projects") };
    for (const budget of ["-100000.00", "-0", "-0.00", "0", "0.00"]) {
      const r = await l.start("buyer", "supervision.intention", intention({ projectName: `负数预算${budget}`, budget }));
      expect([budget, r.status]).toEqual([budget, 400]);
      expect(detailAt(r, "/budget").rule).toMatch(/^(format:money|minMoney)$/);
    }
    const past = await l.platform.api("/api/workflows/supervision.intention/instances", { method: "POST", token: l.tokens.buyer, body: { data: intention({ expectedMonth: "2021-02" }) }, headers: { "accept-language": "en" } });
    expect(past.status).toBe(400);
    expect(detailAt(past, "/expectedMonth")).toMatchObject({ rule: "notBefore", message: { "zh-CN": "不能早于本月", en: "may not be before this month" } });
    expect((past.body as { error: { message: string } }).error.message).toMatch(/^[\x20-\x7e]+$/);
    expect({ instances: await count("core_workflow_instances"), projects: await count("supervision_projects") }).toEqual(before);
    // this month and a fen are fine
    const i = ok(await l.start("buyer", "supervision.intention", intention({ projectName: "本月一分钱意向", budget: "0.01", expectedMonth: "2021-03" })), 201);
    expect(i.data).toMatchObject({ budget: "0.01", expectedMonth: "2021-03" });
  });

  test("a draft whose expected month is over by the time it is published is refused, not announced", async () => {
    l.travel("2021-02-20");
    const draft = ok(await l.start("buyer", "supervision.intention", intention({ projectName: "二月草拟的意向", expectedMonth: "2021-02" })), 201);
    l.travel("2021-03-01");
    const late = await l.take("buyer", draft.id, "publish");
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ error: { code: "CONFLICT", details: { rule: "expected-month-past" } } });
    expect(ok(await l.call("buyer", `/api/instances/${draft.id}`)).state).toBe("draft");
  });

  test("a negative payment is refused, so the requested total can never pass the contract; zero and tomorrow's payment date likewise", async () => {
    // awarded 2021-03-01, contract 2021-03-02 for 1,000,000.00, accepted 2021-03-10
    l.travel("2021-01-04");
    const i = ok(await l.start("buyer", "supervision.intention", intention({ projectName: "惠州市负数付款测试项目" })), 201);
    ok(await l.take("buyer", i.id, "publish"));
    const projectId = i.data.projectId as string;
    l.travel("2021-02-15");
    const p = ok(await l.start("buyer", "supervision.plan", plan(projectId)), 201);
    ok(await l.take("buyer", p.id, "submit"));
    ok(await l.take("regulator", p.id, "file"));
    l.travel("2021-03-01");
    ok(await l.take("buyer", p.id, "choose-channel", { channel: "etrading" }));
    // an award tomorrow, or of nothing, is refused
    expect(detailAt(await l.take("buyer", p.id, "record-result", { supplierCode: SUPPLIERS.large.creditCode, amount: "1000000.00", awardDate: "2021-03-02", noticeText: "成交结果公告" }), "/awardDate").rule).toBe("notAfter");
    expect(detailAt(await l.take("buyer", p.id, "record-result", { supplierCode: SUPPLIERS.large.creditCode, amount: "0", awardDate: "2021-03-01", noticeText: "成交结果公告" }), "/amount").rule).toBe("minMoney");
    ok(await l.take("buyer", p.id, "record-result", { supplierCode: SUPPLIERS.large.creditCode, amount: "1000000.00", awardDate: "2021-03-01", noticeText: "成交结果公告" }));
    l.travel("2021-03-02");
    const contract = { projectId, supplierCode: SUPPLIERS.large.creditCode, amount: "1000000.00", signedOn: "2021-03-02", startDate: "2021-03-02", endDate: "2022-06-30", paymentTerms: "分两期支付", documentHash: sha256(projectId) };
    expect(detailAt(await l.start("buyer", "supervision.contract", { ...contract, amount: "-0" }), "/amount").rule).toBe("format:money");
    expect(detailAt(await l.start("buyer", "supervision.contract", { ...contract, signedOn: "2021-03-03" }), "/signedOn").rule).toBe("notAfter");
    const c = ok(await l.start("buyer", "supervision.contract", contract), 201);
    ok(await l.take("buyer", c.id, "file"));
    l.travel("2021-03-10");
    const acceptance = { projectId, acceptedOn: "2021-03-10", result: "pass", items: [{ name: "全部标的", result: "pass" }], committee: [{ name: "王五", role: "组长" }] };
    expect(detailAt(await l.start("buyer", "supervision.acceptance", { ...acceptance, acceptedOn: "2021-03-11" }), "/acceptedOn").rule).toBe("notAfter");
    const a = ok(await l.start("buyer", "supervision.acceptance", acceptance), 201);
    ok(await l.take("buyer", a.id, "submit"));

    const before = await count("core_workflow_instances");
    const negative = await l.start("buyer", "supervision.payment", { projectId, amount: "-100000.00" });
    expect(negative.status).toBe(400);
    expect(detailAt(negative, "/amount").rule).toBe("format:money");
    expect(detailAt(await l.start("buyer", "supervision.payment", { projectId, amount: "0.00" }), "/amount").rule).toBe("minMoney");
    expect(await count("core_workflow_instances")).toBe(before);
    // the whole contract and a fen more: still refused by the running total
    expect(detailAt(await l.start("buyer", "supervision.payment", { projectId, amount: "1000000.01" }), "/amount").rule).toBe("contract-amount");
    expect(ok(await l.call("buyer", `/api/supervision/projects/${projectId}`)).requestedTotal).toBe("0.00");
    const pay = ok(await l.start("buyer", "supervision.payment", { projectId, amount: "1000000.00" }), 201);
    expect(detailAt(await l.take("buyer", pay.id, "pay", { paidOn: "2021-03-11" }), "/paidOn").rule).toBe("notAfter");
    ok(await l.take("buyer", pay.id, "pay", { paidOn: "2021-03-10" }));
    expect(ok(await l.call("buyer", `/api/supervision/projects/${projectId}`))).toMatchObject({ stage: "paid", paidTotal: "1000000.00" });
  });

  test("a plan line of price 0 is refused; the form the browser gets carries the same bounds", async () => {
    l.travel("2021-01-04");
    const i = ok(await l.start("buyer", "supervision.intention", intention({ projectName: "惠州市零单价测试项目" })), 201);
    ok(await l.take("buyer", i.id, "publish"));
    l.travel("2021-02-15");
    const free = plan(i.data.projectId, {
      items: [{ category: "A02061802", name: "LED路灯", quantity: 1, unit: "盏", unitPrice: "0.00", amount: "0.00" }],
      total: "0.00",
    });
    const r = await l.start("buyer", "supervision.plan", free);
    expect(r.status).toBe(400);
    expect(detailAt(r, "/items/0/unitPrice").rule).toBe("minMoney");
    expect(detailAt(r, "/total").rule).toBe("minMoney");
    const form = ok(await l.platform.api("/api/forms/supervision.payment"));
    expect(form.schema.properties.amount).toMatchObject({ format: "money", minMoney: "0.01" });
    const paid = ok(await l.platform.api("/api/forms/supervision.paid"));
    expect(paid.schema.properties.paidOn).toMatchObject({ format: "date", notAfter: "today" });
  });
});
