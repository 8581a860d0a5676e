import type { Knex } from "knex";

// The names as the analytics issued them (services/documents.ts): history, kept here as it was.
const NAMES: Record<string, { "zh-CN": string; en: string }> = {
  tender: { "zh-CN": "采购公告", en: "tender notice" },
  award: { "zh-CN": "中标（成交）结果公告", en: "award notice" },
  contract: { "zh-CN": "合同公告", en: "contract notice" },
  payments: { "zh-CN": "合同支付记录", en: "payment record" },
};

export async function up(knex: Knex): Promise<void> {
  // Printed documents are now sealed by core (core_documents), which answers every code at
  // /api/verify: the codes issued before keep verifying there, each project's last print current.
  for (const [kind, name] of Object.entries(NAMES)) {
    await knex.raw(
      `insert into core_documents (code, hash, algorithm, issuer, kind, reference, name, tenant_code, public, content, current, issued_at)
       select d.code, d.hash, 'sha256', 'analytics', d.kind, d.ocid, ?::jsonb, d.tenant_code, true, d.content,
              d.issued_at = max(d.issued_at) over (partition by d.ocid, d.kind), d.issued_at
         from analytics_documents d where d.kind = ?
       on conflict (code) do nothing`,
      [JSON.stringify(name), kind],
    );
  }
  await knex.schema.dropTable("analytics_documents");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.createTable("analytics_documents", (t) => {
    t.text("code").primary();
    t.text("hash").notNullable();
    t.text("ocid").notNullable();
    t.text("kind").notNullable();
    t.string("tenant_code", 6).notNullable();
    t.jsonb("content").notNullable();
    t.timestamp("issued_at", { useTz: true }).notNullable();
  });
  await knex.raw(
    `insert into analytics_documents (code, hash, ocid, kind, tenant_code, content, issued_at)
     select code, hash, reference, kind, tenant_code, content, issued_at from core_documents where issuer = 'analytics'`,
  );
}
