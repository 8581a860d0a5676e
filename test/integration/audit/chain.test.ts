import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { runMigrations } from "../../../core/db/migrate";
import { writeAudit } from "../../../core/audit/log";
import { GENESIS, rowHash, type AuditRow } from "../../../core/audit/chain";
import { verifyChain } from "../../../core/audit/verify";
import { anchorAudit } from "../../../core/audit/anchors";
import { sealAudit } from "../../../core/audit/seal";
import { createTestDatabase } from "../../support/db";
import { asSuperuser, CORE_MIGRATIONS, emptyLog, entry, rows, writeEntries } from "./support";

describe("the audit log is a hash chain that nobody can edit unnoticed", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let knex: Knex;

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 60 } });
    await runMigrations(knex, [{ name: "core", directory: CORE_MIGRATIONS }]);
  });
  afterAll(async () => {
    await knex.destroy();
    await db.drop();
  });
  beforeEach(() => emptyLog(knex));

  describe("writing", () => {
    test("entries written in transactions and with a plain connection form one chain that verifies", async () => {
      await writeEntries(knex, 3);
      await writeAudit(knex, [entry(4), entry(5)]);
      await knex.transaction(async (trx) => {
        await writeAudit(trx, entry(6));
        await writeAudit(trx, entry(7));
      });
      expect(await sealAudit(knex)).toBe(4);
      const all = (await rows(knex)) as AuditRow[];
      expect(all.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(all[0].prev_hash).toBe(GENESIS);
      for (let i = 1; i < all.length; i++) expect(all[i].prev_hash).toBe(all[i - 1].hash);
      for (const r of all) expect(rowHash(r)).toBe(r.hash);
      expect(all[0].at.getUTCMilliseconds() * 1000).toBe(Number((await knex.raw("select extract(microseconds from at)::int % 1000000 as us from core_audit_log where id = 1")).rows[0].us));

      const result = await verifyChain(knex);
      expect(result).toEqual({ ok: true, complete: true, checked: 7, head: { id: all[6].id, seq: "7", hash: all[6].hash }, unsealed: 0 });
    });

    test("an entry reads back as it was written: Dates in before and after become ISO strings, a missing before is null", async () => {
      await writeAudit(knex, entry(5, { before: undefined, after: { from: new Date("2021-01-01T00:00:00+08:00"), units: undefined } }));
      const [row] = await rows(knex);
      expect(row).toMatchObject({ actor: { id: "u5", username: "user5", tenant: "441300" }, tenant_code: "441300", before: null, after: { from: "2020-12-31T16:00:00.000Z" } });
      expect((await verifyChain(knex)).ok).toBe(true);
    });

    test("a transaction that rolls back leaves a gap in the ids, none in the chain", async () => {
      await writeEntries(knex, 2);
      await expect(
        knex.transaction(async (trx) => {
          await writeAudit(trx, entry(99));
          throw new Error("the change failed after its audit entry");
        }),
      ).rejects.toThrow("the change failed");
      await writeEntries(knex, 2, 3);
      const all = await rows(knex);
      expect(all.map((r) => [r.id, r.seq])).toEqual([["1", "1"], ["2", "2"], ["4", "3"], ["5", "4"]]);
      expect((await verifyChain(knex)).ok).toBe(true);
    });

    test("any isolation level may write: a REPEATABLE READ transaction's entry is sealed like the others", async () => {
      await knex.transaction((trx) => writeAudit(trx, entry(1)), { isolationLevel: "repeatable read" });
      await writeEntries(knex, 1, 2);
      expect((await rows(knex)).map((r) => [r.object, r.seq])).toEqual([["obj/1", "1"], ["obj/2", "2"]]);
      expect(await verifyChain(knex)).toMatchObject({ ok: true, checked: 2, unsealed: 0 });
    });

    test("50 concurrent writers make one chain without forks (and how many audited transactions a second that is)", async () => {
      const WRITERS = 50;
      const EACH = 20;
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: WRITERS }, async (_, w) => {
          for (let k = 0; k < EACH; k++) {
            const i = w * EACH + k;
            await knex.transaction(async (trx) => {
              // a business row changed in the same transaction, as real callers do
              await trx.raw("select pg_sleep(0)");
              await writeAudit(trx, entry(i, { object: `writer-${w}/${k}` }));
            });
          }
        }),
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const total = WRITERS * EACH;
      await sealAudit(knex);
      console.log(`[audit] ${WRITERS} concurrent writers: ${total} audited transactions in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)}/s`);

      const all = (await rows(knex)) as AuditRow[];
      expect(all).toHaveLength(total);
      expect(all.map((r) => Number(r.seq))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(new Set(all.map((r) => r.prev_hash)).size).toBe(total);
      for (let i = 1; i < all.length; i++) expect(all[i].prev_hash).toBe(all[i - 1].hash);
      // every writer's entries, in its own order
      for (let w = 0; w < WRITERS; w++) {
        const mine = all.filter((r) => r.object.startsWith(`writer-${w}/`)).map((r) => r.object);
        expect(mine).toEqual(Array.from({ length: EACH }, (_, k) => `writer-${w}/${k}`));
      }
      expect(await verifyChain(knex)).toMatchObject({ ok: true, checked: total });
    });

    test("a chain of 20,000 entries is read in batches, with progress, and verified", async () => {
      for (let b = 0; b < 20; b++) await writeAudit(knex, Array.from({ length: 1000 }, (_, i) => entry(b * 1000 + i)));
      const sealStarted = Date.now();
      expect(await sealAudit(knex)).toBe(20_000);
      const sealMs = Date.now() - sealStarted;
      console.log(`[audit] sealed 20,000 entries in ${sealMs} ms = ${Math.round(20_000 / (sealMs / 1000))} entries/s`);
      const seen: number[] = [];
      const started = Date.now();
      const result = await verifyChain(knex, { batchSize: 5000, onProgress: (p) => seen.push(p.checked) });
      const ms = Date.now() - started;
      console.log(`[audit] verified 20,000 entries in ${ms} ms = ${Math.round(20_000 / (ms / 1000))} entries/s`);
      expect(result).toMatchObject({ ok: true, checked: 20_000 });
      expect(seen).toEqual([5000, 10_000, 15_000, 20_000, 20_000]);
    });

    test("a check with a deadline stops after the batch that passes it, and says it is incomplete", async () => {
      await writeEntries(knex, 5);
      const result = await verifyChain(knex, { batchSize: 2, deadline: Date.now() - 1 });
      expect(result).toMatchObject({ ok: false, complete: false, checked: 2, head: { id: "2" } });
      expect(result.broken).toBeUndefined();
    });
  });

  describe("the table is append-only for the application", () => {
    test("UPDATE and DELETE are refused, even of nothing", async () => {
      await writeEntries(knex, 3);
      await expect(knex("core_audit_log").where({ id: 2 }).update({ object: "other" })).rejects.toThrow(/core_audit_log is append-only: UPDATE refused/);
      await expect(knex("core_audit_log").where({ id: 2 }).del()).rejects.toThrow(/core_audit_log is append-only: DELETE refused/);
      await expect(knex("core_audit_log").where({ id: 999 }).del()).rejects.toThrow(/append-only/);
      await anchorAudit(knex, () => {});
      await expect(knex("core_audit_anchors").update({ hash: GENESIS })).rejects.toThrow(/core_audit_anchors is append-only: UPDATE refused/);
      await expect(knex.raw("truncate core_audit_anchors")).rejects.toThrow(/core_audit_anchors is append-only: TRUNCATE refused/);
      expect((await rows(knex)).map((r) => r.object)).toEqual(["obj/1", "obj/2", "obj/3"]);
    });
  });

  describe("edits made directly in SQL, by someone who gets around the trigger, are found at the right entry", () => {
    beforeEach(() => writeEntries(knex, 10));

    test("a row's content changed: broken at that entry (content)", async () => {
      await asSuperuser(knex, (trx) => trx("core_audit_log").where({ id: 4 }).update({ after: JSON.stringify({ n: 999 }) }));
      expect(await verifyChain(knex)).toMatchObject({
        ok: false,
        checked: 3,
        head: { id: "3" },
        broken: { id: "4", reason: "content", entry: { seq: "4", action: "accounts.update", object: "obj/4" } },
      });
    });

    test("any one column changed is a changed content: time, actor, tenant, action, object, before, seq, hash", async () => {
      const edits: Array<[string, Record<string, unknown>]> = [
        ["at", { at: knex.raw("at + interval '1 millisecond'") }],
        ["actor", { actor: JSON.stringify({ id: "u0", username: "user0", tenant: "440000" }) }],
        ["tenant", { tenant_code: "440000" }],
        ["action", { action: "accounts.create" }],
        ["object", { object: "obj/77" }],
        ["before", { before: null }],
        ["seq", { seq: 1007 }],
        ["hash", { hash: "f".repeat(64) }],
      ];
      for (const [, change] of edits) {
        await asSuperuser(knex, async (trx) => {
          const [saved] = await trx("core_audit_log").where({ id: 7 });
          await trx("core_audit_log").where({ id: 7 }).update(change);
          const result = await verifyChain(trx);
          expect(result.broken).toMatchObject({ id: "7", reason: "content" });
          await trx("core_audit_log").where({ id: 7 }).update({ ...saved, actor: JSON.stringify(saved.actor), before: JSON.stringify(saved.before), after: JSON.stringify(saved.after) });
        });
      }
      expect((await verifyChain(knex)).ok).toBe(true);
    });

    test("a middle row deleted: broken at the next entry (link)", async () => {
      await asSuperuser(knex, (trx) => trx("core_audit_log").where({ id: 5 }).del());
      const result = await verifyChain(knex);
      expect(result).toMatchObject({ ok: false, checked: 4, broken: { id: "6", reason: "link", entry: { seq: "6", object: "obj/6" } } });
      expect(result.broken!.message).toMatch(/entries are missing before entry 6: it comes after entry 4 \(number 4 in the chain\), and number 5 of the chain are not in the table/);
    });

    test("the first rows deleted: broken at the first that is left (link)", async () => {
      await asSuperuser(knex, (trx) => trx("core_audit_log").where("id", "<=", 2).del());
      expect((await verifyChain(knex)).broken).toMatchObject({ id: "3", reason: "link", message: expect.stringContaining("numbers 1 to 2") });
    });

    test("two rows swapped (their ids exchanged): broken at the first of them (order)", async () => {
      await asSuperuser(knex, async (trx) => {
        await trx("core_audit_log").where({ id: 5 }).update({ id: -5 });
        await trx("core_audit_log").where({ id: 6 }).update({ id: 5 });
        await trx("core_audit_log").where({ id: -5 }).update({ id: 6 });
      });
      const result = await verifyChain(knex);
      expect(result).toMatchObject({ ok: false, checked: 4, broken: { id: "5", reason: "order", entry: { seq: "6", object: "obj/6" } } });
      expect(result.broken!.message).toContain("number 5 is entry 6");
    });

    test("an entry moved later (rows 3 and 8 exchange everything but their ids): broken at 3 (order)", async () => {
      await asSuperuser(knex, async (trx) => {
        const [three] = await trx("core_audit_log").where({ id: 3 });
        const [eight] = await trx("core_audit_log").where({ id: 8 });
        const json = (r: Record<string, unknown>) => ({ ...r, actor: JSON.stringify(r.actor), before: JSON.stringify(r.before), after: JSON.stringify(r.after) });
        await trx.raw("alter table core_audit_log drop constraint core_audit_log_seq");
        await trx("core_audit_log").where({ id: 3 }).update({ ...json(eight), id: 3 });
        await trx("core_audit_log").where({ id: 8 }).update({ ...json(three), id: 8 });
        await trx.raw("alter table core_audit_log add constraint core_audit_log_seq unique (seq)");
      });
      expect((await verifyChain(knex)).broken).toMatchObject({ id: "3", reason: "order", entry: { seq: "8", object: "obj/8" } });
    });

    test("a forged entry slipped into a gap in the ids, hashed correctly: broken at it (link)", async () => {
      // a gap: a rolled-back transaction took id 11
      await knex.transaction(async (trx) => {
        await writeAudit(trx, entry(11));
        await trx.raw("select 1/0");
      }).catch(() => {});
      await writeEntries(knex, 2, 12);
      const [ten] = (await knex("core_audit_log").where({ id: 10 })) as AuditRow[];
      const forged: AuditRow = { ...ten, id: "11", seq: "1000", object: "obj/forged", prev_hash: ten.hash, hash: "" };
      forged.hash = rowHash(forged);
      await asSuperuser(knex, (trx) =>
        trx("core_audit_log").insert({ ...forged, actor: JSON.stringify(forged.actor), before: JSON.stringify(forged.before), after: JSON.stringify(forged.after) }),
      );
      expect((await verifyChain(knex)).broken).toMatchObject({ id: "11", reason: "link", entry: { object: "obj/forged" } });
    });

    test("the whole chain recomputed after a change (full access): it verifies alone, but the anchor taken before finds it", async () => {
      const logged: string[] = [];
      const { anchored } = (await anchorAudit(knex, (l) => logged.push(l))) as { anchored: { entryId: string; hash: string } };
      expect(logged).toEqual([`[audit] anchor 10 ${anchored.hash}`]);
      // the copy an operator kept, from the log line
      const [, entryId, hash] = /anchor (\d+) ([0-9a-f]+)/.exec(logged[0])!;

      await asSuperuser(knex, async (trx) => {
        const all = (await trx("core_audit_log").orderBy("id")) as AuditRow[];
        let prev = GENESIS;
        for (const r of all) {
          if (r.id === "4") r.after = { n: 999 };
          r.prev_hash = prev;
          r.hash = rowHash(r);
          prev = r.hash;
          await trx("core_audit_log").where({ id: r.id }).update({ after: JSON.stringify(r.after), prev_hash: r.prev_hash, hash: r.hash });
        }
      });
      expect(await verifyChain(knex)).toMatchObject({ ok: true, checked: 10 });

      // the stored anchor, if the attacker left it
      expect((await verifyChain(knex, { storedAnchors: true })).broken).toMatchObject({ id: "10", reason: "anchor", anchor: { entryId: "10", source: expect.stringMatching(/^anchor #1 of /) } });
      // and the copy kept outside, when the attacker rewrote the anchors too
      await asSuperuser(knex, (trx) => trx.raw("truncate core_audit_anchors"));
      const result = await verifyChain(knex, { storedAnchors: true, anchors: [{ entryId, hash, source: "the log of 28 Nov" }] });
      expect(result).toMatchObject({ ok: false, checked: 9, broken: { id: "10", reason: "anchor", entry: { object: "obj/10" }, anchor: { entryId: "10", hash, source: "the log of 28 Nov" } } });
      expect(result.broken!.message).toBe(`the log of 28 Nov says entry 10 has hash ${hash}; the table says ${(await knex("core_audit_log").where({ id: 10 }).first()).hash}: the chain up to it was rewritten`);
    });

    test("the log emptied and written again from scratch: the anchor's entry is missing", async () => {
      const { anchored } = (await anchorAudit(knex, () => {})) as { anchored: { entryId: string; hash: string } };
      await asSuperuser(knex, (trx) => trx.raw("truncate core_audit_log"));
      await writeEntries(knex, 3);
      expect(await verifyChain(knex)).toMatchObject({ ok: true, checked: 3 });
      expect((await verifyChain(knex, { anchors: [{ entryId: anchored.entryId, hash: anchored.hash }] })).broken).toMatchObject({
        id: "10",
        reason: "anchor",
        message: "an anchor names entry 10, which is not in the table",
      });
    });

    test("the newest entries deleted: the chain alone cannot tell, an anchor taken after them can", async () => {
      const { anchored } = (await anchorAudit(knex, () => {})) as { anchored: { entryId: string; hash: string } };
      await asSuperuser(knex, (trx) => trx("core_audit_log").where("id", ">", 8).del());
      expect(await verifyChain(knex)).toMatchObject({ ok: true, checked: 8 });
      expect((await verifyChain(knex, { storedAnchors: true })).broken).toMatchObject({ id: anchored.entryId, reason: "anchor" });
    });
  });
});

describe("the migration chains the entries written before it", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let knex: Knex;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 4 } });
    // the core migrations as they were before the chain
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gdpc-audit-migrations-"));
    for (const f of fs.readdirSync(CORE_MIGRATIONS).filter((f) => f < "20261128000200")) fs.copyFileSync(path.join(CORE_MIGRATIONS, f), path.join(dir, f));
  });
  afterAll(async () => {
    await knex.destroy();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("in id order, with their times cut to milliseconds; from then on new entries follow them", async () => {
    await runMigrations(knex, [{ name: "core", directory: dir }]);
    // as the old writer did, times with microseconds, ids with a gap
    for (let i = 1; i <= 2500; i++) {
      if (i === 1200) await knex.raw("select nextval('core_audit_log_id_seq')");
      await knex("core_audit_log").insert({
        at: knex.raw(`now() - interval '${i} milliseconds' + interval '123 microseconds'`),
        actor: JSON.stringify({ via: "start-up" }),
        tenant_code: "440000",
        action: "accounts.first-admin",
        object: `admin${i}`,
        before: null,
        after: i % 2 ? JSON.stringify({ i }) : null,
      });
    }
    await runMigrations(knex, [{ name: "core", directory: CORE_MIGRATIONS }]);
    const all = (await rows(knex)) as AuditRow[];
    expect(all).toHaveLength(2500);
    expect(all.map((r) => Number(r.seq))).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
    expect(Number(all[1200].id)).toBe(1202);
    const { rows: micro } = await knex.raw("select count(*)::int as n from core_audit_log where extract(microseconds from at)::int % 1000 <> 0");
    expect(micro[0].n).toBe(0);
    expect(await verifyChain(knex)).toMatchObject({ ok: true, checked: 2500 });

    await writeAudit(knex, entry(1));
    await sealAudit(knex);
    const last = (await knex("core_audit_log").orderBy("id", "desc").first()) as AuditRow;
    expect(last).toMatchObject({ seq: "2501", prev_hash: all[2499].hash });
    expect(await verifyChain(knex)).toMatchObject({ ok: true, checked: 2501 });
  });
});
