import { intention, type Lifecycle, ok, plan } from "../supervision/support";
import { mallLifecycle as lifecycle } from "../emall/support";
import { readyTab, type Tab, until } from "../notifications/support";
import { usccCheckChar } from "../../../core/forms/formats";

const company = (division: string, n: number) => {
  const first17 = `91${division}${String(n).padStart(8, "0")}M`;
  return first17 + usccCheckChar(first17);
};
/** A small, seeded generator: the race is the same every run, and a failure can be replayed. */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BIDDERS = 24;
const QUOTES_EACH = 4;

describe("emall reverse auctions", () => {
  let l: Lifecycle;
  let projectId: string;
  const suppliers: Array<{ who: string; code: string; offerId: string }> = [];
  const tabs: Tab[] = [];

  const auction = (over: Record<string, unknown> = {}) => ({
    projectId, planLine: 0, title: "台式计算机网上竞价", requirements: "国产CPU，内存不少于8GB，三年上门保修", categoryCode: "A02010104", quantity: 4, maxUnitPrice: "4800.00",
    endsAt: "2021-03-01T10:30:00+08:00", ...over,
  });
  const quote = (s: { who: string; offerId: string }, id: string, unitPrice: string) => l.call(s.who, `/api/emall/auctions/${id}/quotes`, { method: "POST", body: { unitPrice, offerId: s.offerId } });
  const stateOf = async (id: string) => ok(await l.call("buyer", `/api/instances/${id}`)).state as string;

  beforeAll(async () => {
    l = await lifecycle();
    l.tokens.cityAdmin = await l.platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
    l.travel("2021-01-20");
    const started = ok(await l.start("buyer", "supervision.intention", intention({ projectName: "惠州市交通运输局电脑竞价采购", budget: "30000.00", expectedMonth: "2021-03" })), 201);
    ok(await l.take("buyer", started.id, "publish"));
    l.travel("2021-02-26");
    // room for the race's award at its dearest (4 × 4,550.00 when the lowest last quotes fall high on the grid) and the later tests' auctions
    const items = [{ category: "A02010104", name: "台式计算机", quantity: 4, unit: "台", unitPrice: "6000.00", amount: "24000.00" }];
    const p = ok(await l.start("buyer", "supervision.plan", plan(started.data.projectId, { method: "emall-direct", items, total: "24000.00" })), 201);
    ok(await l.take("buyer", p.id, "submit"));
    ok(await l.take("regulator", p.id, "file"));
    ok(await l.take("buyer", p.id, "choose-channel", { channel: "emall" }));
    projectId = started.data.projectId;
    l.travel("2021-02-27");
    let productId = "";
    // BIDDERS admitted dealers with an offer each in the category, and one more without an admission
    for (let i = 0; i <= BIDDERS; i++) {
      const code = company("441300", 8300 + i);
      const who = `s${i}`;
      ok(await l.call("admin", "/api/registries/suppliers", { method: "POST", body: { creditCode: code, name: `惠州市竞价供应商${i}有限公司`, sizeClass: "small", region: "441300", contactName: "王经理", contactPhone: "13800138000" } }), 201);
      l.tokens[who] = await l.platform.token({ roles: ["supplier"], tenantCode: "441300", unitCode: code });
      ok(await l.call(who, "/api/commodities/admissions", { method: "POST", body: { role: "dealer", licences: [{ kind: "营业执照", number: `L-${who}`, expiresOn: "2022-12-31" }] } }));
      if (i === BIDDERS) {
        suppliers.push({ who, code, offerId: "" });
        break;
      }
      ok(await l.call("cityAdmin", `/api/commodities/admissions/${code}/review`, { method: "POST", body: { decision: "admitted" } }));
      if (!productId) {
        productId = ok(await l.call(who, "/api/commodities/products", { method: "POST", body: { categoryCode: "A02010104", brand: "同方", model: "超越E500", name: "同方台式计算机", attributes: { cpu: "兆芯KX-6000", memoryGb: 8, storageGb: 256, os: "麒麟" } } })).id;
      }
      const offer = ok(await l.call(who, "/api/commodities/offers", { method: "POST", body: { productId, price: "4900.00", stock: 10, regions: ["441300"], deliveryDays: 3, warrantyMonths: 36 } }));
      suppliers.push({ who, code, offerId: offer.id });
    }
  }, 240_000);
  afterAll(async () => {
    tabs.forEach((t) => t.close());
    await l?.platform.stop();
  });

  test("an auction within the plan line's remaining budget only (plan-line-budget), ending in the future; at the public-tender threshold it is no e-mall purchase (emall.scope)", async () => {
    l.travel("2021-03-01T09:00:00+08:00");
    // emall.scope: 1,000 × 4,000.00 = 4,000,000.00, Guangdong's public-tender threshold: a public tender, whatever the plan holds
    const tender = await l.start("buyer", "emall.auction", auction({ quantity: 1000, maxUnitPrice: "4000.00" }));
    expect(tender.status).toBe(400);
    expect(tender.body.error.details).toEqual([expect.objectContaining({ path: "/maxUnitPrice", rule: "emall.scope" })]);
    expect(tender.body.error.details[0].message["zh-CN"]).toContain("4,000,000");
    const over = await l.start("buyer", "emall.auction", auction({ maxUnitPrice: "6000.01" }));
    expect(over.status).toBe(400);
    expect(over.body.error.details[0]).toMatchObject({ path: "/maxUnitPrice", rule: "plan-line-budget" });
    const past = await l.start("buyer", "emall.auction", auction({ endsAt: "2021-03-01T08:00:00+08:00" }));
    expect(past.status).toBe(400);
    expect(past.body.error.details[0]).toMatchObject({ path: "/endsAt", rule: "future" });
    const supplier = await l.start("s0", "emall.auction", auction());
    expect(supplier.status).toBe(403);
    expect(await l.platform.kernel.db.knex("emall_auctions").count({ n: "*" }).then((r) => Number(r[0].n))).toBe(0);
  });

  test("a seeded race of quotes from many suppliers: the lowest last quote wins, a tie to the earliest; the room sees the price fall; a quote at the end is refused; the winner confirms and it is an order to accept and pay", async () => {
    l.travel("2021-03-01T10:00:00+08:00");
    const a = ok(await l.start("buyer", "emall.auction", auction()), 201);
    expect(a.state).toBe("bidding");

    // bad quotes first: above the maximum, not admitted, not the supplier's offer, refused in the envelope (zh-CN, en)
    const above = await quote(suppliers[0], a.id, "4800.01");
    expect(above.status).toBe(400);
    expect(above.body.error.details[0]).toMatchObject({ path: "/unitPrice", rule: "max-price" });
    const notAdmitted = await l.call(suppliers[BIDDERS].who, `/api/emall/auctions/${a.id}/quotes`, { method: "POST", body: { unitPrice: "4000.00", offerId: suppliers[0].offerId } });
    expect(notAdmitted.status).toBe(400);
    expect(notAdmitted.body.error.details[0]).toMatchObject({ path: "/offerId", rule: "category" });
    const buyerQuote = await l.call("buyer", `/api/emall/auctions/${a.id}/quotes`, { method: "POST", body: { unitPrice: "4000.00", offerId: suppliers[0].offerId } });
    expect(buyerQuote.status).toBe(403);

    // two suppliers watch the room
    const watchers = await Promise.all([suppliers[0], suppliers[1]].map(async (s) => {
      const t = await readyTab(l.platform.baseUrl, { token: l.tokens[s.who] });
      tabs.push(t);
      const seen: Array<{ seq: number; unitPrice: string; bidder: string }> = [];
      t.socket.on("lowest", (m: { seq: number; unitPrice: string; bidder: string }) => seen.push(m));
      const joined = await new Promise<Record<string, unknown>>((resolve) => t.socket.emit("join", { action: "emall.auctions.join", params: { id: a.id } }, resolve));
      expect(joined).toMatchObject({ room: `emall.auctions:${a.id}` });
      return seen;
    }));

    // the race: every bidder quotes QUOTES_EACH times at once, prices on a coarse grid so that ties happen
    const rnd = mulberry32(20210301);
    const plan = suppliers.slice(0, BIDDERS).flatMap((s) => Array.from({ length: QUOTES_EACH }, () => ({ s, price: (4000 + Math.floor(rnd() * 12) * 50).toFixed(2) })));
    const answers = await Promise.all(plan.map(async (q) => ({ q, r: await quote(q.s, a.id, q.price) })));
    for (const { r } of answers) expect(r.status).toBe(200);
    // what the server accepted, in its own order: the last quote of each bidder, then lowest price, then earliest
    const last = new Map<string, { code: string; price: string; id: number; at: string }>();
    for (const { q, r } of answers) {
      const seen = last.get(q.s.code);
      if (!seen || Number(r.body.quoteId) > seen.id) last.set(q.s.code, { code: q.s.code, price: q.price, id: Number(r.body.quoteId), at: r.body.at });
    }
    const expected = [...last.values()].sort((x, y) => Number(x.price) - Number(y.price) || x.at.localeCompare(y.at) || x.id - y.id);
    expect(new Set(expected.map((e) => e.price)).size).toBeLessThan(expected.length); // the seed makes ties

    // every watcher ends on the last push, which names the lowest price by letter only
    const maxSeq = Math.max(...answers.map(({ r }) => Number(r.body.quoteId)));
    for (const seen of watchers) {
      await until("the last push", () => seen.some((m) => m.seq === maxSeq));
      const latest = seen.reduce((x, y) => (y.seq > x.seq ? y : x));
      expect(latest.unitPrice).toBe(expected[0].price);
      expect(latest.bidder).toMatch(/^[A-Z]+$/);
      expect(JSON.stringify(seen)).not.toContain(suppliers[2].code);
    }
    // a bidder sees the lowest and its own standing, never another's name
    const mine = ok(await l.call(suppliers[1].who, `/api/emall/auctions/${a.id}`));
    expect(mine.lowest.unitPrice).toBe(expected[0].price);
    expect(mine.me.rank).toBe(expected.findIndex((e) => e.code === suppliers[1].code) + 1);
    expect(mine.ranking).toBeNull();

    // server time decides: at the end exactly, a quote is clearly refused
    l.travel("2021-03-01T10:30:00+08:00");
    const late = await l.platform.api(`/api/emall/auctions/${a.id}/quotes`, { method: "POST", token: l.tokens[suppliers[3].who], body: { unitPrice: "3000.00", offerId: suppliers[3].offerId }, headers: { "Accept-Language": "en" } });
    expect(late.status).toBe(409);
    expect(late.body.error.details).toMatchObject({ rule: "ended" });
    expect(late.body.error.message).toMatch(/^Bidding ended at/);

    for (let i = 0; i < 100 && (await stateOf(a.id)) === "bidding"; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await stateOf(a.id)).toBe("awarded");
    const result = ok(await l.call("buyer", `/api/emall/auctions/${a.id}`));
    expect(result.ranking.map((r: { supplierCode: string; unitPrice: string }) => [r.supplierCode, r.unitPrice])).toEqual(expected.map((e) => [e.code, e.price]));
    const winner = suppliers.find((s) => s.code === expected[0].code)!;
    const loser = suppliers.find((s) => s.code === expected[1].code)!;

    // the award is an order of the line: held against its budget until the winner confirms
    const budget = ok(await l.call("buyer", `/api/emall/budget/${projectId}`));
    expect(budget.lines[0].spent).toBe((Number(expected[0].price) * 4).toFixed(2));
    expect((await l.take(loser.who, a.id, "confirm")).status).toBe(404);
    ok(await l.take(winner.who, a.id, "confirm"));
    ok(await l.take("buyer", a.id, "accept"));
    const paid = ok(await l.take("buyer", a.id, "pay"));
    expect(paid.state).toBe("paid");
    const order = (await l.platform.kernel.db.knex("emall_orders").where({ id: a.id }))[0];
    expect(order).toMatchObject({ supplier_code: winner.code, status: "paid", total: (Number(expected[0].price) * 4).toFixed(2) });
    // paid, an award is complete as a direct order is: emall.order.paid (credit's rating round opens on it)
    const [done] = await l.platform.kernel.db.knex("core_outbox").where({ event: "emall.order.paid" }).whereRaw("payload->>'instanceId' = ?", [a.id]);
    expect(done.payload.data).toMatchObject({ supplierCode: winner.code, paidLate: false });
  }, 120_000);

  test("an award the winner does not confirm within 72 hours lapses by the workflow's timer and gives the budget back", async () => {
    l.travel("2021-04-01T10:00:00+08:00");
    const a = ok(await l.start("buyer", "emall.auction", auction({ endsAt: "2021-04-01T10:30:00+08:00", maxUnitPrice: "1000.00" })), 201);
    ok(await quote(suppliers[5], a.id, "900.00"));
    l.travel("2021-04-01T10:30:00+08:00");
    for (let i = 0; i < 100 && (await stateOf(a.id)) === "bidding"; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await stateOf(a.id)).toBe("awarded");
    const spent = () => l.call("buyer", `/api/emall/budget/${projectId}`).then((r) => ok(r).lines[0].spent as string);
    const held = await spent();
    l.travel("2021-04-04T10:29:00+08:00");
    expect(await stateOf(a.id)).toBe("awarded");
    l.travel("2021-04-04T10:30:01+08:00");
    for (let i = 0; i < 100 && (await stateOf(a.id)) === "awarded"; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await stateOf(a.id)).toBe("lapsed");
    expect(Number(await spent())).toBe(Number(held) - 3600);
    expect((await l.take(suppliers[5].who, a.id, "confirm")).status).toBe(409);
  }, 60_000);

  test("extensions on late quotes only when the auction's own rule says so: a quote in the last minute moves the end, at most the set number of times, and the close follows", async () => {
    l.travel("2021-05-10T10:00:00+08:00");
    // by default none: a quote in the last seconds leaves the end where it was
    const plain = ok(await l.start("buyer", "emall.auction", auction({ endsAt: "2021-05-10T10:30:00+08:00", maxUnitPrice: "1000.00" })), 201);
    l.travel("2021-05-10T10:29:50+08:00");
    const lastSecond = ok(await quote(suppliers[6], plain.id, "950.00"));
    expect(lastSecond.endsAt).toBeUndefined();
    expect(ok(await l.call("buyer", `/api/emall/auctions/${plain.id}`))).toMatchObject({ endsAt: "2021-05-10T02:30:00.000Z", extension: null });

    l.travel("2021-05-10T11:00:00+08:00");
    const a = ok(await l.start("buyer", "emall.auction", auction({ endsAt: "2021-05-10T11:30:00+08:00", maxUnitPrice: "1000.00", extension: { withinSeconds: 60, bySeconds: 120, maxTimes: 2 } })), 201);
    l.travel("2021-05-10T11:28:00+08:00");
    expect(ok(await quote(suppliers[7], a.id, "990.00")).endsAt).toBeUndefined();
    l.travel("2021-05-10T11:29:30+08:00");
    expect(ok(await quote(suppliers[8], a.id, "980.00")).endsAt).toBe("2021-05-10T03:31:30.000Z");
    // the old end passes: still bidding, and a quote is taken
    l.travel("2021-05-10T11:30:30+08:00");
    await new Promise((r) => setTimeout(r, 500));
    expect(await stateOf(a.id)).toBe("bidding");
    expect(ok(await quote(suppliers[7], a.id, "970.00")).endsAt).toBe("2021-05-10T03:32:30.000Z");
    // the second extension was the last one the rule allows
    l.travel("2021-05-10T11:32:00+08:00");
    expect(ok(await quote(suppliers[8], a.id, "960.00")).endsAt).toBeUndefined();
    const shown = ok(await l.call("buyer", `/api/emall/auctions/${a.id}`));
    expect(shown).toMatchObject({ endsAt: "2021-05-10T03:32:30.000Z", extension: { withinSeconds: 60, bySeconds: 120, maxTimes: 2, used: 2 } });
    l.travel("2021-05-10T11:32:30+08:00");
    const late = await quote(suppliers[7], a.id, "950.00");
    expect(late.status).toBe(409);
    expect(late.body.error.details.rule).toBe("ended");
    for (let i = 0; i < 100 && (await stateOf(a.id)) === "bidding"; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await stateOf(a.id)).toBe("awarded");
    const order = await l.platform.kernel.db.knex("emall_orders").where({ id: a.id }).first();
    expect(order).toMatchObject({ supplier_code: suppliers[8].code, total: "3840.00" });
  }, 60_000);
});
