import fs from "node:fs";
import path from "node:path";
import type { Localized } from "./errors";

/**
 * Which platform this is, as data (tenants/platform.json): core serves any domain, and its name is
 * the deployment's to give. The id names what several nodes must agree on (the broker's namespace,
 * the tokens' issuer, the database's connections); changing it on a running cluster ends every
 * session and splits the nodes, so it is set once.
 */
export interface PlatformIdentity {
  /** kebab-case: broker namespace, token issuer ("<id>") and audience ("<id>-api"), connection names */
  id: string;
  /** the embedded PostgreSQL's database */
  database: string;
  name: Localized;
}

const FILE = path.resolve(__dirname, "../tenants/platform.json");

function read(): PlatformIdentity {
  const raw = JSON.parse(fs.readFileSync(FILE, "utf8")) as Partial<PlatformIdentity>;
  const problem =
    typeof raw.id !== "string" || !/^[a-z][a-z0-9-]{1,40}$/.test(raw.id) ? "id must be kebab-case" :
    typeof raw.database !== "string" || !/^[a-z_][a-z0-9_]{0,62}$/.test(raw.database) ? "database must be a PostgreSQL name" :
    typeof raw.name?.["zh-CN"] !== "string" || typeof raw.name?.en !== "string" ? 'name needs { "zh-CN", en }' : null;
  if (problem) throw new Error(`${path.relative(process.cwd(), FILE)}: ${problem}`);
  return raw as PlatformIdentity;
}

export const platform: PlatformIdentity = read();
