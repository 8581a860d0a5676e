import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // A conversation with a person: waiting in its tenant's queue, then taken by one agent.
  await knex.schema.createTable("helpdesk_chats", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    t.uuid("handover_id");
    // null for a signed-out visitor, who holds the chat by the hash of a secret instead
    t.uuid("user_id");
    t.string("visitor_hash", 64);
    t.string("tenant_code", 6).notNullable();
    t.string("status", 16).notNullable().defaultTo("waiting");
    t.uuid("agent_id");
    t.text("agent_name");
    t.jsonb("context").notNullable().defaultTo("{}");
    t.smallint("rating");
    t.text("rating_comment");
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("taken_at", { useTz: true });
    t.timestamp("closed_at", { useTz: true });
    t.index(["tenant_code", "status", "created_at"]);
  });
  await knex.schema.createTable("helpdesk_chat_messages", (t) => {
    t.bigIncrements("id");
    t.uuid("chat_id").notNullable().references("id").inTable("helpdesk_chats").onDelete("CASCADE");
    t.string("author", 8).notNullable();
    t.uuid("author_id");
    t.text("text").notNullable();
    t.string("entry_id", 20);
    t.timestamp("at", { useTz: true }).notNullable();
    t.index(["chat_id", "id"]);
  });
  // Agents watching their queue: one row a socket (a hint: a node that dies leaves its rows).
  await knex.schema.createTable("helpdesk_presence", (t) => {
    t.string("socket_id", 64).primary();
    t.uuid("account_id").notNullable();
    t.text("name").notNullable();
    t.string("tenant_code", 6).notNullable();
    t.timestamp("joined_at", { useTz: true }).notNullable();
  });
  // A ticket: the plugin's view of a helpdesk.ticket instance (who asked, the service levels).
  await knex.schema.createTable("helpdesk_tickets", (t) => {
    t.uuid("instance_id").primary();
    t.string("tenant_code", 6).notNullable();
    t.uuid("requester_id");
    t.uuid("chat_id");
    t.text("subject").notNullable();
    t.text("category").notNullable();
    t.string("priority", 8).notNullable();
    // the instance's state, kept by the workflow's hooks, for the lists
    t.string("state", 16).notNullable().defaultTo("open");
    t.timestamp("first_response_due", { useTz: true }).notNullable();
    t.timestamp("resolution_due", { useTz: true }).notNullable();
    t.timestamp("first_response_at", { useTz: true });
    t.timestamp("escalated_at", { useTz: true });
    t.smallint("rating");
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
    t.index(["requester_id"]);
    t.index(["tenant_code", "created_at"]);
  });
  await knex.schema.createTable("helpdesk_ticket_messages", (t) => {
    t.bigIncrements("id");
    t.uuid("instance_id").notNullable().references("instance_id").inTable("helpdesk_tickets").onDelete("CASCADE");
    t.string("author", 8).notNullable();
    t.uuid("author_id");
    t.text("text").notNullable();
    t.timestamp("at", { useTz: true }).notNullable();
  });
  // A user's rating of one assistant answer (1-5), for staff to find entries that do not help.
  await knex.schema.createTable("helpdesk_answer_ratings", (t) => {
    t.bigIncrements("id");
    t.string("entry_id", 40).notNullable();
    t.text("question").notNullable();
    t.smallint("rating").notNullable();
    t.uuid("user_id");
    t.string("tenant_code", 6);
    t.timestamp("at", { useTz: true }).notNullable();
  });
  // Guides: manuals (Markdown, every version kept), videos (attachments of core/files) and notices.
  await knex.schema.createTable("helpdesk_guides", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    t.string("kind", 8).notNullable();
    t.string("tenant_code", 6).notNullable();
    t.jsonb("roles").notNullable();
    t.string("subsystem", 40).notNullable();
    t.jsonb("pages").notNullable().defaultTo("[]");
    t.text("title").notNullable();
    t.text("title_en");
    t.text("body").notNullable().defaultTo("");
    t.uuid("video_file");
    t.uuid("poster_file");
    t.jsonb("chapters").notNullable().defaultTo("[]");
    t.integer("version").notNullable().defaultTo(1);
    t.boolean("published").notNullable().defaultTo(false);
    t.uuid("updated_by");
    t.timestamp("updated_at", { useTz: true }).notNullable();
    t.index(["tenant_code", "kind"]);
  });
  await knex.schema.createTable("helpdesk_guide_versions", (t) => {
    t.uuid("guide_id").notNullable().references("id").inTable("helpdesk_guides").onDelete("CASCADE");
    t.integer("version").notNullable();
    t.text("title").notNullable();
    t.text("body").notNullable();
    t.uuid("updated_by");
    t.timestamp("updated_at", { useTz: true }).notNullable();
    t.primary(["guide_id", "version"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ["helpdesk_guide_versions", "helpdesk_guides", "helpdesk_answer_ratings", "helpdesk_ticket_messages", "helpdesk_tickets", "helpdesk_presence", "helpdesk_chat_messages", "helpdesk_chats"]) {
    await knex.schema.dropTable(t);
  }
}
