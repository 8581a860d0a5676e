import { readConfig } from "../../core/config";
import { startKernel } from "../../core/kernel";
import { usernameKey } from "../../core/identity/accounts";
import { draftOf } from "../../core/events/notifications";
import { writeNotifications } from "../../core/events/inbox";
import { receiveOnce } from "../../core/events/receipts";
import { benchDatabase } from "./lib";
import crypto from "node:crypto";

async function main() {
  const db = await benchDatabase("scratch_inbox");
  const kernel = await startKernel({ ...readConfig({ LOG_LEVEL: "warn" }), port: 0, host: "127.0.0.1", databaseUrl: db.url, demoAccounts: false, outboxRelay: false } as never, () => {});
  const knex = kernel.db.knex;
  await knex("core_accounts").insert(Array.from({ length: 1000 }, (_, i) => ({ username: `b${i}`, username_key: usernameKey(`b${i}`), display_name: "b", tenant_code: "441300", unit_code: `u${i}`, roles: ["purchaser"] })));
  const tree = kernel.tenancy.tree;
  for (const batch of [1, 10, 50]) {
    const t0 = performance.now();
    for (let i = 0; i < 100; i += batch) {
      const drafts = Array.from({ length: batch }, () => draftOf(crypto.randomUUID(), { tenantCode: "441300", roles: ["purchaser"], title: "x" }, tree) as never);
      await knex.transaction(async (trx) => {
        for (const d of drafts) await receiveOnce(trx, "scratch", (d as { eventId: string }).eventId);
        await writeNotifications(trx, drafts);
      });
    }
    console.log(`batch ${batch}: 100 notifications × 1000 in ${(performance.now() - t0).toFixed(0)} ms`);
  }
  const [n] = await knex("core_notifications").insert({ event_id: crypto.randomUUID(), kind: "x", tenant_code: "441300", title: JSON.stringify({ en: "x" }) }).returning("id");
  await knex.raw(`explain (analyze, buffers) insert into core_inbox (account_id, notification_id) select id, ? from core_accounts where status='active' and tenant_code = any('{441300,440000}') and roles && '{purchaser}'`, [n.id]).then((r) => console.log(r.rows.map((x: any) => x["QUERY PLAN"]).join("\n")));
  for (const drop of ["alter table core_inbox drop constraint core_inbox_account_id_foreign", "alter table core_inbox drop constraint core_inbox_notification_id_foreign", "drop index core_inbox_unread", "drop index core_inbox_notification_id_index"]) {
    await knex.raw(drop);
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) {
      const drafts = [draftOf(crypto.randomUUID(), { tenantCode: "441300", roles: ["purchaser"], title: "x" }, tree) as never];
      await knex.transaction(async (trx) => { await writeNotifications(trx, drafts); });
    }
    console.log(`after ${drop}: ${((performance.now() - t0) / 20).toFixed(1)} ms per notification`);
  }
  await kernel.stop();
  await db.close();
}
main();
