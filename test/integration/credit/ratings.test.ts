import fs from "node:fs";
import path from "node:path";
import { enqueue } from "../../../core/sdk";
import { usccCheckChar } from "../../../core/forms/formats";
import { poll } from "../../support/http";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";
import { intention, ok, plan, SUPPLIERS, UNITS } from "../supervision/support";
import type { RatingRoundEvent } from "../../../plugins/credit/api";

const ROOT = path.resolve(__dirname, "../../..");
const company = (n: number) => {
  const first17 = `91441300MA${String(n).padStart(7, "0")}`;
  return first17 + usccCheckChar(first17);
};
const AGENCY = company(9301);
const [WINNER, LOSER] = [company(9302), company(9303)];
const PURCHASER = "441300405";

/**
 * Mutual ratings (一项目一评价, issue 20): rounds opened by a mall order paid (through the e-mall's real
 * workflow) and by a procurement completed (evaluation's `credit.ratingRound` event, as its award writes it),
 * who rates whom, once, within 5 working days (the platform's period: procurement-rules.json has no rule id
 * for mutual ratings), reminders and missed ratings, and the quarter score with its formula.
 */
describe("credit ratings", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  const t: Record<string, string> = {};
  const experts: string[] = [];
  // the rating sweep every 100 ms, so a test sees reminders and closings as soon as the clock moves
  const sweepBefore = process.env.RATING_SWEEP_MS;

  const api = (who: string, p: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) => platform.api(p, { ...init, token: t[who] });
  const travel = (date: string) => platform.kernel.clock.travelTo(date.length === 10 ? `${date}T10:00:00+08:00` : date);
  const take = (who: string, id: string, name: string, data?: unknown) => api(who, `/api/instances/${id}/transitions/${name}`, { method: "POST", body: data === undefined ? {} : { data } });
  const pending = async (who: string) => ok(await api(who, "/api/credit/ratings/pending")).items as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

  beforeAll(async () => {
    process.env.RATING_SWEEP_MS = "100";
    pluginsDir = linkPlugins(["registries", "supervision", "commodities", "emall", "etrading", "credit"], "credit-ratings-plugins");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms") });
    const tok = (tenantCode: string, roles: string[], unitCode?: string, username?: string) => platform.token({ tenantCode, roles, unitCode, username });
    t.admin = await tok("440000", ["platform-admin"]);
    t.cityAdmin = await tok("441300", ["tenant-admin"]);
    t.regulator = await tok("441300", ["regulator"]);
    t.buyer = await tok("441300", ["purchaser"], UNITS.buyer.budgetCode);
    t.otherBuyer = await tok("441300", ["purchaser"], UNITS.otherBuyer.budgetCode);
    t.mallSupplier = await tok("441300", ["supplier"], SUPPLIERS.small.creditCode);
    t.purchaser = await tok("441300", ["purchaser"], PURCHASER);
    t.agency = await tok("441300", ["agency"], AGENCY);
    t.winner = await tok("441300", ["supplier"], WINNER);
    t.loser = await tok("441300", ["supplier"], LOSER);
    for (let i = 0; i < 3; i++) {
      const username = `rating-expert-${i}-${Math.random().toString(36).slice(2, 8)}`;
      t[`expert${i}`] = await tok("441300", ["expert"], undefined, username);
      experts.push((await platform.kernel.db.knex("core_accounts").where({ username }).first("id")).id);
    }
    for (const u of [UNITS.buyer, UNITS.otherBuyer]) ok(await api("admin", "/api/registries/purchasers", { method: "POST", body: { ...u, unitType: "government-agency" } }), 201);
    ok(await api("admin", "/api/registries/suppliers", { method: "POST", body: { ...SUPPLIERS.small, contactName: "王经理", contactPhone: "13800138000" } }), 201);
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
    if (sweepBefore === undefined) delete process.env.RATING_SWEEP_MS;
    else process.env.RATING_SWEEP_MS = sweepBefore;
  });

  let mallProject: string;
  let mallOffer: string;
  const orderData = (quantity: number) => ({
    projectId: mallProject, planLine: 0, lines: [{ offerId: mallOffer, quantity }], consignee: { name: "张科长", phone: "0752-2281234", address: "惠州市惠城区江北三新南路22号" },
    invoice: { kind: "normal", title: UNITS.buyer.name, taxId: UNITS.buyer.budgetCode },
  });

  test("a mall order paid opens a round: the purchaser and the supplier rate each other; only once, never oneself, only by a party, each refusal clear", async () => {
    // a plan line on the e-mall, an admitted supplier's offer, an order placed, confirmed, accepted and paid
    travel("2021-01-20");
    const started = ok(await api("buyer", "/api/workflows/supervision.intention/instances", { method: "POST", body: { data: intention({ projectName: "惠州市交通运输局办公电脑采购", budget: "30000.00", expectedMonth: "2021-03" }) } }), 201);
    ok(await take("buyer", started.id, "publish"));
    travel("2021-02-26");
    const items = [{ category: "A02010104", name: "台式计算机", quantity: 4, unit: "台", unitPrice: "5000.00", amount: "20000.00" }];
    const p = ok(await api("buyer", "/api/workflows/supervision.plan/instances", { method: "POST", body: { data: plan(started.data.projectId, { method: "emall-direct", items, total: "20000.00" }) } }), 201);
    ok(await take("buyer", p.id, "submit"));
    ok(await take("regulator", p.id, "file"));
    ok(await take("buyer", p.id, "choose-channel", { channel: "emall" }));
    travel("2021-03-01");
    const a = ok(await api("mallSupplier", "/api/commodities/admissions", { method: "POST", body: { role: "dealer", licences: [{ kind: "营业执照", number: "L-1", expiresOn: "2021-12-31" }] } }));
    ok(await api("cityAdmin", `/api/commodities/admissions/${a.supplierCode}/review`, { method: "POST", body: { decision: "admitted" } }));
    const product = ok(await api("mallSupplier", "/api/commodities/products", {
      method: "POST", body: { categoryCode: "A02010104", brand: "同方", model: "超越E500", name: "同方台式计算机", attributes: { cpu: "兆芯KX-6000", memoryGb: 8, storageGb: 256, os: "麒麟" } },
    }));
    const offer = ok(await api("mallSupplier", "/api/commodities/offers", { method: "POST", body: { productId: product.id, price: "4800.00", stock: 10, regions: ["441300"], deliveryDays: 3, warrantyMonths: 36 } }));
    [mallProject, mallOffer] = [started.data.projectId, offer.id];
    const order = ok(await api("buyer", "/api/workflows/emall.order/instances", { method: "POST", body: { data: orderData(2) } }), 201);
    ok(await take("mallSupplier", order.id, "confirm"));
    travel("2021-03-05");
    ok(await take("buyer", order.id, "accept"));
    expect(await pending("buyer")).toEqual([]);
    // paid on Monday 2021-03-22: five working days run to Monday 2021-03-29
    travel("2021-03-22");
    expect(ok(await take("buyer", order.id, "pay")).state).toBe("paid");

    const mine = (await poll("the buyer's pending rating", () => pending("buyer"), (r) => r.length === 1))[0];
    expect(mine).toMatchObject({ source: "emall", rateeKind: "supplier", rateeCode: SUPPLIERS.small.creditCode, completedOn: "2021-03-22", dueOn: "2021-03-29", status: "pending" });
    expect(await pending("mallSupplier")).toEqual([expect.objectContaining({ rateeKind: "purchaser", rateeCode: UNITS.buyer.budgetCode, roundId: mine.roundId })]);

    // rating oneself, an outsider, a party not rated by this rater, bad stars: each refused clearly, nothing written
    const self = await api("buyer", "/api/credit/ratings", { method: "POST", body: { roundId: mine.roundId, rateeCode: UNITS.buyer.budgetCode, stars: 5 } });
    expect(self.status).toBe(400);
    expect(self.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: [expect.objectContaining({ path: "/rateeCode", rule: "credit.rating.self" })] });
    expect(self.body.error.details[0].message["zh-CN"]).toBe("不能评价自己");
    const outsider = await api("otherBuyer", "/api/credit/ratings", { method: "POST", body: { roundId: mine.roundId, rateeCode: SUPPLIERS.small.creditCode, stars: 1 }, headers: { "accept-language": "en" } });
    expect(outsider.status).toBe(403);
    expect(outsider.body.error).toMatchObject({ code: "FORBIDDEN", message: "Only a party to this procurement rates in it", details: { rule: "credit.rating.participant" } });
    const stars = await api("buyer", "/api/credit/ratings", { method: "POST", body: { roundId: mine.roundId, rateeCode: SUPPLIERS.small.creditCode, stars: 6 } });
    expect(stars.body.error.details).toEqual([expect.objectContaining({ path: "/stars", rule: "range" })]);
    expect(Number((await platform.kernel.db.knex("credit_ratings").where({ status: "done" }).count("* as n"))[0].n)).toBe(0);

    const rated = await api("buyer", "/api/credit/ratings", { method: "POST", body: { roundId: mine.roundId, rateeCode: SUPPLIERS.small.creditCode, stars: 4, comment: "按时送货，安装规范" } });
    expect(rated.status).toBe(201);
    expect(rated.body).toMatchObject({ status: "done", stars: 4, rateeCode: SUPPLIERS.small.creditCode });
    const twice = await api("buyer", "/api/credit/ratings", { method: "POST", body: { roundId: mine.roundId, rateeCode: SUPPLIERS.small.creditCode, stars: 1 } });
    expect(twice.status).toBe(409);
    expect(twice.body.error).toMatchObject({ code: "CONFLICT", details: { rule: "credit.rating.once" } });
    expect(await pending("buyer")).toEqual([]);
    ok(await api("mallSupplier", "/api/credit/ratings", { method: "POST", body: { roundId: mine.roundId, rateeCode: UNITS.buyer.budgetCode, stars: 5 } }), 201);
  });

  let roundId: string;
  test("a procurement completed opens a round of every party: purchaser → winner and agency, experts → agency, agency → experts and purchaser, suppliers → purchaser and agency", async () => {
    travel("2021-04-06");
    const round: RatingRoundEvent = {
      source: "evaluation", sourceId: "e2d0f5b4-8c1e-4c59-9d0a-3a8f6c2b7e11", tenantCode: "441300", title: "惠州市某路段照明采购", completedOn: "2021-04-06",
      purchaser: { code: PURCHASER, name: "惠州市城市管理局" }, agency: { code: AGENCY, name: "惠州市某代理有限公司" }, experts,
      suppliers: [{ code: WINNER, name: "惠州市中标照明有限公司", winner: true }, { code: LOSER, name: "惠州市未中标照明有限公司", winner: false }],
    };
    // twice, as a retried producer would: one round
    for (let i = 0; i < 2; i++) await platform.kernel.db.knex.transaction((trx) => enqueue(trx, { event: "credit.ratingRound", key: `evaluation:${round.sourceId}`, payload: round }));
    const agency = await poll("the agency's pending ratings", () => pending("agency"), (r) => r.length === 4);
    const rated = (items: Array<Record<string, unknown>>) => items.map((r) => `${r.rateeKind}:${r.rateeCode}`).sort();
    expect(rated(agency)).toEqual([...experts.map((e) => `expert:${e}`), `purchaser:${PURCHASER}`].sort());
    expect(rated(await pending("purchaser"))).toEqual([`agency:${AGENCY}`, `supplier:${WINNER}`]);
    for (let i = 0; i < 3; i++) expect(rated(await pending(`expert${i}`))).toEqual([`agency:${AGENCY}`]);
    for (const s of ["winner", "loser"]) expect(rated(await pending(s))).toEqual([`agency:${AGENCY}`, `purchaser:${PURCHASER}`]);
    roundId = agency[0].roundId;
    expect(agency[0]).toMatchObject({ dueOn: "2021-04-13", title: "惠州市某路段照明采购" });
    expect(Number((await platform.kernel.db.knex("credit_rating_rounds").where({ source: "evaluation" }).count("* as n"))[0].n)).toBe(1);

    // the purchaser does not rate a losing bidder
    const loser = await api("purchaser", "/api/credit/ratings", { method: "POST", body: { roundId, rateeCode: LOSER, stars: 3 } });
    expect(loser.status).toBe(400);
    expect(loser.body.error.details[0]).toMatchObject({ path: "/rateeCode", rule: "credit.rating.pairs" });
    // an expert rates the agency; the agency rates an expert (experts are rated as persons)
    ok(await api("expert0", "/api/credit/ratings", { method: "POST", body: { roundId, rateeCode: AGENCY, stars: 4 } }), 201);
    ok(await api("agency", "/api/credit/ratings", { method: "POST", body: { roundId, rateeCode: experts[0], stars: 5 } }), 201);
  });

  test("two saves of the same rating at once make one rating: one is taken, the other told it is already given", async () => {
    const save = () => api("purchaser", "/api/credit/ratings", { method: "POST", body: { roundId, rateeCode: WINNER, stars: 5 } });
    const answers = await Promise.all([save(), save(), save()]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409]);
    const rows = await platform.kernel.db.knex("credit_ratings").where({ round_id: roundId, rater_code: PURCHASER, ratee_code: WINNER });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "done", stars: 5 });
  });

  test("on the window's last day (5 working days) those still owing are reminded; after it what is owed is missed and a late rating refused", async () => {
    const kinds = async () => (await platform.kernel.db.knex("core_outbox").where({ event: "notifications.requested" }).whereRaw("payload->>'kind' = 'credit.rating.reminder'").select("payload")).map((r) => r.payload);
    expect(await kinds()).toEqual([]);
    // 2021-04-13 is the fifth working day after the 6th: the last day
    travel("2021-04-13T09:00:00+08:00");
    const reminders = await poll("the reminders", kinds, (r) => r.length >= 6);
    const told = reminders.map((r) => r.owner?.unit ?? r.accounts[0]).sort();
    // the mall round (due 03-29) was closed on the way, both having rated: nobody owed there
    expect(told).toEqual([PURCHASER, AGENCY, WINNER, LOSER, experts[1], experts[2]].sort());
    const inbox = await poll("the loser's reminder", () => api("loser", "/api/notifications"), (r) => r.status === 200 && r.body.items.length > 0);
    expect(inbox.body.items.map((n: { kind: string }) => n.kind)).toContain("credit.rating.reminder");
    // still within the window today
    ok(await api("loser", "/api/credit/ratings", { method: "POST", body: { roundId, rateeCode: PURCHASER, stars: 2 } }), 201);

    travel("2021-04-14T09:00:00+08:00");
    await poll("the round closed", () => platform.kernel.db.knex("credit_rating_rounds").where({ id: roundId }).first(), (r) => !!r.closed_at);
    const late = await api("winner", "/api/credit/ratings", { method: "POST", body: { roundId, rateeCode: PURCHASER, stars: 5 }, headers: { "accept-language": "en" } });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: "DEADLINE_PASSED", details: { rule: "credit.rating.window", dueOn: "2021-04-13" } });
    expect(late.body.error.message).toMatch(/within 5 working days/);
    const statuses = await platform.kernel.db.knex("credit_ratings").where({ round_id: roundId }).select("status");
    expect(statuses.filter((s) => s.status === "done")).toHaveLength(4);
    expect(statuses.filter((s) => s.status === "missed")).toHaveLength(statuses.length - 4);
    expect(await pending("winner")).toEqual([]);
  });

  test("the quarter score out of 100 from ratings received, credit records and missed ratings, with its formula, for the party and the regulators only", async () => {
    // a credit record of the winner in the quarter (a late payment the supervision plugin would announce)
    await platform.kernel.db.knex.transaction((trx) => enqueue(trx, {
      event: "credit.fact", key: "test:late",
      payload: { subjectCode: WINNER, subjectKind: "supplier", kind: "late-delivery", title: { "zh-CN": "逾期交货", en: "Late delivery" }, occurredOn: "2021-05-10", tenantCode: "441300" },
    }));
    travel("2021-05-20");
    const s = await poll("the winner's score with its record", () => api("winner", "/api/credit/scores/mine?quarter=2021Q2"), (r) => r.status === 200 && r.body.breakdown.records === 1);
    // received 5 stars (100 points); one record and two missed ratings: 100 − 20 − 2 × 10 = 60; 100 × 0.7 + 60 × 0.3 = 88
    expect(s.body).toMatchObject({ code: WINNER, quarter: "2021Q2", from: "2021-04-01", to: "2021-06-30", score: 88, breakdown: { ratingsReceived: 1, ratingPoints: 100, records: 1, missed: 2, recordPoints: 60, computation: "100 × 0.7 + 60 × 0.3 = 88" } });
    expect(s.body.formula["zh-CN"]).toContain("得分 = 评价分 × 0.7 + 信用记录分 × 0.3");
    expect(s.body.formula.en).toContain("the average stars received this quarter × 20");
    expect(s.body.breakdown.recordList).toEqual([expect.objectContaining({ kind: "late-delivery", occurredOn: "2021-05-10", source: "test" })]);

    // the mall supplier in its quarter: rated 4 stars, nothing missed, no record: 80 × 0.7 + 100 × 0.3 = 86
    expect(ok(await api("mallSupplier", "/api/credit/scores/mine?quarter=2021Q1"))).toMatchObject({ score: 86, breakdown: { ratingPoints: 80, records: 0, missed: 0 } });
    // the regulator reads anyone's; another supplier may not; a malformed quarter is refused
    expect(ok(await api("regulator", `/api/credit/scores/${WINNER}?quarter=2021Q2`)).score).toBe(88);
    const other = await api("loser", `/api/credit/scores/${WINNER}`);
    expect(other.status).toBe(403);
    expect(other.body.error.details.rule).toBe("credit.scoreAccess");
    const bad = await api("winner", "/api/credit/scores/mine?quarter=2021-2");
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({ path: "/quarter" });
  });

  test("payment.invoice30days: a mall order paid after its due day is a late payment in the purchaser's credit file, once; one paid in time is none", async () => {
    const file = async () => ok(await api("buyer", `/api/credit/files/${UNITS.buyer.budgetCode}`)).facts.filter((f: { kind: string }) => f.kind === "late-payment");
    expect(await file()).toEqual([]);
    const order = ok(await api("buyer", "/api/workflows/emall.order/instances", { method: "POST", body: { data: orderData(1) } }), 201);
    ok(await take("mallSupplier", order.id, "confirm"));
    const accepted = ok(await take("buyer", order.id, "accept"));
    expect(accepted.data.paymentDue).toBe("2021-06-21");
    travel("2021-06-23");
    expect(ok(await take("buyer", order.id, "pay")).data).toMatchObject({ paidLate: true });
    const facts = await poll("the late payment", file, (f) => f.length > 0);
    expect(facts).toEqual([expect.objectContaining({ source: "emall", rule: "payment.invoice30days", subjectKind: "purchaser", occurredOn: "2021-06-23", startsOn: "2021-06-21", appealState: "none", reference: `emall:${order.id}` })]);
    // its rating round opened too: the first order's was paid in time and left no fact
    await poll("the second round", () => pending("buyer"), (r) => r.length === 1);
    expect(await file()).toHaveLength(1);
  });
});
