/**
 * Schedule instants. The notice's dates are local dates in China Standard Time (UTC+8, no
 * daylight saving), so "2021-05-01" means 2021-05-01T00:00:00+08:00; a full ISO time must carry
 * its offset (or Z), so that no server's time zone can shift a city's go-live.
 */
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** A calendar date and time of day that exist (Date would roll 02-30 into March, 24:00 into tomorrow). */
const exists = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) =>
  mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(y, mo) && h < 24 && mi < 60 && s < 60;

export function parseScheduleTime(value: string): Date | null {
  const d = DATE.exec(value);
  if (d) return exists(+d[1], +d[2], +d[3]) ? new Date(`${value}T00:00:00+08:00`) : null;
  const t = DATETIME.exec(value);
  if (!t || !exists(+t[1], +t[2], +t[3], +t[4], +t[5], +(t[6] ?? 0))) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export const isScheduleTime = (value: string) => parseScheduleTime(value) !== null;

/** The local (UTC+8) calendar date of an instant, for messages: 2021-05-01. */
export function localDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}
