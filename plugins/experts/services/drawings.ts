import { randomBytes, randomUUID } from "node:crypto";
import type { Knex } from "knex";
import type { Context } from "moleculer";
import {
  type ErrorDetail, type ExportColumn, exportFormatParam, exportLang, exportList, listPage, listParams, type ListOrder, single,
  actorOf, conflict, enqueue, fieldError, forbidden, implement, isWorkingDay, localDate, type Localized, notFound, onceHandler, type OutboxEvent, type PlatformContext, PlatformError,
  type PlatformServiceSchema, platformNow, type PluginServiceThis, prepared, type SessionUser, type StepContext, tenantTree, validationFailed, type WorkflowHooks, writeAudit, yearsBefore,
} from "../../../core/sdk";
import RULES from "../statutory-rules.json";
import { committeeSource, smsProvider } from "../api";
import type { CreditFactEvent } from "../../credit/api";
import { drawingOrder, listHash, openingRecordHash, sha256 } from "./draw";
import { matchingCodes, notifyExpert, oversees, unknownRegion, unknownSpecialities } from "./registry";

const DRAWING: Localized = { "zh-CN": "专家抽取", en: "drawing" };
const INVITATION: Localized = { "zh-CN": "抽取邀请", en: "invitation" };

/** How long an invited expert has to answer before the sweep (the workflow's timer) replaces them. */
export const REPLY_MINUTES = 30;

type Rule = { value: number; unit: string; budgetThresholdCNY?: number };
const rule = (id: keyof typeof RULES.rules) => RULES.rules[id] as Rule;

// ── What e-trading tells (its own actions, called as the requester) ─────────────────────────

interface TenderView { id: string; tenantCode: string; method: string; maxPrice: string; purchaserName: string; agencyName: string | null; mine: boolean; title: string }
interface OpeningRecord {
  tenderId: string;
  closed: boolean;
  bids: Array<{ bidId: string; supplierCode: string; hash: string; outcome: string; price: string | null }>;
}

// ── The committee's size (eval.committee.*) ──────────────────────────────────────────────────

/** The smallest committee the law allows for the procurement, and the rule that says so. */
export function minimumCommittee(method: string, maxPrice: string): { size: number; rule: string } {
  if (method === "public-tender" || method === "invited-tender") {
    const large = rule("eval.committee.tender.sizeLarge");
    if (Number(maxPrice) >= (large.budgetThresholdCNY ?? Infinity)) return { size: large.value, rule: "eval.committee.tender.sizeLarge" };
    return { size: rule("eval.committee.tender.size").value, rule: "eval.committee.tender.size" };
  }
  if (method === "competitive-consultation") return { size: rule("eval.committee.consultation.size").value, rule: "eval.committee.consultation.size" };
  return { size: rule("eval.committee.nonTender.size").value, rule: "eval.committee.nonTender.size" };
}

/** The committee's size and the experts' number against the rules, as field problems. */
export function committeeProblems(method: string, maxPrice: string, committee: number, experts: number) {
  const min = minimumCommittee(method, maxPrice);
  const out = [];
  if (committee < min.size || committee % 2 === 0) {
    out.push(fieldError("/committeeSize", min.rule, `评审委员会应为 ${min.size} 人以上单数（${min.rule}）`, `the committee is an odd number of at least ${min.size} (${min.rule})`));
  }
  // two thirds, as a fraction: ceil(2n/3) experts at least
  const share = Math.ceil((2 * committee) / 3);
  if (experts < share || experts > committee) {
    out.push(fieldError("/experts", "eval.committee.expertShare", `${committee} 人的委员会中评审专家应为 ${share} 至 ${committee} 人（eval.committee.expertShare）`, `a committee of ${committee} has ${share} to ${committee} experts (eval.committee.expertShare)`));
  }
  return out;
}

// ── Eligibility ──────────────────────────────────────────────────────────────────────────────

export interface EligibilityAsk {
  specialities: string[];
  region: string;
  slotDate: string;
  slot: string;
  /** the bidders' credit codes (experts.conflictOfInterest) */
  bidders: string[];
  /** the purchaser's and the agency's codes and names (experts.ownUnitAndAgencyStaff) */
  ownCodes: string[];
  ownNames: string[];
  /** a drawing whose own invitations do not make its experts busy */
  drawingId?: string | null;
}

export interface Eligibility {
  /** eligible experts' ids, sorted */
  eligible: string[];
  /** admitted experts of the region and specialities, and why those left out were */
  counts: { matching: number; unavailable: number; busy: number; conflictOfInterest: number; ownUnitAndAgencyStaff: number; eligible: number };
}

/**
 * The admitted experts of the region's subtree with one of the specialities (a node matches the
 * nodes below it, and an expert of a branch matches its leaves), less those unavailable that day,
 * invited elsewhere for the slot, tied to a bidder within the lookback (employment, shares,
 * management: experts.conflictOfInterest) or working for the purchaser or the agency
 * (experts.ownUnitAndAgencyStaff). One query: each candidate with its reasons.
 */
export async function eligibility(db: Knex, ask: EligibilityAsk): Promise<Eligibility> {
  const years = rule("experts.conflictOfInterest").value;
  // the lookback's first day: a slot on 29 February looks back to 28 February of a year without one
  const lookback = yearsBefore(ask.slotDate, years);
  const workday = isWorkingDay(ask.slotDate);
  // each reason a set computed once (a hashed subplan), not a lookup per candidate
  const candidates = db
    .select(
      "e.id",
      db.raw("e.id in (select u.expert_id from experts_unavailable u where u.day = ?) as unavailable", [ask.slotDate]),
      db.raw(
        `e.id in (select i.expert_id from experts_invitations i join experts_drawings d on d.id = i.drawing_id
           where i.status in ('invited', 'accepted') and d.slot_date = ? and d.slot = ? and d.id is distinct from ?::uuid) as busy`,
        [ask.slotDate, ask.slot, ask.drawingId ?? null],
      ),
      db.raw(
        `(e.employer_code = any(?) or e.id in (select t.expert_id from experts_ties t where t.company_code = any(?) and t.since <= ? and (t.until is null or t.until >= ?))) as conflicted`,
        [ask.bidders, ask.bidders, ask.slotDate, lookback],
      ),
      db.raw(
        `(e.employer_code = any(?) or e.employer_name = any(?) or e.id in (select t.expert_id from experts_ties t where t.kind = 'employment' and t.company_code = any(?) and t.since <= ? and (t.until is null or t.until >= ?))) as own`,
        [ask.ownCodes, ask.ownNames, ask.ownCodes, ask.slotDate, lookback],
      ),
    )
    .from("experts_experts as e")
    .where("e.status", "admitted")
    .whereIn("e.region", tenantTree().subtree(ask.region))
    .whereIn("e.availability", ["any", workday ? "workdays" : "weekends"])
    .whereRaw("e.specialities && ?::text[]", [matchingCodes(ask.specialities)]);
  // one row back, the eligible ids as one array: each left-out expert counted once, under the first reason
  const [r] = await db
    .from(candidates.as("c"))
    .select(
      db.raw("count(*)::int as matching"),
      db.raw("count(*) filter (where conflicted)::int as conflicted"),
      db.raw("count(*) filter (where own and not conflicted)::int as own"),
      db.raw("count(*) filter (where unavailable and not own and not conflicted)::int as unavailable"),
      db.raw("count(*) filter (where busy and not unavailable and not own and not conflicted)::int as busy"),
      db.raw("coalesce(array_agg(id::text) filter (where not (busy or unavailable or own or conflicted)), '{}') as eligible"),
    );
  const eligible = (r.eligible as string[]).sort();
  const counts = { matching: r.matching, unavailable: r.unavailable, busy: r.busy, conflictOfInterest: r.conflicted, ownUnitAndAgencyStaff: r.own, eligible: eligible.length };
  return { eligible, counts };
}

/** Too few eligible experts: a 409 that says how many are needed, how many there are and where the others went. */
export function shortage(needed: number, counts: Eligibility["counts"]): PlatformError {
  const c = counts;
  return conflict(
    {
      "zh-CN": `符合条件的评审专家不足：需要 ${needed} 名，仅有 ${c.eligible} 名。专业与地区相符且在库的 ${c.matching} 名中，与投标人有利害关系 ${c.conflictOfInterest} 名，属采购人或代理机构人员 ${c.ownUnitAndAgencyStaff} 名，当日不能参加 ${c.unavailable} 名，该时段已受邀 ${c.busy} 名。请扩大专业或地区范围，或另选评审时间`,
      en: `Too few eligible experts: ${needed} needed, ${c.eligible} eligible. Of the ${c.matching} admitted experts of the specialities and region, ${c.conflictOfInterest} have ties with a bidder, ${c.ownUnitAndAgencyStaff} work for the purchaser or the agency, ${c.unavailable} are unavailable that day and ${c.busy} are invited elsewhere for the slot. Widen the specialities or the region, or choose another slot`,
    },
    { rule: "experts.shortage", needed, short: needed - c.eligible, ...c },
  );
}

// ── Invitations and replacements ────────────────────────────────────────────────────────────

interface DrawingRow {
  id: string; instance_id: string; tenant_code: string; tender_id: string; unit_code: string; committee_size: number; experts: number; specialities: string[]; region: string;
  slot_date: string; slot: string; seed: string; seed_hash: string; entropy: string | null; eligible: string[] | null; eligible_hash: string | null; draw_order: string[] | null;
  next_index: number; conflicts: Record<string, number> | null; status: string; committed_at: Date; drawn_at: Date | null;
}

async function lockedDrawing(trx: Knex.Transaction, where: Record<string, string>): Promise<DrawingRow> {
  const d = await trx("experts_drawings").where(where).forUpdate().select("*", trx.raw("to_char(slot_date, 'YYYY-MM-DD') as slot_date")).first();
  if (!d) throw notFound(DRAWING);
  return d;
}

/** Why an expert of the order can no longer be invited for the drawing's slot, or null. */
async function noLongerAvailable(trx: Knex.Transaction, d: DrawingRow, expertId: string, status: string): Promise<string | null> {
  if (status !== "admitted") return `status: ${status}`;
  if (await trx("experts_unavailable").where({ expert_id: expertId, day: d.slot_date }).first()) return "unavailable that day";
  const busy = await trx("experts_invitations as i").join("experts_drawings as x", "x.id", "i.drawing_id")
    .where("i.expert_id", expertId).whereIn("i.status", ["invited", "accepted"]).where("x.slot_date", d.slot_date).where("x.slot", d.slot).whereNot("x.id", d.id).first("i.id");
  return busy ? "invited elsewhere for the slot" : null;
}

/**
 * Invites the next experts of the drawing order until the seats are filled or the order runs out:
 * a replacement is the next one of the same seed chain, so the regulator's recomputation covers it.
 */
async function fillSeats(trx: Knex.Transaction, d: DrawingRow, now: Date): Promise<{ invited: number; exhausted: boolean }> {
  const taken = await trx("experts_invitations").where({ drawing_id: d.id }).whereIn("status", ["invited", "accepted"]).count<{ n: string }[]>("* as n");
  let open = d.experts - Number(taken[0].n);
  let next = d.next_index;
  const order = d.draw_order ?? [];
  let invited = 0;
  while (open > 0 && next < order.length) {
    const expertId = order[next];
    const expert = await trx("experts_experts").where({ id: expertId }).first("account_id", "phone", "tenant_code", "status");
    const id = randomUUID();
    // the order was fixed at the draw; one who since left the registry, marked the day or took another
    // invitation for the slot keeps their place in it, skipped with the reason, so the recomputation still holds
    const gone = await noLongerAvailable(trx, d, expertId, expert.status);
    if (gone) {
      await trx("experts_invitations").insert({ id, drawing_id: d.id, expert_id: expertId, position: next, status: "skipped", invited_at: now, reply_by: now, answered_at: now, reason: gone });
      next++;
      continue;
    }
    await trx("experts_invitations").insert({ id, drawing_id: d.id, expert_id: expertId, position: next, status: "invited", invited_at: now, reply_by: new Date(now.getTime() + REPLY_MINUTES * 60_000) });
    await notifyExpert(trx, expert.tenant_code, expert.account_id, "/experts/me", "experts.invitation", {
      "zh-CN": `评审邀请：${d.slot_date}${d.slot === "am" ? "上午" : "下午"}，请在 ${REPLY_MINUTES} 分钟内答复`,
      en: `Invitation to evaluate on ${d.slot_date} (${d.slot === "am" ? "morning" : "afternoon"}): answer within ${REPLY_MINUTES} minutes`,
    });
    await enqueue(trx, { event: "experts.invitation.sent", key: id, payload: { invitationId: id, tenantCode: d.tenant_code } });
    next++;
    open--;
    invited++;
  }
  await trx("experts_drawings").where({ id: d.id }).update({ next_index: next });
  d.next_index = next;
  return { invited, exhausted: open > 0 };
}

async function countsOf(db: Knex, drawingId: string) {
  const rows = await db("experts_invitations").where({ drawing_id: drawingId }).groupBy("status").select("status", db.raw("count(*)::int as n"));
  const out: Record<string, number> = { invited: 0, accepted: 0, declined: 0, lapsed: 0, withdrawn: 0, skipped: 0, absent: 0 };
  for (const r of rows) out[r.status] = r.n;
  return out;
}

/** Silence past the reply time counts as a refusal: lapsed, and replaced from the same chain. */
async function sweep(trx: Knex.Transaction, d: DrawingRow, now: Date) {
  const lapsed = await trx("experts_invitations").where({ drawing_id: d.id, status: "invited" }).where("reply_by", "<=", now).update({ status: "lapsed", answered_at: now }).returning("id");
  const filled = lapsed.length ? await fillSeats(trx, d, now) : { invited: 0, exhausted: false };
  if (lapsed.length) await writeAudit(trx, { actor: { system: "experts.drawing.sweep" }, tenantCode: d.tenant_code, action: "experts.drawing.lapse", object: d.id, after: { lapsed: lapsed.length, replaced: filled.invited } });
  return filled;
}

// ── The workflow's steps ────────────────────────────────────────────────────────────────────

const tenderFacts = async (step: { call?: <T>(a: string, p?: Record<string, unknown>) => Promise<T> }, tenderId: string): Promise<TenderView> => {
  try {
    return await step.call!<TenderView>("etrading.get", { id: tenderId });
  } catch (err) {
    if ((err as { type?: string }).type === "NOT_FOUND") throw validationFailed([fieldError("/tenderId", "tender", "没有该采购项目，或您无权查看", "no such procurement, or it is not yours to see")]);
    throw err;
  }
};

const stepData = async (db: Knex, d: DrawingRow) => ({ drawingId: d.id, seedHash: d.seed_hash, status: d.status, ...(await countsOf(db, d.id)) });

export const drawingHooks: WorkflowHooks = {
  start: prepared({
    prepare: (step) => tenderFacts(step, String(step.result.tenderId)),
    apply: async (step, tender: TenderView) => {
      const user = step.user!;
      if (!tender.mine || !user.unitCode) throw forbidden();
      const d = step.result as { tenderId: string; committeeSize: number; experts: number; specialities: string[]; region: string; slotDate: string; slot: string };
      const problems = [
        ...committeeProblems(tender.method, tender.maxPrice, d.committeeSize, d.experts),
        ...unknownSpecialities(d.specialities, "/specialities"),
        ...unknownRegion(d.region, "/region"),
        ...(d.slotDate < localDate(step.now) ? [fieldError("/slotDate", "notBefore", "评审日期不能早于今天", "the evaluation day cannot be in the past")] : []),
      ];
      if (problems.length) throw validationFailed(problems);
      await step.trx.raw("select pg_advisory_xact_lock(hashtextextended(?, 0))", [`experts.drawing|${d.tenderId}`]);
      const open = await step.trx("experts_drawings").where({ tender_id: d.tenderId }).whereIn("status", ["committed", "inviting"]).first("id");
      if (open) throw conflict({ "zh-CN": "该项目已有进行中的专家抽取", en: "This procurement has a drawing under way" }, { rule: "one-drawing", drawingId: open.id });
      // the commitment: the seed's hash is public before anything about the draw is known
      const seed = randomBytes(32).toString("hex");
      const row = {
        id: randomUUID(), instance_id: step.instanceId, tenant_code: tender.tenantCode, tender_id: d.tenderId, unit_code: user.unitCode, committee_size: d.committeeSize, experts: d.experts,
        specialities: d.specialities, region: d.region, slot_date: d.slotDate, slot: d.slot, seed, seed_hash: sha256(seed), status: "committed", committed_at: step.now,
      };
      await step.trx("experts_drawings").insert(row);
      await writeAudit(step.trx, { actor: actorOf(user), tenantCode: tender.tenantCode, action: "experts.drawing.commit", object: row.id, after: { tenderId: d.tenderId, seedHash: row.seed_hash, experts: d.experts, committeeSize: d.committeeSize } });
      return { data: { drawingId: row.id, seedHash: row.seed_hash, status: "committed" } };
    },
  }),
  transitions: {
    draw: prepared({
      prepare: async (step) => {
        const tender = await tenderFacts(step, String(step.before.tenderId));
        const record = await step.call!<OpeningRecord>("etrading.bids.list", { id: tender.id });
        if (!record.closed) throw conflict({ "zh-CN": "开标尚未结束：开标记录确定后才能抽取", en: "The opening is not over: the experts are drawn once the opening record is final" }, { rule: "opening-record" });
        return { tender, record };
      },
      apply: async (step, { tender, record }: { tender: TenderView; record: OpeningRecord }) => {
        const d = await lockedDrawing(step.trx, { instance_id: step.instanceId });
        const entropy = openingRecordHash(record);
        const ask: EligibilityAsk = {
          specialities: d.specialities, region: d.region, slotDate: d.slot_date, slot: d.slot, drawingId: d.id,
          bidders: [...new Set(record.bids.map((b) => b.supplierCode.toUpperCase()))],
          ownCodes: [d.unit_code],
          ownNames: [tender.purchaserName, tender.agencyName].filter((n): n is string => !!n),
        };
        const { eligible, counts } = await eligibility(step.trx, ask);
        // nothing is written: the step's transaction is rolled back with the refusal
        if (eligible.length < d.experts) throw shortage(d.experts, counts);
        const order = drawingOrder(d.seed, entropy, eligible);
        Object.assign(d, { entropy, eligible, eligible_hash: listHash(eligible), draw_order: order, status: "inviting", drawn_at: step.now, conflicts: counts });
        await step.trx("experts_drawings").where({ id: d.id }).update({
          entropy, eligible: JSON.stringify(eligible), eligible_hash: d.eligible_hash, draw_order: JSON.stringify(order), status: "inviting", drawn_at: step.now, conflicts: JSON.stringify(counts),
        });
        await fillSeats(step.trx, d, step.now);
        await writeAudit(step.trx, { actor: actorOf(step.user!), tenantCode: d.tenant_code, action: "experts.drawing.draw", object: d.id, after: { seedHash: d.seed_hash, seed: d.seed, entropy, eligibleHash: d.eligible_hash, eligible: eligible.length } });
        return { data: { ...(await stepData(step.trx, d)), seed: d.seed, entropy, eligibleHash: d.eligible_hash, eligibleCount: eligible.length } };
      },
    }),
    sweep: async (step: StepContext) => {
      const d = await lockedDrawing(step.trx, { instance_id: step.instanceId });
      await sweep(step.trx, d, step.now);
      return { data: await stepData(step.trx, d) };
    },
    complete: async (step: StepContext) => {
      const d = await lockedDrawing(step.trx, { instance_id: step.instanceId });
      const counts = await countsOf(step.trx, d.id);
      if (counts.accepted < d.experts) {
        throw conflict({ "zh-CN": `已确认参加的专家 ${counts.accepted} 名，尚缺 ${d.experts - counts.accepted} 名`, en: `${counts.accepted} experts have accepted: ${d.experts - counts.accepted} more needed` }, { rule: "committee-incomplete", accepted: counts.accepted, needed: d.experts });
      }
      await step.trx("experts_drawings").where({ id: d.id }).update({ status: "complete" });
      return { data: { ...counts, status: "complete" } };
    },
    cancel: async (step: StepContext) => {
      const d = await lockedDrawing(step.trx, { instance_id: step.instanceId });
      await step.trx("experts_invitations").where({ drawing_id: d.id, status: "invited" }).update({ status: "withdrawn", answered_at: step.now });
      await step.trx("experts_drawings").where({ id: d.id }).update({ status: "cancelled" });
      await writeAudit(step.trx, { actor: actorOf(step.user!), tenantCode: d.tenant_code, action: "experts.drawing.cancel", object: d.id, after: { reason: step.submitted.reason } });
      return { data: { status: "cancelled" } };
    },
  },
};

// ── Who sees what (experts.namesConfidential) ───────────────────────────────────────────────

type Reader = "runner" | "regulator";

/** The requesting unit sees counts and statuses, the regulator of the region names too; anyone else is told there is no such drawing. */
function readerOf(user: SessionUser, d: DrawingRow): Reader {
  if (oversees(user, d.tenant_code)) return "regulator";
  if (user.unitCode && user.unitCode === d.unit_code && (user.roles.includes("agency") || user.roles.includes("purchaser"))) return "runner";
  throw notFound(DRAWING);
}

async function drawingView(db: Knex, d: DrawingRow, reader: Reader) {
  const invitations = await db("experts_invitations as i").join("experts_experts as e", "e.id", "i.expert_id").where("i.drawing_id", d.id).orderBy("i.position")
    .select("i.id", "i.position", "i.status", "i.invited_at", "i.reply_by", "i.answered_at", "i.reason", "e.name", "e.employer_name", "e.phone", "e.id as expert_id");
  const base = {
    id: d.id, instanceId: d.instance_id, tenderId: d.tender_id, committeeSize: d.committee_size, experts: d.experts, specialities: d.specialities, region: d.region,
    slotDate: d.slot_date, slot: d.slot, status: d.status, committedAt: new Date(d.committed_at).toISOString(), drawnAt: d.drawn_at ? new Date(d.drawn_at).toISOString() : null,
    seedHash: d.seed_hash,
    // revealed once drawn: with the entropy and the eligible list, enough to redo the draw
    seed: d.drawn_at ? d.seed : null,
    entropy: d.entropy, eligibleHash: d.eligible_hash, eligibleCount: d.eligible?.length ?? null, excluded: d.conflicts,
    counts: await countsOf(db, d.id),
    replyMinutes: REPLY_MINUTES,
  };
  if (reader === "runner") {
    return { ...base, seats: invitations.map((i) => ({ status: i.status, invitedAt: new Date(i.invited_at).toISOString(), replyBy: new Date(i.reply_by).toISOString() })) };
  }
  return {
    ...base,
    eligible: d.eligible,
    drawOrder: d.draw_order,
    invitations: invitations.map((i) => ({
      id: i.id, position: i.position, status: i.status, expertId: i.expert_id, name: i.name, employerName: i.employer_name, phone: i.phone,
      invitedAt: new Date(i.invited_at).toISOString(), replyBy: new Date(i.reply_by).toISOString(), answeredAt: i.answered_at ? new Date(i.answered_at).toISOString() : null, reason: i.reason,
    })),
  };
}

const drawingRow = async (db: Knex, id: unknown): Promise<DrawingRow> => {
  if (typeof id !== "string" || !/^[0-9a-f-]{36}$/.test(id)) throw notFound(DRAWING);
  const d = await db("experts_drawings").where({ id }).select("*", db.raw("to_char(slot_date, 'YYYY-MM-DD') as slot_date")).first();
  if (!d) throw notFound(DRAWING);
  return d;
};

/** An expert's answer: accepted, or declined with a reason (which draws the replacement at once, in the same transaction). */
async function answer(svc: PluginServiceThis, ctx: PlatformContext<{ id: string; reason?: unknown }>, accept: boolean) {
  const user = ctx.meta.user!;
  const reason = typeof ctx.params.reason === "string" ? ctx.params.reason.trim() : "";
  if (!accept && (reason.length < 2 || reason.length > 500)) throw validationFailed([fieldError("/reason", "minLength", "请说明不能参加的理由（2 至 500 字）", "say why you cannot attend (2 to 500 characters)")]);
  const now = platformNow();
  const probe = await svc.db("experts_invitations as i").join("experts_experts as e", "e.id", "i.expert_id").where("i.id", ctx.params.id).where("e.account_id", user.id).first("i.drawing_id");
  if (!probe) throw notFound(INVITATION);
  return svc.db.transaction(async (trx) => {
    const d = await lockedDrawing(trx, { id: probe.drawing_id });
    const inv = await trx("experts_invitations").where({ id: ctx.params.id }).forUpdate().first();
    if (inv.status !== "invited") throw conflict({ "zh-CN": "该邀请已答复或已失效", en: "This invitation is answered or no longer open" }, { rule: "invitation-closed", status: inv.status });
    if (new Date(inv.reply_by) <= now) throw conflict({ "zh-CN": "已超过答复时限，视为拒绝", en: "The time to answer is over: it counts as a refusal" }, { rule: "invitation-lapsed", replyBy: new Date(inv.reply_by).toISOString() });
    await trx("experts_invitations").where({ id: inv.id }).update({ status: accept ? "accepted" : "declined", answered_at: now, reason: accept ? null : reason });
    const filled = accept ? null : await fillSeats(trx, d, now);
    await writeAudit(trx, { actor: actorOf(user), tenantCode: d.tenant_code, action: accept ? "experts.invitation.accept" : "experts.invitation.decline", object: inv.id, after: { drawingId: d.id, reason: accept ? undefined : reason, replaced: filled?.invited } });
    return { id: inv.id, status: accept ? "accepted" : "declined" };
  });
}

type This = PluginServiceThis & { logger: { info(...a: unknown[]): void } };

interface DrawingListParams {
  status?: unknown;
  page?: unknown;
  pageSize?: unknown;
  cursor?: unknown;
}

const DRAWING_STATUSES = ["committed", "inviting", "complete", "cancelled"] as const;
const DRAWING_STATUS_TEXT: Record<string, Localized> = {
  committed: { "zh-CN": "已公布种子摘要", en: "committed" },
  inviting: { "zh-CN": "邀请中", en: "inviting" },
  complete: { "zh-CN": "已组建", en: "complete" },
  cancelled: { "zh-CN": "已取消", en: "cancelled" },
};

/** Newest first (the index experts_drawings_recent). */
const DRAWING_ORDER: ListOrder = {
  name: "experts.drawings",
  keys: [
    { column: "committed_at", kind: "timestamp" },
    { column: "id", kind: "uuid" },
  ],
  direction: "desc",
};

type ListedDrawing = DrawingRow & { counts: Record<string, number> | null };

/**
 * The drawings the caller may list, filtered as the query string says (400 naming every bad
 * parameter), each with its invitations counted by status in the same query (so the export's
 * batches carry them): a regulator's region, an agency's or a purchaser's unit, nobody else's.
 */
function filteredDrawings(db: Knex, ctx: PlatformContext<DrawingListParams>, problems: ErrorDetail[] = []) {
  const user = ctx.meta.user!;
  const status = single(ctx.params.status);
  if (status === null || (status && !(DRAWING_STATUSES as readonly string[]).includes(status))) {
    problems.push(fieldError("/status", "enum", `应为 ${DRAWING_STATUSES.join("、")} 之一`, `must be one of ${DRAWING_STATUSES.join(", ")}`));
  }
  const req = listParams(ctx.params, DRAWING_ORDER, { pageSize: 50, maxPageSize: 200 }, problems);
  const query = db("experts_drawings").select(
    "*",
    db.raw("to_char(slot_date, 'YYYY-MM-DD') as slot_date"),
    db.raw("(select jsonb_object_agg(c.status, c.n) from (select status, count(*)::int as n from experts_invitations i where i.drawing_id = experts_drawings.id group by status) c) as counts"),
  );
  if (user.oversees === true) query.whereIn("tenant_code", tenantTree().subtree(user.tenantCode));
  else if (user.unitCode && (user.roles.includes("agency") || user.roles.includes("purchaser"))) query.where({ unit_code: user.unitCode });
  else query.whereRaw("false");
  if (status) query.where({ status });
  return { query, req };
}

const listedDrawing = (d: ListedDrawing) => ({
  id: d.id, instanceId: d.instance_id, tenderId: d.tender_id, experts: d.experts, slotDate: d.slot_date, slot: d.slot, status: d.status, seedHash: d.seed_hash,
  counts: { invited: 0, accepted: 0, declined: 0, lapsed: 0, withdrawn: 0, skipped: 0, absent: 0, ...(d.counts ?? {}) },
  committedAt: new Date(d.committed_at).toISOString(),
});

/** The export's columns: what the drawings page shows (the slot, the seats, the status, the counts, the commitment); no expert's name. */
function drawingColumns(lang: "zh-CN" | "en"): ExportColumn<ReturnType<typeof listedDrawing>>[] {
  return [
    { title: { "zh-CN": "评审日期", en: "Review date" }, value: (d) => d.slotDate, width: 12 },
    { title: { "zh-CN": "时段", en: "Slot" }, value: (d) => (d.slot === "am" ? (lang === "en" ? "morning" : "上午") : lang === "en" ? "afternoon" : "下午"), width: 8 },
    { title: { "zh-CN": "抽取人数", en: "Experts" }, value: (d) => d.experts, width: 8 },
    { title: { "zh-CN": "状态", en: "Status" }, value: (d) => DRAWING_STATUS_TEXT[d.status]?.[lang] ?? d.status, width: 14 },
    { title: { "zh-CN": "已确认参加", en: "Accepted" }, value: (d) => d.counts.accepted, width: 10 },
    { title: { "zh-CN": "待答复", en: "Invited" }, value: (d) => d.counts.invited, width: 10 },
    { title: { "zh-CN": "拒绝或逾期", en: "Declined or lapsed" }, value: (d) => d.counts.declined + d.counts.lapsed, width: 12 },
    { title: { "zh-CN": "种子摘要", en: "Seed hash" }, value: (d) => d.seedHash, width: 66 },
    { title: { "zh-CN": "项目编号", en: "Tender id" }, value: (d) => d.tenderId, width: 38 },
    { title: { "zh-CN": "公布时间", en: "Committed" }, value: (d) => d.committedAt, width: 26 },
  ];
}

export const drawingsService: PlatformServiceSchema = {
  name: "experts.drawings",
  actions: {
    /** GET /api/experts/drawings?status=: the caller's unit's drawings (agency, purchaser) or its region's (regulator), newest first, by page or cursor. */
    list: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /drawings",
      async handler(this: PluginServiceThis, ctx: PlatformContext<DrawingListParams>) {
        const { query, req } = filteredDrawings(this.db, ctx);
        const { rows, nextCursor, total, totalIsEstimate } = await listPage<ListedDrawing>(this.db, query, DRAWING_ORDER, req);
        return { items: rows.map(listedDrawing), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
      },
    },

    // before `get`, whose /drawings/:id would take "export" for an id
    /** GET /api/experts/drawings/export?status=&format=csv|xlsx&lang=: the same list as a file (counts, never names). */
    export: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /drawings/export",
      async handler(this: PluginServiceThis, ctx: PlatformContext<DrawingListParams & { format?: unknown; lang?: unknown }>) {
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const { query } = filteredDrawings(this.db, ctx, problems);
        const lang = exportLang(ctx.params.lang);
        return exportList<ListedDrawing>(ctx, {
          db: this.db,
          query,
          order: DRAWING_ORDER,
          columns: drawingColumns(lang).map((c) => ({ ...c, value: (row: ListedDrawing) => c.value(listedDrawing(row)) })),
          format,
          lang,
          filename: lang === "en" ? "expert-drawings" : "专家抽取",
          sheet: { "zh-CN": "专家抽取", en: "Expert drawings" },
        });
      },
    },

    /** GET /api/experts/drawings/:id: counts and statuses for the requesting unit, names for the regulator (experts.namesConfidential). */
    get: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /drawings/:id",
      params: { id: "string" },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string }>) {
        const d = await drawingRow(this.db, ctx.params.id);
        return drawingView(this.db, d, readerOf(ctx.meta.user!, d));
      },
    },

    /**
     * POST /api/experts/drawings/:id/verify: the regulator redoes the draw: the seed against its
     * committed hash, the entropy against the opening record as e-trading shows it now, the
     * eligible list against its hash, and the drawing order and every invitation's place in it.
     */
    verify: {
      kind: "read",
      permission: "authenticated",
      rest: "POST /drawings/:id/verify",
      params: { id: "string" },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string }>) {
        const d = await drawingRow(this.db, ctx.params.id);
        if (readerOf(ctx.meta.user!, d) !== "regulator") throw forbidden();
        if (!d.drawn_at || !d.eligible || !d.draw_order || !d.entropy) throw conflict({ "zh-CN": "尚未抽取，无可核验", en: "Nothing drawn yet to verify" }, { rule: "not-drawn" });
        const record = await ctx.call<OpeningRecord, { id: string }>("etrading.bids.list", { id: d.tender_id });
        const order = drawingOrder(d.seed, d.entropy, d.eligible);
        const invitations = await this.db("experts_invitations").where({ drawing_id: d.id }).orderBy("position").select("position", "expert_id");
        const checks = {
          seedMatchesCommitment: sha256(d.seed) === d.seed_hash,
          entropyMatchesOpeningRecord: openingRecordHash(record) === d.entropy,
          eligibleMatchesHash: listHash([...d.eligible].sort()) === d.eligible_hash,
          orderRecomputed: JSON.stringify(order) === JSON.stringify(d.draw_order),
          invitationsFollowOrder: invitations.every((i) => order[i.position] === i.expert_id) && invitations.every((i, k) => i.position === k),
        };
        return { verified: Object.values(checks).every(Boolean), checks, seed: d.seed, seedHash: d.seed_hash, entropy: d.entropy, eligibleHash: d.eligible_hash, eligibleCount: d.eligible.length, invited: invitations.map((i) => i.expert_id) };
      },
    },

    /** POST /api/experts/invitations/:id/accept */
    accept: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /invitations/:id/accept",
      params: { id: "string" },
      handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string }>) {
        return answer(this, ctx, true);
      },
    },

    /** POST /api/experts/invitations/:id/decline { reason } */
    decline: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /invitations/:id/decline",
      params: { id: "string", reason: { type: "any", optional: true } },
      handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string; reason?: unknown }>) {
        return answer(this, ctx, false);
      },
    },

    /**
     * POST /api/experts/invitations/:id/no-show { reason }: the drawing's runner records that an expert who accepted
     * did not come on the day: the seat is no longer the committee's (a new drawing fills the committee), and the
     * no-show is a fact in the expert's credit file (plugins/credit/api.ts; the expert by account, as ratings are).
     */
    noShow: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /invitations/:id/no-show",
      params: { id: "string", reason: { type: "any", optional: true } },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string; reason?: unknown }>) {
        const user = ctx.meta.user!;
        const reason = typeof ctx.params.reason === "string" ? ctx.params.reason.trim() : "";
        if (reason.length < 2 || reason.length > 500) throw validationFailed([fieldError("/reason", "minLength", "请说明缺席情况（2 至 500 字）", "say how the expert did not attend (2 to 500 characters)")]);
        const probe = /^[0-9a-f-]{36}$/.test(ctx.params.id) ? await this.db("experts_invitations").where({ id: ctx.params.id }).first("drawing_id") : undefined;
        if (!probe) throw notFound(INVITATION);
        const now = platformNow();
        return this.db.transaction(async (trx) => {
          const d = await lockedDrawing(trx, { id: probe.drawing_id });
          if (readerOf(user, d) !== "runner") throw notFound(INVITATION);
          const inv = await trx("experts_invitations as i").join("experts_experts as e", "e.id", "i.expert_id").where("i.id", ctx.params.id).forUpdate("i").first("i.id", "i.status", "e.account_id", "e.name");
          if (inv.status !== "accepted") throw conflict({ "zh-CN": "只有已确认参加的专家才可能缺席", en: "Only an expert who accepted can be absent" }, { rule: "not-accepted", status: inv.status });
          if (d.slot_date > localDate(now)) throw conflict({ "zh-CN": `评审时段（${d.slot_date}）尚未到来`, en: `The evaluation's day (${d.slot_date}) has not come` }, { rule: "slot-not-come" });
          await trx("experts_invitations").where({ id: inv.id }).update({ status: "absent", reason });
          const fact: CreditFactEvent = {
            subjectCode: inv.account_id, subjectKind: "expert", subjectName: inv.name, kind: "expert-no-show",
            title: { "zh-CN": `${d.slot_date} 评审：确认参加后未到场（${reason}）`, en: `Evaluation of ${d.slot_date}: accepted, then did not attend (${reason})` },
            reference: inv.id, occurredOn: d.slot_date, appealState: "none", tenantCode: d.tenant_code,
          };
          await enqueue(trx, { event: "credit.fact", key: `experts:${inv.id}:no-show`, payload: fact });
          await writeAudit(trx, { actor: actorOf(user), tenantCode: d.tenant_code, action: "experts.invitation.noShow", object: inv.id, after: { drawingId: d.id, reason } });
          return { id: inv.id, status: "absent" };
        });
      },
    },

    /** The development text-message gateway: writes the message to the log, sends nothing. */
    /**
     * The `experts.committee` point: the accepted experts of the tender's completed drawing, in drawing order,
     * for those who run the tender (e-trading's `mine`, asked as the caller); ids only, never names
     * (experts.namesConfidential).
     */
    committee: implement(committeeSource, "committee", {
      kind: "read",
      permission: "authenticated",
      async handler(this: This, ctx) {
        const tender = await ctx.call<TenderView, { id: string }>("etrading.get", { id: ctx.params.tenderId });
        if (!tender.mine) throw forbidden();
        const d = await this.db("experts_drawings").where({ tender_id: ctx.params.tenderId, status: "complete" }).orderBy("committed_at", "desc").first("id", "committee_size");
        if (!d) return { drawingId: null, committeeSize: 0, members: [] };
        const rows = await this.db("experts_invitations as i").join("experts_experts as e", "e.id", "i.expert_id")
          .where({ "i.drawing_id": d.id, "i.status": "accepted" }).orderBy("i.position").select("e.account_id", "i.position");
        return { drawingId: d.id as string, committeeSize: d.committee_size as number, members: rows.map((r) => ({ accountId: r.account_id as string, position: r.position as number })) };
      },
    }),
    smsLog: implement(smsProvider, "send", {
      kind: "read",
      permission: "public",
      handler(this: This, ctx) {
        this.logger.info(`[sms:dev] to ${ctx.params.phone.slice(0, 3)}****${ctx.params.phone.slice(-4)} (${ctx.params.reference}): ${ctx.params.text}`);
        return { accepted: true, provider: "log" };
      },
    }),
  },
  events: {
    // a text message for each invitation, through every installed gateway; once per invitation
    "experts.invitation.sent": onceHandler("experts.sms", (svc) => (svc as unknown as PluginServiceThis).db, async function (ctx: Context<OutboxEvent<{ invitationId: string }>>) {
      const svc = this as unknown as This;
      const id = ctx.params.data?.invitationId;
      if (!id) return;
      const inv = await svc.db("experts_invitations as i").join("experts_experts as e", "e.id", "i.expert_id").join("experts_drawings as d", "d.id", "i.drawing_id").where("i.id", id)
        .first("e.phone", "i.reply_by", "d.tenant_code", svc.db.raw("to_char(d.slot_date, 'YYYY-MM-DD') as slot_date"), "d.slot");
      if (!inv) return;
      const text = `【政府采购】您被抽取为 ${inv.slot_date}${inv.slot === "am" ? "上午" : "下午"} 的评审专家，请于 ${localDate(new Date(inv.reply_by))} ${new Date(new Date(inv.reply_by).getTime() + 8 * 3600_000).toISOString().slice(11, 16)} 前登录平台答复。`;
      for (const p of svc.extensions.providers(ctx as never, smsProvider)) await p.call.send({ phone: inv.phone, text, tenantCode: inv.tenant_code, reference: id });
    }),
  },
};
