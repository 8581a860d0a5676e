import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // A resumable upload (core/files/uploads.ts): what the client announced (size, hash) and how far
  // it has come. It becomes an ordinary core_files row when finished; until then it is nobody's file.
  await knex.schema.createTable("core_file_uploads", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    t.uuid("uploaded_by").notNullable();
    t.text("tenant_code").notNullable();
    t.text("name").notNullable();
    t.bigInteger("size").notNullable();
    t.string("sha256", 64).notNullable();
    /** ciphertext: its content cannot be typed, it is stored as application/octet-stream */
    t.boolean("encrypted").notNullable().defaultTo(false);
    t.bigInteger("received").notNullable().defaultTo(0);
    /** open → finishing → done */
    t.string("state", 12).notNullable().defaultTo("open");
    t.uuid("file_id").nullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(["uploaded_by", "state"]);
    t.index(["updated_at"]);
  });
  // The chunks as they came, each at its offset; gone with their session.
  await knex.schema.createTable("core_file_upload_parts", (t) => {
    t.uuid("upload_id").notNullable().references("id").inTable("core_file_uploads").onDelete("CASCADE");
    t.bigInteger("offset").notNullable();
    t.binary("data").notNullable();
    t.primary(["upload_id", "offset"]);
  });
  // Uploads a service keeps past the clean-up of unattached uploads, for a purpose of its own that
  // no form names: the holder is the service, the key its own reference.
  await knex.schema.createTable("core_file_holds", (t) => {
    t.uuid("file_id").notNullable().references("id").inTable("core_files");
    t.text("holder").notNullable();
    t.text("key").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(["file_id", "holder", "key"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("core_file_holds");
  await knex.schema.dropTable("core_file_upload_parts");
  await knex.schema.dropTable("core_file_uploads");
}
