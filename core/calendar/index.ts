import { findWorkday, isWorkday } from "chinese-days";
import { platformNowMs } from "../forms/formats";
import { localDate } from "../tenancy/time";

/**
 * The platform's day counting for statutory periods (calc.dayCounting, 87号令 §85): a period of n days
 * starts counting the day after the event; a period in calendar days whose last day falls on a day
 * off ends on the next working day. Working days are China's (weekends, public holidays and the
 * make-up working days the State Council moves, 调休), from chinese-days: data its maintainers keep
 * current, the calendar the workflow engine's `workingDays` deadlines and the `working-day` form
 * format use too.
 */
export type DayUnit = "calendar-days" | "working-days";

const DAY = 86_400_000;
const plusDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

/** Whether a date (yyyy-mm-dd, China) is a working day. */
export const isWorkingDay = (date: string): boolean => isWorkday(date);

/** The first working day on or after a date. */
export function workingDayOnOrAfter(date: string): string {
  return isWorkday(date) ? date : findWorkday(1, date);
}

/**
 * The last day of a period of `n` days (of `unit`) that begins with an event on `from` (yyyy-mm-dd, or an
 * instant, taken as its China date): the day the period is complete at its end.
 */
export function periodEnd(from: string | Date, n: number, unit: DayUnit): string {
  const day = typeof from === "string" ? from : localDate(from);
  if (n <= 0) return day;
  if (unit === "working-days") return findWorkday(n, day);
  return workingDayOnOrAfter(plusDays(day, n));
}

/** The whole days of `unit` from the day of one event to the day of a later one, the first day not counted. */
export function daysBetween(from: string | Date, to: string | Date, unit: DayUnit): number {
  const a = typeof from === "string" ? from : localDate(from);
  const b = typeof to === "string" ? to : localDate(to);
  if (b <= a) return 0;
  if (unit === "calendar-days") return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY);
  let n = 0;
  for (let d = plusDays(a, 1); d <= b; d = plusDays(d, 1)) if (isWorkday(d)) n++;
  return n;
}

/**
 * The same day `years` calendar years before a date (yyyy-mm-dd): the start of a lookback such as
 * "前3年内". A 29 February whose year has none falls on the 28th, the last day of that month, as the
 * Civil Code counts a period in years that ends in a month without the corresponding day (民法典
 * 第二百零三条); the span is then never shorter than the years, and the day itself is within it
 * (calc.inclusiveTerms). Built from numbers: "2025-02-29" is no date, and PostgreSQL refuses it.
 */
export function yearsBefore(date: string, years: number): string {
  const [y, m, d] = date.split("-").map(Number);
  const year = y - years;
  // day 0 of the next month: the last day of month m in that year
  const last = new Date(Date.UTC(year, m, 0)).getUTCDate();
  return `${String(year).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(Math.min(d, last)).padStart(2, "0")}`;
}

/** The instant a China date begins (00:00, UTC+8). */
export const startOfDay = (date: string): Date => new Date(`${date}T00:00:00+08:00`);
/** The instant a China date ends: the start of the next day. */
export const endOfDay = (date: string): Date => new Date(startOfDay(date).getTime() + DAY);

/**
 * Now, by the platform's clock (the kernel's, which tests and the demo move), for actions that have no
 * step to give them `now`: a deadline must be judged by the same clock the workflow engine fires it by.
 */
export const platformNow = (): Date => new Date(platformNowMs());
