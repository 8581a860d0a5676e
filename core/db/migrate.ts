import path from "node:path";
import type { Knex } from "knex";

export interface MigrationUnit {
  /** "core" or a plugin name: also names its migration table */
  name: string;
  directory: string;
}

export const migrationTable = (name: string) => `knex_migrations_${name.replace(/-/g, "_")}`;

// Any fixed number: every node that starts at once takes this lock, so migrations run once.
const MIGRATION_LOCK_KEY = 7_243_100_021;

/**
 * Runs each unit's knex migrations, in the order given, each in its own migration table.
 * Nodes starting together wait on one PostgreSQL advisory lock instead of failing on knex's
 * own lock row. Returns the migrations that ran, per unit.
 */
export async function runMigrations(
  knex: Knex,
  units: MigrationUnit[],
  log: (line: string) => void = () => {},
): Promise<Array<{ name: string; ran: string[] }>> {
  const lockConn = await knex.client.acquireConnection();
  try {
    await lockConn.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    const results: Array<{ name: string; ran: string[] }> = [];
    for (const unit of units) {
      const [, ran] = (await knex.migrate.latest({
        directory: unit.directory,
        tableName: migrationTable(unit.name),
        loadExtensions: [".ts", ".js"],
      })) as [number, string[]];
      const names = ran.map((f) => path.basename(f));
      if (names.length) log(`[db] ${unit.name}: ran ${names.length} migration(s): ${names.join(", ")}`);
      results.push({ name: unit.name, ran: names });
    }
    return results;
  } finally {
    await lockConn.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => {});
    await knex.client.releaseConnection(lockConn);
  }
}
