import STATUTE from "../../../plugins/complaints/statutory-rules.json";
import { ok, SUPPLIERS, type Trading, trading } from "../etrading/support";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function poll<T>(what: string, get: () => Promise<T>, good: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await get();
    if (good(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Challenges and complaints (质疑与投诉, 财政部令第94号) on one published Huizhou tender: filing, the
 * reply, the complaint and the regulator's handling, each statutory clock with its last day and the
 * working days left (2021's calendar: Qingming on 04-05, the May Day make-up working days 04-25 and 05-08).
 */
describe("challenges and complaints with their statutory clocks", () => {
  let t: Trading;
  let tenderId: string;
  let challengeId: string;
  let complaintId: string;
  const outbox = async (event: string) =>
    (await t.platform.kernel.db.knex("core_outbox").where({ event })).map((r: Any) => (typeof r.payload === "string" ? JSON.parse(r.payload) : r.payload));
  const rows = async () => ({
    challenges: Number((await t.platform.kernel.db.knex("complaints_challenges").count({ n: "*" }))[0].n),
    complaints: Number((await t.platform.kernel.db.knex("complaints_complaints").count({ n: "*" }))[0].n),
  });
  const file = (who: string, body: Any) => t.call(who, "/api/complaints/challenges", { method: "POST", body });
  const complain = (who: string, body: Any) => t.call(who, "/api/complaints/complaints", { method: "POST", body });
  const step = (who: string, id: string, name: string, body: Any = {}) => t.call(who, `/api/complaints/complaints/${id}/steps/${name}`, { method: "POST", body });
  const matters = [{ text: "评分标准中的技术参数指向特定品牌" }, { text: "资格条件要求本地注册，限制外地供应商" }];

  beforeAll(async () => {
    t = await trading();
    const projectId = await t.filedProject("public-tender", "2021-03-01");
    const s = ok(await t.start("buyer", "etrading.public-tender", t.documents(projectId)), 201);
    ok(await t.take("buyer", s.id, "publish"));
    tenderId = s.id;
    for (const who of ["smallSupplier", "supplier1"]) ok(await t.call(who, `/api/etrading/tenders/${tenderId}/registrations`, { method: "POST" }));
  }, 120_000);
  afterAll(() => t.platform.stop());
  afterEach(() => t.platform.kernel.clock.reset());

  test("the statutory periods are the rule list's (challenge.window, challenge.reply, complaint.window, complaint.intake, complaint.respondentReply, complaint.decision, complaint.suspendProcurement, complaint.frivolousRecord)", () => {
    const r = STATUTE.rules as Record<string, { value: unknown; unit: string }>;
    expect(r["challenge.window"]).toMatchObject({ value: 7, unit: "working-days" });
    expect(r["challenge.reply"]).toMatchObject({ value: 7, unit: "working-days" });
    expect(r["complaint.window"]).toMatchObject({ value: 15, unit: "working-days" });
    expect(r["complaint.intake"]).toMatchObject({ value: [5, 3, 8], unit: "working-days" });
    expect(r["complaint.respondentReply"]).toMatchObject({ value: 5, unit: "working-days" });
    expect(r["complaint.decision"]).toMatchObject({ value: 30, unit: "working-days" });
    expect(r["complaint.suspendProcurement"]).toMatchObject({ value: 30, unit: "calendar-days" });
    expect(r["complaint.frivolousRecord"]).toMatchObject({ value: 3, unit: "count", windowMonths: 12 });
  });

  test("challenge.window.start: only a supplier that took part may challenge, from the day it knew (not before the notice); challenge.window: 7 working days, a late one refused in zh-CN and en; nothing half written", async () => {
    t.travel("2021-03-10");
    const stranger = await file("supplier2", { tenderId, target: "documents", knownOn: "2021-03-01", matters });
    expect(stranger.status).toBe(403);
    expect(stranger.body.error).toMatchObject({ code: "FORBIDDEN", message: "贵单位未参与该采购项目（未获取采购文件），不能提出质疑", details: { rule: "challenge.window.start" } });
    const before = await file("smallSupplier", { tenderId, target: "documents", knownOn: "2021-02-20", matters });
    expect(before.status).toBe(400);
    expect(before.body.error.details).toContainEqual(expect.objectContaining({ path: "/knownOn", rule: "challenge.window.start" }));

    // obtained on Monday 03-01: the 7th working day after it is Wednesday 03-10; on 03-11 it is too late
    t.travel("2021-03-11");
    const late = await t.platform.api("/api/complaints/challenges", { method: "POST", token: t.tokens.smallSupplier, body: { tenderId, target: "documents", knownOn: "2021-03-01", matters }, headers: { "accept-language": "en" } });
    expect(late.status).toBe(400);
    expect(late.body.error.details).toEqual([expect.objectContaining({ path: "/knownOn", rule: "challenge.window", message: expect.objectContaining({ en: "the challenge period (7 working days) ended on 2021-03-10" }) })]);
    const empty = await file("smallSupplier", { tenderId, target: "documents", knownOn: "2021-03-01", matters: [{ text: "   " }] });
    expect(empty.status).toBe(400);
    expect(await rows()).toEqual({ challenges: 0, complaints: 0 });

    t.travel("2021-03-10");
    // evidence: an upload of the challenger's; an id that is no upload of its own is refused at its place
    const upload = ok(await t.platform.api(`/api/files?name=${encodeURIComponent("参数对照.pdf")}`, { method: "POST", token: t.tokens.smallSupplier, raw: Buffer.from("%PDF-1.4\n% evidence\n%%EOF\n"), headers: { "content-type": "application/octet-stream" } }), 201);
    const forged = await file("smallSupplier", { tenderId, target: "documents", knownOn: "2021-03-01", matters: [matters[0], { ...matters[1], evidence: ["00000000-0000-4000-8000-000000000000"] }] });
    expect(forged.status).toBe(400);
    expect(forged.body.error.details).toEqual([expect.objectContaining({ path: "/matters/1/evidence/0", rule: "attachment" })]);
    expect(await rows()).toEqual({ challenges: 0, complaints: 0 });

    const filed = ok(await file("smallSupplier", { tenderId, target: "documents", knownOn: "2021-03-01", matters: [{ ...matters[0], evidence: [upload.id] }, matters[1]] }), 201);
    challengeId = filed.id;
    expect(filed).toMatchObject({ status: "awaiting-reply", windowEnd: "2021-03-10", replyDue: "2021-03-19", matters: [{ n: 1, evidence: [upload.id] }, { n: 2, evidence: [] }] });
  });

  test("challenge.reply: 7 working days, the clock counting down; one party cannot read another's challenge; challenge.suspendContract while it is unanswered", async () => {
    t.travel("2021-03-17");
    const mine = ok(await t.call("smallSupplier", `/api/complaints/challenges/${challengeId}`));
    expect(mine.clocks).toEqual([{ rule: "challenge.reply", due: "2021-03-19", remainingWorkingDays: 2, overdue: false }]);
    // another bidder, another region's regulator, another purchaser: as if it did not exist
    for (const who of ["supplier1", "maomingRegulator", "otherBuyer"]) expect((await t.call(who, `/api/complaints/challenges/${challengeId}`)).status).toBe(404);
    expect(ok(await t.call("regulator", `/api/complaints/challenges/${challengeId}`)).matters).toHaveLength(2);
    expect(ok(await t.call("buyer", `/api/complaints/challenges/${challengeId}`)).canReply).toBe(true);
    expect(ok(await t.call("supplier1", `/api/complaints/challenges?tenderId=${tenderId}`)).items).toEqual([]);
    expect(ok(await t.call("buyer", `/api/complaints/challenges?tenderId=${tenderId}`)).items.map((c: Any) => c.id)).toEqual([challengeId]);

    const held = ok(await t.call("buyer", `/api/complaints/tenders/${tenderId}/suspension`));
    expect(held).toMatchObject({ contractSigningSuspended: true, reasons: [{ rule: "challenge.suspendContract", challengeId }] });

    // a complaint before the reply or its due day is refused; the supplier cannot answer itself
    const early = await complain("smallSupplier", { challengeId, matters: [1], statement: "未答复" });
    expect(early.status).toBe(409);
    expect(early.body.error.details).toMatchObject({ rule: "complaint.window", replyDue: "2021-03-19" });
    expect((await t.call("smallSupplier", `/api/complaints/challenges/${challengeId}/reply`, { method: "POST", body: { reply: "x" } })).status).toBe(403);
    expect((await t.call("supplier1", `/api/complaints/challenges/${challengeId}/reply`, { method: "POST", body: { reply: "x" } })).status).toBe(404);

    t.travel("2021-03-12");
    const replied = ok(await t.call("buyer", `/api/complaints/challenges/${challengeId}/reply`, { method: "POST", body: { reply: "技术参数为通用指标，资格条件已删除本地注册要求。" } }));
    expect(replied).toMatchObject({ status: "replied", clocks: [{ rule: "complaint.window", due: "2021-04-02" }] });
    expect(ok(await t.call("buyer", `/api/complaints/tenders/${tenderId}/suspension`)).contractSigningSuspended).toBe(false);
  });

  test("complaint.window: 15 working days after the reply; complaint.scopeWithinChallenge: a matter not challenged is refused, nothing written", async () => {
    t.travel("2021-04-06");
    const late = await complain("smallSupplier", { challengeId, matters: [1], statement: "请求认定采购文件违法" });
    expect(late.status).toBe(409);
    expect(late.body.error.details).toMatchObject({ rule: "complaint.window", windowEnd: "2021-04-02" });

    t.travel("2021-04-02");
    const beyond = await t.platform.api("/api/complaints/complaints", { method: "POST", token: t.tokens.smallSupplier, body: { challengeId, matters: [1, 3], statement: "请求认定采购文件违法" }, headers: { "accept-language": "en" } });
    expect(beyond.status).toBe(400);
    expect(beyond.body.error.details).toEqual([expect.objectContaining({ path: "/matters/1", rule: "complaint.scopeWithinChallenge", message: expect.objectContaining({ en: "matter 3 was not challenged (challenged: 1, 2)" }) })]);
    expect((await complain("supplier1", { challengeId, matters: [1], statement: "x" })).status).toBe(404);
    expect((await rows()).complaints).toBe(0);

    const filed = ok(await complain("smallSupplier", { challengeId, matters: [1, 2], statement: "请求认定采购文件违法" }), 201);
    complaintId = filed.id;
    // from Friday 04-02, five working days skip the Qingming Monday 04-05
    expect(filed).toMatchObject({ status: "intake", intakeDue: "2021-04-12", clocks: [{ rule: "complaint.intake", due: "2021-04-12", remainingWorkingDays: 5 }] });
    expect(ok(await t.call("buyer", `/api/complaints/tenders/${tenderId}/suspension`)).contractSigningSuspended).toBe(true);
  });

  test("complaint.intake (one correction request), complaint.respondentReply, complaint.suspendProcurement, complaint.decision paused and resumed, complaint.decisionPublished", async () => {
    t.travel("2021-04-06");
    expect((await step("smallSupplier", complaintId, "accept")).status).toBe(403);
    expect((await step("buyer", complaintId, "accept")).status).toBe(403);
    expect((await step("maomingRegulator", complaintId, "accept")).status).toBe(404);
    const desk = ok(await t.call("regulator", "/api/complaints/complaints"));
    expect(desk.items.map((c: Any) => c.id)).toContain(complaintId);
    expect(ok(await t.call("maomingRegulator", "/api/complaints/complaints")).items).toEqual([]);

    ok(await step("regulator", complaintId, "correction", { note: "请补充证明材料" }));
    ok(await step("smallSupplier", complaintId, "corrected", { statement: "请求认定采购文件违法，附品牌参数对照" }));
    const twice = await step("regulator", complaintId, "correction", { note: "再次补正" });
    expect(twice.status).toBe(409);
    expect(twice.body.error.details).toMatchObject({ rule: "complaint.intake" });

    t.travel("2021-04-07");
    const accepted = ok(await step("regulator", complaintId, "accept"));
    // accepted as of receipt (04-02): 30 working days, the May Day make-up Sunday 04-25 and Saturday 05-08 counted
    expect(accepted).toMatchObject({ status: "accepted", respondentDue: "2021-04-14", decisionDue: "2021-05-18" });
    expect(accepted.clocks).toContainEqual({ rule: "complaint.respondentReply", due: "2021-04-14", remainingWorkingDays: 5, overdue: false });

    const tooLong = await step("regulator", complaintId, "suspend", { days: 31 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.details).toEqual([expect.objectContaining({ path: "/days", rule: "complaint.suspendProcurement" })]);
    ok(await step("regulator", complaintId, "suspend", { days: 30 }));
    expect(ok(await t.call("smallSupplier", `/api/complaints/tenders/${tenderId}/suspension`)).procurementSuspendedUntil).toBe("2021-05-07");

    expect(ok(await step("buyer", complaintId, "answer", { answer: "技术参数为行业通用指标" })).status).toBe("answered");

    t.travel("2021-04-08");
    ok(await step("regulator", complaintId, "pause", { reason: "委托检测机构检验" }));
    t.travel("2021-04-15");
    const paused = ok(await t.call("regulator", "/api/complaints/complaints")).items.find((c: Any) => c.id === complaintId);
    expect(paused.clocks).toContainEqual(expect.objectContaining({ rule: "complaint.decision", due: "2021-05-25", paused: true }));
    const whilePaused = await step("regulator", complaintId, "decide", { outcome: "unfounded", decision: "x" });
    expect(whilePaused.status).toBe(409);
    // five working days paused (04-09 to 04-15) move the last day from 05-18 to 05-25
    expect(ok(await step("regulator", complaintId, "resume"))).toMatchObject({ decisionDue: "2021-05-25", pausedWorkingDays: 5, paused: false });

    const decided = ok(await step("regulator", complaintId, "decide", { outcome: "unfounded", decision: "投诉事项缺乏事实依据，驳回投诉。" }));
    expect(decided).toMatchObject({ status: "decided", outcome: "unfounded", clocks: [] });
    expect(await outbox("portal.publish")).toContainEqual(expect.objectContaining({ instanceId: complaintId, plugin: "complaints", notice: "result", tenantCode: "441300" }));
    // and the portal shows it among Huizhou's result notices
    const notices = await poll("the decision on the portal", async () => ok(await t.call("admin", "/api/portal/notices?tenant=441300&type=result")), (b) => b.items.some((n: Any) => n.title.startsWith("投诉处理决定")));
    expect(notices.items.find((n: Any) => n.title.startsWith("投诉处理决定")).title).toBe("投诉处理决定：惠州市城区道路照明设备采购项目（投诉不成立）");
    expect(ok(await t.call("buyer", `/api/complaints/tenders/${tenderId}/suspension`))).toMatchObject({ contractSigningSuspended: false, procurementSuspendedUntil: null });
  });

  test("complaint.frivolousRecord: the third unfounded complaint of a supplier within 12 months goes to its credit file as a credit.fact", async () => {
    const unfounded = async (on: string) => {
      t.travel(on);
      const c = ok(await file("smallSupplier", { tenderId, target: "process", knownOn: on, matters: [{ text: "开标程序违法" }] }), 201);
      ok(await t.call("buyer", `/api/complaints/challenges/${c.id}/reply`, { method: "POST", body: { reply: "程序合法" } }));
      const p = ok(await complain("smallSupplier", { challengeId: c.id, matters: [1], statement: "请求认定开标程序违法" }), 201);
      ok(await step("regulator", p.id, "accept"));
      ok(await step("regulator", p.id, "decide", { outcome: "unfounded", decision: "缺乏事实依据" }));
      return p.id as string;
    };
    await unfounded("2021-04-20");
    expect(await outbox("credit.fact")).toEqual([]);
    const third = await unfounded("2021-04-21");
    const facts = await outbox("credit.fact");
    expect(facts).toEqual([expect.objectContaining({ rule: "complaint.frivolousRecord", subjectKind: "supplier", kind: "complaint", reference: third, tenantCode: "441300" })]);
    // credit writes it into the supplier's file
    const code = SUPPLIERS.small.creditCode;
    await poll("the credit fact", async () => await t.call("regulator", `/api/credit/files/${code}`), (r) => r.status === 200 && JSON.stringify(r.body).includes("complaint.frivolousRecord"));
  });
});
