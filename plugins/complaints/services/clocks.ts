import { localDate, type Localized, type StepContext, type WorkflowHooks } from "../../../core/sdk";
import { CHALLENGES, challengeClocks, COMPLAINTS, complaintBase, complaintClocks } from "./cases";
import { COMPLAINT_WINDOW, dueAfter, type Clock } from "./rules";

/**
 * The case's clocks as a workflow (forms/complaints/complaints.clock.workflow.json): its `tick` is a
 * persisted engine timer at 00:00 China time each day the case is open, so a restart, a dead node or
 * a day with no one signed in loses nothing (what came due meanwhile fires at the next start), and
 * exactly one node fires it. Each tick warns whoever must act once a clock is down to its last
 * working day and tells the regulator once it has run out; each of those once per clock and last day
 * (`complaints_alerts`), so a tick fired twice, or a pause that moves the last day, sends the right ones.
 */

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What each clock is, and who must act on it: the units that run the tender, or the regulator. */
const CLOCKS: Record<string, { title: Localized; actor: "runner" | "regulator" }> = {
  "challenge.reply": { title: { "zh-CN": "质疑答复期限", en: "The challenge's reply" }, actor: "runner" },
  "complaint.intake": { title: { "zh-CN": "投诉受理审查期限", en: "The complaint's intake review" }, actor: "regulator" },
  "complaint.respondentReply": { title: { "zh-CN": "被投诉人答复期限", en: "The respondent's answer" }, actor: "runner" },
  "complaint.suspendProcurement": { title: { "zh-CN": "暂停采购活动期限", en: "The procurement's suspension" }, actor: "regulator" },
  "complaint.decision": { title: { "zh-CN": "投诉处理决定期限", en: "The complaint's decision" }, actor: "regulator" },
};

/** 00:00 (China) of the day after `now`: the next check, as a date the engine's `at` reads so. */
const tomorrow = (now: Date) => localDate(new Date(now.getTime() + 86_400_000));

async function once(step: StepContext, challengeId: string, clock: Clock, kind: "due" | "missed"): Promise<boolean> {
  const made = await step.trx("complaints_alerts").insert({ challenge_id: challengeId, rule: clock.rule, due: clock.due, kind, sent_at: step.now }).onConflict(["challenge_id", "rule", "due", "kind"]).ignore().returning("rule");
  return made.length > 0;
}

async function alert(step: StepContext, c: Row, clock: Clock, kind: "due" | "missed"): Promise<void> {
  const what = CLOCKS[clock.rule];
  if (!what || !(await once(step, c.id, clock, kind))) return;
  const title: Localized = kind === "due"
    ? { "zh-CN": `${what.title["zh-CN"]}将于 ${clock.due} 届满（剩余 ${clock.remainingWorkingDays} 个工作日）：${c.tender_title}`, en: `${what.title.en} is due by ${clock.due} (${clock.remainingWorkingDays} working days left): ${c.tender_title}` }
    : { "zh-CN": `${what.title["zh-CN"]}已于 ${clock.due} 届满，未办理：${c.tender_title}`, en: `${what.title.en} was due by ${clock.due} and is missed: ${c.tender_title}` };
  const base = { tenantCode: c.tenant_code, title, link: `/complaints/challenges/${c.id}`, kind: `complaints.clock-${kind}`, instanceId: step.instanceId, followers: false, rule: clock.rule, due: clock.due };
  // a missed clock and every clock of the regulator's own go to the regulators (of the tender's region and above)
  if (kind === "missed" || what.actor === "regulator") await step.publish("notifications.requested", { ...base, roles: ["regulator"] });
  if (what.actor === "runner" || clock.rule === "complaint.suspendProcurement") {
    for (const unit of [c.purchaser_unit, c.agency_code].filter((u): u is string => !!u)) await step.publish("notifications.requested", { ...base, roles: [], owner: { unit } });
  }
}

export const clockHooks: WorkflowHooks = {
  start: async (step) => ({ data: { nextAt: tomorrow(step.now), closedAt: null } }),
  transitions: {
    tick: async (step) => {
      const c = await step.trx(CHALLENGES).where({ clock_instance_id: step.instanceId }).forUpdate().first();
      // the challenge whose filing started this clock was refused after it: nothing to watch
      if (!c) return { data: { nextAt: null, closedAt: step.now.toISOString() } };
      const p = await step.trx(COMPLAINTS).where({ challenge_id: c.id }).first();
      const clocks = [...challengeClocks(c, step.now), ...(p ? complaintClocks(p, step.now) : [])].filter((k) => CLOCKS[k.rule] && !k.paused);
      for (const k of clocks) {
        if (k.overdue) await alert(step, c, k, "missed");
        else if (k.remainingWorkingDays <= 1) await alert(step, c, k, "due");
      }
      const today = localDate(step.now);
      const over = c.status !== "awaiting-reply" && (p ? p.status === "decided" || p.status === "rejected" : today > dueAfter(complaintBase(c), COMPLAINT_WINDOW));
      return { data: over ? { nextAt: null, closedAt: step.now.toISOString(), checkedOn: today } : { nextAt: tomorrow(step.now), checkedOn: today } };
    },
  },
};
