import knexFactory, { type Knex } from "knex";
import { Model } from "objection";
import type { KernelConfig } from "../config";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded";
import { platform } from "../platform";

export interface Database {
  knex: Knex;
  kind: "embedded" | "external";
  /** host:port/database, without credentials, for logs and /api/health */
  where: string;
  /** true when a trivial query answers within the timeout */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}

/** pg and knex errors that mean "the database is not there", as opposed to a bad query. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string; name?: string };
  if (!e) return false;
  if (["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH", "57P01", "57P02", "57P03", "08000", "08001", "08003", "08006"].includes(e.code ?? "")) return true;
  // "not queryable": pg's answer to a query (a COMMIT, say) on a connection the server already
  // closed, as a restart closes every session: it carries no code, only this text.
  return e.name === "KnexTimeoutError" || /Connection terminated|connect ECONNREFUSED|Timeout acquiring a connection|is not queryable/.test(e.message ?? "");
}

function createKnex(url: string, poolMax: number): Knex {
  return knexFactory({
    client: "pg",
    connection: { connectionString: url, connectionTimeoutMillis: 5000, application_name: platform.id },
    pool: { min: 0, max: poolMax, acquireTimeoutMillis: 5000, idleTimeoutMillis: 30000 },
    acquireConnectionTimeout: 5000,
  });
}

/**
 * DATABASE_URL when set (a real server, shared by every node of a cluster); otherwise an
 * embedded PostgreSQL whose files live under DATA_DIR (.data/ by default).
 */
export async function openDatabase(cfg: KernelConfig, log: (line: string) => void = console.log): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let url = cfg.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: cfg.dataDir, port: cfg.embeddedPgPort, log });
    url = embedded.url;
  }
  const knex = createKnex(url, cfg.dbPoolMax);
  try {
    await knex.raw("select 1");
  } catch (err) {
    await knex.destroy();
    await embedded?.stop();
    const reason = (err as Error).message.replace(/postgres(ql)?:\/\/[^@\s]*@/g, "postgres://***@");
    throw new Error(`cannot reach the database at ${describeUrl(url)}: ${reason}`);
  }
  if (!embedded) log(`[db] PostgreSQL at ${describeUrl(url)} (DATABASE_URL)`);
  // Objection models of every plugin use this connection.
  Model.knex(knex);
  let closed = false;
  return {
    knex,
    kind: embedded ? "embedded" : "external",
    where: describeUrl(url),
    async ping(timeoutMs = 2000) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          knex.raw("select 1"),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("ping timeout")), timeoutMs))),
        ]);
        return true;
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await knex.destroy();
      await embedded?.stop();
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether a value from a caller can be a row id (gen_random_uuid()): checked before any query, so
 * that a malformed id answers like a missing one instead of reaching PostgreSQL as a type error.
 */
export const isUuid = (value: unknown): value is string => typeof value === "string" && UUID.test(value);
