import { runTool } from "../../support/processes";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { runMigrations } from "../../../core/db/migrate";
import { writeAudit } from "../../../core/audit/log";
import { anchorAudit } from "../../../core/audit/anchors";
import { sealAudit } from "../../../core/audit/seal";
import { GENESIS, rowHash, type AuditRow } from "../../../core/audit/chain";
import { createTestDatabase } from "../../support/db";
import { freePort } from "../../support/processes";
import { asSuperuser, CORE_MIGRATIONS, emptyLog, entry, writeEntries } from "./support";

/** npm run audit:verify, as an operator runs it on the server (DATABASE_URL set) */
const cli = (args: string[], env: Record<string, string | undefined>) => runTool("core/audit/verify-cli.ts", args, env);

describe("npm run audit:verify: the whole chain and every anchor, and the first broken entry by name", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let knex: Knex;
  let dir: string;
  const run = (...args: string[]) => cli(args, { DATABASE_URL: db.url });

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 4 } });
    await runMigrations(knex, [{ name: "core", directory: CORE_MIGRATIONS }]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gdpc-audit-"));
  });
  afterAll(async () => {
    await knex.destroy();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await emptyLog(knex);
    await writeEntries(knex, 10);
  });

  test("a good chain: exit 0, the verdict with the head, the anchors counted", async () => {
    const logged: string[] = [];
    await anchorAudit(knex, (l) => logged.push(l));
    const head = (await knex("core_audit_log").where({ id: 10 }).first()) as AuditRow;
    const { code, stdout, stderr } = await run();
    expect({ code, stdout }).toEqual({ code: 0, stdout: `OK: the audit chain verifies: 10 entries and 1 stored anchor(s); head: entry 10 (number 10) ${head.hash}\n` });
    expect(stderr).toMatch(/^\[audit:verify\] 10 entries checked in [\d.]+ s\n$/);

    const file = path.join(dir, "platform.log");
    fs.writeFileSync(file, `[start] node n1 ready\n${logged[0]}\n`);
    const given = await run("--anchor", `10:${head.hash}`, "--anchors-from", file);
    expect(given.code).toBe(0);
    expect(given.stdout).toContain("10 entries and 1 stored anchor(s) and 2 given");
  });

  test("a row changed in SQL: exit 2, and the entry named with its time, action and object", async () => {
    await asSuperuser(knex, (trx) => trx("core_audit_log").where({ id: 4 }).update({ object: "obj/44" }));
    const at = ((await knex("core_audit_log").where({ id: 4 }).first()) as AuditRow).at.toISOString();
    const { code, stdout } = await run();
    expect(code).toBe(2);
    expect(stdout).toBe(
      [
        "BROKEN at entry 4 (content): entry 4 was changed: its content no longer gives its stored hash",
        `  entry 4: number 4, at ${at}, action accounts.update, object obj/44, tenant 441300`,
        "  3 entries before it verify, up to entry 3",
        "",
      ].join("\n"),
    );
  });

  test("a row deleted: exit 2 at the entry after it; --json gives the whole result", async () => {
    await asSuperuser(knex, (trx) => trx("core_audit_log").where({ id: 7 }).del());
    const { code, stdout } = await run("--json");
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, checked: 6, head: { id: "6" }, broken: { id: "8", reason: "link", entry: { seq: "8", object: "obj/8" } } });
  });

  test("the table rewritten consistently: only an anchor kept outside finds it (exit 2, the anchored entry)", async () => {
    const logged: string[] = [];
    await anchorAudit(knex, (l) => logged.push(l));
    await asSuperuser(knex, async (trx) => {
      const all = (await trx("core_audit_log").orderBy("id")) as AuditRow[];
      let prev = GENESIS;
      for (const r of all) {
        if (r.id === "2") r.object = "obj/rewritten";
        r.prev_hash = prev;
        r.hash = rowHash(r);
        prev = r.hash;
        await trx("core_audit_log").where({ id: r.id }).update({ object: r.object, prev_hash: r.prev_hash, hash: r.hash });
      }
      // the attacker rewrites the stored anchors too
      await trx.raw("truncate core_audit_anchors");
    });
    expect((await run()).code).toBe(0);

    const file = path.join(dir, "shipped.log");
    fs.writeFileSync(file, `2026-11-28 10:00 ${logged[0]}\n`);
    const { code, stdout } = await run("--anchors-from", file);
    expect(code).toBe(2);
    expect(stdout).toMatch(new RegExp(`^BROKEN at entry 10 \\(anchor\\): ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:1 says entry 10 has hash [0-9a-f]{64}; the table says [0-9a-f]{64}: the chain up to it was rewritten$`, "m"));
    expect(stdout).toContain("  anchor: entry 10 ");
  });

  test("entries not sealed yet: counted, not checked, the chain verifies (exit 0); a large log: progress on stderr while it checks", async () => {
    for (let b = 0; b < 10; b++) await writeAudit(knex, Array.from({ length: 1000 }, (_, i) => entry(100 + b * 1000 + i)));
    const before = await run();
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/^OK: the audit chain verifies: 10 entries .*\n  10,000 newer entries \(since \d{4}-\d\d-\d\dT[\d:.]+Z\) are not sealed into the chain yet: checked once sealed\n$/);
    await sealAudit(knex);
    const { code, stdout, stderr } = await run();
    expect(code).toBe(0);
    expect(stdout).toMatch(/^OK: the audit chain verifies: 10,010 entries/);
    const lines = stderr.trim().split("\n");
    expect(lines[0]).toBe("[audit:verify] 2,000 entries checked, up to entry 2000 of 10010 (19%)");
    expect(lines[lines.length - 1]).toMatch(/^\[audit:verify\] 10,010 entries checked in [\d.]+ s$/);
  });

  test("what it cannot check: exit 1 and why (bad arguments, no database, a database the platform never started on)", async () => {
    const bad = await run("--anchor", "10:xyz");
    expect(bad).toMatchObject({ code: 1, stdout: "" });
    expect(bad.stderr).toContain("--anchor 10:xyz: expected <entryId>:<hash>, the hash as 64 hexadecimal digits");
    expect(bad.stderr).toContain("usage: npm run audit:verify");
    expect((await run("--nope")).code).toBe(1);

    const nobody = await cli([], { DATABASE_URL: `postgres://postgres:x@127.0.0.1:${await freePort()}/procurement` });
    expect(nobody).toMatchObject({ code: 1, stdout: "" });
    expect(nobody.stderr).toMatch(/^\[audit:verify\] the audit log could not be checked: cannot reach 127\.0\.0\.1:\d+\/procurement \(DATABASE_URL\)/);

    const fresh = await createTestDatabase();
    try {
      const empty = await cli([], { DATABASE_URL: fresh.url });
      expect(empty.code).toBe(1);
      expect(empty.stderr).toContain("has no table core_audit_anchors yet");
    } finally {
      await fresh.drop();
    }
  });
});
