import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // A bid's large files, sealed with its data key and uploaded beforehand (core resumable uploads):
  // [{ fileId, name, size, sha256 }] as the bidder signed them; null for a bid without any.
  await knex.schema.alterTable("etrading_bids", (t) => {
    t.jsonb("files").nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("etrading_bids", (t) => {
    t.dropColumn("files");
  });
}
