import type { Knex } from "knex";
import { implement, localDate, platformNow, yearsBefore, type PlatformContext, type PlatformServiceSchema, type PluginServiceThis } from "../../../core/sdk";
import { eligibility, type EligibilityBidder, type EligibilityOutcome, type EligibilityReason, type ListVersionUsed } from "../../etrading/api";
import RULES from "../statutory-rules.json";
import { day, LIST_BY_KEY, LISTS } from "./lists";

/**
 * The eligibility provider e-trading calls at a tender's cutoff (plugins/etrading/api.ts): each
 * bidder and each of its consortium members against the lists as they stood at the cutoff (the
 * import in force then, however many came after) and against the penalties that bar them that day.
 */

type Params = Parameters<import("../../etrading/api").EligibilityProvider["check"]>[0];

interface Version { list: string; seq: number; version: string; source: string; fetched_at: Date; imported_at: Date }
interface Entry { list: string; code: string; name: string; reason: string | null; authority: string | null; case_number: string | null; listed_on: unknown; until: unknown; legal_representative: string | null; controller: string | null }

/** The import of each list in force at `at` (the last imported by then). */
export async function versionsAt(db: Knex, at: Date): Promise<Version[]> {
  return db("credit_lists").distinctOn("list").where("imported_at", "<=", at).orderBy([{ column: "list" }, { column: "seq", order: "desc" }]).select("list", "seq", "version", "source", "fetched_at", "imported_at");
}

/** The entries of those versions for these codes: one index probe per code. */
export async function entriesAt(db: Knex, versions: Version[], codes: string[]): Promise<Entry[]> {
  if (!versions.length || !codes.length) return [];
  const lists = versions.map((v) => v.list);
  const seqs = versions.map((v) => v.seq);
  const r = await db.raw(
    `select e.list, e.code, e.name, e.reason, e.authority, e.case_number, e.listed_on::text as listed_on, e.until::text as until, e.legal_representative, e.controller
       from unnest(?::text[], ?::int[]) as v(list, seq)
       join credit_list_entries e on e.list = v.list and e.valid_from <= v.seq and (e.valid_to is null or e.valid_to > v.seq)
      where e.code = any(?::text[])`,
    [lists, seqs, codes],
  );
  return r.rows;
}

const LIST_RULE = "credit.blacklists";
const MEMBER_RULE = "credit.consortium";
const RELATED_RULE = "supplier.relatedParties";
const MAJOR_RULE = "credit.noMajorViolation3y";
/** how many years back from the cutoff a major violation keeps a supplier out */
const MAJOR_LOOKBACK_YEARS = RULES.rules[MAJOR_RULE].value;

export async function check(db: Knex, p: Params, now: Date): Promise<{ bidders: EligibilityOutcome[]; lists: ListVersionUsed[]; checkedAt: string }> {
  const cutoff = new Date(p.cutoff);
  const cutoffDay = localDate(cutoff);
  const versions = await versionsAt(db, cutoff);
  const byList = new Map(versions.map((v) => [v.list, v]));
  // every party: the bidder and its members, each pointing back at the bidder it bids with
  const party = new Map<string, { bidder: string; member: boolean; name: string | null }>();
  for (const b of p.bidders as EligibilityBidder[]) {
    party.set(b.code, { bidder: b.code, member: false, name: b.name ?? null });
    for (const m of b.members ?? []) if (!party.has(m.code)) party.set(m.code, { bidder: b.code, member: true, name: m.name ?? null });
  }
  const codes = [...party.keys()];
  const entries = await entriesAt(db, versions, codes);
  const bars = codes.length
    ? await db("credit_facts").whereIn("subject_code", codes).where({ bars: true }).whereNot({ appeal_state: "overturned" })
        .where((w) => w.whereNull("starts_on").orWhere("starts_on", "<=", cutoffDay)).where((w) => w.whereNull("ends_on").orWhere("ends_on", ">=", cutoffDay))
        .select("id", "subject_code", "title_zh", "title_en", "reference", "source", "starts_on", "ends_on", "appeal_state")
    : [];
  // a major violation within the lookback before the cutoff ("前3年内": the day exactly that many years before
  // is within, calc.inclusiveTerms); one day earlier no longer bars
  const majorSince = yearsBefore(cutoffDay, MAJOR_LOOKBACK_YEARS);
  const majors = codes.length
    ? await db("credit_facts").whereIn("subject_code", codes).where({ major: true }).whereNot({ appeal_state: "overturned" })
        .whereBetween("occurred_on", [majorSince, cutoffDay])
        .orderBy("occurred_on", "desc")
        .select("id", "subject_code", "title_zh", "title_en", "reference", "source", "occurred_on", "appeal_state")
    : [];

  const outcomes = new Map<string, EligibilityOutcome>(p.bidders.map((b) => [b.code, { code: b.code, eligible: true, reasons: [], flags: [] }]));
  const exclude = (code: string, reason: Omit<EligibilityReason, "rule" | "party">, listRule: string) => {
    const who = party.get(code)!;
    const o = outcomes.get(who.bidder)!;
    o.eligible = false;
    // a member's bad record is the consortium's (credit.consortium), for the reason the list gives (credit.blacklists)
    o.reasons.push({ rule: who.member ? MEMBER_RULE : listRule, party: code, ...reason, detail: { ...reason.detail, ...(who.member ? { listRule, member: code, memberName: who.name } : {}) } });
  };
  for (const e of entries) {
    const list = LIST_BY_KEY.get(e.list)!;
    if (list.rule !== LIST_RULE) continue;
    // a ban with an end: past it the supplier may take part again
    if (list.hasUntil && e.until && String(e.until) < cutoffDay) continue;
    const v = byList.get(e.list)!;
    exclude(e.code, {
      source: e.list, version: v.version,
      message: { "zh-CN": `列入${list.title["zh-CN"]}：${e.reason ?? ""}${e.until ? `（至 ${e.until}）` : ""}`, en: `On the list of ${list.title.en}: ${e.reason ?? ""}${e.until ? ` (until ${e.until})` : ""}` },
      detail: { name: e.name, reason: e.reason, authority: e.authority, caseNumber: e.case_number, listedOn: e.listed_on, until: e.until },
    }, LIST_RULE);
  }
  for (const f of bars) {
    exclude(f.subject_code, {
      source: "penalty", version: null,
      message: { "zh-CN": `${f.title_zh}（禁止参加政府采购活动 ${day(f.starts_on) ?? ""} 至 ${day(f.ends_on) ?? ""}）`, en: `${f.title_en} (barred from procurement ${day(f.starts_on) ?? ""} to ${day(f.ends_on) ?? ""})` },
      detail: { factId: f.id, reference: f.reference, authority: f.source, appealState: f.appeal_state },
    }, LIST_RULE);
  }

  for (const f of majors) {
    const on = day(f.occurred_on)!;
    exclude(f.subject_code, {
      source: "penalty", version: null,
      message: {
        "zh-CN": `${f.title_zh}（重大违法记录，${on}；参加政府采购活动前 ${MAJOR_LOOKBACK_YEARS} 年内有重大违法记录的供应商不得参加）`,
        en: `${f.title_en} (a major violation on ${on}: a supplier with one in the ${MAJOR_LOOKBACK_YEARS} years before taking part may not take part)`,
      },
      detail: { factId: f.id, reference: f.reference, authority: f.source, occurredOn: on, lookbackFrom: majorSince, appealState: f.appeal_state },
    }, MAJOR_RULE);
  }

  // related parties: the same legal representative, or one controlling another, across different bidders
  const reg = entries.filter((e) => e.list === "enterprise-registrations");
  const flag = (a: string, b: string, zh: string, en: string, detail: Record<string, unknown>) => {
    for (const [code, other] of [[a, b], [b, a]]) {
      const bidder = party.get(code)!.bidder;
      outcomes.get(bidder)!.flags.push({ rule: RELATED_RULE, party: code, source: "enterprise-registrations", version: byList.get("enterprise-registrations")?.version ?? null, message: { "zh-CN": zh, en }, detail: { ...detail, with: other, withBidder: party.get(other)!.bidder } });
    }
  };
  const byRep = new Map<string, Entry[]>();
  for (const e of reg) if (e.legal_representative) byRep.set(e.legal_representative, [...(byRep.get(e.legal_representative) ?? []), e]);
  for (const [rep, same] of byRep) {
    for (let i = 0; i < same.length; i++) for (let j = i + 1; j < same.length; j++) {
      if (party.get(same[i].code)!.bidder === party.get(same[j].code)!.bidder) continue;
      flag(same[i].code, same[j].code, `与 ${same[j].name} 的单位负责人同为 ${rep}`, `Same head (${rep}) as ${same[j].name}`, { legalRepresentative: rep });
    }
  }
  for (const e of reg) {
    for (const [other, who] of party) {
      if (other === e.code || who.bidder === party.get(e.code)!.bidder) continue;
      const otherReg = reg.find((r) => r.code === other);
      if (e.controller === other || (e.controller && otherReg?.controller === e.controller && e.code < other)) {
        flag(e.code, other, `与 ${otherReg?.name ?? other} 存在控股或管理关系`, `Controlled by, or under the same control as, ${otherReg?.name ?? other}`, { controller: e.controller });
      }
    }
  }

  // the committee of this tender may read these parties' credit files
  if (codes.length) {
    await db("credit_checks")
      .insert(codes.map((code) => ({ tender_id: p.tenderId, code, committee: p.committee, tenant_code: p.tenantCode, checked_at: now })))
      .onConflict(["tender_id", "code"]).merge(["committee", "checked_at"]);
  }
  const lists: ListVersionUsed[] = LISTS.map((l) => {
    const v = byList.get(l.key);
    return { list: l.key, seq: v?.seq ?? null, version: v?.version ?? null, source: v?.source ?? null, fetchedAt: v ? new Date(v.fetched_at).toISOString() : null, importedAt: v ? new Date(v.imported_at).toISOString() : null };
  });
  return { bidders: [...outcomes.values()], lists, checkedAt: now.toISOString() };
}

export const eligibilityService: PlatformServiceSchema = {
  name: "credit.eligibility",
  actions: {
    /** Called through e-trading's eligibility point only (no route): the platform checks, the supplier uploads nothing (credit.noSupplierUpload). */
    check: implement(eligibility, "check", {
      kind: "read",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<Params>) {
        return check(this.db, ctx.params, platformNow());
      },
    }),
  },
};
