import { randomUUID } from "node:crypto";
import { drawnCommittee, type EvalWorld, openedTender, startEvalWorld, stopEvalWorld } from "./support";

jest.setTimeout(120_000);

/**
 * The evaluation report's print view (plugins/evaluation/README.md, "Printed report"): GET
 * /api/evaluation/evaluations/:id/report once every member has signed (eval.report.signatures), for
 * those who read the evaluation, sealed under a code /api/verify answers without its content. One
 * platform (the evaluation and what it needs).
 */
describe("the printed evaluation report", () => {
  let w: EvalWorld;
  let evalId: string;
  let members: Array<{ token: string; id: string }>;
  const api = (path: string, token: string | undefined, init: { method?: string; body?: unknown; lang?: string } = {}) =>
    w.platform.api(path, { method: init.method, token, body: init.body, headers: init.lang ? { "accept-language": init.lang } : {} });
  const report = (token?: string, lang?: string) => api(`/api/evaluation/evaluations/${evalId}/report`, token, { lang });

  beforeAll(async () => {
    w = await startEvalWorld(5);
    const tender = await openedTender(w, ["400000.00", "380000.00", "420000.00"]);
    members = await drawnCommittee(w, tender, 5, "am");
    const started = await api("/api/evaluation/evaluations", w.tokens.agency, {
      method: "POST",
      body: { tenderId: tender, method: "comprehensive", category: "goods", priceWeight: 30, criteria: [{ id: "tech", title: "技术方案", titleEn: "Technical", max: 40 }, { id: "service", title: "售后服务", titleEn: "Service", max: 30 }] },
    });
    expect(started.status).toBe(201);
    evalId = started.body.id;
    const bids = started.body.bids as Array<{ bidId: string }>;
    // the third bidder fails the qualification review, with its reason
    const reviewed = await api(`/api/evaluation/evaluations/${evalId}/qualification`, w.tokens.agency, {
      method: "PUT", body: { results: [{ bidId: bids[0].bidId, passed: true }, { bidId: bids[1].bidId, passed: true }, { bidId: bids[2].bidId, passed: false, reason: "未提供有效的营业执照" }] },
    });
    expect(reviewed.status).toBe(200);
    for (const m of members.slice(0, 3)) await api(`/api/evaluation/evaluations/${evalId}/chair`, m.token, { method: "POST", body: { candidate: members[1].id } });
    for (const [i, m] of members.entries()) {
      const scores = [{ bidId: bids[0].bidId, criterion: "tech", score: 36 }, { bidId: bids[0].bidId, criterion: "service", score: 25 }, { bidId: bids[1].bidId, criterion: "tech", score: 30 + i }, { bidId: bids[1].bidId, criterion: "service", score: 20 }];
      expect((await api(`/api/evaluation/evaluations/${evalId}/scores`, m.token, { method: "PUT", body: { scores } })).status).toBe(200);
    }
  });
  afterAll(() => stopEvalWorld(w));

  test("not before every member has signed: 409 naming eval.report.signatures, in both languages", async () => {
    const scoring = await report(w.tokens.purchaser);
    expect(scoring.status).toBe(409);
    expect(scoring.body.error).toMatchObject({ code: "CONFLICT", message: "评审报告须经评标委员会全体成员签署后方可打印", details: { rule: "eval.report.signatures", status: "scoring" } });
    for (const m of members) expect((await api(`/api/evaluation/evaluations/${evalId}/submission`, m.token, { method: "POST" })).status).toBe(200);
    for (const m of members.slice(0, 4)) expect((await api(`/api/evaluation/evaluations/${evalId}/signature`, m.token, { method: "POST", body: {} })).status).toBe(200);
    const signing = await report(w.tokens.agency, "en");
    expect(signing.status).toBe(409);
    expect(signing.body.error).toMatchObject({ message: "The report can be printed once every member of the committee has signed it", details: { rule: "eval.report.signatures", status: "signing" } });
  });

  test("signed: the committee by drawing order with its chair and dissent, scores per bidder, the ranking as candidates (award.purchaserConfirm), the disqualified; one code for every reader, verified without content", async () => {
    expect((await api(`/api/evaluation/evaluations/${evalId}/signature`, members[4].token, { method: "POST", body: { dissent: "对第二名的技术评分有不同意见：方案冗余" } })).status).toBe(200);
    const res = await report(w.tokens.purchaser);
    expect(res.status).toBe(200);
    const d = res.body.document;
    expect(d).toMatchObject({ kind: "evaluation-report", evaluationId: evalId, method: "comprehensive", priceWeight: 30, candidatesRule: "award.purchaserConfirm", signaturesRule: "eval.report.signatures" });
    expect(d.criteria).toEqual([{ id: "tech", title: "技术方案", titleEn: "Technical", max: 40 }, { id: "service", title: "售后服务", titleEn: "Service", max: 30 }]);
    expect(d.committee.map((c: { position: number; chair: boolean; signedAt: string | null }) => [c.position, c.chair, !!c.signedAt])).toEqual([[1, false, true], [2, true, true], [3, false, true], [4, false, true], [5, false, true]]);
    expect(d.dissent).toEqual([{ position: 5, text: "对第二名的技术评分有不同意见：方案冗余" }]);
    // the experts' names stay off the paper the purchaser reads (experts.namesConfidential)
    expect(JSON.stringify(d)).not.toContain("专家");
    expect(d.ranking.map((r: { rank: number; supplierName: string; criteria: Record<string, number>; technical: number }) => [r.rank, r.supplierName, r.criteria, r.technical])).toEqual([
      [1, "惠州市第1照明科技有限公司", { tech: 36, service: 25 }, 61],
      [2, "惠州市第2照明科技有限公司", { tech: 32, service: 20 }, 52],
    ]);
    expect(d.ranking[1].priceScore).toBe(30);
    expect(d.candidates).toEqual(["惠州市第1照明科技有限公司", "惠州市第2照明科技有限公司"]);
    expect(d.disqualified).toEqual([{ supplierName: "惠州市第3照明科技有限公司", reason: "未提供有效的营业执照" }]);
    expect(res.body).toMatchObject({ issuer: "evaluation", kind: "report", reference: evalId, name: { "zh-CN": "评标报告", en: "evaluation report" }, current: true });

    for (const token of [w.tokens.agency, w.tokens.regulator, members[0].token]) {
      const again = await report(token);
      expect(again.status).toBe(200);
      expect(again.body.code).toBe(res.body.code);
    }
    const checked = await w.platform.api(`/api/verify/${res.body.code}`);
    expect(checked.body).toMatchObject({ valid: true, current: true, public: false, kind: "report", issuer: "evaluation" });
    expect(checked.body).not.toHaveProperty("content");
    expect(JSON.stringify(checked.body)).not.toContain("方案冗余");
  });

  test("who may not: a bidder, another unit, another city's agency: 404 as for the evaluation; an unknown evaluation 404", async () => {
    for (const token of [w.suppliers[0], w.tokens.outsider, w.tokens.otherCityAgency]) {
      const r = await report(token);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe("NOT_FOUND");
    }
    expect((await api(`/api/evaluation/evaluations/${randomUUID()}/report`, w.tokens.agency)).status).toBe(404);
  });
});
