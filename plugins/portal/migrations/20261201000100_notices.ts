import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.raw("create extension if not exists pg_trgm");
  // Every two-character substring of a text: what a GIN index needs to find 2-character Chinese
  // words, which trigrams cannot (plugins/portal/README.md, "Search"). GIN drops repeated keys
  // itself. About 30 µs for a notice's text: COST tells the planner it is no cheap operator.
  await knex.raw(`
    create function portal_pairs(s text) returns text[] language plpgsql immutable strict parallel safe cost 1000 as $$
    declare
      pairs text[] := '{}';
    begin
      for i in 1 .. char_length(s) - 1 loop
        pairs := pairs || substr(s, i, 2);
      end loop;
      return pairs;
    end $$`);
  await knex.schema.createTable("portal_notices", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    t.uuid("instance_id").notNullable();
    t.text("type").notNullable();
    t.string("tenant_code", 6).notNullable();
    t.text("plugin").notNullable();
    t.text("workflow_id").notNullable();
    t.text("title").notNullable();
    t.text("unit_name");
    // Exactly the fields the publishing workflow declared public, as the event carried them.
    t.jsonb("fields").notNullable().defaultTo("{}");
    // The instance's version at the publication (or withdrawal) applied last: later events win.
    t.integer("version").notNullable();
    // The first publication's time (the event's `at`); null only for a withdrawal that arrived
    // before any publication of the notice (kept so that the late publication is ignored).
    t.timestamp("published_at", { useTz: true });
    // The latest amendment's time; null while the notice was published once.
    t.timestamp("updated_at", { useTz: true });
    t.timestamp("withdrawn_at", { useTz: true });
    t.unique(["instance_id", "type"]);
  });
  await knex.raw("alter table portal_notices add constraint portal_notices_type check (type in ('intention', 'tender', 'result', 'contract'))");
  await knex.raw("alter table portal_notices add constraint portal_notices_seen check (published_at is not null or withdrawn_at is not null)");
  // What `q` searches: title and unit name, NFKC-normalised (full-width ＡＢＣ１２３ as ABC123) and
  // lowercased once here, so that a search is a plain LIKE (several times cheaper than ILIKE on
  // Chinese text). The separator is a control character no query contains.
  await knex.raw(`alter table portal_notices add column search text generated always as
    (lower(normalize(title || E'\\x1f' || coalesce(unit_name, ''), NFKC))) stored`);
  // The lists: newest first, everywhere or in some tenants.
  await knex.raw("create index portal_notices_newest on portal_notices (published_at desc, id desc) where withdrawn_at is null");
  await knex.raw("create index portal_notices_tenant_newest on portal_notices (tenant_code, published_at desc, id desc) where withdrawn_at is null");
  // Substring search: trigrams for words of 3+ characters, pairs for 2-character words.
  await knex.raw("create index portal_notices_search_trgm on portal_notices using gin (search gin_trgm_ops)");
  await knex.raw("create index portal_notices_search_pairs on portal_notices using gin (portal_pairs(search))");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("portal_notices");
  await knex.raw("drop function if exists portal_pairs(text)");
}
