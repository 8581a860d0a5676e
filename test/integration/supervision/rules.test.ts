import { poll } from "../../support/http";
import { SUPPLIERS, detailAt, intention, lifecycle, ok, plan, sha256, type Lifecycle } from "./support";

/** The law's rules on each stage, each refused with a clear error that writes nothing. */
describe("the legal rules of the lifecycle", () => {
  let l: Lifecycle;
  beforeAll(async () => {
    l = await lifecycle();
  });
  afterAll(() => l.platform.stop());
  afterEach(() => l.platform.kernel.clock.reset());

  const count = async (table: string) => Number((await l.platform.kernel.db.knex(table).count({ n: "*" }))[0].n);
  const at = (date: string, days: number) => new Date(Date.parse(`${date}T10:00:00+08:00`) + days * 86_400_000).toISOString();

  async function published(name: string, on: string, over: Record<string, unknown> = {}) {
    l.travel(on);
    const i = ok(await l.start("buyer", "supervision.intention", intention({ projectName: name, ...over })), 201);
    ok(await l.take("buyer", i.id, "publish"));
    return { intentionId: i.id as string, projectId: i.data.projectId as string };
  }

  /** A project whose plan is awarded to `supplier` for `amount`, on `on`. */
  async function awarded(name: string, supplier: keyof typeof SUPPLIERS, on: string, amount = "1400000.00") {
    const { projectId } = await published(name, "2021-01-04");
    l.travel("2021-02-15");
    const p = ok(await l.start("buyer", "supervision.plan", plan(projectId)), 201);
    ok(await l.take("buyer", p.id, "submit"));
    ok(await l.take("regulator", p.id, "file"));
    l.travel(on);
    ok(await l.take("buyer", p.id, "choose-channel", { channel: "etrading" }));
    ok(await l.take("buyer", p.id, "record-result", { supplierCode: SUPPLIERS[supplier].creditCode, amount, awardDate: on, noticeText: "成交结果公告" }));
    return { projectId, planId: p.id as string };
  }

  const contract = (projectId: string, supplier: keyof typeof SUPPLIERS, signedOn: string, amount = "1400000.00", over: Record<string, unknown> = {}) => ({
    projectId, supplierCode: SUPPLIERS[supplier].creditCode, amount, signedOn, startDate: signedOn, endDate: "2022-06-30",
    paymentTerms: "分两期支付", documentHash: sha256(projectId), ...over,
  });

  describe("gd.intentionLead: an intention is public at least 30 days before the plan", () => {
    test("29 days: refused at the exemption field, nothing written; 30 days: accepted", async () => {
      const { projectId } = await published("惠州市三十日规则测试项目", "2021-01-04");
      l.travel(at("2021-01-04", 29));
      const before = await count("core_workflow_instances");
      const early = await l.start("buyer", "supervision.plan", plan(projectId));
      expect(early.status).toBe(400);
      expect(detailAt(early, "/exemptionReason").rule).toBe("intention-lead");
      expect(await count("core_workflow_instances")).toBe(before);
      l.travel(at("2021-01-04", 30));
      const p = ok(await l.start("buyer", "supervision.plan", plan(projectId)), 201);
      expect(p.data).toMatchObject({ exempt: false, intentionPublicDays: 30 });
    });

    test("an exemption with its reason is accepted, recorded and shown on the project", async () => {
      const { projectId } = await published("惠州市抢险救灾物资采购", "2021-01-04");
      l.travel(at("2021-01-04", 3));
      const reason = "因防汛抢险紧急采购，无法提前公开意向";
      const p = ok(await l.start("buyer", "supervision.plan", plan(projectId, { exemptionReason: reason })), 201);
      expect(p.data).toMatchObject({ exempt: true, intentionPublicDays: 3 });
      const project = ok(await l.call("regulator", `/api/supervision/projects/${projectId}`));
      expect(project.exemptionReason).toBe(reason);
      expect(project.flags).toEqual([expect.objectContaining({ kind: "intention-exempt" })]);
    });

    test("an intention never published, or withdrawn, cannot lead to a plan", async () => {
      l.travel("2021-01-04");
      const draft = ok(await l.start("buyer", "supervision.intention", intention({ projectName: "未公开的意向" })), 201);
      l.travel("2021-03-01");
      expect(detailAt(await l.start("buyer", "supervision.plan", plan(draft.data.projectId)), "/exemptionReason").rule).toBe("intention-lead");
      ok(await l.take("buyer", draft.id, "withdraw"));
      expect((await l.start("buyer", "supervision.plan", plan(draft.data.projectId, { exemptionReason: "紧急采购" }))).status).toBe(409);
      // records.retention: a withdrawn procurement has ended too, on the day of its withdrawal; its files are kept 15 years from it
      const ended = ok(await l.call("buyer", `/api/supervision/projects/${draft.data.projectId}`));
      expect(ended).toMatchObject({ stage: "withdrawn", retention: { endedOn: "2021-03-01", retainUntil: "2036-03-01", rule: "records.retention" } });
    });
  });

  describe("plan amounts", () => {
    test("items that do not add up, a line that is not quantity × price, a total above the intention's budget: each at its field", async () => {
      const { projectId } = await published("惠州市金额规则测试项目", "2021-01-04");
      l.travel("2021-02-15");
      const items = plan(projectId).items;
      const wrongLine = await l.start("buyer", "supervision.plan", plan(projectId, { items: [{ ...items[0], amount: "1200000.01" }, items[1]], total: "1400000.01" }));
      expect(detailAt(wrongLine, "/items/0/amount").rule).toBe("amount");
      const wrongSum = await l.start("buyer", "supervision.plan", plan(projectId, { total: "1400000.10" }));
      expect(detailAt(wrongSum, "/total").rule).toBe("sum");
      const big = [{ category: "A02061802", name: "LED路灯", quantity: 1600, unit: "盏", unitPrice: "1000.00", amount: "1600000.00" }];
      const overBudget = await l.start("buyer", "supervision.plan", plan(projectId, { items: big, total: "1600000.00" }));
      expect(detailAt(overBudget, "/total").rule).toBe("budget");
      const otherCode = await l.start("buyer", "supervision.plan", plan(projectId, { budgetCode: "441300402" }));
      expect(detailAt(otherCode, "/budgetCode").rule).toBe("budget-code");
      // another unit's project is answered like one that does not exist
      expect(detailAt(await l.start("otherBuyer", "supervision.plan", plan(projectId, { budgetCode: "441300402" })), "/projectId").rule).toBe("project");
      ok(await l.start("buyer", "supervision.plan", plan(projectId)), 201);
      expect((await l.start("buyer", "supervision.plan", plan(projectId))).status).toBe(409);
    });

    test("returned with reasons by the regulator, revised, submitted again and filed", async () => {
      const { projectId } = await published("惠州市退回修改测试项目", "2021-01-04");
      l.travel("2021-02-15");
      const p = ok(await l.start("buyer", "supervision.plan", plan(projectId)), 201);
      ok(await l.take("buyer", p.id, "submit"));
      expect((await l.take("buyer", p.id, "file")).status).toBe(403);
      const returned = ok(await l.take("regulator", p.id, "return", { reason: "采购需求中的技术参数指向特定品牌，请修改" }));
      expect(returned.state).toBe("returned");
      ok(await l.take("buyer", p.id, "revise", plan(projectId, { smeShare: 50 })));
      ok(await l.take("buyer", p.id, "submit"));
      expect(ok(await l.take("regulator", p.id, "file")).state).toBe("filed");
    });
  });

  describe("contract.publish: contract filing within 2 working days of signing, counted from the next day (calc.dayCounting)", () => {
    test("across the National Day holiday: signed 2021-09-30, due 2021-10-09 (a make-up working Saturday); filed on the 8th is on time", async () => {
      const { projectId } = await awarded("惠州市国庆前签约项目", "small", "2021-09-28");
      l.travel("2021-09-30");
      const c = ok(await l.start("buyer", "supervision.contract", contract(projectId, "small", "2021-09-30")), 201);
      expect(c.data.filingDue).toBe("2021-10-09");
      l.travel("2021-10-08");
      expect(ok(await l.take("buyer", c.id, "file")).data).toMatchObject({ filedOn: "2021-10-08", lateFiling: false });
    });

    test("filed on 2021-10-11 it is late: flagged on the project and told to the regulator", async () => {
      const { projectId } = await awarded("惠州市逾期备案项目", "small", "2021-09-28");
      l.travel("2021-09-30");
      const c = ok(await l.start("buyer", "supervision.contract", contract(projectId, "small", "2021-09-30")), 201);
      l.travel("2021-10-11");
      expect(ok(await l.take("buyer", c.id, "file")).data).toMatchObject({ lateFiling: true, filingDue: "2021-10-09" });
      const project = ok(await l.call("regulator", `/api/supervision/projects/${projectId}`));
      expect(project.flags.map((f: { kind: string }) => f.kind)).toContain("late-contract-filing");
      await poll("the regulator's late-filing notification", async () => ok(await l.call("regulator", "/api/notifications?unread=1")), (b) =>
        b.items.some((n: { title: { "zh-CN": string } }) => n.title["zh-CN"].includes("合同备案逾期：惠州市逾期备案项目")),
      );
    });

    test("an amount above the award needs a recorded reason; only the awarded supplier", async () => {
      const { projectId } = await awarded("惠州市合同金额测试项目", "large", "2021-03-01", "1300000.00");
      l.travel("2021-03-02");
      expect(detailAt(await l.start("buyer", "supervision.contract", contract(projectId, "large", "2021-03-02", "1300000.01")), "/amount").rule).toBe("awarded-amount");
      expect(detailAt(await l.start("buyer", "supervision.contract", contract(projectId, "small", "2021-03-02", "1300000.00")), "/supplierCode").rule).toBe("awarded-supplier");
      const c = ok(await l.start("buyer", "supervision.contract", contract(projectId, "large", "2021-03-02", "1350000.00", { overAwardReason: "追加同类设备10%，经财政部门同意" })), 201);
      expect(c.data.overAwardReason).toContain("追加");
    });
  });

  /** A filed contract of `amount` with `supplier`, accepted on `acceptedOn`. */
  async function accepted(name: string, supplier: keyof typeof SUPPLIERS, acceptedOn: string, amount = "1400000.00") {
    const { projectId } = await awarded(name, supplier, "2021-03-01", amount);
    l.travel("2021-03-02");
    const c = ok(await l.start("buyer", "supervision.contract", contract(projectId, supplier, "2021-03-02", amount)), 201);
    ok(await l.take("buyer", c.id, "file"));
    l.travel(acceptedOn);
    const a = ok(await l.start("buyer", "supervision.acceptance", { projectId, acceptedOn, result: "pass", items: [{ name: "全部标的", result: "pass" }], committee: [{ name: "王五", role: "组长" }] }), 201);
    ok(await l.take("buyer", a.id, "submit"));
    return { projectId, acceptanceId: a.id as string };
  }

  describe("payments", () => {
    test("in total never above the contract amount, also when requested at the same moment", async () => {
      const { projectId } = await accepted("惠州市支付上限测试项目", "large", "2021-03-10", "1000000.00");
      expect(detailAt(await l.start("buyer", "supervision.payment", { projectId, amount: "1000000.01" }), "/amount").rule).toBe("contract-amount");
      const five = await Promise.all([1, 2, 3, 4, 5].map(() => l.start("buyer", "supervision.payment", { projectId, amount: "400000.00" })));
      expect(five.filter((r) => r.status === 201)).toHaveLength(2);
      expect(five.filter((r) => r.status === 400)).toHaveLength(3);
      const project = ok(await l.call("buyer", `/api/supervision/projects/${projectId}`));
      expect(project.requestedTotal).toBe("800000.00");
    });

    test("gd.smePayment: a small supplier unpaid 30 days after acceptance is flagged to the regulator and the supplier", async () => {
      const { projectId, acceptanceId } = await accepted("惠州市中小企业付款测试项目", "small", "2021-03-10");
      const acc = ok(await l.call("buyer", `/api/instances/${acceptanceId}`));
      expect(acc.data).toMatchObject({ paymentDue: "2021-04-09", overdueFrom: "2021-04-10" });
      l.travel("2021-04-09T23:59:00+08:00");
      await new Promise((r) => setTimeout(r, 400));
      expect(ok(await l.call("buyer", `/api/instances/${acceptanceId}`)).state).toBe("submitted");
      l.travel("2021-04-10T00:00:01+08:00");
      await poll("the overdue flag", async () => ok(await l.call("buyer", `/api/instances/${acceptanceId}`)), (b) => b.state === "payment-overdue");
      const project = ok(await l.call("regulator", `/api/supervision/projects/${projectId}`));
      expect(project.flags.map((f: { kind: string }) => f.kind)).toContain("payment-overdue");
      for (const who of ["regulator", "smallSupplier"]) {
        await poll(`${who}'s overdue notification`, async () => ok(await l.call(who, "/api/notifications")), (b) =>
          b.items.some((n: { title: { "zh-CN": string } }) => n.title["zh-CN"].includes("惠州市中小企业付款测试项目")),
        );
      }
    });

    test("paid in full in time: no flag; a large supplier has no 30-day term", async () => {
      const { projectId, acceptanceId } = await accepted("惠州市按期付款项目", "small", "2021-03-10");
      const pay = ok(await l.start("buyer", "supervision.payment", { projectId, amount: "1400000.00" }), 201);
      l.travel("2021-03-20");
      ok(await l.take("buyer", pay.id, "pay", { paidOn: "2021-03-20" }));
      l.travel("2021-04-12");
      await new Promise((r) => setTimeout(r, 500));
      expect(ok(await l.call("buyer", `/api/instances/${acceptanceId}`)).state).toBe("submitted");
      expect(ok(await l.call("buyer", `/api/supervision/projects/${projectId}`))).toMatchObject({ stage: "paid", flags: [] });
      const large = await accepted("惠州市大型企业付款项目", "large", "2021-03-10");
      expect(ok(await l.call("buyer", `/api/instances/${large.acceptanceId}`)).data.paymentDue).toBeNull();
    });
  });

  describe("the portal", () => {
    test("a published intention appears with its public fields only; a draft never does; a withdrawn one leaves", async () => {
      const { intentionId } = await published("惠州市门户公开测试项目", "2021-01-04", { remarks: "内部备注：预算来自二季度调整" });
      l.travel("2021-01-04");
      const draft = ok(await l.start("buyer", "supervision.intention", intention({ projectName: "惠州市尚未公开的草稿项目" })), 201);
      const list = await poll("the notice on the portal", async () => ok(await l.platform.api("/api/portal/notices?tenant=441300&type=intention&q=门户公开测试")), (b) => b.total === 1);
      const notice = ok(await l.platform.api(`/api/portal/notices/${list.items[0].id}`));
      expect(notice).toMatchObject({ type: "intention", title: "惠州市门户公开测试项目", unitName: "惠州市交通运输局", tenantCode: "441300" });
      expect(Object.keys(notice.fields).sort()).toEqual(["budget", "expectedMonth", "projectName", "publishedAt", "purchaserName", "summary"]);
      expect(JSON.stringify(notice)).not.toContain("内部备注");
      // the province's list includes its cities; Maoming's does not include Huizhou
      expect(ok(await l.platform.api("/api/portal/notices?tenant=440000&type=intention&q=门户公开测试")).total).toBe(1);
      expect(ok(await l.platform.api("/api/portal/notices?tenant=440900&q=门户公开测试")).total).toBe(0);
      expect(ok(await l.platform.api("/api/portal/notices?q=尚未公开的草稿")).total).toBe(0);
      expect(draft.state).toBe("draft");
      ok(await l.take("buyer", intentionId, "withdraw"));
      await poll("the withdrawn notice gone", async () => ok(await l.platform.api("/api/portal/notices?tenant=441300&q=门户公开测试")), (b) => b.total === 0);
    });
  });
});
