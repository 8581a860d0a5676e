import { periodEnd } from "../../../core/sdk";
import rules from "../../../plugins/evaluation/statutory-rules.json";
import { drawnCommittee, type EvalWorld, openedTender, startEvalWorld, stopEvalWorld, SUPPLIERS } from "./support";

jest.setTimeout(120_000);

const R = rules.rules;

/**
 * The evaluation's rules that depend on the procurement's method and budget: the size of a negotiation's or an
 * inquiry's group above the public-tender amount, a consultation's own award timeline, and how long a tender's
 * result notice stays up.
 */
describe("evaluation rules by method and budget", () => {
  let w: EvalWorld;
  const api = (path: string, token: string, init: { method?: string; body?: unknown; lang?: string } = {}) =>
    w.platform.api(path, { method: init.method, token, body: init.body, headers: init.lang ? { "accept-language": init.lang } : {} });
  const knex = () => w.platform.kernel.db.knex;
  /** The tender as e-trading's draft step leaves it for this method and the filed plan's total (config.planTotal). */
  const asProcedure = (id: string, method: string, planTotal: string) =>
    knex()("etrading_tenders").where({ id }).update({ method, config: knex().raw("config || ?::jsonb", [JSON.stringify({ planTotal })]) });
  const slot = (n: number) => periodEnd(w.slotDate, n, "working-days");

  beforeAll(async () => {
    w = await startEvalWorld(7);
  });
  afterAll(() => stopEvalWorld(w));
  afterEach(() => w.platform.kernel.clock.reset());

  /** Qualification passed for every bid, the chair elected by the first two members. */
  async function qualifyAndChair(id: string, bids: Array<{ bidId: string }>, c: Array<{ token: string; id: string }>) {
    expect((await api(`/api/evaluation/evaluations/${id}/qualification`, w.tokens.agency, { method: "PUT", body: { results: bids.map((b) => ({ bidId: b.bidId, passed: true })) } })).status).toBe(200);
    for (const m of c.slice(0, Math.floor(c.length / 2) + 1)) expect((await api(`/api/evaluation/evaluations/${id}/chair`, m.token, { method: "POST", body: { candidate: c[0].id } })).status).toBe(200);
  }

  test("eval.committee.nonTender.sizeAboveThreshold: an inquiry whose budget reaches the public-tender amount needs a group of 5 or more; below it 3 (eval.committee.nonTender.size)", async () => {
    expect(R["eval.committee.nonTender.sizeAboveThreshold"]).toMatchObject({ value: 5, budgetThresholdCNY: 4000000 });
    const t = await openedTender(w, ["300000.00", "310000.00", "320000.00"]);
    await asProcedure(t, "inquiry", "4000000.00");
    const three = await drawnCommittee(w, t, 3, "am", slot(1));
    const start = () => api("/api/evaluation/evaluations", w.tokens.agency, { method: "POST", lang: "en", body: { tenderId: t, method: "lowest-price", category: "goods" } });
    const refused = await start();
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([expect.objectContaining({ path: "/members", rule: "eval.committee.nonTender.sizeAboveThreshold", message: expect.objectContaining({ en: expect.stringContaining("at least 5; 3 given") }) })]);
    // nothing was started
    expect(await knex()("evaluation_evaluations").where({ tender_id: t })).toEqual([]);
    // a budget a fen below the amount: the group of 3 is lawful
    await asProcedure(t, "inquiry", "3999999.99");
    const started = await start();
    expect(started.status).toBe(201);
    expect(started.body.committeeSize).toBe(three.length);

    // a negotiation above the amount with a group of 5 starts
    const n = await openedTender(w, ["300000.00", "310000.00", "320000.00"]);
    await asProcedure(n, "competitive-negotiation", "5000000.00");
    await drawnCommittee(w, n, 5, "pm", slot(1));
    const five = await api("/api/evaluation/evaluations", w.tokens.agency, { method: "POST", body: { tenderId: n, method: "lowest-price", category: "goods" } });
    expect([five.status, five.body.committeeSize]).toEqual([201, 5]);
  });

  test("consultation.awardTimeline: a consultation's report, confirmation, result notice and contract run on its own sequence (2, 5, 2 working days, 30 days), each clock naming that rule", async () => {
    const [report, confirm, notice, contract] = R["consultation.awardTimeline"].value as number[];
    expect([report, confirm, notice, contract]).toEqual([2, 5, 2, 30]);
    const t = await openedTender(w, ["300000.00", "310000.00", "320000.00"]);
    await asProcedure(t, "competitive-consultation", "1000000.00");
    const c = await drawnCommittee(w, t, 3, "am", slot(2));
    const started = await api("/api/evaluation/evaluations", w.tokens.agency, {
      method: "POST", body: { tenderId: t, method: "comprehensive", category: "goods", priceWeight: 30, criteria: [{ id: "tech", title: "技术方案", titleEn: "Technical", max: 70 }] },
    });
    expect(started.status).toBe(201);
    const id = started.body.id as string;
    expect(started.body.awardClocks).toEqual({
      report: { rule: "consultation.awardTimeline", days: report, unit: "working-days" },
      confirm: { rule: "consultation.awardTimeline", days: confirm, unit: "working-days" },
      notice: { rule: "consultation.awardTimeline", days: notice, unit: "working-days" },
      contract: { rule: "consultation.awardTimeline", days: contract, unit: "calendar-days" },
    });
    const bids = started.body.bids as Array<{ bidId: string }>;
    await qualifyAndChair(id, bids, c);
    // the final offers of a consultation, then the scores
    const round = `/api/evaluation/evaluations/${id}/final-offers/round`;
    expect((await api(round, c[0].token, { method: "POST", body: { open: true } })).status).toBe(200);
    for (const [i, price] of ["299000.00", "305000.00", "298000.00"].entries()) expect((await api(`/api/evaluation/evaluations/${id}/final-offers/mine`, w.suppliers[i], { method: "PUT", body: { price } })).status).toBe(200);
    expect((await api(round, c[0].token, { method: "POST", body: { open: false } })).status).toBe(200);
    for (const [k, m] of c.entries()) {
      const scores = bids.map((b, i) => ({ bidId: b.bidId, criterion: "tech", score: 60 - i - k }));
      expect((await api(`/api/evaluation/evaluations/${id}/scores`, m.token, { method: "PUT", body: { scores } })).status).toBe(200);
      expect((await api(`/api/evaluation/evaluations/${id}/submission`, m.token, { method: "POST" })).status).toBe(200);
    }
    let signed: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const m of c) signed = (await api(`/api/evaluation/evaluations/${id}/signature`, m.token, { method: "POST", body: {} })).body;
    const signedAt = new Date(signed.reportDelivered.at);
    expect(signed).toMatchObject({ status: "signed", reportDelivered: { rule: "consultation.awardTimeline" }, confirmBy: periodEnd(signedAt, confirm, "working-days") });
    const first = signed.report.ranking[0];
    const awarded = await api(`/api/evaluation/evaluations/${id}/award`, w.tokens.agency, { method: "POST", body: { bidId: first.bidId } });
    expect(awarded.status).toBe(200);
    expect(awarded.body.signBy).toBe(periodEnd(new Date(awarded.body.award.at), contract, "calendar-days"));
    // the result is published at the award itself, within the sequence's 2 working days
    const published = await knex()("core_outbox").where({ event: "portal.publish" }).whereRaw("payload->>'instanceId' = ?", [id]);
    expect(published).toHaveLength(1);
    // award.resultNoticePeriod is the tenders' (中标公告): a consultation's result carries no such period
    expect(awarded.body.award.noticeUntil).toBeNull();
  });

  test("award.resultNoticePeriod: a tender's result notice stays up 1 working day; the notice, the award and each loser's own result say until when (a challenge of the result counts from then)", async () => {
    expect(R["award.resultNoticePeriod"]).toMatchObject({ value: 1, unit: "working-days" });
    const t = await openedTender(w, ["400000.00", "390000.00", "410000.00"]);
    const c = await drawnCommittee(w, t, 5, "pm", slot(2));
    const started = await api("/api/evaluation/evaluations", w.tokens.agency, { method: "POST", body: { tenderId: t, method: "lowest-price", category: "goods" } });
    expect(started.status).toBe(201);
    const id = started.body.id as string;
    expect(started.body.awardClocks.confirm.rule).toBe("award.purchaserConfirm");
    await qualifyAndChair(id, started.body.bids, c);
    for (const m of c) expect((await api(`/api/evaluation/evaluations/${id}/submission`, m.token, { method: "POST" })).status).toBe(200);
    let signed: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const m of c) signed = (await api(`/api/evaluation/evaluations/${id}/signature`, m.token, { method: "POST", body: {} })).body;
    const first = signed.report.ranking[0];
    expect(first.supplierCode).toBe(SUPPLIERS[1]);
    const awarded = await api(`/api/evaluation/evaluations/${id}/award`, w.tokens.agency, { method: "POST", body: { bidId: first.bidId } });
    expect(awarded.status).toBe(200);
    // the day of the award is not counted (calc.dayCounting): the next working day is the notice's one
    const until = periodEnd(new Date(awarded.body.award.at), 1, "working-days");
    expect(awarded.body.award.noticeUntil).toBe(until);
    const [notice] = await knex()("core_outbox").where({ event: "portal.publish" }).whereRaw("payload->>'instanceId' = ?", [id]);
    expect(notice.payload).toMatchObject({ notice: "result", data: { winner: first.supplierName, noticeUntil: until } });
    const loser = await api(`/api/evaluation/tenders/${t}/my-result`, w.suppliers[0]);
    expect(loser.body).toMatchObject({ won: false, noticeUntil: until });
  });
});
