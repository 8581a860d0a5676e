import RULES from "../statutory-rules.json";

/** A valid bid of the opening record as the evaluation took it; `order` is its place in the record. */
export interface EvalBid { bidId: string; supplierCode: string; supplierName: string; price: string; order: number }
export interface Criterion { id: string; title: string; titleEn?: string; max: number }
export interface Qualification { bidId: string; passed: boolean; sme: boolean; consortium?: boolean; reason: string | null }
export interface ScoreRow { memberId: string; bidId: string; criterion: string; score: number }

export interface Ranked {
  rank: number;
  bidId: string;
  supplierCode: string;
  supplierName: string;
  price: string;
  sme: boolean;
  consortium: boolean;
  /** the price after the SME or consortium deduction (sme.priceDeduction.2022, sme.consortiumDeduction), the one the method compares */
  evaluatedPrice: string;
  /** per criterion, the members' average */
  criteria: Record<string, number> | null;
  technical: number | null;
  priceScore: number | null;
  total: number | null;
}

export interface Report {
  method: string;
  priceWeight: number | null;
  smeDeduction: number;
  consortiumDeduction: number;
  basePrice: string;
  ranking: Ranked[];
  disqualified: Array<{ bidId: string; supplierCode: string; supplierName: string; reason: string | null }>;
  rules: string[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const cents = (s: string) => Math.round(Number(s) * 100);
const money = (c: number) => (c / 100).toFixed(2);

/**
 * The report's ranking from the members' scores. The price score is the platform's, never a member's:
 * lowest evaluated price / evaluated price × price weight (eval.priceScore.formula, the weight in points
 * of 100), the SME deduction taken off first. Ties go to the lower evaluated price, then to the earlier
 * bid of the opening record; the lowest-price method ranks by evaluated price alone (eval.lowestPrice.method).
 */
export function rank(input: {
  method: "lowest-price" | "comprehensive";
  priceWeight: number | null;
  smeDeduction: number;
  /** the rule the documents' SME deduction was held to (sme.priceDeduction.2020 or .2022) */
  smeRule?: string;
  consortiumDeduction?: number;
  criteria: Criterion[];
  members: string[];
  bids: EvalBid[];
  qualifications: Qualification[];
  scores: ScoreRow[];
}): Report {
  const q = new Map(input.qualifications.map((x) => [x.bidId, x]));
  const passed = input.bids.filter((b) => q.get(b.bidId)?.passed);
  // in cents, so that the deduction and the comparison are exact
  const deduction = (x: Qualification) => (x.sme ? input.smeDeduction : x.consortium ? input.consortiumDeduction ?? 0 : 0);
  const evaluated = new Map(passed.map((b) => [b.bidId, Math.round((cents(b.price) * (100 - deduction(q.get(b.bidId)!))) / 100)]));
  const base = Math.min(...evaluated.values());
  const sums = new Map<string, number>();
  for (const s of input.scores) sums.set(`${s.bidId}|${s.criterion}`, (sums.get(`${s.bidId}|${s.criterion}`) ?? 0) + s.score);
  const rows = passed.map((b) => {
    const ev = evaluated.get(b.bidId)!;
    const row: Ranked = {
      rank: 0, bidId: b.bidId, supplierCode: b.supplierCode, supplierName: b.supplierName, price: b.price, sme: q.get(b.bidId)!.sme, consortium: !!q.get(b.bidId)!.consortium, evaluatedPrice: money(ev),
      criteria: null, technical: null, priceScore: null, total: null,
    };
    if (input.method === "comprehensive") {
      row.criteria = Object.fromEntries(input.criteria.map((c) => [c.id, round2((sums.get(`${b.bidId}|${c.id}`) ?? 0) / input.members.length)]));
      row.technical = round2(Object.values(row.criteria).reduce((a, v) => a + v, 0));
      row.priceScore = round2((base / ev) * (input.priceWeight ?? 0));
      row.total = round2(row.technical + row.priceScore);
    }
    return { row, ev, order: b.order };
  });
  rows.sort((a, b) => (b.row.total ?? 0) - (a.row.total ?? 0) || a.ev - b.ev || a.order - b.order);
  rows.forEach((r, i) => (r.row.rank = i + 1));
  const rules = [input.method === "comprehensive" ? "eval.priceScore.formula" : "eval.lowestPrice.method", input.smeRule ?? "sme.priceDeduction.2022", "sme.consortiumDeduction"];
  return {
    method: input.method,
    priceWeight: input.priceWeight,
    smeDeduction: input.smeDeduction,
    consortiumDeduction: input.consortiumDeduction ?? 0,
    basePrice: Number.isFinite(base) ? money(base) : "0.00",
    ranking: rows.map((r) => r.row),
    disqualified: input.bids.filter((b) => !q.get(b.bidId)?.passed).map((b) => ({ bidId: b.bidId, supplierCode: b.supplierCode, supplierName: b.supplierName, reason: q.get(b.bidId)?.reason ?? null })),
    rules,
  };
}

type Rule = { value: unknown; budgetThresholdCNY?: number; /** sme.priceDeduction.2022: the first day it applies */ effectiveFrom?: string; /** sme.consortiumDeduction: the range before 2022 */ range2020?: number[]; /** consultation.priceWeight: the services' range, which the rule's text gives */ services?: number[] };
export const rule = (id: keyof typeof RULES.rules) => RULES.rules[id] as Rule;
