import { randomUUID } from "node:crypto";
import { localDate, periodEnd } from "../../../core/sdk";
import { drawnCommittee, type EvalWorld, openedTender, startEvalWorld, stopEvalWorld, SUPPLIERS } from "./support";

jest.setTimeout(120_000);

describe("evaluation and award after the opening", () => {
  let w: EvalWorld;
  let tender: string;
  let evalId: string;
  /** a second opened tender, without a drawing until the last test */
  let other: string;
  /** the tender's committee as the drawing made it, first drawn first */
  let members: Array<{ token: string; id: string }>;
  /** the collusion test's evaluation, signed and left unconfirmed for the award clock */
  let collusionId: string;
  /** an admitted expert the drawing left out */
  let nonMember: { token: string; id: string };
  const api = (path: string, token: string, init: { method?: string; body?: unknown; lang?: string } = {}) =>
    w.platform.api(path, { method: init.method, token, body: init.body, headers: init.lang ? { "accept-language": init.lang } : {} });
  const committee = () => members;
  const comprehensive = (ids?: string[]) => ({
    tenderId: tender, method: "comprehensive", category: "goods", priceWeight: 30, ...(ids ? { members: ids } : {}),
    criteria: [{ id: "tech", title: "技术方案", titleEn: "Technical", max: 40 }, { id: "service", title: "售后服务", titleEn: "Service", max: 30 }],
  });

  beforeAll(async () => {
    w = await startEvalWorld(7);
    // the documents declare 10 % for small firms and 5 % for consortia: supplier 1 is a small enterprise (401,000 less
    // 10 % is 360,900, the lowest evaluated price), supplier 2 a consortium whose small firms hold 30 % (402,000 less 5 % is 381,900)
    tender = await openedTender(w, ["400000.00", "401000.00", "402000.00"], { documents: { smePriceDeduction: 10, consortiumDeduction: 5 } });
    other = await openedTender(w, ["500000.00", "450000.00", "450000.00"]);
    members = await drawnCommittee(w, tender, 5, "am");
    nonMember = w.experts.find((e) => !members.includes(e))!;
  });
  afterAll(() => stopEvalWorld(w));

  test("the committee is the drawing's (evaluation.committeeFromDrawing): none without a complete drawing, no member the drawing did not pick; a price weight below eval.priceWeight.goods, a deduction outside sme.priceDeduction.2022 refused, in zh-CN and en", async () => {
    const undrawn = await api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", body: { ...comprehensive(), tenderId: other } });
    expect(undrawn.status).toBe(409);
    expect(undrawn.body.error.details.rule).toBe("evaluation.committeeFromDrawing");
    expect(undrawn.body.error.message).toContain("抽取");
    // the purchaser types a committee: one it picked itself in place of a drawn expert
    const typed = [...committee().slice(0, 4).map((e) => e.id), nonMember.id];
    const four = await api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", body: { ...comprehensive(typed), priceWeight: 20, smeDeduction: 25 } });
    expect(four.status).toBe(400);
    expect(four.body.error.code).toBe("VALIDATION_FAILED");
    const byPath = Object.fromEntries(four.body.error.details.map((d: { path: string; rule: string; message: Record<string, string> }) => [d.path, d]));
    expect(byPath["/members"].rule).toBe("evaluation.committeeFromDrawing");
    expect(byPath["/members"].message["zh-CN"]).toContain("其中 1 人不在抽取结果中");
    expect(byPath["/priceWeight"].rule).toBe("eval.priceWeight.goods");
    expect(byPath["/smeDeduction"].rule).toBe("sme.priceDeduction.2022");
    expect(byPath["/smeDeduction"].message["zh-CN"]).toContain("以采购文件的声明为准");
    // documents declaring a deduction outside sme.priceDeduction.2022 / sme.consortiumDeduction: corrected first
    const knex = w.platform.kernel.db.knex;
    await knex("etrading_tenders").where({ id: tender }).update({ documents: JSON.stringify({ smePriceDeduction: 6, consortiumDeduction: 3 }) });
    const wrongDocs = await api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", lang: "en", body: comprehensive() });
    await knex("etrading_tenders").where({ id: tender }).update({ documents: JSON.stringify({ smePriceDeduction: 10, consortiumDeduction: 5 }) });
    expect(wrongDocs.status).toBe(400);
    expect(wrongDocs.body.error.details.map((d: { rule: string }) => d.rule)).toEqual(["sme.priceDeduction.2022", "sme.consortiumDeduction"]);
    expect(wrongDocs.body.error.details[1].message.en).toContain("consortium price deduction (3 %) is outside 4–6 %");
    const six = await api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", lang: "en", body: comprehensive([...committee().map((e) => e.id), nonMember.id]) });
    expect(six.status).toBe(400);
    expect(six.body.error.details[0].message.en).toContain("the 5 experts who accepted this tender's drawing; 1 given are not among them");
    // input PostgreSQL cannot take is the caller's mistake, not a 500: a member id of UUID length that is no UUID, a NUL in a title
    const odd = await api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", body: comprehensive([..."-".repeat(5)].map(() => "-".repeat(36))) });
    expect(odd.body.error.details[0].rule).toBe("evaluation.committeeFromDrawing");
    expect(odd.status).toBe(400);
    expect(odd.body.error.details.map((d: { path: string }) => d.path)).toEqual(["/members"]);
    expect((await api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", body: { ...comprehensive(), criteria: [{ id: "tech", title: "a\u0000b", max: 70 }] } })).status).toBe(400);
    // services may weigh price at 10 % (eval.priceWeight.services); goods may not
    const services = await api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", body: { ...comprehensive(), category: "services", priceWeight: 5 } });
    expect(services.body.error.details.map((d: { rule: string }) => d.rule)).toEqual(["eval.priceWeight.services"]);
    // not the tender's purchaser, another city's agency, a supplier: no start
    expect((await api("/api/evaluation/evaluations", w.tokens.outsider, { method: "POST", body: comprehensive() })).status).toBe(403);
    expect([400, 403, 404]).toContain((await api("/api/evaluation/evaluations", w.tokens.otherCityAgency, { method: "POST", body: comprehensive() })).status);
    expect((await api("/api/evaluation/evaluations", w.suppliers[0], { method: "POST", body: comprehensive() })).status).toBe(403);
    // a tender whose opening is not recorded yet
    const unrecorded = await openedTender(w, ["300000.00", "310000.00", "320000.00"], { record: false });
    const early = await api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", body: { ...comprehensive(), tenderId: unrecorded } });
    expect(early.status).toBe(409);
    expect(early.body.error.details.rule).toBe("evaluation.afterOpening");
    expect(await w.platform.kernel.db.knex("evaluation_evaluations").count("* as n")).toEqual([{ n: "0" }]);
  });

  test("qualification review first (tender.qualificationReviewAfterOpening), then independent scoring, all members at once, idempotent saves, clear refusals", async () => {
    // the committee may be left to the drawing, or repeated as drawn
    const started = await api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", body: comprehensive(committee().map((e) => e.id)) });
    expect(started.status).toBe(201);
    expect(started.body.drawingId).toMatch(/^[0-9a-f-]{36}$/);
    evalId = started.body.id;
    const bids: Array<{ bidId: string; supplierCode: string; price: string; order: number }> = started.body.bids;
    expect(bids.map((b) => [b.supplierCode, b.price])).toEqual([[SUPPLIERS[0], "400000.00"], [SUPPLIERS[1], "401000.00"], [SUPPLIERS[2], "402000.00"]]);
    // scoring waits for the qualification review
    const tooEarly = await api(`/api/evaluation/evaluations/${evalId}/scores`, committee()[0].token, { method: "PUT", body: { scores: [{ bidId: bids[0].bidId, criterion: "tech", score: 1 }] } });
    expect(tooEarly.status).toBe(409);
    const partial = await api(`/api/evaluation/evaluations/${evalId}/qualification`, w.tokens.purchaser, { method: "PUT", body: { results: [{ bidId: bids[0].bidId, passed: true }, { bidId: bids[1].bidId, passed: false }] } });
    expect(partial.status).toBe(400);
    expect(partial.body.error.details.map((d: { rule: string }) => d.rule)).toEqual(["award.informLosers"]);
    const some = await api(`/api/evaluation/evaluations/${evalId}/qualification`, w.tokens.purchaser, { method: "PUT", body: { results: [{ bidId: bids[0].bidId, passed: true }] } });
    expect(some.body.error.details[0].rule).toBe("tender.qualificationReviewAfterOpening");
    // an expert does not review qualifications
    expect((await api(`/api/evaluation/evaluations/${evalId}/qualification`, committee()[0].token, { method: "PUT", body: { results: [] } })).status).toBe(403);
    // the fourth bidder's (none) and a 4th bid: the three bids, supplier 1 covered by the SME declaration
    // one deduction per bidder
    const both = await api(`/api/evaluation/evaluations/${evalId}/qualification`, w.tokens.agency, {
      method: "PUT", body: { results: [{ bidId: bids[0].bidId, passed: true, sme: true, consortium: true }, { bidId: bids[1].bidId, passed: true }, { bidId: bids[2].bidId, passed: true }] },
    });
    expect(both.body.error.details.map((d: { rule: string }) => d.rule)).toEqual(["sme.consortiumDeduction"]);
    const reviewed = await api(`/api/evaluation/evaluations/${evalId}/qualification`, w.tokens.agency, {
      method: "PUT",
      body: { results: [{ bidId: bids[0].bidId, passed: true }, { bidId: bids[1].bidId, passed: true, sme: true }, { bidId: bids[2].bidId, passed: true, consortium: true }] },
    });
    expect(reviewed.status).toBe(200);
    expect(reviewed.body.status).toBe("scoring");

    // the committee elects its chair before anyone scores (evaluation.chair): a majority of the whole committee
    const chairUrl = `/api/evaluation/evaluations/${evalId}/chair`;
    const unchaired = await api(`/api/evaluation/evaluations/${evalId}/scores`, committee()[0].token, { method: "PUT", lang: "en", body: { scores: [{ bidId: bids[0].bidId, criterion: "tech", score: 1 }] } });
    expect(unchaired.status).toBe(409);
    expect(unchaired.body.error.details.rule).toBe("evaluation.chair");
    expect(unchaired.body.error.message).toContain("chair");
    expect((await api(chairUrl, committee()[0].token, { method: "POST", body: { candidate: nonMember.id } })).status).toBe(400);
    expect((await api(chairUrl, nonMember.token, { method: "POST", body: { candidate: committee()[2].id } })).status).toBe(404);
    for (const k of [0, 1]) expect((await api(chairUrl, committee()[k].token, { method: "POST", body: { candidate: committee()[2].id } })).body.chairElected).toBe(false);
    const elected = await api(chairUrl, committee()[3].token, { method: "POST", body: { candidate: committee()[2].id } });
    expect(elected.body).toMatchObject({ chairElected: true, chair: committee()[2].id });
    expect((await api(chairUrl, committee()[4].token, { method: "POST", body: { candidate: committee()[4].id } })).status).toBe(409);
    expect((await api(`/api/evaluation/evaluations/${evalId}`, w.tokens.purchaser)).body).toMatchObject({ chairElected: true, chair: null });

    const url = `/api/evaluation/evaluations/${evalId}/scores`;
    // out of range, an unknown criterion: refused, nothing written
    const bad = await api(url, committee()[0].token, { method: "PUT", lang: "en", body: { scores: [{ bidId: bids[0].bidId, criterion: "tech", score: 41 }, { bidId: bids[0].bidId, criterion: "price", score: 5 }] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(["/scores/0/score", "/scores/1/criterion"]);
    expect(bad.body.error.details[0].message.en).toContain("0 to 40");
    // a non-member (an expert of no committee here, a supplier) may not score
    expect((await api(url, nonMember.token, { method: "PUT", body: { scores: [{ bidId: bids[0].bidId, criterion: "tech", score: 1 }] } })).status).toBe(404);
    expect((await api(url, w.suppliers[0], { method: "PUT", body: { scores: [{ bidId: bids[0].bidId, criterion: "tech", score: 1 }] } })).status).toBe(404);

    // member m gives bid b: tech 30 + m, service 20 (bid 0), 20 (bid 1), 25 (bid 2); first a lower draft that the second save overwrites
    const sheet = (m: number, bump = 0) => bids.flatMap((b, i) => [
      // the draft has two decimals (25.15 × 100 is not exact in binary): still a valid score
      { bidId: b.bidId, criterion: "tech", score: 30 + m - bump + (bump ? 0.15 : 0) },
      { bidId: b.bidId, criterion: "service", score: [20, 20, 25][i] },
    ]);
    const first = await Promise.all(committee().map((e, m) => api(url, e.token, { method: "PUT", body: { scores: sheet(m, 5) } })));
    expect(first.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const second = await Promise.all(committee().map((e, m) => api(url, e.token, { method: "PUT", body: { scores: sheet(m) } })));
    expect(second.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await w.platform.kernel.db.knex("evaluation_scores").where({ evaluation_id: evalId }).count("* as n")).toEqual([{ n: String(5 * 3 * 2) }]);
    // each member sees its own scores only; nobody sees a ranking before every member submitted
    const mine = await api(`/api/evaluation/evaluations/${evalId}/scores/mine`, committee()[2].token);
    expect(mine.body.items).toHaveLength(6);
    expect(mine.body.items.filter((s: { criterion: string }) => s.criterion === "tech").map((s: { score: number }) => s.score)).toEqual([32, 32, 32]);
    expect((await api(`/api/evaluation/evaluations/${evalId}`, committee()[2].token)).body.report).toBeNull();
    expect((await api(`/api/evaluation/evaluations/${evalId}/scores/mine`, w.tokens.purchaser)).status).toBe(403);

    for (const [m, e] of committee().slice(0, 4).entries()) expect([m, (await api(`/api/evaluation/evaluations/${evalId}/submission`, e.token, { method: "POST" })).status]).toEqual([m, 200]);
    // a member who submitted scores no more, and submits once
    const after = await api(url, committee()[0].token, { method: "PUT", body: { scores: [{ bidId: bids[0].bidId, criterion: "tech", score: 1 }] } });
    expect(after.status).toBe(409);
    expect(after.body.error.details.rule).toBe("evaluation.submitted");
    expect((await api(`/api/evaluation/evaluations/${evalId}/submission`, committee()[0].token, { method: "POST" })).status).toBe(409);
    expect((await api(`/api/evaluation/evaluations/${evalId}`, committee()[0].token)).body.report).toBeNull();
  });

  test("the last submission makes the report: average scores, the platform's price score (eval.priceScore.formula) after the documents' SME deduction (sme.priceDeduction.2022) and consortium deduction (sme.consortiumDeduction), ranked", async () => {
    const last = await api(`/api/evaluation/evaluations/${evalId}/submission`, committee()[4].token, { method: "POST" });
    expect(last.status).toBe(200);
    expect(last.body.status).toBe("signing");
    const r = last.body.report;
    // the members' tech scores are 30..34: average 32; service as given
    const base = 360900; // 401,000 less 10 %
    const price = (p: number) => Math.round((base / p) * 30 * 100) / 100;
    const expected = [
      { supplierCode: SUPPLIERS[2], evaluatedPrice: "381900.00", technical: 57, priceScore: price(381900), total: Math.round((57 + price(381900)) * 100) / 100 },
      { supplierCode: SUPPLIERS[1], evaluatedPrice: "360900.00", technical: 52, priceScore: 30, total: 82 },
      { supplierCode: SUPPLIERS[0], evaluatedPrice: "400000.00", technical: 52, priceScore: price(400000), total: Math.round((52 + price(400000)) * 100) / 100 },
    ];
    expect(r.ranking.map((x: Record<string, unknown>) => ({ supplierCode: x.supplierCode, evaluatedPrice: x.evaluatedPrice, technical: x.technical, priceScore: x.priceScore, total: x.total }))).toEqual(expected);
    expect(r.ranking.map((x: { rank: number }) => x.rank)).toEqual([1, 2, 3]);
    expect(r.basePrice).toBe("360900.00");
    expect([r.smeDeduction, r.consortiumDeduction]).toEqual([10, 5]);
    expect(r.ranking.map((x: { sme: boolean; consortium: boolean }) => [x.sme, x.consortium])).toEqual([[false, true], [true, false], [false, false]]);
    // the purchaser sees the report now
    expect((await api(`/api/evaluation/evaluations/${evalId}`, w.tokens.purchaser)).body.report.ranking).toHaveLength(3);
  });

  test("every member signs, a dissent kept in the report (eval.report.signatures), delivered to the purchaser at the last signature (award.reportDelivery); then no change (eval.noReEvaluation) but by a regulator's order with a reason", async () => {
    const url = `/api/evaluation/evaluations/${evalId}/signature`;
    expect((await api(url, committee()[0].token, { method: "POST", body: { dissent: "\u0000" } })).status).toBe(400);
    expect((await api(url, committee()[0].token, { method: "POST", body: { dissent: "对第 2 名技术分有不同意见：方案缺少冗余设计" } })).status).toBe(200);
    expect((await api(url, committee()[0].token, { method: "POST", body: {} })).status).toBe(409);
    expect((await api(url, nonMember.token, { method: "POST", body: {} })).status).toBe(404);
    // no award before every member signed
    const award0 = await api(`/api/evaluation/evaluations/${evalId}/award`, w.tokens.purchaser, { method: "POST", body: { bidId: "x" } });
    expect(award0.status).toBe(409);
    for (const e of committee().slice(1)) expect((await api(url, e.token, { method: "POST", body: {} })).status).toBe(200);
    const signed = await api(`/api/evaluation/evaluations/${evalId}`, committee()[1].token);
    expect(signed.body.status).toBe("signed");
    expect(signed.body.report.signatures).toHaveLength(5);
    expect(signed.body.report.signatures.find((s: { memberId: string }) => s.memberId === committee()[0].id).dissent).toContain("冗余设计");
    // award.purchaserConfirm: 5 working days from the day the report is complete, on the platform's calendar
    expect(signed.body.confirmBy).toBe(periodEnd(w.platform.kernel.clock.now(), 5, "working-days"));
    // award.reportDelivery (within 2 working days of the evaluation's end): the purchaser has it the moment the last member signed
    const delivered = (await api(`/api/evaluation/evaluations/${evalId}`, w.tokens.purchaser)).body;
    const lastSigned = signed.body.report.signatures.map((s: { signedAt: string }) => s.signedAt).sort().at(-1);
    expect(delivered.reportDelivered).toEqual({ at: lastSigned, rule: "award.reportDelivery" });
    expect(delivered.report.ranking.length).toBeGreaterThan(0);

    const late = await api(`/api/evaluation/evaluations/${evalId}/scores`, committee()[1].token, { method: "PUT", lang: "en", body: { scores: [{ bidId: signed.body.bids[0].bidId, criterion: "tech", score: 1 }] } });
    expect(late.status).toBe(409);
    expect(late.body.error.details.rule).toBe("eval.noReEvaluation");
    expect(late.body.error.message).toContain("re-evaluation order");
    // the purchaser may not order it; the regulator must give a reason
    expect((await api(`/api/evaluation/evaluations/${evalId}/re-evaluation`, w.tokens.purchaser, { method: "POST", body: { reason: "x" } })).status).toBe(403);
    const noReason = await api(`/api/evaluation/evaluations/${evalId}/re-evaluation`, w.tokens.regulator, { method: "POST", body: {} });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details[0].rule).toBe("eval.noReEvaluation");
    const ordered = await api(`/api/evaluation/evaluations/${evalId}/re-evaluation`, w.tokens.regulator, { method: "POST", body: { reason: "投诉处理决定：第 3 名的售后服务分计算错误" } });
    expect(ordered.status).toBe(200);
    expect(ordered.body).toMatchObject({ status: "scoring", round: 2, report: null, reEvaluationOrders: [expect.objectContaining({ reason: expect.stringContaining("计算错误") })] });
    // round 2: the same scores, except bid 2's service now 20: supplier 1 comes first, the consortium's deduction keeps supplier 2 ahead of supplier 0
    const bids = ordered.body.bids as Array<{ bidId: string }>;
    await Promise.all(committee().map((e, m) => api(`/api/evaluation/evaluations/${evalId}/scores`, e.token, {
      method: "PUT", body: { scores: bids.flatMap((b) => [{ bidId: b.bidId, criterion: "tech", score: 30 + m }, { bidId: b.bidId, criterion: "service", score: 20 }]) },
    })));
    // every member submits and signs at once: one report, every signature kept
    const submitted = await Promise.all(committee().map((e) => api(`/api/evaluation/evaluations/${evalId}/submission`, e.token, { method: "POST" })));
    expect(submitted.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(submitted.filter((r) => r.body.status === "signing")).toHaveLength(1);
    const signatures = await Promise.all(committee().map((e) => api(url, e.token, { method: "POST", body: {} })));
    expect(signatures.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await w.platform.kernel.db.knex("core_audit_log").where({ action: "evaluation.report", object: evalId }).count("* as n")).toEqual([{ n: "2" }]);
    const again = await api(`/api/evaluation/evaluations/${evalId}`, w.tokens.agency);
    expect(again.body.report.ranking.map((x: { supplierCode: string }) => x.supplierCode)).toEqual([SUPPLIERS[1], SUPPLIERS[2], SUPPLIERS[0]]);
  });

  test("award: the first-ranked, or another with a reason (award.purchaserConfirm); a warning on the last day; the result notice; each loser reads its own score and rank only (award.informLosers); the next candidate when the winner refuses (contract.winnerRefuses); the contract's 30 days (contract.signWithin)", async () => {
    const view = (await api(`/api/evaluation/evaluations/${evalId}`, w.tokens.purchaser)).body;
    const [first, second] = view.report.ranking;
    // the last of the 5 working days (award.purchaserConfirm): the purchaser is warned once
    w.platform.kernel.clock.travelTo(new Date(`${view.confirmBy}T12:00:00+08:00`));
    let warnedFlag = false;
    for (let i = 0; i < 100 && !warnedFlag; i++) {
      warnedFlag = (await api(`/api/evaluation/evaluations/${evalId}`, w.tokens.purchaser)).body.awardWarned;
      if (!warnedFlag) await new Promise((r) => setTimeout(r, 100));
    }
    expect(warnedFlag).toBe(true);
    const warned = await w.platform.kernel.db.knex("core_outbox").where({ event: "notifications.requested" }).whereRaw("payload->>'kind' = 'evaluation.award.warning'");
    expect(warned.map((r) => r.payload.owner.unit)).toEqual(["441300401"]);

    const out = await api(`/api/evaluation/evaluations/${evalId}/award`, w.tokens.purchaser, { method: "POST", lang: "en", body: { bidId: second.bidId } });
    expect(out.status).toBe(400);
    expect(out.body.error.details[0]).toMatchObject({ path: "/reason", rule: "award.purchaserConfirm" });
    expect((await api(`/api/evaluation/evaluations/${evalId}/award`, committee()[0].token, { method: "POST", body: { bidId: first.bidId } })).status).toBe(403);
    const awarded = await api(`/api/evaluation/evaluations/${evalId}/award`, w.tokens.purchaser, { method: "POST", body: { bidId: first.bidId } });
    expect(awarded.status).toBe(200);
    expect(awarded.body.award).toMatchObject({ supplierCode: SUPPLIERS[1], rank: 1, late: false, deemed: false });
    // contract.signWithin: 30 calendar days from the award notice
    expect(awarded.body.signBy).toBe(periodEnd(w.platform.kernel.clock.now(), 30, "calendar-days"));
    expect((await api(`/api/evaluation/evaluations/${evalId}/award`, w.tokens.purchaser, { method: "POST", body: { bidId: first.bidId } })).status).toBe(409);
    // the result notice for the portal (award.resultNotice), without anyone's scores
    const [notice] = await w.platform.kernel.db.knex("core_outbox").where({ event: "portal.publish" });
    expect(notice.payload).toMatchObject({ notice: "result", tenantCode: "441300", data: { winner: first.supplierName, winningPrice: first.price } });
    expect(JSON.stringify(notice.payload)).not.toContain("technical");
    // the procurement is complete: credit's mutual rating round (plugins/credit/api.ts) names every party
    const [round] = await w.platform.kernel.db.knex("core_outbox").where({ event: "credit.ratingRound" });
    expect(round.payload).toMatchObject({ source: "evaluation", sourceId: evalId, tenantCode: "441300", purchaser: { code: "441300401" } });
    expect(round.payload.experts).toEqual((await w.platform.kernel.db.knex("evaluation_evaluations").where({ id: evalId }).first()).members);
    expect(round.payload.suppliers.filter((s: { winner: boolean }) => s.winner).map((s: { code: string }) => s.code)).toEqual([SUPPLIERS[1]]);
    // deposit.refund.losers: finance's refund clock for every other bidder, from the award notice's day
    const clocks = () => w.platform.kernel.db.knex("core_outbox").where({ event: "finance.refundClock" }).orderBy("id");
    const [losers] = await clocks();
    expect(losers.payload).toMatchObject({ tenderId: tender, rule: "deposit.refund.losers", from: localDate(w.platform.kernel.clock.now()) });
    expect([...losers.payload.supplierCodes].sort()).toEqual(view.report.ranking.map((r: { supplierCode: string }) => r.supplierCode).filter((c: string) => c !== SUPPLIERS[1]).sort());

    // each bidder reads its own score and rank, nobody else's
    for (const [i, code] of SUPPLIERS.slice(0, 3).entries()) {
      const r = await api(`/api/evaluation/tenders/${tender}/my-result`, w.suppliers[i]);
      expect(r.status).toBe(200);
      const own = view.report.ranking.find((x: { supplierCode: string }) => x.supplierCode === code);
      expect(r.body).toMatchObject({ rule: "award.informLosers", won: i === 1, mine: { rank: own.rank, total: own.total } });
      expect(JSON.stringify(r.body)).not.toContain(SUPPLIERS[(i + 1) % 3]);
    }
    // a supplier that did not bid, and a supplier reading the evaluation itself: not found
    expect((await api(`/api/evaluation/tenders/${tender}/my-result`, w.suppliers[3])).status).toBe(404);
    expect((await api(`/api/evaluation/evaluations/${evalId}`, w.suppliers[0])).status).toBe(404);

    // contract.winnerRefuses: the winner will not sign; the purchaser takes the next candidate, published in its place
    const noReason = await api(`/api/evaluation/evaluations/${evalId}/winner-refusal`, w.tokens.purchaser, { method: "POST", body: {} });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details[0].rule).toBe("contract.winnerRefuses");
    expect((await api(`/api/evaluation/evaluations/${evalId}/winner-refusal`, w.suppliers[1], { method: "POST", body: { reason: "x" } })).status).toBe(404);
    const next = await api(`/api/evaluation/evaluations/${evalId}/winner-refusal`, w.tokens.purchaser, { method: "POST", body: { reason: "中标人书面表示放弃中标" } });
    expect(next.status).toBe(200);
    expect(next.body.award).toMatchObject({ bidId: second.bidId, rank: 2, reason: expect.stringContaining("contract.winnerRefuses") });
    expect(next.body.refusals).toEqual([expect.objectContaining({ bidId: first.bidId, reason: "中标人书面表示放弃中标" })]);
    // the refusal is a fact in the refusing supplier's credit file
    const [refusal] = await w.platform.kernel.db.knex("core_outbox").where({ event: "credit.fact" });
    expect(refusal.payload).toMatchObject({ subjectCode: first.supplierCode, subjectKind: "supplier", kind: "refused-to-sign", rule: "contract.winnerRefuses", reference: evalId });
    const notices = await w.platform.kernel.db.knex("core_outbox").where({ event: "portal.publish" }).orderBy("id");
    expect(notices.map((n) => [n.payload.version, n.payload.data.winner])).toEqual([[200, first.supplierName], [201, second.supplierName]]);
    expect((await api(`/api/evaluation/tenders/${tender}/my-result`, w.suppliers[0])).body.won).toBe(second.supplierCode === SUPPLIERS[0]);

    // the contract, inside its 30 days: recorded once
    const signedContract = await api(`/api/evaluation/evaluations/${evalId}/contract`, w.tokens.purchaser, { method: "POST" });
    expect(signedContract.status).toBe(200);
    expect(signedContract.body.contract).toMatchObject({ late: false, bidId: second.bidId });
    // deposit.refund.winner: the winner's refund clock from the contract's day
    expect((await clocks()).at(-1).payload).toMatchObject({ tenderId: tender, rule: "deposit.refund.winner", supplierCodes: [second.supplierCode] });
    const twice = await api(`/api/evaluation/evaluations/${evalId}/contract`, w.tokens.purchaser, { method: "POST" });
    expect([twice.status, twice.body.error.details.rule]).toEqual([409, "contract.signWithin"]);
    // after the contract, no refusal moves the award
    expect((await api(`/api/evaluation/evaluations/${evalId}/winner-refusal`, w.tokens.purchaser, { method: "POST", body: { reason: "x" } })).status).toBe(409);
  });

  test("object-level access: another tender's committee member, a supplier, another city's agency and an unrelated purchaser are refused; ties go to the lower price, then the opening order; unconfirmed, the first-ranked is deemed chosen after the warning (award.purchaserConfirm)", async () => {
    const second = await drawnCommittee(w, other, 5, "pm");
    const started = await api("/api/evaluation/evaluations", w.tokens.agency, { method: "POST", body: { tenderId: other, method: "lowest-price", category: "goods" } });
    expect(started.status).toBe(201);
    const id = started.body.id;
    // the agency started it; the tender's purchaser runs it too (e-trading says so)
    expect((await api(`/api/evaluation/evaluations/${id}`, w.tokens.purchaser)).status).toBe(200);
    const onlyFirst = committee().find((e) => !second.includes(e));
    for (const token of [...(onlyFirst ? [onlyFirst.token] : []), w.suppliers[1], w.tokens.otherCityAgency, w.tokens.outsider]) {
      expect((await api(`/api/evaluation/evaluations/${id}`, token)).status).toBe(404);
    }
    // lists: an expert its committees, the agency what it started, the regulator its region's; a supplier and another city nothing
    const ids = async (token: string) => (await api("/api/evaluation/evaluations", token)).body.items.map((x: { id: string }) => x.id);
    for (const e of w.experts) expect(await ids(e.token)).toEqual([...(second.includes(e) ? [id] : []), ...(committee().includes(e) ? [evalId] : [])]);
    expect(await ids(w.tokens.agency)).toEqual([id]);
    expect(await ids(w.tokens.regulator)).toEqual([id, evalId]);
    expect(await ids(w.suppliers[0])).toEqual([]);
    expect(await ids(w.tokens.otherCityAgency)).toEqual([]);
    // the purchaser and its agency see the committee's size, not its names (experts.namesConfidential); the regulator sees them
    expect((await api(`/api/evaluation/evaluations/${id}`, w.tokens.purchaser)).body.members).toBeNull();
    expect((await api(`/api/evaluation/evaluations/${id}`, w.tokens.regulator)).body.members).toEqual(second.map((e) => e.id));
    const bids = started.body.bids as Array<{ bidId: string }>;
    expect((await api(`/api/evaluation/evaluations/${id}/qualification`, w.tokens.purchaser, { method: "PUT", body: { results: bids.map((b) => ({ bidId: b.bidId, passed: true })) } })).status).toBe(200);
    // eval.lowestPrice.method: no criteria to score; each member confirms by submitting
    for (const m of second.slice(0, 3)) await api(`/api/evaluation/evaluations/${id}/chair`, m.token, { method: "POST", body: { candidate: second[0].id } });
    for (const m of second) expect((await api(`/api/evaluation/evaluations/${id}/submission`, m.token, { method: "POST" })).status).toBe(200);
    const report = (await api(`/api/evaluation/evaluations/${id}`, second[0].token)).body.report;
    expect(report.rules).toContain("eval.lowestPrice.method");
    expect(report.ranking.map((x: { supplierCode: string; rank: number }) => [x.rank, x.supplierCode])).toEqual([[1, SUPPLIERS[1]], [2, SUPPLIERS[2]], [3, SUPPLIERS[0]]]);

    // award.purchaserConfirm: nobody confirms; the warning on the last day, then the first-ranked is deemed chosen
    for (const m of second) expect((await api(`/api/evaluation/evaluations/${id}/signature`, m.token, { method: "POST", body: {} })).status).toBe(200);
    const confirmBy = (await api(`/api/evaluation/evaluations/${id}`, w.tokens.agency)).body.confirmBy;
    w.platform.kernel.clock.travelTo(new Date(new Date(`${confirmBy}T12:00:00+08:00`).getTime() + 2 * 86_400_000));
    let v: { status: string; award: { supplierCode: string; deemed: boolean; rank: number } | null } = { status: "signed", award: null };
    for (let i = 0; i < 100 && v.status !== "awarded"; i++) {
      v = (await api(`/api/evaluation/evaluations/${id}`, w.tokens.agency)).body;
      if (v.status !== "awarded") await new Promise((r) => setTimeout(r, 100));
    }
    expect(v).toMatchObject({ status: "awarded", award: { supplierCode: SUPPLIERS[1], rank: 1, deemed: true, late: true } });
    const trail = await w.platform.kernel.db.knex("core_audit_log").where({ object: id }).whereIn("action", ["evaluation.award.warning", "evaluation.award.deemed"]).orderBy("id").select("action");
    expect(trail.map((r) => r.action)).toEqual(["evaluation.award.warning", "evaluation.award.deemed"]);
    const told = await w.platform.kernel.db.knex("core_outbox").where({ event: "notifications.requested" }).whereRaw("payload->>'kind' = 'evaluation.award.deemed'");
    expect(told.map((r) => r.payload.title["zh-CN"])).toEqual([expect.stringContaining("视同确定排名第一的候选人")]);
  });

  test("the award is an analytics.fact with its bidders: an open tender awarded on one bid raises analytics' single-bid flag (tender.minBidders)", async () => {
    const single = await openedTender(w, ["300000.00"]);
    const projectId = randomUUID();
    await w.platform.kernel.db.knex("etrading_tenders").where({ id: single }).update({ project_id: projectId });
    const committee3 = await drawnCommittee(w, single, 5, "am", periodEnd(w.slotDate, 1, "working-days"));
    const started = await api("/api/evaluation/evaluations", w.tokens.agency, { method: "POST", body: { tenderId: single, method: "lowest-price", category: "goods" } });
    expect(started.status).toBe(201);
    const id = started.body.id;
    const [bid] = started.body.bids as Array<{ bidId: string }>;
    expect((await api(`/api/evaluation/evaluations/${id}/qualification`, w.tokens.agency, { method: "PUT", body: { results: [{ bidId: bid.bidId, passed: true }] } })).status).toBe(200);
    for (const m of committee3.slice(0, 3)) await api(`/api/evaluation/evaluations/${id}/chair`, m.token, { method: "POST", body: { candidate: committee3[0].id } });
    for (const m of committee3) expect((await api(`/api/evaluation/evaluations/${id}/submission`, m.token, { method: "POST" })).status).toBe(200);
    for (const m of committee3) expect((await api(`/api/evaluation/evaluations/${id}/signature`, m.token, { method: "POST", body: {} })).status).toBe(200);
    expect((await api(`/api/evaluation/evaluations/${id}/award`, w.tokens.agency, { method: "POST", body: { bidId: bid.bidId } })).status).toBe(200);

    const [fact] = await w.platform.kernel.db.knex("core_outbox").where({ event: "analytics.fact" }).whereRaw("payload->'data'->>'projectId' = ?", [projectId]);
    expect(fact.payload).toMatchObject({ stage: "award", tenantCode: "441300", data: { projectId, method: "public-tender", bidders: 1, amount: "300000.00", supplierName: expect.any(String) } });
    let flags: Array<{ flag: string; evidence: Record<string, unknown>; projects: Array<{ projectId: string }> }> = [];
    for (let i = 0; i < 100 && !flags.some((f) => f.flag === "single-bid" && f.projects.some((p) => p.projectId === projectId)); i++) {
      const r = await api("/api/analytics/flags", w.tokens.regulator);
      expect(r.status).toBe(200);
      flags = r.body.flags;
      await new Promise((res) => setTimeout(res, 100));
    }
    const flag = flags.find((f) => f.flag === "single-bid" && f.projects.some((p) => p.projectId === projectId));
    expect(flag?.evidence).toMatchObject({ method: "public-tender", bidders: 1, rule: "tender.minBidders" });
    // the three-bid tenders awarded above carry no project: no fact, no flag
    expect(flags.filter((f) => f.flag === "single-bid")).toHaveLength(1);
  });

  test("eval.collusionIndicators: identical files and prices a constant step apart are flagged to the committee; an abnormally low price waits for the bidder's explanation the committee records (evaluation.abnormallyLowPrice)", async () => {
    // bidders 0 and 1 hand in the same file; bidder 2 bids far below the others
    const t = await openedTender(w, ["400000.00", "400500.00", "250000.00"], { notes: ["技术响应：同一份文件", "技术响应：同一份文件", "技术响应：自行编制"] });
    const c = await drawnCommittee(w, t, 5, "am", periodEnd(w.slotDate, 2, "working-days"));
    const started = await api("/api/evaluation/evaluations", w.tokens.agency, { method: "POST", body: { tenderId: t, method: "lowest-price", category: "goods" } });
    expect(started.status).toBe(201);
    const id = started.body.id;
    const bids = started.body.bids as Array<{ bidId: string }>;
    const kinds = (started.body.indicators as Array<{ kind: string; rule: string; bidIds: string[] }>).map((i) => [i.kind, i.rule, [...i.bidIds].sort()]);
    expect(kinds).toEqual([
      ["identical-files", "eval.collusionIndicators", [bids[0].bidId, bids[1].bidId].sort()],
      ["abnormally-low", "evaluation.abnormallyLowPrice", [bids[2].bidId]],
    ]);
    // the committee sees them too; a supplier sees nothing of the evaluation
    expect((await api(`/api/evaluation/evaluations/${id}`, c[0].token)).body.indicators).toHaveLength(2);
    expect((await api(`/api/evaluation/evaluations/${id}`, w.suppliers[2])).status).toBe(404);
    expect((await api(`/api/evaluation/evaluations/${id}/qualification`, w.tokens.agency, { method: "PUT", body: { results: bids.map((b) => ({ bidId: b.bidId, passed: true })) } })).status).toBe(200);
    for (const m of c.slice(0, 3)) await api(`/api/evaluation/evaluations/${id}/chair`, m.token, { method: "POST", body: { candidate: c[1].id } });
    const early = await api(`/api/evaluation/evaluations/${id}/submission`, c[0].token, { method: "POST", lang: "en" });
    expect(early.status).toBe(409);
    expect(early.body.error.details).toMatchObject({ rule: "evaluation.abnormallyLowPrice", bidIds: [bids[2].bidId] });
    expect(early.body.error.message).toContain("abnormally low");
    // a bid not flagged, an empty text, a non-member: refused
    expect((await api(`/api/evaluation/evaluations/${id}/explanations`, c[0].token, { method: "POST", body: { bidId: bids[0].bidId, text: "x" } })).status).toBe(400);
    expect((await api(`/api/evaluation/evaluations/${id}/explanations`, c[0].token, { method: "POST", body: { bidId: bids[2].bidId, text: "  " } })).status).toBe(400);
    expect((await api(`/api/evaluation/evaluations/${id}/explanations`, w.tokens.agency, { method: "POST", body: { bidId: bids[2].bidId, text: "x" } })).status).toBe(403);
    const explained = await api(`/api/evaluation/evaluations/${id}/explanations`, c[1].token, { method: "POST", body: { bidId: bids[2].bidId, text: "投标人书面说明：自有库存设备，成本构成见附表" } });
    expect(explained.status).toBe(200);
    expect(explained.body.indicators[1].explanation.text).toContain("自有库存设备");
    for (const m of c) expect((await api(`/api/evaluation/evaluations/${id}/submission`, m.token, { method: "POST" })).status).toBe(200);
    for (const m of c) expect((await api(`/api/evaluation/evaluations/${id}/signature`, m.token, { method: "POST", body: {} })).status).toBe(200);
    collusionId = id;
    // the regular step: three prices 1,000.00 apart, on the first tender
    const first = (await api(`/api/evaluation/evaluations/${evalId}`, w.tokens.regulator)).body.indicators;
    expect(first.find((i: { kind: string }) => i.kind === "regular-prices")).toMatchObject({ rule: "eval.collusionIndicators", evidence: { step: "1000.00" } });
  });

  test("consultation.priceWeight and negotiation.finalOffers.min: a consultation's price weight within its range; a negotiation's chair runs rounds of final offers, closed only with 3 offers or more; the report compares the last round's offers (eval.committee.nonTender.size: a committee of 3); a lawful reason holds the deemed award (award.purchaserConfirm)", async () => {
    const t = await openedTender(w, ["300000.00", "310000.00", "320000.00"]);
    await w.platform.kernel.db.knex("etrading_tenders").where({ id: t }).update({ method: "competitive-negotiation" });
    const c = await drawnCommittee(w, t, 3, "pm", periodEnd(w.slotDate, 1, "working-days"));
    // consultation.priceWeight: a competitive consultation's comprehensive scoring gives the price 30–60 % (goods), 10–30 % (services)
    await w.platform.kernel.db.knex("etrading_tenders").where({ id: t }).update({ method: "competitive-consultation" });
    const criteria = (points: number) => [{ id: "tech", title: "技术方案", max: points }];
    const heavy = await api("/api/evaluation/evaluations", w.tokens.agency, { method: "POST", body: { tenderId: t, method: "comprehensive", category: "goods", priceWeight: 70, criteria: criteria(30) } });
    expect(heavy.body.error.details.map((d: { rule: string }) => d.rule)).toEqual(["consultation.priceWeight"]);
    const services = await api("/api/evaluation/evaluations", w.tokens.agency, { method: "POST", lang: "en", body: { tenderId: t, method: "comprehensive", category: "services", priceWeight: 40, criteria: criteria(60) } });
    expect(services.body.error.details).toEqual([expect.objectContaining({ rule: "consultation.priceWeight", message: expect.objectContaining({ en: expect.stringContaining("10–30 %") }) })]);
    await w.platform.kernel.db.knex("etrading_tenders").where({ id: t }).update({ method: "competitive-negotiation" });
    const started = await api("/api/evaluation/evaluations", w.tokens.agency, { method: "POST", body: { tenderId: t, method: "lowest-price", category: "goods" } });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ committeeSize: 3, finalOffers: { round: 0, open: false, count: 0 } });
    const id = started.body.id;
    const bids = started.body.bids as Array<{ bidId: string }>;
    expect((await api(`/api/evaluation/evaluations/${id}/qualification`, w.tokens.agency, { method: "PUT", body: { results: bids.map((b) => ({ bidId: b.bidId, passed: true })) } })).status).toBe(200);
    for (const m of c.slice(0, 2)) await api(`/api/evaluation/evaluations/${id}/chair`, m.token, { method: "POST", body: { candidate: c[0].id } });
    const round = `/api/evaluation/evaluations/${id}/final-offers/round`;
    const offer = (i: number, price: unknown) => api(`/api/evaluation/evaluations/${id}/final-offers/mine`, w.suppliers[i], { method: "PUT", body: { price } });

    const early = await api(`/api/evaluation/evaluations/${id}/submission`, c[1].token, { method: "POST" });
    expect([early.status, early.body.error.details.rule]).toEqual([409, "negotiation.finalOffers.min"]);
    expect((await offer(0, "290000.00")).status).toBe(409);
    expect((await api(round, c[1].token, { method: "POST", body: { open: true } })).body.error.details.rule).toBe("evaluation.chair");
    const opened = await api(round, c[0].token, { method: "POST", body: { open: true } });
    expect(opened.body.finalOffers).toMatchObject({ round: 1, open: true, count: 0, offers: null });
    expect((await offer(0, "290000.00")).body).toEqual({ round: 1, received: true });
    expect((await offer(1, "305000.00")).status).toBe(200);
    expect((await offer(1, "三十万")).status).toBe(400);
    expect((await offer(3, "1.00")).status).toBe(404);
    // two offers of the three: the round cannot close (negotiation.finalOffers.min)
    const few = await api(round, c[0].token, { method: "POST", lang: "en", body: { open: false } });
    expect(few.status).toBe(409);
    expect(few.body.error.details).toMatchObject({ rule: "negotiation.finalOffers.min", offers: 2, minimum: 3 });
    expect(few.body.error.message).toContain("At least 3 suppliers");
    expect((await offer(2, "298000.00")).status).toBe(200);
    // an offer replaced while the round is open
    expect((await offer(0, "299500.00")).status).toBe(200);
    const closed = await api(round, c[0].token, { method: "POST", body: { open: false } });
    expect(closed.status).toBe(200);
    expect(closed.body.finalOffers).toMatchObject({ round: 1, open: false, count: 3 });
    expect((await offer(0, "1.00")).status).toBe(409);
    for (const m of c) expect((await api(`/api/evaluation/evaluations/${id}/submission`, m.token, { method: "POST" })).status).toBe(200);
    const report = (await api(`/api/evaluation/evaluations/${id}`, c[0].token)).body.report;
    expect(report.ranking.map((r: { supplierCode: string; price: string }) => [r.supplierCode, r.price])).toEqual([[SUPPLIERS[2], "298000.00"], [SUPPLIERS[0], "299500.00"], [SUPPLIERS[1], "305000.00"]]);

    // award.purchaserConfirm's lawful reason: this one is held, the collusion test's (signed the same day) is not
    for (const m of c) expect((await api(`/api/evaluation/evaluations/${id}/signature`, m.token, { method: "POST", body: {} })).status).toBe(200);
    const noReason = await api(`/api/evaluation/evaluations/${id}/award-hold`, w.tokens.agency, { method: "POST", body: {} });
    expect([noReason.status, noReason.body.error.details[0].rule]).toEqual([400, "award.purchaserConfirm"]);
    expect((await api(`/api/evaluation/evaluations/${id}/award-hold`, c[0].token, { method: "POST", body: { reason: "x" } })).status).toBe(403);
    const held = await api(`/api/evaluation/evaluations/${id}/award-hold`, w.tokens.agency, { method: "POST", body: { reason: "供应商对成交结果提出质疑，正在答复" } });
    expect(held.body.awardHold).toMatchObject({ reason: "供应商对成交结果提出质疑，正在答复" });
    const confirmBy = held.body.confirmBy;
    w.platform.kernel.clock.travelTo(new Date(new Date(`${confirmBy}T12:00:00+08:00`).getTime() + 2 * 86_400_000));
    // the pass that deems the unheld one is the pass that would have deemed this one
    let other = "signed";
    for (let i = 0; i < 100 && other !== "awarded"; i++) {
      other = (await api(`/api/evaluation/evaluations/${collusionId}`, w.tokens.agency)).body.status;
      if (other !== "awarded") await new Promise((r) => setTimeout(r, 100));
    }
    expect(other).toBe("awarded");
    expect((await api(`/api/evaluation/evaluations/${id}`, w.tokens.agency)).body).toMatchObject({ status: "signed", awardWarned: true, award: null });
  });
});
