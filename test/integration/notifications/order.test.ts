import crypto from "node:crypto";
import { Batcher, rooms, writeDrafts, type PushEvent } from "../../../core/events/notifications";
import type { NotificationDraft } from "../../../core/events/inbox";
import { notifyPlatform, readyTab, sleep, until, type NotifyPlatform } from "./support";

/**
 * Notifications reach clients in the order they were committed, whichever node wrote them: ids
 * are drawn in commit order, each push names the one committed before it, and a gateway holds back
 * a push that overtook its predecessor. Batches of events are written in one transaction each and
 * pushed while the next batch is written.
 */
describe("live notifications: commit order", () => {
  let platform: NotifyPlatform;
  const lastId = (p: PushEvent) => p.items[p.items.length - 1].notification.id;

  beforeAll(async () => {
    platform = await notifyPlatform();
  });
  afterAll(() => platform.stop());

  const draft = (tenantCode: string, role: string, title = "order"): NotificationDraft => ({
    eventId: crypto.randomUUID(),
    kind: "test.order",
    title: { "zh-CN": title, en: title },
    link: null,
    instanceId: null,
    audience: { tenantCode, lineage: [tenantCode], roles: [role], ownerUnit: null, accounts: [], followersOf: null },
  });

  test("writers at once (as on several nodes): ids follow commit order, and each batch names the one before it", async () => {
    const knex = platform.kernel.db.knex;
    const people = [await platform.person({ roles: ["bank"], tenantCode: "440200" }), await platform.person({ roles: ["bank"], tenantCode: "440200" })];
    const batches = await Promise.all(Array.from({ length: 8 }, (_, i) => writeDrafts(knex, [draft("440200", "bank", `${i}a`), draft("440200", "bank", `${i}b`)])));
    const chain = batches.map((b) => b!).sort((a, b) => a.after - b.after);
    for (const b of chain) {
      const ids = b.items.map((i) => i.notification.id);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(ids[0]).toBeGreaterThan(b.after);
    }
    // no gaps in the chain: every batch follows the one committed just before it
    for (let i = 1; i < chain.length; i++) expect(chain[i].after).toBe(lastId(chain[i - 1]));
    for (const p of people) {
      const inbox = await knex("core_inbox").where({ account_id: p.id }).orderBy("notification_id").pluck("notification_id");
      expect(inbox.map(Number)).toEqual(chain.flatMap((b) => b.items.map((i) => i.notification.id)));
    }
  });

  test("a batch writes each event once: one given twice, or delivered before, makes nothing new", async () => {
    const knex = platform.kernel.db.knex;
    const p = await platform.person({ roles: ["bank"], tenantCode: "440400" });
    const [a, b] = [draft("440400", "bank", "a"), draft("440400", "bank", "b")];
    const first = await writeDrafts(knex, [a, { ...a }, b]);
    expect(first!.items.map((i) => i.notification.title.en)).toEqual(["a", "b"]);
    expect(first!.items[0].rooms).toEqual([rooms.role("440400", "bank")]);
    expect(await writeDrafts(knex, [b, { ...a, eventId: a.eventId.toUpperCase() }])).toBeNull();
    const c = draft("440400", "bank", "c");
    const second = await writeDrafts(knex, [a, c]);
    expect(second!.items.map((i) => i.notification.title.en)).toEqual(["c"]);
    expect(second!.after).toBe(lastId(first!));
    expect(await knex("core_inbox").where({ account_id: p.id }).count({ n: "*" })).toEqual([{ n: "3" }]);
  });

  test("a push that overtook the one committed before it waits for it; each client gets them in id order", async () => {
    const knex = platform.kernel.db.knex;
    const p = await platform.person({ roles: ["regulator"], tenantCode: "440500" });
    const t = await readyTab(platform.baseUrl, { token: p.token });
    const sockets = platform.sockets();
    await platform.raise({ tenantCode: "440500", roles: ["regulator"], title: { "zh-CN": "起点", en: "start" } });
    await until("the first", () => t.got.length === 1, 10_000, () => t.got);
    // Three batches committed one after the other (as by two nodes: written here, pushed by hand);
    // their pushes arrive in the order B, C, A.
    const a = (await writeDrafts(knex, [draft("440500", "regulator", "A1"), draft("440500", "regulator", "A2")]))!;
    const b = (await writeDrafts(knex, [draft("440500", "regulator", "B")]))!;
    const c = (await writeDrafts(knex, [draft("440500", "regulator", "C")]))!;
    expect(a.after).toBe(t.got[0].id);
    const before = sockets.stats;
    sockets.push(b.items, b.after);
    sockets.push(c.items, c.after);
    sockets.push(a.items, a.after);
    await until("all of them", () => t.got.length === 5, 5000, () => t.got.map((n) => n.title.en));
    expect(t.got.map((n) => n.title.en)).toEqual(["start", "A1", "A2", "B", "C"]);
    expect(sockets.stats.heldBack - before.heldBack).toBe(2);
    expect(sockets.stats.outOfOrder).toBe(before.outOfOrder);
    // The client reconnects with the newest id it saw: nothing it was sent is skipped.
    expect(t.lastId()).toBe(lastId(c));
    t.close();
  });

  test("a push whose predecessor never comes (its node died after committing) still goes, a moment later", async () => {
    const p = await platform.person({ roles: ["regulator"], tenantCode: "440600" });
    const t = await readyTab(platform.baseUrl, { token: p.token });
    const sockets = platform.sockets();
    // Written but never announced, as by a node that stopped between its commit and its broadcast.
    await writeDrafts(platform.kernel.db.knex, [draft("440600", "regulator", "lost push")]);
    const before = sockets.stats;
    await platform.raise({ tenantCode: "440600", roles: ["regulator"], title: { "zh-CN": "之后", en: "after it" } });
    await until("the next one", () => t.got.length === 1, 10_000);
    expect(t.got.map((n) => n.title.en)).toEqual(["after it"]);
    expect(sockets.stats.outOfOrder - before.outOfOrder).toBe(1);
    // and the one whose push was lost is in the inbox, where a list or a reconnect finds it
    const listed = await platform.api("/api/notifications", { token: p.token });
    expect(listed.body.items.map((n: { title: { en: string } }) => n.title.en)).toEqual(["after it", "lost push"]);
    t.close();
  });

  test("a burst from many transactions at once: every client gets each notification once, in id order", async () => {
    const people = [await platform.person({ roles: ["expert"], tenantCode: "440700" }), await platform.person({ roles: ["expert"], tenantCode: "440700" })];
    const tabs = await Promise.all(people.map((p) => readyTab(platform.baseUrl, { token: p.token })));
    const total = 60;
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < total) {
          const i = next++;
          await platform.raise({ tenantCode: "440700", roles: ["expert"], title: { "zh-CN": `#${i}`, en: `#${i}` } }, `burst-${i}`);
        }
      }),
    );
    await until("everything", () => tabs.every((t) => t.got.length >= total), 20_000, () => tabs.map((t) => t.got.length));
    await sleep(300);
    const inbox = (await platform.kernel.db.knex("core_inbox").where({ account_id: people[0].id }).orderBy("notification_id").pluck("notification_id")).map(Number);
    expect(inbox.length).toBe(total);
    for (const t of tabs) expect(t.got.map((n) => n.id)).toEqual(inbox);
    tabs.forEach((t) => t.close());
  });
});

describe("Batcher", () => {
  test("events that come while a batch is written make the next batch; those its waiters bring join it", async () => {
    const sizes: number[] = [];
    const batcher = new Batcher<number>(async (items) => {
      sizes.push(items.length);
      await sleep(5);
    });
    // eight publishers, each sending its next event once the previous one was handled, through a
    // few promise hops (as the relay's emits go through Moleculer)
    const hops = async () => {
      for (let i = 0; i < 3; i++) await null;
    };
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let k = 0; k < 3; k++) {
          await hops();
          await batcher.add(w);
        }
      }),
    );
    // the first goes alone (nothing was running), then no batch of one and the rest
    expect(sizes).toEqual([1, 8, 8, 7]);
  });

  test("a failed batch fails each of its events, and the next batch still runs", async () => {
    const batcher = new Batcher<number>(async (items) => {
      if (items.includes(13)) throw new Error("bad batch");
    });
    const results = await Promise.allSettled([batcher.add(13), batcher.add(1), batcher.add(2)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
  });
});
