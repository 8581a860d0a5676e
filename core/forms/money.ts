/**
 * Money in forms: yuan as a JSON string with at most two decimals ("1234.5", "-0.01"), never a
 * binary floating-point number, so that 0.1 + 0.2 is 0.3 and a budget adds up to the fen.
 * Sums and comparisons go through decimal.js. No Node APIs: the browser uses this module too.
 */
import Decimal from "decimal.js";

/** yuan: up to 13 integer digits (under ten trillion) and up to two decimals */
export const MONEY_PATTERN = /^-?\d{1,13}(\.\d{1,2})?$/;

export function isMoney(value: string): boolean {
  return MONEY_PATTERN.test(value);
}

/**
 * An amount that is not below zero, "-0" included: what a form's `money` field holds (a payment,
 * a budget). Arithmetic in code may still go negative (what is left to pay), so `isMoney` does not
 * refuse a sign.
 */
export function isUnsignedMoney(value: string): boolean {
  return MONEY_PATTERN.test(value) && value.charCodeAt(0) !== 45; // "-"
}

/** A money string as a Decimal; throws on anything that is not one (a number included). */
export function money(value: string): Decimal {
  if (typeof value !== "string" || !isMoney(value)) throw new TypeError(`not an amount of money (yuan, at most 2 decimals, as a string): ${JSON.stringify(value)}`);
  return new Decimal(value);
}

/** The exact sum of money strings. */
export function sumMoney(values: Iterable<string>): Decimal {
  let total = new Decimal(0);
  for (const v of values) total = total.plus(money(v));
  return total;
}

interface Digits {
  /** -1, 0 or 1 */
  sign: number;
  /** the integer digits, leading zeros skipped: value.slice(from, dot) */
  from: number;
  dot: number;
}

function digitsOf(value: string): Digits {
  if (typeof value !== "string" || !MONEY_PATTERN.test(value)) throw new TypeError(`not an amount of money (yuan, at most 2 decimals, as a string): ${JSON.stringify(value)}`);
  const negative = value.charCodeAt(0) === 45; // "-"
  let dot = value.indexOf(".");
  if (dot < 0) dot = value.length;
  let from = negative ? 1 : 0;
  while (from < dot - 1 && value.charCodeAt(from) === 48) from++; // leading "0"s
  let zero = dot - from === 1 && value.charCodeAt(from) === 48;
  for (let i = dot + 1; zero && i < value.length; i++) zero = value.charCodeAt(i) === 48;
  return { sign: zero ? 0 : negative ? -1 : 1, from, dot };
}

/** The n-th decimal (0 or 1) as a char code, "0" when the value has fewer. */
const decimal = (value: string, dot: number, n: number) => (dot + 1 + n < value.length ? value.charCodeAt(dot + 1 + n) : 48);

/**
 * -1, 0 or 1, like a sort comparator, exactly. By the digits, building nothing: forms compare
 * every money field with its bounds, hundreds of times a submission.
 */
export function compareMoney(a: string, b: string): number {
  const x = digitsOf(a);
  const y = digitsOf(b);
  if (x.sign !== y.sign) return x.sign < y.sign ? -1 : 1;
  if (x.sign === 0) return 0;
  let magnitude = 0;
  const lx = x.dot - x.from;
  const ly = y.dot - y.from;
  if (lx !== ly) magnitude = lx < ly ? -1 : 1;
  for (let i = 0; magnitude === 0 && i < lx; i++) {
    const d = a.charCodeAt(x.from + i) - b.charCodeAt(y.from + i);
    if (d) magnitude = d < 0 ? -1 : 1;
  }
  for (let n = 0; magnitude === 0 && n < 2; n++) {
    const d = decimal(a, x.dot, n) - decimal(b, y.dot, n);
    if (d) magnitude = d < 0 ? -1 : 1;
  }
  return x.sign < 0 ? 0 - magnitude : magnitude;
}

/** A Decimal as the money string a form stores: two decimals, "-" for negatives, no exponent. */
export function toMoney(value: Decimal.Value): string {
  const d = new Decimal(value);
  if (!d.isFinite()) throw new RangeError(`not a finite amount: ${String(value)}`);
  const s = d.toFixed(2, Decimal.ROUND_HALF_UP);
  if (!isMoney(s)) throw new RangeError(`amount out of range for a form (13 integer digits at most): ${s}`);
  return s === "-0.00" ? "0.00" : s;
}
