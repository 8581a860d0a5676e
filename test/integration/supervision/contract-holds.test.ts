import { createHash } from "node:crypto";
import { ok, SUPPLIERS, type Trading, trading } from "../etrading/support";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * challenge.suspendContract through supervision's own routes: while a challenge that may affect the
 * result awaits its answer, the project's contract filing is neither started nor submitted (409 naming
 * the rule and the case, zh-CN and en, nothing written); once answered it goes on. Supervision asks
 * the providers of its point `supervision.contract-holds`; complaints is the one that knows.
 */
describe("supervision.contract-holds: a contract waits for the challenges that may affect the result", () => {
  let t: Trading;
  let projectId: string;
  let tenderId: string;
  const matters = [{ text: "评分标准中的技术参数指向特定品牌" }];
  const contractData = () => ({
    projectId, supplierCode: SUPPLIERS.large.creditCode, amount: "1300000.00", signedOn: "2021-03-31", startDate: "2021-04-01", endDate: "2021-12-31",
    paymentTerms: "验收合格后一次性支付", documentHash: createHash("sha256").update(`contract ${projectId}`).digest("hex"),
  });
  const contracts = async () => Number((await t.platform.kernel.db.knex("supervision_project_instances").where({ project_id: projectId, stage: "contract" }).count({ n: "*" }))[0].n);
  const challenge = (who: string) => t.call(who, "/api/complaints/challenges", { method: "POST", body: { tenderId, target: "result", knownOn: "2021-03-30", matters } });
  const reply = (id: string) => t.call("buyer", `/api/complaints/challenges/${id}/reply`, { method: "POST", body: { reply: "评分符合采购文件规定，质疑不成立。" } });

  beforeAll(async () => {
    t = await trading();
    projectId = await t.filedProject("public-tender", "2021-03-01");
    const s = ok(await t.start("buyer", "etrading.public-tender", t.documents(projectId)), 201);
    ok(await t.take("buyer", s.id, "publish"));
    tenderId = s.id;
    for (const who of ["smallSupplier", "supplier1"]) ok(await t.call(who, `/api/etrading/tenders/${tenderId}/registrations`, { method: "POST" }));
    t.travel("2021-03-30");
    const project = ok(await t.call("buyer", `/api/supervision/projects/${projectId}`));
    const planId = project.stages.find((st: Any) => st.stage === "plan").instanceId;
    ok(await t.take("buyer", planId, "record-result", { supplierCode: SUPPLIERS.large.creditCode, amount: "1300000.00", awardDate: "2021-03-30", noticeText: "中标结果公告" }));
  }, 120_000);
  afterAll(() => t.platform.stop());

  test("challenge.suspendContract: the filing is refused at its start and at its submission while a challenge of the result is unanswered or its complaint undecided (complaint.suspendProcurement while suspended), allowed after the reply and the decision", async () => {
    t.travel("2021-03-31");
    const first = ok(await challenge("smallSupplier"), 201);

    const refused = await t.start("buyer", "supervision.contract", contractData());
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining(`质疑（${first.id}）可能影响中标、成交结果，尚未答复（答复期至 2021-04-12）`),
      details: { rule: "challenge.suspendContract", holds: [{ rule: "challenge.suspendContract", challengeId: first.id, complaintId: null }] },
    });
    const en = await t.platform.api("/api/workflows/supervision.contract/instances", { method: "POST", token: t.tokens.buyer, body: { data: contractData() }, headers: { "accept-language": "en" } });
    expect(en.status).toBe(409);
    expect(en.body.error.message).toContain(`Challenge ${first.id} may affect the result and awaits its reply`);
    expect(await contracts()).toBe(0);

    ok(await reply(first.id));
    const started = ok(await t.start("buyer", "supervision.contract", contractData()), 201);
    expect(await contracts()).toBe(1);

    // a second challenge of the result, filed after the filing started, holds its submission
    const second = ok(await challenge("supplier1"), 201);
    const held = await t.take("buyer", started.id, "file");
    expect(held.status).toBe(409);
    expect(held.body.error.details).toMatchObject({ rule: "challenge.suspendContract", holds: [{ challengeId: second.id }] });
    expect(ok(await t.call("buyer", `/api/supervision/projects/${projectId}`)).contractFiledOn).toBeNull();

    ok(await reply(second.id));

    // the first challenger, unsatisfied, complains: undecided, it still holds the contract; the regulator's suspension names its own rule
    const complaint = ok(await t.call("smallSupplier", "/api/complaints/complaints", { method: "POST", body: { challengeId: first.id, matters: [1], statement: "请求认定评审违法" } }), 201);
    const undecided = await t.take("buyer", started.id, "file");
    expect(undecided.status).toBe(409);
    expect(undecided.body.error).toMatchObject({ message: expect.stringContaining(`投诉（${complaint.id}）尚未作出处理决定`), details: { rule: "challenge.suspendContract", holds: [{ challengeId: first.id, complaintId: complaint.id }] } });
    const step = (name: string, body: Any = {}) => t.call("regulator", `/api/complaints/complaints/${complaint.id}/steps/${name}`, { method: "POST", body });
    ok(await step("accept"));
    ok(await step("suspend", { days: 5 }));
    const suspended = await t.take("buyer", started.id, "file");
    expect(suspended.status).toBe(409);
    expect(suspended.body.error.details).toMatchObject({ rule: "complaint.suspendProcurement", holds: [{ rule: "complaint.suspendProcurement", complaintId: complaint.id }] });
    ok(await step("decide", { outcome: "unfounded", decision: "投诉事项缺乏事实依据，驳回投诉。" }));

    const filed = ok(await t.take("buyer", started.id, "file"));
    expect(filed).toMatchObject({ state: "filed", data: { filedOn: "2021-03-31", lateFiling: false } });
  });
});
