import { newKeyPair, openShare, sealBid, softwareSigner, unwrapBidderKey, type SealedBid } from "../../../plugins/etrading/sealed";
import { tab, until, type Tab } from "../notifications/support";
import { PROCEDURES } from "../../../plugins/etrading/services/procedures";
import { packageOf, publishedTender, registerCustodianKeys, sealAs, startBidsWorld, stopBidsWorld, submit, SUPPLIERS, type BidsWorld } from "./bids-support";

interface HallEvent {
  id: number;
  kind: string;
  data: Record<string, unknown>;
}

/** A browser in the hall: its socket and what the hall pushed to it. */
interface Seat {
  tab: Tab;
  events: HallEvent[];
  /** who is present, as the pushed changes leave it */
  present: Map<string, { role: string; name: string }>;
  counts: number[];
  joined: Record<string, unknown> & { error?: { code: string; message: string; details?: { rule?: string } } };
}

/**
 * The live opening hall (plugins/etrading/README.md, "Opening hall"): who may enter, what is
 * announced live and read back by GET, the decryption window and its end (ebid.decryptionFailure),
 * the bidder's own decryption, and what too few valid bids leave (tender.minBidders,
 * tender.twoBidders.negotiation).
 */
describe("etrading opening hall", () => {
  let w: BidsWorld;
  const seats: Seat[] = [];

  beforeAll(async () => {
    w = await startBidsWorld();
  });
  afterEach(() => {
    seats.splice(0).forEach((s) => s.tab.close());
    w.platform.kernel.clock.reset();
  });
  afterAll(() => stopBidsWorld(w));

  const hourAhead = () => new Date(Math.ceil(Date.now() / 1000) * 1000 + 3600_000);

  async function enter(token: string, tenderId: string, headers: Record<string, string> = {}): Promise<Seat> {
    const t = tab(w.platform.baseUrl, { token, ...headers });
    await until("connected", () => t.socket.connected || t.disconnects.length > 0);
    const seat: Seat = { tab: t, events: [], present: new Map(), counts: [], joined: {} };
    t.socket.on("hall", (e: HallEvent) => seat.events.push(e));
    t.socket.on("presence", (p: { joined: Array<{ accountId: string; role: string; name: string }>; left: string[]; count: number }) => {
      for (const j of p.joined) seat.present.set(j.accountId, j);
      for (const l of p.left) seat.present.delete(l);
      seat.counts.push(p.count);
    });
    seat.joined = await new Promise((resolve) => t.socket.emit("join", { action: "etrading.hall.join", params: { id: tenderId } }, resolve));
    seats.push(seat);
    return seat;
  }

  const api = (path: string, token: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) => w.platform.api(path, { token, ...init });

  async function handIn(tender: string, c: "agency" | "purchaser" | "supervisor", only?: string[]) {
    const f = await api(`/api/etrading/tenders/${tender}/opening/custodians/${c}/shares`, w.tokens[c]);
    const shares = f.body.bids
      .filter((x: { bidId: string }) => !only || only.includes(x.bidId))
      .map((x: { bidId: string; tenderId: string; shares: SealedBid["shares"] }) => ({ bidId: x.bidId, share: openShare(x, c, w.keys[c].privateKey) }));
    const r = await api(`/api/etrading/tenders/${tender}/opening/shares`, w.tokens[c], { method: "POST", body: { custodian: c, shares } });
    expect(r.status).toBe(200);
    return r.body;
  }

  /** A tender with two sealed bids, at its deadline, opened by the agency's and the purchaser's shares. */
  async function openedWithTwoBids(extra?: Parameters<typeof publishedTender>[2]): Promise<string> {
    const deadline = hourAhead();
    const tender = await publishedTender(w, deadline, extra);
    await registerCustodianKeys(w, tender);
    await submit(w, 0, tender, await sealAs(w, 0, tender, packageOf("398000.00")));
    await submit(w, 1, tender, await sealAs(w, 1, tender, packageOf("399000.00")));
    w.platform.kernel.clock.travelTo(deadline);
    await handIn(tender, "agency");
    await handIn(tender, "purchaser");
    return tender;
  }

  test("who may enter: nobody before the deadline; bidders, custodians, host and regulator after it; a stranger is refused with a clear error", async () => {
    const deadline = hourAhead();
    const tender = await publishedTender(w, deadline);
    await registerCustodianKeys(w, tender);
    await submit(w, 0, tender, await sealAs(w, 0, tender, packageOf("398000.00")));

    const early = await enter(w.suppliers[0], tender);
    expect(early.joined.error).toMatchObject({ code: "CONFLICT", details: { rule: "tender.opening.atDeadline" } });
    w.platform.kernel.clock.travelTo(deadline);

    // supplier 1 obtained the documents but did not bid; the outsider runs another unit's procurements
    for (const token of [w.suppliers[1], w.tokens.outsider]) {
      const s = await enter(token, tender);
      expect(s.joined.error).toMatchObject({ code: "FORBIDDEN", details: { rule: "hall-participant" } });
      expect(s.joined.error!.message).toMatch(/不能进入开标大厅/);
      expect((await api(`/api/etrading/tenders/${tender}/hall`, token)).status).toBe(403);
    }
    const en = await enter(w.suppliers[1], tender, { lang: "en" });
    expect(en.joined.error!.message).toMatch(/cannot enter its hall/);

    const bidder = await enter(w.suppliers[0], tender);
    expect(bidder.joined).toMatchObject({ room: `etrading.hall:${tender}`, me: { roles: ["bidder"], supplierCode: SUPPLIERS[0] } });
    const host = await enter(w.tokens.agency, tender);
    expect(host.joined.me).toMatchObject({ roles: ["host", "custodian"], custodians: ["agency"] });
    const regulator = await enter(w.tokens.supervisor, tender);
    expect((regulator.joined.me as { roles: string[] }).roles).toEqual(expect.arrayContaining(["custodian", "regulator"]));

    // everyone in the hall sees who is present, live, and a reload reads the same
    const roles = () => [...bidder.present.values()].map((p) => p.role).sort();
    await until("bidder sees all three present", () => bidder.counts.includes(3) && roles().includes("custodian"), 10_000, () => [bidder.counts, roles()]);
    const state = await api(`/api/etrading/tenders/${tender}/hall`, w.tokens.purchaser);
    expect(state.status).toBe(200);
    expect(state.body.present.map((p: { role: string }) => p.role).sort()).toEqual(["bidder", "custodian", "host"]);
    expect(state.body.present.find((p: { role: string }) => p.role === "bidder").name).toBe("惠州市第1照明科技有限公司");
    regulator.tab.close();
    await until("a leaver is gone", () => bidder.counts[bidder.counts.length - 1] === 2 && !roles().includes("custodian"), 10_000, () => [bidder.counts, roles()]);
    expect((await api(`/api/etrading/tenders/${tender}/hall`, w.tokens.purchaser)).body.present).toHaveLength(2);
  });

  test("tender.opening.noEvaluators: an evaluation expert is refused at the hall's door and by GET, with a clear error in zh-CN and en", async () => {
    const deadline = hourAhead();
    const tender = await publishedTender(w, deadline);
    await registerCustodianKeys(w, tender);
    await submit(w, 0, tender, await sealAs(w, 0, tender, packageOf("398000.00")));
    w.platform.kernel.clock.travelTo(deadline);
    const expert = await w.platform.token({ tenantCode: "441300", roles: ["expert"] });
    const seat = await enter(expert, tender);
    expect(seat.joined.error).toMatchObject({ code: "FORBIDDEN", details: { rule: "tender.opening.noEvaluators" } });
    expect(seat.joined.error!.message).toMatch(/不得参加开标活动/);
    const en = await api(`/api/etrading/tenders/${tender}/hall`, expert, { headers: { "accept-language": "en" } });
    expect([en.status, en.body.error.details.rule]).toEqual([403, "tender.opening.noEvaluators"]);
    expect(en.body.error.message).toMatch(/may not attend the opening/);
    // nor does an expert account that also holds a regulator's role get in
    const both = await w.platform.token({ tenantCode: "441300", roles: ["regulator", "expert"], unitCode: "441300001" });
    expect((await api(`/api/etrading/tenders/${tender}/hall`, both)).body.error.details.rule).toBe("tender.opening.noEvaluators");
    // the host is still admitted
    expect((await api(`/api/etrading/tenders/${tender}/hall`, w.tokens.agency)).status).toBe(200);
  });

  test("nonTender.invitation and consultation.invitation: an inquiry or a competitive consultation with 2 valid responses of the 3 it needs has failed, naming its own rule", async () => {
    for (const [method, rule] of [["inquiry", "nonTender.invitation"], ["competitive-consultation", "consultation.invitation"]] as const) {
      // the procedure's configuration as the draft step writes it into the tender (services/procedures.ts)
      const tender = await openedWithTwoBids({ method, config: { ...PROCEDURES[method] } });
      const state = (await api(`/api/etrading/tenders/${tender}/hall`, w.tokens.agency)).body;
      expect([method, state.record.minBidders, state.outcome]).toEqual([method, 3, expect.objectContaining({ state: "failed", rule, validBids: 2 })]);
      w.platform.kernel.clock.reset();
    }
  });

  test("live: the bidder list with deposits, each share handed in, each bid opened, a changed ciphertext flagged; a late joiner reads the same by GET", async () => {
    const deadline = hourAhead();
    const tender = await publishedTender(w, deadline, { config: {} });
    await w.platform.kernel.db.knex("etrading_tenders").where({ id: tender }).update({ documents: JSON.stringify({ deposit: { kind: "deposit", amount: "10000.00" } }) });
    await registerCustodianKeys(w, tender);
    const a = await submit(w, 0, tender, await sealAs(w, 0, tender, packageOf("398000.00")));
    const b = await submit(w, 1, tender, await sealAs(w, 1, tender, packageOf("401000.00")));
    const c = await submit(w, 2, tender, await sealAs(w, 2, tender, packageOf("402000.00")));
    // the deposit record: supplier 0 paid in full, supplier 1 too little, supplier 2 nothing
    expect((await api(`/api/etrading/tenders/${tender}/deposits/${SUPPLIERS[0]}`, w.tokens.agency, { method: "PUT", body: { amount: "10000.00" } })).status).toBe(200);
    expect((await api(`/api/etrading/tenders/${tender}/deposits/${SUPPLIERS[1]}`, w.tokens.agency, { method: "PUT", body: { amount: "500.00" } })).status).toBe(200);
    const bad = await api(`/api/etrading/tenders/${tender}/deposits/${SUPPLIERS[2]}`, w.tokens.agency, { method: "PUT", body: { amount: "lots" } });
    expect([bad.status, bad.body.error.details[0].path]).toEqual([400, "/amount"]);
    // the platform's copy of bid c is changed after its receipt
    await w.platform.kernel.db.knex("etrading_bids").where({ id: c.body.receipt.bidId }).update({ ciphertext: Buffer.from("not what was sealed, and long enough") });

    w.platform.kernel.clock.travelTo(deadline);
    const watcher = await enter(w.suppliers[0], tender);
    expect((await api(`/api/etrading/tenders/${tender}/hall/bidders`, w.suppliers[0], { method: "POST" })).status).toBe(403);
    const published = await api(`/api/etrading/tenders/${tender}/hall/bidders`, w.tokens.agency, { method: "POST" });
    expect(published.status).toBe(200);
    await until("bidder list live", () => watcher.events.some((e) => e.kind === "bidders"));
    const list = watcher.events.find((e) => e.kind === "bidders")!.data.bidders as Array<{ supplierCode: string; security: { status: string; kind: string } }>;
    expect(list.map((x) => [x.supplierCode, x.security.kind, x.security.status])).toEqual([
      [SUPPLIERS[0], "deposit", "received"],
      [SUPPLIERS[1], "deposit", "invalid"],
      [SUPPLIERS[2], "deposit", "missing"],
    ]);

    await handIn(tender, "agency");
    await until("shares and the tampered flag live", () => watcher.events.some((e) => e.kind === "tampered"));
    expect(watcher.events.find((e) => e.kind === "tampered")!.data).toMatchObject({ bidId: c.body.receipt.bidId, tampered: true, outcome: "withdrawn" });
    await handIn(tender, "purchaser");
    await until("both bids opened live", () => watcher.events.filter((e) => e.kind === "opened").length === 2);
    expect(watcher.events.filter((e) => e.kind === "opened").map((e) => [e.data.bidId, e.data.price])).toEqual([
      [a.body.receipt.bidId, "398000.00"],
      [b.body.receipt.bidId, "401000.00"],
    ]);
    // every bid decided: the record and what it leaves (tender.twoBidders.negotiation: two valid bids)
    await until("record live", () => watcher.events.some((e) => e.kind === "outcome"));

    const late = await api(`/api/etrading/tenders/${tender}/hall`, w.tokens.supervisor);
    expect(late.body.events.map((e: HallEvent) => e.id)).toEqual(watcher.events.map((e) => e.id));
    expect(late.body.events.map((e: HallEvent) => e.kind)).toEqual(["bidders", "shares", "tampered", "shares", "opened", "opened", "record", "outcome"]);
    expect(late.body.record.bids.map((x: { outcome: string }) => x.outcome)).toEqual(["opened", "opened", "withdrawn"]);
  });

  test("ebid.decryptionFailure: the window the agency sets; at its end the bids still sealed are deemed withdrawn, and with one valid bid the tender has failed (tender.minBidders)", async () => {
    const deadline = hourAhead();
    const tender = await publishedTender(w, deadline);
    await registerCustodianKeys(w, tender);
    const a = await submit(w, 0, tender, await sealAs(w, 0, tender, packageOf("398000.00")));
    const b = await submit(w, 1, tender, await sealAs(w, 1, tender, packageOf("399000.00")));
    w.platform.kernel.clock.travelTo(deadline);
    const watcher = await enter(w.suppliers[1], tender);

    const at = (ms: number) => new Date(deadline.getTime() + ms).toISOString();
    const early = await api(`/api/etrading/tenders/${tender}/hall/window`, w.tokens.agency, { method: "PUT", body: { startsAt: at(-60_000), endsAt: at(60_000) } });
    expect([early.status, early.body.error.details[0].path]).toEqual([400, "/startsAt"]);
    const backwards = await api(`/api/etrading/tenders/${tender}/hall/window`, w.tokens.agency, { method: "PUT", body: { startsAt: at(60_000), endsAt: at(30_000) } });
    expect([backwards.status, backwards.body.error.details[0].path]).toEqual([400, "/endsAt"]);
    expect((await api(`/api/etrading/tenders/${tender}/hall/window`, w.suppliers[1], { method: "PUT", body: { startsAt: at(0), endsAt: at(600_000) } })).status).toBe(403);
    const set = await api(`/api/etrading/tenders/${tender}/hall/window`, w.tokens.agency, { method: "PUT", body: { startsAt: at(0), endsAt: at(600_000) } });
    expect(set.status).toBe(200);
    await until("window live", () => watcher.events.some((e) => e.kind === "window"));

    // only bid a gets its two shares
    await handIn(tender, "agency", [a.body.receipt.bidId]);
    await handIn(tender, "supervisor", [a.body.receipt.bidId]);
    // the window's end comes: the hall's timer closes it by itself
    w.platform.kernel.clock.travelTo(new Date(deadline.getTime() + 600_000));
    await until("window closed live", () => watcher.events.some((e) => e.kind === "outcome"), 5000);
    const closed = watcher.events.find((e) => e.kind === "window-closed")!;
    expect(closed.data).toMatchObject({ rule: "ebid.decryptionFailure", reason: "custodians-did-not-decrypt" });
    const state = (await api(`/api/etrading/tenders/${tender}/hall`, w.suppliers[1])).body;
    const by = Object.fromEntries(state.record.bids.map((x: { bidId: string; outcome: string }) => [x.bidId, x.outcome]));
    expect(by).toEqual({ [a.body.receipt.bidId]: "opened", [b.body.receipt.bidId]: "withdrawn" });
    expect(state.window.closedAt).not.toBeNull();
    // tender.minBidders: one valid bid of the 3 required ends the tender as failed (废标)
    expect(state.outcome).toMatchObject({ state: "failed", rule: "tender.minBidders", validBids: 1 });
    // and the bidders were asked to confirm the record (tender.opening.record)
    const told = await w.platform.kernel.db.knex("core_outbox").where({ event: "notifications.requested" }).whereRaw("payload->>'link' = ?", [`/etrading/tenders/${tender}`]);
    expect(told).toHaveLength(2);
    const again = await api(`/api/etrading/tenders/${tender}/hall/window`, w.tokens.agency, { method: "PUT", body: { startsAt: at(600_000), endsAt: at(900_000) } });
    expect([again.status, again.body.error.details.rule]).toEqual([409, "opening-closed"]);
  });

  test("bidder self-decryption (config.bidderKey): the bidder opens its own bid in the window; one that does not is deemed revoked (ebid.decryptionFailure)", async () => {
    const deadline = hourAhead();
    const tender = await publishedTender(w, deadline, { config: { bidderKey: true } });
    await registerCustodianKeys(w, tender);
    const own = [newKeyPair(), newKeyPair()];
    const seal = async (i: number, price: string) => {
      const s = (await api(`/api/etrading/tenders/${tender}/sealing`, w.suppliers[i])).body;
      expect(s.bidderKey).toBe(true);
      return sealBid({ tenderId: tender, package: packageOf(price), custodians: s.custodians, threshold: s.threshold, bidderPublicKey: own[i].publicKey, signer: softwareSigner(w.signingKeys[i]) });
    };
    const a = await submit(w, 0, tender, await seal(0, "388000.00"));
    const b = await submit(w, 1, tender, await seal(1, "389000.00"));
    expect([a.status, b.status]).toEqual([201, 201]);
    w.platform.kernel.clock.travelTo(deadline);

    const mine = (await api(`/api/etrading/tenders/${tender}/hall/my-key`, w.suppliers[0])).body;
    const dataKey = unwrapBidderKey({ tenderId: tender, bidderKey: mine.bidderKey }, own[0].privateKey);
    const noWindow = await api(`/api/etrading/tenders/${tender}/hall/decryption`, w.suppliers[0], { method: "POST", body: { dataKey } });
    expect([noWindow.status, noWindow.body.error.details.rule]).toEqual([409, "ebid.decryptionFailure"]);
    const at = (ms: number) => new Date(deadline.getTime() + ms).toISOString();
    expect((await api(`/api/etrading/tenders/${tender}/hall/window`, w.tokens.purchaser, { method: "PUT", body: { startsAt: at(0), endsAt: at(300_000) } })).status).toBe(200);

    const watcher = await enter(w.suppliers[1], tender);
    expect(watcher.joined.selfDecryption).toBe(true);
    // a key that is not the one it sealed to: refused, nothing recorded, it may try again
    const wrong = await api(`/api/etrading/tenders/${tender}/hall/decryption`, w.suppliers[0], { method: "POST", body: { dataKey: unwrapBidderKey({ tenderId: tender, bidderKey: (await api(`/api/etrading/tenders/${tender}/hall/my-key`, w.suppliers[1])).body.bidderKey }, own[1].privateKey) } });
    expect([wrong.status, wrong.body.error.details[0].path]).toEqual([400, "/dataKey"]);
    const opened = await api(`/api/etrading/tenders/${tender}/hall/decryption`, w.suppliers[0], { method: "POST", body: { dataKey } });
    expect(opened.status).toBe(200);
    expect(opened.body).toMatchObject({ bidId: a.body.receipt.bidId, outcome: "opened", price: "388000.00" });
    await until("the opening live", () => watcher.events.some((e) => e.kind === "opened"));
    // custodians only: a custodian cannot self-decrypt, and the record is theirs to read
    expect((await api(`/api/etrading/tenders/${tender}/hall/decryption`, w.tokens.agency, { method: "POST", body: { dataKey } })).status).toBe(403);

    // bidder 1 never decrypts: at the window's end its bid is deemed revoked, through its own fault
    w.platform.kernel.clock.travelTo(new Date(deadline.getTime() + 300_000));
    const state = (await api(`/api/etrading/tenders/${tender}/hall`, w.suppliers[0])).body;
    const by = Object.fromEntries(state.record.bids.map((x: { bidId: string; outcome: string }) => [x.bidId, x.outcome]));
    expect(by).toEqual({ [a.body.receipt.bidId]: "opened", [b.body.receipt.bidId]: "revoked" });
    const late = await api(`/api/etrading/tenders/${tender}/hall/decryption`, w.suppliers[1], { method: "POST", body: { dataKey } });
    expect([late.status, late.body.error.details.rule]).toEqual([409, "ebid.decryptionFailure"]);
  });

  test("tender.twoBidders.negotiation: two valid bids in a public tender await the regulator, who approves negotiation or refuses (then tender.minBidders: failed)", async () => {
    const run = () => openedWithTwoBids();
    const tender = await run();
    const state = (await api(`/api/etrading/tenders/${tender}/hall`, w.tokens.agency)).body;
    expect(state.outcome).toMatchObject({ state: "awaiting-approval", rule: "tender.twoBidders.negotiation", validBids: 2 });
    // the purchaser and agency cannot approve a change of method; the regulator must say yes or no
    expect((await api(`/api/etrading/tenders/${tender}/hall/method-change`, w.tokens.agency, { method: "POST", body: { approve: true } })).status).toBe(403);
    const vague = await api(`/api/etrading/tenders/${tender}/hall/method-change`, w.tokens.supervisor, { method: "POST", body: { approve: "yes" } });
    expect([vague.status, vague.body.error.details[0].path]).toEqual([400, "/approve"]);
    const yes = await api(`/api/etrading/tenders/${tender}/hall/method-change`, w.tokens.supervisor, { method: "POST", body: { approve: true, reason: "两家均实质性响应，同意转为竞争性谈判" } });
    expect(yes.status).toBe(200);
    expect(yes.body).toMatchObject({ state: "method-changed", rule: "tender.twoBidders.negotiation", method: "competitive-negotiation" });
    const twice = await api(`/api/etrading/tenders/${tender}/hall/method-change`, w.tokens.supervisor, { method: "POST", body: { approve: false } });
    expect([twice.status, twice.body.error.details]).toEqual([409, { rule: "tender.twoBidders.negotiation", state: "method-changed" }]);

    w.platform.kernel.clock.reset();
    const other = await run();
    const no = await api(`/api/etrading/tenders/${other}/hall/method-change`, w.tokens.supervisor, { method: "POST", body: { approve: false, reason: "采购需求需修改后重新招标" } });
    expect(no.body).toMatchObject({ state: "failed", rule: "tender.minBidders" });
    expect((await api(`/api/etrading/tenders/${other}/hall`, w.suppliers[0])).body.events.filter((e: HallEvent) => e.kind === "outcome").map((e: HallEvent) => (e.data.outcome as { state: string }).state)).toEqual(["awaiting-approval", "failed"]);
  });
});
