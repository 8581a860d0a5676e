import type { Knex } from "knex";
import { daysBetween, isDate, isMoney, localDate, tenantTree } from "../../../core/sdk";
import { checkContractAboveAward, checkRepeatWinner, checkSingleBid, checkTenderPeriod } from "./flags";
import { bidCount, type Fact } from "./ocds-builder";
import { ALL_UNITS, BREACHES, CELLS, CYCLES, RULES } from "./tables";

const PROJECTS = "analytics_agg_projects";
const SEEN = "analytics_agg_seen";

export type CycleKind = "intention-contract" | "contract-payment";

interface ProjectRow {
  tenant_code: string;
  unit: string;
  method: string;
  intention_on: string | null;
  signed_on: string | null;
  first_paid_on: string | null;
  awarded: string | null;
  contracted: string | null;
  period_at: string | null;
}

const text = (v: unknown) => (typeof v === "string" ? v.trim() : "");
/** A fact's amount as numeric text; anything else counts as nothing rather than failing the fact. */
const amount = (v: unknown) => {
  const s = typeof v === "number" && Number.isFinite(v) ? v.toFixed(2) : text(v);
  return isMoney(s) ? s : "0";
};
/** A fact's day: a YYYY-MM-DD field, or the day of an ISO time, or the fact's own time. */
const dayOf = (v: unknown, fallback: string): string => {
  const s = text(v);
  if (isDate(s.slice(0, 10)) && s.length === 10) return s;
  if (s && !Number.isNaN(Date.parse(s))) return localDate(new Date(s));
  return localDate(new Date(fallback));
};
const monthOf = (day: string) => day.slice(0, 7);

type Sums = Partial<Record<"planned" | "awarded" | "sme_awarded" | "contracted" | "paid", string>> &
  Partial<Record<"awards" | "sme_awards" | "small_awards" | "small_sme_awards" | "contracts" | "payments" | "bid_tenders" | "bids" | "single_bid_tenders", number>>;


/** The tenant itself and every tenant above it. */
export function withAncestors(code: string): string[] {
  const out: string[] = [];
  for (let t = tenantTree().get(code); t; t = t.parent ? tenantTree().get(t.parent) : undefined) out.push(t.code);
  return out.length ? out : [code];
}

async function addCell(trx: Knex.Transaction, key: { tenant_code: string; unit: string; method: string; category: string; month: string }, sums: Sums): Promise<void> {
  const cols = Object.keys(sums);
  const rows = [{ tenant: key.tenant_code, unit: key.unit }, ...withAncestors(key.tenant_code).map((tenant) => ({ tenant, unit: ALL_UNITS }))];
  for (const { tenant, unit } of rows) await trx.raw(
    `insert into ${CELLS} (tenant_code, unit, method, category, month, ${cols.join(", ")}) values (?, ?, ?, ?, ?, ${cols.map(() => "?").join(", ")})
     on conflict (tenant_code, month, unit, method, category) do update set ${cols.map((c) => `${c} = ${CELLS}.${c} + excluded.${c}`).join(", ")}`,
    [tenant, unit, key.method, key.category, key.month, ...Object.values(sums)],
  );
}

async function addCycle(trx: Knex.Transaction, p: ProjectRow, kind: CycleKind, from: string, to: string): Promise<void> {
  const days = daysBetween(from, to, "calendar-days");
  const rows = [{ tenant: p.tenant_code, unit: p.unit }, ...withAncestors(p.tenant_code).map((tenant) => ({ tenant, unit: ALL_UNITS }))];
  for (const { tenant, unit } of rows) await trx.raw(
    `insert into ${CYCLES} (tenant_code, unit, method, kind, month, days, n) values (?, ?, ?, ?, ?, ?, 1)
     on conflict (tenant_code, month, unit, method, kind, days) do update set n = ${CYCLES}.n + 1`,
    [tenant, unit, p.method, kind, monthOf(to), days],
  );
}

async function addBreach(trx: Knex.Transaction, key: string, f: Fact, p: ProjectRow, rule: keyof typeof RULES, from: string, done: string): Promise<void> {
  const r = RULES[rule];
  const days = daysBetween(from, done, r.unit as "working-days" | "calendar-days");
  if (days <= r.value) return;
  await trx(BREACHES)
    .insert({ fact_key: key, project_id: f.projectId, tenant_code: p.tenant_code, unit: p.unit, rule, month: monthOf(done), from_on: from, done_on: done, days, allowed: r.value })
    .onConflict("fact_key")
    .ignore();
}

/**
 * Adds one fact to the aggregates, once: the fact's release id (stage, instance, version) is kept,
 * so a redelivery under any event id adds nothing. The project's row is locked, so two facts of one
 * project at once each see what the other told. A cycle time is counted when the later of its two
 * days becomes known, whichever fact brings it. True when the fact was new.
 */
export async function aggregateFact(trx: Knex.Transaction, f: Fact): Promise<boolean> {
  const key = `${f.stage}-${f.instanceId}-${f.version}`;
  const { rows } = await trx.raw(`insert into ${SEEN} (fact_key) values (?) on conflict do nothing returning fact_key`, [key]);
  if (!rows.length) return false;
  const d = f.data;
  const unitName = text(d.purchaserName);
  await trx.raw(`insert into ${PROJECTS} (project_id, tenant_code, unit) values (?, ?, ?) on conflict (project_id) do nothing`, [f.projectId, f.tenantCode, unitName]);
  // dates as text: pg would make them Dates at the server's midnight
  const day = (c: string) => trx.raw(`to_char(${c}, 'YYYY-MM-DD') as ${c}`);
  const proj = (await trx(PROJECTS)
    .where({ project_id: f.projectId })
    .forUpdate()
    .first("tenant_code", "unit", "method", day("intention_on"), day("signed_on"), day("first_paid_on"), "awarded", "contracted", trx.raw(`to_char(period_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as period_at`))) as ProjectRow;
  const change: Partial<ProjectRow> = {};
  if (unitName && !proj.unit) change.unit = unitName;
  const method = text(d.method);
  if (method && proj.method === "unknown") change.method = method;
  Object.assign(proj, change);
  const cell = { tenant_code: proj.tenant_code, unit: proj.unit, method: method || proj.method, category: text(d.category) };

  switch (f.stage) {
    case "planning": {
      const on = dayOf(d.publishedAt, f.at);
      if (!proj.intention_on) {
        change.intention_on = proj.intention_on = on;
        if (proj.signed_on) await addCycle(trx, proj, "intention-contract", on, proj.signed_on);
      }
      break;
    }
    case "tender":
    case "tenderAmendment": {
      const deadline = text(d.bidDeadline);
      if (!deadline) break;
      const at = await checkTenderPeriod(trx, f, proj, method || proj.method, proj.period_at, dayOf(d.publishedOn, f.at), dayOf(deadline, f.at));
      if (at !== proj.period_at) change.period_at = proj.period_at = at;
      break;
    }
    case "plan":
      await addCell(trx, { ...cell, month: monthOf(dayOf(undefined, f.at)) }, { planned: amount(d.total) });
      break;
    case "award": {
      const value = amount(d.amount);
      const sme = d.supplierSme === true;
      // "200万元以下" includes 2,000,000 itself (calc.inclusiveTerms)
      const small = Number(value) <= RULES["sme.reservedSmall"].value;
      const awardOn = dayOf(d.awardDate, f.at);
      const bidders = bidCount(d.bidders);
      await addCell(trx, { ...cell, month: monthOf(awardOn) }, {
        awarded: value,
        awards: 1,
        sme_awarded: sme ? value : "0",
        sme_awards: sme ? 1 : 0,
        small_awards: small ? 1 : 0,
        small_sme_awards: small && sme ? 1 : 0,
        bid_tenders: bidders ? 1 : 0,
        bids: bidders ?? 0,
        single_bid_tenders: bidders === 1 ? 1 : 0,
      });
      await checkSingleBid(trx, f, proj, cell.method, bidders, awardOn);
      await checkRepeatWinner(trx, f, proj, text(d.supplierName), cell.method, awardOn);
      change.awarded = proj.awarded = value;
      await checkContractAboveAward(trx, f.projectId, proj, proj.awarded, proj.contracted, monthOf(awardOn));
      break;
    }
    case "contract": {
      const signed = dayOf(d.signedOn, f.at);
      await addCell(trx, { ...cell, month: monthOf(signed) }, { contracted: amount(d.amount), contracts: 1 });
      await addBreach(trx, key, f, proj, "contract.publish", signed, dayOf(d.filedOn, f.at));
      change.contracted = proj.contracted = amount(d.amount);
      await checkContractAboveAward(trx, f.projectId, proj, proj.awarded, proj.contracted, monthOf(signed));
      if (!proj.signed_on) {
        change.signed_on = proj.signed_on = signed;
        if (proj.intention_on) await addCycle(trx, proj, "intention-contract", proj.intention_on, signed);
        if (proj.first_paid_on) await addCycle(trx, proj, "contract-payment", signed, proj.first_paid_on);
      }
      break;
    }
    case "payment": {
      const paid = dayOf(d.paidOn, f.at);
      await addCell(trx, { ...cell, month: monthOf(paid) }, { paid: amount(d.amount), payments: 1 });
      // the invoice's day, when the payment's fact publishes it (README.md, "Dashboards")
      if (isDate(text(d.invoicedOn))) await addBreach(trx, key, f, proj, "payment.invoice30days", text(d.invoicedOn), paid);
      if (!proj.first_paid_on || paid < proj.first_paid_on) {
        const first = !proj.first_paid_on;
        change.first_paid_on = proj.first_paid_on = paid;
        if (first && proj.signed_on) await addCycle(trx, proj, "contract-payment", proj.signed_on, paid);
      }
      break;
    }
    default:
      break;
  }
  if (Object.keys(change).length) await trx(PROJECTS).where({ project_id: f.projectId }).update(change);
  return true;
}
