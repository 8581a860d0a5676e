import { isWorkingDay, localDate, startOfDay } from "../../core/sdk";
import levels from "./service-levels.json";

export const CATEGORIES = Object.keys(levels.resolutionHours) as (keyof typeof levels.resolutionHours)[];
export const FIRST_RESPONSE_HOURS = levels.firstResponseHours;

const MIN = 60_000;
const DAY = 86_400_000;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
const SPANS = levels.officeHours.map(([a, b]) => [minutesOf(a), minutesOf(b)] as const);

/**
 * The instant `hours` of working time after `from`: only office hours of China's working days count
 * (a ticket raised on Friday evening is due on Monday, one before a holiday after it). Working days
 * come from core/calendar, which knows the State Council's moved days (调休).
 */
export function addWorkingHours(from: Date, hours: number): Date {
  let left = Math.round(hours * 60);
  let day = localDate(from);
  for (let guard = 0; guard < 400; guard++) {
    if (isWorkingDay(day)) {
      const base = startOfDay(day).getTime();
      for (const [a, b] of SPANS) {
        const start = Math.max(base + a * MIN, from.getTime());
        const end = base + b * MIN;
        if (start >= end) continue;
        const span = (end - start) / MIN;
        if (left <= span) return new Date(start + left * MIN);
        left -= span;
      }
    }
    day = localDate(new Date(startOfDay(day).getTime() + DAY + 12 * 3_600_000));
  }
  throw new Error("no working time within 400 days");
}

/** A ticket's service levels from when it was raised: first response and resolution targets. */
export function serviceLevels(raisedAt: Date, category: string): { firstResponseDue: string; resolutionDue: string } {
  const hours = (levels.resolutionHours as Record<string, number>)[category] ?? levels.resolutionHours["其他"];
  return { firstResponseDue: addWorkingHours(raisedAt, FIRST_RESPONSE_HOURS).toISOString(), resolutionDue: addWorkingHours(raisedAt, hours).toISOString() };
}
