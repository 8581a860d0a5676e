import { periodEnd } from "../../../core/sdk";
import rules from "../../../plugins/etrading/statutory-rules.json";
import { PROCEDURES } from "../../../plugins/etrading/services/procedures";
import { MORE_SUPPLIERS, ok, SUPPLIERS, type Trading, trading } from "./support";

const R = rules.rules;
type Reply = { status: number; body: { error?: { code: string; message: string; details?: Array<{ path: string; rule: string; message: string }> } } };
const detail = (r: Reply, path: string) => r.body.error?.details?.find((d) => d.path === path);

describe("periods, counted as calc.dayCounting says, on the platform's holiday calendar", () => {
  test("calc.dayCounting: the day of the event is not counted; a calendar period ending on a day off ends on the next working day", () => {
    expect(R["calc.dayCounting"].value).toBe(1);
    // published Monday 2021-03-01: 20 days end Sunday 03-21, so the period runs to Monday 03-22
    expect(periodEnd("2021-03-01", 20, "calendar-days")).toBe("2021-03-22");
    // 15 days from 2021-03-20 end on 04-04, inside the Qingming holiday (04-03..04-05): 04-06
    expect(periodEnd("2021-03-20", 15, "calendar-days")).toBe("2021-04-06");
  });

  test("tender.docAvailability: 5 working days across National Day, with the Saturday made a working day (调休)", () => {
    expect(PROCEDURES["public-tender"].docAvailability).toEqual({ rule: "tender.docAvailability", days: 5, unit: "working-days" });
    // 2021-09-30, then 10-08 (Fri), 10-09 (Sat, a make-up working day), 10-11, 10-12, 10-13
    expect(periodEnd("2021-09-30", R["tender.docAvailability"].value, "working-days")).toBe("2021-10-13");
  });

  test("each procedure's periods come from its rule ids", () => {
    expect(PROCEDURES["public-tender"].biddingPeriod).toEqual({ rule: "tender.biddingPeriod", days: 20, unit: "calendar-days" });
    expect(PROCEDURES["competitive-negotiation"].biddingPeriod).toEqual({ rule: "negotiation.docPeriod", days: 3, unit: "working-days" });
    expect(PROCEDURES.inquiry.biddingPeriod).toEqual({ rule: "inquiry.docPeriod", days: 3, unit: "working-days" });
    expect(PROCEDURES["competitive-consultation"].biddingPeriod).toEqual({ rule: "consultation.docPeriod", days: 10, unit: "calendar-days" });
    expect(PROCEDURES["public-tender"].clarificationLead).toEqual({ rule: "tender.clarification.leadTime", days: 15, unit: "calendar-days" });
    expect(PROCEDURES["single-source"].publicity).toEqual({ rule: "singleSource.publicity", days: 5, unit: "working-days" });
    expect(PROCEDURES["invited-tender"].minInvitees).toEqual({ rule: "tender.invited.minInvitees", value: 3 });
  });

  describe("through the API", () => {
    let t: Trading;
    beforeAll(async () => {
      t = await trading();
    }, 120_000);
    afterAll(() => t.platform.stop());
    afterEach(() => t.platform.kernel.clock.reset());

    async function until(id: string, pred: (inst: Record<string, any>) => boolean, at: string) { // eslint-disable-line @typescript-eslint/no-explicit-any
      t.travel(at);
      for (let i = 0; i < 100; i++) {
        const inst = ok(await t.call("buyer", `/api/instances/${id}`));
        if (pred(inst)) return inst;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`instance ${id}: not there at ${at}`);
    }

    test("tender.biddingPeriod: a deadline on the 20th day (a Sunday, so 03-22 by calc.dayCounting) is refused the day before, in zh-CN and en", async () => {
      const projectId = await t.filedProject("public-tender", "2021-03-01");
      const short = await t.start("buyer", "etrading.public-tender", t.documents(projectId, { bidDeadline: "2021-03-21T09:30:00+08:00" }));
      expect(short.status).toBe(400);
      expect(detail(short as Reply, "/bidDeadline")).toMatchObject({ rule: "tender.biddingPeriod" });
      expect((short as Reply).body.error!.message).toBe("投标（响应）截止时间短于法定期限");
      const en = await t.platform.api("/api/workflows/etrading.public-tender/instances", { method: "POST", token: t.tokens.buyer, body: { data: t.documents(projectId, { bidDeadline: "2021-03-21T09:30:00+08:00" }) }, headers: { "accept-language": "en" } });
      expect(en.body.error.message).toBe("The deadline is shorter than the law allows");
      expect(JSON.stringify(en.body.error.details[0])).toContain("2021-03-22 at the earliest");
      // nothing half written: no tender row for the refused start
      const list = ok(await t.call("buyer", "/api/etrading/tenders?mine=1"));
      expect(list.items.filter((x: { title: string }) => x.title === "短期限")).toHaveLength(0);
      const okStart = ok(await t.start("buyer", "etrading.public-tender", t.documents(projectId, { bidDeadline: "2021-03-22T09:30:00+08:00" })), 201);
      // published two days later, the same deadline is now too short: checked again at publication
      t.travel("2021-03-03");
      const late = await t.take("buyer", okStart.id, "publish");
      expect(late.status).toBe(400);
      expect(detail(late as Reply, "/bidDeadline")).toMatchObject({ rule: "tender.biddingPeriod" });
      expect(ok(await t.call("buyer", `/api/instances/${okStart.id}`)).state).toBe("draft");
    });

    test("negotiation.docPeriod, inquiry.docPeriod (3 working days) and consultation.docPeriod (10 days): one day short is refused", async () => {
      for (const [method, short, rule] of [
        ["competitive-negotiation", "2021-03-03T09:30:00+08:00", "negotiation.docPeriod"],
        ["inquiry", "2021-03-03T09:30:00+08:00", "inquiry.docPeriod"],
        ["competitive-consultation", "2021-03-10T09:30:00+08:00", "consultation.docPeriod"],
      ]) {
        const projectId = await t.filedProject(method, "2021-03-01");
        const r = await t.start("buyer", `etrading.${method}`, t.documents(projectId, { bidDeadline: short }));
        expect(r.status).toBe(400);
        expect(detail(r as Reply, "/bidDeadline")).toMatchObject({ rule });
      }
    });

    test("tender.docAvailability and tender.docAvailability.extendIfFewerThan3: two suppliers by the end of the 5th working day, so the documents stay on offer 5 working days more", async () => {
      const projectId = await t.filedProject("public-tender", "2021-09-30");
      const s = ok(await t.start("buyer", "etrading.public-tender", t.documents(projectId, { bidDeadline: "2021-11-01T09:30:00+08:00" })), 201);
      const pub = ok(await t.take("buyer", s.id, "publish"));
      expect(pub.data.docsUntil).toBe("2021-10-13");
      for (const who of ["smallSupplier", "supplier1"]) ok(await t.call(who, `/api/etrading/tenders/${s.id}/registrations`, { method: "POST" }));
      const extended = await until(s.id, (i) => i.data.docsExtended === true, "2021-10-14T00:00:01+08:00");
      // 5 more working days after 10-13: 10-14, 10-15, 10-18, 10-19, 10-20
      expect(extended.data.docsUntil).toBe("2021-10-20");
      ok(await t.call("supplier2", `/api/etrading/tenders/${s.id}/registrations`, { method: "POST" }));
      const closed = await until(s.id, (i) => i.data.docsClosed === true, "2021-10-21T00:00:01+08:00");
      expect(closed.data.docsUntil).toBe("2021-10-20");
      const late = await t.call("supplier3", `/api/etrading/tenders/${s.id}/registrations`, { method: "POST" });
      expect(late.status).toBe(409);
      expect(late.body.error.details.rule).toBe("tender.docAvailability");
    });

    test("tender.clarification.leadTime: a clarification 9 days before the deadline moves it to 15 days after (past Qingming, calc.dayCounting)", async () => {
      const projectId = await t.filedProject("public-tender", "2021-03-01");
      const s = ok(await t.start("buyer", "etrading.public-tender", t.documents(projectId)), 201);
      ok(await t.take("buyer", s.id, "publish"));
      ok(await t.call("smallSupplier", `/api/etrading/tenders/${s.id}/registrations`, { method: "POST" }));
      await t.settled(s.id, "2021-03-20");
      const c = ok(await t.take("buyer", s.id, "clarify", { text: "第3.2条色温要求更正为3000K-4000K" }));
      expect(c.data).toMatchObject({ bidDeadline: "2021-04-06T01:30:00.000Z", deadlineMoved: true });
      const tender = ok(await t.call("smallSupplier", `/api/etrading/tenders/${s.id}`));
      expect(tender.bidDeadline).toBe("2021-04-06T01:30:00.000Z");
      expect(tender.messages).toContainEqual(expect.objectContaining({ kind: "clarification", deadlineBefore: "2021-03-29T01:30:00.000Z", deadlineAfter: "2021-04-06T01:30:00.000Z" }));
      // the opening follows the moved deadline: not at the old one
      t.travel("2021-03-29T09:31:00+08:00");
      await new Promise((r) => setTimeout(r, 600));
      expect(ok(await t.call("buyer", `/api/instances/${s.id}`)).state).toBe("published");
      await until(s.id, (i) => i.state === "opening", "2021-04-06T09:30:00+08:00");
    });

    test("negotiation.clarification.leadTime, inquiry.clarification.leadTime (3 working days) and consultation.clarification.leadTime (5 days): a clarification later than that moves the deadline to the lead time's end; one in time, or one that does not affect the responses, leaves it", async () => {
      for (const [method, deadline, lateOn, movedTo, rule] of [
        // published Monday 03-01; clarified Monday 03-08: 3 working days end Thursday 03-11
        ["competitive-negotiation", "2021-03-10T09:30:00+08:00", "2021-03-08", "2021-03-11T01:30:00.000Z", "negotiation.clarification.leadTime"],
        ["inquiry", "2021-03-10T09:30:00+08:00", "2021-03-08", "2021-03-11T01:30:00.000Z", "inquiry.clarification.leadTime"],
        // clarified Friday 03-12: 5 days end Wednesday 03-17
        ["competitive-consultation", "2021-03-15T09:30:00+08:00", "2021-03-12", "2021-03-17T01:30:00.000Z", "consultation.clarification.leadTime"],
      ] as const) {
        const lead = PROCEDURES[method].clarificationLead!;
        expect(lead).toEqual({ rule, days: R[rule].value, unit: R[rule].unit });
        const projectId = await t.filedProject(method, "2021-03-01");
        const s = ok(await t.start("buyer", `etrading.${method}`, t.documents(projectId, { bidDeadline: deadline })), 201);
        ok(await t.take("buyer", s.id, "publish"));
        // in time: the lead time before the deadline is kept, nothing moves
        const inTime = method === "competitive-consultation" ? "2021-03-09" : "2021-03-05";
        expect(periodEnd(inTime, lead.days, lead.unit) <= deadline.slice(0, 10)).toBe(true);
        await t.settled(s.id, inTime);
        const early = ok(await t.take("buyer", s.id, "clarify", { text: "交货地点补充说明" }));
        expect([method, early.data.deadlineMoved]).toEqual([method, false]);
        await t.settled(s.id, lateOn);
        // a clarification that cannot affect how responses are prepared does not move it either
        const editorial = ok(await t.take("buyer", s.id, "clarify", { text: "更正联系人电话", affectsBids: false }));
        expect([method, editorial.data.deadlineMoved]).toEqual([method, false]);
        const late = ok(await t.take("buyer", s.id, "clarify", { text: "技术参数第2项调整" }));
        expect([method, late.data]).toEqual([method, expect.objectContaining({ bidDeadline: movedTo, deadlineMoved: true })]);
        expect(ok(await t.call("buyer", `/api/etrading/tenders/${s.id}`)).bidDeadline).toBe(movedTo);
        t.platform.kernel.clock.reset();
      }
    });

    test("tender.invited.minInvitees: a draw of 2, or a pool of 2, is refused", async () => {
      const projectId = await t.filedProject("invited-tender", "2021-03-01");
      const pool = [SUPPLIERS.small.creditCode, ...MORE_SUPPLIERS.map((s) => s.creditCode)];
      const two = await t.start("buyer", "etrading.invited-tender", t.documents(projectId, { invitees: pool, drawCount: 2 }));
      expect(two.status).toBe(400);
      expect(detail(two as Reply, "/drawCount")).toMatchObject({ rule: "tender.invited.minInvitees" });
      const small = await t.start("buyer", "etrading.invited-tender", t.documents(projectId, { invitees: pool.slice(0, 2) }));
      expect(detail(small as Reply, "/invitees")).toMatchObject({ rule: "tender.invited.minInvitees" });
    });

    test("singleSource.publicity: a deadline inside the 5 working days of publicity is refused", async () => {
      const projectId = await t.filedProject("single-source", "2021-03-01");
      const data = (bidDeadline: string) => t.documents(projectId, { invitees: [SUPPLIERS.small.creditCode], singleSourceReason: "唯一兼容供应商", bidDeadline });
      // published 2021-03-01, the publicity runs to the end of 03-08
      const inside = await t.start("buyer", "etrading.single-source", data("2021-03-08T15:00:00+08:00"));
      expect(inside.status).toBe(400);
      expect(detail(inside as Reply, "/bidDeadline")).toMatchObject({ rule: "singleSource.publicity" });
      // drafted in time, published three days later: the publicity would outlast the deadline
      const s = ok(await t.start("buyer", "etrading.single-source", data("2021-03-09T09:30:00+08:00")), 201);
      t.travel("2021-03-04");
      const r = await t.take("buyer", s.id, "publish");
      expect(r.status).toBe(400);
      expect(detail(r as Reply, "/bidDeadline")).toMatchObject({ rule: "singleSource.publicity" });
    });

    test("singleSource.objectionReview: an objection within the publicity is reviewed again within 5 working days after it ends; until then the supplier cannot obtain the documents; none after the publicity", async () => {
      expect(R["singleSource.objectionReview"]).toMatchObject({ value: 5, unit: "working-days" });
      const projectId = await t.filedProject("single-source", "2021-03-01");
      const data = t.documents(projectId, { invitees: [SUPPLIERS.small.creditCode], singleSourceReason: "原有路灯控制系统的唯一兼容供应商", bidDeadline: "2021-03-22T09:30:00+08:00" });
      const s = ok(await t.start("buyer", "etrading.single-source", data), 201);
      ok(await t.take("buyer", s.id, "publish"));
      const objections = `/api/etrading/tenders/${s.id}/objections`;
      // another supplier, not the one named, objects on the publicity's last day (03-08)
      t.travel("2021-03-08T16:00:00+08:00");
      const blank = await t.call("supplier1", objections, { method: "POST", body: { text: " " } });
      expect([blank.status, blank.body.error.details[0].path]).toEqual([400, "/text"]);
      const o = ok(await t.call("supplier1", objections, { method: "POST", body: { text: "本单位同样能提供兼容的控制系统，不是唯一供应商" } }));
      // the publicity ends 03-08; 5 working days after it: 03-09 … 03-15
      expect(o).toMatchObject({ publicityUntil: "2021-03-08", reviewDue: "2021-03-15", rule: "singleSource.objectionReview" });
      await t.settled(s.id, "2021-03-09T10:00:00+08:00");
      const late = await t.call("supplier1", objections, { method: "POST", body: { text: "再次提出异议" } });
      expect([late.status, late.body.error.details]).toEqual([409, { rule: "singleSource.publicity", publicityUntil: "2021-03-08" }]);
      // the one supplier waits for the review
      const held = await t.call("smallSupplier", `/api/etrading/tenders/${s.id}/registrations`, { method: "POST" });
      expect([held.status, held.body.error.details]).toEqual([409, { rule: "singleSource.objectionReview", reviewDue: "2021-03-15" }]);
      // only the purchaser or its agency reviews, with a conclusion and a verdict
      const review = `${objections}/${o.id}/review`;
      // the objector does not see the single source's documents (404); the named supplier sees them but does not review (403)
      expect((await t.call("supplier1", review, { method: "POST", body: { conclusion: "成立", upheld: true } })).status).toBe(404);
      expect((await t.call("smallSupplier", review, { method: "POST", body: { conclusion: "成立", upheld: true } })).status).toBe(403);
      const incomplete = await t.call("buyer", review, { method: "POST", body: { conclusion: "经专家补充论证" } });
      expect([incomplete.status, incomplete.body.error.details.map((d: { path: string }) => d.path)]).toEqual([400, ["/upheld"]]);
      t.travel("2021-03-12T10:00:00+08:00");
      const reviewed = ok(await t.call("buyer", review, { method: "POST", body: { conclusion: "经专家补充论证，该供应商产品与原系统协议不兼容，异议不成立", upheld: false } }));
      expect(reviewed).toMatchObject({ upheld: false, reviewDue: "2021-03-15", late: false, rule: "singleSource.objectionReview" });
      expect((await t.call("buyer", review, { method: "POST", body: { conclusion: "再次论证", upheld: false } })).status).toBe(409);
      ok(await t.call("smallSupplier", `/api/etrading/tenders/${s.id}/registrations`, { method: "POST" }));
      const tender = ok(await t.call("smallSupplier", `/api/etrading/tenders/${s.id}`));
      expect(tender.messages).toContainEqual(expect.objectContaining({ kind: "objection", answer: expect.stringContaining("异议不成立"), answerDue: "2021-03-15" }));
    });

    test("question.answer: a question asked on Friday 2021-03-05 is due for an answer 3 working days later, on Wednesday 03-10", async () => {
      const projectId = await t.filedProject("public-tender", "2021-03-01");
      const s = ok(await t.start("buyer", "etrading.public-tender", t.documents(projectId)), 201);
      ok(await t.take("buyer", s.id, "publish"));
      ok(await t.call("smallSupplier", `/api/etrading/tenders/${s.id}/registrations`, { method: "POST" }));
      t.travel("2021-03-05");
      const q = ok(await t.call("smallSupplier", `/api/etrading/tenders/${s.id}/questions`, { method: "POST", body: { text: "是否接受进口产品？" } }));
      expect(q).toMatchObject({ answerDue: "2021-03-10", rule: "question.answer" });
    });
  });
});
