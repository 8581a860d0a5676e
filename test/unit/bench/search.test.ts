/**
 * search.ts's deep reads: each list's depth bounded by that list's own size, so a database seeded
 * with fewer suppliers than notices / 2 still yields a supplier cursor (it answered 400 before).
 */
import { deepReads } from "../../bench/search";

describe("deepReads", () => {
  it("the province's scale: page 10,000 of the notices, 199,980 rows into the suppliers", () => {
    expect(deepReads(1_100_000, 1_000_000)).toEqual({ noticeOffset: 199_979, noticePage: 10_000, supplierOffset: 199_980 });
  });

  it("a small seed: half of the suppliers there are, whatever the number of notices", () => {
    const r = deepReads(20_000, 10_000);
    expect(r.supplierOffset).toBe(5_000);
    expect(r.supplierOffset).toBeLessThan(10_000);
    expect(r).toMatchObject({ noticeOffset: 19_978, noticePage: 1_000 });
  });
});
