import fs from "node:fs";
import path from "node:path";
import knexFactory, { type Knex } from "knex";
import type { KernelConfig } from "../config";
import { describeUrl } from "./index";
import { platform } from "../platform";

/** A command-line tool's database problem, in one sentence that says what to do. */
export class ToolDatabaseError extends Error {
  override name = "ToolDatabaseError";
}

/**
 * The platform's database for an operator's command (npm run accounts:import, ...): DATABASE_URL
 * when set, else the embedded database of DATA_DIR, which runs while the platform does. Whoever
 * can reach it is the operator. `needs` names a table the tool works on, which exists once the
 * platform has started (and migrated) at least once.
 */
export async function connectForTool(cfg: KernelConfig, opts: { needs?: string } = {}): Promise<Knex> {
  let url = cfg.databaseUrl;
  let where: string;
  if (url) where = `${describeUrl(url)} (DATABASE_URL)`;
  else {
    const pwFile = path.join(cfg.dataDir, "postgres.password");
    if (!fs.existsSync(pwFile)) {
      throw new ToolDatabaseError(`no DATABASE_URL, and no embedded database in ${cfg.dataDir}: set DATABASE_URL, or start the platform once (npm start)`);
    }
    const password = fs.readFileSync(pwFile, "utf8").trim();
    url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${cfg.embeddedPgPort}/${platform.database}`;
    where = `the embedded database on 127.0.0.1:${cfg.embeddedPgPort}`;
  }
  const knex = knexFactory({
    client: "pg",
    connection: { connectionString: url, connectionTimeoutMillis: 5000, application_name: `${platform.id}-tool` },
    pool: { min: 0, max: 2 },
    acquireConnectionTimeout: 5000,
  });
  try {
    await knex.raw("select 1");
  } catch (err) {
    await knex.destroy();
    const reason = (err as Error).message.replace(/postgres(ql)?:\/\/[^@\s]*@/g, "postgres://***@").split("\n")[0];
    const hint = cfg.databaseUrl ? "check DATABASE_URL" : "the embedded database runs while the platform does: start it (npm start) and try again";
    throw new ToolDatabaseError(`cannot reach ${where}: ${reason}; ${hint}`);
  }
  if (opts.needs) {
    const { rows } = await knex.raw("select to_regclass(?) as t", [opts.needs]);
    if (!rows[0].t) {
      await knex.destroy();
      throw new ToolDatabaseError(`${where} has no table ${opts.needs} yet: start the platform once (npm start), which creates it, and try again`);
    }
  }
  return knex;
}
