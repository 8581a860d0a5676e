/**
 * Schedule instants. The notice's dates are local dates in China Standard Time (UTC+8, no
 * daylight saving), so "2021-05-01" means 2021-05-01T00:00:00+08:00; a full ISO time must carry
 * its offset (or Z), so that no server's time zone can shift a city's go-live.
 */
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

export function parseScheduleTime(value: string): Date | null {
  const d = DATE.exec(value);
  if (d) {
    const date = new Date(`${value}T00:00:00+08:00`);
    // Reject 2021-02-30 and friends, which Date would roll over.
    const local = new Date(date.getTime() + 8 * 3600_000);
    if (local.getUTCFullYear() !== +d[1] || local.getUTCMonth() + 1 !== +d[2] || local.getUTCDate() !== +d[3]) return null;
    return date;
  }
  if (!DATETIME.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export const isScheduleTime = (value: string) => parseScheduleTime(value) !== null;

/** The local (UTC+8) calendar date of an instant, for messages: 2021-05-01. */
export function localDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}
