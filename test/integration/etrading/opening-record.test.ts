import { randomUUID } from "node:crypto";
import { openShare, type SealedBid } from "../../../plugins/etrading/sealed";
import { type BidsWorld, packageOf, publishedTender, registerCustodianKeys, sealAs, startBidsWorld, stopBidsWorld, submit } from "./bids-support";

/**
 * The opening record's print view (plugins/etrading/README.md, "Printed opening record"): GET
 * /api/etrading/tenders/:id/opening-record for the opening's parties only, complete only once the
 * decryption is over (tender.opening.record), sealed under a code that /api/verify answers without
 * its content. One platform (e-trading and what it needs).
 */
describe("the printed opening record", () => {
  let w: BidsWorld;
  let tender: string;
  let deadline: Date;
  const PRICES = ["420000.00", "398500.50", "455000.00"];
  const record = (token?: string, lang?: string) => w.platform.api(`/api/etrading/tenders/${tender}/opening-record`, { token, headers: lang ? { "accept-language": lang } : {} });

  beforeAll(async () => {
    w = await startBidsWorld();
    deadline = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3600_000);
    tender = await publishedTender(w, deadline);
    await registerCustodianKeys(w, tender);
    for (const [i, price] of PRICES.entries()) expect((await submit(w, i, tender, await sealAs(w, i, tender, packageOf(price)))).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    w?.platform.kernel.clock.reset();
    await stopBidsWorld(w);
  });

  test("before the deadline and before the decryption is over: 409 saying why (tender.opening.atDeadline, tender.opening.record)", async () => {
    const early = await record(w.tokens.agency);
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: "CONFLICT", details: { rule: "tender.opening.atDeadline" } });
    expect(early.body.error.message).toContain("开标记录须待投标截止时间");

    w.platform.kernel.clock.travelTo(new Date(deadline.getTime() + 1000));
    const sealed = await record(w.tokens.purchaser, "en");
    expect(sealed.status).toBe(409);
    expect(sealed.body.error).toMatchObject({ code: "CONFLICT", message: "The decryption is not over: the opening record is not complete and cannot be printed yet", details: { rule: "tender.opening.record" } });
  });

  test("once decrypted: the tender, the prices as read out, who decrypted, in a sealed document whose code verifies without its content (tender.minBidders)", async () => {
    for (const c of ["agency", "purchaser"] as const) {
      const f = await w.platform.api(`/api/etrading/tenders/${tender}/opening/custodians/${c}/shares`, { token: w.tokens[c] });
      const shares = f.body.bids.map((x: { bidId: string; tenderId: string; shares: SealedBid["shares"] }) => ({ bidId: x.bidId, share: openShare(x, c, w.keys[c].privateKey) }));
      expect((await w.platform.api(`/api/etrading/tenders/${tender}/opening/shares`, { method: "POST", token: w.tokens[c], body: { custodian: c, shares } })).status).toBe(200);
    }
    const res = await record(w.tokens.agency);
    expect(res.status).toBe(200);
    const d = res.body.document;
    expect(d).toMatchObject({ kind: "opening-record", tenderId: tender, title: "惠州市某路段照明采购", purchaser: "惠州市交通运输局", method: "public-tender", maxPrice: "500000.00", openingAt: deadline.toISOString(), validBids: 3, minBidders: 3, minBiddersRule: "tender.minBidders", belowMinimum: false, exceptions: [] });
    expect(d.bidders.map((b: { supplierName: string; price: string; outcome: string }) => [b.supplierName, b.price, b.outcome])).toEqual([
      ["惠州市第1照明科技有限公司", "420000.00", "opened"],
      ["惠州市第2照明科技有限公司", "398500.50", "opened"],
      ["惠州市第3照明科技有限公司", "455000.00", "opened"],
    ]);
    expect(d.decryptedBy.map((p: { place: string; placeText: { "zh-CN": string } }) => [p.place, p.placeText["zh-CN"]])).toEqual([["agency", "采购代理机构"], ["purchaser", "采购人"]]);
    expect(JSON.stringify(d)).not.toContain("441300401");
    expect(res.body).toMatchObject({ issuer: "etrading", kind: "opening-record", reference: tender, name: { "zh-CN": "开标记录" }, current: true, verifyUrl: `/verify?code=${res.body.code}` });

    // everyone of the opening prints the same document under the same code
    for (const token of [w.tokens.purchaser, w.tokens.supervisor, w.suppliers[1]]) {
      const again = await record(token);
      expect(again.status).toBe(200);
      expect(again.body.code).toBe(res.body.code);
    }
    const audit = await w.platform.kernel.db.knex("core_audit_log").where({ action: "etrading.document.issued", object: res.body.code });
    expect(audit).toHaveLength(1);

    const checked = await w.platform.api(`/api/verify/${res.body.code}`);
    expect(checked.status).toBe(200);
    expect(checked.body).toMatchObject({ valid: true, current: true, public: false, kind: "opening-record", name: { "zh-CN": "开标记录", en: "bid opening record" }, hash: res.body.hash });
    expect(checked.body).not.toHaveProperty("content");
    expect(JSON.stringify(checked.body)).not.toContain("398500.50");
  });

  test("an objection makes a new version with the exception; the first code says it is not current (tender.opening.record)", async () => {
    const first = await record(w.suppliers[0]);
    const objected = await w.platform.api(`/api/etrading/tenders/${tender}/opening/confirmation`, { method: "POST", token: w.suppliers[2], body: { objection: "第3包报价宣读有误" } });
    expect(objected.status).toBe(200);
    const second = await record(w.suppliers[0]);
    expect(second.body.code).not.toBe(first.body.code);
    expect(second.body.document.exceptions).toEqual([{ supplierName: "惠州市第3照明科技有限公司", outcome: "opened", outcomeText: { "zh-CN": "已解密", en: "opened" }, tampered: false, objection: "第3包报价宣读有误" }]);
    expect((await w.platform.api(`/api/verify/${first.body.code}`)).body).toMatchObject({ valid: true, current: false, currentCode: second.body.code });
  });

  test("who may not: a supplier that did not bid and another unit 403, an unknown tender 404, nobody signed in 401", async () => {
    const other = await record(w.suppliers[3]);
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe("FORBIDDEN");
    expect((await record(w.tokens.outsider)).status).toBe(403);
    expect((await record()).status).toBe(401);
    const unknown = await w.platform.api(`/api/etrading/tenders/${randomUUID()}/opening-record`, { token: w.tokens.agency });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("NOT_FOUND");
  });
});
