import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // A bid's large files, sealed with its data key and uploaded beforehand (core resumable uploads):
  // [{ fileId, name, size, sha256 }] as the bidder signed them; null for a bid without any.
  await knex.schema.alterTable("etrading_bids", (t) => {
    t.jsonb("files").nullable();
  });
  // Ciphertext does not compress: stored out of line as it is, PostgreSQL no longer tries (pglz over
  // each 100 KB package at a deadline's thousands of bids, for nothing: test/bench/bids.ts).
  await knex.raw("alter table etrading_bids alter column ciphertext set storage external");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("alter table etrading_bids alter column ciphertext set storage extended");
  await knex.schema.alterTable("etrading_bids", (t) => {
    t.dropColumn("files");
  });
}
