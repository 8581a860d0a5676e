import knexFactory, { type Knex } from "knex";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { runMigrations } from "../../../core/db/migrate";
import { permissionGate } from "../../../core/broker/middlewares";
import { tenantTree } from "../../../core/tenancy";
import type { SessionUser } from "../../../core/plugins/types";
import { anchorAudit, startAnchoring, type AnchorOutcome } from "../../../core/audit/anchors";
import { auditService } from "../../../core/audit/service";
import { verifyChain } from "../../../core/audit/verify";
import { createTestDatabase } from "../../support/db";
import { poll } from "../../support/http";
import { writeAudit } from "../../../core/audit/log";
import { asSuperuser, CORE_MIGRATIONS, emptyLog, entry, writeEntries } from "./support";

describe("anchors: the chain's head, published so that a rewrite of the whole table shows", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let knex: Knex;

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 12 } });
    await runMigrations(knex, [{ name: "core", directory: CORE_MIGRATIONS }]);
  });
  afterAll(async () => {
    await knex.destroy();
    await db.drop();
  });
  beforeEach(() => emptyLog(knex));

  const head = async () => (await knex("core_audit_log").orderBy("id", "desc").first()) as { id: string; seq: string; hash: string };

  test("an anchor is the head when there is something new since the last one, and its log line is the publication", async () => {
    const logged: string[] = [];
    const log = (l: string) => logged.push(l);
    expect(await anchorAudit(knex, log)).toEqual({ anchored: null, skipped: "empty" });

    await writeEntries(knex, 3);
    const first = await anchorAudit(knex, log);
    const h = await head();
    expect(first).toEqual({ anchored: { id: "1", at: expect.any(String), entryId: h.id, entrySeq: "3", hash: h.hash } });
    expect(logged).toEqual([`[audit] anchor 3 ${h.hash}`]);

    expect(await anchorAudit(knex, log)).toEqual({ anchored: null, skipped: "unchanged" });
    await writeEntries(knex, 2, 4);
    expect(await anchorAudit(knex, log)).toMatchObject({ anchored: { id: "2", entryId: "5", entrySeq: "5", hash: (await head()).hash } });
    expect(logged).toHaveLength(2);
    expect(await verifyChain(knex, { storedAnchors: true })).toMatchObject({ ok: true, checked: 5 });
  });

  test("nodes anchoring at the same moment write one anchor", async () => {
    await writeEntries(knex, 4);
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => anchorAudit(knex, () => {})));
    expect(outcomes.filter((o) => o.anchored)).toHaveLength(1);
    for (const o of outcomes.filter((o) => !o.anchored)) expect(["busy", "unchanged"]).toContain((o as { skipped: string }).skipped);
    expect(await knex("core_audit_anchors").count<{ count: string }[]>("* as count")).toEqual([{ count: "1" }]);
  });

  test("entries written since the last anchor that do not verify are not anchored: an error is logged, every time", async () => {
    await writeEntries(knex, 3);
    await anchorAudit(knex, () => {});
    await writeEntries(knex, 3, 4);
    await asSuperuser(knex, (trx) => trx("core_audit_log").where({ id: 5 }).update({ object: "obj/forged" }));
    const logged: string[] = [];
    for (let i = 0; i < 2; i++) {
      const outcome = (await anchorAudit(knex, (l) => logged.push(l))) as Extract<AnchorOutcome, { broken: unknown }>;
      expect(outcome).toMatchObject({ anchored: null, broken: { id: "5", reason: "content" } });
    }
    expect(logged).toEqual(Array(2).fill(expect.stringMatching(/^\[audit\] ERROR: the audit chain is broken at entry 5 \(content\): .*no anchor written/)));
    expect(await knex("core_audit_anchors").count<{ count: string }[]>("* as count")).toEqual([{ count: "1" }]);
  });

  test("anchoring checks only what came after the last anchor (which vouches for the rest); the full check finds an older edit", async () => {
    await writeEntries(knex, 3);
    await anchorAudit(knex, () => {});
    await asSuperuser(knex, (trx) => trx("core_audit_log").where({ id: 2 }).update({ object: "obj/forged" }));
    await writeEntries(knex, 2, 4);
    expect(await anchorAudit(knex, () => {})).toMatchObject({ anchored: { entryId: "5" } });
    expect((await verifyChain(knex, { storedAnchors: true })).broken).toMatchObject({ id: "2", reason: "content" });
  });

  test("the timer anchors every so often on its own, and stops", async () => {
    await writeEntries(knex, 2);
    const logged: string[] = [];
    const anchoring = startAnchoring(knex, { everyMs: 100, log: (l) => logged.push(l) });
    try {
      await poll("the first anchor", async () => logged.length, (n) => n >= 1);
      await writeEntries(knex, 1, 3);
      await poll("an anchor of the new head", async () => logged.length, (n) => n >= 2);
    } finally {
      await anchoring.stop();
    }
    expect(logged).toEqual([expect.stringMatching(/^\[audit\] anchor 2 [0-9a-f]{64}$/), `[audit] anchor 3 ${(await head()).hash}`]);
    await writeEntries(knex, 1, 4);
    await new Promise((r) => setTimeout(r, 300));
    expect(logged).toHaveLength(2);
  });

  describe("the API: GET /api/audit/anchors (anyone), GET /api/audit/verify (platform administrators)", () => {
    let broker: ServiceBroker;
    const admin: SessionUser = { id: "a1", username: "admin", tenantCode: "440000", roles: ["platform-admin"] };
    const purchaser: SessionUser = { id: "p1", username: "gzcz01", tenantCode: "440100", roles: ["purchaser"] };
    const call = (action: string, params: Record<string, unknown> = {}, user: SessionUser | null = null) =>
      broker.call(`audit.${action}`, params, { meta: { user } }) as Promise<Record<string, unknown>>;

    beforeAll(async () => {
      broker = new ServiceBroker({ logger: false, middlewares: [permissionGate(() => [], tenantTree())] });
      broker.createService(auditService(knex) as unknown as ServiceSchema);
      await broker.start();
    });
    afterAll(() => broker.stop());

    test("anyone lists the anchors, newest first, a page at a time", async () => {
      for (let i = 1; i <= 3; i++) {
        await writeEntries(knex, 1, i);
        await anchorAudit(knex, () => {});
      }
      const all = await call("anchors");
      expect(all).toMatchObject({ total: 3, page: 1, pageSize: 50 });
      expect((all.items as Array<{ entryId: string }>).map((a) => a.entryId)).toEqual(["3", "2", "1"]);
      expect((all.items as unknown[])[0]).toEqual({ id: "3", at: expect.any(String), entryId: "3", entrySeq: "3", hash: (await head()).hash });
      const second = await call("anchors", { page: "2", pageSize: "2" });
      expect(second).toMatchObject({ total: 3, page: 2, pageSize: 2, items: [{ entryId: "1" }] });
    });

    test("the check is for platform administrators: others are refused", async () => {
      await expect(call("verify")).rejects.toMatchObject({ type: "UNAUTHENTICATED" });
      await expect(call("verify", {}, purchaser)).rejects.toMatchObject({ type: "FORBIDDEN" });
    });

    test("it answers the verdict: the chain and every stored anchor, or the first broken entry", async () => {
      await writeEntries(knex, 4);
      await anchorAudit(knex, () => {});
      expect(await call("verify", {}, admin)).toMatchObject({
        ok: true,
        complete: true,
        checked: 4,
        head: { id: "4" },
        message: "the audit log verifies: 4 entries, and every anchor",
      });
      // an entry committed a moment ago, not sealed yet: counted apart, the log still verifies
      await writeAudit(knex, entry(5));
      const pending = await call("verify", {}, admin);
      expect(pending).toMatchObject({ ok: true, checked: 4, unsealed: 1, oldestUnsealedAt: expect.any(String) });
      expect(pending.message).toBe(`the audit log verifies: 4 entries, and every anchor; 1 entry written since ${pending.oldestUnsealedAt} is not sealed into the chain yet`);
      await asSuperuser(knex, (trx) => trx("core_audit_log").where({ id: 3 }).del());
      const broken = await call("verify", {}, admin);
      expect(broken).toMatchObject({ ok: false, checked: 2, broken: { id: "4", reason: "link" } });
      expect(broken.message).toMatch(/^the audit log is broken at entry 4 \(link\): entries are missing before entry 4/);
    });
  });
});
