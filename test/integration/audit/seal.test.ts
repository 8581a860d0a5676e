import { spawn } from "node:child_process";
import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { runMigrations } from "../../../core/db/migrate";
import { writeAudit } from "../../../core/audit/log";
import { verifyChain } from "../../../core/audit/verify";
import { sealAudit, startSealing, takeHorizon, horizonFinal } from "../../../core/audit/seal";
import { createTestDatabase } from "../../support/db";
import { asSuperuser, CORE_MIGRATIONS, ROOT, emptyLog, entry, rows, writeEntries } from "./support";

/** A transaction left open by the test: its audit entry is written, not committed. */
async function openTransaction(knex: Knex): Promise<{ trx: Knex.Transaction; commit(): Promise<void> }> {
  const trx = await knex.transaction();
  return { trx, commit: async () => void (await trx.commit()) };
}

describe("entries are written without waiting for one another, and sealed into the chain after they commit", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let knex: Knex;

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 20 } });
    await runMigrations(knex, [{ name: "core", directory: CORE_MIGRATIONS }]);
  });
  afterAll(async () => {
    await knex.destroy();
    await db.drop();
  });
  beforeEach(() => emptyLog(knex));

  test("a transaction holding an uncommitted entry does not hold up another writer's commit", async () => {
    const slow = await openTransaction(knex);
    await writeAudit(slow.trx, entry(1, { object: "slow" }));
    // with one lock for the chain, this waited for the slow transaction to end
    const quick = knex.transaction((trx) => writeAudit(trx, entry(2, { object: "quick" })));
    const outcome = await Promise.race([quick.then(() => "committed"), new Promise((r) => setTimeout(() => r("still waiting after 2 s"), 2000))]);
    await slow.commit();
    await quick;
    expect(outcome).toBe("committed");
  });

  test("an entry is not sealed while a transaction that drew a smaller id is in flight; both are, in id order, once it ends", async () => {
    const slow = await openTransaction(knex);
    await writeAudit(slow.trx, entry(1, { object: "slow" }));
    await knex.transaction((trx) => writeAudit(trx, entry(2, { object: "quick" })));

    const h = await takeHorizon(knex);
    expect(await horizonFinal(knex, h)).toBe(false);
    const sealing = startSealing(knex, { everyMs: 10, log: () => {} });
    try {
      for (let i = 0; i < 5; i++) await sealing.tick();
      expect((await rows(knex)).map((r) => [r.object, r.seq])).toEqual([["quick", null]]);
      expect(await verifyChain(knex)).toMatchObject({ ok: true, checked: 0, unsealed: 1 });

      await slow.commit();
      expect(await horizonFinal(knex, h)).toBe(true);
      for (let i = 0; i < 3; i++) await sealing.tick();
    } finally {
      await sealing.stop();
    }
    expect((await rows(knex)).map((r) => [r.object, r.seq])).toEqual([["slow", "1"], ["quick", "2"]]);
    expect(await verifyChain(knex)).toMatchObject({ ok: true, checked: 2, unsealed: 0 });
  });

  test("50 concurrent writers and a sealer running beside them: every entry sealed, one chain, in id order", async () => {
    const sealing = startSealing(knex, { everyMs: 20, log: () => {} });
    try {
      await Promise.all(
        Array.from({ length: 50 }, async (_, w) => {
          for (let k = 0; k < 10; k++) await knex.transaction((trx) => writeAudit(trx, entry(w * 10 + k, { object: `w${w}/${k}` })));
        }),
      );
    } finally {
      await sealing.stop();
    }
    await sealAudit(knex);
    const all = await rows(knex);
    expect(all.map((r) => Number(r.seq))).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(await verifyChain(knex)).toMatchObject({ ok: true, checked: 500, unsealed: 0 });
  });

  test("the application cannot seal an entry, nor move a sealed one: only the sealer sets an unsealed entry's place", async () => {
    await writeEntries(knex, 2);
    await writeAudit(knex, entry(3));
    await expect(knex("core_audit_log").where({ id: 3 }).update({ seq: 3, prev_hash: "0".repeat(64), hash: "f".repeat(64) })).rejects.toThrow(/core_audit_log is append-only: UPDATE refused/);
    await expect(
      knex.transaction(async (trx) => {
        await trx.raw("set local core.audit_sealing = 'on'");
        await trx("core_audit_log").where({ id: 2 }).update({ seq: 9 });
      }),
    ).rejects.toThrow(/only an unsealed entry's place in the chain may be set \(entry 2\)/);
    await expect(
      knex.transaction(async (trx) => {
        await trx.raw("set local core.audit_sealing = 'on'");
        await trx("core_audit_log").where({ id: 3 }).update({ object: "other", seq: 3 });
      }),
    ).rejects.toThrow(/only an unsealed entry's place/);
    expect(await sealAudit(knex)).toBe(1);
    expect(await verifyChain(knex)).toMatchObject({ ok: true, checked: 3 });
  });

  test("a sealed entry whose seal is removed in SQL is found and named (content), not taken for a new one", async () => {
    await writeEntries(knex, 6);
    await asSuperuser(knex, (trx) => trx("core_audit_log").where({ id: 4 }).update({ seq: null, prev_hash: null, hash: null }));
    const result = await verifyChain(knex);
    expect(result).toMatchObject({ ok: false, checked: 3, broken: { id: "4", reason: "content", entry: { object: "obj/4" } } });
    expect(result.broken!.message).toMatch(/entry 4 was changed: it has no place in the chain/);
    // and the newest entries unsealed with an anchor on them: the anchor names it
    await writeEntries(knex, 1, 7);
    const [seven] = await knex("core_audit_log").where({ id: 7 });
    await asSuperuser(knex, (trx) => trx("core_audit_log").where("id", ">=", 4).update({ seq: null, prev_hash: null, hash: null }));
    expect((await verifyChain(knex, { anchors: [{ entryId: "7", hash: seven.hash }] })).broken).toMatchObject({ id: "7", reason: "content", anchor: { entryId: "7" } });
  });

  test("a sealer killed while it seals loses nothing: what it committed verifies, the next sealer seals the rest", async () => {
    const TOTAL = 20_000;
    for (let b = 0; b < TOTAL / 1000; b++) await writeAudit(knex, Array.from({ length: 1000 }, (_, i) => entry(b * 1000 + i)));
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "sealer-process.ts")], {
      cwd: ROOT,
      env: { ...process.env, AUDIT_DB_URL: db.url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code)));
    // killed once it has sealed some and before it has sealed all
    const started = Date.now();
    for (;;) {
      const { rows: c } = await knex.raw("select count(seq)::int as n from core_audit_log");
      if (c[0].n > 0) break;
      if (Date.now() - started > 60_000) throw new Error(`the sealer process sealed nothing in 60 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");

    const afterKill = await verifyChain(knex);
    expect(afterKill.ok).toBe(true);
    expect(afterKill.checked).toBeGreaterThan(0);
    expect(afterKill.checked).toBeLessThan(TOTAL);
    expect(afterKill.checked + afterKill.unsealed).toBe(TOTAL);

    await sealAudit(knex, { timeoutMs: 30_000 });
    expect(await verifyChain(knex)).toMatchObject({ ok: true, checked: TOTAL, unsealed: 0 });
    const { rows: n } = await knex.raw("select count(*)::int as n, count(distinct object)::int as objects from core_audit_log");
    expect(n[0]).toEqual({ n: TOTAL, objects: TOTAL });
  }, 120_000);
});
