import { newKeyPair, newSigningKey, openShare, sealBid, softwareSigner, type SealedBid } from "../../../plugins/etrading/sealed";
import { packageOf } from "./bids-support";
import { AGENCY, ok, type Trading, trading } from "./support";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function poll<T>(what: string, get: () => Promise<T>, good: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await get();
    if (good(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("from a filed plan to the opening: publication, registration, questions, clarifications, corrigenda", () => {
  let t: Trading;
  beforeAll(async () => {
    t = await trading();
  }, 120_000);
  afterAll(() => t.platform.stop());
  afterEach(() => t.platform.kernel.clock.reset());

  test("only a filed plan on the e-trading channel, in a method its amount allows (gd.publicTenderThreshold), within its total", async () => {
    // a plan of 5,000,000 filed as an open tender cannot become a request for quotations
    const big = await t.filedProject("public-tender", "2021-03-01", "5000000.00");
    const r = await t.start("buyer", "etrading.inquiry", t.documents(big, { bidDeadline: "2021-03-10T09:30:00+08:00" }));
    expect(r.status).toBe(400);
    expect(r.body.error.details).toContainEqual(expect.objectContaining({ path: "/projectId", rule: "gd.publicTenderThreshold" }));
    // below it the purchaser may choose another method than the plan's
    const small = await t.filedProject("public-tender", "2021-03-01", "800000.00");
    // a deposit above 2% of the budget (deposit.max)
    const deposit = await t.start("buyer", "etrading.inquiry", t.documents(small, { maxPrice: "800000.00", deposit: { kind: "deposit", amount: "16000.01" }, bidDeadline: "2021-03-10T09:30:00+08:00" }));
    expect(deposit.body.error.details).toContainEqual(expect.objectContaining({ path: "/deposit/amount", rule: "deposit.max" }));
    ok(await t.start("buyer", "etrading.inquiry", t.documents(small, { maxPrice: "800000.00", deposit: { kind: "deposit", amount: "16000.00" }, bidDeadline: "2021-03-10T09:30:00+08:00" })), 201);
    // a maximum price above the plan
    const over = await t.filedProject("public-tender", "2021-03-01");
    const high = await t.start("buyer", "etrading.public-tender", t.documents(over, { maxPrice: "1400000.01" }));
    expect(high.body.error.details).toContainEqual(expect.objectContaining({ path: "/maxPrice", rule: "plan-total" }));
    // another unit's purchaser cannot use the project
    const other = await t.start("otherBuyer", "etrading.public-tender", t.documents(over));
    expect(other.status).toBe(400);
    expect(other.body.error.details[0].path).toBe("/projectId");
    // one procurement at a time per project
    ok(await t.start("buyer", "etrading.public-tender", t.documents(over)), 201);
    const twice = await t.start("buyer", "etrading.public-tender", t.documents(over));
    expect(twice.status).toBe(409);
    expect(twice.body.error.details.rule).toBe("one-procurement");
  });

  test("the entrusted agency drafts and publishes; the notice reaches the portal; suppliers find it and register; who registered stays secret until the deadline (tender.bidderListConfidential)", async () => {
    const projectId = await t.filedProject("public-tender", "2021-03-01", "1400000.00", true);
    const s = ok(await t.start("agency", "etrading.public-tender", t.documents(projectId, { title: "惠州市代理公开招标照明项目" })), 201);
    expect(s.data).toMatchObject({ agencyName: AGENCY.name, purchaserName: "惠州市交通运输局" });
    // drafts are nobody else's business
    expect((await t.call("smallSupplier", `/api/etrading/tenders/${s.id}`)).status).toBe(404);
    ok(await t.take("agency", s.id, "publish"));
    const notice = await poll("the portal notice", async () => ok(await t.call("admin", "/api/portal/notices?tenant=441300&type=tender&q=%E4%BB%A3%E7%90%86%E5%85%AC%E5%BC%80")), (b) => b.items.length > 0);
    expect(notice.items[0]).toMatchObject({ title: "惠州市代理公开招标照明项目", unitName: "惠州市交通运输局" });

    const list = ok(await t.call("smallSupplier", "/api/etrading/tenders"));
    const found = list.items.find((x: Any) => x.id === s.id);
    expect(found).toMatchObject({ registered: false, bidDeadline: "2021-03-29T01:30:00.000Z", docsUntil: "2021-03-08", methodTitle: { "zh-CN": "公开招标" } });
    expect(typeof list.serverTime).toBe("string");
    for (const who of ["smallSupplier", "supplier2", "supplier1"]) ok(await t.call(who, `/api/etrading/tenders/${s.id}/registrations`, { method: "POST" }));
    // again: nothing more, the same answer
    const again = ok(await t.call("smallSupplier", `/api/etrading/tenders/${s.id}/registrations`, { method: "POST" }));
    expect(again.registered).toBe(true);
    expect(ok(await t.call("smallSupplier", `/api/etrading/tenders/${s.id}`)).registered).toBe(true);

    // before the deadline, neither names nor number: not to the agency, the purchaser or the regulator
    for (const who of ["agency", "buyer", "regulator"]) {
      const hidden = await t.call(who, `/api/etrading/tenders/${s.id}/registrations`);
      expect([who, hidden.status]).toEqual([who, 409]);
      expect(hidden.body.error.details.rule).toBe("tender.bidderListConfidential");
      const page = ok(await t.call(who, `/api/etrading/tenders/${s.id}`));
      expect(page.registrations).toBeNull();
      expect(JSON.stringify(page)).not.toContain("惠州市小微科技有限公司");
    }
    // the region's regulator follows it; another city's does not see it at all
    expect(ok(await t.call("regulator", "/api/etrading/tenders")).items.map((x: Any) => x.id)).toContain(s.id);
    // suppliers cannot ask at all
    expect((await t.call("supplier2", `/api/etrading/tenders/${s.id}/registrations`)).status).toBe(403);

    // at the deadline the list opens
    t.travel("2021-03-29T09:30:00+08:00");
    const shown = ok(await t.call("agency", `/api/etrading/tenders/${s.id}/registrations`));
    expect(shown.items.map((r: Any) => r.supplierName).sort()).toEqual(["惠州市第2照明工程有限公司", "惠州市小微科技有限公司", "惠州市第1照明工程有限公司"].sort());
    // and registration is over
    const late = await t.call("supplier3", `/api/etrading/tenders/${s.id}/registrations`, { method: "POST" });
    expect(late.status).toBe(409);
    // once Maoming's e-trading is live, its regulator does not follow a Huizhou tender: not in its list,
    // and its page is the public notice's, without who registered
    t.travel("2021-05-06");
    expect(ok(await t.call("maomingRegulator", "/api/etrading/tenders")).items.map((x: Any) => x.id)).not.toContain(s.id);
    expect(ok(await t.call("maomingRegulator", `/api/etrading/tenders/${s.id}`)).registrations).toBeUndefined();
    expect((await t.call("maomingRegulator", `/api/etrading/tenders/${s.id}/registrations`)).status).toBe(403);
  });

  test("a tender the agency drafts knows its purchaser from the start: the purchaser registers its custodian key before ever opening the tender, the agency is never shown the budget code, and the page links each person onward", async () => {
    const projectId = await t.filedProject("public-tender", "2021-03-01", "1400000.00", true);
    const s = ok(await t.start("agency", "etrading.public-tender", t.documents(projectId, { title: "惠州市代理起草保管人密钥项目" })), 201);
    ok(await t.take("agency", s.id, "publish"));
    const publicKey = "ab".repeat(32);
    // the purchaser's first call about this tender is its key, not the tender's page
    const key = await t.call("buyer", `/api/etrading/tenders/${s.id}/custodians/purchaser/key`, { method: "PUT", body: { publicKey } });
    expect([key.status, key.body.publicKey]).toEqual([200, publicKey]);
    expect(ok(await t.call("buyer", "/api/etrading/tenders?mine=1")).items.map((x: Any) => x.id)).toContain(s.id);
    const budgetCode = (await t.platform.kernel.db.knex("etrading_tenders").where({ id: s.id }).first()).unit;
    expect(budgetCode).toBeTruthy();
    for (const path of [`/api/etrading/tenders/${s.id}`, "/api/etrading/tenders", `/api/instances/${s.id}`]) {
      const seen = ok(await t.call("agency", path));
      expect([path, JSON.stringify(seen).includes(budgetCode)]).toEqual([path, false]);
    }

    // the tender page's links: each custodian to its place, the runners and the regulator to the screening, a registered supplier to its bid, everyone concerned to the hall from the deadline on
    ok(await t.call("smallSupplier", `/api/etrading/tenders/${s.id}/registrations`, { method: "POST" }));
    const links = async (who: string) => ok(await t.call(who, `/api/etrading/tenders/${s.id}`)).links;
    expect(await links("buyer")).toEqual({ hall: false, screening: true, custodians: ["purchaser"], bid: false });
    expect(await links("agency")).toEqual({ hall: false, screening: true, custodians: ["agency"], bid: false });
    expect(await links("regulator")).toEqual({ hall: false, screening: true, custodians: ["supervisor"], bid: false });
    expect(await links("smallSupplier")).toEqual({ hall: false, screening: false, custodians: [], bid: true });
    expect(await links("supplier2")).toEqual({ hall: false, screening: false, custodians: [], bid: false });
    t.travel("2021-03-29T09:30:00+08:00");
    expect((await links("smallSupplier")).hall).toBe(true);
    expect((await links("buyer")).hall).toBe(true);
  });

  /** Waits until the instance is in `state` (a deadline's step fires on the sweep, after the clock moved). */
  const inState = (id: string, state: string) => poll(`state ${state}`, async () => ok(await t.call("buyer", `/api/instances/${id}`)), (i) => i.state === state);

  test("the hall's outcome moves the tender and its workflow: no valid bid fails it (tender.minBidders); two in an open tender await the regulator, whose approval changes the method (tender.twoBidders.negotiation)", async () => {
    const knex = t.platform.kernel.db.knex;
    // nobody bid: closing the opening leaves the tender failed, its status and its workflow state, in the history
    const none = ok(await t.start("buyer", "etrading.public-tender", t.documents(await t.filedProject("public-tender", "2021-03-01"), { title: "惠州市无人投标项目" })), 201);
    ok(await t.take("buyer", none.id, "publish"));
    t.travel("2021-03-29T09:31:00+08:00");
    await inState(none.id, "opening");
    ok(await t.call("buyer", `/api/etrading/tenders/${none.id}/opening/close`, { method: "POST" }));
    const failed = await inState(none.id, "failed");
    expect(failed.history.map((h: Any) => h.transition)).toContain("fail-at-opening");
    expect(failed.data).toMatchObject({ hallOutcome: "failed", hallRule: "tender.minBidders", validBids: 0 });
    expect((await knex("etrading_tenders").where({ id: none.id }).first()).status).toBe("failed");
    // nobody takes that step by hand against the hall's record
    t.platform.kernel.clock.reset();

    const two = ok(await t.start("buyer", "etrading.public-tender", t.documents(await t.filedProject("public-tender", "2021-03-01"), { title: "惠州市两家投标项目" })), 201);
    ok(await t.take("buyer", two.id, "publish"));
    const byHand = await t.take("regulator", two.id, "await-approval");
    expect(byHand.status).toBe(409);
    const keys = { purchaser: newKeyPair(), supervisor: newKeyPair() };
    ok(await t.call("buyer", `/api/etrading/tenders/${two.id}/custodians/purchaser/key`, { method: "PUT", body: { publicKey: keys.purchaser.publicKey } }));
    ok(await t.call("regulator", `/api/etrading/tenders/${two.id}/custodians/supervisor/key`, { method: "PUT", body: { publicKey: keys.supervisor.publicKey } }));
    for (const [i, who] of ["smallSupplier", "supplier1"].entries()) {
      ok(await t.call(who, `/api/etrading/tenders/${two.id}/registrations`, { method: "POST" }));
      const sealing = ok(await t.call(who, `/api/etrading/tenders/${two.id}/sealing`));
      const bid = await sealBid({ tenderId: two.id, package: packageOf(`${1200000 + i}.00`), custodians: sealing.custodians, threshold: sealing.threshold, signer: softwareSigner(newSigningKey()) });
      ok(await t.call(who, `/api/etrading/tenders/${two.id}/bids`, { method: "POST", body: { bid } }), 201);
    }
    t.travel("2021-03-29T09:31:00+08:00");
    await inState(two.id, "opening");
    for (const [c, who] of [["purchaser", "buyer"], ["supervisor", "regulator"]] as const) {
      const f = ok(await t.call(who, `/api/etrading/tenders/${two.id}/opening/custodians/${c}/shares`));
      const shares = f.bids.map((x: { bidId: string; tenderId: string; shares: SealedBid["shares"] }) => ({ bidId: x.bidId, share: openShare(x, c, keys[c].privateKey) }));
      ok(await t.call(who, `/api/etrading/tenders/${two.id}/opening/shares`, { method: "POST", body: { custodian: c, shares } }));
    }
    const waiting = await inState(two.id, "awaiting-approval");
    expect(waiting.data).toMatchObject({ hallOutcome: "awaiting-approval", hallRule: "tender.twoBidders.negotiation", validBids: 2 });
    expect((await knex("etrading_tenders").where({ id: two.id }).first()).status).toBe("awaiting-approval");
    ok(await t.call("regulator", `/api/etrading/tenders/${two.id}/hall/method-change`, { method: "POST", body: { approve: true, reason: "两家有效投标，同意转为竞争性谈判" } }));
    const changed = await inState(two.id, "method-changed");
    const last = changed.history[changed.history.length - 1];
    expect(last.transition).toBe("approve-method-change");
    expect(JSON.stringify(last.actor)).not.toContain("etrading.hall");
    expect(changed.data).toMatchObject({ hallRule: "tender.twoBidders.negotiation", newMethod: "competitive-negotiation" });
    expect((await knex("etrading_tenders").where({ id: two.id }).first()).status).toBe("method-changed");
    const audit = await knex("core_audit_log").where("object", "like", `%${two.id}%`).pluck("action");
    expect(audit).toEqual(expect.arrayContaining([expect.stringMatching(/await-approval/), expect.stringMatching(/approve-method-change/)]));
  });

  test("questions (question.answer), clarifications and corrigenda reach every registered supplier; a corrigendum asks for bids to be confirmed again", async () => {
    const projectId = await t.filedProject("public-tender", "2021-03-01");
    const s = ok(await t.start("buyer", "etrading.public-tender", t.documents(projectId, { title: "惠州市询问澄清更正测试项目" })), 201);
    ok(await t.take("buyer", s.id, "publish"));
    // asking needs the documents first
    const early = await t.call("supplier1", `/api/etrading/tenders/${s.id}/questions`, { method: "POST", body: { text: "可以分包吗？" } });
    expect(early.status).toBe(409);
    // largeSupplier is a Guangzhou company, where e-trading is off: Huizhou's schedule governs a Huizhou tender
    for (const who of ["smallSupplier", "supplier1", "largeSupplier"]) ok(await t.call(who, `/api/etrading/tenders/${s.id}/registrations`, { method: "POST" }));
    t.travel("2021-03-03");
    const q = ok(await t.call("supplier1", `/api/etrading/tenders/${s.id}/questions`, { method: "POST", body: { text: "可以分包吗？" } }));
    expect(q.answerDue).toBe("2021-03-08");
    expect(ok(await t.call("largeSupplier", `/api/etrading/tenders/${s.id}/questions`, { method: "POST", body: { text: "可否提供样品？" } })).answerDue).toBe("2021-03-08");
    // the other supplier does not see an unanswered question
    expect(ok(await t.call("smallSupplier", `/api/etrading/tenders/${s.id}`)).messages).toHaveLength(0);
    expect((await t.call("smallSupplier", `/api/etrading/tenders/${s.id}/questions/${q.id}/answer`, { method: "POST", body: { answer: "不可以" } })).status).toBe(403);
    ok(await t.call("buyer", `/api/etrading/tenders/${s.id}/questions/${q.id}/answer`, { method: "POST", body: { answer: "本项目不接受分包" } }));
    const seen = ok(await t.call("smallSupplier", `/api/etrading/tenders/${s.id}`));
    expect(seen.messages).toContainEqual(expect.objectContaining({ kind: "question", text: "可以分包吗？", answer: "本项目不接受分包", ownQuestion: false }));
    expect(JSON.stringify(seen.messages)).not.toContain(t.tokens.supplier1);
    await poll("the answer's notification", async () => ok(await t.call("smallSupplier", "/api/notifications")), (b) => b.items.some((n: Any) => n.title["zh-CN"].includes("询问答复：惠州市询问澄清更正测试项目")));

    ok(await t.take("buyer", s.id, "clarify", { text: "安装时间为夜间", affectsBids: false }));
    for (const who of ["supplier1", "largeSupplier"]) await poll("the clarification's notification", async () => ok(await t.call(who, "/api/notifications")), (b) => b.items.some((n: Any) => n.title["zh-CN"].startsWith("澄清：惠州市询问澄清更正测试项目")));

    const before = ok(await t.call("smallSupplier", `/api/etrading/tenders/${s.id}`));
    expect(before.docsVersion).toBe(1);
    const c = ok(await t.take("buyer", s.id, "corrigendum", { reason: "最高限价和需求更正", maxPrice: "1300000.00", requirements: "LED路灯1100盏，色温4000K" }));
    expect(c.data).toMatchObject({ docsVersion: 2, deadlineMoved: false });
    const after = ok(await t.call("smallSupplier", `/api/etrading/tenders/${s.id}`));
    expect(after).toMatchObject({ docsVersion: 2, maxPrice: "1300000.00", documents: { requirements: "LED路灯1100盏，色温4000K", qualifications: t.documents(projectId).qualifications } });
    await poll("the corrigendum's notification", async () => ok(await t.call("smallSupplier", "/api/notifications")), (b) => b.items.some((n: Any) => n.title["zh-CN"].includes("已递交的投标须重新确认")));
    // the event the bids service re-confirms on
    const events = await t.platform.kernel.db.knex("core_outbox").where({ event: "etrading.tender.amended" });
    expect(events.map((e: Any) => (typeof e.payload === "string" ? JSON.parse(e.payload) : e.payload))).toContainEqual(expect.objectContaining({ tenderId: s.id, docsVersion: 2 }));
  });

  test("documents cannot change after publication except by corrigendum; a corrigendum cannot change the qualifications or lower the price above the plan", async () => {
    const projectId = await t.filedProject("public-tender", "2021-03-01");
    const s = ok(await t.start("buyer", "etrading.public-tender", t.documents(projectId)), 201);
    ok(await t.take("buyer", s.id, "revise", t.documents(projectId, { requirements: "修改后的需求" })));
    ok(await t.take("buyer", s.id, "publish"));
    const revise = await t.take("buyer", s.id, "revise", t.documents(projectId, { requirements: "发布后偷偷修改" }));
    expect(revise.status).toBe(409);
    const viaClarification = await t.take("buyer", s.id, "clarify", { text: "见附件", requirements: "发布后偷偷修改" });
    expect(viaClarification.status).toBe(400);
    const qualifications = await t.take("buyer", s.id, "corrigendum", { reason: "放宽资格", qualifications: "不限" });
    expect(qualifications.status).toBe(400);
    expect(qualifications.body.error.details[0].path).toBe("/qualifications");
    expect(qualifications.body.error.details[0].rule).toBe("additionalProperties");
    const overPlan = await t.take("buyer", s.id, "corrigendum", { reason: "提高限价", maxPrice: "1500000.00" });
    expect(overPlan.status).toBe(400);
    expect(overPlan.body.error.details[0]).toMatchObject({ path: "/maxPrice", rule: "plan-total" });
    const earlier = await t.take("buyer", s.id, "corrigendum", { reason: "提前截止", bidDeadline: "2021-03-25T09:30:00+08:00" });
    expect(earlier.status).toBe(400);
    expect(earlier.body.error.details[0]).toMatchObject({ path: "/bidDeadline", rule: "later-only" });
    const tender = ok(await t.call("buyer", `/api/etrading/tenders/${s.id}`));
    expect(tender).toMatchObject({ docsVersion: 1, maxPrice: "1350000.00" });
    expect(tender.documents.requirements).toBe("修改后的需求");
  });

  test("tender.clarification.noChangeOfSubjectOrQualification: even where a tenant's overlay adds the qualifications or the title to the corrigendum form, a corrigendum changing them is refused, nothing written", async () => {
    const form = "/api/forms/etrading.corrigendum/overlays/441300";
    ok(await t.call("admin", form, {
      method: "PUT",
      body: { addProperties: { qualifications: { type: "string", title: "资格条件", titleEn: "Qualifications" }, title: { type: "string", title: "项目名称", titleEn: "Title" } } },
    }));
    try {
      const projectId = await t.filedProject("public-tender", "2021-03-01");
      const s = ok(await t.start("buyer", "etrading.public-tender", t.documents(projectId)), 201);
      ok(await t.take("buyer", s.id, "publish"));
      const r = await t.platform.api(`/api/instances/${s.id}/transitions/corrigendum`, { method: "POST", token: t.tokens.buyer, body: { data: { reason: "放宽资格并改名", qualifications: "不限", title: "另一个项目", requirements: "LED路灯1100盏" } }, headers: { "accept-language": "en" } });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe("VALIDATION_FAILED");
      expect(r.body.error.message).toBe("A clarification or corrigendum may not change the object of the procurement or the qualification conditions");
      expect(r.body.error.details.map((d: Any) => [d.path, d.rule])).toEqual([["/title", "tender.clarification.noChangeOfSubjectOrQualification"], ["/qualifications", "tender.clarification.noChangeOfSubjectOrQualification"]]);
      // nothing half written: the documents, their version and the messages are as published
      const tender = ok(await t.call("buyer", `/api/etrading/tenders/${s.id}`));
      expect(tender).toMatchObject({ docsVersion: 1, title: "惠州市城区道路照明设备采购项目" });
      expect(tender.documents).toMatchObject({ qualifications: "具有独立承担民事责任的能力；近三年无重大违法记录", requirements: "LED路灯1200盏，色温4000K，含安装调试，质保5年" });
      expect(tender.messages.filter((m: Any) => m.kind === "corrigendum")).toEqual([]);
      // a corrigendum of what the law lets change still goes through
      ok(await t.take("buyer", s.id, "corrigendum", { reason: "需求更正", requirements: "LED路灯1100盏" }));
    } finally {
      // the overlay narrows nothing else, but later tests should meet the plain form
      ok(await t.call("admin", form, { method: "PUT", body: {} }));
    }
  });
});
