import fs from "node:fs";
import path from "node:path";
import type { Knex } from "knex";
import { writeAudit } from "../audit/log";
import { compileSchema, schemaErrors } from "../forms/validate";
import type { Localized } from "../errors";
import { usernameRuleProblem } from "../identity/username-rules";
import type { PluginManifest } from "../plugins/types";
import { putEntry, type ModuleState, type ScheduleEntry } from "./schedule";
import { parseScheduleTime } from "./time";
import { TenantTree, type Tenant } from "./tree";

/** A data file under tenants/ that does not hold: start-up stops with the file, the path and the reason. */
export class TenantDataError extends Error {
  override name = "TenantDataError";
  constructor(file: string, pointer: string, reason: string) {
    super(`${file}: ${pointer || "/"}: ${reason}`);
  }
}

/** How messages name a data file: its folder and name, as in tenants/schedules.json. */
const shown = (dir: string, name: string) => path.join(path.basename(dir), name);

function readChecked<T>(dir: string, name: string, schemaName: string): T {
  const file = path.join(dir, name);
  const rel = shown(dir, name);
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new TenantDataError(rel, "", `cannot be read as JSON: ${(err as Error).message}`);
  }
  const schema = JSON.parse(fs.readFileSync(path.join(dir, schemaName), "utf8"));
  const [first] = schemaErrors(compileSchema(schema), doc);
  if (first) throw new TenantDataError(rel, first.path, first.message?.en ?? first.rule);
  return doc as T;
}

/** tenants/tenants.json, checked against its schema and for a sound tree. */
export function loadTenantTree(dir: string): TenantTree {
  const file = shown(dir, "tenants.json");
  const doc = readChecked<{ tenants: Tenant[] }>(dir, "tenants.json", "tenants.schema.json");
  const codes = new Set<string>();
  doc.tenants.forEach((t, i) => {
    if (codes.has(t.code)) throw new TenantDataError(file, `/tenants/${i}/code`, `${t.code} is listed twice`);
    codes.add(t.code);
    if ((t.level === "province") !== (t.parent === undefined)) {
      throw new TenantDataError(file, `/tenants/${i}/parent`, "the province has no parent, and every other tenant has one");
    }
  });
  doc.tenants.forEach((t, i) => {
    if (t.parent && !codes.has(t.parent)) throw new TenantDataError(file, `/tenants/${i}/parent`, `unknown tenant ${t.parent}`);
    const rule = t.accounts?.usernameRule;
    const problem = rule === undefined ? null : usernameRuleProblem(rule);
    if (problem) throw new TenantDataError(file, `/tenants/${i}/accounts/usernameRule`, `"${rule}": ${problem}`);
  });
  return new TenantTree(doc.tenants);
}

export interface ModuleCatalog {
  titles: Map<string, Localized>;
  /** in the order the catalogue lists them, then installed plugins not listed */
  keys: string[];
}

/** The modules schedules can name: tenants/modules.json, plus every installed plugin that is gated. */
export function loadModules(dir: string, plugins: PluginManifest[]): ModuleCatalog {
  const doc = readChecked<{ modules: Array<{ key: string; title: Localized }> }>(dir, "modules.json", "modules.schema.json");
  const titles = new Map<string, Localized>(doc.modules.map((m) => [m.key, m.title]));
  for (const p of plugins) if (p.gated !== false && !titles.has(p.name)) titles.set(p.name, p.title);
  for (const p of plugins) if (p.gated === false) titles.delete(p.name);
  return { titles, keys: [...titles.keys()] };
}

interface SeedEntry {
  tenant: string;
  module: string;
  state: ModuleState;
  from: string;
  until?: string;
  units?: string[];
  note?: string;
}

/** tenants/schedules.json: schema, known tenants and modules, sane spans, no overlaps. */
export function loadSeedSchedules(dir: string, tree: TenantTree, modules: ModuleCatalog): ScheduleEntry[] {
  const file = shown(dir, "schedules.json");
  const doc = readChecked<{ entries: SeedEntry[] }>(dir, "schedules.json", "schedules.schema.json");
  let entries: ScheduleEntry[] = [];
  doc.entries.forEach((s, i) => {
    const at = `/entries/${i}`;
    const tenant = tree.get(s.tenant);
    if (!tenant) throw new TenantDataError(file, `${at}/tenant`, `unknown tenant ${s.tenant}`);
    if (tenant.onPlatform === false) throw new TenantDataError(file, `${at}/tenant`, `${tenant.name.en} is not on this platform`);
    if (!modules.titles.has(s.module)) throw new TenantDataError(file, `${at}/module`, `unknown module "${s.module}"`);
    const from = parseScheduleTime(s.from)!;
    const until = s.until ? parseScheduleTime(s.until)! : null;
    if (until && until <= from) throw new TenantDataError(file, `${at}/until`, "must be after from");
    const entry: ScheduleEntry = { tenant: s.tenant, module: s.module, state: s.state, from, until, units: s.units ?? null, note: s.note ?? null };
    const own = entries.filter((e) => e.tenant === s.tenant && e.module === s.module);
    if (own.some((e) => (until === null || e.from < until) && (e.until === null || from < e.until))) throw new TenantDataError(file, at, `overlaps another entry of ${s.tenant} for ${s.module}`);
    entries = [...entries, entry];
  });
  return entries;
}

interface EntryRow {
  tenant_code: string;
  module: string;
  state: ModuleState;
  from: Date;
  until: Date | null;
  units: string[] | null;
  note: string | null;
}

const fromRow = (r: EntryRow): ScheduleEntry => ({ tenant: r.tenant_code, module: r.module, state: r.state, from: r.from, until: r.until, units: r.units, note: r.note });
const toRow = (e: ScheduleEntry, origin: string) => ({
  tenant_code: e.tenant,
  module: e.module,
  state: e.state,
  from: e.from,
  until: e.until,
  units: e.units ? JSON.stringify(e.units) : null,
  note: e.note ?? null,
  origin,
});

/** Puts the seed in the database once; later starts keep what admins changed since. */
export async function seedSchedules(knex: Knex, entries: ScheduleEntry[]): Promise<boolean> {
  return knex.transaction(async (trx) => {
    await trx.raw("select pg_advisory_xact_lock(hashtext('tenancy.seed'))");
    const done = await trx("core_settings").where({ key: "tenancy.schedules-seeded" }).first();
    if (done) return false;
    if (entries.length) await trx("tenancy_schedule_entries").insert(entries.map((e) => toRow(e, "seed")));
    await trx("core_settings").insert({ key: "tenancy.schedules-seeded", value: JSON.stringify(new Date().toISOString()) });
    return true;
  });
}

export async function loadSchedules(knex: Knex): Promise<ScheduleEntry[]> {
  const rows = (await knex("tenancy_schedule_entries").select("tenant_code", "module", "state", "from", "until", "units", "note")) as EntryRow[];
  return rows.map(fromRow);
}

/**
 * Puts one entry into a tenant's schedule for a module, in one transaction with its audit entry.
 * Concurrent changes to the same tenant and module queue on an advisory lock, so each sees the
 * other's result. Returns the tenant's own entries before and after.
 */
export async function writeEntry(
  knex: Knex,
  entry: ScheduleEntry,
  actor: Record<string, unknown>,
): Promise<{ before: ScheduleEntry[]; after: ScheduleEntry[] }> {
  return knex.transaction(async (trx) => {
    await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`tenancy.schedule/${entry.tenant}/${entry.module}`]);
    const rows = (await trx("tenancy_schedule_entries").where({ tenant_code: entry.tenant, module: entry.module }).orderBy("from")) as EntryRow[];
    const before = rows.map(fromRow);
    const after = putEntry(before, entry);
    await trx("tenancy_schedule_entries").where({ tenant_code: entry.tenant, module: entry.module }).del();
    await trx("tenancy_schedule_entries").insert(after.map((e) => toRow(e, e === entry ? "admin" : "kept")));
    await writeAudit(trx, {
      actor,
      tenantCode: entry.tenant,
      action: "tenancy.schedule.put",
      object: `${entry.tenant}/${entry.module}`,
      before,
      after,
    });
    return { before, after };
  });
}
