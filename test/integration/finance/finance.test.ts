import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { usccCheckChar } from "../../../core/forms/formats";
import { poll } from "../../support/http";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";
import RULES from "../../../plugins/finance/statutory-rules.json";

const ROOT = path.resolve(__dirname, "../../..");
const code = (n: number) => {
  const first17 = `91441300MA${String(n).padStart(7, "0")}`;
  return first17 + usccCheckChar(first17);
};
const [ISSUED, DECLINED, NOTHING, DEPOSITED, LATE] = [1, 2, 3, 4, 5].map((i) => code(200 + i));
const BANK = code(301);
const INSURER = code(302);
const UNITS = { purchaser: "441300401", otherPurchaser: "441300402", agency: code(900), otherAgency: code(901) };
const DAY = 86_400_000;

/**
 * Financial services (issue 20, the finance half): institutions admitted per region, e-guarantees
 * issued, verified and claimed on, deposits confirmed and refunded on their clocks, and the bid
 * security e-trading asks of them at the deadline. One platform with registries, supervision,
 * e-trading and finance for the whole file.
 */
describe("finance", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  const t: Record<string, string> = {};
  const T0 = Date.parse("2026-11-02T10:00:00+08:00");
  const DEADLINE = T0 + 10 * DAY;

  beforeAll(async () => {
    pluginsDir = linkPlugins(["registries", "supervision", "etrading", "credit", "finance"], "finance-plugins");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms") });
    const tok = (tenantCode: string, roles: string[], unitCode?: string) => platform.token({ tenantCode, roles, unitCode });
    t.province = await tok("440000", ["regulator"]);
    t.city = await tok("441300", ["regulator"]);
    t.maoming = await tok("440900", ["regulator"]);
    t.purchaser = await tok("441300", ["purchaser"], UNITS.purchaser);
    t.otherPurchaser = await tok("441300", ["purchaser"], UNITS.otherPurchaser);
    t.agency = await tok("441300", ["agency"], UNITS.agency);
    t.otherAgency = await tok("441300", ["agency"], UNITS.otherAgency);
    t.bank = await tok("440000", ["institution"], BANK);
    t.insurer = await tok("440000", ["institution"], INSURER);
    for (const [k, c] of Object.entries({ ISSUED, DECLINED, NOTHING, DEPOSITED, LATE })) t[k] = await tok("441300", ["supplier"], c);
    platform.kernel.clock.travelTo(new Date(T0).toISOString());
  });
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  const at = (ms: number) => platform.kernel.clock.travelTo(new Date(ms).toISOString());
  const api = (who: string | null, p: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) => platform.api(p, { ...init, ...(who ? { token: t[who] } : {}) });
  const rules = (res: { body: { error: { details?: Array<{ rule: string }> } } }) => (res.body.error.details ?? []).map((d) => d.rule);

  /** A published tender taking bids until DEADLINE, its documents asking `deposit`, the suppliers having obtained them. */
  async function tender(deposit: { kind: string; amount?: string } | null, suppliers: string[]): Promise<string> {
    const knex = platform.kernel.db.knex;
    const id = randomUUID();
    const now = new Date(T0 - 5 * DAY);
    await knex("etrading_tenders").insert({
      id, instance_id: randomUUID(), tenant_code: "441300", unit: UNITS.purchaser, unit_name: "惠州市交通运输局", agency_code: UNITS.agency,
      method: "public-tender", title: "惠州市城区道路照明设备采购", max_price: "1000000.00", published_at: now, bid_deadline: new Date(DEADLINE), opening_at: new Date(DEADLINE),
      status: "published", custodians: "[]", config: JSON.stringify({ invitation: "notice", bidderListConfidential: true }), docs_version: 1, created_at: now, updated_at: now,
      documents: JSON.stringify(deposit ? { deposit } : {}),
    });
    await knex("etrading_registrations").insert(suppliers.map((c, i) => ({ tender_id: id, supplier_code: c, supplier_name: `惠州市第${i + 1}照明科技有限公司`, registered_at: now })));
    return id;
  }
  /** The bidders' sealed bids as the deadline finds them, and the tender closed. */
  async function close(id: string, bidders: string[]) {
    const knex = platform.kernel.db.knex;
    await knex("etrading_bids").insert(bidders.map((c) => ({ id: randomUUID(), tender_id: id, supplier_code: c, version: 1, action: "submitted", docs_version: 1, hash: "0".repeat(64), receipt: "{}", received_at: new Date(T0) })));
    await knex("etrading_tenders").where({ id }).update({ status: "opening" });
  }

  test("institutions are admitted per region by the province's regulator only; bad input is refused field by field", async () => {
    const cityTry = await api("city", "/api/finance/institutions", { method: "POST", body: { code: BANK, name: "中国建设银行惠州分行", kind: "bank", regions: ["441300"] } });
    expect(cityTry.status).toBe(403);
    expect(cityTry.body.error.code).toBe("FORBIDDEN");

    const bad = await api("province", "/api/finance/institutions", { method: "POST", body: { code: "BADCODE", name: " ", kind: "pawnshop", regions: ["441300"] }, headers: { "accept-language": "en" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/code", "/kind", "/name"]);
    expect(bad.body.error.message).toMatch(/not valid/);
    const badRegion = await api("province", "/api/finance/institutions", { method: "POST", body: { code: BANK, name: "中国建设银行惠州分行", kind: "bank", regions: ["999999"] } });
    expect(badRegion.status).toBe(400);
    expect(badRegion.body.error.details[0].path).toBe("/regions/0");

    const bank = await api("province", "/api/finance/institutions", { method: "POST", body: { code: BANK, name: "中国建设银行惠州分行", kind: "bank", regions: ["441300"], collectionAccount: "44050171000100001234" } });
    expect(bank.status).toBe(201);
    expect(bank.body).toMatchObject({ code: BANK, kind: "bank", regions: ["441300"] });
    const insurer = await api("province", "/api/finance/institutions", { method: "POST", body: { code: INSURER, name: "中国人民财产保险股份有限公司广东省分公司", kind: "insurer", regions: ["440000"] } });
    expect(insurer.status).toBe(201);
    expect((await api("province", "/api/finance/institutions", { method: "POST", body: { code: BANK, name: "again", kind: "bank", regions: ["441300"] } })).status).toBe(409);

    // Maoming's suppliers are offered the insurer (admitted province-wide), not the Huizhou bank
    const maoming = await api("ISSUED", "/api/finance/institutions?region=440902");
    expect(maoming.body.items.map((i: { code: string }) => i.code)).toEqual([INSURER]);
    const huizhou = await api("ISSUED", "/api/finance/institutions?region=441302");
    expect(huizhou.body.items.map((i: { code: string }) => i.code).sort()).toEqual([BANK, INSURER].sort());
    // an institution reads its own record; a supplier is no institution
    expect((await api("bank", "/api/finance/institutions/mine")).body).toMatchObject({ code: BANK, collectionAccount: "44050171000100001234" });
    expect((await api("ISSUED", "/api/finance/institutions/mine")).status).toBe(403);
  });

  test("an e-guarantee: refused where the documents ask no security (deposit.nonCashAndGuarantee) or above deposit.max; issued, verified publicly; valid at the deadline, a declined one excludes its bidder", async () => {
    const none = await tender(null, [ISSUED]);
    const noSecurity = await api("ISSUED", "/api/finance/guarantees", { method: "POST", body: { tenderId: none, institutionCode: INSURER } });
    expect(noSecurity.status).toBe(400);
    expect(rules(noSecurity)).toEqual(["deposit.nonCashAndGuarantee"]);

    const id = await tender({ kind: "guarantee", amount: "10000.00" }, [ISSUED, DECLINED, NOTHING]);
    // deposit.max: 2 % of the 1,000,000 budget ceiling is 20,000
    expect(RULES.rules["deposit.max"].value).toBe(2);
    const tooMuch = await api("ISSUED", "/api/finance/guarantees", { method: "POST", body: { tenderId: id, institutionCode: INSURER, amount: "20000.01" } });
    expect(tooMuch.status).toBe(400);
    expect(rules(tooMuch)).toEqual(["deposit.max"]);
    expect(tooMuch.body.error.message).toBe("提交的数据未通过校验");
    const unknownInst = await api("ISSUED", "/api/finance/guarantees", { method: "POST", body: { tenderId: id, institutionCode: code(399) } });
    expect(rules(unknownInst)).toEqual(["exists"]);
    const notRegistered = await api("LATE", "/api/finance/guarantees", { method: "POST", body: { tenderId: id, institutionCode: INSURER } });
    expect(notRegistered.status).toBe(409);

    const applied = await api("ISSUED", "/api/finance/guarantees", { method: "POST", body: { tenderId: id, institutionCode: INSURER } });
    expect(applied.status).toBe(201);
    // prefilled from the tender: its title, purchaser and the amount the documents ask
    expect(applied.body).toMatchObject({ status: "pending", title: "惠州市城区道路照明设备采购", beneficiary: "惠州市交通运输局", amount: "10000.00", tenantCode: "441300" });
    expect((await api("ISSUED", "/api/finance/guarantees", { method: "POST", body: { tenderId: id, institutionCode: INSURER } })).status).toBe(409);
    const declinedApp = await api("DECLINED", "/api/finance/guarantees", { method: "POST", body: { tenderId: id, institutionCode: BANK } });
    expect(declinedApp.status).toBe(201);

    // each institution sees its own business only: the bank neither lists nor reads nor decides the insurer's application
    expect((await api("bank", "/api/finance/guarantees?status=pending")).body.items.map((g: { id: string }) => g.id)).toEqual([declinedApp.body.id]);
    expect((await api("bank", `/api/finance/guarantees/${applied.body.id}`)).status).toBe(404);
    expect((await api("bank", `/api/finance/guarantees/${applied.body.id}/decision`, { method: "POST", body: { approve: true } })).status).toBe(404);
    expect((await api("DECLINED", `/api/finance/guarantees/${applied.body.id}`)).status).toBe(404);
    // a supplier cannot decide its own application
    expect((await api("ISSUED", `/api/finance/guarantees/${applied.body.id}/decision`, { method: "POST", body: { approve: true } })).status).toBe(403);

    // outside its admitted regions the bank is refused: the province narrows it to Maoming, then back
    expect((await api("province", `/api/finance/institutions/${BANK}/regions`, { method: "PUT", body: { regions: ["440900"] } })).status).toBe(200);
    const outside = await api("bank", `/api/finance/guarantees/${declinedApp.body.id}/decision`, { method: "POST", body: { approve: true }, headers: { "accept-language": "en" } });
    expect(outside.status).toBe(403);
    expect(outside.body.error.message).toMatch(/not admitted in that region \(441300\)/);
    expect((await api("province", `/api/finance/institutions/${BANK}/regions`, { method: "PUT", body: { regions: ["441300"] } })).status).toBe(200);
    const noReason = await api("bank", `/api/finance/guarantees/${declinedApp.body.id}/decision`, { method: "POST", body: { approve: false } });
    expect(noReason.status).toBe(400);
    const declined = await api("bank", `/api/finance/guarantees/${declinedApp.body.id}/decision`, { method: "POST", body: { approve: false, reason: "申请人近一年有逾期记录" } });
    expect(declined.body).toMatchObject({ status: "declined", declineReason: "申请人近一年有逾期记录" });

    const issued = await api("insurer", `/api/finance/guarantees/${applied.body.id}/decision`, { method: "POST", body: { approve: true } });
    expect(issued.status).toBe(200);
    expect(issued.body.status).toBe("issued");
    expect(issued.body.verificationCode).toMatch(/^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);
    expect(issued.body.letter).toMatchObject({ amount: "10000.00", applicant: ISSUED, beneficiary: "惠州市交通运输局", institution: { code: INSURER } });
    expect((await api("insurer", `/api/finance/guarantees/${applied.body.id}/decision`, { method: "POST", body: { approve: true } })).status).toBe(409);

    // anyone checks the letter by its code, without signing in; the signature holds
    const check = await api(null, `/api/finance/verify/${issued.body.verificationCode.toLowerCase()}`);
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ valid: true, signatureValid: true, status: "issued", letter: { number: issued.body.letter.number }, institution: { code: INSURER } });
    expect((await api(null, "/api/finance/verify/AAAA-BBBB-CCCC-DDDD")).status).toBe(404);
    // a letter altered in the database no longer verifies
    await platform.kernel.db.knex("finance_guarantees").where({ id: applied.body.id }).update({ letter: JSON.stringify({ ...issued.body.letter, amount: "99999.00" }) });
    expect((await api(null, `/api/finance/verify/${issued.body.verificationCode}`)).body).toMatchObject({ signatureValid: false, valid: false });
    await platform.kernel.db.knex("finance_guarantees").where({ id: applied.body.id }).update({ letter: JSON.stringify(issued.body.letter) });

    // after the deadline no new security is taken
    at(DEADLINE + 60_000);
    const late = await api("NOTHING", "/api/finance/guarantees", { method: "POST", body: { tenderId: id, institutionCode: INSURER } });
    expect(late.status).toBe(409);
    expect(late.body.error.details.rule).toBe("deposit.nonCashAndGuarantee");

    // at the deadline e-trading asks the provider for each bidder: the issued letter is good, the declined
    // application excludes its bidder with the reason, a bidder finance knows nothing of is left as it was
    await close(id, [ISSUED, DECLINED, NOTHING]);
    const screened = await api("purchaser", `/api/etrading/tenders/${id}/screening`, { method: "POST" });
    expect(screened.status).toBe(200);
    const byCode = Object.fromEntries(screened.body.bidders.map((b: { code: string }) => [b.code, b]));
    expect(byCode[ISSUED]).toMatchObject({ eligible: true, security: { provider: "finance", kind: "guarantee", status: "received", amount: "10000.00", reference: issued.body.letter.number } });
    expect(byCode[DECLINED]).toMatchObject({ eligible: false, security: { status: "invalid" } });
    expect(byCode[DECLINED].reasons).toEqual([expect.objectContaining({ rule: "deposit.nonCashAndGuarantee", source: "finance", message: expect.objectContaining({ "zh-CN": expect.stringContaining("申请人近一年有逾期记录") }) })]);
    expect(byCode[NOTHING]).toMatchObject({ eligible: true, reasons: [] });
    expect(byCode[NOTHING].security).toBeUndefined();

    // the purchaser claims: the bidder withdrew after the deadline; another purchaser cannot; the insurer pays
    const stranger = await api("otherPurchaser", `/api/finance/guarantees/${applied.body.id}/claim`, { method: "POST", body: { reason: "withdrew-after-deadline", statement: "截止后撤回" } });
    expect(stranger.status).toBe(404);
    const badClaim = await api("purchaser", `/api/finance/guarantees/${applied.body.id}/claim`, { method: "POST", body: { reason: "disliked" } });
    expect(badClaim.status).toBe(400);
    expect(badClaim.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/reason", "/statement"]);
    const claimed = await api("purchaser", `/api/finance/guarantees/${applied.body.id}/claim`, { method: "POST", body: { reason: "withdrew-after-deadline", statement: "该供应商于投标截止后书面撤回投标文件" } });
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({ status: "claimed", claim: { reason: "withdrew-after-deadline", filedBy: UNITS.purchaser } });
    expect((await api("bank", `/api/finance/guarantees/${applied.body.id}/claim/answer`, { method: "POST", body: { pay: true } })).status).toBe(404);
    const paid = await api("insurer", `/api/finance/guarantees/${applied.body.id}/claim/answer`, { method: "POST", body: { pay: true } });
    expect(paid.body).toMatchObject({ status: "paid", claim: { answer: { pay: true } } });
    at(T0);
  });

  /** A project of Huizhou's purchaser whose contract is filed, won by `supplier` (supervision's stages have their own tests). */
  async function filedContract(supplier: string, amount: string): Promise<string> {
    const id = randomUUID();
    const now = new Date(T0);
    await platform.kernel.db.knex("supervision_projects").insert({
      id, tenant_code: "441300", owner_unit: UNITS.purchaser, unit_name: "惠州市交通运输局", name: "惠州市城区道路照明设备采购", stage: "contract", budget: "1000000.00",
      intention_id: randomUUID(), method: "public-tender", supplier_code: supplier, supplier_name: "惠州市第1照明科技有限公司", supplier_sme: true, awarded_amount: amount,
      contract_id: randomUUID(), contract_amount: amount, signed_on: "2026-10-20", contract_filed_on: "2026-10-21", created_at: now, updated_at: now,
    });
    return id;
  }

  test("a performance guarantee is for the supplier's own filed contract, at most performance.max of it", async () => {
    expect(RULES.rules["performance.max"].value).toBe(10);
    const project = await filedContract(ISSUED, "800000.00");
    const base = { projectId: project, institutionCode: BANK, validUntil: new Date(T0 + 400 * DAY).toISOString() };
    const over = await api("ISSUED", "/api/finance/guarantees/performance", { method: "POST", body: { ...base, amount: "80000.01" } });
    expect(over.status).toBe(400);
    expect(rules(over)).toEqual(["performance.max"]);
    // another supplier's contract is not found
    expect((await api("DECLINED", "/api/finance/guarantees/performance", { method: "POST", body: { ...base, amount: "80000.00" } })).status).toBe(404);
    const ok = await api("ISSUED", "/api/finance/guarantees/performance", { method: "POST", body: { ...base, amount: "80000.00" } });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ purpose: "performance", contractRef: project, title: "惠州市城区道路照明设备采购", beneficiary: "惠州市交通运输局", amount: "80000.00", status: "pending" });
    const issued = await api("bank", `/api/finance/guarantees/${ok.body.id}/decision`, { method: "POST", body: { approve: true } });
    expect((await api(null, `/api/finance/verify/${issued.body.verificationCode}`)).body).toMatchObject({ valid: true, letter: { purpose: "performance", contractRef: project } });
  });

  test("a deposit: non-cash only (deposit.nonCashAndGuarantee), capped (deposit.max), confirmed by the agency, refunded in 5 working days (deposit.refund.losers, deposit.refund.winner), late refunds owe interest (deposit.lateRefundInterest) and are red items", async () => {
    const id = await tender({ kind: "deposit", amount: "10000.00" }, [DEPOSITED, LATE]);
    const cash = await api("DEPOSITED", "/api/finance/deposits", { method: "POST", body: { tenderId: id, form: "cash", reference: "CASH0001" } });
    expect(cash.status).toBe(400);
    expect(rules(cash)).toEqual(["deposit.nonCashAndGuarantee"]);
    const over = await api("DEPOSITED", "/api/finance/deposits", { method: "POST", body: { tenderId: id, form: "cheque", reference: "CHQ-0001", amount: "25000.00" } });
    expect(rules(over)).toEqual(["deposit.max"]);
    const d1 = await api("DEPOSITED", "/api/finance/deposits", { method: "POST", body: { tenderId: id, form: "cheque", reference: "CHQ-0001" } });
    expect(d1.status).toBe(201);
    expect(d1.body).toMatchObject({ status: "declared", amount: "10000.00", form: "cheque" });
    const d2 = await api("LATE", "/api/finance/deposits", { method: "POST", body: { tenderId: id, form: "draft", reference: "DRF-0002" } });
    expect(d2.status).toBe(201);

    // only the agency running the tender confirms; another agency is told there is no such deposit
    expect((await api("otherAgency", `/api/finance/deposits/${d1.body.id}/confirm`, { method: "POST" })).status).toBe(404);
    expect((await api("DEPOSITED", `/api/finance/deposits/${d1.body.id}/confirm`, { method: "POST" })).status).toBe(404);
    expect((await api("agency", `/api/finance/deposits/${d1.body.id}/confirm`, { method: "POST" })).body.status).toBe("confirmed");
    expect((await api("agency", `/api/finance/deposits/${d2.body.id}/confirm`, { method: "POST" })).body.status).toBe("confirmed");

    // a confirmed deposit is a good security at the deadline
    at(DEADLINE + 60_000);
    await close(id, [DEPOSITED]);
    const screened = await api("agency", `/api/etrading/tenders/${id}/screening`, { method: "POST" });
    expect(screened.body.bidders[0]).toMatchObject({ code: DEPOSITED, eligible: true, security: { kind: "deposit", status: "received", reference: "CHQ-0001" } });

    // deposit.refund.losers: 5 working days from the award notice; from Friday 13 November, the weekend skipped
    expect(RULES.rules["deposit.refund.losers"]).toMatchObject({ value: 5, unit: "working-days" });
    at(Date.parse("2026-11-13T12:00:00+08:00"));
    const loser = await api("agency", `/api/finance/deposits/${d2.body.id}/clock`, { method: "POST", body: { rule: "deposit.refund.losers", from: "2026-11-13" } });
    expect(loser.body.refund).toMatchObject({ rule: "deposit.refund.losers", due: "2026-11-20" });
    const future = await api("agency", `/api/finance/deposits/${d1.body.id}/clock`, { method: "POST", body: { rule: "deposit.refund.winner", from: "2026-12-01" } });
    expect(rules(future)).toEqual(["past"]);
    // deposit.refund.winner: 5 working days from the contract; signed on 30 September, National Day's week off and the Saturday made a working day counted as the calendar has them
    expect(RULES.rules["deposit.refund.winner"]).toMatchObject({ value: 5, unit: "working-days" });
    const winner = await api("agency", `/api/finance/deposits/${d1.body.id}/clock`, { method: "POST", body: { rule: "deposit.refund.winner", from: "2026-09-30" } });
    expect(winner.body.refund.due).toBe("2026-10-13");
    expect(winner.body).toMatchObject({ overdue: true });

    // red items: the agency's own, the Huizhou and provincial regulators'; not Maoming's, not another agency's
    const red = await api("agency", "/api/finance/deposits/overdue");
    expect(red.body.items.map((d: { id: string }) => d.id)).toEqual([d1.body.id]);
    // deposit.lateRefundInterest: the benchmark rate marked up 20 %: 10,000 × 4.35 % × 1.2 × 31 days / 365 = 44.33
    expect(RULES.rules["deposit.lateRefundInterest"].value).toBe(20);
    expect(red.body.items[0]).toMatchObject({ overdueDays: 31, interest: "44.33", interestRule: "deposit.lateRefundInterest" });
    expect((await api("city", "/api/finance/deposits/overdue")).body.items.map((d: { id: string }) => d.id)).toEqual([d1.body.id]);
    expect((await api("province", "/api/finance/deposits/overdue")).body.items).toHaveLength(1);
    expect((await api("maoming", "/api/finance/deposits/overdue")).body.items).toEqual([]);
    expect((await api("otherAgency", "/api/finance/deposits/overdue")).body.items).toEqual([]);
    expect((await api("DEPOSITED", "/api/finance/deposits/overdue")).status).toBe(403);

    // refunded today: the interest counted to this day, and off the red list
    const refunded = await api("agency", `/api/finance/deposits/${d1.body.id}/refund`, { method: "POST", body: { on: "2026-11-13" } });
    expect(refunded.body).toMatchObject({ status: "refunded", interest: "44.33" });
    expect((await api("agency", "/api/finance/deposits/overdue")).body.items).toEqual([]);
    // the loser's, refunded on time, owes nothing
    at(Date.parse("2026-11-19T12:00:00+08:00"));
    expect((await api("agency", `/api/finance/deposits/${d2.body.id}/refund`, { method: "POST", body: {} })).body).toMatchObject({ status: "refunded", interest: "0.00", overdue: false });
    // the supplier sees its own deposits only
    expect((await api("DEPOSITED", "/api/finance/deposits")).body.items.map((d: { id: string }) => d.id)).toEqual([d1.body.id]);
    at(T0);
  });

  test("refund clocks start from the events themselves: a bid withdrawn starts deposit.refund.onWithdrawal (e-trading's withdrawal), an award the losers' and a contract the winner's (finance.refundClock); a late refund is a fact in the agency's credit file", async () => {
    const [W, A, B] = [code(211), code(212), code(213)];
    for (const [k, c] of Object.entries({ W, A, B })) t[k] = await platform.token({ tenantCode: "441300", roles: ["supplier"], unitCode: c });
    at(T0);
    const id = await tender({ kind: "deposit", amount: "10000.00" }, [W, A, B]);
    const deposits: Record<string, string> = {};
    for (const k of ["W", "A", "B"]) {
      const d = await api(k, "/api/finance/deposits", { method: "POST", body: { tenderId: id, form: "cheque", reference: `CHQ-10${k}` } });
      expect(d.status).toBe(201);
      deposits[k] = d.body.id;
      expect((await api("agency", `/api/finance/deposits/${d.body.id}/confirm`, { method: "POST" })).body.status).toBe("confirmed");
    }
    const refundOf = async (k: string) => ((await api("agency", `/api/finance/deposits?tenderId=${id}`)).body.items as Array<{ id: string; refund: { rule: string; from: string; due: string } | null }>).find((d) => d.id === deposits[k])!.refund;

    // W withdraws its bid on Wednesday 4 November through e-trading: its deposit is due back 5 working days later
    const knex = platform.kernel.db.knex;
    await knex("etrading_bids").insert({ id: randomUUID(), tender_id: id, supplier_code: W, version: 1, action: "submitted", docs_version: 1, hash: "0".repeat(64), receipt: "{}", received_at: new Date(T0) });
    at(Date.parse("2026-11-04T09:00:00+08:00"));
    const withdrawn = await api("W", `/api/etrading/tenders/${id}/bids/mine`, { method: "DELETE" });
    expect(withdrawn.status).toBe(200);
    expect(RULES.rules["deposit.refund.onWithdrawal"]).toMatchObject({ value: 5, unit: "working-days" });
    expect(await poll("the withdrawal's refund clock", () => refundOf("W"), (r) => r !== null)).toMatchObject({ rule: "deposit.refund.onWithdrawal", from: "2026-11-04", due: "2026-11-11" });

    // the award (evaluation puts this in its outbox): the losers' clocks; the contract: the winner's; the same event twice changes nothing
    const event = (rule: string, from: string, supplierCodes: string[]) => knex.transaction((trx) => trx("core_outbox").insert({ event: "finance.refundClock", payload: JSON.stringify({ tenderId: id, rule, from, supplierCodes }) }));
    await event("deposit.refund.losers", "2026-11-13", [B, W]);
    expect(await poll("the loser's refund clock", () => refundOf("B"), (r) => r !== null)).toMatchObject({ rule: "deposit.refund.losers", from: "2026-11-13", due: "2026-11-20" });
    await event("deposit.refund.winner", "2026-11-16", [A]);
    await event("deposit.refund.losers", "2026-11-16", [B]);
    expect(await poll("the winner's refund clock", () => refundOf("A"), (r) => r !== null)).toMatchObject({ rule: "deposit.refund.winner", due: "2026-11-23" });
    expect(await refundOf("B")).toMatchObject({ from: "2026-11-13" });
    expect(await refundOf("W")).toMatchObject({ rule: "deposit.refund.onWithdrawal" });

    // A's deposit goes back late, on 30 November: the agency's credit file gets the fact (credit, if installed, files it)
    at(Date.parse("2026-11-30T12:00:00+08:00"));
    const late = await api("agency", `/api/finance/deposits/${deposits.A}/refund`, { method: "POST", body: {} });
    expect(late.body).toMatchObject({ status: "refunded", overdue: true });
    const [fact] = await knex("core_outbox").where({ event: "credit.fact" }).whereRaw("payload->>'reference' = ?", [deposits.A]);
    expect(fact.payload).toMatchObject({ subjectCode: UNITS.agency, subjectKind: "agency", kind: "late-deposit-refund", rule: "deposit.refund.winner", occurredOn: "2026-11-30", tenantCode: "441300" });
    // on time: no fact
    at(Date.parse("2026-11-19T12:00:00+08:00"));
    await api("agency", `/api/finance/deposits/${deposits.B}/refund`, { method: "POST", body: {} });
    expect(await knex("core_outbox").where({ event: "credit.fact" }).whereRaw("payload->>'reference' = ?", [deposits.B])).toEqual([]);
    at(T0);
  });

  test("the tenant's schedule gates finance: where it is off a supplier neither declares nor reads; in sunset new business is refused and reading goes on", async () => {
    const admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    at(T0);
    for (const [county, state] of [["441303", "off"], ["441322", "sunset"]]) {
      expect((await platform.api(`/api/tenants/${county}/modules/finance`, { method: "PUT", token: admin, body: { state, from: "2026-11-03" } })).status).toBe(200);
    }
    at(T0 + DAY);
    const off = await platform.token({ tenantCode: "441303", roles: ["supplier"], unitCode: code(221) });
    const sunset = await platform.token({ tenantCode: "441322", roles: ["supplier"], unitCode: code(222) });
    const body = { tenderId: randomUUID(), form: "cheque", reference: "CHQ-9001" };
    const refused = await platform.api("/api/finance/deposits", { method: "POST", token: off, body });
    expect([refused.status, refused.body.error.code]).toEqual([403, "MODULE_NOT_ENABLED"]);
    expect((await platform.api("/api/finance/deposits", { token: off })).body.error.code).toBe("MODULE_NOT_ENABLED");
    expect((await platform.api("/api/finance/deposits", { method: "POST", token: sunset, body })).body.error.code).toBe("MODULE_NOT_ENABLED");
    expect((await platform.api("/api/finance/deposits", { token: sunset })).status).toBe(200);
    at(T0);
  });

  test("contract financing (finance.smeGuaranteeAndFinancing): the winner applies against its filed contract with consent; the bank approves an amount and term; supervision shows the payment lock until repaid; the dashboard counts exposure", async () => {
    expect(RULES.rules["finance.smeGuaranteeAndFinancing"].value).toBe(true);
    const project = await filedContract(ISSUED, "800000.00");
    const body = { projectId: project, institutionCode: BANK, amount: "500000.00", days: 180, consent: true };
    const noConsent = await api("ISSUED", "/api/finance/financing", { method: "POST", body: { ...body, consent: false } });
    expect(noConsent.status).toBe(400);
    expect(rules(noConsent)).toEqual(["consent"]);
    // another supplier cannot borrow against a contract it did not win
    expect((await api("DECLINED", "/api/finance/financing", { method: "POST", body })).status).toBe(404);
    expect(rules(await api("ISSUED", "/api/finance/financing", { method: "POST", body: { ...body, amount: "800000.01" } }))).toEqual(["maximum"]);
    const applied = await api("ISSUED", "/api/finance/financing", { method: "POST", body });
    expect(applied.status).toBe(201);
    // the institution sees the contract and the consent recorded with its words
    expect(applied.body).toMatchObject({ status: "pending", contract: { amount: "800000.00", filedOn: "2026-10-21", sme: true }, consent: { text: expect.stringContaining("同意") } });
    expect((await api("insurer", "/api/finance/financing")).body.items).toEqual([]);
    expect((await api("insurer", `/api/finance/financing/${applied.body.id}/decision`, { method: "POST", body: { approve: true, amount: "500000.00", days: 180 } })).status).toBe(404);
    // and, by that consent, the applicant's credit summary (credit's, never its file): a warning of this year counted
    const knex = platform.kernel.db.knex;
    await knex.transaction((trx) => trx("core_outbox").insert({ event: "credit.fact", payload: JSON.stringify({ subjectCode: ISSUED, subjectKind: "supplier", kind: "warning", title: { "zh-CN": "警告", en: "a warning" }, occurredOn: "2026-10-30", tenantCode: "441300" }) }));
    await poll("the warning in the file", () => knex("credit_facts").where({ subject_code: ISSUED }), (rows) => rows.length > 0);
    const inbox = await api("bank", "/api/finance/financing");
    expect(inbox.body.items.map((f: { id: string }) => f.id)).toEqual([applied.body.id]);
    expect(inbox.body.items[0].creditSummary).toMatchObject({ code: ISSUED, barredToday: false, lists: [], records: [{ kind: "warning", count: 1, latest: "2026-10-30" }] });
    expect(JSON.stringify(inbox.body.items[0].creditSummary)).not.toContain("警告");
    expect((await api("ISSUED", "/api/finance/financing")).body.items[0].creditSummary).toBeUndefined();
    expect((await api("bank", `/api/credit/files/${ISSUED}`)).status).toBe(403);

    const tooMuch = await api("bank", `/api/finance/financing/${applied.body.id}/decision`, { method: "POST", body: { approve: true, amount: "500000.01", days: 180 } });
    expect(rules(tooMuch)).toEqual(["maximum"]);
    const approved = await api("bank", `/api/finance/financing/${applied.body.id}/decision`, { method: "POST", body: { approve: true, amount: "450000.00", days: 180 } });
    expect(approved.body).toMatchObject({ status: "approved", approvedAmount: "450000.00", approvedDays: 180, collectionAccount: "44050171000100001234", dueOn: "2027-05-01" });

    // supervision shows the lock to the purchaser and the regulator
    const seen = await api("purchaser", `/api/supervision/projects/${project}`);
    expect(seen.status).toBe(200);
    expect(seen.body.paymentLocks).toEqual([expect.objectContaining({ rule: "finance.smeGuaranteeAndFinancing", account: "44050171000100001234", holder: "中国建设银行惠州分行", amount: "450000.00" })]);
    expect((await api("city", `/api/supervision/projects/${project}`)).body.paymentLocks).toHaveLength(1);
    const dash = await api("bank", "/api/finance/financing/dashboard");
    expect(dash.body).toMatchObject({ applications: { approved: 1, pending: 0 }, exposure: { financing: "450000.00" } });

    expect((await api("ISSUED", `/api/finance/financing/${applied.body.id}/repaid`, { method: "POST" })).status).toBe(403);
    expect((await api("bank", `/api/finance/financing/${applied.body.id}/repaid`, { method: "POST" })).body.status).toBe("repaid");
    expect((await api("purchaser", `/api/supervision/projects/${project}`)).body.paymentLocks).toEqual([]);
    expect((await api("bank", "/api/finance/financing/dashboard")).body.exposure.financing).toBe("0.00");
  });
});
