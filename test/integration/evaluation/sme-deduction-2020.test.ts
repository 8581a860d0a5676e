import RULES from "../../../plugins/evaluation/statutory-rules.json";
import { drawnCommittee, type EvalWorld, openedTender, startEvalWorld, stopEvalWorld, SUPPLIERS } from "./support";

jest.setTimeout(120_000);

/**
 * The SME price deduction as the documents' publication day decides it: sme.priceDeduction.2020 (6–10 %) for
 * documents published before sme.priceDeduction.2022 applied, 10–20 % from that day on. E-trading publishes at the
 * platform's now, so the publication day is set on the tender's row, as the publish step would have left it then.
 */
describe("the SME price deduction of documents published before the 2022 notice", () => {
  let w: EvalWorld;
  let tender: string;
  /** the drawing's committee, first drawn first */
  let committee: Array<{ token: string; id: string }>;
  const knex = () => w.platform.kernel.db.knex;
  const api = (path: string, token: string, init: { method?: string; body?: unknown; lang?: string } = {}) =>
    w.platform.api(path, { method: init.method, token, body: init.body, headers: init.lang ? { "accept-language": init.lang } : {} });
  const documents = (smePriceDeduction: number, consortiumDeduction: number, publishedAt: string) =>
    knex()("etrading_tenders").where({ id: tender }).update({ documents: JSON.stringify({ smePriceDeduction, consortiumDeduction }), published_at: new Date(publishedAt) });
  const start = () => api("/api/evaluation/evaluations", w.tokens.purchaser, { method: "POST", lang: "en", body: { tenderId: tender, method: "lowest-price", category: "goods" } });

  beforeAll(async () => {
    w = await startEvalWorld(5);
    tender = await openedTender(w, ["400000.00", "401000.00", "402000.00"]);
    committee = await drawnCommittee(w, tender, 5, "am");
  });
  afterAll(() => stopEvalWorld(w));

  test("sme.priceDeduction.2020: documents published on 2022-06-30 declaring 12 % (and a 5 % consortium deduction, above 2020's 2–3 %) are refused; on 2022-07-01 the 2022 range applies, and 6 % is refused", async () => {
    expect(RULES.rules["sme.priceDeduction.2020"].value).toEqual([6, 10]);
    expect(RULES.rules["sme.priceDeduction.2022"].effectiveFrom).toBe("2022-07-01");
    await documents(12, 5, "2022-06-30T23:30:00+08:00");
    const old = await start();
    expect(old.status).toBe(400);
    expect(old.body.error.code).toBe("VALIDATION_FAILED");
    expect(old.body.error.details.map((d: { path: string; rule: string }) => `${d.path} ${d.rule}`)).toEqual(["/tenderId sme.priceDeduction.2020", "/tenderId sme.consortiumDeduction"]);
    expect(old.body.error.details[0].message.en).toContain("SME price deduction (12 %) is outside 6–10 %");
    expect(old.body.error.details[1].message.en).toContain("consortium price deduction (5 %) is outside 2–3 %");
    // the notice's first day (China time): the 2022 range, where 6 % is too little
    await documents(6, 0, "2022-07-01T00:00:00+08:00");
    const newer = await start();
    expect(newer.status).toBe(400);
    expect(newer.body.error.details).toEqual([expect.objectContaining({ path: "/tenderId", rule: "sme.priceDeduction.2022" })]);
    expect(await knex()("evaluation_evaluations").where({ tender_id: tender }).count("* as n")).toEqual([{ n: "0" }]);
  });

  test("sme.priceDeduction.2020, calc.inclusiveTerms: 6 %, the range's own end, is taken; the small firm's evaluated price is its price less 6 %, and it ranks first", async () => {
    await documents(6, 0, "2022-06-30T23:30:00+08:00");
    const started = await start();
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ smeDeduction: 6, smeDeductionRule: "sme.priceDeduction.2020" });
    const id = started.body.id;
    const bids: Array<{ bidId: string; supplierCode: string }> = started.body.bids;
    // supplier 2 (402,000) is a small firm: 402,000 less 6 % is 377,880, below supplier 0's 400,000
    const reviewed = await api(`/api/evaluation/evaluations/${id}/qualification`, w.tokens.purchaser, {
      method: "PUT", body: { results: bids.map((b) => ({ bidId: b.bidId, passed: true, ...(b.supplierCode === SUPPLIERS[2] ? { sme: true } : {}) })) },
    });
    expect(reviewed.status).toBe(200);
    for (const voter of committee.slice(0, 3)) expect((await api(`/api/evaluation/evaluations/${id}/chair`, voter.token, { method: "POST", body: { candidate: committee[0].id } })).status).toBe(200);
    let last: { status: number; body: { report: { ranking: Array<{ supplierCode: string; evaluatedPrice: string; sme: boolean }>; rules: string[] } | null } } | undefined;
    for (const m of committee) {
      last = await api(`/api/evaluation/evaluations/${id}/submission`, m.token, { method: "POST" });
      expect(last.status).toBe(200);
    }
    const report = last!.body.report!;
    expect(report.ranking.map((r) => [r.supplierCode, r.evaluatedPrice, r.sme])).toEqual([
      [SUPPLIERS[2], "377880.00", true],
      [SUPPLIERS[0], "400000.00", false],
      [SUPPLIERS[1], "401000.00", false],
    ]);
    expect(report.rules).toContain("sme.priceDeduction.2020");
  });
});
