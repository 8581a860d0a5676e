import { randomUUID } from "node:crypto";
import { subject } from "@casl/ability";
import type { Knex } from "knex";
import type { Service } from "moleculer";
import {
  abilityOf, actorOf, type ErrorDetail, fieldError, forbidden, isDate, isUuid, localDate, notFound, onceHandler, type PlatformContext, type PlatformServiceSchema,
  PlatformError, platformNow, type PluginServiceThis, type SessionUser, validationFailed, writeAudit, yearsBefore,
} from "../../../core/sdk";
import type { CreditFactEvent, CreditSummary } from "../api";
import RULES from "../statutory-rules.json";
import { day, LIST_BY_KEY } from "./lists";

/**
 * Credit files (信用档案): per party, the facts the platform produces (penalties a regulator
 * records, facts other plugins announce as `credit.fact` events) and the current entries of the
 * imported lists under its code. Read by the party itself, a regulator, and the committee (the
 * purchaser and agency running it) of a tender the party bid in, as screening recorded.
 */

const KINDS = ["supplier", "agency", "purchaser", "expert"] as const;
const APPEALS = ["none", "pending", "upheld", "overturned"] as const;
const FILE = { "zh-CN": "信用档案", en: "credit file" };

interface Fact {
  id: string;
  subject_code: string;
  subject_kind: string;
  subject_name: string | null;
  kind: string;
  rule: string | null;
  title_zh: string;
  title_en: string;
  source: string;
  reference: string | null;
  occurred_on: unknown;
  starts_on: unknown;
  ends_on: unknown;
  bars: boolean;
  major: boolean;
  appeal_state: string;
  published: boolean;
  tenant_code: string;
  created_at: Date;
}

const factView = (f: Fact) => ({
  id: f.id, subjectCode: f.subject_code, subjectKind: f.subject_kind, subjectName: f.subject_name, kind: f.kind, rule: f.rule,
  title: { "zh-CN": f.title_zh, en: f.title_en }, source: f.source, reference: f.reference,
  occurredOn: day(f.occurred_on), startsOn: day(f.starts_on), endsOn: day(f.ends_on), bars: f.bars, major: f.major, appealState: f.appeal_state, published: f.published,
  tenantCode: f.tenant_code, recordedAt: new Date(f.created_at).toISOString(),
});

/** A fact as given (a regulator's penalty, an event), checked field by field. */
function checkFact(p: Record<string, unknown>): { problems: ErrorDetail[]; fact: Omit<CreditFactEvent, "tenantCode"> } {
  const problems: ErrorDetail[] = [];
  const text = (k: string, max: number, required = true) => {
    const v = typeof p[k] === "string" ? (p[k] as string).trim() : "";
    if (required && !v) problems.push(fieldError(`/${k}`, "required", "必填", "required"));
    else if (v.length > max) problems.push(fieldError(`/${k}`, "maxLength", `不超过 ${max} 字`, `at most ${max} characters`));
    return v;
  };
  const date = (k: string, required: boolean) => {
    const v = typeof p[k] === "string" ? (p[k] as string) : "";
    if (!v) {
      if (required) problems.push(fieldError(`/${k}`, "required", "必填", "required"));
      return undefined;
    }
    if (!isDate(v)) problems.push(fieldError(`/${k}`, "date", "日期格式应为 YYYY-MM-DD", "dates are YYYY-MM-DD"));
    return v;
  };
  const subjectCode = text("subjectCode", 40).toUpperCase();
  const subjectKind = p.subjectKind as CreditFactEvent["subjectKind"];
  if (!KINDS.includes(subjectKind)) problems.push(fieldError("/subjectKind", "enum", `应为 ${KINDS.join("、")} 之一`, `one of ${KINDS.join(", ")}`));
  const title = (p.title ?? {}) as Record<string, unknown>;
  const zh = typeof title["zh-CN"] === "string" ? title["zh-CN"].trim() : "";
  const en = typeof title.en === "string" ? title.en.trim() : "";
  if (!zh || zh.length > 300) problems.push(fieldError("/title/zh-CN", "required", "请填写中文标题（300 字以内）", "a Chinese title (300 characters at most) is needed"));
  if (!en || en.length > 300) problems.push(fieldError("/title/en", "required", "请填写英文标题（300 字以内）", "an English title (300 characters at most) is needed"));
  const occurredOn = date("occurredOn", true);
  const startsOn = date("startsOn", false);
  const endsOn = date("endsOn", false);
  if (startsOn && endsOn && endsOn < startsOn) problems.push(fieldError("/endsOn", "order", "结束日期早于开始日期", "ends before it starts"));
  const bars = p.bars === true;
  if (bars && (!startsOn || !endsOn)) problems.push(fieldError("/endsOn", "required", "禁止参加政府采购活动须写明起止日期", "a bar from procurement needs its first and last day"));
  // a major violation (重大违法记录) keeps the party out for credit.noMajorViolation3y's lookback from the day it occurred
  if (p.major !== undefined && typeof p.major !== "boolean") problems.push(fieldError("/major", "type", "是否重大违法记录应为 true 或 false", "major is true or false"));
  const major = p.major === true;
  const appealState = (p.appealState ?? "none") as CreditFactEvent["appealState"];
  if (!APPEALS.includes(appealState!)) problems.push(fieldError("/appealState", "enum", `应为 ${APPEALS.join("、")} 之一`, `one of ${APPEALS.join(", ")}`));
  return {
    problems,
    fact: {
      subjectCode, subjectKind, subjectName: text("subjectName", 200, false) || undefined, kind: text("kind", 60), rule: text("rule", 80, false) || undefined,
      title: { "zh-CN": zh, en }, reference: text("reference", 200, false) || undefined, occurredOn: occurredOn!, startsOn, endsOn, bars, major, appealState, published: p.published === true,
    },
  };
}

export async function insertFact(trx: Knex.Transaction, f: Omit<CreditFactEvent, "tenantCode">, tenantCode: string, source: string, by: string, eventId: string | null, now: Date): Promise<string> {
  const id = randomUUID();
  await trx("credit_facts").insert({
    id, subject_code: f.subjectCode, subject_kind: f.subjectKind, subject_name: f.subjectName ?? null, kind: f.kind, rule: f.rule ?? null, title_zh: f.title["zh-CN"], title_en: f.title.en,
    source, reference: f.reference ?? null, occurred_on: f.occurredOn, starts_on: f.startsOn ?? null, ends_on: f.endsOn ?? null, bars: f.bars === true, major: f.major === true,
    appeal_state: f.appealState ?? "none", published: f.published === true, tenant_code: tenantCode, event_id: eventId, created_by: by, created_at: now,
  });
  return id;
}

const isRegulator = (u: SessionUser) => u.roles.includes("regulator");

/** Whether the user may read the party's file: itself, a regulator, the committee of a tender it bid in. */
async function mayRead(db: Knex, u: SessionUser, code: string): Promise<boolean> {
  if (isRegulator(u) || u.roles.includes("platform-admin")) return true;
  if (u.unitCode && u.unitCode.toUpperCase() === code) return true;
  if (!u.unitCode || !(u.roles.includes("purchaser") || u.roles.includes("agency"))) return false;
  return !!(await db("credit_checks").where({ code }).whereRaw("? = any(committee)", [u.unitCode]).first());
}

type This = Service & PluginServiceThis;

export const filesService: PlatformServiceSchema = {
  name: "credit.files",
  events: {
    /** A fact another plugin announces (plugins/credit/api.ts), written once per event. */
    "credit.fact": onceHandler<CreditFactEvent>("credit.files", (svc) => (svc as This).db, async function (this: Service, ctx, trx) {
      const data = (ctx.params.data ?? {}) as unknown as Record<string, unknown>;
      const { problems, fact } = checkFact(data);
      const tenantCode = typeof data.tenantCode === "string" && /^\d{6}$/.test(data.tenantCode) ? data.tenantCode : null;
      if (problems.length || !tenantCode) {
        // sending it again would not make it valid: say so once and let it go (the receipt is kept)
        this.logger.warn(`credit.fact ${ctx.params.eventId} ignored: ${problems.map((p) => p.path).join(", ") || "/tenantCode"}`);
        return;
      }
      const source = typeof ctx.params.key === "string" ? ctx.params.key.split(":")[0] || "event" : "event";
      await insertFact(trx, fact, tenantCode, source, "event", ctx.params.eventId, platformNow());
    }),
  },
  actions: {
    /**
     * POST /api/credit/penalties: a regulator records a penalty (行政处罚) with its period; `bars`
     * with a period excludes the party from procurement then (credit.blacklists).
     */
    penalty: {
      kind: "create",
      permission: ["record", "CreditPenalty"],
      rest: "POST /penalties",
      async handler(this: This, ctx: PlatformContext<Record<string, unknown>>) {
        const user = ctx.meta.user!;
        const { problems, fact } = checkFact({ ...ctx.params, kind: "penalty", rule: ctx.params.rule ?? (ctx.params.bars === true ? "credit.blacklists" : undefined) });
        if (!fact.reference) problems.push(fieldError("/reference", "required", "请填写处罚决定书文号", "State the decision's number"));
        if (problems.length) throw validationFailed(problems);
        const now = platformNow();
        const id = await this.db.transaction(async (trx) => {
          const id = await insertFact(trx, fact, user.tenantCode, `regulator:${user.tenantCode}`, user.username, null, now);
          await writeAudit(trx, { actor: actorOf(user), tenantCode: user.tenantCode, action: "credit.penalty.create", object: id, after: { subjectCode: fact.subjectCode, occurredOn: fact.occurredOn, startsOn: fact.startsOn, endsOn: fact.endsOn, bars: fact.bars, major: fact.major, published: fact.published } });
          return id;
        });
        ctx.meta.$statusCode = 201;
        return factView((await this.db<Fact>("credit_facts").where({ id }).first())!);
      },
    },

    /** PATCH /api/credit/facts/:id/appeal `{ appealState }`: a regulator records the state of an appeal (an overturned fact no longer counts). */
    appeal: {
      kind: "continue",
      permission: ["record", "CreditPenalty"],
      rest: "PATCH /facts/:id/appeal",
      params: { id: "string", appealState: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ id: string; appealState?: unknown }>) {
        const user = ctx.meta.user!;
        const state = ctx.params.appealState as (typeof APPEALS)[number];
        if (!APPEALS.includes(state)) throw validationFailed([fieldError("/appealState", "enum", `应为 ${APPEALS.join("、")} 之一`, `one of ${APPEALS.join(", ")}`)]);
        return this.db.transaction(async (trx) => {
          const f = isUuid(ctx.params.id) ? await trx<Fact>("credit_facts").where({ id: ctx.params.id }).forUpdate().first() : undefined;
          if (!f) throw notFound({ "zh-CN": "信用记录", en: "credit record" });
          // another region's record: its own regulators decide its appeals
          if (!abilityOf(ctx).can("record", subject("CreditPenalty", { tenantCode: f.tenant_code }))) throw forbidden();
          await trx("credit_facts").where({ id: f.id }).update({ appeal_state: state });
          await writeAudit(trx, { actor: actorOf(user), tenantCode: user.tenantCode, action: "credit.fact.appeal", object: f.id, before: { appealState: f.appeal_state }, after: { appealState: state } });
          return factView({ ...f, appeal_state: state });
        });
      },
    },

    /**
     * Called by finance only (no route): what an institution may read of a supplier that applied for contract
     * financing and consented (plugins/credit/api.ts CreditSummary), never the file itself.
     */
    summary: {
      kind: "read",
      permission: "authenticated",
      params: { code: "string", consentAt: "string" },
      async handler(this: This, ctx: PlatformContext<{ code: string; consentAt: string }>): Promise<CreditSummary> {
        const code = String(ctx.params.code).trim().toUpperCase();
        const until = localDate(platformNow());
        // the records of the lookback credit.noMajorViolation3y asks about
        const since = yearsBefore(until, RULES.rules["credit.noMajorViolation3y"].value);
        const facts = await this.db<Fact>("credit_facts").where({ subject_code: code }).whereNot({ appeal_state: "overturned" }).where("occurred_on", ">=", since);
        const entries = await this.db("credit_list_entries").where({ code }).whereNull("valid_to").whereNot({ list: "enterprise-registrations" });
        const current = entries.filter((e) => !e.until || day(e.until)! >= until);
        const records = new Map<string, { kind: string; count: number; latest: string }>();
        for (const f of facts) {
          const on = day(f.occurred_on)!;
          const r = records.get(f.kind) ?? { kind: f.kind, count: 0, latest: on };
          r.count++;
          if (on > r.latest) r.latest = on;
          records.set(f.kind, r);
        }
        const barredByPenalty = facts.some((f) => f.bars && (!f.starts_on || day(f.starts_on)! <= until) && (!f.ends_on || day(f.ends_on)! >= until));
        return {
          code, name: facts.find((f) => f.subject_name)?.subject_name ?? entries[0]?.name ?? null,
          barredToday: barredByPenalty || current.length > 0,
          lists: [...new Set(current.map((e) => e.list as string))].map((l) => LIST_BY_KEY.get(l)!.title),
          records: [...records.values()].sort((a, b) => (a.kind < b.kind ? -1 : 1)),
          since, until,
        };
      },
    },

    /** GET /api/credit/files/:code: the party's credit file. */
    file: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /files/:code",
      params: { code: "string" },
      async handler(this: This, ctx: PlatformContext<{ code: string }>) {
        const code = ctx.params.code.trim().toUpperCase();
        if (!(await mayRead(this.db, ctx.meta.user!, code))) {
          throw new PlatformError("FORBIDDEN", { "zh-CN": "信用档案仅限本单位、监管部门和其参与项目的评审委员会查看", en: "A credit file is read by its party, the regulators and the committee of a tender it bid in" }, { rule: "credit.fileAccess" });
        }
        const facts = await this.db<Fact>("credit_facts").where({ subject_code: code }).orderBy("occurred_on", "desc");
        const entries = await this.db("credit_list_entries").where({ code }).whereNull("valid_to").whereNot({ list: "enterprise-registrations" }).orderBy("list");
        const name = facts.find((f) => f.subject_name)?.subject_name ?? entries[0]?.name ?? null;
        const today = localDate(platformNow());
        return {
          code, name, file: FILE,
          facts: facts.map(factView),
          listEntries: entries.map((e) => ({ list: e.list, listTitle: LIST_BY_KEY.get(e.list)!.title, name: e.name, reason: e.reason, authority: e.authority, caseNumber: e.case_number, listedOn: day(e.listed_on), until: day(e.until) })),
          barredToday: facts.some((f) => f.bars && f.appeal_state !== "overturned" && (!f.starts_on || day(f.starts_on)! <= today) && (!f.ends_on || day(f.ends_on)! >= today)) || entries.some((e) => !e.until || day(e.until)! >= today),
        };
      },
    },
  },
};
