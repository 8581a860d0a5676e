import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { runMigrations, migrationTable, type MigrationUnit } from "../../../core/db/migrate";
import { discoverPlugins } from "../../../core/plugins/loader";
import { startTestPlatform } from "../../support/kernel";
import { createTestDatabase } from "../../support/db";

const FIXTURE_PLUGINS = path.resolve(__dirname, "../../fixtures/plugins");

function units(): MigrationUnit[] {
  return [
    { name: "core", directory: path.resolve(__dirname, "../../../core/db/migrations") },
    ...discoverPlugins(FIXTURE_PLUGINS)
      .filter((p) => p.manifest.migrations)
      .map((p) => ({ name: p.manifest.name, directory: path.join(p.dir, p.manifest.migrations!) })),
  ];
}

describe("plugin migrations", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let knex: Knex;
  beforeEach(async () => {
    db = await createTestDatabase();
    knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 10 } });
  });
  afterEach(async () => {
    await knex.destroy();
    await db.drop();
  });

  test("each plugin's migrations run once, in file order, in the plugin's own table", async () => {
    const first = await runMigrations(knex, units());
    expect(first).toEqual([
      {
        name: "core",
        ran: [
          "20261127000000_core_settings.ts",
          "20261127000200_tenancy.ts",
          "20261128000100_identity.ts",
          "20261128000200_audit_chain.ts",
          "20261128000300_outbox.ts",
          "20261128000400_forms.ts",
          "20261128000500_workflow.ts",
          "20261128000600_notifications.ts",
          "20261129000100_workflow_parties.ts",
          "20261130000100_inbox_single_index.ts",
          "20261206000100_idempotency_keys.ts",
          "20261206000200_dead_letters.ts",
          "20261207000100_files.ts",
          "20261207000300_initial_mac.ts",
          "20261207000700_audit_sealer.ts",
          "20261207003500_file_uploads.ts",
          "20261207004100_list_search.ts",
          "20261207120000_sealed_documents.ts",
          "20261207130000_pending_timers_by_instance.ts",
        ],
      },
      { name: "probe", ran: ["20260101000000_notes.ts", "20260102000000_seed_notes.ts"] },
      { name: "registries", ran: ["20261127000100_purchasers.ts", "20261129000100_suppliers.ts", "20261129000200_agencies.ts", "20261206000200_search.ts"] },
    ]);
    const probeRows = await knex(migrationTable("probe")).select("name").orderBy("id");
    expect(probeRows.map((r) => r.name)).toEqual(["20260101000000_notes.ts", "20260102000000_seed_notes.ts"]);
    expect(await knex("probe_notes").count<{ count: string }[]>("* as count")).toEqual([{ count: "2" }]);
    expect(await knex.schema.hasTable(migrationTable("registries"))).toBe(true);
  });

  test("a second run changes nothing", async () => {
    await runMigrations(knex, units());
    const second = await runMigrations(knex, units());
    expect(second.every((u) => u.ran.length === 0)).toBe(true);
    // The seed migration did not run twice.
    expect(await knex("probe_notes").count<{ count: string }[]>("* as count")).toEqual([{ count: "2" }]);
  });

  test("nodes starting at the same moment run each migration exactly once", async () => {
    const others = Array.from({ length: 3 }, () => knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 3 } }));
    try {
      const results = await Promise.all([knex, ...others].map((k) => runMigrations(k, units())));
      const ranPerUnit = (name: string) => results.flatMap((r) => r.find((u) => u.name === name)!.ran);
      expect(ranPerUnit("probe")).toEqual(["20260101000000_notes.ts", "20260102000000_seed_notes.ts"]);
      expect(ranPerUnit("registries")).toEqual(["20261127000100_purchasers.ts", "20261129000100_suppliers.ts", "20261129000200_agencies.ts", "20261206000200_search.ts"]);
      expect(await knex("probe_notes").count<{ count: string }[]>("* as count")).toEqual([{ count: "2" }]);
    } finally {
      await Promise.all(others.map((k) => k.destroy()));
    }
  });

  test("a second start of the platform on the same database runs no migration", async () => {
    const lines: string[] = [];
    const first = await startTestPlatform({ pluginsDir: FIXTURE_PLUGINS, databaseUrl: db.url });
    await first.stop();
    const { startKernel } = await import("../../../core/kernel");
    const { readConfig } = await import("../../../core/config");
    const kernel = await startKernel({ ...readConfig({ LOG_LEVEL: "error" }), services: ["probe", "registries"], pluginsDir: FIXTURE_PLUGINS, databaseUrl: db.url }, (l) => lines.push(l));
    await kernel.stop();
    expect(lines.filter((l) => l.includes("migration"))).toEqual([]);
  });
});
