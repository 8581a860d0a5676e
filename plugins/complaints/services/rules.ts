import { daysBetween, type DayUnit, localDate, periodEnd } from "../../../core/sdk";
import STATUTE_FILE from "../statutory-rules.json";

interface Rule {
  value: unknown;
  unit: string;
  rule: string | null;
  ruleEn: string;
  windowMonths?: number;
}
export const STATUTE = STATUTE_FILE.rules as Record<string, Rule>;
const days = (id: string) => STATUTE[id].value as number;

/** challenge.window: 7 working days from the day the supplier knew or should have known. */
export const CHALLENGE_WINDOW = days("challenge.window");
/** challenge.reply: 7 working days from receipt. */
export const CHALLENGE_REPLY = days("challenge.reply");
/** complaint.window: 15 working days after the reply (or the day it was due). */
export const COMPLAINT_WINDOW = days("complaint.window");
/** complaint.intake: [review, rejection notice, service on the respondent], working days. */
export const [INTAKE_REVIEW, INTAKE_REJECT, INTAKE_SERVE] = STATUTE["complaint.intake"].value as [number, number, number];
/** complaint.respondentReply: 5 working days from service. */
export const RESPONDENT_REPLY = days("complaint.respondentReply");
/** complaint.decision: 30 working days from receipt, paused time excluded. */
export const DECISION = days("complaint.decision");
/** complaint.suspendProcurement: at most 30 calendar days. */
export const SUSPEND_MAX = days("complaint.suspendProcurement");
/** complaint.frivolousRecord: 3 unfounded complaints within 12 months. */
export const FRIVOLOUS_COUNT = days("complaint.frivolousRecord");
export const FRIVOLOUS_MONTHS = STATUTE["complaint.frivolousRecord"].windowMonths ?? 12;

export const TARGETS = ["documents", "process", "result"] as const;
export type Target = (typeof TARGETS)[number];

/** The last day a period of `n` working days that starts on `from` runs to (calc.dayCounting: the start day not counted). */
export const dueAfter = (from: string | Date, n: number, unit: DayUnit = "working-days") => periodEnd(from, n, unit);

/** A clock as the UI shows it: the rule, its last day, the working days left (0 on the last day) and whether it has run out. */
export interface Clock {
  rule: string;
  due: string;
  remainingWorkingDays: number;
  overdue: boolean;
  paused?: boolean;
}
export function clock(rule: string, due: string, now: Date, paused = false): Clock {
  const today = localDate(now);
  return { rule, due, remainingWorkingDays: daysBetween(today, due, "working-days"), overdue: today > due, ...(paused ? { paused } : {}) };
}

/** Moves a clock's last day by the working days it was paused for (complaint.decision excludes inspection and expert time). */
export const extendBy = (due: string, workingDays: number) => (workingDays > 0 ? periodEnd(due, workingDays, "working-days") : due);
