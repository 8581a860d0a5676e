/**
 * Money as people type and read it. The value stays the exact string the form stores
 * ("1234.56", core/forms/money.ts); these only clean up typing and say the amount in words. Pure.
 */
import { isMoney } from "../../../core/forms/money";

/**
 * What was typed, as the form's money string: full-width digits (a Chinese input method's) made
 * ASCII, thousands separators, spaces, "¥" and "元" dropped, "。" or "．" as the decimal point.
 * Anything else is left for the format check to refuse.
 */
export function normalizeMoneyInput(typed: string): string {
  return typed
    .replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[．。]/g, ".")
    .replace(/[－]/g, "-")
    .replace(/[,，\s¥￥元]/g, "");
}

const DIGITS = "零壹贰叁肆伍陆柒捌玖";
const IN_GROUP = ["", "拾", "佰", "仟"];
const GROUPS = ["", "万", "亿", "万亿"];

function integerWords(digits: string): string {
  const s = digits.replace(/^0+/, "");
  if (!s) return "";
  const groups: string[] = [];
  for (let end = s.length; end > 0; end -= 4) groups.unshift(s.slice(Math.max(0, end - 4), end).padStart(4, "0"));
  let out = "";
  let pendingZero = false;
  groups.forEach((g, gi) => {
    let part = "";
    for (let i = 0; i < 4; i++) {
      const d = g.charCodeAt(i) - 48;
      if (d === 0) {
        if (part || out) pendingZero = true;
        continue;
      }
      if (pendingZero) part += "零";
      pendingZero = false;
      part += DIGITS[d] + IN_GROUP[3 - i];
    }
    if (part) out += part + GROUPS[groups.length - 1 - gi];
  });
  return out;
}

/**
 * 人民币大写 (the amount in words cheques and contracts carry): "1234.56" → 壹仟贰佰叁拾肆元伍角陆分,
 * "100" → 壹佰元整. Null for what is not a money string.
 */
export function chineseAmount(value: string): string | null {
  if (!isMoney(value)) return null;
  const negative = value.startsWith("-");
  const [int, frac = ""] = value.replace(/^-/, "").split(".");
  const jiao = frac.charCodeAt(0) - 48 || 0;
  const fen = frac.length > 1 ? frac.charCodeAt(1) - 48 : 0;
  let words = integerWords(int);
  if (words) words += "元";
  if (!jiao && !fen) return words ? (negative ? "负" : "") + words + "整" : "零元整";
  if (jiao) words += DIGITS[jiao] + "角";
  else if (words) words += "零";
  if (fen) words += DIGITS[fen] + "分";
  return (negative ? "负" : "") + words;
}

/**
 * An amount as every page shows it: "¥1,234,567.00" (grouped, two decimals, by the digits and never
 * through a float). What is not a money string is returned as it is.
 */
export function formatMoney(value: string): string {
  if (!isMoney(value)) return value;
  const negative = value.startsWith("-");
  const [int, frac = ""] = value.replace(/^-/, "").split(".");
  const grouped = (int.replace(/^0+(?=\d)/, "") || "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "-" : ""}¥${grouped}.${frac.padEnd(2, "0")}`;
}
