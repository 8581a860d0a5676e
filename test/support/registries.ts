import { usccCheckChar } from "../../core/forms/formats";

/**
 * A valid 统一社会信用代码 (GB 32100) numbered `n` in a division, for a unit of the given category:
 * 11 a government agency (机关), 12 a public institution (事业单位).
 */
export function creditCode(division: string, n: number, category: "11" | "12" = "11"): string {
  const first17 = `${category}${division}${String(n).padStart(8, "0")}A`;
  return first17 + usccCheckChar(first17);
}
