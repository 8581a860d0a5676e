/**
 * A sealer in a process of its own, for seal.test.ts to kill (SIGKILL) in the middle of its work:
 * seals the backlog in small batches, pausing between them, as a loaded node would.
 */
import knexFactory from "knex";
import { sealBatch, takeHorizon, horizonFinal } from "../../../core/audit/seal";

async function main(): Promise<void> {
  const knex = knexFactory({ client: "pg", connection: process.env.AUDIT_DB_URL, pool: { min: 0, max: 2 } });
  const h = await takeHorizon(knex);
  while (!(await horizonFinal(knex, h))) await new Promise((r) => setTimeout(r, 10));
  for (;;) {
    const out = await sealBatch(knex, h.lastId, 200);
    if (!("busy" in out) && !out.more) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await knex.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
