import { poll } from "../../support/http";
import { intention, lifecycle, type Lifecycle, ok, plan, sha256, SUPPLIERS, UNITS } from "../supervision/support";
import SUPERVISION_RULES from "../../../plugins/supervision/statutory-rules.json";

/**
 * Credit facts the platform produces (issue 20): supervision announces a late contract filing
 * (contract.publish) and an SME payment overdue (gd.smePayment) as `credit.fact` events; each lands in the
 * purchasing unit's credit file once, with its source, dates and appeal state. On the real plugins.
 */
describe("credit facts from supervision", () => {
  let l: Lifecycle;
  beforeAll(async () => {
    l = await lifecycle();
  }, 120_000);
  afterAll(() => l?.platform.stop());

  const file = () => l.call("buyer", `/api/credit/files/${UNITS.buyer.budgetCode}`);
  const factsOf = async (kind: string) => ok(await file()).facts.filter((f: { kind: string }) => f.kind === kind);

  /** A project awarded to the small supplier on 2021-09-28, its contract signed on 2021-09-30. */
  async function contracted(name: string) {
    l.travel("2021-01-04");
    const i = ok(await l.start("buyer", "supervision.intention", intention({ projectName: name })), 201);
    ok(await l.take("buyer", i.id, "publish"));
    l.travel("2021-02-15");
    const p = ok(await l.start("buyer", "supervision.plan", plan(i.data.projectId)), 201);
    ok(await l.take("buyer", p.id, "submit"));
    ok(await l.take("regulator", p.id, "file"));
    l.travel("2021-09-28");
    ok(await l.take("buyer", p.id, "choose-channel", { channel: "etrading" }));
    ok(await l.take("buyer", p.id, "record-result", { supplierCode: SUPPLIERS.small.creditCode, amount: "1400000.00", awardDate: "2021-09-28", noticeText: "成交结果公告" }));
    l.travel("2021-09-30");
    const c = ok(await l.start("buyer", "supervision.contract", {
      projectId: i.data.projectId, supplierCode: SUPPLIERS.small.creditCode, amount: "1400000.00", signedOn: "2021-09-30", startDate: "2021-09-30", endDate: "2022-06-30", paymentTerms: "分两期支付", documentHash: sha256(name),
    }), 201);
    return { projectId: i.data.projectId as string, contractId: c.id as string };
  }

  test("contract.publish: a contract filed after its 2 working days is a late-publication fact in the purchaser's file, once, with its dates; one filed in time is none", async () => {
    expect(SUPERVISION_RULES.rules["contract.publish"].value).toBe(2);
    const onTime = await contracted("惠州市按期备案项目");
    l.travel("2021-10-08");
    ok(await l.take("buyer", onTime.contractId, "file"));
    const late = await contracted("惠州市逾期备案项目");
    l.travel("2021-10-11");
    expect(ok(await l.take("buyer", late.contractId, "file")).data).toMatchObject({ lateFiling: true, filingDue: "2021-10-09" });

    const facts = await poll("the late filing in the file", () => factsOf("late-contract-filing"), (f) => f.length > 0);
    expect(facts).toHaveLength(1);
    expect(facts[0]).toMatchObject({
      subjectCode: UNITS.buyer.budgetCode, subjectKind: "purchaser", source: "supervision", rule: "contract.publish", occurredOn: "2021-10-11", startsOn: "2021-10-09", appealState: "none", tenantCode: "441300",
    });
    expect(facts[0].title["zh-CN"]).toContain("惠州市逾期备案项目");
    expect(facts[0].reference).toContain(late.contractId);
    // the event is written once: its row carries the outbox event's id
    const rows = await l.platform.kernel.db.knex("credit_facts").where({ kind: "late-contract-filing" });
    expect(rows).toHaveLength(1);
    expect(rows[0].event_id).toEqual(expect.any(String));
  });

  test("gd.smePayment: a small supplier unpaid 30 days after acceptance is a late-payment fact in the purchaser's file, once", async () => {
    expect(SUPERVISION_RULES.rules["gd.smePayment"].value).toBe(30);
    const { projectId, contractId } = await contracted("惠州市中小企业逾期付款项目");
    l.travel("2021-10-08");
    ok(await l.take("buyer", contractId, "file"));
    l.travel("2021-10-12");
    const a = ok(await l.start("buyer", "supervision.acceptance", { projectId, acceptedOn: "2021-10-12", result: "pass", items: [{ name: "全部标的", result: "pass" }], committee: [{ name: "王五", role: "组长" }] }), 201);
    ok(await l.take("buyer", a.id, "submit"));
    expect(await factsOf("late-payment")).toEqual([]);
    l.travel("2021-11-12T00:00:01+08:00");
    const facts = await poll("the late payment in the file", () => factsOf("late-payment"), (f) => f.length > 0);
    expect(facts).toHaveLength(1);
    expect(facts[0]).toMatchObject({ source: "supervision", rule: "gd.smePayment", subjectKind: "purchaser", occurredOn: "2021-11-12", startsOn: "2021-11-11", appealState: "none" });
    // a regulator may mark it under appeal; the purchaser reads the state
    ok(await l.call("regulator", `/api/credit/facts/${facts[0].id}/appeal`, { method: "PATCH", body: { appealState: "pending" } }));
    expect((await factsOf("late-payment"))[0].appealState).toBe("pending");
  });
});
