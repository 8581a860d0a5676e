/**
 * Issue 19's chain in Debian's Chromium, after an opening: the agency draws five experts (through the API:
 * the drawing's start is the generic workflow form, tested by the experts' own tests), each expert accepts
 * its invitation on its own page, the committee elects its chair, scores independently, submits and signs
 * the report in the browser; the purchaser reviews the qualifications, awards the first-ranked and records the
 * contract on the evaluation's page, and the result notice is read on the public portal; a losing bidder files a challenge of the result in its
 * browser, the agency answers it on the challenge's page, the bidder complains to the finance department and
 * the regulator finds the complaint on its desk.
 */
import type { Browser, Page } from "playwright-core";
import { localDate } from "../../core/sdk";
import { openedTender, startEvalWorld, stopEvalWorld, type EvalWorld } from "../integration/evaluation/support";
import { cspViolations, ready, useSession, watchCsp, type Signed } from "./a11y";
import { builtWebApp, launchChromium, newPage, shot } from "./browser";

jest.setTimeout(180_000);

const TITLE = "惠州市某路段照明采购";
/** bidders 0, 1, 2: with equal technical marks the lowest price (bidder 1) ranks first; bidder 2 is the losing challenger */
const PRICES = ["400000.00", "380000.00", "420000.00"];

let w: EvalWorld;
let browser: Browser;
let tender: string;
let evaluationId: string;
let challengeId: string;
const pages: Array<{ who: string; page: Page; errors: string[] }> = [];

/** A browser page signed in with a test token (the session the web app keeps after signing in). */
async function pageFor(who: string, token: string): Promise<Page> {
  const me = await w.platform.api("/api/me", { token });
  const signed: Signed = { username: who, state: { token, refreshToken: "", expiresAt: Date.now() + 3_600_000, ttl: 3600, user: me.body.user, mustChangePassword: false } };
  const p = await newPage(browser, w.platform.baseUrl);
  await watchCsp(p.context);
  await useSession(p.page, signed);
  pages.push({ who, page: p.page, errors: p.errors });
  return p.page;
}

async function call(token: string, url: string, body?: unknown) {
  const r = await w.platform.api(url, body === undefined ? { token } : { method: "POST", token, body });
  if (r.status >= 300) throw new Error(`${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  w = await startEvalWorld(5, ["complaints", "portal"]);
  tender = await openedTender(w, PRICES);
  // openedTender writes the tender's row as e-trading's workflow leaves it, with no instance behind it; a challenge
  // reads the project the tender's instance names (complaints' partiesOf), so the row points at a real one: the
  // purchaser's procurement intention, whose data names its supervision project
  const admin = await w.platform.token({ tenantCode: "441300", roles: ["tenant-admin"] });
  await call(admin, "/api/registries/purchasers", { name: "惠州市交通运输局", budgetCode: "441300401", tenantCode: "441300", unitType: "government-agency" });
  const intention = await call(w.tokens.purchaser, "/api/workflows/supervision.intention/instances", { data: { projectName: TITLE, summary: "市区路段照明设备", budget: "500000.00", expectedMonth: localDate(new Date()).slice(0, 7) } });
  await w.platform.kernel.db.knex("etrading_tenders").where({ id: tender }).update({ instance_id: intention.id });
});

afterAll(async () => {
  await browser?.close();
  await stopEvalWorld(w);
});

afterEach(async () => {
  for (const p of pages) {
    expect([p.who, p.errors]).toEqual([p.who, []]);
    expect([p.who, await cspViolations(p.page)]).toEqual([p.who, []]);
  }
});

test("the agency draws five experts for the opened tender; each accepts on its own page", async () => {
  const started = await call(w.tokens.agency, "/api/workflows/experts.drawing/instances", { data: { tenderId: tender, committeeSize: 5, experts: 5, specialities: ["A03"], region: "441300", slotDate: w.slotDate, slot: "am" } });
  await call(w.tokens.agency, `/api/instances/${started.id}/transitions/draw`, {});
  for (const [i, e] of w.experts.entries()) {
    const page = await pageFor(`expert ${i}`, e.token);
    await page.goto("/experts/me");
    await ready(page);
    await page.getByRole("button", { name: "确认参加", exact: true }).click();
    await page.getByText("已确认参加").first().waitFor();
  }
  await call(w.tokens.agency, `/api/instances/${started.id}/transitions/complete`, {});
  const drawing = await call(w.tokens.regulator, `/api/experts/drawings/${started.data.drawingId}`);
  expect(drawing).toMatchObject({ status: "complete", experts: 5 });
});

test("the purchaser starts the evaluation and reviews the qualifications in the browser; the committee elects its chair, scores each bid, submits and signs the report", async () => {
  const criteria = [{ id: "tech", title: "技术方案", titleEn: "Technical", max: 40 }, { id: "service", title: "售后服务", titleEn: "Service", max: 30 }];
  // the purchaser starts it on /evaluation: a price weight below eval.priceWeight.goods is refused beside its field
  const purchaser = await pageFor("purchaser", w.tokens.purchaser);
  await purchaser.goto("/evaluation");
  await ready(purchaser);
  await purchaser.getByLabel("采购项目").selectOption({ label: TITLE });
  await purchaser.getByLabel("项目类别").selectOption({ label: "货物" });
  await purchaser.getByLabel("价格分值（占总分的百分比）").fill("20");
  for (const [i, c] of criteria.entries()) {
    if (i) await purchaser.getByRole("button", { name: "增加评审因素" }).click();
    await purchaser.getByLabel(`评审因素 ${i + 1} 名称`).fill(c.title);
    await purchaser.getByLabel(`评审因素 ${i + 1} 英文名称（可选）`).fill(c.titleEn);
    await purchaser.getByLabel(`评审因素 ${i + 1} 满分`).fill(String(c.max));
  }
  await purchaser.getByRole("button", { name: "发起评标", exact: true }).click();
  await purchaser.locator("#evaluation-start-weight-problem").filter({ hasText: "eval.priceWeight.goods" }).waitFor();
  expect(await purchaser.locator("#evaluation-start-weight").getAttribute("aria-invalid")).toBe("true");
  await purchaser.getByLabel("价格分值（占总分的百分比）").fill("30");
  await purchaser.getByRole("button", { name: "发起评标", exact: true }).press("Enter");
  await purchaser.waitForURL(/\/evaluation\/evaluations\/[0-9a-f-]{36}$/);
  evaluationId = purchaser.url().split("/").pop()!;
  const started = await call(w.tokens.agency, `/api/evaluation/evaluations/${evaluationId}`);
  expect(started).toMatchObject({ tenderId: tender, method: "comprehensive", category: "goods", priceWeight: 30, criteria: criteria.map((c) => expect.objectContaining({ title: c.title, titleEn: c.titleEn, max: c.max })) });
  // then reviews each bidder's qualification on the evaluation's page
  await ready(purchaser);
  const bidders = started.bids.map((b: { supplierName: string }) => b.supplierName) as string[];
  for (const name of bidders) await purchaser.getByRole("group", { name: new RegExp(`^${name}`) }).getByRole("radio", { name: "通过", exact: true }).check();
  // a failure without its reason is refused, and the server's words stand beside the reason's field
  await purchaser.getByRole("group", { name: new RegExp(`^${bidders[2]}`) }).getByRole("radio", { name: "不通过", exact: true }).check();
  await purchaser.getByRole("button", { name: "提交资格审查结果" }).click();
  const reason = purchaser.locator("#evaluation-qualification-2-reason");
  await purchaser.locator("#evaluation-qualification-2-reason-problem").filter({ hasText: "award.informLosers" }).waitFor();
  expect(await reason.getAttribute("aria-invalid")).toBe("true");
  expect(await reason.getAttribute("aria-describedby")).toBe("evaluation-qualification-2-reason-problem");
  await purchaser.getByRole("group", { name: new RegExp(`^${bidders[2]}`) }).getByRole("radio", { name: "通过", exact: true }).check();
  await purchaser.getByRole("button", { name: "提交资格审查结果" }).press("Enter");
  await purchaser.getByRole("status").filter({ hasText: "资格审查结果已提交" }).waitFor();
  expect(await call(w.tokens.agency, `/api/evaluation/evaluations/${evaluationId}`)).toMatchObject({ status: "scoring", bids: bidders.map(() => expect.objectContaining({ qualification: expect.objectContaining({ passed: true }) })) });
  const committee = pages.filter((p) => p.who.startsWith("expert"));
  // three of five vote for the first drawn member: a majority of the whole committee
  for (const p of committee.slice(0, 3)) {
    await p.page.goto(`/evaluation/evaluations/${evaluationId}`);
    await ready(p.page);
    await p.page.locator("#evaluation-chair-candidate").selectOption({ index: 1 });
    await p.page.getByRole("button", { name: "投票", exact: true }).click();
    await p.page.getByRole("status").filter({ hasText: "已投票" }).waitFor();
  }
  for (const [n, p] of committee.entries()) {
    await p.page.goto(`/evaluation/evaluations/${evaluationId}`);
    await ready(p.page);
    const inputs = p.page.locator("section[aria-labelledby=evaluation-sheet] input[type=number]");
    await inputs.first().waitFor();
    expect(await inputs.count()).toBe(PRICES.length * criteria.length);
    // each bid the same marks from this member: the price decides the ranking
    for (let k = 0; k < PRICES.length * criteria.length; k++) await inputs.nth(k).fill(String(k % 2 ? 25 : 35 - n));
    await p.page.getByRole("button", { name: "保存", exact: true }).click();
    await p.page.getByRole("status").filter({ hasText: "评分已保存" }).waitFor();
    await p.page.getByRole("button", { name: "提交评分", exact: true }).click();
    await p.page.getByRole("status").filter({ hasText: "评分已提交" }).waitFor();
  }
  // the last submission made the report; each member signs it, one with a dissent
  for (const [n, p] of committee.entries()) {
    await p.page.reload();
    await ready(p.page);
    await p.page.getByRole("heading", { name: "评审报告" }).waitFor();
    if (n === 4) await p.page.locator("#evaluation-dissent").fill("对第三名的售后服务评分有不同意见");
    await p.page.getByRole("button", { name: "签署评审报告" }).click();
    await p.page.getByRole("status").filter({ hasText: "已签署评审报告" }).waitFor();
  }
  await shot(committee[0].page, "evaluation-report");
  const v = await call(w.tokens.agency, `/api/evaluation/evaluations/${evaluationId}`);
  expect(v).toMatchObject({ status: "signed", signed: 5 });
  expect(v.report.ranking.map((x: { price: string }) => x.price)).toEqual(["380000.00", "400000.00", "420000.00"]);
  expect(v.report.signatures.filter((s: { dissent: string | null }) => s.dissent)).toHaveLength(1);
});

test("the purchaser awards the first-ranked on the evaluation's page; the result notice is on the public portal; the winner refuses, the next signs", async () => {
  const v = await call(w.tokens.purchaser, `/api/evaluation/evaluations/${evaluationId}`);
  const purchaser = pages.find((p) => p.who === "purchaser")!.page;
  await purchaser.goto(`/evaluation/evaluations/${evaluationId}`);
  await ready(purchaser);
  // award.purchaserConfirm: the confirm-by day, the report's candidates in order, the first-ranked chosen to begin with
  await purchaser.getByText(`应于 ${v.confirmBy} 前确定中标人`).waitFor();
  const candidates = purchaser.getByRole("group", { name: "评审报告推荐的中标候选人（按排序）" }).getByRole("radio");
  expect(await candidates.count()).toBe(3);
  const first = purchaser.getByRole("radio", { name: "第 1 名：惠州市第2照明科技有限公司（380000.00 元）" });
  expect(await first.isChecked()).toBe(true);
  // another candidate needs its reason: refused beside the reason's field, nothing awarded
  await purchaser.getByRole("radio", { name: /^第 2 名/ }).check();
  await purchaser.getByRole("button", { name: "确定中标人" }).click();
  await purchaser.locator("#evaluation-award-reason-problem").filter({ hasText: "award.purchaserConfirm" }).waitFor();
  expect(await purchaser.locator("#evaluation-award-reason").getAttribute("aria-invalid")).toBe("true");
  expect(await call(w.tokens.purchaser, `/api/evaluation/evaluations/${evaluationId}`)).toMatchObject({ status: "signed", award: null });
  // back to the first-ranked with the keyboard
  await first.focus();
  await purchaser.keyboard.press("Space");
  await purchaser.getByRole("button", { name: "确定中标人" }).focus();
  await purchaser.keyboard.press("Enter");
  await purchaser.getByRole("status").filter({ hasText: "已确定中标人" }).waitFor();
  const awarded = await call(w.tokens.purchaser, `/api/evaluation/evaluations/${evaluationId}`);
  expect(awarded).toMatchObject({ status: "awarded", award: { bidId: v.report.ranking[0].bidId, rank: 1, reason: null, deemed: false } });
  const result = await purchaser.locator("section[aria-labelledby=evaluation-runner] dl").innerText();
  expect(result).toMatch(/中标人\s+惠州市第2照明科技有限公司/);
  // contract.signWithin: the sign-by day the award started
  expect(result).toContain(awarded.signBy);
  await shot(purchaser, "evaluation-award");
  // the notice reaches the portal through the outbox
  let notice: { id: string; title: string } | undefined;
  for (let i = 0; i < 100 && !notice; i++) {
    const list = await w.platform.api("/api/portal/notices?pageSize=50");
    notice = list.body.items?.find((n: { kind?: string; noticeType?: string; title: string }) => n.title.includes(TITLE) && JSON.stringify(n).includes("result"));
    if (!notice) await new Promise((r) => setTimeout(r, 100));
  }
  expect(notice).toBeDefined();
  const p = await newPage(browser, w.platform.baseUrl);
  await watchCsp(p.context);
  pages.push({ who: "the public", page: p.page, errors: p.errors });
  await p.page.goto(`/notices/${notice!.id}`);
  await ready(p.page);
  const text = await p.page.locator("main").innerText();
  // the winner and its price, under their titles (never a bare field name); no scores
  expect(text).toMatch(/中标（成交）供应商\s+惠州市第2照明科技有限公司/);
  expect(text).toMatch(/中标（成交）金额（元）\s+380000\.00/);
  expect(text).toContain("定标时间");
  expect(text).not.toContain("总分");
  await shot(p.page, "evaluation-result-notice");

  // contract.winnerRefuses: the refusal needs what happened (refused beside its field), then the next candidate wins
  await purchaser.getByRole("button", { name: "中标人拒签" }).click();
  await purchaser.locator("#evaluation-refusal-reason-problem").filter({ hasText: "contract.winnerRefuses" }).waitFor();
  expect(await purchaser.locator("#evaluation-refusal-reason").getAttribute("aria-invalid")).toBe("true");
  await purchaser.getByLabel("中标人拒绝签订合同的情况").fill("中标人书面表示因供货周期无法满足，拒绝签订合同");
  await purchaser.getByRole("button", { name: "中标人拒签" }).click();
  await purchaser.getByRole("status").filter({ hasText: "已记录中标人拒签" }).waitFor();
  await purchaser.locator("section[aria-labelledby=evaluation-runner] dl").filter({ hasText: "惠州市第1照明科技有限公司" }).waitFor();
  await purchaser.getByText("惠州市第2照明科技有限公司 拒绝签订合同：中标人书面表示因供货周期无法满足，拒绝签订合同").waitFor();
  expect(await call(w.tokens.purchaser, `/api/evaluation/evaluations/${evaluationId}`)).toMatchObject({ award: { bidId: v.report.ranking[1].bidId }, refusals: [expect.objectContaining({ bidId: v.report.ranking[0].bidId })] });

  await purchaser.getByRole("button", { name: "合同已签订" }).click();
  await purchaser.getByRole("status").filter({ hasText: "已记录合同签订" }).waitFor();
  await purchaser.getByText(/合同已于 \d{4}-\d{2}-\d{2} 签订/).waitFor();
  expect(await purchaser.getByRole("button", { name: "中标人拒签" }).count()).toBe(0);
  expect(await call(w.tokens.purchaser, `/api/evaluation/evaluations/${evaluationId}`)).toMatchObject({ contract: { late: false } });
});

test("a losing bidder challenges the result in its browser; the agency answers on the challenge's page; the bidder complains and the regulator finds it on its desk", async () => {
  const supplier = await pageFor("losing bidder", w.suppliers[2]);
  await supplier.goto(`/etrading/tenders/${tender}/challenge`);
  await ready(supplier);
  await supplier.getByRole("radio", { name: "中标（成交）结果" }).check();
  await supplier.locator("#root_knownOn").fill(localDate(new Date()));
  await supplier.locator("#root_matters_0_text").fill("中标人的售后服务方案不满足采购需求第3.2条，评分畸高。");
  await supplier.getByRole("button", { name: "提交质疑函" }).click();
  await supplier.waitForURL(/\/complaints\/challenges\/[0-9a-f-]{36}$/);
  challengeId = supplier.url().split("/").pop()!;

  const agency = await pageFor("agency", w.tokens.agency);
  await agency.goto(`/complaints/challenges/${challengeId}`);
  await ready(agency);
  await agency.locator("#complaints-reply-text").fill("经复核，中标人售后服务方案满足采购需求第3.2条，评分符合评分标准，质疑不成立。");
  await agency.getByRole("button", { name: "提交答复" }).click();
  await agency.getByRole("status").filter({ hasText: "已答复" }).waitFor();

  await supplier.reload();
  await ready(supplier);
  await supplier.locator("#complaint_statement").fill("采购代理机构的答复未说明评分依据，请求财政部门调取评审记录核实。");
  await supplier.getByRole("button", { name: "提交投诉书" }).click();
  await supplier.getByRole("heading", { name: "投诉", exact: true }).waitFor();

  const regulator = await pageFor("regulator", w.tokens.regulator);
  await regulator.goto("/complaints/desk");
  await ready(regulator);
  await regulator.getByRole("link", { name: TITLE }).first().waitFor();
  await shot(regulator, "evaluation-complaint-desk");
  const c = await call(w.tokens.regulator, `/api/complaints/challenges/${challengeId}`);
  expect(c).toMatchObject({ target: "result", status: expect.any(String), complaint: expect.objectContaining({ status: "intake" }) });
});
