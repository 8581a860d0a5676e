import { Client } from "pg";
import { benchDatabase } from "./lib";

async function main() {
  const db = await benchDatabase("scratch_inbox2");
  const c = new Client({ connectionString: db.url });
  await c.connect();
  const layouts: Record<string, string[]> = {
    "pk + partial unread": [`create table inbox (account_id uuid not null, notification_id bigint not null, read_at timestamptz, primary key (account_id, notification_id))`, `create index inbox_unread on inbox (account_id, notification_id) where read_at is null`],
    "pk only": [`create table inbox (account_id uuid not null, notification_id bigint not null, read_at timestamptz, primary key (account_id, notification_id))`],
    "pk include read_at": [`create table inbox (account_id uuid not null, notification_id bigint not null, read_at timestamptz, primary key (account_id, notification_id) include (read_at))`],
  };
  await c.query(`create table accounts as select gen_random_uuid() id from generate_series(1, 1000)`);
  const heavy = (await c.query(`select id from accounts limit 1`)).rows[0].id;
  for (const [name, ddl] of Object.entries(layouts)) {
    await c.query(`drop table if exists inbox`);
    for (const q of ddl) await c.query(q);
    // history: 2,000 notifications to everyone, half read
    await c.query(`insert into inbox select a.id, g, case when g % 2 = 0 then now() end from accounts a, generate_series(1, 2000) g`);
    await c.query(`vacuum analyze inbox`);
    let t0 = performance.now();
    for (let n = 2001; n <= 2100; n++) {
      await c.query("begin");
      await c.query(`insert into inbox (account_id, notification_id) select id, $1 from accounts`, [n]);
      await c.query("commit");
    }
    const insertMs = (performance.now() - t0) / 100;
    t0 = performance.now();
    for (let i = 0; i < 20; i++) await c.query(`select count(*) from inbox where account_id = $1 and read_at is null`, [heavy]);
    const countMs = (performance.now() - t0) / 20;
    t0 = performance.now();
    for (let i = 0; i < 20; i++) await c.query(`select notification_id from inbox where account_id = $1 and read_at is null order by notification_id desc limit 20`, [heavy]);
    const pageMs = (performance.now() - t0) / 20;
    console.log(`${name}: insert 1000 rows ${insertMs.toFixed(1)} ms; unread count (2,100 rows, 1,100 unread) ${countMs.toFixed(2)} ms; unread page ${pageMs.toFixed(2)} ms`);
  }
  await c.end();
  await db.close();
}
main();
