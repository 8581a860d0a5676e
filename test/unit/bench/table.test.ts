/**
 * lib.ts's table: columns line up in a terminal when cells hold Chinese (two columns each), as the
 * search bench's figures do (「q=殡葬」).
 */
import { table } from "../../bench/lib";

/** Terminal columns: CJK ideographs and fullwidth forms take two. */
const columns = (s: string) => [...s].reduce((n, c) => n + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(c) ? 2 : 1), 0);

describe("table", () => {
  it("pads by terminal columns, so the column after a Chinese cell starts at the same place on every line", () => {
    const out = table(["figure", "p99 ms", "goal"], [
      ["notices: newest page", "132", "p99 < 100 ms"],
      ["notices: rare word (q=殡葬)", "197", "p99 < 100 ms"],
      ["suppliers: 4-character word (q=信息技术)", "1,264", "p99 < 100 ms"],
    ]).split("\n");
    const goalAt = out.filter((l) => l.includes("p99 <")).map((l) => columns(l.slice(0, l.indexOf("p99 <"))));
    expect(new Set(goalAt).size).toBe(1);
    // the figures column stays right-aligned: every figure ends at the same column
    const figureEnd = out.slice(2).map((l) => columns(l.slice(0, l.search(/\d  +p99 </) + 1)));
    expect(new Set(figureEnd).size).toBe(1);
    // the rule under the head is as wide as the widest cell, in columns
    expect(out[1].split("  ")[0].length).toBe(columns("suppliers: 4-character word (q=信息技术)"));
  });
});
