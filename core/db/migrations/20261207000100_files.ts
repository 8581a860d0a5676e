import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Content-addressed bytes (core/files/README.md): one row per distinct SHA-256, however many
  // uploads name it. `location` says where the bytes are in the store that holds them: the key of
  // its chunks in core_file_chunks, or the object key in an S3 bucket.
  await knex.schema.createTable("core_file_blobs", (t) => {
    t.string("sha256", 64).primary();
    t.bigInteger("size").notNullable();
    /** the type the bytes are (by their magic numbers), not what the uploader called them */
    t.text("type").notNullable();
    t.string("store", 8).notNullable();
    t.text("location").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // Bytes on the database: in chunks, so that an upload is written and a range read without any
  // file whole in memory, and a seek reads only the chunks it needs.
  await knex.schema.createTable("core_file_chunks", (t) => {
    t.uuid("location").notNullable();
    t.integer("seq").notNullable();
    t.binary("data").notNullable();
    t.primary(["location", "seq"]);
  });
  // Each upload: who sent it and what they called it. It is the uploader's alone until a form
  // that names it is submitted (core_file_refs).
  await knex.schema.createTable("core_files", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    t.string("sha256", 64).notNullable().references("sha256").inTable("core_file_blobs");
    t.text("name").notNullable();
    t.uuid("uploaded_by").notNullable();
    t.text("tenant_code").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(["sha256"]);
    t.index(["uploaded_by", "created_at"]);
  });
  // Which instances name which uploads: whoever may read the instance may read the file.
  await knex.schema.createTable("core_file_refs", (t) => {
    t.uuid("file_id").notNullable().references("id").inTable("core_files");
    t.uuid("instance_id").notNullable().references("id").inTable("core_workflow_instances");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(["file_id", "instance_id"]);
    t.index(["instance_id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("core_file_refs");
  await knex.schema.dropTable("core_files");
  await knex.schema.dropTable("core_file_chunks");
  await knex.schema.dropTable("core_file_blobs");
}
