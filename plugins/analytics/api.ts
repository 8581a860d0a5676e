/**
 * What other plugins may import of analytics: the shape of the `analytics.fact` event they emit
 * (README.md, "Facts"). Types only; the analytics reads nothing else of theirs.
 */

/** The event every module emits, with the workflow engine's generic `emit` effect. */
export type AnalyticsFactEvent = "analytics.fact";

/** Fields of every fact: the project (its ocid), the instance and its version (the release's id). */
export interface FactBase {
  /** the stage of the project the fact announces */
  stage: "planning" | "plan" | "tender" | "tenderAmendment" | "tenderCancellation" | "award" | "contract" | "payment";
  instanceId: string;
  tenantCode: string;
  version: number;
}

/**
 * An award (OCDS `award`), from supervision's result or e-trading's and evaluation's award. Only
 * published fields: the bids' count is public once the award is; their contents never are.
 */
export interface AwardFactData {
  projectId: string;
  method: string;
  purchaserName: string;
  supplierName: string;
  /** yuan, as a string with at most 2 decimals */
  amount: string;
  /** YYYY-MM-DD */
  awardDate: string;
  /** the bids received (OCDS `tender.numberOfTenderers`): feeds bids per tender and the `single-bid` flag */
  bidders?: number;
  /** how suppliers were invited, when the method leaves it open (`notice`, `prequalification`, `registry`, `recommendation`) */
  invitation?: string;
  /** the supplier is a small or medium enterprise (the SME shares) */
  supplierSme?: boolean;
  category?: string;
}

export interface AwardFact extends FactBase {
  stage: "award";
  data: AwardFactData;
}
