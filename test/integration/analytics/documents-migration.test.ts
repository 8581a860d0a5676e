import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { runMigrations } from "../../../core/db/migrate";
import { documentCode, documentHash, verifyDocument, writeAudit } from "../../../core/sdk";
import { createTestDatabase } from "../../support/db";

const ROOT = path.resolve(__dirname, "../../..");
const CORE = path.join(ROOT, "core", "db", "migrations");
const ANALYTICS = path.join(ROOT, "plugins", "analytics", "migrations");

/**
 * The codes the analytics issued before core sealed documents keep verifying: migration
 * 20261207120100_documents_to_core copies analytics_documents into core_documents (each project's
 * last print current) and drops the old table. A database as it stood before, then the migration.
 */
describe("analytics' issued codes moved to core's sealed documents", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let knex: Knex;
  let before: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 4 } });
    before = fs.mkdtempSync(path.join(os.tmpdir(), "analytics-migrations-"));
    for (const f of fs.readdirSync(ANALYTICS).filter((f) => f < "20261207120100")) fs.copyFileSync(path.join(ANALYTICS, f), path.join(before, f));
  });

  afterAll(async () => {
    await knex?.destroy();
    await db?.drop();
    fs.rmSync(before, { recursive: true, force: true });
  });

  test("two prints of a payment record: both codes verify with what they said, the later one current", async () => {
    await runMigrations(knex, [{ name: "core", directory: CORE }, { name: "analytics", directory: before }]);
    const ocid = "ocds-xxxxxx-gd-migrated";
    const prints = [
      { content: { kind: "payments", ocid, total: "400000.00", payments: [{ date: "2026-06-10", amount: "400000.00" }] }, at: new Date("2026-06-11T02:00:00Z") },
      { content: { kind: "payments", ocid, total: "1200000.00", payments: [{ date: "2026-06-10", amount: "400000.00" }, { date: "2026-09-01", amount: "800000.00" }] }, at: new Date("2026-09-02T02:00:00Z") },
    ];
    const codes: string[] = [];
    for (const p of prints) {
      const hash = documentHash(p.content);
      const code = documentCode(hash);
      codes.push(code);
      // as the analytics wrote them: the copy, and the hash in the chain
      await knex("analytics_documents").insert({ code, hash, ocid, kind: "payments", tenant_code: "440100", content: JSON.stringify(p.content), issued_at: p.at });
      await writeAudit(knex, { actor: { system: "analytics" }, tenantCode: "440100", action: "analytics.document.issued", object: code, after: { ocid, kind: "payments", hash } });
    }

    const ran = await runMigrations(knex, [{ name: "core", directory: CORE }, { name: "analytics", directory: ANALYTICS }]);
    expect(ran.find((u) => u.name === "analytics")!.ran).toEqual(["20261207120100_documents_to_core.ts"]);
    expect(await knex.schema.hasTable("analytics_documents")).toBe(false);

    const [old, latest] = [await verifyDocument(knex, codes[0]), await verifyDocument(knex, codes[1])];
    expect(old).toMatchObject({ valid: true, issuer: "analytics", kind: "payments", reference: ocid, current: false, currentCode: codes[1], public: true, issuedAt: prints[0].at.toISOString(), name: { "zh-CN": "合同支付记录" } });
    expect(old.content).toEqual(prints[0].content);
    expect(latest).toMatchObject({ valid: true, current: true, currentCode: null });
  });
});
