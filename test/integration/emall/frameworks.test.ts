import { intention, type Lifecycle, ok, plan, UNITS } from "../supervision/support";
import { mallLifecycle as lifecycle } from "../emall/support";
import { usccCheckChar } from "../../../core/forms/formats";

const company = (n: number) => {
  const first17 = `91441300${String(n).padStart(8, "0")}M`;
  return first17 + usccCheckChar(first17);
};
/** five print-shop suppliers answer the public call; the first two also sell printers in the mall */
const FIRMS = [1, 2, 3, 4, 5].map((i) => ({ creditCode: company(8600 + i), name: `惠州市框架${i}号办公设备有限公司`, sizeClass: "small", region: "441300", who: `f${i}` }));

describe("emall framework agreements (MOF order 110)", () => {
  let l: Lifecycle;
  let projectId: string;
  let closedId: string;
  const offers: Record<string, string> = {};

  const closed = (over: Record<string, unknown> = {}, stage: Record<string, unknown> = {}) => ({
    kind: "closed", title: "惠州市2021年度激光打印机框架协议", categoryCode: "A0201060101", subject: "goods", maxUnitPrice: "2200.00", channel: "electronic",
    startsOn: "2021-03-01", endsOn: "2022-02-28", signedOn: "2021-02-25",
    firstStage: {
      callNoticeOn: "2021-01-22", responsesDueOn: "2021-02-11", admissionNoticeOn: "2021-02-18",
      responses: FIRMS.map((f, i) => ({ supplierCode: f.creditCode, unitPrice: `${2000 + i * 20}.00`, qualified: true })),
      admitted: FIRMS.slice(0, 4).map((f) => f.creditCode),
      ...stage,
    },
    ...over,
  });
  const callOff = (over: Record<string, unknown>) => ({
    frameworkId: closedId, projectId, planLine: 0, quantity: 1,
    consignee: { name: "张科长", phone: "0752-2281234", address: "惠州市惠城区江北三新南路22号" },
    invoice: { kind: "normal", title: UNITS.buyer.name, taxId: UNITS.buyer.budgetCode },
    ...over,
  });
  const frameworks = () => l.platform.kernel.db.knex("emall_frameworks").count({ n: "*" }).then(([r]) => Number(r.n));
  const notices = () => l.platform.kernel.db.knex("core_outbox").where({ event: "portal.publish" }).orderBy("created_at").then((rows) => rows.map((r) => r.payload).filter((p) => p.plugin === "emall"));

  beforeAll(async () => {
    l = await lifecycle();
    l.tokens.cityAdmin = await l.platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
    for (const f of FIRMS) {
      ok(await l.call("admin", "/api/registries/suppliers", { method: "POST", body: { creditCode: f.creditCode, name: f.name, sizeClass: f.sizeClass, region: f.region, contactName: "王经理", contactPhone: "13800138000" } }), 201);
      l.tokens[f.who] = await l.platform.token({ roles: ["supplier"], tenantCode: "441300", unitCode: f.creditCode });
    }
    l.travel("2021-01-20");
    const started = ok(await l.start("buyer", "supervision.intention", intention({ projectName: "惠州市交通运输局打印机框架协议采购", budget: "30000.00", expectedMonth: "2021-03" })), 201);
    ok(await l.take("buyer", started.id, "publish"));
    l.travel("2021-02-26");
    const items = [{ category: "A0201060101", name: "激光打印机", quantity: 10, unit: "台", unitPrice: "2200.00", amount: "22000.00" }];
    const p = ok(await l.start("buyer", "supervision.plan", plan(started.data.projectId, { method: "emall-direct", items, total: "22000.00" })), 201);
    ok(await l.take("buyer", p.id, "submit"));
    ok(await l.take("regulator", p.id, "file"));
    ok(await l.take("buyer", p.id, "choose-channel", { channel: "emall" }));
    projectId = started.data.projectId;
    let productId = "";
    for (const f of FIRMS.slice(0, 2)) {
      ok(await l.call(f.who, "/api/commodities/admissions", { method: "POST", body: { role: "dealer", licences: [{ kind: "营业执照", number: `L-${f.who}`, expiresOn: "2030-12-31" }] } }));
      ok(await l.call("cityAdmin", `/api/commodities/admissions/${f.creditCode}/review`, { method: "POST", body: { decision: "admitted" } }));
      if (!productId) productId = ok(await l.call(f.who, "/api/commodities/products", { method: "POST", body: { categoryCode: "A0201060101", brand: "奔图", model: "P3308DN", name: "奔图黑白激光打印机", attributes: { color: false, ppm: 33, duplex: true, paper: "A4" } } })).id;
      offers[f.who] = ok(await l.call(f.who, "/api/commodities/offers", { method: "POST", body: { productId, price: "2100.00", stock: 20, regions: ["441300"], deliveryDays: 3, warrantyMonths: 12 } })).id;
    }
  }, 180_000);
  afterAll(() => l?.platform.stop());

  test("a closed agreement is refused, nothing written, unless electronic (framework.electronic), its call runs as a public tender (framework.closedCallFollowsTenderRules, tender.biddingPeriod), it eliminates at least 20 % and one (framework.firstStageElimination), is signed within 30 days (framework.signWithin) and lasts at most a year for goods (framework.term)", async () => {
    const bad = await l.call("cityAdmin", "/api/emall/frameworks", {
      method: "POST",
      body: closed({ channel: "paper", endsOn: "2022-03-02", signedOn: "2021-03-21" }, { responsesDueOn: "2021-02-05", admissionNoticeOn: "2021-02-18", admitted: FIRMS.map((f) => f.creditCode) }),
    });
    expect(bad.status).toBe(400);
    const rules = Object.fromEntries(bad.body.error.details.map((d: { path: string; rule: string }) => [d.rule, d.path]));
    expect(rules).toEqual({
      "framework.electronic": "/channel",
      "framework.term": "/endsOn",
      "framework.closedCallFollowsTenderRules": "/firstStage/responsesDueOn",
      "framework.signWithin": "/signedOn",
      "framework.firstStageElimination": "/firstStage/admitted",
    });
    const elimination = bad.body.error.details.find((d: { rule: string }) => d.rule === "framework.firstStageElimination");
    expect(elimination.message["zh-CN"]).toContain("至少淘汰 1 家");
    // one qualified response is not a competition
    const lone = await l.call("cityAdmin", "/api/emall/frameworks", { method: "POST", body: closed({}, { responses: [{ supplierCode: FIRMS[0].creditCode, unitPrice: "2000.00", qualified: true }, { supplierCode: FIRMS[1].creditCode, unitPrice: "2010.00", qualified: false }], admitted: [] }) });
    expect(lone.body.error.details).toEqual([expect.objectContaining({ path: "/firstStage/responses", rule: "framework.firstStageElimination" })]);
    expect((await l.call("smallSupplier", "/api/emall/frameworks", { method: "POST", body: closed() })).status).toBe(403);
    expect(await frameworks()).toBe(0);

    const made = ok(await l.call("cityAdmin", "/api/emall/frameworks", { method: "POST", body: closed() }));
    closedId = made.id;
    // filed with the finance department within 7 working days of signing (framework.signWithin): 2021-02-25 + 7 working days
    expect(made).toMatchObject({ kind: "closed", electronic: true, signedOn: "2021-02-25", filingDue: "2021-03-08" });
    expect(made.members.map((m: { supplierCode: string; unitPrice: string; seq: number }) => [m.supplierCode, m.unitPrice, m.seq])).toEqual(FIRMS.slice(0, 4).map((f, i) => [f.creditCode, `${2000 + i * 20}.00`, i + 1]));
  });

  test("call-offs (framework.callOffMethods): direct selection of a member at its price; rotation takes each member in turn and publishes each award (framework.callOffResultNotice); each a contract record in supervision", async () => {
    l.travel("2021-03-02");
    const outsider = await l.start("buyer", "emall.calloff", callOff({ method: "direct", supplierCode: FIRMS[4].creditCode }));
    expect(outsider.status).toBe(400);
    expect(outsider.body.error.details[0]).toMatchObject({ path: "/supplierCode", rule: "framework-member" });
    const direct = ok(await l.start("buyer", "emall.calloff", callOff({ method: "direct", supplierCode: FIRMS[2].creditCode, quantity: 2 })), 201);
    expect(direct.data).toMatchObject({ supplierCode: FIRMS[2].creditCode, unitPrice: "2040.00", total: "4080.00" });
    expect(direct.data.resultNoticeDue).toBeUndefined();
    expect(await notices()).toEqual([]);

    const first = ok(await l.start("buyer", "emall.calloff", callOff({ method: "rotation" })), 201);
    const second = ok(await l.start("buyer", "emall.calloff", callOff({ method: "rotation" })), 201);
    expect([first.data.supplierCode, second.data.supplierCode]).toEqual([FIRMS[0].creditCode, FIRMS[1].creditCode]);
    // 2021-03-02 is a Tuesday: 2 working days later is Thursday; published the same day
    expect(first.data).toMatchObject({ resultNoticeDue: "2021-03-04", resultPublishedOn: "2021-03-02" });
    const published = await notices();
    expect(published.map((n) => [n.notice, n.instanceId, n.data.supplierName, n.data.method])).toEqual([
      ["result", first.id, FIRMS[0].name, "rotation"],
      ["result", second.id, FIRMS[1].name, "rotation"],
    ]);

    // the supplier confirms: a contract record of kind call-off on the project's page
    ok(await l.take(FIRMS[2].who, direct.id, "confirm"));
    const project = ok(await l.call("buyer", `/api/supervision/projects/${projectId}`));
    expect(project.contractRecords).toEqual([expect.objectContaining({ kind: "call-off", instanceId: direct.id, amount: "4080.00", status: "contracted" })]);
  });

  test("a second-round price competition is an auction among the agreement's suppliers, the agreement's price its ceiling (framework.callOffMethods); its award is a call-off published at once (framework.callOffResultNotice)", async () => {
    l.travel("2021-03-03T09:00:00+08:00");
    const auction = (over: Record<string, unknown> = {}) => ({
      projectId, planLine: 0, title: "激光打印机二次竞价", requirements: "黑白激光，双面", categoryCode: "A0201060101", quantity: 2, maxUnitPrice: "2200.00",
      endsAt: "2021-03-03T10:00:00+08:00", frameworkId: closedId, ...over,
    });
    const above = await l.start("buyer", "emall.auction", auction({ maxUnitPrice: "2200.01" }));
    expect(above.status).toBe(400);
    expect(above.body.error.details[0]).toMatchObject({ path: "/maxUnitPrice", rule: "framework.callOffMethods" });
    const a = ok(await l.start("buyer", "emall.auction", auction()), 201);
    // a supplier outside the agreement cannot quote
    const stranger = await l.call("smallSupplier", `/api/emall/auctions/${a.id}/quotes`, { method: "POST", body: { unitPrice: "1900.00", offerId: offers.f1 } });
    expect(stranger.status).toBe(400);
    expect(stranger.body.error.details[0].rule).toBe("framework-member");
    ok(await l.call("f1", `/api/emall/auctions/${a.id}/quotes`, { method: "POST", body: { unitPrice: "1980.00", offerId: offers.f1 } }));
    ok(await l.call("f2", `/api/emall/auctions/${a.id}/quotes`, { method: "POST", body: { unitPrice: "1960.00", offerId: offers.f2 } }));
    l.travel("2021-03-03T10:00:00+08:00");
    const state = () => l.platform.kernel.db.knex("emall_auctions").where({ id: a.id }).first().then((r) => r.status);
    for (let i = 0; i < 100 && (await state()) === "bidding"; i++) await new Promise((r) => setTimeout(r, 50));
    const order = await l.platform.kernel.db.knex("emall_orders").where({ id: a.id }).first();
    expect(order).toMatchObject({ kind: "call-off", supplier_code: FIRMS[1].creditCode, total: "3920.00" });
    const notice = (await notices()).find((n) => n.instanceId === a.id);
    expect(notice).toMatchObject({ notice: "result", data: { method: "second-round", supplierName: FIRMS[1].name, unitPrice: "1960.00" } });
  });

  test("an open agreement: a supplier joins at any time while it runs, reviewed within 7 working days and its admission published (framework.openJoin); a closed agreement takes nobody in", async () => {
    l.travel("2021-03-05");
    const open = ok(await l.call("cityAdmin", "/api/emall/frameworks", { method: "POST", body: { kind: "open", title: "惠州市公务车辆维修开放式框架协议", categoryCode: "C23120301", subject: "services", maxUnitPrice: "5000.00", startsOn: "2021-03-05", endsOn: "2023-03-04" } }));
    const refused = await l.call("f5", `/api/emall/frameworks/${closedId}/join`, { method: "POST", body: { unitPrice: "2000.00" } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.details.rule).toBe("framework.openJoin");
    // Friday 2021-03-05: 7 working days later is Tuesday 2021-03-16
    const joined = ok(await l.call("f5", `/api/emall/frameworks/${open.id}/join`, { method: "POST", body: { unitPrice: "4500.00" } }));
    expect(joined).toMatchObject({ status: "pending", reviewDue: "2021-03-16" });
    expect((await l.call("f5", `/api/emall/frameworks/${open.id}/join`, { method: "POST", body: { unitPrice: "4400.00" } })).status).toBe(409);
    l.travel("2021-03-10");
    const reviewed = ok(await l.call("cityAdmin", `/api/emall/frameworks/${open.id}/members/${FIRMS[4].creditCode}/review`, { method: "POST", body: { decision: "admitted" } }));
    expect(reviewed).toMatchObject({ status: "admitted", reviewedOn: "2021-03-10", inTime: true });
    const shown = ok(await l.call("buyer", `/api/emall/frameworks/${open.id}`));
    expect(shown.members).toEqual([expect.objectContaining({ supplierCode: FIRMS[4].creditCode, status: "admitted", unitPrice: "4500.00" })]);
    expect((await notices()).some((n) => n.data.framework === open.title && !("frameworkId" in n.data) && n.data.supplierName === FIRMS[4].name)).toBe(true);
  });
});
