import statutoryRules from "../statutory-rules.json";
import type { DayUnit } from "../../../core/sdk";

/** The law's numbers, by rule id, with their sources: ../statutory-rules.json. */
export const STATUTE = statutoryRules.rules;
export type RuleId = keyof typeof STATUTE;

/** A period of the law: its rule id, length and unit, read from the rules file. */
export interface Period {
  rule: RuleId;
  days: number;
  unit: DayUnit;
}

const period = (rule: RuleId): Period => {
  const r = STATUTE[rule] as { value: number; unit: string };
  if (r.unit !== "calendar-days" && r.unit !== "working-days") throw new Error(`${rule} is not a period`);
  return { rule, days: r.value, unit: r.unit };
};
const count = (rule: RuleId): { rule: RuleId; value: number } => ({ rule, value: (STATUTE[rule] as { value: number }).value });

export const METHODS = ["public-tender", "invited-tender", "competitive-negotiation", "competitive-consultation", "inquiry", "single-source"] as const;
export type Method = (typeof METHODS)[number];

/**
 * What sets one procedure apart from another, as data (ProZorro's per-procedure `config`): every
 * procedure is the same workflow shape over the same forms, and its hooks read this.
 */
export interface ProcedureConfig {
  method: Method;
  workflow: string;
  title: { "zh-CN": string; en: string };
  /** how suppliers come: a public notice anyone registers for, a random draw among a pool, or named invitees */
  invitation: "notice" | "draw" | "named";
  /** fewest suppliers the draw or the invitation must reach (tender.invited.minInvitees, nonTender.invitation) */
  minInvitees: { rule: RuleId; value: number } | null;
  /** fewest valid bids or final offers for the procedure to go on (tender.minBidders, negotiation.finalOffers.min) */
  minBidders: { rule: RuleId | null; value: number };
  /** rounds of final offers after the first responses (negotiation, consultation) */
  finalOfferRounds: boolean;
  /** whether a supplier may change its price after the first response (inquiry.singleFirmPrice: no) */
  priceMayChange: boolean;
  /** documents available for at least this long from publication, and extended while fewer than `docExtendBelow` took them */
  docAvailability: Period | null;
  docExtendBelow: { rule: RuleId; value: number } | null;
  /** from the documents' first issue to the deadline for bids or first responses */
  biddingPeriod: Period | null;
  /** a clarification or corrigendum later than this before the deadline moves the deadline */
  clarificationLead: Period | null;
  /** single source: the project and its one supplier are public this long before the negotiation */
  publicity: Period | null;
  /** who obtained the documents is secret until the deadline (tender.bidderListConfidential) */
  bidderListConfidential: boolean;
}

const common = {
  docExtendBelow: null,
  publicity: null,
  bidderListConfidential: STATUTE["tender.bidderListConfidential"].value === true,
} as const;

export const PROCEDURES: Record<Method, ProcedureConfig> = {
  "public-tender": {
    ...common,
    method: "public-tender",
    workflow: "etrading.public-tender",
    title: { "zh-CN": "公开招标", en: "Open tender" },
    invitation: "notice",
    minInvitees: null,
    minBidders: count("tender.minBidders"),
    finalOfferRounds: false,
    priceMayChange: false,
    docAvailability: period("tender.docAvailability"),
    docExtendBelow: count("tender.docAvailability.extendIfFewerThan3"),
    biddingPeriod: period("tender.biddingPeriod"),
    clarificationLead: period("tender.clarification.leadTime"),
  },
  "invited-tender": {
    ...common,
    method: "invited-tender",
    workflow: "etrading.invited-tender",
    title: { "zh-CN": "邀请招标", en: "Invited tender" },
    invitation: "draw",
    minInvitees: count("tender.invited.minInvitees"),
    minBidders: count("tender.minBidders"),
    finalOfferRounds: false,
    priceMayChange: false,
    docAvailability: period("tender.docAvailability"),
    biddingPeriod: period("tender.biddingPeriod"),
    clarificationLead: period("tender.clarification.leadTime"),
  },
  "competitive-negotiation": {
    ...common,
    method: "competitive-negotiation",
    workflow: "etrading.competitive-negotiation",
    title: { "zh-CN": "竞争性谈判", en: "Competitive negotiation" },
    invitation: "notice",
    minInvitees: count("nonTender.invitation"),
    minBidders: count("negotiation.finalOffers.min"),
    finalOfferRounds: true,
    priceMayChange: true,
    docAvailability: null,
    biddingPeriod: period("negotiation.docPeriod"),
    clarificationLead: period("negotiation.clarification.leadTime"),
  },
  "competitive-consultation": {
    ...common,
    method: "competitive-consultation",
    workflow: "etrading.competitive-consultation",
    title: { "zh-CN": "竞争性磋商", en: "Competitive consultation" },
    invitation: "notice",
    minInvitees: count("consultation.invitation"),
    minBidders: count("consultation.invitation"),
    finalOfferRounds: true,
    priceMayChange: true,
    docAvailability: period("consultation.docSalePeriod"),
    biddingPeriod: period("consultation.docPeriod"),
    clarificationLead: period("consultation.clarification.leadTime"),
  },
  inquiry: {
    ...common,
    method: "inquiry",
    workflow: "etrading.inquiry",
    title: { "zh-CN": "询价", en: "Request for quotations" },
    invitation: "notice",
    minInvitees: count("nonTender.invitation"),
    minBidders: count("nonTender.invitation"),
    finalOfferRounds: false,
    priceMayChange: !STATUTE["inquiry.singleFirmPrice"].value,
    docAvailability: null,
    biddingPeriod: period("inquiry.docPeriod"),
    clarificationLead: period("inquiry.clarification.leadTime"),
  },
  "single-source": {
    ...common,
    method: "single-source",
    workflow: "etrading.single-source",
    title: { "zh-CN": "单一来源", en: "Single source" },
    invitation: "named",
    minInvitees: null,
    minBidders: { rule: null, value: 1 },
    finalOfferRounds: false,
    priceMayChange: true,
    docAvailability: null,
    biddingPeriod: null,
    clarificationLead: null,
    publicity: period("singleSource.publicity"),
    // one named supplier: its name is the publicity itself
    bidderListConfidential: false,
  },
};

export const procedureOfWorkflow = (workflowId: string): ProcedureConfig => {
  const found = Object.values(PROCEDURES).find((p) => p.workflow === workflowId);
  if (!found) throw new Error(`no procedure for workflow ${workflowId}`);
  return found;
};

export const PUBLIC_TENDER_THRESHOLD = String(STATUTE["gd.publicTenderThreshold"].value);
export const QUESTION_ANSWER = period("question.answer");
/** Objections to a single source's publicity: the supplementary review within this period after the publicity ends. */
export const OBJECTION_REVIEW = period("singleSource.objectionReview");
