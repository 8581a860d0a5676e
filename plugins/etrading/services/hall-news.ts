import type { Knex } from "knex";
import type { ServiceBroker } from "moleculer";
import { type Localized, platformNow, type SessionUser, toRoom } from "../../../core/sdk";
import rules from "./hall-rules.json";

/** The law's facts the hall applies, by rule id (./hall-rules.json). */
export const HALL_RULES = rules.rules;

/** An announcement of the opening hall, as kept and as pushed (services/hall.ts). */
export interface HallEvent {
  id: number;
  kind: string;
  data: Record<string, unknown>;
  at: string;
}

/** The hall's socket room: owned by the `etrading.hall` service, whose `join` action admits to it. */
export const hallRoom = (tenderId: string) => `etrading.hall:${tenderId}`;

/**
 * Keeps one announcement of a tender's hall, then pushes it to the room. Kept first, so that what
 * anyone saw live is also what `GET .../hall` answers a late joiner or a reload.
 */
export async function hallNews(broker: ServiceBroker, db: Knex | Knex.Transaction, tenderId: string, kind: string, data: Record<string, unknown>): Promise<HallEvent> {
  const at = platformNow();
  const [row] = await db("etrading_hall_events").insert({ tender_id: tenderId, kind, data: JSON.stringify(data), at }).returning("id");
  const ev: HallEvent = { id: Number(row.id ?? row), kind, data, at: at.toISOString() };
  await toRoom(broker, hallRoom(tenderId), "hall", ev);
  return ev;
}

/** The outcome rows' states and what each says. */
const OUTCOME_TEXT: Record<string, Localized> = {
  proceeds: { "zh-CN": "有效投标人达到法定数量，进入评审", en: "Enough valid bids: evaluation follows" },
  failed: { "zh-CN": "有效投标人不足 3 家，本次采购失败（废标）", en: "Fewer than 3 valid bids: the tender has failed" },
  "awaiting-approval": { "zh-CN": "仅有两家有效投标，待财政部门批准是否转为竞争性谈判", en: "Two valid bids: awaiting the regulator's approval to move to competitive negotiation" },
  "method-changed": { "zh-CN": "财政部门已批准与两家投标人进行竞争性谈判", en: "The regulator approved competitive negotiation with the two bidders" },
};

export function outcomeView(o: Record<string, unknown> | undefined) {
  if (!o) return null;
  return { state: o.state as string, rule: o.rule as string, validBids: o.valid_bids as number, method: (o.method as string) ?? null, reason: (o.reason as string) ?? null, decidedAt: o.decided_at ? new Date(o.decided_at as Date).toISOString() : null, text: OUTCOME_TEXT[o.state as string] };
}

/**
 * The record is complete (every bid decided, or the window closed): announced once, with what too
 * few valid bids leave the tender with (tender.minBidders): failed (废标), or, in a public tender
 * with exactly two (tender.twoBidders.negotiation), awaiting the regulator's approval of
 * competitive negotiation with them (services/hall.ts `methodChange`).
 */
export async function hallRecord(broker: ServiceBroker, db: Knex, t: { id: string }, record: { validBids: number; minBidders: number; minBiddersRule: string }): Promise<void> {
  const valid = record.validBids;
  const method = (t as { method?: string }).method;
  // the procedure's own minimum: tender.minBidders, or a non-tender's nonTender.invitation, consultation.invitation, …
  const minimum = record.minBiddersRule;
  const [state, rule] =
    valid >= record.minBidders ? ["proceeds", minimum]
    : method === "public-tender" && valid === HALL_RULES["tender.twoBidders.negotiation"].value ? ["awaiting-approval", "tender.twoBidders.negotiation"]
    : ["failed", minimum];
  const inserted = await db("etrading_hall_outcomes").insert({ tender_id: t.id, state, rule, valid_bids: valid, created_at: platformNow() }).onConflict("tender_id").ignore().returning("*");
  if (!inserted.length) return;
  await hallNews(broker, db, t.id, "record", { record });
  await hallNews(broker, db, t.id, "outcome", { outcome: outcomeView(inserted[0]) });
  if (state === "failed") await moveTender(broker, t, "fail-at-opening");
  if (state === "awaiting-approval") await moveTender(broker, t, "await-approval");
}

/**
 * Takes the tender's workflow step that the hall's outcome calls for, through the engine (history,
 * audit), as `user` (the regulator who decided) or else as the platform, which acts there as the
 * tender's region's regulator (the transitions' role; their hooks check the outcome). A step the
 * instance is past already, or an instance the tender lacks, is logged and left.
 */
export async function moveTender(broker: ServiceBroker, t: { id: string }, name: string, user?: SessionUser): Promise<void> {
  const tender = t as { id: string; instance_id?: string; tenant_code?: string };
  if (!tender.instance_id || !tender.tenant_code) return;
  const platform: SessionUser = { id: "etrading.hall", username: "etrading.hall", tenantCode: tender.tenant_code, roles: ["regulator"], oversees: true };
  try {
    await broker.call("workflows.transition", { id: tender.instance_id, name }, { meta: { user: user ?? platform } });
  } catch (err) {
    broker.logger.warn(`etrading: tender ${tender.id} did not take "${name}": ${(err as Error).message}`);
  }
}
