import { MORE_SUPPLIERS, ok, SUPPLIERS, type Trading, trading } from "./support";

/**
 * Each of the six procedures walks from a filed plan to its opening, and shows the configuration that
 * sets it apart (minimum bidders, final-offer rounds, whether the price may change, how suppliers come).
 */
describe("the six procedures", () => {
  let t: Trading;
  beforeAll(async () => {
    t = await trading();
  }, 120_000);
  afterAll(() => t.platform.stop());
  afterEach(() => t.platform.kernel.clock.reset());

  /** Moves the clock and waits for the deadline timers to move the instance to `state`. */
  async function until(id: string, state: string, at: string) {
    t.travel(at);
    for (let i = 0; i < 100; i++) {
      const inst = ok(await t.call("buyer", `/api/instances/${id}`));
      if (inst.state === state) return inst;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`instance ${id} did not reach ${state}`);
  }

  async function walk(method: string, over: Record<string, unknown>, states: string[]) {
    const projectId = await t.filedProject(method, "2021-03-01");
    const started = ok(await t.start("buyer", `etrading.${method}`, t.documents(projectId, over)), 201);
    expect(started.state).toBe("draft");
    const published = ok(await t.take("buyer", started.id, "publish"));
    expect(published.state).toBe(states[0]);
    const tender = ok(await t.call("buyer", `/api/etrading/tenders/${started.id}`));
    return { id: started.id as string, tender, published };
  }

  test("public tender (公开招标): notice, registration by anyone, opening at the deadline; 3 bidders, no final offers, firm price", async () => {
    const { id, tender } = await walk("public-tender", {}, ["published"]);
    expect(tender).toMatchObject({ method: "public-tender", status: "published", docsUntil: "2021-03-08", config: { minBidders: { rule: "tender.minBidders", value: 3 }, finalOfferRounds: false, priceMayChange: false, invitation: "notice" } });
    for (const who of ["smallSupplier", "supplier1", "supplier2"]) ok(await t.call(who, `/api/etrading/tenders/${id}/registrations`, { method: "POST" }));
    const opening = await until(id, "opening", "2021-03-29T09:30:00+08:00");
    expect(opening.history.map((h: { transition: string }) => h.transition)).toEqual(["$start", "publish", "close-documents", "open"]);
    const opened = ok(await t.take("buyer", id, "record-opening"));
    expect(opened.state).toBe("opened");
    expect(ok(await t.call("buyer", `/api/etrading/tenders/${id}`)).status).toBe("opened");
  });

  test("invited tender (邀请招标): 3 drawn at random from a pool of 4 (tender.invited.minInvitees); only they see and register", async () => {
    const pool = [SUPPLIERS.small.creditCode, ...MORE_SUPPLIERS.map((s) => s.creditCode)];
    const { id, tender } = await walk("invited-tender", { invitees: pool, drawCount: 3 }, ["published"]);
    expect(tender.config).toMatchObject({ invitation: "draw", minBidders: { value: 3 } });
    const who = ["smallSupplier", "supplier1", "supplier2", "supplier3"];
    const seen = await Promise.all(who.map((w) => t.call(w, `/api/etrading/tenders/${id}`)));
    expect(seen.filter((r) => r.status === 200)).toHaveLength(3);
    expect(seen.filter((r) => r.status === 404)).toHaveLength(1);
    const invited = who.filter((_, i) => seen[i].status === 200);
    for (const w of invited) ok(await t.call(w, `/api/etrading/tenders/${id}/registrations`, { method: "POST" }));
    const outsider = who.find((_, i) => seen[i].status === 404)!;
    expect((await t.call(outsider, `/api/etrading/tenders/${id}/registrations`, { method: "POST" })).status).toBe(404);
    // invitations are not on the public portal
    const notices = ok(await t.call("admin", "/api/portal/notices?tenant=441300&type=tender&pageSize=100"));
    expect(notices.items.map((n: { title: string }) => n.title)).not.toContain(`invited-${id}`);
    await until(id, "opening", "2021-03-29T09:30:00+08:00");
  });

  test("competitive negotiation (竞争性谈判): final-offer rounds, price may change, first responses after 3 working days (negotiation.docPeriod)", async () => {
    const { id, tender } = await walk("competitive-negotiation", { bidDeadline: "2021-03-04T09:30:00+08:00", scoring: undefined }, ["published"]);
    expect(tender.config).toMatchObject({ finalOfferRounds: true, priceMayChange: true, minBidders: { rule: "negotiation.finalOffers.min", value: 3 } });
    expect(tender.docsUntil).toBeNull();
    await until(id, "opening", "2021-03-04T09:30:00+08:00");
  });

  test("competitive consultation (竞争性磋商): final offers, 10 days to first responses (consultation.docPeriod), documents 5 working days (consultation.docSalePeriod)", async () => {
    const { id, tender } = await walk("competitive-consultation", { bidDeadline: "2021-03-11T09:30:00+08:00" }, ["published"]);
    expect(tender).toMatchObject({ docsUntil: "2021-03-08", config: { finalOfferRounds: true, priceMayChange: true } });
    await until(id, "opening", "2021-03-11T09:30:00+08:00");
  });

  test("inquiry (询价): one firm price (inquiry.singleFirmPrice), 3 working days (inquiry.docPeriod)", async () => {
    const { id, tender } = await walk("inquiry", { bidDeadline: "2021-03-04T09:30:00+08:00" }, ["published"]);
    expect(tender.config).toMatchObject({ finalOfferRounds: false, priceMayChange: false, minBidders: { value: 3 } });
    await until(id, "opening", "2021-03-04T09:30:00+08:00");
  });

  test("single source (单一来源): the supplier named in a publicity of 5 working days (singleSource.publicity), then negotiation", async () => {
    const { id, tender, published } = await walk(
      "single-source",
      { invitees: [SUPPLIERS.small.creditCode], singleSourceReason: "原有路灯控制系统的唯一兼容供应商", bidDeadline: "2021-03-10T09:30:00+08:00" },
      ["publicity"],
    );
    expect(published.data.publicityUntil).toBe("2021-03-08");
    expect(tender.config).toMatchObject({ invitation: "named", minBidders: { value: 1 } });
    expect(tender.documents.invitees).toEqual([SUPPLIERS.small.creditCode]);
    expect((await t.call("supplier1", `/api/etrading/tenders/${id}`)).status).toBe(404);
    await until(id, "published", "2021-03-09T00:00:01+08:00");
    ok(await t.call("smallSupplier", `/api/etrading/tenders/${id}/registrations`, { method: "POST" }));
    await until(id, "opening", "2021-03-10T09:30:00+08:00");
  });
});
