/**
 * What other plugins may import of financial services (types only): the payload of the `finance.refundClock`
 * event a plugin puts in its outbox (`enqueue(trx, { event: "finance.refundClock", key: "<plugin>:<id>", payload })`)
 * when something that starts a deposit's refund clock happened on a tender: a bid withdrawn (e-trading), the
 * award notice (the losers), the contract signed (the winner). Finance starts the clock of each named
 * supplier's confirmed deposit on that tender that has none yet; the agency can still start one by hand.
 */
export interface RefundClockEvent {
  tenderId: string;
  rule: "deposit.refund.onWithdrawal" | "deposit.refund.losers" | "deposit.refund.winner";
  /** YYYY-MM-DD: the day of the event; the refund is due the rule's working days later */
  from: string;
  /** the suppliers' unified social credit codes */
  supplierCodes: string[];
}
