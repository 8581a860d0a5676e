import crypto from "node:crypto";
import { rooms } from "../../../core/events/notifications";
import type { NotificationView } from "../../../core/events/inbox";
import { notifyPlatform, readyTab, sleep, until, type NotifyPlatform } from "./support";

/**
 * The inbox through the API agrees with what was pushed: the same notifications, read and unread
 * alike; marking read on one tab tells the others. An event delivered twice is one notification;
 * a stalled client is cut off without holding up the others.
 */
describe("the notification inbox", () => {
  let platform: NotifyPlatform;

  beforeAll(async () => {
    platform = await notifyPlatform();
  });
  afterAll(() => platform.stop());

  test("what the API lists is what was pushed; reading on one tab updates the others", async () => {
    const p = await platform.person({ roles: ["regulator"], tenantCode: "441323" });
    const other = await platform.person({ roles: ["regulator"], tenantCode: "440900" });
    const [one, two] = [await readyTab(platform.baseUrl, { token: p.token }), await readyTab(platform.baseUrl, { token: p.token })];
    for (let i = 1; i <= 5; i++) {
      await platform.raise({ tenantCode: "441323", roles: ["regulator"], kind: "test.inbox", title: { "zh-CN": `第${i}条`, en: `No. ${i}` }, link: `/things/${i}` });
    }
    await until("pushed", () => one.got.length === 5 && two.got.length === 5);
    const pushed = one.got;
    expect(two.got).toEqual(pushed);

    const call = (path: string, init: Parameters<NotifyPlatform["api"]>[1] = {}) => platform.api(path, { token: p.token, ...init });
    const listed = await call("/api/notifications");
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ total: 5, unread: 5, page: 1, pageSize: 20 });
    expect(listed.body.items).toEqual([...pushed].reverse());
    expect(listed.body.items[0]).toMatchObject({ kind: "test.inbox", title: { "zh-CN": "第5条", en: "No. 5" }, link: "/things/5", tenantCode: "441323", read: false, readAt: null });
    expect((await call("/api/notifications/unread-count")).body).toEqual({ unread: 5 });
    const paged = await call("/api/notifications?page=2&pageSize=2");
    expect(paged.body.items.map((n: NotificationView) => n.id)).toEqual([pushed[2].id, pushed[1].id]);

    // Someone else cannot mark them read.
    const notMine = await platform.api("/api/notifications/read", { method: "POST", token: other.token, body: { ids: [pushed[0].id] } });
    expect(notMine.body).toEqual({ read: [], unread: 0 });

    const read = await call("/api/notifications/read", { method: "POST", body: { ids: [pushed[3].id, pushed[1].id] } });
    expect(read.body).toEqual({ read: [pushed[1].id, pushed[3].id], unread: 3 });
    await until("the other tab hears of it", () => two.reads.length === 1 && one.reads.length === 1);
    expect(two.reads[0]).toEqual({ ids: [pushed[1].id, pushed[3].id], unread: 3 });

    const unread = await call("/api/notifications?unread=1");
    expect(unread.body).toMatchObject({ total: 3, unread: 3 });
    expect(unread.body.items.map((n: NotificationView) => n.id)).toEqual([pushed[4].id, pushed[2].id, pushed[0].id]);

    // "all, up to what I have seen": one that arrives meanwhile stays unread
    await platform.raise({ tenantCode: "441323", roles: ["regulator"], title: { "zh-CN": "第6条", en: "No. 6" } });
    await until("the sixth", () => one.got.length === 6);
    const all = await call("/api/notifications/read", { method: "POST", body: { all: true, upTo: pushed[4].id } });
    expect(all.body).toEqual({ read: [pushed[0].id, pushed[2].id, pushed[4].id], unread: 1 });
    expect((await call("/api/notifications/read", { method: "POST", body: { all: true } })).body).toEqual({ read: [one.got[5].id], unread: 0 });
    const after = await call("/api/notifications");
    expect(after.body).toMatchObject({ total: 6, unread: 0 });
    expect(after.body.items.every((n: { read: boolean; readAt: string | null }) => n.read && n.readAt)).toBe(true);
    // what a reconnecting tab catches up says read too
    const three = await readyTab(platform.baseUrl, { token: p.token, lastId: pushed[3].id });
    expect(three.got.map((n) => [n.id, n.read])).toEqual([
      [pushed[4].id, true],
      [one.got[5].id, true],
    ]);
    [one, two, three].forEach((t) => t.close());
  });

  test("the inbox API: answers for bad input and for anonymous callers", async () => {
    const p = await platform.person({ roles: ["purchaser"], tenantCode: "441300" });
    expect((await platform.api("/api/notifications")).status).toBe(401);
    expect((await platform.api("/api/notifications/read", { method: "POST", token: p.token, body: {} })).status).toBe(400);
    expect((await platform.api("/api/notifications/read", { method: "POST", token: p.token, body: { ids: ["1; drop table"] } })).status).toBe(400);
    expect((await platform.api("/api/notifications?after=-1", { token: p.token })).status).toBe(400);
    expect((await platform.api("/api/notifications/follows", { method: "POST", token: p.token, body: { instanceId: crypto.randomUUID() } })).status).toBe(404);
  });

  test("an event delivered twice (even at once) makes one notification, pushed once", async () => {
    const p = await platform.person({ roles: ["regulator"], tenantCode: "441324" });
    const t = await readyTab(platform.baseUrl, { token: p.token });
    const params = {
      eventId: crypto.randomUUID(),
      event: "notifications.requested",
      key: null,
      at: new Date().toISOString(),
      data: { tenantCode: "441324", roles: ["regulator"], title: { "zh-CN": "重复投递", en: "Delivered twice" } },
    };
    await Promise.all([platform.kernel.broker.emit("notifications.requested", params), platform.kernel.broker.emit("notifications.requested", params)]);
    await platform.kernel.broker.emit("notifications.requested", params);
    await until("pushed", () => t.got.length >= 1);
    await sleep(300);
    expect(t.got.map((n) => n.title.en)).toEqual(["Delivered twice"]);
    expect(await platform.kernel.db.knex("core_notifications").where({ event_id: params.eventId }).count({ n: "*" })).toEqual([{ n: "1" }]);
    t.close();
  });

  test("a request that names no tenant or has no title is dropped and holds up nothing", async () => {
    const p = await platform.person({ roles: ["regulator"], tenantCode: "441324" });
    const t = await readyTab(platform.baseUrl, { token: p.token });
    await platform.raise({ tenantCode: "999999", roles: ["regulator"] }, "k");
    await platform.raise({ tenantCode: "441324", roles: ["regulator"], title: null as never }, "k");
    await platform.raise({ tenantCode: "441324", roles: ["regulator"], link: "javascript:alert(1)" }, "k");
    await platform.raise({ tenantCode: "441324", roles: ["regulator"], title: { "zh-CN": "正常", en: "Fine" } }, "k");
    await until("the good one", () => t.got.length >= 1);
    await sleep(200);
    expect(t.got.map((n) => n.title.en)).toEqual(["Fine"]);
    t.close();
  });

  test("a client that stops reading is cut off; the others get everything at once", async () => {
    const fast = await platform.person({ roles: ["expert"], tenantCode: "440100" });
    const slow = await platform.person({ roles: ["expert"], tenantCode: "440100" });
    const [f, s] = [await readyTab(platform.baseUrl, { token: fast.token }), await readyTab(platform.baseUrl, { token: slow.token })];
    const sockets = platform.sockets();
    const before = { users: sockets.stats.users, cutOff: sockets.stats.cutOff };
    // The slow one's process stops reading its TCP socket (a frozen tab, a dead network path).
    (s.socket.io.engine.transport as unknown as { ws: { _socket: { pause(): void; resume(): void } } }).ws._socket.pause();

    const total = 4000;
    const body = "x".repeat(4000); // ~4 kB each: 16 MB for each client, far beyond the kernel's buffers
    const started = Date.now();
    for (let i = 0; i < total; i += 100) {
      sockets.push(
        Array.from({ length: 100 }, (_, j) => ({
          notification: { id: 1e9 + i + j, kind: "test.flood", title: { "zh-CN": body, en: `${i + j}` }, link: null, tenantCode: "440100", instanceId: null, createdAt: new Date().toISOString() },
          // alternating audiences, so that each goes as a message of its own
          rooms: (i + j) % 2 ? [rooms.role("440100", "expert")] : [rooms.role("440100", "expert"), rooms.tenant("440100")],
        })),
      );
      await new Promise((r) => setImmediate(r));
    }
    await until("the fast client has everything", () => f.got.length === total, 20_000, () => f.got.length);
    const tookMs = Date.now() - started;
    expect(f.got.map((n) => Number(n.title.en))).toEqual(Array.from({ length: total }, (_, i) => i));
    await until("the slow one is cut off", () => sockets.stats.cutOff > before.cutOff && sockets.stats.users === before.users - 1, 5000, () => sockets.stats);
    // When it reads again it learns the connection is gone (and would reconnect and catch up).
    (s.socket.io.engine.transport as unknown as { ws: { _socket: { resume(): void } } }).ws._socket.resume();
    await until("the slow client sees the disconnect", () => s.disconnects.length > 0, 10_000);
    expect(s.disconnects[0]).toBe("transport close");
    expect(tookMs).toBeLessThan(15_000);
    f.close();
    s.close();
  });
});
