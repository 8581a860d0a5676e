import { isWorkingDay, localDate } from "../../../core/sdk";
import { committeeProblems } from "../../../plugins/experts/services/drawings";
import RULES from "../../../plugins/experts/statutory-rules.json";
import { openedTender, recompute, sha256, startExpertsWorld, stopExpertsWorld, SUPPLIERS, UNITS, type ExpertsWorld } from "./support";

/**
 * The review experts registry and its verifiable drawing (plugins/experts/README.md): admission
 * by the regulator, avoidance, the committee's size, the commitment and its recomputation,
 * confidentiality, refusals and silence replaced from the same chain.
 */
describe("experts registry and drawing", () => {
  let w: ExpertsWorld;
  let tender: string;
  /** expert tokens by label, and their registry ids */
  const experts: Record<string, { token: string; id: string; instance: string; name: string }> = {};
  let slotDate: string;

  const api = (p: string, token: string, init: { method?: string; body?: unknown; lang?: string } = {}) =>
    w.platform.api(p, { method: init.method, token, body: init.body, headers: init.lang ? { "accept-language": init.lang } : undefined });

  const application = (name: string, over: Record<string, unknown> = {}) => ({
    name, phone: "13800138000", employerName: `${name}所在的惠州市某设计院`, employerCode: "91441300MA0000EX99", titles: ["高级工程师"], specialities: ["A0302"], region: "441300", availability: "any", ...over,
  });

  async function admitted(label: string, over: Record<string, unknown> = {}) {
    const token = await w.platform.token({ tenantCode: "441300", roles: ["expert"] });
    const name = `专家${label}`;
    const r = await api("/api/workflows/experts.application/instances", token, { method: "POST", body: { data: application(name, over) } });
    expect([label, r.status]).toEqual([label, 201]);
    const ok = await api(`/api/instances/${r.body.id}/transitions/admit`, w.tokens.regulator, { method: "POST", body: { data: { reason: "材料齐全，符合入库条件" } } });
    expect([label, ok.status]).toEqual([label, 200]);
    experts[label] = { token, id: r.body.data.expertId, instance: r.body.id, name };
    return experts[label];
  }

  beforeAll(async () => {
    w = await startExpertsWorld();
    // a working day three days ahead or later: the slot every drawing here asks for
    let d = new Date(Date.now() + 3 * 86_400_000);
    while (!isWorkingDay(localDate(d))) d = new Date(d.getTime() + 86_400_000);
    slotDate = localDate(d);
    for (let i = 1; i <= 8; i++) await admitted(`P${i}`);
  });
  afterAll(() => stopExpertsWorld(w));

  test("an expert applies and the regulator admits, suspends and reinstates with reasons on the record; bad input is refused", async () => {
    const token = await w.platform.token({ tenantCode: "441300", roles: ["expert"] });
    const bad = await api("/api/workflows/experts.application/instances", token, { method: "POST", lang: "en", body: { data: application("专家甲", { specialities: ["A0399", "Z1"], phone: "12" }) } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
    expect(bad.body.error.details.map((x: { path: string }) => x.path).sort()).toEqual(["/phone", "/specialities/1"]);
    const unknown = await api("/api/workflows/experts.application/instances", token, { method: "POST", body: { data: application("专家甲", { specialities: ["A0399"] }) } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details).toEqual([expect.objectContaining({ path: "/specialities/0", message: expect.objectContaining({ "zh-CN": expect.stringContaining("A0399") }) })]);
    expect((await api("/api/experts/me", token)).status).toBe(404);

    const r = await api("/api/workflows/experts.application/instances", token, { method: "POST", body: { data: application("专家甲") } });
    expect(r.status).toBe(201);
    const again = await api("/api/workflows/experts.application/instances", token, { method: "POST", body: { data: application("专家甲") } });
    expect(again.status).toBe(409);
    // an expert does not admit themselves
    expect((await api(`/api/instances/${r.body.id}/transitions/admit`, token, { method: "POST", body: { data: { reason: "自己批准" } } })).status).toBe(403);
    const noReason = await api(`/api/instances/${r.body.id}/transitions/admit`, w.tokens.regulator, { method: "POST", body: { data: {} } });
    expect(noReason.status).toBe(400);
    expect((await api(`/api/instances/${r.body.id}/transitions/admit`, w.tokens.regulator, { method: "POST", body: { data: { reason: "材料齐全" } } })).status).toBe(200);
    expect((await api(`/api/instances/${r.body.id}/transitions/suspend`, w.tokens.regulator, { method: "POST", body: { data: { reason: "无故缺席评审两次" } } })).status).toBe(200);

    const me = await api("/api/experts/me", token);
    expect(me.body).toMatchObject({ name: "专家甲", status: "suspended", statusReason: "无故缺席评审两次", stats: { drawings: 0, attendances: 0, refusals: 0 } });
    const list = await api("/api/experts/list?status=suspended", w.tokens.regulator);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([expect.objectContaining({ name: "专家甲", statusReason: "无故缺席评审两次" })]);
    // the registry's list is the regulators'
    expect((await api("/api/experts/list", w.tokens.agency)).status).toBe(404);
    const history = await api(`/api/instances/${r.body.id}`, w.tokens.regulator);
    expect(JSON.stringify(history.body)).toContain("无故缺席评审两次");

    // the calendar and the declarations: days from today on, ties with a start and an optional end
    const days = await api("/api/experts/me/unavailable", token, { method: "PUT", body: { days: ["2020-01-01", "x"] } });
    expect(days.status).toBe(400);
    expect(days.body.error.details.map((x: { path: string }) => x.path)).toEqual(["/days/0", "/days/1"]);
    const tie = await api("/api/experts/me/ties", token, { method: "POST", body: { companyCode: "bad", companyName: "", kind: "friend", since: "2999-01-01" } });
    expect(tie.status).toBe(400);
    expect(tie.body.error.details.map((x: { path: string }) => x.path).sort()).toEqual(["/companyCode", "/companyName", "/kind", "/since"]);
  });

  test("eval.committee.tender.size, eval.committee.tender.sizeLarge, eval.committee.expertShare, eval.committee.nonTender.size, eval.committee.consultation.size: the committee the law allows", async () => {
    const paths = (ps: Array<{ path: string; rule: string }>) => ps.map((p) => `${p.path} ${p.rule}`);
    expect(paths(committeeProblems("public-tender", "500000.00", 5, 4))).toEqual([]);
    expect(paths(committeeProblems("public-tender", "500000.00", 4, 3))).toEqual(["/committeeSize eval.committee.tender.size"]);
    expect(paths(committeeProblems("public-tender", "500000.00", 5, 3))).toEqual(["/experts eval.committee.expertShare"]);
    expect(paths(committeeProblems("invited-tender", "10000000.00", 5, 4))).toEqual(["/committeeSize eval.committee.tender.sizeLarge"]);
    expect(paths(committeeProblems("invited-tender", "10000000.00", 7, 5))).toEqual([]);
    expect(paths(committeeProblems("inquiry", "300000.00", 3, 2))).toEqual([]);
    expect(paths(committeeProblems("competitive-negotiation", "300000.00", 4, 3))).toEqual(["/committeeSize eval.committee.nonTender.size"]);
    expect(paths(committeeProblems("competitive-consultation", "300000.00", 6, 4))).toEqual(["/committeeSize eval.committee.consultation.size"]);

    // through the API, on a procurement of 12 million: 7 at least
    const large = await openedTender(w, { maxPrice: "12000000.00" });
    const r = await api("/api/workflows/experts.drawing/instances", w.tokens.agency, { method: "POST", lang: "en", body: { data: { tenderId: large, committeeSize: 5, experts: 4, specialities: ["A03"], region: "441300", slotDate, slot: "am" } } });
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual([expect.objectContaining({ path: "/committeeSize", rule: "eval.committee.tender.sizeLarge" })]);
    w.platform.kernel.clock.reset();
  });

  test("calc.inclusiveTerms: a budget of exactly 10,000,000 is \"1000万元以上\" (7 members at least), and experts of exactly two thirds are \"不少于三分之二\"", async () => {
    // one fen under the amount: 5 members do
    expect(committeeProblems("public-tender", "9999999.99", 5, 4)).toEqual([]);
    const exactly = await openedTender(w, { maxPrice: "10000000.00" });
    const ask = (committeeSize: number, count: number) =>
      api("/api/workflows/experts.drawing/instances", w.tokens.agency, { method: "POST", body: { data: { tenderId: exactly, committeeSize, experts: count, specialities: ["A03"], region: "441300", slotDate, slot: "pm" } } });
    // the amount itself is "以上": 5 members are too few
    const five = await ask(5, 4);
    expect(five.status).toBe(400);
    expect(five.body.error.details).toEqual([expect.objectContaining({ path: "/committeeSize", rule: "eval.committee.tender.sizeLarge" })]);
    expect(five.body.error.details[0].message["zh-CN"]).toContain("7 人以上单数");
    // 8 experts of 13 are fewer than two thirds (8.67)
    const short = await ask(13, 8);
    expect(short.status).toBe(400);
    expect(short.body.error.details).toEqual([expect.objectContaining({ path: "/experts", rule: "eval.committee.expertShare" })]);
    // 6 of 9 is two thirds exactly: enough
    const nine = await ask(9, 6);
    expect(nine.status).toBe(201);
    expect((await api(`/api/instances/${nine.body.id}/transitions/cancel`, w.tokens.agency, { method: "POST", body: { data: { reason: "边界测试后撤回" } } })).status).toBe(200);
    w.platform.kernel.clock.reset();
  });

  test("experts.conflictOfInterest, experts.ownUnitAndAgencyStaff: the draw leaves out those tied to a bidder within 3 years and the purchaser's and agency's staff; too few eligible is refused saying what is short, nothing written", async () => {
    const tied = await admitted("C1");
    expect((await api("/api/experts/me/ties", tied.token, { method: "POST", body: { companyCode: SUPPLIERS[0], companyName: "惠州市第1照明科技有限公司", kind: "shareholding", since: "2025-03-01" } })).status).toBe(201);
    await admitted("C2", { employerCode: SUPPLIERS[2], employerName: "惠州市第3照明科技有限公司" });
    // a tie that ended more than 3 years before the slot no longer counts
    const old = await admitted("OLD");
    expect((await api("/api/experts/me/ties", old.token, { method: "POST", body: { companyCode: SUPPLIERS[1], companyName: "惠州市第2照明科技有限公司", kind: "employment", since: "2015-01-01", until: "2020-06-30" } })).status).toBe(201);
    await admitted("OWN1", { employerCode: UNITS.agency, employerName: "惠州市某招标代理有限公司" });
    await admitted("OWN2", { employerName: "惠州市交通运输局", employerCode: "11441300MB0000001X" });
    const away = await admitted("AWAY");
    expect((await api("/api/experts/me/unavailable", away.token, { method: "PUT", body: { days: [slotDate] } })).status).toBe(200);
    const gone = await admitted("GONE");
    expect((await api(`/api/instances/${gone.instance}/transitions/suspend`, w.tokens.regulator, { method: "POST", body: { data: { reason: "涉嫌违规，暂停抽取" } } })).status).toBe(200);

    tender = await openedTender(w);
    const ask = { tenderId: tender, committeeSize: 25, experts: 17, specialities: ["A03"], region: "441300", slotDate, slot: "am" };
    const started = await api("/api/workflows/experts.drawing/instances", w.tokens.agency, { method: "POST", body: { data: ask } });
    expect(started.status).toBe(201);
    const short = await api(`/api/instances/${started.body.id}/transitions/draw`, w.tokens.agency, { method: "POST", body: {} });
    expect(short.status).toBe(409);
    // P1-P8 and OLD are eligible; C1, C2 tied; OWN1, OWN2 staff; AWAY away; GONE suspended is not counted at all
    expect(short.body.error.details).toMatchObject({ rule: "experts.shortage", needed: 17, short: 8, eligible: 9, matching: 14, conflictOfInterest: 2, ownUnitAndAgencyStaff: 2, unavailable: 1 });
    expect(short.body.error.message).toContain("需要 17 名，仅有 9 名");
    const still = await api(`/api/experts/drawings/${started.body.data.drawingId}`, w.tokens.agency);
    expect(still.body).toMatchObject({ status: "committed", seed: null, eligibleCount: null, counts: { invited: 0 } });
    expect((await api(`/api/instances/${started.body.id}/transitions/cancel`, w.tokens.agency, { method: "POST", body: { data: { reason: "调整委员会人数" } } })).status).toBe(200);
  });

  test("experts.randomDrawing, experts.namesConfidential: the seed's hash is public first, the draw mixes in the opening record's hash, a regulator recomputes the same list; the agency sees counts, the regulator names, bidders nothing", async () => {
    const started = await api("/api/workflows/experts.drawing/instances", w.tokens.agency, { method: "POST", body: { data: { tenderId: tender, committeeSize: 7, experts: 5, specialities: ["A03"], region: "441300", slotDate, slot: "am" } } });
    expect(started.status).toBe(201);
    const drawingId = started.body.data.drawingId;
    const seedHash = started.body.data.seedHash;
    expect(seedHash).toMatch(/^[0-9a-f]{64}$/);
    const before = await api(`/api/experts/drawings/${drawingId}`, w.tokens.agency);
    expect(before.body).toMatchObject({ status: "committed", seedHash, seed: null });

    // the development text-message gateway writes each invitation's message to the broker's log
    const sms = jest.spyOn(w.platform.kernel.broker.getLocalService("experts.drawings")!.logger, "info");
    const drawn = await api(`/api/instances/${started.body.id}/transitions/draw`, w.tokens.agency, { method: "POST", body: {} });
    expect(drawn.status).toBe(200);
    expect(drawn.body.data).toMatchObject({ invited: 5, eligibleCount: 9 });

    // the agency: counts and statuses, no names
    const agencyView = await api(`/api/experts/drawings/${drawingId}`, w.tokens.agency);
    expect(agencyView.body).toMatchObject({ status: "inviting", counts: { invited: 5 }, seedHash });
    expect(agencyView.body.seats).toHaveLength(5);
    const shown = JSON.stringify(agencyView.body) + JSON.stringify((await api(`/api/instances/${started.body.id}`, w.tokens.agency)).body);
    for (const e of Object.values(experts)) {
      expect(shown).not.toContain(e.name);
      expect(shown).not.toContain(e.id);
    }
    // bidders: nothing at all
    for (const s of w.suppliers) expect((await api(`/api/experts/drawings/${drawingId}`, s)).status).toBe(404);
    expect((await api(`/api/instances/${started.body.id}`, w.suppliers[0])).status).toBe(404);

    // the regulator: names, the eligible ids, and the recomputation
    const reg = await api(`/api/experts/drawings/${drawingId}`, w.tokens.regulator);
    expect(reg.body.invitations.map((i: { name: string }) => i.name)).toHaveLength(5);
    const eligibleNames = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "OLD"].map((l) => experts[l].id).sort();
    expect(reg.body.eligible).toEqual(eligibleNames);
    expect(sha256(reg.body.seed)).toBe(seedHash);
    expect(reg.body.eligibleHash).toBe(sha256(eligibleNames.join("\n")));
    // the entropy is the opening record as e-trading shows it
    const record = (await api(`/api/etrading/tenders/${tender}/bids`, w.tokens.regulator)).body;
    expect(reg.body.entropy).toBe(sha256(JSON.stringify([record.tenderId, record.bids.map((b: Record<string, unknown>) => [b.bidId, b.supplierCode, b.hash, b.outcome, b.price])])));
    const order = recompute(reg.body.seed, reg.body.entropy, eligibleNames);
    expect(reg.body.invitations.map((i: { expertId: string }) => i.expertId)).toEqual(order.slice(0, 5));
    const verified = await api(`/api/experts/drawings/${drawingId}/verify`, w.tokens.regulator, { method: "POST" });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ verified: true, checks: { seedMatchesCommitment: true, entropyMatchesOpeningRecord: true, eligibleMatchesHash: true, orderRecomputed: true, invitationsFollowOrder: true } });
    expect((await api(`/api/experts/drawings/${drawingId}/verify`, w.tokens.agency, { method: "POST" })).status).toBe(403);

    const texts = () => sms.mock.calls.map((c) => String(c[0])).filter((l) => l.startsWith("[sms:dev]"));
    for (let k = 0; k < 100 && texts().length < 5; k++) await new Promise((r) => setTimeout(r, 50));
    const sent = texts();
    sms.mockRestore();
    expect(sent).toHaveLength(5);
    expect(sent[0]).toMatch(new RegExp(`^\\[sms:dev\\] to 138\\*{4}8000 \\(.+\\): 【政府采购】您被抽取为 ${slotDate}上午 的评审专家`));
  });

  test("a refusal is replaced at once and silence by the workflow's timer, both from the same seed chain; the committee is confirmed once full; the year's figures count them", async () => {
    const reg0 = (await api("/api/experts/drawings", w.tokens.regulator)).body.items.find((d: { status: string }) => d.status === "inviting");
    const drawingId = reg0.id;
    const view = async () => (await api(`/api/experts/drawings/${drawingId}`, w.tokens.regulator)).body;
    const byId = (id: string) => Object.values(experts).find((e) => e.id === id)!;
    const pending = async () => (await view()).invitations.filter((i: { status: string }) => i.status === "invited");

    const first = (await pending())[0];
    const firstExpert = byId(first.expertId);
    const mine = await api("/api/experts/me", firstExpert.token);
    const invitation = mine.body.invitations.find((i: { status: string }) => i.status === "invited");
    expect(invitation).toMatchObject({ tenderId: tender, slotDate, slot: "am" });
    const noReason = await api(`/api/experts/invitations/${invitation.id}/decline`, firstExpert.token, { method: "POST", body: {} });
    expect(noReason.status).toBe(400);
    // another expert cannot answer it
    expect((await api(`/api/experts/invitations/${invitation.id}/accept`, experts.P1.id === first.expertId ? experts.P2.token : experts.P1.token, { method: "POST" })).status).toBe(404);
    // the next one of the order is suspended meanwhile: skipped with the reason, keeping its place
    const nextInOrder = byId((await view()).drawOrder[5]);
    expect((await api(`/api/instances/${nextInOrder.instance}/transitions/suspend`, w.tokens.regulator, { method: "POST", body: { data: { reason: "接受调查，暂停抽取" } } })).status).toBe(200);
    expect((await api(`/api/experts/invitations/${invitation.id}/decline`, firstExpert.token, { method: "POST", body: { reason: "当日另有公务" } })).status).toBe(200);
    expect((await api(`/api/experts/invitations/${invitation.id}/accept`, firstExpert.token, { method: "POST" })).status).toBe(409);
    let v = await view();
    expect(v.counts).toMatchObject({ invited: 5, declined: 1, skipped: 1 });
    expect(v.invitations.map((i: { position: number; status: string }) => `${i.position} ${i.status}`).slice(5)).toEqual(["5 skipped", "6 invited"]);
    expect(v.invitations[5]).toMatchObject({ expertId: nextInOrder.id, reason: "status: suspended" });

    // three accept, two stay silent past the reply time: the sweep lapses and replaces them
    const open = await pending();
    for (const i of open.slice(0, 3)) {
      const e = byId(i.expertId);
      const inv = (await api("/api/experts/me", e.token)).body.invitations.find((x: { status: string }) => x.status === "invited");
      expect((await api(`/api/experts/invitations/${inv.id}/accept`, e.token, { method: "POST" })).status).toBe(200);
    }
    const silent = open.slice(3).map((i: { expertId: string }) => i.expertId);
    w.platform.kernel.clock.travelTo(new Date(w.platform.kernel.clock.now().getTime() + 40 * 60_000));
    for (let k = 0; k < 100 && (await view()).counts.lapsed < 2; k++) await new Promise((r) => setTimeout(r, 100));
    v = await view();
    expect(v.counts).toMatchObject({ accepted: 3, declined: 1, lapsed: 2, invited: 2, skipped: 1 });
    expect(v.invitations.filter((i: { status: string }) => i.status === "lapsed").map((i: { expertId: string }) => i.expertId).sort()).toEqual([...silent].sort());
    const verified = await api(`/api/experts/drawings/${drawingId}/verify`, w.tokens.regulator, { method: "POST" });
    expect(verified.body).toMatchObject({ verified: true });
    expect(verified.body.invited).toEqual(recompute(v.seed, v.entropy, v.eligible).slice(0, 9));

    const instance = v.instanceId;
    const early = await api(`/api/instances/${instance}/transitions/complete`, w.tokens.agency, { method: "POST", body: {} });
    expect(early.status).toBe(409);
    expect(early.body.error.details).toMatchObject({ rule: "committee-incomplete", accepted: 3, needed: 5 });
    for (const i of v.invitations.filter((x: { status: string }) => x.status === "invited")) {
      const e = byId(i.expertId);
      const inv = (await api("/api/experts/me", e.token)).body.invitations.find((x: { status: string }) => x.status === "invited");
      expect((await api(`/api/experts/invitations/${inv.id}/accept`, e.token, { method: "POST" })).status).toBe(200);
    }
    expect((await api(`/api/instances/${instance}/transitions/complete`, w.tokens.agency, { method: "POST", body: {} })).status).toBe(200);

    const stats = (await api("/api/experts/me", firstExpert.token)).body.stats;
    expect(stats).toMatchObject({ drawings: 1, attendances: 0, refusals: 1 });
    const list = (await api("/api/experts/list?status=admitted", w.tokens.regulator)).body.items;
    const total = list.reduce((s: { d: number; a: number; r: number }, e: { stats: { drawings: number; attendances: number; refusals: number } }) => ({ d: s.d + e.stats.drawings, a: s.a + e.stats.attendances, r: s.r + e.stats.refusals }), { d: 0, a: 0, r: 0 });
    expect(total).toEqual({ d: 8, a: 5, r: 3 });
    w.platform.kernel.clock.reset();
  });

  test("a no-show: the drawing's runner records that an expert who accepted did not come on the day; the seat leaves the committee and the expert's credit file gets the fact; before the day, for one who did not accept, or by anyone else: refused", async () => {
    const drawing = (await api("/api/experts/drawings", w.tokens.regulator)).body.items.find((d: { status: string }) => d.status === "complete");
    const view = async () => (await api(`/api/experts/drawings/${drawing.id}`, w.tokens.regulator)).body;
    const v = await view();
    const accepted = v.invitations.find((i: { status: string }) => i.status === "accepted");
    const declined = v.invitations.find((i: { status: string }) => i.status === "declined");
    const noShow = (id: string, token: string, body: unknown = { reason: "评审当日未到场，电话无人接听" }) => api(`/api/experts/invitations/${id}/no-show`, token, { method: "POST", body });
    expect((await noShow(accepted.id, w.tokens.agency, {})).status).toBe(400);
    const early = await noShow(accepted.id, w.tokens.agency);
    expect([early.status, early.body.error.details.rule]).toEqual([409, "slot-not-come"]);
    w.platform.kernel.clock.travelTo(`${slotDate}T15:00:00+08:00`);
    try {
      // the regulator oversees, it does not run the drawing; an expert cannot mark itself
      expect((await noShow(accepted.id, w.tokens.regulator)).status).toBe(404);
      expect((await noShow(accepted.id, Object.values(experts).find((e) => e.id === accepted.expertId)!.token)).status).toBe(404);
      expect((await noShow(declined.id, w.tokens.agency)).body.error.details.rule).toBe("not-accepted");
      expect((await noShow(accepted.id, w.tokens.agency)).body).toEqual({ id: accepted.id, status: "absent" });
      expect((await noShow(accepted.id, w.tokens.agency)).status).toBe(409);
      expect((await view()).counts).toMatchObject({ accepted: 4, absent: 1 });
      const facts = await w.platform.kernel.db.knex("core_outbox").where({ event: "credit.fact" }).whereRaw("payload->>'reference' = ?", [accepted.id]);
      expect(facts).toHaveLength(1);
      const account = await w.platform.kernel.db.knex("experts_experts").where({ id: accepted.expertId }).first("account_id");
      expect(facts[0].payload).toMatchObject({ subjectCode: account.account_id, subjectKind: "expert", kind: "expert-no-show", occurredOn: slotDate, tenantCode: "441300" });
    } finally {
      w.platform.kernel.clock.reset();
    }
  });

  test("the text-message gateway is an extension point the plugin declares, with its logging provider for development", async () => {
    const plugins = await w.platform.api("/api/plugins");
    const experts = plugins.body.find((p: { name: string }) => p.name === "experts");
    // and the committee the drawing made, which the evaluation reads (experts.committee)
    expect(experts.extensionPoints).toEqual([expect.objectContaining({ id: "experts.sms-provider", contributors: ["experts"] }), expect.objectContaining({ id: "experts.committee", contributors: ["experts"] })]);
  });

  test("experts.conflictOfInterest: a slot on 29 February looks back to 28 February of the year 3 years before (no 29th that year); a tie that lasted to that day leaves the expert out, one that ended the day before does not", async () => {
    // the next 29 February at least a day ahead (the drawing's day cannot be in the past)
    const tomorrow = localDate(new Date(Date.now() + 86_400_000));
    let year = Number(tomorrow.slice(0, 4));
    while (!(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) || `${year}-02-29` < tomorrow) year++;
    const leapSlot = `${year}-02-29`;
    // experts.conflictOfInterest: "前3年内"; the year 3 before has no 29 February, so the lookback starts on its 28th (the
    // last day of that month, as the Civil Code's art. 203 counts a period in years), the day itself within (calc.inclusiveTerms)
    expect(RULES.rules["experts.conflictOfInterest"]).toMatchObject({ value: 3, unit: "years" });
    const lastDay = `${year - 3}-02-28`;
    const dayBefore = `${year - 3}-02-27`;
    // experts of a speciality no other drawing here asks for
    const untilLastDay = await admitted("LEAP1", { specialities: ["D02"] });
    const untilDayBefore = await admitted("LEAP2", { specialities: ["D02"] });
    await admitted("LEAP3", { specialities: ["D02"] });
    for (const [e, until] of [[untilLastDay, lastDay], [untilDayBefore, dayBefore]] as const) {
      const tie = await api("/api/experts/me/ties", e.token, { method: "POST", body: { companyCode: SUPPLIERS[1], companyName: "惠州市第2照明科技有限公司", kind: "employment", since: "2015-01-01", until } });
      expect(tie.status).toBe(201);
    }
    const leapTender = await openedTender(w);
    try {
      const started = await api("/api/workflows/experts.drawing/instances", w.tokens.agency, { method: "POST", body: { data: { tenderId: leapTender, committeeSize: 5, experts: 4, specialities: ["D02"], region: "441300", slotDate: leapSlot, slot: "am" } } });
      expect(started.status).toBe(201);
      const drawn = await api(`/api/instances/${started.body.id}/transitions/draw`, w.tokens.agency, { method: "POST", body: {} });
      // the lookback is a real date: the draw is judged (too few, as arranged), not refused by the database
      expect(drawn.status).toBe(409);
      // LEAP1's tie reached the lookback's first day: left out; LEAP2's ended the day before: eligible, with LEAP3
      expect(drawn.body.error.details).toMatchObject({ rule: "experts.shortage", needed: 4, matching: 3, conflictOfInterest: 1, eligible: 2 });
      expect((await api(`/api/instances/${started.body.id}/transitions/cancel`, w.tokens.agency, { method: "POST", body: { data: { reason: "闰日回溯测试后撤回" } } })).status).toBe(200);
    } finally {
      w.platform.kernel.clock.reset();
    }
  });
});
