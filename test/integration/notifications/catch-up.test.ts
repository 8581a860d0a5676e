import { notifyPlatform, readyTab, sleep, tab, until, type NotifyPlatform, type Person } from "./support";

/**
 * Nothing is missed while a client is away: it reconnects with the last id it saw and gets what
 * it missed, in order, once, then the live ones. The inbox is the truth; the socket the fast path.
 */
describe("live notifications: catching up after a reconnect", () => {
  let platform: NotifyPlatform;
  const inboxIds = async (p: Person): Promise<number[]> =>
    (await platform.kernel.db.knex("core_inbox").where({ account_id: p.id }).orderBy("notification_id").select("notification_id")).map((r) => Number(r.notification_id));
  /** (no socket of theirs is connected to see them arrive: watch the inbox) */
  async function inboxReaches(p: Person, n: number): Promise<void> {
    for (let i = 0; (await inboxIds(p)).length < n; i++) {
      if (i > 400) throw new Error(`the inbox did not reach ${n}`);
      await sleep(25);
    }
  }

  beforeAll(async () => {
    platform = await notifyPlatform();
  });
  afterAll(() => platform.stop());

  test("disconnect, three notifications raised, reconnect: exactly those three, in order, then live ones", async () => {
    const p = await platform.person({ roles: ["regulator"], tenantCode: "441300" });
    const before = await readyTab(platform.baseUrl, { token: p.token });
    await platform.raise({ tenantCode: "441300", roles: ["regulator"], title: { "zh-CN": "之前", en: "before" } });
    await until("the first one", () => before.got.length === 1);
    const lastId = before.lastId();
    before.close();

    for (const n of [1, 2, 3]) await platform.raise({ tenantCode: "441300", roles: ["regulator"], title: { "zh-CN": `离线 ${n}`, en: `away ${n}` } }, `key-${n}`);
    await inboxReaches(p, 4);

    const after = await readyTab(platform.baseUrl, { token: p.token, lastId });
    expect(after.got.map((n) => n.title.en)).toEqual(["away 1", "away 2", "away 3"]);
    expect(after.ready[0]).toMatchObject({ caughtUp: 3, complete: true, lastId: after.lastId(), unread: 4 });
    const caughtUp = after.got.map((n) => n.id);
    expect(caughtUp).toEqual([...caughtUp].sort((a, b) => a - b));
    expect(caughtUp[0]).toBeGreaterThan(lastId);

    await platform.raise({ tenantCode: "441300", roles: ["regulator"], title: { "zh-CN": "在线 1", en: "live 1" } });
    await platform.raise({ tenantCode: "441300", roles: ["regulator"], title: { "zh-CN": "在线 2", en: "live 2" } });
    await until("the live ones", () => after.got.length >= 5);
    await sleep(200);
    expect(after.got.map((n) => n.title.en)).toEqual(["away 1", "away 2", "away 3", "live 1", "live 2"]);
    expect(after.got.map((n) => n.id)).toEqual((await inboxIds(p)).slice(1));
    after.close();
  });

  test("dropped connections while notifications keep coming: every one arrives, once, in order", async () => {
    const p = await platform.person({ roles: ["regulator"], tenantCode: "441302" });
    // What a browser does: reconnect by itself, each time with the last id it saw.
    const t = tab(platform.baseUrl, () => ({ token: p.token, lastId: t.lastId() }), { reconnection: true });
    await until("ready", () => t.ready.length === 1);
    const total = 80;
    const raising = (async () => {
      for (let i = 0; i < total; i++) {
        await platform.raise({ tenantCode: "441302", roles: ["regulator"], title: { "zh-CN": `第 ${i} 条`, en: `#${i}` } }, `stream-${i % 3}`);
        await sleep(Math.random() * 15);
      }
    })();
    // The network drops five times (the client notices and reconnects).
    for (let drop = 0; drop < 5; drop++) {
      await sleep(60 + Math.random() * 120);
      t.socket.io.engine.close();
      await until("reconnected", () => t.ready.length === drop + 2, 10_000, () => t.disconnects);
    }
    await raising;
    await until("everything", () => t.got.length >= total, 15_000, () => t.got.length);
    await sleep(300);
    const ids = t.got.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length); // no repeats
    expect(ids).toEqual([...ids].sort((a, b) => a - b)); // in order
    expect(ids).toEqual(await inboxIds(p)); // and nothing missed
    expect(t.disconnects.length).toBe(5);
    t.close();
  });

  test("without a last id, a client starts from now: history is the API's", async () => {
    const p = await platform.person({ roles: ["regulator"], tenantCode: "441303" });
    await platform.raise({ tenantCode: "441303", roles: ["regulator"] });
    await platform.raise({ tenantCode: "441303", roles: ["regulator"] });
    await inboxReaches(p, 2);
    const t = await readyTab(platform.baseUrl, { token: p.token });
    expect(t.got).toEqual([]);
    const ids = await inboxIds(p);
    expect(t.ready[0]).toMatchObject({ lastId: ids[1], caughtUp: 0, complete: true, unread: 2 });
    t.close();
  });

  test("a client away for long gets the first 1,000 over the socket and is told to page through the rest", async () => {
    const p = await platform.person({ roles: ["regulator"], tenantCode: "441322" });
    const knex = platform.kernel.db.knex;
    // 1,050 notifications written straight into the inbox (as the service would, minus the pushes)
    await knex.transaction(async (trx) => {
      const { rows } = await trx.raw(
        `insert into core_notifications (event_id, kind, tenant_code, title, link)
         select gen_random_uuid(), 'test', '441322', jsonb_build_object('zh-CN', '旧 ' || g, 'en', 'old ' || g), null from generate_series(1, 1050) g returning id`,
      );
      await trx("core_inbox").insert(rows.map((r: { id: string }) => ({ account_id: p.id, notification_id: r.id })));
    });
    const all = await inboxIds(p);
    const t = await readyTab(platform.baseUrl, { token: p.token, lastId: 0 });
    expect(t.got.map((n) => n.id)).toEqual(all.slice(0, 1000));
    expect(t.ready[0]).toMatchObject({ caughtUp: 1000, complete: false, lastId: all[999] });
    const rest = await platform.api(`/api/notifications?after=${all[999]}&pageSize=100`, { token: p.token });
    expect(rest.status).toBe(200);
    expect(rest.body.items.map((n: { id: number }) => n.id)).toEqual(all.slice(1000));
    t.close();
  });
});
