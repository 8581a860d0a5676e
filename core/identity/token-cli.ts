import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import knexFactory from "knex";
import { readConfig } from "../config";
import { Tokens } from "./tokens";

/**
 * `npm run token -- --roles tenant-admin --tenant 441300`: an operator's tool that signs a
 * short-lived API token with the platform's key, for scripts and for trying the API before
 * accounts and sign-in exist. It needs what an operator has anyway: the database.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      roles: { type: "string", default: "platform-admin" },
      tenant: { type: "string", default: "440000" },
      unit: { type: "string" },
      user: { type: "string", default: "operator" },
      ttl: { type: "string", default: "3600" },
    },
  });
  const cfg = readConfig();
  let url = cfg.databaseUrl;
  if (!url) {
    const pwFile = path.join(cfg.dataDir, "postgres.password");
    if (!fs.existsSync(pwFile)) throw new Error(`no DATABASE_URL and no embedded database in ${cfg.dataDir}: start the platform once (npm start)`);
    const password = fs.readFileSync(pwFile, "utf8").trim();
    url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${cfg.embeddedPgPort}/procurement`;
  }
  const knex = knexFactory({ client: "pg", connection: url, pool: { min: 0, max: 1 } });
  try {
    const tokens = await Tokens.load(knex).catch((err: Error) => {
      throw new Error(`cannot read the signing key (is the platform running? npm start): ${err.message.split("\n")[0]}`);
    });
    const ttl = Number(values.ttl);
    if (!Number.isInteger(ttl) || ttl <= 0 || ttl > 24 * 3600) throw new Error("--ttl is seconds, at most 86400");
    const token = await tokens.issue(
      { id: values.user!, username: values.user!, tenantCode: values.tenant!, roles: values.roles!.split(","), unitCode: values.unit },
      ttl,
    );
    process.stdout.write(token + "\n");
  } finally {
    await knex.destroy();
  }
}

main().catch((err: Error) => {
  console.error(`[token] ${err.message}`);
  process.exit(1);
});
