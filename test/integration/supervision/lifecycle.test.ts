import { AGENCY, SUPPLIERS, UNITS, detailAt, intention, lifecycle, ok, plan, sha256, type Lifecycle } from "./support";
import RULES from "../../../plugins/supervision/statutory-rules.json";

/**
 * One procurement project per execution channel, carried from the published intention to the last
 * payment through the HTTP API by the roles who do it in life: the purchaser, the regulator of its
 * region, the agency, the supplier.
 */
describe("the procurement lifecycle through the API", () => {
  let l: Lifecycle;
  beforeAll(async () => {
    l = await lifecycle();
  });
  afterAll(() => l.platform.stop());
  afterEach(() => l.platform.kernel.clock.reset());

  /** Intention published on `publishOn`, then the plan 35 days later, filed by the regulator. */
  async function filedPlan(who: string, regulator: string, publishOn: string, planOver: Record<string, unknown> = {}, intentionOver: Record<string, unknown> = {}) {
    l.travel(publishOn);
    const started = ok(await l.start(who, "supervision.intention", intention(intentionOver)), 201);
    ok(await l.take(who, started.id, "publish"));
    const projectId = started.data.projectId as string;
    l.travel(new Date(Date.parse(`${publishOn}T10:00:00+08:00`) + 35 * 86_400_000).toISOString());
    const budgetCode = who === "maonanBuyer" ? UNITS.maonanBuyer.budgetCode : UNITS.buyer.budgetCode;
    const p = ok(await l.start(who, "supervision.plan", plan(projectId, { budgetCode, ...planOver })), 201);
    ok(await l.take(who, p.id, "submit"));
    const filed = ok(await l.take(regulator, p.id, "file"));
    expect(filed.state).toBe("filed");
    return { projectId, intentionId: started.id as string, planId: p.id as string };
  }

  /** From a filed plan to the last payment, on `channel`, with `supplier` winning. */
  async function executeAndPay(who: string, ids: { projectId: string; planId: string }, channel: string, supplier: keyof typeof SUPPLIERS, on: string, amount = "1380000.00") {
    const s = SUPPLIERS[supplier];
    const supplierToken = supplier === "small" ? "smallSupplier" : "largeSupplier";
    l.travel(on);
    ok(await l.take(who, ids.planId, "choose-channel", { channel }));
    const awarded = ok(await l.take(who, ids.planId, "record-result", { supplierCode: s.creditCode, amount, awardDate: on, noticeText: `成交供应商：${s.name}` }));
    expect(awarded).toMatchObject({ state: "awarded", data: { supplierName: s.name, supplierSme: supplier === "small" } });
    const c = ok(
      await l.start(who, "supervision.contract", {
        projectId: ids.projectId, supplierCode: s.creditCode, amount, signedOn: on, startDate: on, endDate: "2021-12-31",
        paymentTerms: "验收合格后一次性支付", documentHash: sha256(`contract ${ids.projectId}`),
      }),
      201,
    );
    const filed = ok(await l.take(who, c.id, "file"));
    expect(filed.data).toMatchObject({ filedOn: on, lateFiling: false });
    const a = ok(
      await l.start(who, "supervision.acceptance", {
        projectId: ids.projectId, acceptedOn: on, result: "pass",
        items: [{ name: "LED路灯", result: "pass" }, { name: "安装调试", result: "pass", notes: "抽检20盏" }],
        committee: [{ name: "张三", role: "组长" }, { name: "李四", role: "技术专家" }],
      }),
      201,
    );
    ok(await l.take(who, a.id, "submit"));
    // The supplier reads the acceptance (a party to it) and acknowledges it.
    ok(await l.take(supplierToken, a.id, "acknowledge", { comment: "无异议" }));
    const first = ok(await l.start(who, "supervision.payment", { projectId: ids.projectId, amount: "1000000.00" }), 201);
    expect(first.data.instalment).toBe(1);
    ok(await l.take(who, first.id, "pay", { paidOn: on }));
    // part paid: the procurement has not ended, no retention is counted yet (records.retention)
    expect(ok(await l.call(who, `/api/supervision/projects/${ids.projectId}`)).retention).toBeNull();
    const rest = (Number(amount) - 1_000_000).toFixed(2);
    const second = ok(await l.start(who, "supervision.payment", { projectId: ids.projectId, amount: rest }), 201);
    expect(second.data.instalment).toBe(2);
    ok(await l.take(who, second.id, "pay", { paidOn: on }));
    const project = ok(await l.call(who, `/api/supervision/projects/${ids.projectId}`));
    expect(project).toMatchObject({ stage: "paid", channel, paidTotal: amount, contractAmount: amount, supplier: { code: s.creditCode } });
    expect(project.stages.map((x: { stage: string }) => x.stage)).toEqual(["intention", "plan", "contract", "acceptance", "payment", "payment"]);
    return project;
  }

  test("e-trading channel (Huizhou, public tender): from intention to paid; the regulator sees each step", async () => {
    const ids = await filedPlan("buyer", "regulator", "2021-01-04");
    const project = await executeAndPay("buyer", ids, "etrading", "small", "2021-02-22");
    expect(project.method).toBe("public-tender");
    // records.retention: paid in full on 2021-02-22, the procurement ended that day; its files are kept at least 15 years from it
    expect(RULES.rules["records.retention"].value).toBe(15);
    expect(project.retention).toEqual({ endedOn: "2021-02-22", retainUntil: "2036-02-22", rule: "records.retention" });
    // the timeline carries who did what
    const planStage = project.stages.find((s: { stage: string }) => s.stage === "plan");
    expect(planStage.history.map((h: { transition: string }) => h.transition)).toEqual(["$start", "submit", "file", "choose-channel", "record-result"]);
    // the regulator of Huizhou sees the project; Maoming's does not
    ok(await l.call("regulator", `/api/supervision/projects/${ids.projectId}`));
    expect((await l.call("maomingRegulator", `/api/supervision/projects/${ids.projectId}`)).status).toBe(404);
    // the supplier sees it as a party, another purchaser does not
    ok(await l.call("smallSupplier", `/api/supervision/projects/${ids.projectId}`));
    expect((await l.call("otherBuyer", `/api/supervision/projects/${ids.projectId}`)).status).toBe(404);
  });

  test("e-mall channel (e-mall direct purchase), entrusted to an agency that submits and records the result", async () => {
    const ids = await filedPlanByAgency();
    await executeAndPay("buyer", ids, "emall", "large", "2021-03-15", "1480000.00");
    const list = ok(await l.call("agency", "/api/supervision/projects?stage=paid"));
    expect(list.items.map((p: { id: string }) => p.id)).toContain(ids.projectId);
  });

  async function filedPlanByAgency() {
    l.travel("2021-01-05");
    const started = ok(await l.start("buyer", "supervision.intention", intention({ projectName: "惠州市交通运输局办公设备采购" })), 201);
    ok(await l.take("buyer", started.id, "publish"));
    l.travel("2021-02-10");
    const items = [{ category: "A02010104", name: "台式计算机", quantity: 300, unit: "台", unitPrice: "5000.00", amount: "1500000.00" }];
    const p = ok(await l.start("buyer", "supervision.plan", plan(started.data.projectId, { method: "emall-direct", items, total: "1500000.00", agencyCode: AGENCY.creditCode })), 201);
    // the agency, a party to the plan, submits it for the purchaser
    ok(await l.take("agency", p.id, "submit"));
    ok(await l.take("regulator", p.id, "file"));
    return { projectId: started.data.projectId as string, planId: p.id as string };
  }

  test("old execution platform (网上竞价 beside the e-mall): legacy-execution channel, then paid", async () => {
    const items = [{ category: "A02010104", name: "打印机", quantity: 100, unit: "台", unitPrice: "14000.00", amount: "1400000.00" }];
    const ids = await filedPlan("buyer", "regulator", "2021-01-06", { method: "emall-bidding", items, total: "1400000.00" }, { projectName: "惠州市打印设备网上竞价" });
    const channels = ok(await l.call("buyer", `/api/supervision/projects/${ids.projectId}/channels`));
    expect(channels.channels.filter((c: { open: boolean }) => c.open).map((c: { channel: string }) => c.channel)).toEqual(["emall", "legacy-execution"]);
    await executeAndPay("buyer", ids, "legacy-execution", "small", "2021-03-16");
  });

  test("offline by agency (a Maoming county before its e-trading opens), then paid", async () => {
    const ids = await filedPlan("maonanBuyer", "maomingRegulator", "2021-01-07", {}, { projectName: "茂南区人民医院设备采购" });
    l.travel("2021-03-01");
    const refused = await l.take("maonanBuyer", ids.planId, "choose-channel", { channel: "etrading" });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: "MODULE_NOT_ENABLED", details: { module: "etrading", tenant: "440902", opensAt: "2021-07-31T16:00:00.000Z" } } });
    await executeAndPay("maonanBuyer", ids, "offline", "large", "2021-03-01");
  });

  test("channel by schedule: the same plan in Huizhou and in a Maoming county on 2021-03-01", async () => {
    const huizhou = await filedPlan("buyer", "regulator", "2021-01-20", {}, { projectName: "惠州市公开招标项目" });
    const maonan = await filedPlan("maonanBuyer", "maomingRegulator", "2021-01-20", {}, { projectName: "茂南区公开招标项目" });
    l.travel("2021-03-01");
    const h = ok(await l.call("buyer", `/api/supervision/projects/${huizhou.projectId}/channels`));
    const m = ok(await l.call("maonanBuyer", `/api/supervision/projects/${maonan.projectId}/channels`));
    const open = (r: { channels: Array<{ channel: string; open: boolean }> }) => r.channels.filter((c) => c.open).map((c) => c.channel);
    expect(open(h as never)).toEqual(["etrading"]);
    expect(open(m as never)).toEqual(["offline"]);
    expect(m.channels.find((c: { channel: string }) => c.channel === "etrading")).toMatchObject({ open: false, opensAt: "2021-07-31T16:00:00.000Z" });
    // a platform channel is open in Huizhou: offline is refused there
    const offline = await l.take("buyer", huizhou.planId, "choose-channel", { channel: "offline" });
    expect(offline.status).toBe(409);
    // a method's impossible channel is a field error
    detailAt(await l.take("buyer", huizhou.planId, "choose-channel", { channel: "emall" }), "/channel");
  });

  test("a purchaser whose unit is not in the registry cannot begin a project, even where its code begins registered ones'", async () => {
    l.travel("2021-01-20");
    // 4413004 begins 441300401 and 441300402, both registered: an exact code, not a prefix, is looked up
    const token = await l.platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "4413004" });
    const before = await l.platform.kernel.db.knex("core_workflow_instances").count({ n: "*" });
    const res = await l.platform.api("/api/workflows/supervision.intention/instances", { method: "POST", token, body: { data: intention() } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: "/", rule: "unit", message: { "zh-CN": "采购人库中没有预算单位 4413004，请先由管理员登记", en: expect.stringContaining("4413004") } })]);
    expect(await l.platform.kernel.db.knex("core_workflow_instances").count({ n: "*" })).toEqual(before);
  });
});
