import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // The public keys of a tender's opening custodians, made in each custodian's browser; the private
  // keys never reach the server (plugins/etrading/README.md, "Sealed bids").
  await knex.schema.createTable("etrading_custodian_keys", (t) => {
    t.uuid("tender_id").notNullable().references("id").inTable("etrading_tenders").onDelete("CASCADE");
    // the custodian's place in the tender: its role there (agency, purchaser, supervisor)
    t.text("custodian").notNullable();
    t.uuid("account_id").notNullable();
    // X25519, hex
    t.string("public_key", 64).notNullable();
    t.timestamp("registered_at", { useTz: true }).notNullable();
    t.primary(["tender_id", "custodian"]);
  });

  // Every submission and withdrawal of a sealed bid: only a supplier's last version counts
  // (tender.bidModifyUntilDeadline). Nothing here opens a bid without k custodians' shares.
  await knex.schema.createTable("etrading_bids", (t) => {
    t.uuid("id").primary();
    t.uuid("tender_id").notNullable().references("id").inTable("etrading_tenders").onDelete("CASCADE");
    t.text("supplier_code").notNullable();
    t.integer("version").notNullable();
    // submitted · withdrawn (a withdrawal is a version of its own, with no package)
    t.text("action").notNullable();
    // the Idempotency-Key of the request that made it: a retry answers the first receipt
    t.text("idempotency_key").nullable();
    // the procurement documents' version the bid answers (a corrigendum asks for re-confirmation)
    t.integer("docs_version").notNullable();
    t.text("algorithm").nullable();
    t.string("nonce", 24).nullable();
    t.binary("ciphertext").nullable();
    // SHA-256 of nonce ‖ ciphertext, as the bidder signed it and the receipt carries it
    t.string("hash", 64).notNullable();
    t.integer("threshold").nullable();
    t.jsonb("shares").nullable();
    t.jsonb("bidder_key").nullable();
    t.jsonb("signature").nullable();
    t.jsonb("receipt").notNullable();
    t.timestamp("received_at", { useTz: true }).notNullable();
    t.unique(["tender_id", "supplier_code", "version"]);
    t.unique(["tender_id", "supplier_code", "idempotency_key"]);
    t.index(["tender_id", "supplier_code", "version"]);
  });

  // Shares custodians unwrapped in their browsers and handed in after the deadline.
  await knex.schema.createTable("etrading_opening_shares", (t) => {
    t.uuid("bid_id").notNullable().references("id").inTable("etrading_bids").onDelete("CASCADE");
    t.text("custodian").notNullable();
    t.text("share").notNullable();
    t.timestamp("submitted_at", { useTz: true }).notNullable();
    t.primary(["bid_id", "custodian"]);
  });

  // What the opening found of each counted bid: opened with its price, or why not (ebid.decryptionFailure).
  await knex.schema.createTable("etrading_openings", (t) => {
    t.uuid("bid_id").primary().references("id").inTable("etrading_bids").onDelete("CASCADE");
    t.uuid("tender_id").notNullable().references("id").inTable("etrading_tenders").onDelete("CASCADE");
    // opened · revoked (the bidder's fault) · withdrawn (not the bidder's fault) · above-max-price
    t.text("outcome").notNullable();
    t.decimal("price", 15, 2).nullable();
    // a stored ciphertext whose hash is not its receipt's
    t.boolean("tampered").notNullable().defaultTo(false);
    t.jsonb("detail").notNullable().defaultTo("{}");
    t.timestamp("decided_at", { useTz: true }).notNullable();
    t.index(["tender_id"]);
  });

  // The platform's key for signing bid receipts (Ed25519). It signs; it opens nothing.
  await knex.schema.createTable("etrading_receipt_keys", (t) => {
    t.text("id").primary();
    t.string("private_key", 64).notNullable();
    t.string("public_key", 64).notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("etrading_receipt_keys");
  await knex.schema.dropTable("etrading_openings");
  await knex.schema.dropTable("etrading_opening_shares");
  await knex.schema.dropTable("etrading_bids");
  await knex.schema.dropTable("etrading_custodian_keys");
}
