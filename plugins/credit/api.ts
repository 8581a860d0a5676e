/**
 * What other plugins may import of credit management (types only): the payload of the `credit.fact`
 * event they put in their outbox (`enqueue(trx, { event: "credit.fact", key: "<plugin>:<id>", payload })`)
 * for a party's credit file: complaints' `complaint.frivolousRecord`, supervision's late contract publication
 * and late payment, finance's late deposit refunds, evaluation's refusals to sign, experts' no-shows. The key's
 * first part names the source.
 */
export interface CreditFactEvent {
  /** the party the fact is about: its unified social credit code or budget code (experts: their registry code) */
  subjectCode: string;
  subjectKind: "supplier" | "agency" | "purchaser" | "expert";
  subjectName?: string;
  /** what the emitting plugin calls it: complaint, late-payment, no-show, ... */
  kind: string;
  /** the statutory rule id it rests on, if any */
  rule?: string;
  title: { "zh-CN": string; en: string };
  /** the case, decision or instance it comes from */
  reference?: string;
  /** YYYY-MM-DD */
  occurredOn: string;
  startsOn?: string;
  endsOn?: string;
  /** barred from procurement from startsOn to endsOn: screening excludes the party then */
  bars?: boolean;
  /** a major violation (重大违法记录: criminal penalty, ordered stop of business, revoked licence, large fine): the party is not eligible for credit.noMajorViolation3y's years after `occurredOn` */
  major?: boolean;
  appealState?: "none" | "pending" | "upheld" | "overturned";
  published?: boolean;
  /** the tenant where it happened */
  tenantCode: string;
}

/**
 * The payload of the `credit.ratingRound` event a plugin puts in its outbox when a procurement it ran is
 * complete (`enqueue(trx, { event: "credit.ratingRound", key: "<plugin>:<id>", payload })`): credit opens
 * the mutual rating round (一项目一评价) of those parties once per `source` and `sourceId`.
 */
export interface RatingRoundEvent {
  /** the emitting plugin: evaluation, ... */
  source: string;
  /** its procurement, once: the award, the order */
  sourceId: string;
  tenantCode: string;
  title: string;
  /** YYYY-MM-DD: the rating window of 5 working days starts the day after */
  completedOn: string;
  purchaser: { code: string; name?: string } | null;
  agency: { code: string; name?: string } | null;
  /** the committee's experts by account id */
  experts: string[];
  /** every bidder; the winner is rated by the purchaser, every one rates the purchaser and the agency */
  suppliers: Array<{ code: string; name?: string; winner: boolean }>;
}

/**
 * What an institution reads of a supplier that applied for contract financing and consented to it: the
 * `credit.files.summary` action (no route), which finance calls; never the file itself.
 */
export interface CreditSummary {
  code: string;
  name: string | null;
  /** barred from procurement today (a listed entry or a penalty that bars) */
  barredToday: boolean;
  /** the external lists it is on today, by title */
  lists: Array<{ "zh-CN": string; en: string }>;
  /** its credit records of the last three years that were not overturned, by kind, with the latest day */
  records: Array<{ kind: string; count: number; latest: string }>;
  /** the window the records cover: YYYY-MM-DD to YYYY-MM-DD */
  since: string;
  until: string;
}
