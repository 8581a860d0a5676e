import { periodEnd } from "../../../core/sdk";
import { type EvalWorld, openedTender, startEvalWorld, stopEvalWorld, SUPPLIERS } from "./support";

jest.setTimeout(120_000);

describe("evaluation and award after the opening", () => {
  let w: EvalWorld;
  let tender: string;
  let evalId: string;
  const api = (path: string, token: string, init: { method?: string; body?: unknown; lang?: string } = {}) =>
    w.platform.api(path, { method: init.method, token, body: init.body, headers: init.lang ? { "accept-language": init.lang } : {} });
  const committee = () => w.experts.slice(0, 5);
  const comprehensive = (members: string[]) => ({
    tenderId: tender, method: "comprehensive", category: "goods", priceWeight: 30, smeDeduction: 10, members,
    criteria: [{ id: "tech", title: "技术方案", titleEn: "Technical", max: 40 }, { id: "service", title: "售后服务", titleEn: "Service", max: 30 }],
  });

  beforeAll(async () => {
    w = await startEvalWorld(7);
    // supplier 1 is a small enterprise: 401,000 less 10 % is 360,900, the lowest evaluated price
    tender = await openedTender(w, ["400000.00", "401000.00", "402000.00"]);
  });
  afterAll(() => stopEvalWorld(w));

  test("starting refuses a wrong committee size (eval.committee.tender.size), a price weight below eval.priceWeight.goods, a deduction outside sme.priceDeduction.2022, in zh-CN and en", async () => {
    const four = await api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", body: { ...comprehensive(w.experts.slice(0, 4).map((e) => e.id)), priceWeight: 20, smeDeduction: 25 } });
    expect(four.status).toBe(400);
    expect(four.body.error.code).toBe("VALIDATION_FAILED");
    const byPath = Object.fromEntries(four.body.error.details.map((d: { path: string; rule: string; message: Record<string, string> }) => [d.path, d]));
    expect(byPath["/members"].rule).toBe("eval.committee.tender.size");
    expect(byPath["/members"].message["zh-CN"]).toContain("5 人以上单数，现为 4 人");
    expect(byPath["/priceWeight"].rule).toBe("eval.priceWeight.goods");
    expect(byPath["/smeDeduction"].rule).toBe("sme.priceDeduction.2022");
    const six = await api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", lang: "en", body: comprehensive(w.experts.slice(0, 6).map((e) => e.id)) });
    expect(six.status).toBe(400);
    expect(six.body.error.details[0].message.en).toContain("odd number of at least 5; 6 given (eval.committee.tender.size)");
    // input PostgreSQL cannot take is the caller's mistake, not a 500: a member id of UUID length that is no UUID, a NUL in a title
    const odd = await api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", body: comprehensive([..."-".repeat(5)].map(() => "-".repeat(36))) });
    expect(odd.status).toBe(400);
    expect(odd.body.error.details.map((d: { path: string }) => d.path)).toEqual(["/members"]);
    expect((await api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", body: { ...comprehensive(committee().map((e) => e.id)), criteria: [{ id: "tech", title: "a\u0000b", max: 70 }] } })).status).toBe(400);
    // services may weigh price at 10 % (eval.priceWeight.services); goods may not
    const services = await api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", body: { ...comprehensive(committee().map((e) => e.id)), category: "services", priceWeight: 5 } });
    expect(services.body.error.details.map((d: { rule: string }) => d.rule)).toEqual(["eval.priceWeight.services"]);
    // not the tender's purchaser, another city's agency, a supplier: no start
    expect((await api("/api/evaluation/evaluations", w.tokens.outsider, { method: "POST", body: comprehensive(committee().map((e) => e.id)) })).status).toBe(403);
    expect([400, 403, 404]).toContain((await api("/api/evaluation/evaluations", w.tokens.otherCityAgency, { method: "POST", body: comprehensive(committee().map((e) => e.id)) })).status);
    expect((await api("/api/evaluation/evaluations", w.suppliers[0], { method: "POST", body: comprehensive(committee().map((e) => e.id)) })).status).toBe(403);
    // a tender whose opening is not recorded yet
    const unrecorded = await openedTender(w, ["300000.00", "310000.00", "320000.00"], { record: false });
    const early = await api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", body: { ...comprehensive(committee().map((e) => e.id)), tenderId: unrecorded } });
    expect(early.status).toBe(409);
    expect(early.body.error.details.rule).toBe("evaluation.afterOpening");
    expect(await w.platform.kernel.db.knex("evaluation_evaluations").count("* as n")).toEqual([{ n: "0" }]);
  });

  test("qualification review first (tender.qualificationReviewAfterOpening), then independent scoring, all members at once, idempotent saves, clear refusals", async () => {
    const started = await api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", body: comprehensive(committee().map((e) => e.id)) });
    expect(started.status).toBe(201);
    evalId = started.body.id;
    const bids: Array<{ bidId: string; supplierCode: string; price: string; order: number }> = started.body.bids;
    expect(bids.map((b) => [b.supplierCode, b.price])).toEqual([[SUPPLIERS[0], "400000.00"], [SUPPLIERS[1], "401000.00"], [SUPPLIERS[2], "402000.00"]]);
    // scoring waits for the qualification review
    const tooEarly = await api(`/api/evaluation/evaluations/${evalId}/scores`, w.experts[0].token, { method: "PUT", body: { scores: [{ bidId: bids[0].bidId, criterion: "tech", score: 1 }] } });
    expect(tooEarly.status).toBe(409);
    const partial = await api(`/api/evaluation/evaluations/${evalId}/qualification`, w.tokens.purchaser, { method: "PUT", body: { results: [{ bidId: bids[0].bidId, passed: true }, { bidId: bids[1].bidId, passed: false }] } });
    expect(partial.status).toBe(400);
    expect(partial.body.error.details.map((d: { rule: string }) => d.rule)).toEqual(["award.informLosers"]);
    const some = await api(`/api/evaluation/evaluations/${evalId}/qualification`, w.tokens.purchaser, { method: "PUT", body: { results: [{ bidId: bids[0].bidId, passed: true }] } });
    expect(some.body.error.details[0].rule).toBe("tender.qualificationReviewAfterOpening");
    // an expert does not review qualifications
    expect((await api(`/api/evaluation/evaluations/${evalId}/qualification`, w.experts[0].token, { method: "PUT", body: { results: [] } })).status).toBe(403);
    // the fourth bidder's (none) and a 4th bid: the three bids, supplier 1 covered by the SME declaration
    const reviewed = await api(`/api/evaluation/evaluations/${evalId}/qualification`, w.tokens.agency, {
      method: "PUT",
      body: { results: [{ bidId: bids[0].bidId, passed: true }, { bidId: bids[1].bidId, passed: true, sme: true }, { bidId: bids[2].bidId, passed: true }] },
    });
    expect(reviewed.status).toBe(200);
    expect(reviewed.body.status).toBe("scoring");

    const url = `/api/evaluation/evaluations/${evalId}/scores`;
    // out of range, an unknown criterion: refused, nothing written
    const bad = await api(url, w.experts[0].token, { method: "PUT", lang: "en", body: { scores: [{ bidId: bids[0].bidId, criterion: "tech", score: 41 }, { bidId: bids[0].bidId, criterion: "price", score: 5 }] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(["/scores/0/score", "/scores/1/criterion"]);
    expect(bad.body.error.details[0].message.en).toContain("0 to 40");
    // a non-member (an expert of no committee here, a supplier) may not score
    expect((await api(url, w.experts[6].token, { method: "PUT", body: { scores: [{ bidId: bids[0].bidId, criterion: "tech", score: 1 }] } })).status).toBe(404);
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
    const mine = await api(`/api/evaluation/evaluations/${evalId}/scores/mine`, w.experts[2].token);
    expect(mine.body.items).toHaveLength(6);
    expect(mine.body.items.filter((s: { criterion: string }) => s.criterion === "tech").map((s: { score: number }) => s.score)).toEqual([32, 32, 32]);
    expect((await api(`/api/evaluation/evaluations/${evalId}`, w.experts[2].token)).body.report).toBeNull();
    expect((await api(`/api/evaluation/evaluations/${evalId}/scores/mine`, w.tokens.purchaser)).status).toBe(403);

    for (const [m, e] of committee().slice(0, 4).entries()) expect([m, (await api(`/api/evaluation/evaluations/${evalId}/submission`, e.token, { method: "POST" })).status]).toEqual([m, 200]);
    // a member who submitted scores no more, and submits once
    const after = await api(url, w.experts[0].token, { method: "PUT", body: { scores: [{ bidId: bids[0].bidId, criterion: "tech", score: 1 }] } });
    expect(after.status).toBe(409);
    expect(after.body.error.details.rule).toBe("evaluation.submitted");
    expect((await api(`/api/evaluation/evaluations/${evalId}/submission`, w.experts[0].token, { method: "POST" })).status).toBe(409);
    expect((await api(`/api/evaluation/evaluations/${evalId}`, w.experts[0].token)).body.report).toBeNull();
  });

  test("the last submission makes the report: average scores, the platform's price score (eval.priceScore.formula) after the SME deduction (sme.priceDeduction.2022), ranked", async () => {
    const last = await api(`/api/evaluation/evaluations/${evalId}/submission`, w.experts[4].token, { method: "POST" });
    expect(last.status).toBe(200);
    expect(last.body.status).toBe("signing");
    const r = last.body.report;
    // the members' tech scores are 30..34: average 32; service as given
    const base = 360900; // 401,000 less 10 %
    const price = (p: number) => Math.round((base / p) * 30 * 100) / 100;
    const expected = [
      { supplierCode: SUPPLIERS[2], evaluatedPrice: "402000.00", technical: 57, priceScore: price(402000), total: Math.round((57 + price(402000)) * 100) / 100 },
      { supplierCode: SUPPLIERS[1], evaluatedPrice: "360900.00", technical: 52, priceScore: 30, total: 82 },
      { supplierCode: SUPPLIERS[0], evaluatedPrice: "400000.00", technical: 52, priceScore: price(400000), total: Math.round((52 + price(400000)) * 100) / 100 },
    ];
    expect(r.ranking.map((x: Record<string, unknown>) => ({ supplierCode: x.supplierCode, evaluatedPrice: x.evaluatedPrice, technical: x.technical, priceScore: x.priceScore, total: x.total }))).toEqual(expected);
    expect(r.ranking.map((x: { rank: number }) => x.rank)).toEqual([1, 2, 3]);
    expect(r.basePrice).toBe("360900.00");
    // the purchaser sees the report now
    expect((await api(`/api/evaluation/evaluations/${evalId}`, w.tokens.purchaser)).body.report.ranking).toHaveLength(3);
  });

  test("every member signs, a dissent kept in the report (eval.report.signatures); then no change (eval.noReEvaluation) but by a regulator's order with a reason", async () => {
    const url = `/api/evaluation/evaluations/${evalId}/signature`;
    expect((await api(url, w.experts[0].token, { method: "POST", body: { dissent: "\u0000" } })).status).toBe(400);
    expect((await api(url, w.experts[0].token, { method: "POST", body: { dissent: "对第 2 名技术分有不同意见：方案缺少冗余设计" } })).status).toBe(200);
    expect((await api(url, w.experts[0].token, { method: "POST", body: {} })).status).toBe(409);
    expect((await api(url, w.experts[6].token, { method: "POST", body: {} })).status).toBe(404);
    // no award before every member signed
    const award0 = await api(`/api/evaluation/evaluations/${evalId}/award`, w.tokens.purchaser, { method: "POST", body: { bidId: "x" } });
    expect(award0.status).toBe(409);
    for (const e of committee().slice(1)) expect((await api(url, e.token, { method: "POST", body: {} })).status).toBe(200);
    const signed = await api(`/api/evaluation/evaluations/${evalId}`, w.experts[1].token);
    expect(signed.body.status).toBe("signed");
    expect(signed.body.report.signatures).toHaveLength(5);
    expect(signed.body.report.signatures.find((s: { memberId: string }) => s.memberId === w.experts[0].id).dissent).toContain("冗余设计");
    // award.purchaserConfirm: 5 working days from the day the report is complete, on the platform's calendar
    expect(signed.body.confirmBy).toBe(periodEnd(w.platform.kernel.clock.now(), 5, "working-days"));

    const late = await api(`/api/evaluation/evaluations/${evalId}/scores`, w.experts[1].token, { method: "PUT", lang: "en", body: { scores: [{ bidId: signed.body.bids[0].bidId, criterion: "tech", score: 1 }] } });
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
    // round 2: the same scores, except bid 2's service now 20: supplier 1 comes first
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
    expect(again.body.report.ranking.map((x: { supplierCode: string }) => x.supplierCode)).toEqual([SUPPLIERS[1], SUPPLIERS[0], SUPPLIERS[2]]);
  });

  test("award: the first-ranked, or another with a reason (award.purchaserConfirm); a warning when it lapses; the result notice; each loser reads its own score and rank only (award.informLosers)", async () => {
    const view = (await api(`/api/evaluation/evaluations/${evalId}`, w.tokens.purchaser)).body;
    const [first, second] = view.report.ranking;
    // the clock passes the 5 working days: the purchaser is warned once
    w.platform.kernel.clock.travelTo(new Date(new Date(`${view.confirmBy}T12:00:00+08:00`).getTime() + 86_400_000));
    let overdue = false;
    for (let i = 0; i < 100 && !overdue; i++) {
      overdue = (await api(`/api/evaluation/evaluations/${evalId}`, w.tokens.purchaser)).body.awardOverdue;
      if (!overdue) await new Promise((r) => setTimeout(r, 100));
    }
    expect(overdue).toBe(true);
    const warned = await w.platform.kernel.db.knex("core_outbox").where({ event: "notifications.requested" }).whereRaw("payload->>'kind' = 'evaluation.award.overdue'");
    expect(warned.map((r) => r.payload.owner.unit)).toEqual(["441300401"]);

    const out = await api(`/api/evaluation/evaluations/${evalId}/award`, w.tokens.purchaser, { method: "POST", lang: "en", body: { bidId: second.bidId } });
    expect(out.status).toBe(400);
    expect(out.body.error.details[0]).toMatchObject({ path: "/reason", rule: "award.purchaserConfirm" });
    expect((await api(`/api/evaluation/evaluations/${evalId}/award`, w.experts[0].token, { method: "POST", body: { bidId: first.bidId } })).status).toBe(403);
    const awarded = await api(`/api/evaluation/evaluations/${evalId}/award`, w.tokens.purchaser, { method: "POST", body: { bidId: first.bidId } });
    expect(awarded.status).toBe(200);
    expect(awarded.body.award).toMatchObject({ supplierCode: SUPPLIERS[1], rank: 1, late: true });
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
  });

  test("object-level access: another tender's committee member, a supplier, another city's agency and an unrelated purchaser are refused; ties go to the lower price, then the opening order", async () => {
    const other = await openedTender(w, ["500000.00", "450000.00", "450000.00"]);
    const members = w.experts.slice(2, 7).map((e) => e.id);
    const started = await api("/api/evaluation/evaluations", w.tokens.agency, { method: "POST", body: { tenderId: other, method: "lowest-price", category: "goods", members } });
    expect(started.status).toBe(201);
    const id = started.body.id;
    // the agency started it; the tender's purchaser runs it too (e-trading says so)
    expect((await api(`/api/evaluation/evaluations/${id}`, w.tokens.purchaser)).status).toBe(200);
    for (const token of [w.experts[0].token, w.suppliers[1], w.tokens.otherCityAgency, w.tokens.outsider]) {
      expect((await api(`/api/evaluation/evaluations/${id}`, token)).status).toBe(404);
    }
    // lists: an expert its committees, the agency what it started, the regulator its region's; a supplier and another city nothing
    const ids = async (token: string) => (await api("/api/evaluation/evaluations", token)).body.items.map((x: { id: string }) => x.id);
    expect(await ids(w.experts[0].token)).toEqual([evalId]);
    expect(await ids(w.experts[3].token)).toEqual([id, evalId]);
    expect(await ids(w.tokens.agency)).toEqual([id]);
    expect(await ids(w.tokens.regulator)).toEqual([id, evalId]);
    expect(await ids(w.suppliers[0])).toEqual([]);
    expect(await ids(w.tokens.otherCityAgency)).toEqual([]);
    // the purchaser and its agency see the committee's size, not its names (experts.namesConfidential); the regulator sees them
    expect((await api(`/api/evaluation/evaluations/${id}`, w.tokens.purchaser)).body.members).toBeNull();
    expect((await api(`/api/evaluation/evaluations/${id}`, w.tokens.regulator)).body.members).toEqual(members);
    const bids = started.body.bids as Array<{ bidId: string }>;
    expect((await api(`/api/evaluation/evaluations/${id}/qualification`, w.tokens.purchaser, { method: "PUT", body: { results: bids.map((b) => ({ bidId: b.bidId, passed: true })) } })).status).toBe(200);
    // eval.lowestPrice.method: no criteria to score; each member confirms by submitting
    for (const m of w.experts.slice(2, 7)) expect((await api(`/api/evaluation/evaluations/${id}/submission`, m.token, { method: "POST" })).status).toBe(200);
    const report = (await api(`/api/evaluation/evaluations/${id}`, w.experts[2].token)).body.report;
    expect(report.rules).toContain("eval.lowestPrice.method");
    expect(report.ranking.map((x: { supplierCode: string; rank: number }) => [x.rank, x.supplierCode])).toEqual([[1, SUPPLIERS[1]], [2, SUPPLIERS[2]], [3, SUPPLIERS[0]]]);
  });
});
