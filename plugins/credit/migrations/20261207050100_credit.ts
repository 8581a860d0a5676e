import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Each import of an external list: its provenance and its diff against the import before it.
  // `seq` numbers a list's imports; an entry is in the list from the import that added it
  // (valid_from) to the one that removed or changed it (valid_to), so any past version can be read.
  await knex.schema.createTable("credit_lists", (t) => {
    t.bigIncrements("id");
    t.text("list").notNullable();
    t.integer("seq").notNullable();
    t.text("version").notNullable();
    t.text("source").notNullable();
    t.timestamp("fetched_at", { useTz: true }).notNullable();
    t.timestamp("imported_at", { useTz: true }).notNullable();
    t.uuid("job_id").notNullable();
    t.integer("entries").notNullable();
    t.integer("added").notNullable();
    t.integer("removed").notNullable();
    t.integer("changed").notNullable();
    // the first codes of each kind of change, for the page that shows the diff
    t.jsonb("samples").notNullable();
    t.text("imported_by").notNullable();
    t.unique(["list", "seq"]);
    t.unique(["list", "version"]);
  });

  await knex.schema.createTable("credit_list_entries", (t) => {
    t.text("list").notNullable();
    t.text("code").notNullable();
    t.text("name").notNullable();
    t.text("reason").nullable();
    t.text("authority").nullable();
    t.text("case_number").nullable();
    t.date("listed_on").nullable();
    t.date("until").nullable();
    t.text("legal_representative").nullable();
    t.text("controller").nullable();
    t.text("row_hash").notNullable();
    t.integer("valid_from").notNullable();
    t.integer("valid_to").nullable();
  });
  // screening looks bidders up by code, the import diffs a list's current entries by code: one index
  // for both (a second one, unique on the current entries, cost a third of a million-row import; the
  // import itself refuses a code twice in a file, so a list never has two current entries for one code)
  await knex.raw("create index credit_list_entries_code on credit_list_entries (code, list, valid_from)");

  // An import job: created with the provenance, then the file streamed to it; its progress is read by GET.
  await knex.schema.createTable("credit_import_jobs", (t) => {
    t.uuid("id").primary();
    t.text("list").notNullable();
    t.text("version").notNullable();
    t.text("source").notNullable();
    t.timestamp("fetched_at", { useTz: true }).notNullable();
    t.text("format").notNullable();
    // waiting · reading · refused · done · failed
    t.text("status").notNullable();
    t.bigInteger("bytes_total").nullable();
    t.bigInteger("bytes_read").notNullable().defaultTo(0);
    t.integer("rows_read").notNullable().defaultTo(0);
    t.integer("problem_count").notNullable().defaultTo(0);
    t.jsonb("problems").nullable();
    t.jsonb("result").nullable();
    t.uuid("created_by").nullable();
    t.text("created_by_name").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("finished_at", { useTz: true }).nullable();
  });

  // Facts of a party's credit file, each with its source, dates and the state of any appeal.
  await knex.schema.createTable("credit_facts", (t) => {
    t.uuid("id").primary();
    t.text("subject_code").notNullable();
    // supplier · agency · purchaser · expert
    t.text("subject_kind").notNullable();
    t.text("subject_name").nullable();
    // penalty · complaint · late-payment · ... (what the emitting plugin calls it)
    t.text("kind").notNullable();
    t.text("rule").nullable();
    t.text("title_zh").notNullable();
    t.text("title_en").notNullable();
    // regulator:<tenant> for a recorded penalty; the plugin's name for an event
    t.text("source").notNullable();
    t.text("reference").nullable();
    t.date("occurred_on").notNullable();
    t.date("starts_on").nullable();
    t.date("ends_on").nullable();
    // barred from procurement from starts_on to ends_on: screening excludes (credit.blacklists)
    t.boolean("bars").notNullable().defaultTo(false);
    // none · pending · upheld · overturned
    t.text("appeal_state").notNullable().defaultTo("none");
    t.boolean("published").notNullable().defaultTo(false);
    t.string("tenant_code", 6).notNullable();
    // the credit.fact event it came from: once per event
    t.text("event_id").nullable().unique();
    t.text("created_by").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.index(["subject_code"]);
  });

  // Who checked whom: the committee of a tender may read the files of its bidders.
  await knex.schema.createTable("credit_checks", (t) => {
    t.uuid("tender_id").notNullable();
    t.text("code").notNullable();
    t.specificType("committee", "text[]").notNullable();
    t.string("tenant_code", 6).notNullable();
    t.timestamp("checked_at", { useTz: true }).notNullable();
    t.primary(["tender_id", "code"]);
    t.index(["code"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ["credit_checks", "credit_facts", "credit_import_jobs", "credit_list_entries", "credit_lists"]) await knex.schema.dropTable(t);
}
