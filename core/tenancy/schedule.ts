import type { TenantTree } from "./tree";

export const MODULE_STATES = ["off", "pilot", "live", "sunset", "retired"] as const;
export type ModuleState = (typeof MODULE_STATES)[number];

/** One dated entry of a tenant's schedule for a module: in force from `from` until `until` (exclusive). */
export interface ScheduleEntry {
  tenant: string;
  module: string;
  state: ModuleState;
  from: Date;
  until: Date | null;
  /** pilot only: the units (registry unit codes) that may use the module */
  units: string[] | null;
  note?: string | null;
}

export interface Effective {
  module: string;
  state: ModuleState;
  units: string[] | null;
  /** the entry in force and whose it is; null when no tenant up the tree has one (state off) */
  source: { tenant: string; from: Date; until: Date | null } | null;
  inherited: boolean;
  /** the next instant at which the effective state (or its pilot units) changes */
  next: { at: Date; state: ModuleState } | null;
}

export interface Segment {
  from: Date | null;
  until: Date | null;
  state: ModuleState;
  units: string[] | null;
  /** whose entry decides this stretch of time (null: nobody's, off) */
  source: string | null;
  own: boolean;
}

const NONE: ScheduleEntry[] = [];

/** The stretches of one tenant's timeline for one module: from starts[i] (the first is -∞) the entry entries[i]. */
interface Spans {
  starts: number[];
  entries: Array<ScheduleEntry | null>;
}
const sameUnits = (a: string[] | null, b: string[] | null) => (a ?? []).join("\u0000") === (b ?? []).join("\u0000");

/**
 * All schedule entries, indexed for the questions the gate and the API ask: what is the state of
 * a module for a tenant at an instant (inheriting county → city → province), when does it next
 * change, and what is its whole timeline. Pure: nothing here reads a clock or a database.
 */
export class ScheduleBook {
  /** tenant → module → own entries, oldest first (nested maps: the gate asks on every call) */
  private readonly entries = new Map<string, Map<string, ScheduleEntry[]>>();
  private readonly chains = new Map<string, string[]>();
  /** tenant → module → the entry in force over each stretch between boundaries, built on first ask */
  private readonly spans = new Map<string, Map<string, Spans>>();

  constructor(
    readonly tree: TenantTree,
    all: ScheduleEntry[],
  ) {
    for (const e of all) {
      let modules = this.entries.get(e.tenant);
      if (!modules) this.entries.set(e.tenant, (modules = new Map()));
      const list = modules.get(e.module) ?? [];
      list.push(e);
      modules.set(e.module, list);
    }
    for (const modules of this.entries.values()) for (const list of modules.values()) list.sort((a, b) => a.from.getTime() - b.from.getTime());
  }

  /** A tenant's own entries for a module, oldest first. */
  own(tenant: string, module: string): ScheduleEntry[] {
    return this.entries.get(tenant)?.get(module) ?? NONE;
  }

  /**
   * The entry in force for a tenant at an instant, its own or the nearest ancestor's; null when
   * none is (off), and always null for a region that runs its own platform (Shenzhen), whatever
   * the province has. The gate's question, asked on every call: the answer for each stretch between
   * two boundaries is worked out once (the book never changes), so this is two map lookups and a
   * short scan, and allocates nothing.
   */
  entryAt(tenant: string, module: string, at: number): ScheduleEntry | null {
    let modules = this.spans.get(tenant);
    if (!modules) {
      // a code no tenant has (nothing is kept for it: such codes are not the tree's to bound)
      if (!this.tree.get(tenant)) return null;
      this.spans.set(tenant, (modules = new Map()));
    }
    let spans = modules.get(module);
    if (!spans) modules.set(module, (spans = this.spansOf(tenant, module)));
    // the latest stretches are the ones asked about: scan from the end
    for (let i = spans.starts.length - 1; i > 0; i--) if (spans.starts[i] <= at) return spans.entries[i];
    return spans.entries[0];
  }

  private spansOf(tenant: string, module: string): Spans {
    if (this.tree.get(tenant)?.onPlatform === false) return { starts: [Number.NEGATIVE_INFINITY], entries: [null] };
    const points = this.boundaries(tenant, module);
    const starts = [Number.NEGATIVE_INFINITY, ...points];
    return { starts, entries: starts.map((start, i) => this.searchEntry(tenant, module, i === 0 ? (points[0] ?? 0) - 1 : start)) };
  }

  /** entryAt worked out from the entries themselves: the tenant's own, else up the tree. */
  private searchEntry(tenant: string, module: string, at: number): ScheduleEntry | null {
    for (const t of this.chain(tenant)) {
      const e = this.covering(t, module, at);
      if (e) return e;
    }
    return null;
  }

  /** The tenant, its parent, ... up to the province. */
  chain(tenant: string): string[] {
    let out = this.chains.get(tenant);
    if (!out) {
      out = [];
      for (let t = this.tree.get(tenant); t; t = t.parent ? this.tree.get(t.parent) : undefined) out.push(t.code);
      this.chains.set(tenant, out);
    }
    return out;
  }

  private covering(tenant: string, module: string, at: number): ScheduleEntry | undefined {
    for (const e of this.own(tenant, module)) {
      if (e.from.getTime() <= at && (e.until === null || at < e.until.getTime())) return e;
    }
    return undefined;
  }

  /** The state in force at `at`, and where it comes from; without `next`. */
  stateAt(tenant: string, module: string, at: number): Omit<Effective, "next"> {
    const e = this.entryAt(tenant, module, at);
    if (!e) return { module, state: "off", units: null, source: null, inherited: false };
    return { module, state: e.state, units: e.units, source: { tenant: e.tenant, from: e.from, until: e.until }, inherited: e.tenant !== tenant };
  }

  /** Every instant at which an entry of this tenant or one above it begins or ends. */
  private boundaries(tenant: string, module: string): number[] {
    const set = new Set<number>();
    for (const t of this.chain(tenant)) {
      for (const e of this.own(t, module)) {
        set.add(e.from.getTime());
        if (e.until) set.add(e.until.getTime());
      }
    }
    return [...set].sort((a, b) => a - b);
  }

  effective(tenant: string, module: string, at: Date): Effective {
    const now = at.getTime();
    const current = this.stateAt(tenant, module, now);
    let next: Effective["next"] = null;
    for (const b of this.boundaries(tenant, module)) {
      if (b <= now) continue;
      const then = this.stateAt(tenant, module, b);
      if (then.state !== current.state || !sameUnits(then.units, current.units)) {
        next = { at: new Date(b), state: then.state };
        break;
      }
    }
    return { ...current, next };
  }

  /** The first instant after `at` whose state passes `allowed`, if the schedule has one. */
  opensAt(tenant: string, module: string, at: Date, allowed: (e: Omit<Effective, "next">) => boolean): Date | null {
    for (const b of this.boundaries(tenant, module)) {
      if (b > at.getTime() && allowed(this.stateAt(tenant, module, b))) return new Date(b);
    }
    return null;
  }

  /** The whole dated history and future of a module for a tenant, adjacent equal stretches merged. */
  timeline(tenant: string, module: string): Segment[] {
    const points = this.boundaries(tenant, module);
    const segments: Segment[] = [];
    const starts = [Number.NEGATIVE_INFINITY, ...points];
    starts.forEach((start, i) => {
      const probe = Number.isFinite(start) ? start : (points[0] ?? 0) - 1;
      const s = this.stateAt(tenant, module, probe);
      const seg: Segment = {
        from: Number.isFinite(start) ? new Date(start) : null,
        until: i + 1 < starts.length ? new Date(starts[i + 1]) : null,
        state: s.state,
        units: s.units,
        source: s.source?.tenant ?? null,
        own: !!s.source && !s.inherited,
      };
      const last = segments[segments.length - 1];
      if (last && last.state === seg.state && sameUnits(last.units, seg.units) && last.source === seg.source) last.until = seg.until;
      else segments.push(seg);
    });
    return segments;
  }
}

/**
 * A tenant's own entries for one module after putting `entry` in: what it covers replaces what
 * was there (entries are cut at its edges), everything else stays. Entries never overlap.
 */
export function putEntry(existing: ScheduleEntry[], entry: ScheduleEntry): ScheduleEntry[] {
  const from = entry.from.getTime();
  const until = entry.until?.getTime() ?? Number.POSITIVE_INFINITY;
  const out: ScheduleEntry[] = [];
  for (const e of existing) {
    const eFrom = e.from.getTime();
    const eUntil = e.until?.getTime() ?? Number.POSITIVE_INFINITY;
    if (eUntil <= from || eFrom >= until) {
      out.push(e);
      continue;
    }
    if (eFrom < from) out.push({ ...e, until: new Date(from) });
    if (eUntil > until) out.push({ ...e, from: new Date(until) });
  }
  out.push(entry);
  return out.sort((a, b) => a.from.getTime() - b.from.getTime());
}
