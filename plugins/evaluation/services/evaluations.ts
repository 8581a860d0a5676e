import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import {
  oneOfParam, actorOf, compareMoney, type ErrorDetail, type ExportColumn, exportFormatParam, exportLang, exportList, listPage, listParams, type ListOrder, type ListParamsInput, type SearchColumn, whereContains, conflict, enqueue, fieldError, forbidden, localDate, type Localized, notFound, type PlatformContext, type PlatformServiceSchema, platformNow,
  type PluginServiceThis, isMoney, periodEnd, sealDocument, toMoney, type SessionUser, tenantTree, validationFailed, writeAudit,
} from "../../../core/sdk";
import type { CreditFactEvent } from "../../credit/api";
import type { RefundClockEvent } from "../../finance/api";
import { committeeSource } from "../../experts/api";
import { type Indicator, indicatorsOf } from "./indicators";
import { type Criterion, type EvalBid, rank, type Report, rule } from "./ranking";

const EVALUATION: Localized = { "zh-CN": "评审", en: "evaluation" };
/** How often a node looks for awards past `award.purchaserConfirm` (the warning is written once). */
const AWARD_CHECK_MS = Number(process.env.EVALUATION_AWARD_CHECK_MS ?? 1000);

type This = PluginServiceThis & { awardTimer?: NodeJS.Timeout; warning?: Promise<unknown>; logger: { warn(msg: string): void } };

interface Row {
  id: string; tender_id: string; tender_instance_id: string; tenant_code: string; unit_code: string | null; agency_code: string | null; title: string; unit_name: string;
  method: "lowest-price" | "comprehensive"; category: "goods" | "services"; price_weight: string | null; sme_deduction: string; sme_rule: SmeRule; consortium_deduction: string; criteria: Criterion[]; members: string[];
  bids: EvalBid[]; status: Status; report: Report | null; confirm_by: string | null; warned_at: Date | null; award: Record<string, unknown> | null; round: number;
  orders: Array<{ reason: string; at: string; by: string }>; drawing_id: string | null; chair: string | null;
  project_id: string | null; tender_method: string | null; indicators: Indicator[]; offer_round: number; offers_open: boolean; sign_by: string | null; contract: { at: string; late: boolean } | null; refusals: Array<{ bidId: string; reason: string; at: string }>;
  award_hold: { reason: string; at: string; by: string } | null;
}
type Award = {
  bidId: string; supplierCode: string; supplierName: string; price: string; rank: number; reason: string | null; at: string; late: boolean; deemed: boolean;
  /** the result notice's last day (award.resultNoticePeriod), for tenders */
  noticeUntil?: string | null;
};
/** qualification → scoring → signing → signed → awarded; a regulator's order takes signed back to scoring */
type Status = "qualification" | "scoring" | "signing" | "signed" | "awarded";

interface TenderView { id: string; instanceId: string; tenantCode: string; title: string; method: string; maxPrice: string; purchaserName: string; status: string; mine: boolean; documents?: Record<string, unknown>; projectId?: string | null; budget?: string | null; publishedAt?: string | null }
interface OpeningRecord { bids: Array<{ bidId: string; supplierCode: string; supplierName: string; outcome: string; price: string | null; fileHashes?: string[] }> }

// ── Who the caller is to an evaluation (object level) ───────────────────────────────────────

const runs = (u: SessionUser, e: Pick<Row, "unit_code" | "agency_code" | "tenant_code">) =>
  !!u.unitCode && tenantTree().subtree(u.tenantCode).includes(e.tenant_code) && ((u.roles.includes("purchaser") && u.unitCode === e.unit_code) || (u.roles.includes("agency") && u.unitCode === e.agency_code));
const isMember = (u: SessionUser, e: Pick<Row, "members">) => u.roles.includes("expert") && e.members.includes(u.id);
const regulates = (u: SessionUser, e: Pick<Row, "tenant_code">) => u.roles.includes("regulator") && u.oversees === true && tenantTree().subtree(u.tenantCode).includes(e.tenant_code);

const unitsOf = (e: Row) => [e.unit_code, e.agency_code].filter((u): u is string => !!u);

// a UUID's own shape: PostgreSQL refuses anything else with an error, not an empty answer
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// text PostgreSQL cannot store (NUL) or JSON cannot carry (a lone surrogate)
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const storable = (v: unknown): v is string => typeof v === "string" && !v.includes("\u0000") && !LONE_SURROGATE.test(v);

const SELECT = ["*", "to_char(confirm_by, 'YYYY-MM-DD') as confirm_by", "to_char(sign_by, 'YYYY-MM-DD') as sign_by"];
async function rowOf(db: Knex, id: string, lock?: "update" | "share"): Promise<Row | undefined> {
  if (!UUID.test(id)) return undefined;
  const q = db("evaluation_evaluations").where({ id }).first(db.raw(SELECT.join(", ")));
  if (lock === "update") q.forUpdate();
  if (lock === "share") q.forShare();
  return q;
}

/**
 * Whether the caller runs the evaluation's tender: the unit that started it at once, the other of purchaser
 * and agency as e-trading says (its own action, as the caller). Asked before any transaction opens.
 */
async function runsTender(ctx: PlatformContext, db: Knex, id: string): Promise<boolean> {
  const u = ctx.meta.user!;
  const e = await rowOf(db, id);
  if (!e) return false;
  if (runs(u, e)) return true;
  if (!u.unitCode || !(u.roles.includes("purchaser") || u.roles.includes("agency"))) return false;
  try {
    return (await ctx.call<TenderView, { id: string }>("etrading.get", { id: e.tender_id })).mine === true;
  } catch {
    return false;
  }
}

/** The evaluation if the caller may see it (those who run the tender, its committee, its regulators): 404 otherwise. */
async function visible(db: Knex, u: SessionUser, id: string, lock?: "update" | "share", runner?: boolean): Promise<Row> {
  const e = await rowOf(db, id, lock);
  if (!e || !((runner ?? runs(u, e)) || isMember(u, e) || regulates(u, e))) throw notFound(EVALUATION);
  return e;
}

const wrongStage = (e: Row, zh: string, en: string, ruleId = "evaluation.stage") => conflict({ "zh-CN": zh, en }, { rule: ruleId, status: e.status });
/** After every member signed, the result stands (eval.noReEvaluation) unless a regulator orders otherwise. */
const settled = () => conflict(
  { "zh-CN": "评审报告已由全体成员签署，评审结果不得修改；仅可依监管部门的重新评审决定重新评审（eval.noReEvaluation）", en: "Every member has signed the report: the result cannot change except by the regulator's re-evaluation order (eval.noReEvaluation)" },
  { rule: "eval.noReEvaluation" },
);

function text(raw: unknown, path: string, max = 2000): string | null {
  if (raw === undefined || raw === null) return null;
  if (!storable(raw) || raw.trim().length > max) throw validationFailed([fieldError(path, "text", `应为文字（至多 ${max} 字）`, `must be text (${max} characters at most)`)]);
  return raw.trim() || null;
}

// ── The list: who sees which evaluations, its order, search and export ───────────────────────

const STATUSES: readonly Status[] = ["qualification", "scoring", "signing", "signed", "awarded"];
const STATUS_TITLES: Record<Status, Localized> = {
  qualification: { "zh-CN": "资格审查", en: "Qualification review" },
  scoring: { "zh-CN": "评分中", en: "Scoring" },
  signing: { "zh-CN": "报告待签署", en: "Report to sign" },
  signed: { "zh-CN": "报告已签署", en: "Report signed" },
  awarded: { "zh-CN": "已定标", en: "Awarded" },
};
const METHOD_TITLES: Record<Row["method"], Localized> = {
  "lowest-price": { "zh-CN": "最低评标价法", en: "Lowest evaluated price" },
  comprehensive: { "zh-CN": "综合评分法", en: "Comprehensive scoring" },
};

/** Newest first (the index evaluation_evaluations_recent). */
const EVALUATION_ORDER: ListOrder = {
  name: "evaluation.evaluations",
  keys: [
    { column: "created_at", kind: "timestamp" },
    { column: "id", kind: "uuid" },
  ],
  direction: "desc",
};

/** `q`: the title and the purchaser's name, normalised, with their indexes (migration 20261207140000_evaluation_search). */
const EVALUATION_SEARCH: SearchColumn = { column: "search", bigrams: "evaluation_bigrams(search)", trigram: true };

interface EvaluationListParams { q?: unknown; status?: unknown; page?: unknown; pageSize?: unknown; cursor?: unknown }
type Listed = Pick<Row, "id" | "tender_id" | "title" | "unit_name" | "method" | "status" | "round" | "confirm_by"> & { created_at: Date };

/** The evaluations the caller may see (see `list`), filtered as the query string says (400 with every problem). */
function filteredEvaluations(db: Knex, ctx: PlatformContext<EvaluationListParams>, problems: ErrorDetail[] = []) {
  const u = ctx.meta.user!;
  const status = oneOfParam("status", ctx.params.status, STATUSES, problems);
  const req = listParams(ctx.params as ListParamsInput, EVALUATION_ORDER, { pageSize: 50, maxPageSize: 200 }, problems);
  const query = db("evaluation_evaluations").where((w) => {
    w.whereRaw("false");
    if (u.roles.includes("expert")) w.orWhereRaw("?::uuid = any(members)", [u.id]);
    if (u.unitCode && u.roles.includes("purchaser")) w.orWhere((x) => x.where({ unit_code: u.unitCode }).whereIn("tenant_code", tenantTree().subtree(u.tenantCode)));
    if (u.unitCode && u.roles.includes("agency")) w.orWhere((x) => x.where({ agency_code: u.unitCode }).whereIn("tenant_code", tenantTree().subtree(u.tenantCode)));
    if (u.roles.includes("regulator") && u.oversees === true) w.orWhereIn("tenant_code", tenantTree().subtree(u.tenantCode));
  });
  if (status) query.where({ status });
  whereContains(query, EVALUATION_SEARCH, req.terms);
  query.select("id", "tender_id", "title", "unit_name", "method", "status", "round", "created_at", db.raw("to_char(confirm_by, 'YYYY-MM-DD') as confirm_by"));
  return { query, req };
}

const listedView = (r: Listed) => ({
  id: r.id, tenderId: r.tender_id, title: r.title, purchaserName: r.unit_name, method: r.method, status: r.status, round: r.round, confirmBy: r.confirm_by, createdAt: new Date(r.created_at).toISOString(),
});

/** The export's columns: what the list shows. */
function evaluationColumns(lang: "zh-CN" | "en"): Array<ExportColumn<ReturnType<typeof listedView>>> {
  return [
    { title: { "zh-CN": "项目名称", en: "Title" }, value: (e) => e.title, width: 40 },
    { title: { "zh-CN": "采购人", en: "Purchaser" }, value: (e) => e.purchaserName, width: 28 },
    { title: { "zh-CN": "评标方法", en: "Method" }, value: (e) => METHOD_TITLES[e.method]?.[lang] ?? e.method, width: 16 },
    { title: { "zh-CN": "状态", en: "Status" }, value: (e) => STATUS_TITLES[e.status]?.[lang] ?? e.status, width: 14 },
    { title: { "zh-CN": "评审轮次", en: "Round" }, value: (e) => e.round, width: 8 },
    { title: { "zh-CN": "确认中标人期限", en: "Award due" }, value: (e) => e.confirmBy, width: 14 },
    { title: { "zh-CN": "开始时间", en: "Started" }, value: (e) => e.createdAt, width: 26 },
  ];
}

// ── Starting: the method, the committee, the SME deduction ───────────────────────────────────

interface StartParams { tenderId: string; method: unknown; category: unknown; priceWeight?: unknown; criteria?: unknown; members?: unknown; smeDeduction?: unknown }

type CommitteeRule = "eval.committee.tender.size" | "eval.committee.tender.sizeLarge" | "eval.committee.nonTender.size" | "eval.committee.nonTender.sizeAboveThreshold" | "eval.committee.consultation.size";

/**
 * The smallest committee for the method and the tender's budget (eval.committee.tender.size, …sizeLarge,
 * eval.committee.nonTender.size, eval.committee.consultation.size). A negotiation's or an inquiry's group is 5 or
 * more once the project's budget reaches the public-tender amount (eval.committee.nonTender.sizeAboveThreshold):
 * e-trading shows the runners the filed plan's total as `budget`; without it, the maximum price stands in.
 */
function committeeRule(tender: Pick<TenderView, "maxPrice" | "method" | "budget">): { id: CommitteeRule; size: number } {
  const { maxPrice, method } = tender;
  if (method === "competitive-negotiation" || method === "inquiry") {
    const above = rule("eval.committee.nonTender.sizeAboveThreshold");
    if (compareMoney(tender.budget ?? maxPrice, String(above.budgetThresholdCNY)) >= 0) return { id: "eval.committee.nonTender.sizeAboveThreshold", size: above.value as number };
    return { id: "eval.committee.nonTender.size", size: rule("eval.committee.nonTender.size").value as number };
  }
  if (method === "competitive-consultation") return { id: "eval.committee.consultation.size", size: rule("eval.committee.consultation.size").value as number };
  const large = rule("eval.committee.tender.sizeLarge");
  if (Number(maxPrice) >= (large.budgetThresholdCNY ?? Infinity)) return { id: "eval.committee.tender.sizeLarge", size: large.value as number };
  return { id: "eval.committee.tender.size", size: rule("eval.committee.tender.size").value as number };
}

/**
 * The price weight a comprehensive scoring may give: a tender's at least eval.priceWeight.goods/services; a
 * competitive consultation's within consultation.priceWeight (goods 30–60 %, the rule's value; services 10–30 %,
 * the rule's text).
 */
function priceWeightBounds(tenderMethod: string, category: Row["category"]): { ruleId: string; min: number; max: number } {
  if (tenderMethod === "competitive-consultation") {
    const [min, max] = category === "services" ? (rule("consultation.priceWeight").services as [number, number]) : (rule("consultation.priceWeight").value as [number, number]);
    return { ruleId: "consultation.priceWeight", min, max };
  }
  const ruleId = category === "services" ? "eval.priceWeight.services" : "eval.priceWeight.goods";
  return { ruleId, min: rule(ruleId).value as number, max: 100 };
}

function checkStart(p: StartParams, tender: TenderView, drawn: string[]) {
  const problems = [];
  const method = p.method;
  if (method !== "lowest-price" && method !== "comprehensive") {
    problems.push(fieldError("/method", "enum", "评标方法应为最低评标价法（lowest-price）或综合评分法（comprehensive）", "the method is lowest-price or comprehensive"));
  }
  const category = p.category;
  if (category !== "goods" && category !== "services") problems.push(fieldError("/category", "enum", "项目类别应为货物（goods）或服务（services）", "the category is goods or services"));
  // the committee is the drawing's: a list the caller sends may only repeat it, never add to it
  const members = drawn;
  const c = committeeRule(tender);
  if (p.members !== undefined && p.members !== null) {
    const typed = Array.isArray(p.members) ? p.members : [null];
    const strangers = typed.filter((m) => !drawn.includes(m as string));
    if (strangers.length || typed.length !== drawn.length) {
      problems.push(fieldError("/members", "evaluation.committeeFromDrawing", `评标委员会成员只能是本项目抽取并接受邀请的 ${drawn.length} 名专家，其中 ${strangers.length} 人不在抽取结果中`, `the committee is the ${drawn.length} experts who accepted this tender's drawing; ${strangers.length} given are not among them`));
    }
  }
  if (members.length < c.size || members.length % 2 === 0) {
    problems.push(fieldError("/members", c.id, `评标委员会应为 ${c.size} 人以上单数，现为 ${members.length} 人（${c.id}）`, `the committee is an odd number of at least ${c.size}; ${members.length} given (${c.id})`));
  }
  // the deductions are the documents' (e-trading's `smePriceDeduction`, `consortiumDeduction`): declared to every bidder
  // before the bids, never chosen after the opening
  const smeRule = smeRuleFor(tender);
  if (p.smeDeduction !== undefined) {
    problems.push(fieldError("/smeDeduction", smeRule, `小微企业价格扣除以采购文件的声明为准，评审时不能另定（${smeRule}）`, `the SME price deduction is the one the documents declare: it is not set at the evaluation (${smeRule})`));
  }
  const sme = declared(tender, "smePriceDeduction", smeRule, rule(smeRule).value as [number, number], "小微企业价格扣除", "SME price deduction", problems);
  const consortiumRange = (smeRule === "sme.priceDeduction.2020" ? rule("sme.consortiumDeduction").range2020 : rule("sme.consortiumDeduction").value) as [number, number];
  const consortium = declared(tender, "consortiumDeduction", "sme.consortiumDeduction", consortiumRange, "联合体价格扣除", "consortium price deduction", problems);
  let criteria: Criterion[] = [];
  let weight: number | null = null;
  if (method === "comprehensive") {
    const { ruleId, min, max } = priceWeightBounds(tender.method, category as Row["category"]);
    const w = p.priceWeight;
    if (typeof w !== "number" || w < min || w > max) {
      problems.push(fieldError("/priceWeight", ruleId, `价格分值应占总分的 ${min}%–${max}%（${ruleId}）`, `the price weight is ${min}–${max} % of the points (${ruleId})`));
    } else weight = w;
    const raw = Array.isArray(p.criteria) ? p.criteria : null;
    const ok = raw?.every((x) => x && typeof x === "object" && typeof x.id === "string" && /^[a-z0-9-]{1,40}$/.test(x.id) && storable(x.title) && x.title.trim() && x.title.length <= 200 && (x.titleEn === undefined || (storable(x.titleEn) && x.titleEn.length <= 200)) && typeof x.max === "number" && x.max > 0 && x.max <= 100);
    if (!raw || !raw.length || !ok || new Set(raw.map((x) => x.id)).size !== raw.length) {
      problems.push(fieldError("/criteria", "criteria", "综合评分法须列明评审因素：每项有编号（小写字母、数字、连字符）、名称和满分", "comprehensive scoring lists its criteria, each with an id (lowercase letters, digits, hyphens), a title and its maximum points"));
    } else {
      criteria = raw.map((x) => ({ id: x.id, title: x.title.trim(), ...(x.titleEn !== undefined ? { titleEn: x.titleEn } : {}), max: x.max }));
      const total = criteria.reduce((a, x) => a + x.max, 0);
      if (weight !== null && Math.abs(total + weight - 100) > 1e-9) {
        problems.push(fieldError("/criteria", "points", `评审因素满分合计 ${total} 分加价格分 ${weight} 分应为 100 分`, `the criteria's ${total} points and the price's ${weight} make 100`));
      }
    }
  } else if (method === "lowest-price" && (p.criteria !== undefined || p.priceWeight !== undefined)) {
    problems.push(fieldError("/criteria", "eval.lowestPrice.method", "最低评标价法不设评审因素和价格分（eval.lowestPrice.method）", "the lowest evaluated price method has no criteria and no price weight (eval.lowestPrice.method)"));
  }
  if (problems.length) throw validationFailed(problems);
  return { method: method as Row["method"], category: category as Row["category"], criteria, weight, members: members as string[], smeDeduction: sme, smeRule, consortiumDeduction: consortium };
}

/**
 * The committee the experts' drawing made for the tender (the `experts.committee` point, asked as the caller):
 * the accepted experts, first drawn first. No complete drawing, no evaluation.
 */
async function drawnCommittee(svc: This, ctx: PlatformContext, tenderId: string): Promise<{ drawingId: string; members: string[] }> {
  for (const p of svc.extensions.providers(ctx, committeeSource)) {
    const c = await p.call.committee({ tenderId });
    if (c.drawingId) return { drawingId: c.drawingId, members: c.members.map((m) => m.accountId) };
  }
  throw conflict(
    { "zh-CN": "该项目尚未完成评审专家抽取：评标委员会由抽取并接受邀请的专家组成", en: "This procurement's expert drawing is not complete: the committee is the experts who accepted the drawing" },
    { rule: "evaluation.committeeFromDrawing" },
  );
}

type SmeRule = "sme.priceDeduction.2020" | "sme.priceDeduction.2022";

/**
 * The SME deduction rule the documents were written under, by the day they were published (China time):
 * sme.priceDeduction.2020's 6–10 % before sme.priceDeduction.2022 applied (its effectiveFrom), 10–20 % from
 * then on; a tender not published yet is held to the rule in force.
 */
function smeRuleFor(tender: Pick<TenderView, "publishedAt">): SmeRule {
  const from = rule("sme.priceDeduction.2022").effectiveFrom!;
  return tender.publishedAt && localDate(new Date(tender.publishedAt)) < from ? "sme.priceDeduction.2020" : "sme.priceDeduction.2022";
}

/**
 * A deduction the documents declare: 0 (none) or within its rule's range, both ends included (calc.inclusiveTerms:
 * "6%—10%" takes 6 and 10); outside it the documents are at fault, and the evaluation cannot start.
 */
function declared(tender: TenderView, field: string, ruleId: SmeRule | "sme.consortiumDeduction", [lo, hi]: [number, number], zh: string, en: string, problems: unknown[]): number {
  const v = tender.documents?.[field] ?? 0;
  if (typeof v === "number" && (v === 0 || (v >= lo && v <= hi))) return v;
  problems.push(fieldError("/tenderId", ruleId, `采购文件声明的${zh}（${String(v)}%）不在 ${lo}%–${hi}% 之内，应先更正采购文件（${ruleId}）`, `the documents' ${en} (${String(v)} %) is outside ${lo}–${hi} %: correct the documents first (${ruleId})`));
  return 0;
}

async function tenderFacts(ctx: PlatformContext, tenderId: string): Promise<{ tender: TenderView; record: OpeningRecord }> {
  try {
    const tender = await ctx.call<TenderView, { id: string }>("etrading.get", { id: tenderId });
    if (!tender.mine) throw forbidden();
    const record = await ctx.call<OpeningRecord, { id: string }>("etrading.bids.record", { id: tenderId });
    return { tender, record };
  } catch (err) {
    if ((err as { type?: string }).type === "NOT_FOUND") throw validationFailed([fieldError("/tenderId", "tender", "没有该采购项目，或您无权查看", "no such procurement, or it is not yours to see")]);
    throw err;
  }
}

// ── Views ─────────────────────────────────────────────────────────────────────────────────────

async function view(db: Knex, u: SessionUser, e: Row) {
  const [quals, subs, sigs, explanations, offers] = await Promise.all([
    db("evaluation_qualifications").where({ evaluation_id: e.id }),
    db("evaluation_submissions").where({ evaluation_id: e.id }),
    db("evaluation_signatures").where({ evaluation_id: e.id }),
    db("evaluation_explanations").where({ evaluation_id: e.id }),
    db("evaluation_final_offers").where({ evaluation_id: e.id, round: e.offer_round }),
  ]);
  const member = isMember(u, e);
  return {
    id: e.id, tenderId: e.tender_id, tenantCode: e.tenant_code, title: e.title, method: e.method, category: e.category,
    priceWeight: e.price_weight === null ? null : Number(e.price_weight), smeDeduction: Number(e.sme_deduction), smeDeductionRule: e.sme_rule, consortiumDeduction: Number(e.consortium_deduction), criteria: e.criteria,
    status: e.status, round: e.round, committeeSize: e.members.length, drawingId: e.drawing_id,
    // who chairs is the committee's and the regulator's to see, as the members are
    chair: member || regulates(u, e) ? e.chair : null, chairElected: !!e.chair,
    // the purchaser and its agency see counts; the committee and the regulator see the members
    members: member || regulates(u, e) ? e.members : null,
    bids: e.bids.map((b) => {
      const q = quals.find((x) => x.bid_id === b.bidId);
      return { ...b, qualification: q ? { passed: q.passed, sme: q.sme, consortium: q.consortium, reason: q.reason } : null };
    }),
    submitted: subs.length,
    mySubmission: member ? !!subs.find((s) => s.member_id === u.id) : undefined,
    // a member sees the ranking only when every member has submitted: the report exists from then on
    report: e.report ? { ...e.report, signatures: sigs.map((s) => ({ memberId: s.member_id, dissent: s.dissent, signedAt: new Date(s.signed_at).toISOString() })) } : null,
    signed: sigs.length,
    // the platform hands the report to the purchaser the moment the last member signs (award.reportDelivery: within
    // 2 working days of the evaluation's end), and says so: when, and by which rule
    reportDelivered: (e.status === "signed" || e.status === "awarded") && sigs.length
      ? { at: new Date(Math.max(...sigs.map((s) => new Date(s.signed_at).getTime()))).toISOString(), rule: awardClocks(e.tender_method).report.rule }
      : null,
    // the clocks from the report to the contract, each with the rule that sets it
    awardClocks: awardClocks(e.tender_method),
    confirmBy: e.confirm_by, awardWarned: !!e.warned_at, award: e.award, reEvaluationOrders: e.orders,
    signBy: e.sign_by, contract: e.contract, refusals: e.refusals, awardHold: e.award_hold,
    // negotiation and consultation: the current round of final offers, how many are in (the prices once it is closed)
    finalOffers: negotiates(e) ? { round: e.offer_round, open: e.offers_open, count: offers.length, offers: e.offers_open ? null : offers.map((o) => ({ bidId: o.bid_id, price: Number(o.price).toFixed(2) })) } : null,
    // flagged to the committee (eval.collusionIndicators), each abnormally low price with its recorded explanation
    indicators: e.indicators.map((i) => {
      const x = i.kind === "abnormally-low" ? explanations.find((y) => y.bid_id === i.bidIds[0]) : undefined;
      return i.kind === "abnormally-low" ? { ...i, explanation: x ? { text: x.text, at: new Date(x.at).toISOString() } : null } : i;
    }),
  };
}

const notify = (trx: Knex.Transaction, e: Row, owner: { accounts?: string[]; unit?: string }, kind: string, title: Localized) =>
  enqueue(trx, {
    event: "notifications.requested", key: e.id,
    payload: { tenantCode: e.tenant_code, ...(owner.accounts ? { accounts: owner.accounts } : { owner: { unit: owner.unit, account: null } }), link: `/evaluation/evaluations/${e.id}`, kind, title },
  });

/**
 * The `award.purchaserConfirm` clock, one pass. On the last day to confirm, the purchaser (and its agency) are warned
 * once; the day after, if still unconfirmed, the first-ranked candidate is deemed chosen, as the rule says. A deemed
 * award needs its warning first, so a clock that jumps past both days warns on one pass and awards on the next.
 * Every node runs the pass, but only one at a time does anything: the one holding the transaction-level advisory
 * lock (core's workflow deadlines serve workflow instances only, and an evaluation is not one).
 */
async function awardClock(db: Knex, now: Date): Promise<{ warned: number; deemed: number }> {
  return db.transaction(async (trx) => {
    const [{ leader }] = (await trx.raw("select pg_try_advisory_xact_lock(hashtextextended('evaluation.award.clock', 0)) as leader")).rows;
    if (!leader) return { warned: 0, deemed: 0 };
    const today = localDate(now);
    const lapsed: Row[] = await trx("evaluation_evaluations").where({ status: "signed" }).whereNotNull("warned_at").whereNull("award_hold").where("confirm_by", "<", today).forUpdate().skipLocked().select(trx.raw(SELECT.join(", ")));
    for (const e of lapsed) {
      const first = e.report!.ranking.find((r) => !e.refusals.some((x) => x.bidId === r.bidId));
      if (!first) continue;
      const award = await makeAward(trx, e, first, null, now, true);
      await writeAudit(trx, { actor: { system: "evaluation.award.clock" }, tenantCode: e.tenant_code, action: "evaluation.award.deemed", object: e.id, after: award });
    }
    const due: Row[] = await trx("evaluation_evaluations").where({ status: "signed" }).whereNull("warned_at").where("confirm_by", "<=", today).forUpdate().skipLocked().select("*");
    for (const e of due) {
      await trx("evaluation_evaluations").where({ id: e.id }).update({ warned_at: now });
      const confirm = awardClocks(e.tender_method).confirm;
      for (const unit of unitsOf(e)) {
        await notify(trx, e, { unit }, "evaluation.award.warning", {
          "zh-CN": `${e.title}：应在收到评审报告后 ${confirm.days} 个工作日内确定中标人，期限即将届满；逾期未确定又无合法理由的，视同确定排名第一的候选人（${confirm.rule}）`,
          en: `${e.title}: the ${confirm.days} working days to confirm the winner after the report are ending; without a lawful reason the first-ranked candidate is then deemed chosen (${confirm.rule})`,
        });
      }
      await writeAudit(trx, { actor: { system: "evaluation.award.clock" }, tenantCode: e.tenant_code, action: "evaluation.award.warning", object: e.id, after: { confirmBy: e.confirm_by } });
    }
    return { warned: due.length, deemed: lapsed.length };
  });
}

/**
 * The award, chosen by the purchaser or deemed by the clock: the contract's clock starts (contract.signWithin), the
 * result is published and each bidder told; a losing bidder reads its own score and rank only (award.informLosers).
 */
async function makeAward(trx: Knex.Transaction, e: Row, chosen: Report["ranking"][number], reason: string | null, now: Date, deemed: boolean): Promise<Award> {
  const award: Award = {
    bidId: chosen.bidId, supplierCode: chosen.supplierCode, supplierName: chosen.supplierName, price: chosen.price, rank: chosen.rank, reason, at: now.toISOString(),
    late: e.confirm_by !== null && localDate(now) > e.confirm_by, deemed, noticeUntil: resultNoticeUntil(e.tender_method, now),
  };
  const contract = awardClocks(e.tender_method).contract;
  const signBy = periodEnd(now, contract.days, contract.unit);
  await trx("evaluation_evaluations").where({ id: e.id }).update({ status: "awarded", award: JSON.stringify(award), sign_by: signBy, updated_at: now });
  await publishResult(trx, e, award, now);
  await awardFact(trx, e, award, now);
  // the procurement is complete: credit opens its mutual rating round (plugins/credit/api.ts RatingRoundEvent);
  // credit opens one per evaluation, so a later award (the winner refused) opens none
  await enqueue(trx, { event: "credit.ratingRound", key: `evaluation:${e.id}`, payload: {
    source: "evaluation", sourceId: e.id, tenantCode: e.tenant_code, title: e.title, completedOn: localDate(now),
    purchaser: e.unit_code ? { code: e.unit_code, name: e.unit_name } : null, agency: e.agency_code ? { code: e.agency_code } : null, experts: e.members,
    suppliers: e.bids.map((b) => ({ code: b.supplierCode, name: b.supplierName, winner: b.bidId === chosen.bidId })),
  } });
  // the losers' deposits go back within deposit.refund.losers of the award notice (finance, if installed, hears it)
  const losers = e.bids.filter((b) => b.bidId !== chosen.bidId).map((b) => b.supplierCode);
  if (losers.length) await enqueue(trx, { event: "finance.refundClock", key: `evaluation:${e.id}`, payload: refundClock(e, "deposit.refund.losers", localDate(now), losers) });
  for (const r of e.report!.ranking) {
    if (e.refusals.some((x) => x.bidId === r.bidId)) continue;
    await notify(trx, e, { unit: r.supplierCode }, "evaluation.result", r.bidId === chosen.bidId
      ? { "zh-CN": `${e.title}：贵单位为中标人，请于 ${signBy} 前与采购人签订合同`, en: `${e.title}: your company is the winner; sign the contract with the purchaser by ${signBy}` }
      : { "zh-CN": `${e.title}：评审结果已公告，贵单位可查看本单位的得分与排序`, en: `${e.title}: the result is published; your own score and rank are available` });
  }
  if (deemed) {
    for (const unit of unitsOf(e)) {
      await notify(trx, e, { unit }, "evaluation.award.deemed", {
        "zh-CN": `${e.title}：逾期未确定中标人，视同确定排名第一的候选人 ${chosen.supplierName}（award.purchaserConfirm）`,
        en: `${e.title}: no winner was confirmed in time; the first-ranked candidate ${chosen.supplierName} is deemed chosen (award.purchaserConfirm)`,
      });
    }
  }
  return award;
}

/** One clock of the award: the rule that sets it, its length and unit. */
interface AwardClock { rule: string; days: number; unit: "working-days" | "calendar-days" }

/**
 * The clocks from the report to the contract: the report delivered (award.reportDelivery), the winner confirmed
 * (award.purchaserConfirm), the result published (award.resultNotice), the contract signed (contract.signWithin).
 * A competitive consultation has its own sequence of the same four (consultation.awardTimeline: 2, 5 and 2 working
 * days, then 30 days), read from that rule.
 */
export function awardClocks(tenderMethod: string | null): { report: AwardClock; confirm: AwardClock; notice: AwardClock; contract: AwardClock } {
  if (tenderMethod === "competitive-consultation") {
    const id = "consultation.awardTimeline";
    const [report, confirm, notice, contract] = rule(id).value as [number, number, number, number];
    return {
      report: { rule: id, days: report, unit: "working-days" }, confirm: { rule: id, days: confirm, unit: "working-days" },
      notice: { rule: id, days: notice, unit: "working-days" }, contract: { rule: id, days: contract, unit: "calendar-days" },
    };
  }
  const of = (id: "award.reportDelivery" | "award.purchaserConfirm" | "award.resultNotice" | "contract.signWithin", unit: AwardClock["unit"]): AwardClock => ({ rule: id, days: rule(id).value as number, unit });
  return { report: of("award.reportDelivery", "working-days"), confirm: of("award.purchaserConfirm", "working-days"), notice: of("award.resultNotice", "working-days"), contract: of("contract.signWithin", "calendar-days") };
}

/**
 * How long a tender's result notice stays published (award.resultNoticePeriod: 1 working day, counted as every
 * period is); a challenge of the result counts its days from the end of it (challenge.window.start). The rule is the
 * open and invited tender's (中标公告); the rule list sets no period for other methods' results.
 */
function resultNoticeUntil(tenderMethod: string | null, publishedAt: Date): string | null {
  if (tenderMethod !== null && tenderMethod !== "public-tender" && tenderMethod !== "invited-tender") return null;
  return periodEnd(publishedAt, rule("award.resultNoticePeriod").value as number, "working-days");
}

type Ctx<P> = PlatformContext<P & { id: string }>;

/**
 * A change only those who run the tender make: the evaluation locked in a transaction, refused (403) to anyone
 * else who may read it and not found for those who may not (visible's answer).
 */
async function runnersChange<T>(svc: This, ctx: Ctx<object>, change: (trx: Knex.Transaction, e: Row) => Promise<T>): Promise<T> {
  const runner = await runsTender(ctx, svc.db, ctx.params.id);
  return svc.db.transaction(async (trx) => {
    const e = await visible(trx, ctx.meta.user!, ctx.params.id, "update", runner);
    if (!runner) throw forbidden();
    return change(trx, e);
  });
}

export const evaluationsService: PlatformServiceSchema = {
  name: "evaluation",
  started(this: This) {
    this.awardTimer = setInterval(() => {
      if (this.warning) return;
      this.warning = awardClock(this.db, platformNow())
        .catch((err: Error) => this.logger.warn(`award clock: ${err.message}`))
        .finally(() => (this.warning = undefined));
    }, AWARD_CHECK_MS);
    this.awardTimer.unref();
  },
  async stopped(this: This) {
    clearInterval(this.awardTimer);
    await this.warning;
  },
  actions: {
    /** POST /api/evaluation/evaluations: the purchaser or agency that runs an opened tender starts its evaluation. */
    start: {
      kind: "create",
      permission: "authenticated",
      rest: "POST /evaluations",
      params: { tenderId: "string", method: "any", category: "any", priceWeight: { type: "any", optional: true }, criteria: { type: "any", optional: true }, members: { type: "any", optional: true }, smeDeduction: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<StartParams>) {
        const user = ctx.meta.user!;
        if (!user.unitCode || !(user.roles.includes("purchaser") || user.roles.includes("agency"))) throw forbidden();
        // the tender's facts come first, through e-trading's own actions and as the caller; no transaction is open yet
        if (!UUID.test(ctx.params.tenderId)) throw validationFailed([fieldError("/tenderId", "tender", "没有该采购项目，或您无权查看", "no such procurement, or it is not yours to see")]);
        const { tender, record } = await tenderFacts(ctx, ctx.params.tenderId);
        if (tender.status !== "opened") {
          throw conflict({ "zh-CN": "该项目尚未确认开标记录，不能开始评审", en: "The opening of this procurement is not recorded yet: the evaluation cannot start" }, { rule: "evaluation.afterOpening", status: tender.status });
        }
        const drawn = await drawnCommittee(this, ctx, tender.id);
        const s = checkStart(ctx.params, tender, drawn.members);
        const bids: EvalBid[] = record.bids.map((b, i) => ({ ...b, order: i + 1 })).filter((b) => b.outcome === "opened" && b.price !== null)
          .map((b) => ({ bidId: b.bidId, supplierCode: b.supplierCode, supplierName: b.supplierName, price: b.price!, order: b.order }));
        if (!bids.length) throw conflict({ "zh-CN": "开标记录中没有有效投标", en: "The opening record has no valid bid" }, { rule: "evaluation.noBids" });
        const indicators = indicatorsOf(bids.map((b) => ({ ...b, fileHashes: record.bids.find((r) => r.bidId === b.bidId)?.fileHashes })));
        const now = platformNow();
        const id = randomUUID();
        return this.db.transaction(async (trx) => {
          const inserted = await trx("evaluation_evaluations").insert({
            id, tender_id: tender.id, tender_instance_id: tender.instanceId, tenant_code: tender.tenantCode,
            // the unit and agency are the ones e-trading says run it: the caller is one of them
            unit_code: user.roles.includes("purchaser") ? user.unitCode : null, agency_code: user.roles.includes("agency") ? user.unitCode : null,
            title: tender.title, unit_name: tender.purchaserName, method: s.method, category: s.category, price_weight: s.weight, sme_deduction: s.smeDeduction, sme_rule: s.smeRule, consortium_deduction: s.consortiumDeduction, project_id: tender.projectId ?? null, tender_method: tender.method, indicators: JSON.stringify(indicators),
            criteria: JSON.stringify(s.criteria), members: s.members, drawing_id: drawn.drawingId, bids: JSON.stringify(bids), status: "qualification", created_at: now, updated_at: now,
          }).onConflict("tender_id").ignore().returning("id");
          if (!inserted.length) throw conflict({ "zh-CN": "该项目已开始评审", en: "This procurement's evaluation has already started" }, { rule: "evaluation.one" });
          const e = (await rowOf(trx, id))!;
          await notify(trx, e, { accounts: s.members }, "evaluation.committee", { "zh-CN": `评审任务：${e.title}`, en: `To evaluate: ${e.title}` });
          await writeAudit(trx, { actor: actorOf(user), tenantCode: e.tenant_code, action: "evaluation.start", object: id, after: { tenderId: e.tender_id, method: s.method, members: s.members.length, drawingId: drawn.drawingId, smeDeduction: s.smeDeduction, smeRule: s.smeRule, consortiumDeduction: s.consortiumDeduction } });
          ctx.meta.$statusCode = 201;
          return view(trx, user, e);
        });
      },
    },

    /**
     * GET /api/evaluation/evaluations: the caller's evaluations, newest first: an expert's committees, the ones its
     * unit started, the region's for a regulator. Scoped in SQL; a supplier has none. Keyset pages (core's list
     * helper), `q` any substring of the title or purchaser, `status` one of the stages.
     */
    list: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /evaluations",
      async handler(this: This, ctx: PlatformContext<EvaluationListParams>) {
        const { query, req } = filteredEvaluations(this.db, ctx);
        const { rows, nextCursor, total, totalIsEstimate } = await listPage<Listed>(this.db, query, EVALUATION_ORDER, req);
        return { items: rows.map(listedView), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
      },
    },

    // before `get`, whose /evaluations/:id would take "export" for an id
    export: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /evaluations/export",
      async handler(this: This, ctx: PlatformContext<EvaluationListParams & { format?: unknown; lang?: unknown }>) {
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const { query } = filteredEvaluations(this.db, ctx, problems);
        const lang = exportLang(ctx.params.lang);
        return exportList<Listed>(ctx, {
          db: this.db,
          query,
          order: EVALUATION_ORDER,
          columns: evaluationColumns(lang).map((c) => ({ ...c, value: (row: Listed) => c.value(listedView(row)) })),
          format,
          lang,
          filename: lang === "en" ? "evaluations" : "评标项目",
          sheet: { "zh-CN": "评标项目", en: "Evaluations" },
        });
      },
    },

    /** GET /api/evaluation/evaluations/:id */
    get: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /evaluations/:id",
      params: { id: "string" },
      async handler(this: This, ctx: Ctx<object>) {
        const runner = await runsTender(ctx, this.db, ctx.params.id);
        return view(this.db, ctx.meta.user!, await visible(this.db, ctx.meta.user!, ctx.params.id, undefined, runner));
      },
    },

    /**
     * PUT /api/evaluation/evaluations/:id/qualification `{ results: [{ bidId, passed, reason?, sme?, consortium? }] }`: the
     * purchaser or agency reviews every bidder's qualification after the opening (tender.qualificationReviewAfterOpening),
     * and records which bidders the documents' deductions cover (a small firm's own bid, or a consortium whose small
     * firms hold 30 % or more); then the committee scores the qualified bids.
     */
    qualify: {
      kind: "continue",
      permission: "authenticated",
      rest: "PUT /evaluations/:id/qualification",
      params: { id: "string", results: "any" },
      async handler(this: This, ctx: Ctx<{ results: unknown }>) {
        const user = ctx.meta.user!;
        return runnersChange(this, ctx, async (trx, e) => {
          if (e.status !== "qualification") throw wrongStage(e, "资格审查已完成", "The qualification review is done", "tender.qualificationReviewAfterOpening");
          const results = Array.isArray(ctx.params.results) ? ctx.params.results : [];
          const problems = [];
          const ids = new Set(e.bids.map((b) => b.bidId));
          results.forEach((r, i) => {
            if (!r || typeof r !== "object" || !ids.has(r.bidId) || typeof r.passed !== "boolean") problems.push(fieldError(`/results/${i}`, "result", "每项应为本项目的有效投标及是否通过", "each result names a valid bid of the tender and whether it passed"));
            else if (r.reason !== undefined && r.reason !== null && !(storable(r.reason) && r.reason.length <= 2000)) problems.push(fieldError(`/results/${i}/reason`, "text", "原因应为文字（至多 2000 字）", "the reason is text (2,000 characters at most)"));
            else if (!r.passed && !(typeof r.reason === "string" && r.reason.trim())) problems.push(fieldError(`/results/${i}/reason`, "award.informLosers", "未通过资格审查的应写明原因（award.informLosers）", "a failed bidder is told why: give the reason (award.informLosers)"));
            else if (r.sme === true && r.consortium === true) problems.push(fieldError(`/results/${i}/consortium`, "sme.consortiumDeduction", "一个投标人只适用一种价格扣除：小微企业或联合体", "one deduction per bidder: a small firm's or a consortium's"));
            else if (r.sme === true && !Number(e.sme_deduction)) problems.push(fieldError(`/results/${i}/sme`, e.sme_rule, `采购文件未声明小微企业价格扣除（${e.sme_rule}）`, `the documents declare no SME price deduction (${e.sme_rule})`));
            else if (r.consortium === true && !Number(e.consortium_deduction)) problems.push(fieldError(`/results/${i}/consortium`, "sme.consortiumDeduction", "采购文件未声明联合体价格扣除（sme.consortiumDeduction）", "the documents declare no consortium price deduction (sme.consortiumDeduction)"));
          });
          const seen = new Set(results.map((r) => r?.bidId));
          if (!problems.length && (seen.size !== ids.size || results.length !== ids.size)) {
            problems.push(fieldError("/results", "tender.qualificationReviewAfterOpening", `应对全部 ${ids.size} 名投标人逐一作出资格审查结论（tender.qualificationReviewAfterOpening）`, `review each of the ${ids.size} bidders once (tender.qualificationReviewAfterOpening)`));
          }
          if (problems.length) throw validationFailed(problems);
          const now = platformNow();
          await trx("evaluation_qualifications").insert(results.map((r) => ({ evaluation_id: e.id, bid_id: r.bidId, passed: r.passed, sme: r.sme === true, consortium: r.consortium === true, reason: text(r.reason, "/reason"), account_id: user.id, reviewed_at: now })));
          if (!results.some((r) => r.passed)) throw conflict({ "zh-CN": "没有投标人通过资格审查", en: "No bidder passed the qualification review" }, { rule: "tender.qualificationReviewAfterOpening" });
          await trx("evaluation_evaluations").where({ id: e.id }).update({ status: "scoring", updated_at: now });
          await writeAudit(trx, { actor: actorOf(user), tenantCode: e.tenant_code, action: "evaluation.qualify", object: e.id, after: { results } });
          return view(trx, user, { ...e, status: "scoring" });
        });
      },
    },

    /**
     * PUT /api/evaluation/evaluations/:id/scores `{ scores: [{ bidId, criterion, score }] }`: a member's scores, saved
     * as they go; the same (member, bid, criterion) overwrites. Refused after the member submitted.
     */
    score: {
      kind: "continue",
      permission: "authenticated",
      rest: "PUT /evaluations/:id/scores",
      params: { id: "string", scores: "any" },
      async handler(this: This, ctx: Ctx<{ scores: unknown }>) {
        const user = ctx.meta.user!;
        return this.db.transaction(async (trx) => {
          // shared: members save side by side; a submission or a report waits for the saves in flight
          const e = await visible(trx, user, ctx.params.id, "share");
          if (!isMember(user, e)) throw forbidden();
          await refuseUnlessScoring(trx, e, user);
          const rows = await checkedScores(trx, e, ctx.params.scores);
          const now = platformNow();
          await trx("evaluation_scores").insert(rows.map((r) => ({ evaluation_id: e.id, member_id: user.id, bid_id: r.bidId, criterion: r.criterion, score: r.score, saved_at: now })))
            .onConflict(["evaluation_id", "member_id", "bid_id", "criterion"]).merge(["score", "saved_at"]);
          return { saved: rows.length };
        });
      },
    },

    /** GET /api/evaluation/evaluations/:id/scores/mine: a member's own scores, and only theirs, until the report. */
    myScores: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /evaluations/:id/scores/mine",
      params: { id: "string" },
      async handler(this: This, ctx: Ctx<object>) {
        const user = ctx.meta.user!;
        const e = await visible(this.db, user, ctx.params.id);
        if (!isMember(user, e)) throw forbidden();
        const rows = await this.db("evaluation_scores").where({ evaluation_id: e.id, member_id: user.id }).orderBy(["bid_id", "criterion"]);
        return { items: rows.map((r) => ({ bidId: r.bid_id, criterion: r.criterion, score: Number(r.score) })) };
      },
    },

    /** POST /api/evaluation/evaluations/:id/submission: a member's scores are final; the last one makes the report. */
    submit: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /evaluations/:id/submission",
      params: { id: "string" },
      async handler(this: This, ctx: Ctx<object>) {
        const user = ctx.meta.user!;
        return this.db.transaction(async (trx) => {
          const e = await visible(trx, user, ctx.params.id, "update");
          if (!isMember(user, e)) throw forbidden();
          await refuseUnlessScoring(trx, e, user);
          const qualified = await qualifiedBids(trx, e);
          if (negotiates(e) && (e.offer_round === 0 || e.offers_open)) {
            throw conflict({ "zh-CN": "竞争性谈判（磋商）应先完成最后报价轮次，再提交评审意见（negotiation.finalOffers.min）", en: "Negotiation and consultation close a round of final offers before the members submit (negotiation.finalOffers.min)" }, { rule: FINAL_OFFERS });
          }
          const unexplained = await unexplainedLowPrices(trx, e, qualified);
          if (unexplained.length) {
            throw conflict(
              { "zh-CN": `${unexplained.length} 份报价明显低于其他投标人，评标委员会应先记录投标人的书面说明`, en: `${unexplained.length} prices are abnormally low: the committee records the bidder's written explanation first` },
              { rule: "evaluation.abnormallyLowPrice", bidIds: unexplained },
            );
          }
          const have = await trx("evaluation_scores").where({ evaluation_id: e.id, member_id: user.id }).whereIn("bid_id", qualified).count<{ n: string }[]>("* as n");
          const need = qualified.length * e.criteria.length;
          if (Number(have[0].n) < need) {
            throw conflict({ "zh-CN": `尚有 ${need - Number(have[0].n)} 项未评分，全部评完方可提交`, en: `${need - Number(have[0].n)} scores are missing: score every criterion of every bid before submitting` }, { rule: "evaluation.complete", missing: need - Number(have[0].n) });
          }
          const now = platformNow();
          await trx("evaluation_submissions").insert({ evaluation_id: e.id, member_id: user.id, submitted_at: now });
          await writeAudit(trx, { actor: actorOf(user), tenantCode: e.tenant_code, action: "evaluation.submit", object: e.id, after: { round: e.round } });
          const n = await trx("evaluation_submissions").where({ evaluation_id: e.id }).count<{ n: string }[]>("* as n");
          let next = e;
          if (Number(n[0].n) === e.members.length) next = await makeReport(trx, e, now);
          return view(trx, user, next);
        });
      },
    },

    /**
     * POST /api/evaluation/evaluations/:id/chair `{ candidate }`: the committee elects its chair before scoring. No rule
     * of the statutory list names the first-drawn, so it is a vote: each member one vote for a member (changeable),
     * elected by a majority of the whole committee.
     */
    voteChair: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /evaluations/:id/chair",
      params: { id: "string", candidate: "any" },
      async handler(this: This, ctx: Ctx<{ candidate: unknown }>) {
        const user = ctx.meta.user!;
        return this.db.transaction(async (trx) => {
          const e = await visible(trx, user, ctx.params.id, "update");
          if (!isMember(user, e)) throw forbidden();
          if (e.chair) throw conflict({ "zh-CN": "组长已推选产生", en: "The chair is already elected" }, { rule: "evaluation.chair" });
          if (e.status !== "qualification" && e.status !== "scoring") throw wrongStage(e, "组长应在评分前推选", "The chair is elected before scoring", "evaluation.chair");
          const candidate = ctx.params.candidate;
          if (typeof candidate !== "string" || !e.members.includes(candidate)) throw validationFailed([fieldError("/candidate", "evaluation.chair", "组长应从评标委员会成员中推选", "the chair is one of the committee's members")]);
          const now = platformNow();
          await trx("evaluation_chair_votes").insert({ evaluation_id: e.id, member_id: user.id, candidate_id: candidate, voted_at: now }).onConflict(["evaluation_id", "member_id"]).merge(["candidate_id", "voted_at"]);
          const [top] = await trx("evaluation_chair_votes").where({ evaluation_id: e.id }).groupBy("candidate_id").orderByRaw("count(*) desc").select("candidate_id", trx.raw("count(*)::int as n"));
          let next = e;
          if (top && top.n * 2 > e.members.length) {
            await trx("evaluation_evaluations").where({ id: e.id }).update({ chair: top.candidate_id, updated_at: now });
            await writeAudit(trx, { actor: { system: "evaluation.chair" }, tenantCode: e.tenant_code, action: "evaluation.chair", object: e.id, after: { chair: top.candidate_id, votes: top.n } });
            next = { ...e, chair: top.candidate_id };
          }
          return view(trx, user, next);
        });
      },
    },

    /** POST /api/evaluation/evaluations/:id/signature `{ dissent? }`: each member signs the report, a dissent kept in it (eval.report.signatures). */
    sign: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /evaluations/:id/signature",
      params: { id: "string", dissent: { type: "any", optional: true } },
      async handler(this: This, ctx: Ctx<{ dissent?: unknown }>) {
        const user = ctx.meta.user!;
        const dissent = text(ctx.params.dissent, "/dissent", 4000);
        return this.db.transaction(async (trx) => {
          const e = await visible(trx, user, ctx.params.id, "update");
          if (!isMember(user, e)) throw forbidden();
          if (e.status === "signed" || e.status === "awarded") throw settled();
          if (e.status !== "signing") throw wrongStage(e, "评审报告尚未生成，全体成员提交评分后方可签署", "The report is not made yet: it is signed once every member has submitted", "eval.report.signatures");
          const now = platformNow();
          const inserted = await trx("evaluation_signatures").insert({ evaluation_id: e.id, member_id: user.id, dissent, signed_at: now }).onConflict(["evaluation_id", "member_id"]).ignore().returning("member_id");
          if (!inserted.length) throw conflict({ "zh-CN": "您已签署评审报告", en: "You have already signed the report" }, { rule: "eval.report.signatures" });
          await writeAudit(trx, { actor: actorOf(user), tenantCode: e.tenant_code, action: "evaluation.sign", object: e.id, after: { dissent } });
          const n = await trx("evaluation_signatures").where({ evaluation_id: e.id }).count<{ n: string }[]>("* as n");
          let next = e;
          if (Number(n[0].n) === e.members.length) {
            // the purchaser has the report from now: award.purchaserConfirm (a consultation's consultation.awardTimeline) counts its working days
            const confirm = awardClocks(e.tender_method).confirm;
            const confirmBy = periodEnd(now, confirm.days, confirm.unit);
            await trx("evaluation_evaluations").where({ id: e.id }).update({ status: "signed", confirm_by: confirmBy, updated_at: now });
            next = { ...e, status: "signed", confirm_by: confirmBy };
            for (const unit of unitsOf(e)) {
              await notify(trx, e, { unit }, "evaluation.report", { "zh-CN": `${e.title}：评审报告已签署，请在 ${confirmBy} 前确定中标人`, en: `${e.title}: the report is signed; confirm the winner by ${confirmBy}` });
            }
          }
          return view(trx, user, next);
        });
      },
    },

    /** POST /api/evaluation/evaluations/:id/re-evaluation `{ reason }`: only a regulator's order reopens a signed evaluation (eval.noReEvaluation). */
    reEvaluate: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /evaluations/:id/re-evaluation",
      params: { id: "string", reason: { type: "any", optional: true } },
      async handler(this: This, ctx: Ctx<{ reason?: unknown }>) {
        const user = ctx.meta.user!;
        const reason = text(ctx.params.reason, "/reason");
        return this.db.transaction(async (trx) => {
          const e = await visible(trx, user, ctx.params.id, "update");
          if (!regulates(user, e)) throw forbidden();
          if (!reason) throw validationFailed([fieldError("/reason", "eval.noReEvaluation", "重新评审决定应写明理由（eval.noReEvaluation）", "a re-evaluation order gives its reason (eval.noReEvaluation)")]);
          if (e.status !== "signed") throw wrongStage(e, "只有已签署且尚未定标的评审报告可以决定重新评审", "Only a signed report whose award is not made can be re-evaluated", "eval.noReEvaluation");
          const now = platformNow();
          for (const t of ["evaluation_scores", "evaluation_submissions", "evaluation_signatures"]) await trx(t).where({ evaluation_id: e.id }).delete();
          const orders = [...e.orders, { reason, at: now.toISOString(), by: user.id }];
          await trx("evaluation_evaluations").where({ id: e.id }).update({ status: "scoring", report: null, confirm_by: null, warned_at: null, round: e.round + 1, orders: JSON.stringify(orders), updated_at: now });
          await notify(trx, e, { accounts: e.members }, "evaluation.reEvaluation", { "zh-CN": `${e.title}：监管部门决定重新评审（${reason}）`, en: `${e.title}: the regulator ordered a re-evaluation (${reason})` });
          await writeAudit(trx, { actor: actorOf(user), tenantCode: e.tenant_code, action: "evaluation.reEvaluate", object: e.id, before: { report: e.report }, after: { reason, round: e.round + 1 } });
          return view(trx, user, (await rowOf(trx, e.id))!);
        });
      },
    },

    /**
     * POST /api/evaluation/evaluations/:id/award `{ bidId, reason? }`: the purchaser confirms the winner in the report's
     * order (award.purchaserConfirm): the first-ranked, or a later one with its reason. The result is published and each
     * bidder told; a losing bidder reads its own score and rank only (award.informLosers).
     */
    award: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /evaluations/:id/award",
      params: { id: "string", bidId: "any", reason: { type: "any", optional: true } },
      async handler(this: This, ctx: Ctx<{ bidId: unknown; reason?: unknown }>) {
        const user = ctx.meta.user!;
        const reason = text(ctx.params.reason, "/reason");
        return runnersChange(this, ctx, async (trx, e) => {
          if (e.status === "awarded") throw conflict({ "zh-CN": "已确定中标人", en: "The winner is already confirmed" }, { rule: "award.purchaserConfirm" });
          if (e.status !== "signed") throw wrongStage(e, "评审报告经全体成员签署后方可确定中标人", "The winner is confirmed once every member has signed the report", "award.purchaserConfirm");
          const ranking = e.report!.ranking;
          const chosen = ranking.find((r) => r.bidId === ctx.params.bidId);
          if (!chosen) throw validationFailed([fieldError("/bidId", "award.purchaserConfirm", "应从评审报告推荐的候选人中确定", "choose a candidate the report ranks")]);
          if (chosen.rank > 1 && !reason) {
            throw validationFailed([fieldError("/reason", "award.purchaserConfirm", `未按评审报告的排序确定排名第一的候选人，应说明理由（award.purchaserConfirm）`, "choosing other than the first-ranked candidate needs a reason (award.purchaserConfirm)")]);
          }
          const award = await makeAward(trx, e, chosen, reason, platformNow(), false);
          await writeAudit(trx, { actor: actorOf(user), tenantCode: e.tenant_code, action: "evaluation.award", object: e.id, after: award });
          return view(trx, user, (await rowOf(trx, e.id))!);
        });
      },
    },

    /**
     * POST /api/evaluation/evaluations/:id/explanations `{ bidId, text }`: a member records the written explanation the
     * bidder of an abnormally low price gave the committee (evaluation.abnormallyLowPrice); the members submit after.
     */
    explain: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /evaluations/:id/explanations",
      params: { id: "string", bidId: "any", text: { type: "any", optional: true } },
      async handler(this: This, ctx: Ctx<{ bidId: unknown; text?: unknown }>) {
        const user = ctx.meta.user!;
        const said = text(ctx.params.text, "/text", 4000);
        return this.db.transaction(async (trx) => {
          const e = await visible(trx, user, ctx.params.id, "update");
          if (!isMember(user, e)) throw forbidden();
          if (e.status !== "qualification" && e.status !== "scoring") throw wrongStage(e, "书面说明应在评审报告生成前记录", "The explanation is recorded before the report", "evaluation.abnormallyLowPrice");
          if (!e.indicators.some((i) => i.kind === "abnormally-low" && i.bidIds[0] === ctx.params.bidId)) {
            throw validationFailed([fieldError("/bidId", "evaluation.abnormallyLowPrice", "该投标的报价未被标记为明显偏低", "this bid's price is not flagged abnormally low")]);
          }
          if (!said) throw validationFailed([fieldError("/text", "evaluation.abnormallyLowPrice", "应记录投标人书面说明的内容", "record what the bidder's written explanation says")]);
          const now = platformNow();
          await trx("evaluation_explanations").insert({ evaluation_id: e.id, bid_id: ctx.params.bidId, text: said, by: "committee", account_id: user.id, at: now })
            .onConflict(["evaluation_id", "bid_id"]).merge(["text", "account_id", "at"]);
          await writeAudit(trx, { actor: actorOf(user), tenantCode: e.tenant_code, action: "evaluation.explanation", object: e.id, after: { bidId: ctx.params.bidId, text: said } });
          return view(trx, user, e);
        });
      },
    },

    /**
     * POST /api/evaluation/evaluations/:id/final-offers/round `{ open }`: the chair opens a round of final offers (negotiation,
     * consultation), or closes it; a closed round needs `negotiation.finalOffers.min` (3) offers, else it stays open.
     */
    offerRound: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /evaluations/:id/final-offers/round",
      params: { id: "string", open: "any" },
      async handler(this: This, ctx: Ctx<{ open: unknown }>) {
        const user = ctx.meta.user!;
        return this.db.transaction(async (trx) => {
          const e = await visible(trx, user, ctx.params.id, "update");
          if (!isMember(user, e)) throw forbidden();
          if (!negotiates(e)) throw conflict({ "zh-CN": "只有竞争性谈判和竞争性磋商有最后报价轮次", en: "Only negotiation and consultation have rounds of final offers" }, { rule: FINAL_OFFERS });
          if (e.chair !== user.id) throw conflict({ "zh-CN": "最后报价轮次由组长开启和结束", en: "The chair opens and closes the rounds of final offers" }, { rule: "evaluation.chair" });
          if (e.status !== "scoring") throw wrongStage(e, "资格审查后、提交评审意见前进行最后报价", "Final offers come after the qualification review and before the submissions", FINAL_OFFERS);
          const now = platformNow();
          if (ctx.params.open === true) {
            if (e.offers_open) throw conflict({ "zh-CN": "本轮最后报价尚未结束", en: "The current round is still open" }, { rule: FINAL_OFFERS });
            const next = { ...e, offer_round: e.offer_round + 1, offers_open: true };
            await trx("evaluation_evaluations").where({ id: e.id }).update({ offer_round: next.offer_round, offers_open: true, updated_at: now });
            for (const b of e.bids) await notify(trx, e, { unit: b.supplierCode }, "evaluation.finalOffers", { "zh-CN": `${e.title}：请提交第 ${next.offer_round} 轮最后报价`, en: `${e.title}: send your final offer for round ${next.offer_round}` });
            await writeAudit(trx, { actor: actorOf(user), tenantCode: e.tenant_code, action: "evaluation.finalOffers.open", object: e.id, after: { round: next.offer_round } });
            return view(trx, user, next);
          }
          if (!e.offers_open) throw conflict({ "zh-CN": "没有正在进行的最后报价轮次", en: "No round of final offers is open" }, { rule: FINAL_OFFERS });
          const n = Number((await trx("evaluation_final_offers").where({ evaluation_id: e.id, round: e.offer_round }).count<{ n: string }[]>("* as n"))[0].n);
          const min = rule("negotiation.finalOffers.min").value as number;
          if (n < min) {
            throw conflict(
              { "zh-CN": `提交最后报价的供应商不得少于 ${min} 家，本轮只有 ${n} 家（negotiation.finalOffers.min）`, en: `At least ${min} suppliers submit final offers; this round has ${n} (negotiation.finalOffers.min)` },
              { rule: FINAL_OFFERS, offers: n, minimum: min },
            );
          }
          await trx("evaluation_evaluations").where({ id: e.id }).update({ offers_open: false, updated_at: now });
          await writeAudit(trx, { actor: actorOf(user), tenantCode: e.tenant_code, action: "evaluation.finalOffers.close", object: e.id, after: { round: e.offer_round, offers: n } });
          return view(trx, user, { ...e, offers_open: false });
        });
      },
    },

    /** PUT /api/evaluation/evaluations/:id/final-offers/mine `{ price }`: a qualified bidder's final offer in the open round, replaceable until it closes. */
    finalOffer: {
      kind: "continue",
      permission: "authenticated",
      rest: "PUT /evaluations/:id/final-offers/mine",
      params: { id: "string", price: "any" },
      async handler(this: This, ctx: Ctx<{ price: unknown }>) {
        const user = ctx.meta.user!;
        return this.db.transaction(async (trx) => {
          const e = await rowOf(trx, ctx.params.id, "share");
          const bid = e?.bids.find((b) => b.supplierCode === user.unitCode);
          if (!e || !bid || !user.roles.includes("supplier")) throw notFound(EVALUATION);
          const q = await trx("evaluation_qualifications").where({ evaluation_id: e.id, bid_id: bid.bidId }).first();
          if (!q?.passed) throw conflict({ "zh-CN": "只有通过资格审查的供应商提交最后报价", en: "Only a qualified supplier sends a final offer" }, { rule: FINAL_OFFERS });
          if (!e.offers_open) throw conflict({ "zh-CN": "没有正在进行的最后报价轮次", en: "No round of final offers is open" }, { rule: FINAL_OFFERS });
          const price = ctx.params.price;
          if (typeof price !== "string" || !isMoney(price) || compareMoney(price, "0.01") < 0) throw validationFailed([fieldError("/price", "money", "最后报价应为金额（元，至多两位小数）", "the final offer is an amount of yuan, two decimals at most")]);
          await trx("evaluation_final_offers").insert({ evaluation_id: e.id, round: e.offer_round, bid_id: bid.bidId, price: toMoney(price), offered_at: platformNow() })
            .onConflict(["evaluation_id", "round", "bid_id"]).merge(["price", "offered_at"]);
          await writeAudit(trx, { actor: actorOf(user), tenantCode: e.tenant_code, action: "evaluation.finalOffer", object: e.id, after: { round: e.offer_round, bidId: bid.bidId } });
          // sealed until the round closes: the supplier hears only that its offer is in
          return { round: e.offer_round, received: true };
        });
      },
    },

    /**
     * POST /api/evaluation/evaluations/:id/award-hold `{ reason }`: the purchaser's lawful reason for not confirming within
     * award.purchaserConfirm (a challenge to answer, a complaint): no first-ranked candidate is deemed chosen while it stands.
     */
    holdAward: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /evaluations/:id/award-hold",
      params: { id: "string", reason: { type: "any", optional: true } },
      async handler(this: This, ctx: Ctx<{ reason?: unknown }>) {
        const user = ctx.meta.user!;
        const reason = text(ctx.params.reason, "/reason");
        return runnersChange(this, ctx, async (trx, e) => {
          if (!reason) throw validationFailed([fieldError("/reason", "award.purchaserConfirm", "应写明未能按期确定中标人的合法理由（award.purchaserConfirm）", "give the lawful reason for not confirming in time (award.purchaserConfirm)")]);
          if (e.status !== "signed") throw wrongStage(e, "评审报告签署后、确定中标人前方可说明理由", "A reason is given after the report is signed and before the award", "award.purchaserConfirm");
          const hold = { reason, at: platformNow().toISOString(), by: user.id };
          await trx("evaluation_evaluations").where({ id: e.id }).update({ award_hold: JSON.stringify(hold), updated_at: platformNow() });
          await writeAudit(trx, { actor: actorOf(user), tenantCode: e.tenant_code, action: "evaluation.award.hold", object: e.id, after: hold });
          return view(trx, user, { ...e, award_hold: hold });
        });
      },
    },

    /** POST /api/evaluation/evaluations/:id/contract: the purchaser records the contract signed, on time or not (contract.signWithin). */
    contract: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /evaluations/:id/contract",
      params: { id: "string" },
      async handler(this: This, ctx: Ctx<object>) {
        const user = ctx.meta.user!;
        return runnersChange(this, ctx, async (trx, e) => {
          if (e.status !== "awarded") throw wrongStage(e, "确定中标人后方可签订合同", "The contract is signed after the award", "contract.signWithin");
          if (e.contract) throw conflict({ "zh-CN": "合同已签订", en: "The contract is already signed" }, { rule: "contract.signWithin" });
          const now = platformNow();
          const contract = { at: now.toISOString(), late: localDate(now) > e.sign_by!, bidId: (e.award as Award).bidId };
          await trx("evaluation_evaluations").where({ id: e.id }).update({ contract: JSON.stringify(contract), updated_at: now });
          await writeAudit(trx, { actor: actorOf(user), tenantCode: e.tenant_code, action: "evaluation.contract", object: e.id, after: contract });
          // the winner's deposit goes back within deposit.refund.winner of the contract
          await enqueue(trx, { event: "finance.refundClock", key: `evaluation:${e.id}`, payload: refundClock(e, "deposit.refund.winner", localDate(now), [(e.award as Award).supplierCode]) });
          return view(trx, user, { ...e, contract });
        });
      },
    },

    /**
     * POST /api/evaluation/evaluations/:id/winner-refusal `{ reason }`: the winner refused to sign; the purchaser takes the
     * next candidate of the report's order (contract.winnerRefuses), published as the result in its place.
     */
    winnerRefusal: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /evaluations/:id/winner-refusal",
      params: { id: "string", reason: { type: "any", optional: true } },
      async handler(this: This, ctx: Ctx<{ reason?: unknown }>) {
        const user = ctx.meta.user!;
        const reason = text(ctx.params.reason, "/reason");
        return runnersChange(this, ctx, async (trx, e) => {
          if (!reason) throw validationFailed([fieldError("/reason", "contract.winnerRefuses", "应写明中标人拒绝签订合同的情况（contract.winnerRefuses）", "say how the winner refused to sign (contract.winnerRefuses)")]);
          if (e.status !== "awarded" || e.contract) throw wrongStage(e, "只有已确定中标人且尚未签订合同时，中标人才可能拒签", "A winner refuses only after the award and before a contract", "contract.winnerRefuses");
          const now = platformNow();
          const refusals = [...e.refusals, { bidId: (e.award as Award).bidId, reason, at: now.toISOString() }];
          const next = e.report!.ranking.find((r) => !refusals.some((x) => x.bidId === r.bidId));
          if (!next) {
            throw conflict({ "zh-CN": "评审报告推荐的候选人均已拒签，应重新开展政府采购活动（contract.winnerRefuses）", en: "Every candidate of the report has refused: the procurement starts again (contract.winnerRefuses)" }, { rule: "contract.winnerRefuses" });
          }
          await trx("evaluation_evaluations").where({ id: e.id }).update({ refusals: JSON.stringify(refusals) });
          // a refusal to sign is a fact in the supplier's credit file (plugins/credit/api.ts)
          const refuser = e.award as Award;
          const fact: CreditFactEvent = {
            subjectCode: refuser.supplierCode, subjectKind: "supplier", subjectName: refuser.supplierName, kind: "refused-to-sign", rule: "contract.winnerRefuses",
            title: { "zh-CN": `${e.title}：中标后拒绝签订政府采购合同`, en: `${e.title}: refused to sign the contract after the award` },
            reference: e.id, occurredOn: localDate(now), appealState: "none", tenantCode: e.tenant_code,
          };
          await enqueue(trx, { event: "credit.fact", key: `evaluation:${e.id}:refusal:${refusals.length}`, payload: fact });
          const award = await makeAward(trx, { ...e, refusals }, next, `contract.winnerRefuses: ${reason}`, now, false);
          await writeAudit(trx, { actor: actorOf(user), tenantCode: e.tenant_code, action: "evaluation.winnerRefuses", object: e.id, before: { award: e.award }, after: award });
          return view(trx, user, (await rowOf(trx, e.id))!);
        });
      },
    },

    /** GET /api/evaluation/tenders/:tenderId/my-result: a bidder's own result after the award, and nobody else's (award.informLosers). */
    myResult: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /tenders/:tenderId/my-result",
      params: { tenderId: "string" },
      async handler(this: This, ctx: PlatformContext<{ tenderId: string }>) {
        const user = ctx.meta.user!;
        if (!user.roles.includes("supplier") || !user.unitCode || !UUID.test(ctx.params.tenderId)) throw notFound(EVALUATION);
        const e: Row | undefined = await this.db("evaluation_evaluations").where({ tender_id: ctx.params.tenderId }).first();
        const bid = e?.bids.find((b) => b.supplierCode === user.unitCode);
        if (!e || !bid) throw notFound(EVALUATION);
        if (e.status !== "awarded") throw conflict({ "zh-CN": "评审结果尚未公告", en: "The result is not published yet" }, { rule: "award.informLosers" });
        const mine = e.report!.ranking.find((r) => r.bidId === bid.bidId);
        const out = e.report!.disqualified.find((d) => d.bidId === bid.bidId);
        return {
          tenderId: e.tender_id, title: e.title, winner: (e.award as { supplierName: string }).supplierName, won: (e.award as { bidId: string }).bidId === bid.bidId,
          candidates: e.report!.ranking.length,
          mine: mine ? { rank: mine.rank, total: mine.total, technical: mine.technical, priceScore: mine.priceScore, evaluatedPrice: mine.evaluatedPrice } : null,
          disqualified: out ? { reason: out.reason } : null,
          // a challenge of the result counts from the notice period's end (award.resultNoticePeriod, challenge.window.start)
          noticeUntil: (e.award as Award).noticeUntil ?? null,
          rule: "award.informLosers",
        };
      },
    },

    /**
     * GET /api/evaluation/evaluations/:id/report: the report as a printed document (评标报告) once every member has
     * signed it (eval.report.signatures), for those who read the evaluation; sealed under a verification code
     * (core's sealed documents), its content not public.
     */
    printReport: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /evaluations/:id/report",
      params: { id: "string" },
      async handler(this: This, ctx: Ctx<object>) {
        const runner = await runsTender(ctx, this.db, ctx.params.id);
        const e = await visible(this.db, ctx.meta.user!, ctx.params.id, undefined, runner);
        if (e.status !== "signed" && e.status !== "awarded") {
          throw wrongStage(e, "评审报告须经评标委员会全体成员签署后方可打印", "The report can be printed once every member of the committee has signed it", "eval.report.signatures");
        }
        const document = await printedReport(this.db, e);
        const sealed = await sealDocument(this.db, { issuer: "evaluation", kind: "report", reference: e.id, name: REPORT_NAME, content: document, public: false, tenantCode: e.tenant_code, actor: actorOf(ctx.meta.user!) });
        return { ...sealed, document };
      },
    },
  },
};

const REPORT_NAME: Localized = { "zh-CN": "评标报告", en: "evaluation report" };

/**
 * The signed report as printed: the procurement, the method and criteria, the committee by its drawing order (names
 * stay off paper the purchaser reads: experts.namesConfidential), each member's signature and dissent, the scores
 * per bidder, the ranking whose order the purchaser must follow (award.purchaserConfirm), the disqualified.
 */
async function printedReport(db: Knex, e: Row) {
  const report = e.report!;
  const sigs = await db("evaluation_signatures").where({ evaluation_id: e.id });
  const signatures = new Map(sigs.map((s) => [s.member_id as string, s]));
  return {
    kind: "evaluation-report",
    evaluationId: e.id,
    tenderId: e.tender_id,
    title: e.title,
    purchaser: e.unit_name,
    tenantCode: e.tenant_code,
    method: e.method,
    category: e.category,
    priceWeight: report.priceWeight,
    smeDeduction: report.smeDeduction,
    consortiumDeduction: report.consortiumDeduction,
    criteria: e.criteria.map((c) => ({ id: c.id, title: c.title, titleEn: c.titleEn ?? null, max: c.max })),
    round: e.round,
    generatedAt: (report as Report & { generatedAt?: string }).generatedAt ?? null,
    committee: e.members.map((m, i) => {
      const sig = signatures.get(m);
      return { position: i + 1, chair: e.chair === m, signedAt: sig ? new Date(sig.signed_at).toISOString() : null, dissent: (sig?.dissent as string | null) ?? null };
    }),
    ranking: report.ranking.map((r) => ({
      rank: r.rank, supplierName: r.supplierName, supplierCode: r.supplierCode, price: r.price, evaluatedPrice: r.evaluatedPrice, sme: r.sme, consortium: r.consortium,
      criteria: r.criteria, technical: r.technical, priceScore: r.priceScore, total: r.total,
    })),
    // the report recommends its ranking in order; the purchaser chooses from it in that order (award.purchaserConfirm)
    candidates: report.ranking.map((r) => r.supplierName),
    candidatesRule: "award.purchaserConfirm",
    disqualified: report.disqualified.map((d) => ({ supplierName: d.supplierName, reason: d.reason })),
    dissent: e.members.flatMap((m, i) => (signatures.get(m)?.dissent ? [{ position: i + 1, text: signatures.get(m)!.dissent as string }] : [])),
    signaturesRule: "eval.report.signatures",
  };
}

async function refuseUnlessScoring(trx: Knex.Transaction, e: Row, user: SessionUser) {
  if (e.status === "signed" || e.status === "awarded") throw settled();
  if (e.status !== "scoring") throw wrongStage(e, "当前不在评分阶段", "Scoring is not open", "evaluation.stage");
  if (!e.chair) throw conflict({ "zh-CN": "评标委员会尚未推选组长，推选后方可评分", en: "The committee has not elected its chair yet: scoring starts after the election" }, { rule: "evaluation.chair" });
  if (await trx("evaluation_submissions").where({ evaluation_id: e.id, member_id: user.id }).first()) {
    throw conflict({ "zh-CN": "您已提交评分，不能再修改", en: "You have submitted your scores: they cannot change" }, { rule: "evaluation.submitted" });
  }
}

/** Negotiation and consultation end in rounds of final offers; the tender methods take the opening's prices. */
const negotiates = (e: Pick<Row, "tender_method">) => e.tender_method === "competitive-negotiation" || e.tender_method === "competitive-consultation";
const FINAL_OFFERS = "negotiation.finalOffers.min";

/** The last closed round's final offers by bid: the prices the report compares, in place of the opening's. */
async function finalOffers(db: Knex, e: Row): Promise<Map<string, string>> {
  const rows = await db("evaluation_final_offers").where({ evaluation_id: e.id, round: e.offer_round });
  return new Map(rows.map((o) => [o.bid_id as string, Number(o.price).toFixed(2)]));
}

/** Qualified bids flagged abnormally low whose explanation the committee has not recorded. */
async function unexplainedLowPrices(db: Knex, e: Row, qualified: string[]): Promise<string[]> {
  const low = e.indicators.filter((i) => i.kind === "abnormally-low").map((i) => i.bidIds[0]).filter((b) => qualified.includes(b));
  if (!low.length) return [];
  const have = new Set((await db("evaluation_explanations").where({ evaluation_id: e.id }).whereIn("bid_id", low).select("bid_id")).map((r) => r.bid_id));
  return low.filter((b) => !have.has(b));
}

async function qualifiedBids(db: Knex, e: Row): Promise<string[]> {
  return (await db("evaluation_qualifications").where({ evaluation_id: e.id, passed: true }).select("bid_id")).map((r) => r.bid_id);
}

async function checkedScores(trx: Knex.Transaction, e: Row, raw: unknown) {
  const list = Array.isArray(raw) ? raw : null;
  if (!list || !list.length || list.length > 2000) throw validationFailed([fieldError("/scores", "scores", "应提交 1–2000 项评分", "send 1 to 2,000 scores")]);
  const qualified = new Set(await qualifiedBids(trx, e));
  const criteria = new Map(e.criteria.map((c) => [c.id, c]));
  const problems = [];
  const out: Array<{ bidId: string; criterion: string; score: number }> = [];
  for (const [i, s] of list.entries()) {
    const c = s && typeof s === "object" ? criteria.get(s.criterion) : undefined;
    if (!s || typeof s !== "object" || !qualified.has(s.bidId)) problems.push(fieldError(`/scores/${i}/bidId`, "bid", "应为通过资格审查的投标", "a bid that passed the qualification review"));
    else if (!c) problems.push(fieldError(`/scores/${i}/criterion`, "criterion", "没有该评审因素", "no such criterion"));
    else if (typeof s.score !== "number" || !Number.isFinite(s.score) || s.score < 0 || s.score > c.max || Math.abs(Math.round(s.score * 100) - s.score * 100) > 1e-6) {
      problems.push(fieldError(`/scores/${i}/score`, "range", `「${c.title}」的得分应在 0–${c.max} 分之间（至多两位小数）`, `the score of "${c.titleEn ?? c.title}" is 0 to ${c.max} (two decimals at most)`));
    } else out.push({ bidId: s.bidId, criterion: c.id, score: s.score });
  }
  if (problems.length) throw validationFailed(problems);
  return out;
}

async function makeReport(trx: Knex.Transaction, e: Row, now: Date): Promise<Row> {
  let quals = await trx("evaluation_qualifications").where({ evaluation_id: e.id });
  const scores = await trx("evaluation_scores").where({ evaluation_id: e.id });
  let bids = e.bids;
  if (negotiates(e)) {
    // the final offers are the prices compared; a bidder that made none in the last round leaves the competition
    const offers = await finalOffers(trx, e);
    bids = e.bids.map((b) => ({ ...b, price: offers.get(b.bidId) ?? b.price }));
    quals = quals.map((q) => (q.passed && !offers.has(q.bid_id) ? { ...q, passed: false, reason: "未在最后一轮提交最后报价" } : q));
  }
  const report = rank({
    method: e.method, priceWeight: e.price_weight === null ? null : Number(e.price_weight), smeDeduction: Number(e.sme_deduction), smeRule: e.sme_rule, consortiumDeduction: Number(e.consortium_deduction),
    criteria: e.criteria, members: e.members, bids, qualifications: quals.map((q) => ({ bidId: q.bid_id, passed: q.passed, sme: q.sme, consortium: q.consortium, reason: q.reason })),
    scores: scores.map((s) => ({ memberId: s.member_id, bidId: s.bid_id, criterion: s.criterion, score: Number(s.score) })),
  });
  const stamped = { ...report, generatedAt: now.toISOString(), round: e.round };
  await trx("evaluation_evaluations").where({ id: e.id }).update({ status: "signing", report: JSON.stringify(stamped), updated_at: now });
  await writeAudit(trx, { actor: { system: "evaluation.report" }, tenantCode: e.tenant_code, action: "evaluation.report", object: e.id, after: { ranking: report.ranking.map((r) => ({ bidId: r.bidId, rank: r.rank, total: r.total })) } });
  return { ...e, status: "signing", report: stamped };
}

/**
 * The award as analytics hears it (`analytics.fact`, stage `award`, the fields its README names): the count of bids
 * is public once the award is, and feeds the competition figures and the single-bid red flag. A tender executing
 * no filed project has no record to join, and is left out.
 */
/** finance's refund clock for these suppliers' deposits on the tender (plugins/finance/api.ts). */
const refundClock = (e: Row, rule: RefundClockEvent["rule"], from: string, supplierCodes: string[]): RefundClockEvent => ({ tenderId: e.tender_id, rule, from, supplierCodes });

async function awardFact(trx: Knex.Transaction, e: Row, award: Award, now: Date) {
  if (!e.project_id) return;
  await enqueue(trx, {
    event: "analytics.fact",
    key: e.id,
    payload: {
      stage: "award", instanceId: e.id, workflowId: "evaluation.result", plugin: "evaluation", tenantCode: e.tenant_code, ownerUnit: e.unit_code ?? e.agency_code, state: "awarded", transition: "award",
      version: resultVersion(e),
      data: { projectId: e.project_id, method: e.tender_method, purchaserName: e.unit_name, supplierName: award.supplierName, amount: award.price, awardDate: localDate(now), bidders: e.bids.length },
    },
  });
}

// a later round, or the next candidate after a winner's refusal, replaces the result: a higher version
const resultVersion = (e: Row) => e.round * 100 + e.refusals.length;

/** The result notice on the portal (award.resultNotice): winner, price, and the committee's size; no one's scores. */
async function publishResult(trx: Knex.Transaction, e: Row, award: { supplierName: string; price: string; noticeUntil?: string | null }, now: Date) {
  await enqueue(trx, {
    event: "portal.publish",
    key: e.id,
    payload: {
      instanceId: e.id, workflowId: "evaluation.result", plugin: "evaluation", tenantCode: e.tenant_code, ownerUnit: e.unit_code ?? e.agency_code, state: "awarded", transition: "award",
      version: resultVersion(e), notice: "result", title: `${e.title}中标结果公告`, unitName: e.unit_name,
      data: { projectName: e.title, purchaserName: e.unit_name, winner: award.supplierName, winningPrice: award.price, awardedAt: now.toISOString(), ...(award.noticeUntil ? { noticeUntil: award.noticeUntil } : {}) },
    },
  });
}
