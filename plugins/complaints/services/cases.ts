import { subject } from "@casl/ability";
import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import type { Service } from "moleculer";
import {
  abilityOf,
  type ErrorDetail,
  type ExportColumn,
  exportFormatParam,
  exportLang,
  exportList,
  listPage,
  listParams,
  type ListOrder,
  type ListParamsInput,
  type SearchColumn,
  single,
  whereContains,
  implement,
  actorOf,
  conflict,
  enqueue,
  fieldError,
  forbidden,
  localDate,
  notFound,
  PlatformError,
  platformNow,
  scopeQuery,
  type PlatformContext,
  type PlatformServiceSchema,
  type PluginServiceThis,
  type SessionUser,
  validateForm,
  validationFailed,
  writeAudit,
  daysBetween,
} from "../../../core/sdk";
import type { ComplaintsChallenge } from "../../../forms/types/complaints.challenge";
import type { ComplaintsComplaint } from "../../../forms/types/complaints.complaint";
import type { CreditFactEvent } from "../../credit/api";
import { type ContractHold, contractHolds } from "../../supervision/api";
import {
  CHALLENGE_REPLY, CHALLENGE_WINDOW, clock, COMPLAINT_WINDOW, DECISION, dueAfter, extendBy, FRIVOLOUS_COUNT, FRIVOLOUS_MONTHS, INTAKE_REVIEW,
  RESPONDENT_REPLY, SUSPEND_MAX, type Clock,
} from "./rules";

export const CHALLENGES = "complaints_challenges";
const MATTERS = "complaints_matters";
export const COMPLAINTS = "complaints_complaints";
const CHALLENGE = { "zh-CN": "质疑", en: "challenge" };
const COMPLAINT = { "zh-CN": "投诉", en: "complaint" };

/** What e-trading's `etrading.get` answers that this plugin uses (plugins/etrading/services/tenders.ts `view`). */
interface TenderView {
  id: string;
  /** the tender's workflow instance, whose data names the supervision project it executes */
  instanceId: string;
  tenantCode: string;
  title: string;
  status: string;
  publishedAt: string | null;
  /** the caller runs it: its purchasing unit or its agency */
  mine: boolean;
  /** the caller (a supplier) obtained the documents */
  registered?: boolean;
}

/**
 * Every action starts here: e-trading's own read of the tender, as the caller. It applies e-trading's
 * module gate at the tender's place (the challenge is that procurement's business) and e-trading's
 * rules of who sees the tender, and tells whether the caller runs it or obtained its documents.
 */
const tenderOf = (ctx: PlatformContext, id: string) => ctx.call<TenderView, { id: string }>("etrading.get", { id });

/** Whom the case concerns besides the challenger, as supervision knows the project: never shown in a view. */
interface Parties { projectId: string | null; purchaserUnit: string | null; agencyCode: string | null }

/**
 * The supervision project the tender executes (its notice's workflow data names it) and the units
 * that run it, read as the platform (the region's oversight): a supplier sees neither the tender's
 * drafting data nor the purchaser's code (its budget code). Kept with the challenge so that
 * supervision's `contract-holds` is answered by project and the clocks' warnings reach the units.
 */
async function partiesOf(svc: PluginServiceThis, ctx: PlatformContext, tender: TenderView): Promise<Parties> {
  const platform: SessionUser = { id: "complaints.cases", username: "complaints.cases", tenantCode: tender.tenantCode, roles: ["regulator"], oversees: true };
  const broker = (svc as unknown as Service).broker;
  const asPlatform = broker.ContextFactory.create(broker, null as never, {}, { meta: { user: platform }, parentCtx: ctx }) as unknown as PlatformContext;
  const inst = await asPlatform.call<{ data: { projectId?: unknown } }, { id: string }>("workflows.instance", { id: tender.instanceId });
  if (!isUuid(inst.data.projectId)) return { projectId: null, purchaserUnit: null, agencyCode: null };
  const project = await asPlatform.call<{ unitCode?: string | null; agencyCode?: string | null }, { id: string }>("supervision.get", { id: inst.data.projectId });
  return { projectId: inst.data.projectId, purchaserUnit: project.unitCode ?? null, agencyCode: project.agencyCode ?? null };
}

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);
export const dateOf = (d: Date | string) => (typeof d === "string" ? d.slice(0, 10) : localDate(d));
const isUuid = (s: unknown): s is string => typeof s === "string" && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
const text = (v: unknown, path: string, max = 20000) => {
  if (typeof v !== "string" || !v.trim() || v.length > max) throw validationFailed([fieldError(path, "required", `请填写（不超过 ${max} 字）`, `is required (at most ${max} characters)`)]);
  return v.trim();
};
const isSupplier = (u: SessionUser) => u.roles.includes("supplier");
const runsTenders = (u: SessionUser) => u.roles.includes("purchaser") || u.roles.includes("agency");

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Who may read a challenge (and its complaint): the challenger, the regulators of the tender's region
 * (CASL, the manifest's rules), and the purchaser and agency that run the tender (e-trading says so).
 * Anyone else gets 404, as for a case that does not exist: another supplier learns nothing of it.
 */
async function readable(ctx: PlatformContext, row: Row, what = CHALLENGE): Promise<{ tender: TenderView; runs: boolean; regulates: boolean; challenger: boolean }> {
  const user = ctx.meta.user!;
  const ability = abilityOf(ctx);
  const challenger = isSupplier(user) && !!user.unitCode && row.supplier_code === user.unitCode;
  const regulates = ability.can("update", subject("ComplaintsCase", { tenantCode: row.tenant_code }));
  if (!challenger && !regulates && !runsTenders(user)) throw notFound(what);
  const tender = await tenderOf(ctx, row.tender_id).catch((err) => {
    if ((err as { type?: string }).type === "NOT_FOUND") throw notFound(what);
    throw err;
  });
  if (!challenger && !regulates && !tender.mine) throw notFound(what);
  return { tender, runs: tender.mine, regulates, challenger };
}

async function mattersOf(db: Knex, challengeId: string) {
  return (await db(MATTERS).where({ challenge_id: challengeId }).orderBy("n")).map((m) => ({ n: m.n, text: m.text, evidence: m.evidence }));
}

/** The complaint window's first day: the reply's, or the day the reply was due when none came (complaint.window). */
export const complaintBase = (c: Row) => (c.replied_at ? dateOf(c.replied_at) : dateOf(c.reply_due));

export function challengeClocks(c: Row, now: Date): Clock[] {
  const clocks: Clock[] = [];
  if (c.status === "awaiting-reply") clocks.push(clock("challenge.reply", dateOf(c.reply_due), now));
  else if (!c.complaint_id) clocks.push(clock("complaint.window", dueAfter(complaintBase(c), COMPLAINT_WINDOW), now));
  return clocks;
}

export function complaintClocks(p: Row, now: Date): Clock[] {
  const clocks: Clock[] = [];
  if (p.status === "intake") clocks.push(clock("complaint.intake", dateOf(p.intake_due), now));
  if (p.status === "accepted") clocks.push(clock("complaint.respondentReply", dateOf(p.respondent_due), now));
  if ((p.status === "accepted" || p.status === "answered") && p.decision_due) {
    // paused (inspection, expert advice): the days since the pause do not count, so the clock shows its due day moved by them
    const pausedFor = p.paused_at ? daysBetween(p.paused_at, now, "working-days") : 0;
    clocks.push(clock("complaint.decision", extendBy(dateOf(p.decision_due), pausedFor), now, !!p.paused_at));
  }
  if (p.suspended_until && p.status !== "decided" && p.status !== "rejected") clocks.push(clock("complaint.suspendProcurement", dateOf(p.suspended_until), now));
  return clocks;
}

function challengeView(c: Row, matters: unknown[], now: Date) {
  return {
    id: c.id, tenantCode: c.tenant_code, tenderId: c.tender_id, tenderTitle: c.tender_title, supplierCode: c.supplier_code, target: c.target,
    knownOn: dateOf(c.known_on), windowEnd: dateOf(c.window_end), filedAt: iso(c.filed_at), replyDue: dateOf(c.reply_due), affectsResult: c.affects_result,
    status: c.status, reply: c.reply ?? null, repliedAt: iso(c.replied_at), complaintId: c.complaint_id ?? null, matters, clocks: challengeClocks(c, now),
  };
}

function complaintView(p: Row, now: Date) {
  return {
    id: p.id, challengeId: p.challenge_id, tenantCode: p.tenant_code, tenderId: p.tender_id, supplierCode: p.supplier_code, matters: p.matters, statement: p.statement,
    filedAt: iso(p.filed_at), status: p.status, intakeDue: p.intake_due ? dateOf(p.intake_due) : null, correctionUsed: p.correction_used, correctionNote: p.correction_note ?? null,
    servedAt: iso(p.served_at), respondentDue: p.respondent_due ? dateOf(p.respondent_due) : null, respondentAnswer: p.respondent_answer ?? null,
    suspendedUntil: p.suspended_until ? dateOf(p.suspended_until) : null, decisionDue: p.decision_due ? dateOf(p.decision_due) : null, paused: !!p.paused_at,
    pauseReason: p.pause_reason ?? null, pausedWorkingDays: p.paused_working_days, outcome: p.outcome ?? null, decision: p.decision ?? null, decidedAt: iso(p.decided_at),
    clocks: complaintClocks(p, now),
  };
}

// ── The lists: who sees which cases, their order, search, filters and export ─────────────────

const CHALLENGE_STATUSES = ["awaiting-reply", "replied"] as const;
const COMPLAINT_STATUSES = ["intake", "correcting", "accepted", "answered", "decided", "rejected"] as const;
const STATUS_TITLES: Record<string, { "zh-CN": string; en: string }> = {
  "awaiting-reply": { "zh-CN": "待答复", en: "Awaiting reply" },
  replied: { "zh-CN": "已答复", en: "Replied" },
  intake: { "zh-CN": "待受理", en: "Awaiting intake" },
  correcting: { "zh-CN": "待补正", en: "Correction requested" },
  accepted: { "zh-CN": "已受理", en: "Accepted" },
  answered: { "zh-CN": "被投诉人已答复", en: "Respondent answered" },
  decided: { "zh-CN": "已作出处理决定", en: "Decided" },
  rejected: { "zh-CN": "不予受理", en: "Not admitted" },
};
const TARGET_TITLES: Record<string, { "zh-CN": string; en: string }> = {
  documents: { "zh-CN": "采购文件", en: "Documents" },
  process: { "zh-CN": "采购过程", en: "Process" },
  result: { "zh-CN": "中标（成交）结果", en: "Result" },
};
const OUTCOME_TITLES: Record<string, { "zh-CN": string; en: string }> = {
  founded: { "zh-CN": "投诉成立", en: "Founded" },
  unfounded: { "zh-CN": "投诉不成立", en: "Unfounded" },
};

/** Newest first (the indexes complaints_challenges_recent, complaints_complaints_recent). */
const CHALLENGE_ORDER: ListOrder = {
  name: "complaints.challenges",
  keys: [
    { column: `${CHALLENGES}.filed_at`, kind: "timestamp" },
    { column: `${CHALLENGES}.id`, kind: "uuid" },
  ],
  direction: "desc",
};
const COMPLAINT_ORDER: ListOrder = {
  name: "complaints.complaints",
  keys: [
    { column: `${COMPLAINTS}.filed_at`, kind: "timestamp" },
    { column: `${COMPLAINTS}.id`, kind: "uuid" },
  ],
  direction: "desc",
};

/** `q`: the tender's title, normalised, on the challenge (migration 20261207140000_case_search); a complaint's through its challenge. */
const CASE_SEARCH: SearchColumn = { column: `${CHALLENGES}.search`, bigrams: `complaints_bigrams(${CHALLENGES}.search)`, trigram: true };

interface ListParams { q?: unknown; status?: unknown; page?: unknown; pageSize?: unknown; cursor?: unknown }
type ChallengeListParams = ListParams & { tenderId?: unknown };
type ComplaintListParams = ListParams;

/** `status` of a list: one of `allowed`, or a problem at /status. */
function statusParam(raw: unknown, allowed: readonly string[], problems: ErrorDetail[]): string | undefined {
  const v = single(raw);
  if (v === undefined || v === "") return undefined;
  if (v !== null && allowed.includes(v)) return v;
  problems.push(fieldError("/status", "enum", `应为 ${allowed.join("、")} 之一`, `must be one of ${allowed.join(", ")}`));
  return undefined;
}

/**
 * The challenges the caller may read, filtered (400 with every problem): a tender's (`tenderId`) for
 * those who run it, else only the caller's own or, for a regulator, its region's.
 */
async function filteredChallenges(db: Knex, ctx: PlatformContext<ChallengeListParams>, problems: ErrorDetail[] = []) {
  const user = ctx.meta.user!;
  const tenderId = single(ctx.params.tenderId);
  if (tenderId !== undefined && tenderId !== "" && !isUuid(tenderId)) problems.push(fieldError("/tenderId", "format", "应为采购项目编号", "must be a procurement's id"));
  const status = statusParam(ctx.params.status, CHALLENGE_STATUSES, problems);
  const req = listParams(ctx.params as ListParamsInput, CHALLENGE_ORDER, { pageSize: 50, maxPageSize: 200 }, problems);
  const query = db(CHALLENGES).leftJoin(COMPLAINTS, `${COMPLAINTS}.challenge_id`, `${CHALLENGES}.id`).select(`${CHALLENGES}.*`, `${COMPLAINTS}.id as complaint_id`);
  if (isUuid(tenderId)) {
    const tender = await tenderOf(ctx, tenderId);
    query.where(`${CHALLENGES}.tender_id`, tender.id);
    if (!tender.mine) {
      // not running it: only what the caller may read anyway (its own, or its region's as a regulator)
      query.where((w) => {
        w.where(`${CHALLENGES}.supplier_code`, user.unitCode ?? "");
        if (abilityOf(ctx).can("update", subject("ComplaintsCase", { tenantCode: tender.tenantCode }))) w.orWhere(`${CHALLENGES}.tenant_code`, tender.tenantCode);
      });
    }
  } else if (isSupplier(user)) query.where(`${CHALLENGES}.supplier_code`, user.unitCode ?? "");
  else scopeQuery(query, abilityOf(ctx), "update", "ComplaintsCase", { tenantCode: `${CHALLENGES}.tenant_code` });
  if (status) query.where(`${CHALLENGES}.status`, status);
  whereContains(query, CASE_SEARCH, req.terms);
  return { query, req };
}

/** The complaints the caller may read, filtered (400 with every problem): a supplier's own, a regulator's region's. */
function filteredComplaints(db: Knex, ctx: PlatformContext<ComplaintListParams>, problems: ErrorDetail[] = []) {
  const user = ctx.meta.user!;
  const status = statusParam(ctx.params.status, COMPLAINT_STATUSES, problems);
  const req = listParams(ctx.params as ListParamsInput, COMPLAINT_ORDER, { pageSize: 50, maxPageSize: 200 }, problems);
  const query = db(COMPLAINTS).join(CHALLENGES, `${CHALLENGES}.id`, `${COMPLAINTS}.challenge_id`).select(`${COMPLAINTS}.*`, `${CHALLENGES}.tender_title`);
  if (isSupplier(user)) query.where(`${COMPLAINTS}.supplier_code`, user.unitCode ?? "");
  else scopeQuery(query, abilityOf(ctx), "update", "ComplaintsCase", { tenantCode: `${COMPLAINTS}.tenant_code` });
  if (status) query.where(`${COMPLAINTS}.status`, status);
  whereContains(query, CASE_SEARCH, req.terms);
  return { query, req };
}

type Titled = { "zh-CN": string; en: string };
const titled = (map: Record<string, Titled>, v: string | null, lang: "zh-CN" | "en") => (v === null ? null : (map[v]?.[lang] ?? v));

/** The challenges export's columns: what the list shows (the challenger's credit code is on its registry record). */
function challengeColumns(lang: "zh-CN" | "en"): Array<ExportColumn<ReturnType<typeof challengeView>>> {
  return [
    { title: { "zh-CN": "采购项目", en: "Procurement" }, value: (c) => c.tenderTitle, width: 40 },
    { title: { "zh-CN": "质疑供应商", en: "Challenger" }, value: (c) => c.supplierCode, width: 22 },
    { title: { "zh-CN": "质疑对象", en: "Challenged" }, value: (c) => titled(TARGET_TITLES, c.target, lang), width: 18 },
    { title: { "zh-CN": "知道之日", en: "Known on" }, value: (c) => c.knownOn, width: 12 },
    { title: { "zh-CN": "提出时间", en: "Filed" }, value: (c) => c.filedAt, width: 26 },
    { title: { "zh-CN": "答复期限", en: "Reply due" }, value: (c) => c.replyDue, width: 12 },
    { title: { "zh-CN": "状态", en: "Status" }, value: (c) => titled(STATUS_TITLES, c.status, lang), width: 12 },
    { title: { "zh-CN": "答复时间", en: "Replied" }, value: (c) => c.repliedAt, width: 26 },
    { title: { "zh-CN": "已投诉", en: "Complained of" }, value: (c) => (c.complaintId ? (lang === "en" ? "yes" : "是") : lang === "en" ? "no" : "否"), width: 10 },
  ];
}

/** The complaints export's columns: what the regulator's desk shows. */
function complaintColumns(lang: "zh-CN" | "en"): Array<ExportColumn<ReturnType<typeof complaintView> & { tenderTitle: string }>> {
  return [
    { title: { "zh-CN": "采购项目", en: "Procurement" }, value: (p) => p.tenderTitle, width: 40 },
    { title: { "zh-CN": "投诉人", en: "Complainant" }, value: (p) => p.supplierCode, width: 22 },
    { title: { "zh-CN": "投诉时间", en: "Filed" }, value: (p) => p.filedAt, width: 26 },
    { title: { "zh-CN": "状态", en: "Status" }, value: (p) => titled(STATUS_TITLES, p.status, lang), width: 16 },
    { title: { "zh-CN": "受理审查期限", en: "Intake due" }, value: (p) => p.intakeDue, width: 12 },
    { title: { "zh-CN": "处理决定期限", en: "Decision due" }, value: (p) => p.decisionDue, width: 12 },
    { title: { "zh-CN": "处理结果", en: "Outcome" }, value: (p) => titled(OUTCOME_TITLES, p.outcome, lang), width: 12 },
    { title: { "zh-CN": "决定时间", en: "Decided" }, value: (p) => p.decidedAt, width: 26 },
  ];
}

/** Locks a complaint for a step and checks its state, naming what it is in now. */
async function lockedComplaint(trx: Knex.Transaction, id: string, states: string[]) {
  const p = await trx(COMPLAINTS).where({ id }).forUpdate().first();
  if (!p) throw notFound(COMPLAINT);
  if (!states.includes(p.status)) throw conflict({ "zh-CN": `投诉当前状态（${p.status}）不能办理此事项`, en: `The complaint is ${p.status}: this step does not apply` }, { rule: "state", state: p.status });
  return p;
}

export const casesService: PlatformServiceSchema = {
  name: "complaints",
  actions: {
    /** POST /api/complaints/challenges: a supplier that took part challenges the documents, the process or the result (质疑). */
    file: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /challenges",
      async handler(this: PluginServiceThis, ctx: PlatformContext<Record<string, unknown>>) {
        const user = ctx.meta.user!;
        if (!isSupplier(user) || !user.unitCode) throw new PlatformError("FORBIDDEN", { "zh-CN": "只有供应商可以提出质疑", en: "Only suppliers may challenge" }, { rule: "challenge.window.start" });
        const data = validateForm<ComplaintsChallenge>("complaints.challenge", ctx.params);
        const tender = await tenderOf(ctx, data.tenderId);
        // challenge.window.start (notes): only a supplier that took part (obtained the documents, and so could bid) may challenge
        if (!tender.registered) {
          throw new PlatformError(
            "FORBIDDEN",
            { "zh-CN": "贵单位未参与该采购项目（未获取采购文件），不能提出质疑", en: "Your company did not take part in this procurement (it did not obtain the documents): it may not challenge" },
            { rule: "challenge.window.start" },
          );
        }
        const now = platformNow();
        const today = localDate(now);
        const published = tender.publishedAt ? localDate(new Date(tender.publishedAt)) : today;
        if (data.knownOn > today || data.knownOn < published) {
          throw validationFailed([fieldError("/knownOn", "challenge.window.start", `应在采购公告发布之日（${published}）至今天（${today}）之间`, `must be between the notice's publication (${published}) and today (${today})`)]);
        }
        const windowEnd = dueAfter(data.knownOn, CHALLENGE_WINDOW);
        if (today > windowEnd) {
          throw validationFailed([fieldError("/knownOn", "challenge.window", `质疑期（${CHALLENGE_WINDOW} 个工作日）已于 ${windowEnd} 届满`, `the challenge period (${CHALLENGE_WINDOW} working days) ended on ${windowEnd}`)]);
        }
        // evidence: each file an upload the caller may read (files.info as the caller), checked before the transaction opens
        const problems = [];
        for (const [i, m] of data.matters.entries()) {
          for (const [j, id] of (m.evidence ?? []).entries()) {
            const ok = await ctx.call("files.info", { id }).then(() => true, () => false);
            if (!ok) problems.push(fieldError(`/matters/${i}/evidence/${j}`, "attachment", "附件不存在或不是贵单位上传的", "no such upload of yours"));
          }
        }
        if (problems.length) throw validationFailed(problems);
        const parties = await partiesOf(this, ctx, tender);
        // the clock first: a clock whose challenge never came closes itself at its first check, while
        // a challenge is never without its clock
        const challengeId = randomUUID();
        const clockInstance = await ctx.call<{ id: string }, Record<string, unknown>>("workflows.start", { workflowId: "complaints.clock", data: { challengeId } });
        const row = await this.db.transaction(async (trx) => {
          const [c] = await trx(CHALLENGES)
            .insert({
              id: challengeId, clock_instance_id: clockInstance.id, purchaser_unit: parties.purchaserUnit, agency_code: parties.agencyCode,
              tenant_code: tender.tenantCode, tender_id: tender.id, project_id: parties.projectId, tender_title: tender.title, supplier_code: user.unitCode, target: data.target, known_on: data.knownOn,
              window_end: windowEnd, filed_at: now, reply_due: dueAfter(today, CHALLENGE_REPLY), affects_result: data.affectsResult ?? true, status: "awaiting-reply",
            })
            .returning("*");
          await trx(MATTERS).insert(data.matters.map((m, i) => ({ challenge_id: c.id, n: i + 1, text: m.text.trim(), evidence: JSON.stringify(m.evidence ?? []) })));
          await writeAudit(trx, { actor: actorOf(user), tenantCode: c.tenant_code, action: "complaints.challenge.create", object: c.id });
          return c;
        });
        ctx.meta.$statusCode = 201;
        return challengeView(row, await mattersOf(this.db, row.id), now);
      },
    },

    /**
     * GET /api/complaints/challenges?tenderId=: a tender's challenges for its purchaser and agency; without
     * it, the caller's own (a supplier) or the region's (a regulator). Newest first by keyset pages (core's
     * list helper), `q` any substring of the tender's title, `status` awaiting-reply or replied.
     */
    challenges: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /challenges",
      async handler(this: PluginServiceThis, ctx: PlatformContext<ChallengeListParams>) {
        const now = platformNow();
        const { query, req } = await filteredChallenges(this.db, ctx);
        const { rows, nextCursor, total, totalIsEstimate } = await listPage<Row>(this.db, query, CHALLENGE_ORDER, req);
        return { items: rows.map((c) => challengeView(c, [], now)), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
      },
    },

    // before `challenge`, whose /challenges/:id would take "export" for an id
    exportChallenges: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /challenges/export",
      async handler(this: PluginServiceThis, ctx: PlatformContext<ChallengeListParams & { format?: unknown; lang?: unknown }>) {
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const { query } = await filteredChallenges(this.db, ctx, problems);
        const lang = exportLang(ctx.params.lang);
        const now = platformNow();
        return exportList<Row>(ctx, {
          db: this.db,
          query,
          order: CHALLENGE_ORDER,
          columns: challengeColumns(lang).map((c) => ({ ...c, value: (row: Row) => c.value(challengeView(row, [], now)) })),
          format,
          lang,
          filename: lang === "en" ? "challenges" : "质疑",
          sheet: { "zh-CN": "质疑", en: "Challenges" },
        });
      },
    },

    /** GET /api/complaints/challenges/:id: one challenge with its matters and clocks, for who may read it. */
    challenge: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /challenges/:id",
      params: { id: "string" },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string }>) {
        const c = isUuid(ctx.params.id) ? await this.db(CHALLENGES).where({ id: ctx.params.id }).first() : undefined;
        if (!c) throw notFound(CHALLENGE);
        const access = await readable(ctx, c);
        const complaint = await this.db(COMPLAINTS).where({ challenge_id: c.id }).first();
        const now = platformNow();
        return { ...challengeView({ ...c, complaint_id: complaint?.id }, await mattersOf(this.db, c.id), now), canReply: access.runs && c.status === "awaiting-reply", complaint: complaint ? complaintView(complaint, now) : null };
      },
    },

    /** POST /api/complaints/challenges/:id/reply: the purchaser or agency answers in writing (challenge.reply). */
    reply: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /challenges/:id/reply",
      params: { id: "string" },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string; reply?: unknown }>) {
        const c = isUuid(ctx.params.id) ? await this.db(CHALLENGES).where({ id: ctx.params.id }).first() : undefined;
        if (!c) throw notFound(CHALLENGE);
        const access = await readable(ctx, c);
        if (!access.runs) throw new PlatformError("FORBIDDEN", { "zh-CN": "只有采购人或采购代理机构可以答复质疑", en: "Only the purchaser or its agency may reply to a challenge" }, { rule: "challenge.reply" });
        const reply = text(ctx.params.reply, "/reply");
        const now = platformNow();
        const row = await this.db.transaction(async (trx) => {
          const locked = await trx(CHALLENGES).where({ id: c.id }).forUpdate().first();
          if (locked.status !== "awaiting-reply") throw conflict({ "zh-CN": "该质疑已答复", en: "This challenge is already answered" }, { rule: "state" });
          const [u] = await trx(CHALLENGES).where({ id: c.id }).update({ status: "replied", reply, replied_at: now }).returning("*");
          await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: c.tenant_code, action: "complaints.challenge.reply", object: c.id });
          return u;
        });
        return challengeView(row, await mattersOf(this.db, c.id), now);
      },
    },

    /**
     * GET /api/complaints/tenders/:tenderId/suspension: whether the tender's contract may be signed
     * (challenge.suspendContract: not while a challenge that may affect the result is unanswered or its
     * complaint undecided) and whether the regulator suspended the procurement (complaint.suspendProcurement).
     */
    suspension: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /tenders/:tenderId/suspension",
      params: { tenderId: "string" },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ tenderId: string }>) {
        if (!isUuid(ctx.params.tenderId)) throw notFound();
        const tender = await tenderOf(ctx, ctx.params.tenderId);
        return suspensionOf(this.db, tender.id, platformNow());
      },
    },

    /**
     * supervision.contract-holds: a project's contract may not be filed while a challenge of its tender
     * that may affect the result awaits its answer or its complaint its decision (challenge.suspendContract),
     * nor while the regulator keeps the procurement suspended (complaint.suspendProcurement).
     */
    contractHolds: implement(contractHolds, "holds", {
      kind: "read",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx) {
        return { holds: await holdsOf(this.db, ctx.params.projectId, platformNow()) };
      },
    }),

    /** POST /api/complaints/complaints: the challenger complains to the finance department, on challenged matters only. */
    complain: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /complaints",
      async handler(this: PluginServiceThis, ctx: PlatformContext<Record<string, unknown>>) {
        const user = ctx.meta.user!;
        const data = validateForm<ComplaintsComplaint>("complaints.complaint", ctx.params);
        const c = await this.db(CHALLENGES).where({ id: data.challengeId }).first();
        // only the challenger may complain of its challenge; to anyone else it does not exist
        if (!c || !isSupplier(user) || c.supplier_code !== user.unitCode) throw notFound(CHALLENGE);
        await tenderOf(ctx, c.tender_id);
        const now = platformNow();
        const today = localDate(now);
        if (c.status === "awaiting-reply" && today <= dateOf(c.reply_due)) {
          throw conflict(
            { "zh-CN": `质疑答复期至 ${dateOf(c.reply_due)} 届满，答复或期满后方可投诉`, en: `The reply is due by ${dateOf(c.reply_due)}: complain after the reply or once that day has passed` },
            { rule: "complaint.window", replyDue: dateOf(c.reply_due) },
          );
        }
        const windowEnd = dueAfter(complaintBase(c), COMPLAINT_WINDOW);
        if (today > windowEnd) throw conflict({ "zh-CN": `投诉期（${COMPLAINT_WINDOW} 个工作日）已于 ${windowEnd} 届满`, en: `The complaint period (${COMPLAINT_WINDOW} working days) ended on ${windowEnd}` }, { rule: "complaint.window", windowEnd });
        const challenged = (await mattersOf(this.db, c.id)).map((m) => m.n);
        const beyond = data.matters.map((n, i) => ({ n, i })).filter(({ n }) => !challenged.includes(n));
        if (beyond.length) {
          throw validationFailed(beyond.map(({ n, i }) => fieldError(`/matters/${i}`, "complaint.scopeWithinChallenge", `第 ${n} 项不是已质疑的事项（已质疑：${challenged.join("、")}）`, `matter ${n} was not challenged (challenged: ${challenged.join(", ")})`)));
        }
        const row = await this.db.transaction(async (trx) => {
          if (await trx(COMPLAINTS).where({ challenge_id: c.id }).forUpdate().first()) throw conflict({ "zh-CN": "该质疑已投诉", en: "This challenge has already been complained of" }, { rule: "one-complaint" });
          const [p] = await trx(COMPLAINTS)
            .insert({ challenge_id: c.id, tenant_code: c.tenant_code, tender_id: c.tender_id, supplier_code: c.supplier_code, matters: JSON.stringify(data.matters), statement: data.statement.trim(), filed_at: now, status: "intake", intake_due: dueAfter(today, INTAKE_REVIEW) })
            .returning("*");
          await writeAudit(trx, { actor: actorOf(user), tenantCode: c.tenant_code, action: "complaints.complaint.create", object: p.id });
          return p;
        });
        ctx.meta.$statusCode = 201;
        return complaintView(row, now);
      },
    },

    /** GET /api/complaints/complaints: the regulator's desk (its region's), or the caller's own as a supplier; newest first, keyset pages, `q` and `status`. */
    complaints: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /complaints",
      async handler(this: PluginServiceThis, ctx: PlatformContext<ComplaintListParams>) {
        const { query, req } = filteredComplaints(this.db, ctx);
        const { rows, nextCursor, total, totalIsEstimate } = await listPage<Row>(this.db, query, COMPLAINT_ORDER, req);
        const now = platformNow();
        return { items: rows.map((p) => ({ ...complaintView(p, now), tenderTitle: p.tender_title })), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
      },
    },

    // before the complaint's own routes, so that "export" is never taken for an id
    exportComplaints: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /complaints/export",
      async handler(this: PluginServiceThis, ctx: PlatformContext<ComplaintListParams & { format?: unknown; lang?: unknown }>) {
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const { query } = filteredComplaints(this.db, ctx, problems);
        const lang = exportLang(ctx.params.lang);
        const now = platformNow();
        return exportList<Row>(ctx, {
          db: this.db,
          query,
          order: COMPLAINT_ORDER,
          columns: complaintColumns(lang).map((c) => ({ ...c, value: (row: Row) => c.value({ ...complaintView(row, now), tenderTitle: row.tender_title as string }) })),
          format,
          lang,
          filename: lang === "en" ? "complaints" : "投诉",
          sheet: { "zh-CN": "投诉", en: "Complaints" },
        });
      },
    },

    /**
     * POST /api/complaints/complaints/:id/steps/:step: the complaint's handling. The regulator: `correction`
     * (once), `accept` (served on the respondent), `reject`, `suspend` { days }, `pause` { reason },
     * `resume`, `decide` { outcome, decision }; the complainant: `corrected` { statement }; the purchaser
     * or agency: `answer` { answer }.
     */
    step: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /complaints/:id/steps/:step",
      params: { id: "string", step: "string" },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string; step: string; [k: string]: unknown }>) {
        const p0 = isUuid(ctx.params.id) ? await this.db(COMPLAINTS).where({ id: ctx.params.id }).first() : undefined;
        if (!p0) throw notFound(COMPLAINT);
        const access = await readable(ctx, p0, COMPLAINT);
        const step = ctx.params.step;
        const who: Record<string, boolean> = { answer: access.runs, corrected: access.challenger };
        if (!(who[step] ?? access.regulates)) throw forbidden();
        const now = platformNow();
        const today = localDate(now);
        const user = ctx.meta.user!;
        const p = await this.db.transaction(async (trx) => {
          let change: Row;
          let publish: Row | null = null;
          switch (step) {
            case "correction": {
              const note = text(ctx.params.note, "/note");
              const cur = await lockedComplaint(trx, p0.id, ["intake"]);
              // complaint.intake: one correction request, in writing, covering everything to be corrected
              if (cur.correction_used) throw conflict({ "zh-CN": "补正通知只能发出一次", en: "A correction may be requested once only" }, { rule: "complaint.intake" });
              change = { status: "correcting", correction_used: true, correction_note: note, intake_due: null };
              break;
            }
            case "corrected": {
              const statement = text(ctx.params.statement, "/statement");
              await lockedComplaint(trx, p0.id, ["correcting"]);
              change = { status: "intake", statement, intake_due: dueAfter(today, INTAKE_REVIEW) };
              break;
            }
            case "reject": {
              const reason = text(ctx.params.reason, "/reason");
              await lockedComplaint(trx, p0.id, ["intake"]);
              change = { status: "rejected", decision: reason, decided_at: now, intake_due: null };
              break;
            }
            case "accept": {
              const cur = await lockedComplaint(trx, p0.id, ["intake"]);
              // accepted as of receipt: the decision's 30 working days run from the day it was filed
              change = { status: "accepted", served_at: now, respondent_due: dueAfter(today, RESPONDENT_REPLY), decision_due: dueAfter(cur.filed_at, DECISION), intake_due: null };
              break;
            }
            case "answer": {
              const answer = text(ctx.params.answer, "/answer");
              await lockedComplaint(trx, p0.id, ["accepted"]);
              change = { status: "answered", respondent_answer: answer };
              break;
            }
            case "suspend": {
              const days = ctx.params.days;
              if (!Number.isInteger(days) || (days as number) < 1 || (days as number) > SUSPEND_MAX) {
                throw validationFailed([fieldError("/days", "complaint.suspendProcurement", `暂停采购活动最长 ${SUSPEND_MAX} 日`, `the procurement may be suspended for at most ${SUSPEND_MAX} days`)]);
              }
              await lockedComplaint(trx, p0.id, ["accepted", "answered"]);
              change = { suspended_until: localDate(new Date(now.getTime() + (days as number) * 86_400_000)) };
              break;
            }
            case "pause": {
              const reason = text(ctx.params.reason, "/reason", 2000);
              const cur = await lockedComplaint(trx, p0.id, ["accepted", "answered"]);
              if (cur.paused_at) throw conflict({ "zh-CN": "处理期限已中止", en: "The clock is already paused" }, { rule: "complaint.decision" });
              change = { paused_at: now, pause_reason: reason };
              break;
            }
            case "resume": {
              const cur = await lockedComplaint(trx, p0.id, ["accepted", "answered"]);
              if (!cur.paused_at) throw conflict({ "zh-CN": "处理期限未中止", en: "The clock is not paused" }, { rule: "complaint.decision" });
              // complaint.decision: inspection and expert time does not count, so the last day moves by the working days paused
              const paused = daysBetween(cur.paused_at, now, "working-days");
              change = { paused_at: null, pause_reason: null, paused_working_days: cur.paused_working_days + paused, decision_due: extendBy(dateOf(cur.decision_due), paused) };
              break;
            }
            case "decide": {
              const outcome = ctx.params.outcome;
              if (outcome !== "founded" && outcome !== "unfounded") throw validationFailed([fieldError("/outcome", "enum", "应为“投诉成立”或“投诉不成立”", "must be founded or unfounded")]);
              const decision = text(ctx.params.decision, "/decision");
              const cur = await lockedComplaint(trx, p0.id, ["accepted", "answered"]);
              if (cur.paused_at) throw conflict({ "zh-CN": "处理期限中止期间不能作出决定，请先恢复", en: "Resume the paused clock before deciding" }, { rule: "complaint.decision" });
              change = { status: "decided", outcome, decision, decided_at: now, suspended_until: null };
              publish = cur;
              break;
            }
            default:
              throw notFound({ "zh-CN": "办理事项", en: "step" });
          }
          const [u] = await trx(COMPLAINTS).where({ id: p0.id }).update(change).returning("*");
          if (publish) await published(trx, u, access.tender.title);
          await writeAudit(trx, { actor: actorOf(user), tenantCode: u.tenant_code, action: `complaints.complaint.${step}`, object: u.id });
          return u;
        });
        return complaintView(p, now);
      },
    },
  },
};

/**
 * A decision is published (complaint.decisionPublished) through the portal's generic notice event, as
 * e-trading's notices are; and a complainant's third unfounded complaint within 12 months goes to its
 * credit file (complaint.frivolousRecord). Both leave in the decision's transaction.
 */
async function published(trx: Knex.Transaction, p: Row, tenderTitle: string) {
  const outcome = p.outcome === "founded" ? { "zh-CN": "投诉成立", en: "complaint founded" } : { "zh-CN": "投诉不成立", en: "complaint unfounded" };
  await enqueue(trx, {
    event: "portal.publish",
    key: p.id,
    payload: {
      instanceId: p.id, workflowId: "complaints.complaint", plugin: "complaints", tenantCode: p.tenant_code, ownerUnit: null, state: "decided", transition: "decide", version: 1,
      // the portal's notice kinds are intention, tender, result and contract: a complaint decision is a result of the procurement
      notice: "result",
      title: `投诉处理决定：${tenderTitle}（${outcome["zh-CN"]}）`,
      data: { tenderTitle, outcome: p.outcome, decision: p.decision, decidedOn: dateOf(p.decided_at) },
    },
  });
  if (p.outcome !== "unfounded") return;
  const since = new Date(new Date(p.decided_at).getTime());
  since.setMonth(since.getMonth() - FRIVOLOUS_MONTHS);
  const [{ n }] = await trx(COMPLAINTS).where({ supplier_code: p.supplier_code, outcome: "unfounded" }).where("decided_at", ">", since).count({ n: "*" });
  if (Number(n) < FRIVOLOUS_COUNT) return;
  const fact: CreditFactEvent = {
    subjectCode: p.supplier_code, subjectKind: "supplier", kind: "complaint", rule: "complaint.frivolousRecord",
    title: { "zh-CN": `12个月内${n}次投诉缺乏事实依据`, en: `${n} unfounded complaints within 12 months` },
    reference: p.id, occurredOn: dateOf(p.decided_at), tenantCode: p.tenant_code,
  };
  await enqueue(trx, { event: "credit.fact", key: `complaints:${p.id}`, payload: fact });
}

/** challenge.suspendContract and complaint.suspendProcurement for one tender, as of `now`. */
export async function suspensionOf(db: Knex, tenderId: string, now: Date) {
  const today = localDate(now);
  const open = await db(CHALLENGES)
    .leftJoin(COMPLAINTS, `${COMPLAINTS}.challenge_id`, `${CHALLENGES}.id`)
    .where(`${CHALLENGES}.tender_id`, tenderId)
    .where(`${CHALLENGES}.affects_result`, true)
    .where((w) => w.where(`${CHALLENGES}.status`, "awaiting-reply").orWhereIn(`${COMPLAINTS}.status`, ["intake", "correcting", "accepted", "answered"]))
    .select(`${CHALLENGES}.id`, `${COMPLAINTS}.id as complaint_id`);
  const suspended = await db(COMPLAINTS).where({ tender_id: tenderId }).whereNotNull("suspended_until").where("suspended_until", ">=", today).max({ until: "suspended_until" }).first();
  return {
    contractSigningSuspended: open.length > 0,
    reasons: open.map((r) => ({ rule: "challenge.suspendContract", challengeId: r.id, complaintId: r.complaint_id ?? null })),
    procurementSuspendedUntil: suspended?.until ? dateOf(suspended.until) : null,
  };
}

/** What holds a project's contract (supervision.contract-holds), each naming its rule and its case. */
export async function holdsOf(db: Knex, projectId: string, now: Date): Promise<ContractHold[]> {
  if (!isUuid(projectId)) return [];
  const today = localDate(now);
  const undecided = ["intake", "correcting", "accepted", "answered"];
  const rows = await db(CHALLENGES)
    .leftJoin(COMPLAINTS, `${COMPLAINTS}.challenge_id`, `${CHALLENGES}.id`)
    .where(`${CHALLENGES}.project_id`, projectId)
    .where((w) =>
      w.where((a) => a.where(`${CHALLENGES}.affects_result`, true).where((o) => o.where(`${CHALLENGES}.status`, "awaiting-reply").orWhereIn(`${COMPLAINTS}.status`, undecided)))
        .orWhere((b) => b.whereIn(`${COMPLAINTS}.status`, undecided).where(`${COMPLAINTS}.suspended_until`, ">=", today)),
    )
    .orderBy(`${CHALLENGES}.filed_at`)
    .select(`${CHALLENGES}.id`, `${CHALLENGES}.status`, `${CHALLENGES}.affects_result`, `${CHALLENGES}.reply_due`, `${COMPLAINTS}.id as complaint_id`, `${COMPLAINTS}.status as complaint_status`, `${COMPLAINTS}.suspended_until`);
  return rows.map((r): ContractHold => {
    if (r.affects_result && r.status === "awaiting-reply") {
      return {
        rule: "challenge.suspendContract",
        message: {
          "zh-CN": `质疑（${r.id}）可能影响中标、成交结果，尚未答复（答复期至 ${dateOf(r.reply_due)}）：暂停签订合同（challenge.suspendContract）`,
          en: `Challenge ${r.id} may affect the result and awaits its reply (due by ${dateOf(r.reply_due)}): contract signing is suspended (challenge.suspendContract)`,
        },
        reference: { challengeId: r.id, complaintId: null },
      };
    }
    if (r.suspended_until && dateOf(r.suspended_until) >= today) {
      return {
        rule: "complaint.suspendProcurement",
        message: {
          "zh-CN": `投诉（${r.complaint_id}）处理期间，财政部门暂停采购活动至 ${dateOf(r.suspended_until)}（complaint.suspendProcurement）`,
          en: `While complaint ${r.complaint_id} is handled the finance department suspended the procurement until ${dateOf(r.suspended_until)} (complaint.suspendProcurement)`,
        },
        reference: { challengeId: r.id, complaintId: r.complaint_id },
      };
    }
    return {
      rule: "challenge.suspendContract",
      message: {
        "zh-CN": `就质疑（${r.id}）提出的投诉（${r.complaint_id}）尚未作出处理决定：暂停签订合同（challenge.suspendContract）`,
        en: `Complaint ${r.complaint_id} on challenge ${r.id} awaits its decision: contract signing is suspended (challenge.suspendContract)`,
      },
      reference: { challengeId: r.id, complaintId: r.complaint_id },
    };
  });
}
