import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import {
  actorOf, conflict, enqueue, type ErrorDetail, type ExportColumn, exportFormatParam, exportLang, exportList, fieldError, isDate, listPage, listParams, type ListOrder,
  localDate, type Localized, notFound, type PlatformContext, type PlatformServiceSchema, platformNow, type PluginServiceThis, type SearchColumn, type SessionUser, single,
  type StepContext, tenantTree, validationFailed, whereContains, type WorkflowHooks, writeAudit,
} from "../../../core/sdk";
import TREE from "../specialities.json";

export const EXPERT: Localized = { "zh-CN": "评审专家", en: "review expert" };

interface Node { code: string; name: string; nameEn: string; children?: Node[] }
const SPECIALITIES = new Map<string, Node>();
(function walk(nodes: Node[]) {
  for (const n of nodes) {
    SPECIALITIES.set(n.code, n);
    if (n.children) walk(n.children);
  }
})(TREE.nodes as Node[]);

/**
 * The speciality codes an expert may hold to match a drawing for `codes`: each asked node, the
 * nodes below it (a drawing for a branch takes its leaves' experts) and those above it (an
 * expert of a whole branch covers its leaves).
 */
export function matchingCodes(codes: readonly string[]): string[] {
  const out = new Set<string>();
  for (const c of codes) {
    for (const k of SPECIALITIES.keys()) if (k.startsWith(c) || c.startsWith(k)) out.add(k);
  }
  return [...out].sort();
}

/** The codes among `codes` that are not nodes of the speciality tree, each as a field problem at `path`. */
export function unknownSpecialities(codes: unknown, path: string) {
  return (Array.isArray(codes) ? codes : [])
    .map((c, i) => ({ c: String(c), i }))
    .filter(({ c }) => !SPECIALITIES.has(c))
    .map(({ c, i }) => fieldError(`${path}/${i}`, "speciality", `专业分类中没有代码 ${c}`, `the speciality tree has no code ${c}`));
}

/** A region code that is not one of the platform's tenants, as a field problem. */
export function unknownRegion(region: unknown, path: string) {
  return typeof region === "string" && tenantTree().get(region) ? [] : [fieldError(path, "region", "本平台没有该区划", "this platform has no such division")];
}

const oversees = (user: SessionUser, tenantCode: string) => user.oversees === true && tenantTree().subtree(user.tenantCode).includes(tenantCode);

const STATUS_OF: Record<string, string> = { admit: "admitted", reject: "rejected", suspend: "suspended", reinstate: "admitted", remove: "removed" };
const STATUS_TEXT: Record<string, Localized> = {
  applied: { "zh-CN": "待审核", en: "awaiting admission" },
  admitted: { "zh-CN": "已入库", en: "admitted" },
  suspended: { "zh-CN": "已暂停", en: "suspended" },
  rejected: { "zh-CN": "未予入库", en: "not admitted" },
  removed: { "zh-CN": "已清退", en: "removed" },
};

/** A regulator's decision on an expert: the status and its reason on the record, the audit chain and the expert's bell. */
function decide(name: string) {
  return async (step: StepContext) => {
    const row = await step.trx("experts_experts").where({ instance_id: step.instanceId }).forUpdate().first();
    if (!row) throw notFound(EXPERT);
    const status = STATUS_OF[name];
    const reason = String(step.submitted.reason ?? "").trim();
    await step.trx("experts_experts").where({ id: row.id }).update({ status, status_reason: reason, updated_at: step.now });
    await writeAudit(step.trx, { actor: actorOf(step.user!), tenantCode: row.tenant_code, action: `experts.expert.${name}`, object: row.id, before: { status: row.status }, after: { status, reason } });
    await step.publish("notifications.requested", {
      tenantCode: row.tenant_code, accounts: [row.account_id], link: "/experts/me", kind: `experts.${name}`,
      title: { "zh-CN": `评审专家资格：${STATUS_TEXT[status]["zh-CN"]}（${reason}）`, en: `Review expert standing: ${STATUS_TEXT[status].en} (${reason})` },
    });
    return { data: { status } };
  };
}

/** The application's steps write the expert's row, so the registry and the workflow never disagree. */
export const applicationHooks: WorkflowHooks = {
  start: async (step) => {
    const user = step.user!;
    const d = step.result;
    const problems = [...unknownSpecialities(d.specialities, "/specialities"), ...unknownRegion(d.region, "/region")];
    if (problems.length) throw validationFailed(problems);
    const mine = await step.trx("experts_experts").where({ account_id: user.id }).first();
    if (mine) throw conflict({ "zh-CN": `您已提交过入库申请（${STATUS_TEXT[mine.status]["zh-CN"]}）`, en: `You applied already (${STATUS_TEXT[mine.status].en})` }, { rule: "one-application", status: mine.status });
    const id = randomUUID();
    await step.trx("experts_experts").insert({
      id, instance_id: step.instanceId, account_id: user.id, tenant_code: step.tenantCode, name: String(d.name).trim(), phone: d.phone, employer_name: String(d.employerName).trim(),
      employer_code: String(d.employerCode).toUpperCase(), titles: JSON.stringify(d.titles), specialities: d.specialities, region: d.region, availability: d.availability,
      status: "applied", created_at: step.now, updated_at: step.now,
    });
    return { data: { expertId: id, status: "applied" } };
  },
  transitions: Object.fromEntries(Object.keys(STATUS_OF).map((n) => [n, decide(n)])),
};

// ── Statistics ─────────────────────────────────────────────────────────────────────────────

/** A year's drawings (invitations received), attendances (accepted) and refusals (declined or silent), per expert. */
export async function statsOf(db: Knex, expertIds: string[], year: number): Promise<Map<string, { drawings: number; attendances: number; refusals: number }>> {
  const from = new Date(`${year}-01-01T00:00:00+08:00`);
  const to = new Date(`${year + 1}-01-01T00:00:00+08:00`);
  const rows = await db("experts_invitations").whereIn("expert_id", expertIds).where("invited_at", ">=", from).where("invited_at", "<", to)
    .groupBy("expert_id")
    .select("expert_id", db.raw("count(*) filter (where status <> 'skipped')::int as drawings"), db.raw("count(*) filter (where status = 'accepted')::int as attendances"), db.raw("count(*) filter (where status in ('declined', 'lapsed'))::int as refusals"));
  const out = new Map(expertIds.map((id) => [id, { drawings: 0, attendances: 0, refusals: 0 }]));
  for (const r of rows) out.set(r.expert_id, { drawings: r.drawings, attendances: r.attendances, refusals: r.refusals });
  return out;
}

/** `?year=`, this year by default; a bad one is a problem at /year (thrown at once without `problems`). */
const yearOf = (v: unknown, now: Date, problems?: ErrorDetail[]) => {
  if (v === undefined || v === null || v === "") return Number(localDate(now).slice(0, 4));
  const y = Number(v);
  if (!Number.isInteger(y) || y < 2000 || y > 2100) {
    const problem = fieldError("/year", "year", "年份应为 2000 至 2100 之间的整数", "a year between 2000 and 2100");
    if (!problems) throw validationFailed([problem]);
    problems.push(problem);
  }
  return y;
};

const profile = (r: Record<string, any>) => ({
  id: r.id, instanceId: r.instance_id, name: r.name, phone: r.phone, employerName: r.employer_name, employerCode: r.employer_code, titles: r.titles,
  specialities: r.specialities, region: r.region, availability: r.availability, status: r.status, statusText: STATUS_TEXT[r.status], statusReason: r.status_reason ?? null,
});

const TIE_KINDS = ["employment", "shareholding", "management", "other"] as const;

async function myExpert(db: Knex, user: SessionUser) {
  const row = await db("experts_experts").where({ account_id: user.id }).first();
  if (!row) throw notFound({ "zh-CN": "您尚未申请入库", en: "You have not applied yet" });
  return row;
}

export const registryService: PlatformServiceSchema = {
  name: "experts.registry",
  actions: {
    /** GET /api/experts/specialities: the speciality tree. */
    specialities: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /specialities",
      handler() {
        return TREE;
      },
    },

    /** GET /api/experts/me: the signed-in expert's record, calendar, declarations, this year's figures and open invitations. */
    me: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /me",
      params: { year: { type: "any", optional: true } },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ year?: unknown }>) {
        const now = platformNow();
        const year = yearOf(ctx.params.year, now);
        const row = await myExpert(this.db, ctx.meta.user!);
        const days = (await this.db("experts_unavailable").where({ expert_id: row.id }).where("day", ">=", localDate(now)).orderBy("day").select(this.db.raw("to_char(day, 'YYYY-MM-DD') as day"))).map((d) => d.day);
        const ties = await this.db("experts_ties").where({ expert_id: row.id }).orderBy("declared_at").select("*");
        const invitations = await this.db("experts_invitations as i").join("experts_drawings as d", "d.id", "i.drawing_id").where("i.expert_id", row.id).orderBy("i.invited_at", "desc").limit(50)
          .select("i.id", "i.status", "i.invited_at", "i.reply_by", "i.answered_at", "d.tender_id", "d.slot", this.db.raw("to_char(d.slot_date, 'YYYY-MM-DD') as slot_date"));
        return {
          ...profile(row),
          unavailable: days,
          ties: ties.map((t) => ({ id: t.id, companyCode: t.company_code, companyName: t.company_name, kind: t.kind, since: localDate(t.since), until: t.until ? localDate(t.until) : null })),
          stats: { year, ...(await statsOf(this.db, [row.id], year)).get(row.id)! },
          invitations: invitations.map((i) => ({ id: i.id, status: i.status, tenderId: i.tender_id, slotDate: i.slot_date, slot: i.slot, invitedAt: new Date(i.invited_at).toISOString(), replyBy: new Date(i.reply_by).toISOString(), answeredAt: i.answered_at ? new Date(i.answered_at).toISOString() : null })),
        };
      },
    },

    /** PUT /api/experts/me/unavailable: the days from today on that the expert cannot attend (replaces the list). */
    unavailable: {
      kind: "continue",
      permission: "authenticated",
      rest: "PUT /me/unavailable",
      params: { days: { type: "any" } },
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ days: unknown }>) {
        const today = localDate(platformNow());
        const days = ctx.params.days;
        if (!Array.isArray(days) || days.length > 366) throw validationFailed([fieldError("/days", "type", "应为日期列表（最多 366 天）", "a list of dates (366 at most)")]);
        const problems = days.flatMap((d, i) =>
          typeof d !== "string" || !isDate(d) ? [fieldError(`/days/${i}`, "format", "应为日期，如 2026-12-31", "a date such as 2026-12-31")]
          : d < today ? [fieldError(`/days/${i}`, "notBefore", `不能早于今天（${today}）`, `cannot be before today (${today})`)] : []);
        if (problems.length) throw validationFailed(problems);
        const row = await myExpert(this.db, ctx.meta.user!);
        const unique = [...new Set(days as string[])].sort();
        await this.db.transaction(async (trx) => {
          await trx("experts_unavailable").where({ expert_id: row.id }).where("day", ">=", today).delete();
          if (unique.length) await trx("experts_unavailable").insert(unique.map((day) => ({ expert_id: row.id, day })));
          await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: row.tenant_code, action: "experts.expert.unavailable", object: row.id, after: { days: unique } });
        });
        return { unavailable: unique };
      },
    },

    /** POST /api/experts/me/ties: an avoidance declaration, a tie with a company (experts.conflictOfInterest). */
    declareTie: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /me/ties",
      params: { companyCode: { type: "any" }, companyName: { type: "any" }, kind: { type: "any" }, since: { type: "any" }, until: { type: "any", optional: true } },
      async handler(this: PluginServiceThis, ctx: PlatformContext<Record<string, unknown>>) {
        const p = ctx.params;
        const today = localDate(platformNow());
        const problems = [
          ...(typeof p.companyCode === "string" && /^([0-9A-HJ-NPQRTUWXY]{18}|[0-9]{3,20})$/.test(p.companyCode.toUpperCase()) ? [] : [fieldError("/companyCode", "pattern", "应为 18 位统一社会信用代码或预算单位编码", "an 18-character unified social credit code or a budget unit code")]),
          ...(typeof p.companyName === "string" && p.companyName.trim().length >= 2 && p.companyName.length <= 120 ? [] : [fieldError("/companyName", "minLength", "请填写单位名称（2 至 120 字）", "the company's name (2 to 120 characters)")]),
          ...((TIE_KINDS as readonly unknown[]).includes(p.kind) ? [] : [fieldError("/kind", "enum", "应为劳动关系、持股、任职（董事、监事、管理人员）或其他", "employment, shareholding, management or other")]),
          ...(typeof p.since === "string" && isDate(p.since) && p.since <= today ? [] : [fieldError("/since", "format", "应为今天或之前的日期", "a date no later than today")]),
          ...(p.until === undefined || p.until === null || (typeof p.until === "string" && isDate(p.until) && typeof p.since === "string" && p.until >= p.since) ? [] : [fieldError("/until", "format", "应为不早于开始日期的日期，仍存续的不填", "a date on or after the start; leave it out for a tie that lasts")]),
        ];
        if (problems.length) throw validationFailed(problems);
        const row = await myExpert(this.db, ctx.meta.user!);
        const tie = { id: randomUUID(), expert_id: row.id, company_code: (p.companyCode as string).toUpperCase(), company_name: (p.companyName as string).trim(), kind: p.kind, since: p.since, until: p.until ?? null, declared_at: platformNow() };
        await this.db.transaction(async (trx) => {
          await trx("experts_ties").insert(tie);
          await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: row.tenant_code, action: "experts.expert.tie", object: row.id, after: { companyCode: tie.company_code, kind: tie.kind, since: tie.since, until: tie.until } });
        });
        ctx.meta.$statusCode = 201;
        return { id: tie.id, companyCode: tie.company_code, companyName: tie.company_name, kind: tie.kind, since: tie.since, until: tie.until };
      },
    },

    /** GET /api/experts/list?status=&q=&year=: the experts of the regulator's region, with the year's figures, by page or cursor. */
    list: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /list",
      async handler(this: PluginServiceThis, ctx: PlatformContext<ExpertListParams>) {
        const { query, req, year } = filteredExperts(this.db, ctx);
        const { rows, nextCursor, total, totalIsEstimate } = await listPage<ListedRow>(this.db, query, EXPERT_ORDER, req);
        return { year, items: rows.map(listed), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
      },
    },

    /** GET /api/experts/list/export?format=csv|xlsx&lang=: the list, with its filters, as a file. */
    export: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /list/export",
      async handler(this: PluginServiceThis, ctx: PlatformContext<ExpertListParams & { format?: unknown; lang?: unknown }>) {
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const { query, year } = filteredExperts(this.db, ctx, problems);
        const lang = exportLang(ctx.params.lang);
        return exportList<ListedRow>(ctx, {
          db: this.db,
          query,
          order: EXPERT_ORDER,
          columns: expertColumns(lang, year).map((c) => ({ ...c, value: (row: ListedRow) => c.value(listed(row)) })),
          format,
          lang,
          filename: lang === "en" ? `review-experts-${year}` : `评审专家-${year}`,
          sheet: { "zh-CN": "评审专家", en: "Review experts" },
        });
      },
    },
  },
};

interface ExpertListParams {
  status?: unknown;
  q?: unknown;
  year?: unknown;
  page?: unknown;
  pageSize?: unknown;
  cursor?: unknown;
}

/** In the order of application (the index experts_experts_listed). */
const EXPERT_ORDER: ListOrder = {
  name: "experts.list",
  keys: [
    { column: "experts_experts.created_at", kind: "timestamp" },
    { column: "experts_experts.id", kind: "uuid" },
  ],
  direction: "asc",
};

/** `q`: the expert's and the employer's names, normalised (migration 20261207060000_expert_list). */
const EXPERT_SEARCH: SearchColumn = { column: "experts_experts.search", bigrams: "experts_bigrams(experts_experts.search)" };

type ListedRow = Record<string, any> & { drawings: number; attendances: number; refusals: number };

/**
 * The experts of the regulator's region, filtered as the query string says (400 naming every bad
 * parameter), each row with the year's figures (as statsOf counts them) read in the same query,
 * so that the export's batches carry them too. Anyone but a regulator: 404, as for no list at all.
 */
function filteredExperts(db: Knex, ctx: PlatformContext<ExpertListParams>, problems: ErrorDetail[] = []) {
  const user = ctx.meta.user!;
  if (user.oversees !== true) throw notFound(EXPERT);
  const year = yearOf(ctx.params.year, platformNow(), problems);
  const status = single(ctx.params.status);
  if (status === null || (status && !STATUS_TEXT[status])) problems.push(fieldError("/status", "enum", "状态应为 applied、admitted、suspended、rejected 或 removed", "status is applied, admitted, suspended, rejected or removed"));
  const req = listParams(ctx.params, EXPERT_ORDER, { pageSize: 100, maxPageSize: 500 }, problems);
  const from = new Date(`${year}-01-01T00:00:00+08:00`);
  const to = new Date(`${year + 1}-01-01T00:00:00+08:00`);
  const figure = (name: string, filter: string) =>
    db.raw(`(select count(*) filter (where ${filter})::int from experts_invitations i where i.expert_id = experts_experts.id and i.invited_at >= ? and i.invited_at < ?) as ${name}`, [from, to]);
  const query = db("experts_experts")
    .whereIn("experts_experts.tenant_code", tenantTree().subtree(user.tenantCode))
    .select("experts_experts.*", figure("drawings", "i.status <> 'skipped'"), figure("attendances", "i.status = 'accepted'"), figure("refusals", "i.status in ('declined', 'lapsed')"));
  if (status) query.where("experts_experts.status", status);
  whereContains(query, EXPERT_SEARCH, req.terms);
  return { query, req, year };
}

const listed = (r: ListedRow) => {
  const { search: _search, drawings, attendances, refusals, ...row } = r;
  return { ...profile(row), stats: { drawings, attendances, refusals } };
};

/**
 * The export's columns: what the regulator's admission list shows (name, employer, specialities,
 * region, status, the year's figures); not the phone or the employer's code, which a spreadsheet
 * would carry further than the list does.
 */
function expertColumns(lang: "zh-CN" | "en", year: number): ExportColumn<ReturnType<typeof listed>>[] {
  const speciality = (code: string) => {
    const n = SPECIALITIES.get(code);
    return n ? `${code} ${lang === "en" ? n.nameEn : n.name}` : code;
  };
  return [
    { title: { "zh-CN": "姓名", en: "Name" }, value: (e) => e.name, width: 12 },
    { title: { "zh-CN": "工作单位", en: "Employer" }, value: (e) => e.employerName, width: 30 },
    { title: { "zh-CN": "专业", en: "Specialities" }, value: (e) => (e.specialities as string[]).map(speciality).join(lang === "en" ? "; " : "；"), width: 40 },
    { title: { "zh-CN": "评审区域", en: "Region" }, value: (e) => e.region, width: 10 },
    { title: { "zh-CN": "状态", en: "Status" }, value: (e) => STATUS_TEXT[e.status]?.[lang] ?? e.status, width: 10 },
    { title: { "zh-CN": "状态说明", en: "Reason" }, value: (e) => e.statusReason, width: 24 },
    { title: { "zh-CN": `${year} 年抽取次数`, en: `Drawn in ${year}` }, value: (e) => e.stats.drawings, width: 12 },
    { title: { "zh-CN": `${year} 年参加次数`, en: `Attended in ${year}` }, value: (e) => e.stats.attendances, width: 12 },
    { title: { "zh-CN": `${year} 年拒绝或未答复次数`, en: `Refused in ${year}` }, value: (e) => e.stats.refusals, width: 12 },
  ];
}

export { oversees, STATUS_TEXT };
// invitations are notified through the bell (and text messages: services/drawings.ts)
export const notifyExpert = (trx: Knex.Transaction, tenantCode: string, accountId: string, link: string, kind: string, title: Localized) =>
  enqueue(trx, { event: "notifications.requested", key: accountId, payload: { tenantCode, accounts: [accountId], link, kind, title } });
