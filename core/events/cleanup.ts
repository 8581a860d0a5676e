import type { Knex } from "knex";

export interface PurgeOptions {
  /** sent outbox rows and receipts older than this many days go */
  olderThanDays: number;
  /** rows deleted per statement, so that no statement holds locks for long */
  batchSize?: number;
}

/**
 * Deletes outbox rows sent more than `olderThanDays` ago, and receipts older than that whose event
 * can no longer be delivered again (its outbox row is sent or gone: only unsent rows are ever
 * re-published). Unsent rows are never deleted, however old. Meant to run daily on one node; safe
 * to run on several at once.
 */
export async function purgeEvents(knex: Knex, { olderThanDays, batchSize = 10_000 }: PurgeOptions): Promise<{ outbox: number; receipts: number }> {
  if (!Number.isFinite(olderThanDays) || olderThanDays < 0) throw new Error(`purgeEvents: olderThanDays must be a number of days ≥ 0, got ${olderThanDays}`);
  const days = olderThanDays;
  const drain = async (sql: string): Promise<number> => {
    let total = 0;
    for (;;) {
      const r = await knex.raw(sql, [days, batchSize]);
      total += r.rowCount as number;
      if ((r.rowCount as number) < batchSize) return total;
    }
  };
  const outbox = await drain(`
    delete from core_outbox where id in (
      select id from core_outbox
       where sent_at is not null and sent_at < now() - make_interval(secs => ? * 86400)
       order by id limit ?)`);
  const receipts = await drain(`
    delete from core_event_receipts where (consumer, event_id) in (
      select r.consumer, r.event_id from core_event_receipts r
       where r.received_at < now() - make_interval(secs => ? * 86400)
         and not exists (select 1 from core_outbox o where o.event_id = r.event_id and o.sent_at is null)
       limit ?)`);
  return { outbox, receipts };
}
