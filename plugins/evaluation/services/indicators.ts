/**
 * What the opening record lets the platform point out to the committee (eval.collusionIndicators): the committee
 * decides, the platform only flags. E-trading records per bid the opened files' digests and the price; it keeps no
 * author metadata, device or address of the submitting browser, so those indicators are not computed here, and the
 * deposits' accounts are the deposit plugin's.
 */
export interface Indicator {
  kind: "identical-files" | "identical-prices" | "regular-prices" | "abnormally-low";
  rule: "eval.collusionIndicators" | "evaluation.abnormallyLowPrice";
  bidIds: string[];
  evidence: Record<string, unknown>;
}

/**
 * A price this far below the average of the other valid bids is "明显低于其他投标人报价" (87号令 第六十条): the law gives no
 * figure, so the platform's is 80 %; the committee records the bidder's written explanation before it scores.
 */
export const ABNORMALLY_LOW = 0.8;

const cents = (s: string) => Math.round(Number(s) * 100);

export function indicatorsOf(bids: Array<{ bidId: string; supplierCode: string; price: string; fileHashes?: string[] }>): Indicator[] {
  const out: Indicator[] = [];
  // the same file in the bids of different suppliers: documents prepared by one hand
  const byHash = new Map<string, Set<string>>();
  for (const b of bids) for (const h of new Set(b.fileHashes ?? [])) byHash.set(h, (byHash.get(h) ?? new Set()).add(b.bidId));
  const seen = new Set<string>();
  for (const [hash, ids] of byHash) {
    const key = [...ids].sort().join(",");
    if (ids.size < 2 || seen.has(key)) continue;
    seen.add(key);
    out.push({ kind: "identical-files", rule: "eval.collusionIndicators", bidIds: [...ids], evidence: { sha256: hash } });
  }
  const byPrice = new Map<number, string[]>();
  for (const b of bids) byPrice.set(cents(b.price), [...(byPrice.get(cents(b.price)) ?? []), b.bidId]);
  for (const [price, ids] of byPrice) if (ids.length > 1) out.push({ kind: "identical-prices", rule: "eval.collusionIndicators", bidIds: ids, evidence: { price: (price / 100).toFixed(2) } });
  // three or more distinct prices a constant step apart: "报价呈规律性差异"
  const prices = [...byPrice.keys()].sort((a, b) => a - b);
  if (prices.length >= 3) {
    const step = prices[1] - prices[0];
    if (prices.every((p, i) => i === 0 || p - prices[i - 1] === step)) {
      out.push({ kind: "regular-prices", rule: "eval.collusionIndicators", bidIds: prices.flatMap((p) => byPrice.get(p)!), evidence: { step: (step / 100).toFixed(2) } });
    }
  }
  if (bids.length >= 2) {
    for (const b of bids) {
      const others = bids.filter((x) => x.bidId !== b.bidId);
      const mean = others.reduce((a, x) => a + cents(x.price), 0) / others.length;
      if (cents(b.price) < mean * ABNORMALLY_LOW) {
        out.push({ kind: "abnormally-low", rule: "evaluation.abnormallyLowPrice", bidIds: [b.bidId], evidence: { price: b.price, othersAverage: (Math.round(mean) / 100).toFixed(2), threshold: ABNORMALLY_LOW } });
      }
    }
  }
  return out;
}
