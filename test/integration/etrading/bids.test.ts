import { ed25519 } from "@noble/curves/ed25519";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils";
import { fromBase64, openShare, sealBid, signedContent, softwareSigner, toBase64, verifyBidSignature, verifyReceipt, type BidReceipt, type SealedBid } from "../../../plugins/etrading/sealed";
import { CUSTODIANS, packageOf, publishedTender, registerCustodianKeys, sealAs, startBidsWorld, stopBidsWorld, submit, type BidsWorld } from "./bids-support";

/**
 * Sealed bids on the server (plugins/etrading/README.md, "Sealed bids"): receipts, versions,
 * the deadline by server time, who bid kept secret, and the opening by the custodians' shares.
 */
describe("etrading sealed bids", () => {
  let w: BidsWorld;
  let receiptKey: string;

  beforeAll(async () => {
    w = await startBidsWorld();
    receiptKey = (await w.platform.api("/api/etrading/receipt-key")).body.publicKey;
  });
  afterAll(() => stopBidsWorld(w));
  afterEach(() => w.platform.kernel.clock.reset());

  const hourAhead = () => new Date(Math.ceil(Date.now() / 1000) * 1000 + 3600_000);

  test("a bid waits for every custodian's key; only a registered supplier gets the sealing parameters", async () => {
    const tender = await publishedTender(w, hourAhead());
    const early = await w.platform.api(`/api/etrading/tenders/${tender}/sealing`, { token: w.suppliers[0] });
    expect(early.status).toBe(409);
    expect(early.body.error.details).toMatchObject({ rule: "custodian-keys", missing: [...CUSTODIANS] });

    // a custodian place is held by its unit only
    const wrong = await w.platform.api(`/api/etrading/tenders/${tender}/custodians/agency/key`, { method: "PUT", token: w.tokens.outsider, body: { publicKey: w.keys.agency.publicKey } });
    expect(wrong.status).toBe(403);
    const bad = await w.platform.api(`/api/etrading/tenders/${tender}/custodians/agency/key`, { method: "PUT", token: w.tokens.agency, body: { privateKey: w.keys.agency.privateKey } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe("/publicKey");
    await registerCustodianKeys(w, tender);

    const s = await w.platform.api(`/api/etrading/tenders/${tender}/sealing`, { token: w.suppliers[0] });
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ threshold: 2, algorithm: "AES-256-GCM", maxPrice: "500000.00", receiptKey });
    expect(s.body.custodians.map((c: { id: string }) => c.id)).toEqual([...CUSTODIANS]);
    // the server keeps public keys only
    expect(JSON.stringify(s.body)).not.toContain(w.keys.agency.privateKey);

    const unregistered = await w.platform.api(`/api/etrading/tenders/${tender}/sealing`, { token: w.suppliers[3] });
    expect(unregistered.status).toBe(409);
    expect(unregistered.body.error.details.rule).toBe("registered");
  });

  test("a bid from a supplier that did not obtain the documents is refused, with nothing written", async () => {
    const tender = await publishedTender(w, hourAhead());
    await registerCustodianKeys(w, tender);
    const bid = await sealAs(w, 0, tender, packageOf("398000.00"));
    const r = await submit(w, 3, tender, bid);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("CONFLICT");
    expect(r.body.error.message).toMatch(/未获取/);
    expect(await w.platform.kernel.db.knex("etrading_bids").where({ tender_id: tender })).toEqual([]);
  });

  test("a receipt signed by the server with server time; the hash in the audit chain; a retried Idempotency-Key answers the first receipt", async () => {
    const tender = await publishedTender(w, hourAhead());
    await registerCustodianKeys(w, tender);
    const bid = await sealAs(w, 0, tender, packageOf("398000.00"));
    const before = Date.now();
    const first = await submit(w, 0, tender, bid, { "idempotency-key": "bid-0-try" });
    expect(first.status).toBe(201);
    const receipt = first.body.receipt as BidReceipt;
    expect(receipt).toMatchObject({ tenderId: tender, version: 1, action: "submitted", hash: bid.hash });
    expect(Date.parse(receipt.receivedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(verifyReceipt(receipt, receiptKey)).toBe(true);

    const audit = await w.platform.kernel.db.knex("core_audit_log").where({ action: "etrading.bid.submit", object: receipt.bidId }).first();
    expect(audit.after).toMatchObject({ hash: bid.hash, version: 1 });

    const again = await submit(w, 0, tender, bid, { "idempotency-key": "bid-0-try" });
    expect(again.status).toBe(200);
    expect(again.body.receipt).toEqual(receipt);
    expect(again.body.retried).toBe(true);
    const other = await sealAs(w, 0, tender, packageOf("397000.00"));
    const reused = await submit(w, 0, tender, other, { "idempotency-key": "bid-0-try" });
    expect(reused.status).toBe(409);
    expect(reused.body.error.details.rule).toBe("idempotency-key");
    expect(await w.platform.kernel.db.knex("etrading_bids").where({ tender_id: tender })).toHaveLength(1);
  });

  test("tender.bidModifyUntilDeadline: new versions and a withdrawal before the deadline; only the last version counts", async () => {
    const tender = await publishedTender(w, hourAhead());
    await registerCustodianKeys(w, tender);
    const v1 = await submit(w, 1, tender, await sealAs(w, 1, tender, packageOf("420000.00")));
    const v2 = await submit(w, 1, tender, await sealAs(w, 1, tender, packageOf("410000.00")));
    expect([v1.body.receipt.version, v2.body.receipt.version]).toEqual([1, 2]);
    const withdrawn = await w.platform.api(`/api/etrading/tenders/${tender}/bids/mine`, { method: "DELETE", token: w.suppliers[1] });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.receipt).toMatchObject({ version: 3, action: "withdrawn", hash: v2.body.receipt.hash });
    expect(verifyReceipt(withdrawn.body.receipt, receiptKey)).toBe(true);
    const twice = await w.platform.api(`/api/etrading/tenders/${tender}/bids/mine`, { method: "DELETE", token: w.suppliers[1] });
    expect(twice.status).toBe(409);
    const v4 = await submit(w, 1, tender, await sealAs(w, 1, tender, packageOf("405000.00")));
    const mine = await w.platform.api(`/api/etrading/tenders/${tender}/bids/mine`, { token: w.suppliers[1] });
    expect(mine.body.current).toMatchObject({ version: 4, action: "submitted", hash: v4.body.receipt.hash, reconfirm: false });
    expect(mine.body.receipts.map((r: { version: number; current: boolean }) => [r.version, r.current])).toEqual([[4, true], [3, false], [2, false], [1, false]]);
    // another supplier sees none of it
    const theirs = await w.platform.api(`/api/etrading/tenders/${tender}/bids/mine`, { token: w.suppliers[2] });
    expect(theirs.body.current).toBeNull();
  });

  test("tender.bidderListConfidential: who bid stays secret until the deadline, then the purchaser sees it", async () => {
    const deadline = hourAhead();
    const tender = await publishedTender(w, deadline);
    await registerCustodianKeys(w, tender);
    await submit(w, 0, tender, await sealAs(w, 0, tender, packageOf("398000.00")));
    for (const who of ["purchaser", "agency", "supervisor"] as const) {
      const r = await w.platform.api(`/api/etrading/tenders/${tender}/bids`, { token: w.tokens[who] });
      expect([who, r.status, r.body.error?.details?.rule]).toEqual([who, 409, "tender.bidderListConfidential"]);
      expect(JSON.stringify(r.body)).not.toMatch(/91441300MA/);
    }
    const supplier = await w.platform.api(`/api/etrading/tenders/${tender}/bids`, { token: w.suppliers[1] });
    expect(supplier.status).toBe(403);
    w.platform.kernel.clock.travelTo(deadline);
    const after = await w.platform.api(`/api/etrading/tenders/${tender}/bids`, { token: w.tokens.purchaser });
    expect(after.status).toBe(200);
    expect(after.body.bids.map((b: { supplierCode: string }) => b.supplierCode)).toEqual(["91441300MA00000001"]);
  });

  test("tender.opening.atDeadline: a bid a millisecond before the deadline is received; at the deadline it is refused, in the caller's language", async () => {
    const deadline = hourAhead();
    const tender = await publishedTender(w, deadline);
    await registerCustodianKeys(w, tender);
    const bid = await sealAs(w, 0, tender, packageOf("398000.00"));
    w.platform.kernel.clock.travelTo(new Date(deadline.getTime() - 1));
    const inTime = await submit(w, 0, tender, bid);
    expect(inTime.status).toBe(201);
    expect(inTime.body.receipt.receivedAt).toBe(new Date(deadline.getTime() - 1).toISOString());

    w.platform.kernel.clock.travelTo(deadline);
    const late = await submit(w, 1, tender, await sealAs(w, 1, tender, packageOf("400000.00")));
    expect(late.status).toBe(409);
    expect(late.body.error.details).toMatchObject({ rule: "tender.opening.atDeadline", deadline: deadline.toISOString(), serverTime: deadline.toISOString() });
    expect(late.body.error.message).toMatch(/投标截止时间/);
    const lateEn = await submit(w, 1, tender, await sealAs(w, 1, tender, packageOf("400000.00")), { "accept-language": "en" });
    expect(lateEn.body.error.message).toMatch(/deadline .* has passed by server time/);
    const withdraw = await w.platform.api(`/api/etrading/tenders/${tender}/bids/mine`, { method: "DELETE", token: w.suppliers[0] });
    expect(withdraw.status).toBe(409);
    expect(withdraw.body.error.details.rule).toBe("tender.opening.atDeadline");
    expect(await w.platform.kernel.db.knex("etrading_bids").where({ tender_id: tender })).toHaveLength(1);
  });

  test("a ciphertext that does not match its hash, a forged signature or shares for other custodians are refused, nothing written", async () => {
    const tender = await publishedTender(w, hourAhead());
    await registerCustodianKeys(w, tender);
    const bid = await sealAs(w, 0, tender, packageOf("398000.00"));
    const bytes = fromBase64(bid.ciphertext)!;
    bytes[0] ^= 0xff;
    const tampered = await submit(w, 0, tender, { ...bid, ciphertext: toBase64(bytes) });
    expect(tampered.status).toBe(400);
    expect(tampered.body.error.details).toEqual([expect.objectContaining({ path: "/hash", rule: "tampered" })]);

    const forged = await submit(w, 0, tender, { ...bid, signature: { ...bid.signature, publicKey: (await sealAs(w, 1, tender, packageOf("1.00"))).signature.publicKey } });
    expect(forged.status).toBe(400);
    expect(forged.body.error.details[0]).toMatchObject({ path: "/signature", rule: "signature" });

    const elsewhere = await sealBid({ tenderId: tender, package: packageOf("398000.00"), custodians: [{ id: "agency", publicKey: w.keys.agency.publicKey }, { id: "me", publicKey: w.keys.purchaser.publicKey }], threshold: 2, signer: softwareSigner(w.signingKeys[0]) });
    const wrongShares = await submit(w, 0, tender, elsewhere, { "accept-language": "en" });
    expect(wrongShares.status).toBe(400);
    expect(wrongShares.body.error.details[0]).toMatchObject({ path: "/shares" });
    expect(wrongShares.body.error.message).toMatch(/not received/);
    expect(await w.platform.kernel.db.knex("etrading_bids").where({ tender_id: tender })).toEqual([]);
  });

  test("tender.sealedUntilOpening: before the deadline no custodian gets its shares or hands one in, not even the right one (a bid's large files: bids-files.test.ts); at the deadline the shares are given", async () => {
    const deadline = hourAhead();
    const tender = await publishedTender(w, deadline);
    await registerCustodianKeys(w, tender);
    const sent = await submit(w, 0, tender, await sealAs(w, 0, tender, packageOf("398000.00")));
    expect(sent.status).toBe(201);
    const knex = w.platform.kernel.db.knex;
    // the share sealed to the agency, unwrapped with the agency's own key: the right share, handed in too early
    const row = await knex("etrading_bids").where({ id: sent.body.receipt.bidId }).first();
    const share = openShare({ tenderId: tender, shares: row.shares }, "agency", w.keys.agency.privateKey);
    for (const c of CUSTODIANS) {
      const early = await w.platform.api(`/api/etrading/tenders/${tender}/opening/custodians/${c}/shares`, { token: w.tokens[c] });
      expect([c, early.status, early.body.error?.details?.rule]).toEqual([c, 409, "tender.sealedUntilOpening"]);
    }
    const handIn = await w.platform.api(`/api/etrading/tenders/${tender}/opening/shares`, { method: "POST", token: w.tokens.agency, body: { custodian: "agency", shares: [{ bidId: row.id, share }] }, headers: { "accept-language": "en" } });
    expect(handIn.status).toBe(409);
    expect(handIn.body.error).toMatchObject({ code: "CONFLICT", details: { rule: "tender.sealedUntilOpening", deadline: deadline.toISOString() } });
    expect(handIn.body.error.message).toContain("only once the bid deadline");
    // nothing was opened nor kept
    expect(await knex("etrading_opening_shares").where({ bid_id: row.id })).toEqual([]);
    expect(await knex("etrading_openings").where({ bid_id: row.id })).toEqual([]);

    w.platform.kernel.clock.travelTo(deadline);
    const given = await w.platform.api(`/api/etrading/tenders/${tender}/opening/custodians/agency/shares`, { token: w.tokens.agency });
    expect(given.status).toBe(200);
    expect(given.body.bids.map((b: { bidId: string }) => b.bidId)).toEqual([row.id]);
  });

  test("ebid.decryptionFailure and tender.opening.record: k custodians open the bids; the record shows prices; a bidder's bad package is revoked, a tampered copy or missing shares withdrawn", async () => {
    const deadline = hourAhead();
    const tender = await publishedTender(w, deadline, { maxPrice: "400000.00" });
    await registerCustodianKeys(w, tender);
    const good = await submit(w, 0, tender, await sealAs(w, 0, tender, packageOf("398000.00")));
    const above = await submit(w, 1, tender, await sealAs(w, 1, tender, packageOf("410000.00")));
    // supplier 2's browser shares one data key but encrypts with another: signed, hashed, and its own fault
    const a = await sealAs(w, 2, tender, packageOf("350000.00"));
    const b = await sealAs(w, 2, tender, packageOf("350000.00"));
    const frankenstein: SealedBid = { ...a, nonce: b.nonce, ciphertext: b.ciphertext, hash: b.hash };
    frankenstein.signature = { ...a.signature, signature: bytesToHex(ed25519.sign(signedContent(frankenstein), hexToBytes(w.signingKeys[2]))) };
    expect(verifyBidSignature(frankenstein)).toBe(true);
    const broken = await submit(w, 2, tender, frankenstein);
    expect(broken.status).toBe(201);

    // before the deadline no custodian gets its shares
    const early = await w.platform.api(`/api/etrading/tenders/${tender}/opening/custodians/agency/shares`, { token: w.tokens.agency });
    expect(early.status).toBe(409);
    expect(early.body.error.details.rule).toBe("tender.sealedUntilOpening");

    w.platform.kernel.clock.travelTo(deadline);
    const knex = w.platform.kernel.db.knex;
    // the platform's copy of the first bid is changed after its receipt
    const stored = await knex("etrading_bids").where({ id: above.body.receipt.bidId }).first();
    const altered = Buffer.from(stored.ciphertext);
    altered[3] ^= 1;
    await knex("etrading_bids").where({ id: above.body.receipt.bidId }).update({ ciphertext: altered });

    // a share for the wrong bid is refused at once
    const fetched = await w.platform.api(`/api/etrading/tenders/${tender}/opening/custodians/agency/shares`, { token: w.tokens.agency });
    expect(fetched.status).toBe(200);
    const agencyShares = fetched.body.bids.map((x: { bidId: string; tenderId: string; shares: SealedBid["shares"] }) => ({ bidId: x.bidId, share: openShare(x, "agency", w.keys.agency.privateKey) }));
    const swapped = await w.platform.api(`/api/etrading/tenders/${tender}/opening/shares`, { method: "POST", token: w.tokens.agency, body: { custodian: "agency", shares: [{ bidId: agencyShares[0].bidId, share: agencyShares[1].share }] } });
    expect(swapped.status).toBe(400);
    expect(swapped.body.error.details[0]).toMatchObject({ path: "/shares/0/share", rule: "share-digest" });

    // one custodian alone opens nothing
    const one = await w.platform.api(`/api/etrading/tenders/${tender}/opening/shares`, { method: "POST", token: w.tokens.agency, body: { custodian: "agency", shares: agencyShares } });
    expect(one.status).toBe(200);
    const byBid = (rec: { bids: Array<{ bidId: string; outcome: string; price: string | null; tampered: boolean }> }) => Object.fromEntries(rec.bids.map((x) => [x.bidId, x]));
    expect(byBid(one.body.record)[good.body.receipt.bidId]).toMatchObject({ outcome: "pending", price: null });
    // the tampered copy is flagged at once: it cannot be blamed on its bidder
    expect(byBid(one.body.record)[above.body.receipt.bidId]).toMatchObject({ outcome: "withdrawn", tampered: true });

    // the purchaser's custodian hands in only the good bid's share: 2 of 3 open it
    const p = await w.platform.api(`/api/etrading/tenders/${tender}/opening/custodians/purchaser/shares`, { token: w.tokens.purchaser });
    const pShares = p.body.bids.map((x: { bidId: string; tenderId: string; shares: SealedBid["shares"] }) => ({ bidId: x.bidId, share: openShare(x, "purchaser", w.keys.purchaser.privateKey) }));
    const two = await w.platform.api(`/api/etrading/tenders/${tender}/opening/shares`, { method: "POST", token: w.tokens.purchaser, body: { custodian: "purchaser", shares: pShares } });
    expect(two.status).toBe(200);
    const rec = byBid(two.body.record);
    expect(rec[good.body.receipt.bidId]).toMatchObject({ outcome: "opened", price: "398000.00", tampered: false });
    expect(rec[broken.body.receipt.bidId]).toMatchObject({ outcome: "revoked", price: null });

    const closed = await w.platform.api(`/api/etrading/tenders/${tender}/opening/close`, { method: "POST", token: w.tokens.agency });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ closed: true, validBids: 1, minBidders: 3, belowMinimum: true });
    const bidder = await w.platform.api(`/api/etrading/tenders/${tender}/opening`, { token: w.suppliers[0] });
    expect(bidder.status).toBe(200);
    expect(bidder.body.bids.map((x: { supplierName: string; price: string | null; outcome: string }) => [x.supplierName, x.price, x.outcome])).toEqual([
      ["惠州市第1照明科技有限公司", "398000.00", "opened"],
      ["惠州市第2照明科技有限公司", null, "withdrawn"],
      ["惠州市第3照明科技有限公司", null, "revoked"],
    ]);
    const outsider = await w.platform.api(`/api/etrading/tenders/${tender}/opening`, { token: w.suppliers[3] });
    expect(outsider.status).toBe(403);

    // tender.opening.record: every bidder is told, live, and confirms or objects online, once
    const told = await w.platform.kernel.db.knex("core_outbox").where({ event: "notifications.requested" }).whereRaw("payload->>'link' = ?", [`/etrading/tenders/${tender}`]);
    expect(told.map((m) => m.payload.owner.unit).sort()).toEqual(["91441300MA00000001", "91441300MA00000002", "91441300MA00000003"]);
    // closing again tells nobody twice
    expect((await w.platform.api(`/api/etrading/tenders/${tender}/opening/close`, { method: "POST", token: w.tokens.purchaser })).status).toBe(200);
    expect(await w.platform.kernel.db.knex("core_outbox").where({ event: "notifications.requested" }).whereRaw("payload->>'link' = ?", [`/etrading/tenders/${tender}`])).toHaveLength(3);
    const ok = await w.platform.api(`/api/etrading/tenders/${tender}/opening/confirmation`, { method: "POST", token: w.suppliers[0], body: {} });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ confirmed: true, objection: null, rule: "tender.opening.record" });
    const objects = await w.platform.api(`/api/etrading/tenders/${tender}/opening/confirmation`, { method: "POST", token: w.suppliers[2], body: { objection: "我方投标文件已按要求加密，解密失败非我方原因" } });
    expect(objects.body).toMatchObject({ confirmed: false });
    expect((await w.platform.api(`/api/etrading/tenders/${tender}/opening/confirmation`, { method: "POST", token: w.suppliers[0], body: {} })).status).toBe(409);
    expect((await w.platform.api(`/api/etrading/tenders/${tender}/opening/confirmation`, { method: "POST", token: w.suppliers[3], body: {} })).status).toBe(403);
    const answered = await w.platform.api(`/api/etrading/tenders/${tender}/opening`, { token: w.tokens.agency });
    expect(answered.body.bids.map((x: { confirmation: { confirmed: boolean; objection: string | null } | null }) => x.confirmation && [x.confirmation.confirmed, x.confirmation.objection])).toEqual([
      [true, null],
      null,
      [false, "我方投标文件已按要求加密，解密失败非我方原因"],
    ]);
  });

  test("a corrigendum after a bid asks its bidder to confirm again; a bid not sent again is invalid at the opening, one sent again opens", async () => {
    const deadline = hourAhead();
    const tender = await publishedTender(w, deadline);
    await registerCustodianKeys(w, tender);
    const stale = await submit(w, 0, tender, await sealAs(w, 0, tender, packageOf("390000.00")));
    await submit(w, 1, tender, await sealAs(w, 1, tender, packageOf("391000.00")));
    // the corrigendum step bumps the documents' version (services/tenders.ts)
    await w.platform.kernel.db.knex("etrading_tenders").where({ id: tender }).update({ docs_version: 2 });
    expect((await w.platform.api(`/api/etrading/tenders/${tender}/bids/mine`, { token: w.suppliers[0] })).body.current.reconfirm).toBe(true);
    const again = await submit(w, 1, tender, await sealAs(w, 1, tender, packageOf("389000.00")));
    expect((await w.platform.api(`/api/etrading/tenders/${tender}/bids/mine`, { token: w.suppliers[1] })).body.current.reconfirm).toBe(false);

    w.platform.kernel.clock.travelTo(deadline);
    for (const c of ["agency", "purchaser"] as const) {
      const f = await w.platform.api(`/api/etrading/tenders/${tender}/opening/custodians/${c}/shares`, { token: w.tokens[c] });
      const shares = f.body.bids.map((x: { bidId: string; tenderId: string; shares: SealedBid["shares"] }) => ({ bidId: x.bidId, share: openShare(x, c, w.keys[c].privateKey) }));
      expect((await w.platform.api(`/api/etrading/tenders/${tender}/opening/shares`, { method: "POST", token: w.tokens[c], body: { custodian: c, shares } })).status).toBe(200);
    }
    const rec = await w.platform.api(`/api/etrading/tenders/${tender}/opening`, { token: w.tokens.agency });
    const by = Object.fromEntries(rec.body.bids.map((x: { bidId: string }) => [x.bidId, x]));
    expect(by[stale.body.receipt.bidId]).toMatchObject({ outcome: "unconfirmed", price: null });
    expect(by[again.body.receipt.bidId]).toMatchObject({ outcome: "opened", price: "389000.00" });
  });

  test("ebid.decryptionFailure: bids the custodians did not decrypt when the window closes are deemed withdrawn, an above-maximum price is shown as such", async () => {
    const deadline = hourAhead();
    const tender = await publishedTender(w, deadline, { maxPrice: "400000.00" });
    await registerCustodianKeys(w, tender);
    const above = await submit(w, 0, tender, await sealAs(w, 0, tender, packageOf("400000.01")));
    const left = await submit(w, 1, tender, await sealAs(w, 1, tender, packageOf("300000.00")));
    w.platform.kernel.clock.travelTo(deadline);
    for (const c of ["agency", "supervisor"] as const) {
      const f = await w.platform.api(`/api/etrading/tenders/${tender}/opening/custodians/${c}/shares`, { token: w.tokens[c] });
      const shares = f.body.bids.filter((x: { bidId: string }) => x.bidId === above.body.receipt.bidId).map((x: { bidId: string; tenderId: string; shares: SealedBid["shares"] }) => ({ bidId: x.bidId, share: openShare(x, c, w.keys[c].privateKey) }));
      expect((await w.platform.api(`/api/etrading/tenders/${tender}/opening/shares`, { method: "POST", token: w.tokens[c], body: { custodian: c, shares } })).status).toBe(200);
    }
    // the record is not complete while a bid waits for its shares
    const early = await w.platform.api(`/api/etrading/tenders/${tender}/opening/confirmation`, { method: "POST", token: w.suppliers[0], body: {} });
    expect([early.status, early.body.error.details.rule]).toEqual([409, "tender.opening.record"]);
    const notYours = await w.platform.api(`/api/etrading/tenders/${tender}/opening/close`, { method: "POST", token: w.tokens.supervisor });
    expect(notYours.status).toBe(403);
    const closed = await w.platform.api(`/api/etrading/tenders/${tender}/opening/close`, { method: "POST", token: w.tokens.purchaser });
    const rec = Object.fromEntries(closed.body.bids.map((x: { bidId: string }) => [x.bidId, x]));
    expect(rec[above.body.receipt.bidId]).toMatchObject({ outcome: "above-max-price", price: "400000.01" });
    expect(rec[left.body.receipt.bidId]).toMatchObject({ outcome: "withdrawn", price: null });
    const late = await w.platform.api(`/api/etrading/tenders/${tender}/opening/shares`, { method: "POST", token: w.tokens.agency, body: { custodian: "agency", shares: [{ bidId: left.body.receipt.bidId, share: "AA==" }] } });
    expect(late.status).toBe(409);
    expect(late.body.error.details.rule).toBe("opening-closed");
  });
});
