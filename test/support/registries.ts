import { usccCheckChar } from "../../core/forms/formats";

/**
 * A valid 统一社会信用代码 (GB 32100) numbered `n` in a division, for an entity of the given
 * category: 11 a government agency (机关), 12 a public institution (事业单位), 91 an enterprise
 * (企业, as suppliers and agencies mostly are), 92 an individual business (个体工商户).
 */
export function creditCode(division: string, n: number, category: "11" | "12" | "91" | "92" = "11"): string {
  const first17 = `${category}${division}${String(n).padStart(8, "0")}A`;
  return first17 + usccCheckChar(first17);
}

/** The same code with a wrong check character: what a typo in the last place looks like. */
export function withWrongCheck(code: string): string {
  return code.slice(0, 17) + (code.endsWith("0") ? "1" : "0");
}
