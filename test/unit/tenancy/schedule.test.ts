import { allows } from "../../../core/tenancy/gate";
import { MODULE_STATES, ScheduleBook, putEntry, type ModuleState, type ScheduleEntry } from "../../../core/tenancy/schedule";
import { localDate, parseScheduleTime } from "../../../core/tenancy/time";
import { TenantTree } from "../../../core/tenancy/tree";
import type { SessionUser } from "../../../core/plugins/types";

const PROVINCE = "440000";
const HUIZHOU = "441300";
const BOLUO = "441322";
const MAOMING = "440900";
const MAONAN = "440902";

const tree = new TenantTree([
  { code: PROVINCE, name: { "zh-CN": "广东省", en: "Guangdong" }, level: "province" },
  { code: HUIZHOU, name: { "zh-CN": "惠州市", en: "Huizhou" }, level: "city", parent: PROVINCE },
  { code: BOLUO, name: { "zh-CN": "博罗县", en: "Boluo" }, level: "county", parent: HUIZHOU },
  { code: MAOMING, name: { "zh-CN": "茂名市", en: "Maoming" }, level: "city", parent: PROVINCE },
  { code: MAONAN, name: { "zh-CN": "茂南区", en: "Maonan" }, level: "county", parent: MAOMING },
]);

/** A notice's date: midnight China Standard Time. */
const d = (value: string): Date => {
  const at = parseScheduleTime(value);
  if (!at) throw new Error(`bad date in test: ${value}`);
  return at;
};

const M = "etrading";
const entry = (tenant: string, state: ModuleState, from: string, until?: string, units?: string[]): ScheduleEntry => ({
  tenant,
  module: M,
  state,
  from: d(from),
  until: until ? d(until) : null,
  units: units ?? null,
});
const book = (...entries: ScheduleEntry[]) => new ScheduleBook(tree, entries);
const purchaser = (unitCode?: string): SessionUser => ({ id: "u1", username: "buyer", tenantCode: BOLUO, roles: ["purchaser"], unitCode });
const canCreate = (user: SessionUser | null) => (e: { state: ModuleState; units: string[] | null }) => allows(e.state, "create", user, e.units);

describe("a tenant's module state follows its own schedule, else its city's, else the province's", () => {
  const mid = d("2021-06-01");
  /** A state other than `s`, so that "follows the parent" can be told apart from "has its own". */
  const other = (s: ModuleState): ModuleState => (s === "live" ? "off" : "live");
  const unitsFor = (s: ModuleState, unit: string) => (s === "pilot" ? [unit] : undefined);

  describe.each(MODULE_STATES.map((s) => [s]))("when the deciding entry says %s", (state) => {
    test("a county and a city without entries of their own follow the province", () => {
      const b = book(entry(PROVINCE, state, "2021-01-01", undefined, unitsFor(state, "P-1")));
      for (const t of [HUIZHOU, BOLUO]) {
        const e = b.effective(t, M, mid);
        expect(e).toMatchObject({ module: M, state, units: state === "pilot" ? ["P-1"] : null, inherited: true });
        expect(e.source).toEqual({ tenant: PROVINCE, from: d("2021-01-01"), until: null });
      }
      expect(b.effective(PROVINCE, M, mid)).toMatchObject({ state, inherited: false, source: { tenant: PROVINCE } });
    });

    test("a county without its own entry follows its city, not the province", () => {
      const b = book(entry(PROVINCE, other(state), "2021-01-01"), entry(HUIZHOU, state, "2021-01-01", undefined, unitsFor(state, "H-1")));
      const e = b.effective(BOLUO, M, mid);
      expect(e).toMatchObject({ state, units: state === "pilot" ? ["H-1"] : null, inherited: true, source: { tenant: HUIZHOU } });
    });

    test("a county's own entry wins over its city's and the province's", () => {
      const b = book(entry(PROVINCE, other(state), "2021-01-01"), entry(HUIZHOU, other(state), "2021-01-01"), entry(BOLUO, state, "2021-01-01", undefined, unitsFor(state, "B-1")));
      expect(b.effective(BOLUO, M, mid)).toMatchObject({ state, units: state === "pilot" ? ["B-1"] : null, inherited: false, source: { tenant: BOLUO } });
      expect(b.effective(HUIZHOU, M, mid)).toMatchObject({ state: other(state), source: { tenant: HUIZHOU } });
    });

    test("a city's own entry wins over the province's, for the city and its counties", () => {
      const b = book(entry(PROVINCE, other(state), "2021-01-01"), entry(HUIZHOU, state, "2021-01-01"));
      expect(b.effective(HUIZHOU, M, mid)).toMatchObject({ state, inherited: false, source: { tenant: HUIZHOU } });
      expect(b.effective(BOLUO, M, mid)).toMatchObject({ state, inherited: true, source: { tenant: HUIZHOU } });
      expect(b.effective(MAONAN, M, mid)).toMatchObject({ state: other(state), inherited: true, source: { tenant: PROVINCE } });
    });

    test("once a county's own entry ends, the county follows its city again", () => {
      const b = book(entry(HUIZHOU, other(state), "2021-01-01"), entry(BOLUO, state, "2021-01-01", "2021-08-01"));
      expect(b.effective(BOLUO, M, d("2021-07-31")).state).toBe(state);
      expect(b.effective(BOLUO, M, new Date(d("2021-08-01").getTime() - 1))).toMatchObject({ state, inherited: false });
      expect(b.effective(BOLUO, M, d("2021-08-01"))).toMatchObject({ state: other(state), inherited: true, source: { tenant: HUIZHOU } });
    });
  });

  test("before the first entry begins, the tenant follows nobody: off, with no source", () => {
    const b = book(entry(PROVINCE, "live", "2021-01-01"));
    expect(b.effective(BOLUO, M, d("2020-12-31"))).toEqual({ module: M, state: "off", units: null, source: null, inherited: false, next: { at: d("2021-01-01"), state: "live" } });
  });

  test("with no entry anywhere up the tree, the module is off, with no source and no change ahead", () => {
    const b = book(entry(PROVINCE, "live", "2021-01-01"));
    expect(b.effective(BOLUO, "supervision", mid)).toEqual({ module: "supervision", state: "off", units: null, source: null, inherited: false, next: null });
    expect(book().effective(PROVINCE, M, mid)).toEqual({ module: M, state: "off", units: null, source: null, inherited: false, next: null });
  });

  test("an entry of another city does not reach this city's counties", () => {
    const b = book(entry(MAOMING, "live", "2021-05-01"));
    expect(b.effective(BOLUO, M, mid)).toMatchObject({ state: "off", source: null });
    expect(b.effective(MAONAN, M, mid)).toMatchObject({ state: "live", source: { tenant: MAOMING } });
  });

  test("an entry is in force from its first instant and no longer at its until", () => {
    const b = book(entry(MAOMING, "live", "2021-05-01", "2021-09-01"));
    expect(b.stateAt(MAOMING, M, d("2021-05-01").getTime() - 1).state).toBe("off");
    expect(b.stateAt(MAOMING, M, d("2021-05-01").getTime()).state).toBe("live");
    expect(b.stateAt(MAOMING, M, d("2021-09-01").getTime() - 1).state).toBe("live");
    expect(b.stateAt(MAOMING, M, d("2021-09-01").getTime()).state).toBe("off");
  });

  test("one book asked about instants in any order answers each by the entries (it keeps what it worked out per tenant)", () => {
    const b = book(entry(PROVINCE, "live", "2021-01-01"), entry(HUIZHOU, "sunset", "2021-06-01", "2021-09-01"), entry(BOLUO, "off", "2021-03-01", "2021-04-01"));
    const expected: Array<[string, string, ModuleState, string | null]> = [
      ["2021-10-01", BOLUO, "live", PROVINCE],
      ["2021-07-01", BOLUO, "sunset", HUIZHOU],
      ["2021-03-15", BOLUO, "off", BOLUO],
      ["2020-12-01", BOLUO, "off", null],
      ["2021-02-01", BOLUO, "live", PROVINCE],
      ["2021-04-01", BOLUO, "live", PROVINCE],
      ["2021-03-15", HUIZHOU, "live", PROVINCE],
      ["2021-08-31", HUIZHOU, "sunset", HUIZHOU],
    ];
    for (const round of [expected, [...expected].reverse()]) {
      for (const [at, tenant, state, source] of round) {
        expect({ at, tenant, state: b.stateAt(tenant, M, d(at).getTime()).state, source: b.entryAt(tenant, M, d(at).getTime())?.tenant ?? null }).toEqual({ at, tenant, state, source });
      }
    }
  });
});

describe("the next change of a tenant's module state", () => {
  test("a county that is off until its own opening date is told when it opens, and to what", () => {
    const b = book(entry(MAOMING, "live", "2021-05-01"), entry(MAONAN, "off", "2021-01-01", "2021-08-01"));
    expect(b.effective(MAONAN, M, d("2021-06-01")).next).toEqual({ at: d("2021-08-01"), state: "live" });
  });

  test("a change made by the city is the county's next change too", () => {
    const b = book(entry(MAOMING, "off", "2021-01-01", "2021-05-01"), entry(MAOMING, "live", "2021-05-01"));
    expect(b.effective(MAONAN, M, d("2021-02-01")).next).toEqual({ at: d("2021-05-01"), state: "live" });
  });

  test("a change made by the province while the county's own entry is in force is no change for the county", () => {
    const b = book(entry(PROVINCE, "live", "2021-01-01", "2021-03-01"), entry(PROVINCE, "sunset", "2021-03-01"), entry(BOLUO, "pilot", "2021-01-01", "2021-06-01", ["B-1"]));
    expect(b.effective(BOLUO, M, d("2021-02-01")).next).toEqual({ at: d("2021-06-01"), state: "sunset" });
    expect(b.effective(HUIZHOU, M, d("2021-02-01")).next).toEqual({ at: d("2021-03-01"), state: "sunset" });
  });

  test("a new entry with the same state is not a change", () => {
    const b = book(entry(HUIZHOU, "live", "2021-01-01", "2021-05-01"), entry(HUIZHOU, "live", "2021-05-01"));
    expect(b.effective(BOLUO, M, d("2021-02-01")).next).toBeNull();
  });

  test("when nothing changes after the instant asked about, next is null", () => {
    const b = book(entry(HUIZHOU, "off", "2021-01-01", "2021-05-01"), entry(HUIZHOU, "live", "2021-05-01"));
    expect(b.effective(HUIZHOU, M, d("2021-06-01")).next).toBeNull();
    expect(b.effective(HUIZHOU, M, d("2021-05-01")).next).toBeNull();
  });

  test("a pilot that adds units changes, though it stays a pilot", () => {
    const b = book(entry(BOLUO, "pilot", "2021-01-01", "2021-06-01", ["B-1"]), entry(BOLUO, "pilot", "2021-06-01", "2021-09-01", ["B-1", "B-2"]), entry(BOLUO, "pilot", "2021-09-01", undefined, ["B-1", "B-2"]));
    expect(b.effective(BOLUO, M, d("2021-02-01")).next).toEqual({ at: d("2021-06-01"), state: "pilot" });
    expect(b.effective(BOLUO, M, d("2021-07-01"))).toMatchObject({ units: ["B-1", "B-2"], next: null });
  });
});

describe("when a module opens for what a caller wants to do", () => {
  test("a county off until 2021-08-01 under a live city opens for new business on 2021-08-01, midnight China time", () => {
    const b = book(entry(MAOMING, "live", "2021-05-01"), entry(MAONAN, "off", "2021-01-01", "2021-08-01"));
    const opens = b.opensAt(MAONAN, M, d("2021-06-01"), canCreate(purchaser("M-1")));
    expect(opens).toEqual(new Date("2021-07-31T16:00:00Z"));
    expect(localDate(opens!)).toBe("2021-08-01");
  });

  test("a county opens when its city opens, if it has no entry of its own", () => {
    const b = book(entry(MAOMING, "off", "2021-01-01", "2021-05-01"), entry(MAOMING, "live", "2021-05-01"));
    expect(b.opensAt(MAONAN, M, d("2021-02-01"), canCreate(null))).toEqual(d("2021-05-01"));
  });

  test("a city that is off with no date set never opens", () => {
    const b = book(entry(PROVINCE, "live", "2021-01-01"), entry(MAOMING, "off", "2021-01-01"));
    expect(b.opensAt(MAONAN, M, d("2021-06-01"), canCreate(purchaser("M-1")))).toBeNull();
    expect(b.effective(MAONAN, M, d("2021-06-01")).next).toBeNull();
  });

  test("a module in sunset never opens again for new business, though existing business continues", () => {
    const b = book(entry(PROVINCE, "live", "2000-01-01", "2021-01-01"), entry(PROVINCE, "sunset", "2021-01-01"));
    const at = d("2021-02-01");
    expect(b.opensAt(BOLUO, "etrading", at, canCreate(purchaser("B-1")))).toBeNull();
    expect(allows(b.stateAt(BOLUO, M, at.getTime()).state, "continue", purchaser("B-1"), null)).toBe(true);
  });

  test("a pilot opens for a unit on the day the unit is added to it, and never for a unit that is not", () => {
    const b = book(entry(BOLUO, "pilot", "2021-01-01", "2021-06-01", ["B-1"]), entry(BOLUO, "pilot", "2021-06-01", undefined, ["B-1", "B-2"]));
    expect(b.opensAt(BOLUO, M, d("2021-02-01"), canCreate(purchaser("B-2")))).toEqual(d("2021-06-01"));
    expect(b.opensAt(BOLUO, M, d("2021-02-01"), canCreate(purchaser("B-9")))).toBeNull();
  });

  test("an opening that lies in the past is not announced", () => {
    const b = book(entry(MAOMING, "live", "2021-05-01"));
    expect(b.opensAt(MAONAN, M, d("2021-05-01"), canCreate(null))).toBeNull();
    expect(b.opensAt(MAONAN, M, d("2021-06-01"), canCreate(null))).toBeNull();
  });
});

describe("a tenant's timeline for a module", () => {
  test("a county's timeline shows the time before any entry, its own closed stretch, then the city's live stretch", () => {
    const b = book(
      entry(PROVINCE, "live", "2021-01-01"),
      entry(MAOMING, "off", "2021-01-01", "2021-05-01"),
      entry(MAOMING, "live", "2021-05-01"),
      entry(MAONAN, "off", "2021-01-01", "2021-08-01"),
    );
    expect(b.timeline(MAONAN, M)).toEqual([
      { from: null, until: d("2021-01-01"), state: "off", units: null, source: null, own: false },
      // the city's change on 2021-05-01 happens under the county's own entry: one stretch, not two
      { from: d("2021-01-01"), until: d("2021-08-01"), state: "off", units: null, source: MAONAN, own: true },
      { from: d("2021-08-01"), until: null, state: "live", units: null, source: MAOMING, own: false },
    ]);
  });

  test("two adjacent entries with the same state from the same tenant make one stretch", () => {
    const b = book(entry(HUIZHOU, "live", "2021-01-01", "2021-05-01"), entry(HUIZHOU, "live", "2021-05-01"));
    expect(b.timeline(BOLUO, M)).toEqual([
      { from: null, until: d("2021-01-01"), state: "off", units: null, source: null, own: false },
      { from: d("2021-01-01"), until: null, state: "live", units: null, source: HUIZHOU, own: false },
    ]);
    expect(b.timeline(HUIZHOU, M)[1]).toMatchObject({ source: HUIZHOU, own: true });
  });

  test("the same state from different tenants stays two stretches, so own and inherited can be told apart", () => {
    const b = book(entry(HUIZHOU, "live", "2021-01-01"), entry(BOLUO, "live", "2021-03-01", "2021-04-01"));
    expect(b.timeline(BOLUO, M).map((s) => [s.from && localDate(s.from), s.until && localDate(s.until), s.state, s.source, s.own])).toEqual([
      [null, "2021-01-01", "off", null, false],
      ["2021-01-01", "2021-03-01", "live", HUIZHOU, false],
      ["2021-03-01", "2021-04-01", "live", BOLUO, true],
      ["2021-04-01", null, "live", HUIZHOU, false],
    ]);
  });

  test("pilot stretches with different units are not merged", () => {
    const b = book(entry(BOLUO, "pilot", "2021-01-01", "2021-06-01", ["B-1"]), entry(BOLUO, "pilot", "2021-06-01", undefined, ["B-1", "B-2"]));
    expect(b.timeline(BOLUO, M).slice(1)).toEqual([
      { from: d("2021-01-01"), until: d("2021-06-01"), state: "pilot", units: ["B-1"], source: BOLUO, own: true },
      { from: d("2021-06-01"), until: null, state: "pilot", units: ["B-1", "B-2"], source: BOLUO, own: true },
    ]);
  });

  test("a module nobody has scheduled is one open-ended stretch of off", () => {
    expect(book().timeline(BOLUO, M)).toEqual([{ from: null, until: null, state: "off", units: null, source: null, own: false }]);
  });

  test("stretches follow each other without gaps, from an open beginning to an open end", () => {
    const b = book(entry(PROVINCE, "live", "2000-01-01", "2021-01-01"), entry(PROVINCE, "sunset", "2021-01-01", "2023-01-01"), entry(HUIZHOU, "retired", "2022-01-01"));
    const segs = b.timeline(BOLUO, M);
    expect(segs[0].from).toBeNull();
    expect(segs[segs.length - 1].until).toBeNull();
    for (let i = 1; i < segs.length; i++) expect(segs[i].from).toEqual(segs[i - 1].until);
    expect(segs.map((s) => s.state)).toEqual(["off", "live", "sunset", "retired"]);
  });
});

describe("putting an entry into a tenant's schedule", () => {
  const show = (list: ScheduleEntry[]) => list.map((e) => `${localDate(e.from)}..${e.until ? localDate(e.until) : ""} ${e.state}`);

  test("an entry inside a longer one splits it in two around itself", () => {
    const out = putEntry([entry(BOLUO, "live", "2021-01-01")], entry(BOLUO, "off", "2021-03-01", "2021-04-01"));
    expect(show(out)).toEqual(["2021-01-01..2021-03-01 live", "2021-03-01..2021-04-01 off", "2021-04-01.. live"]);
  });

  test("an entry overlapping the end of an earlier one cuts that one short", () => {
    const out = putEntry([entry(BOLUO, "off", "2021-01-01", "2021-05-01")], entry(BOLUO, "live", "2021-04-01", "2021-06-01"));
    expect(show(out)).toEqual(["2021-01-01..2021-04-01 off", "2021-04-01..2021-06-01 live"]);
  });

  test("an entry overlapping the start of a later one makes that one start later", () => {
    const out = putEntry([entry(BOLUO, "sunset", "2021-05-01", "2021-09-01")], entry(BOLUO, "live", "2021-04-01", "2021-06-01"));
    expect(show(out)).toEqual(["2021-04-01..2021-06-01 live", "2021-06-01..2021-09-01 sunset"]);
  });

  test("an open-ended entry cuts every later entry away and the one it starts in short", () => {
    const out = putEntry(
      [entry(BOLUO, "off", "2021-01-01", "2021-05-01"), entry(BOLUO, "pilot", "2021-05-01", "2021-07-01", ["B-1"]), entry(BOLUO, "live", "2021-07-01")],
      entry(BOLUO, "sunset", "2021-06-01"),
    );
    expect(show(out)).toEqual(["2021-01-01..2021-05-01 off", "2021-05-01..2021-06-01 pilot", "2021-06-01.. sunset"]);
    expect(out[1].units).toEqual(["B-1"]);
  });

  test("entries the new one covers entirely are replaced, and the same span is simply overwritten", () => {
    const covered = putEntry([entry(BOLUO, "pilot", "2021-02-01", "2021-03-01", ["B-1"]), entry(BOLUO, "off", "2021-03-01", "2021-04-01")], entry(BOLUO, "live", "2021-01-01", "2021-04-01"));
    expect(show(covered)).toEqual(["2021-01-01..2021-04-01 live"]);
    const same = putEntry([entry(BOLUO, "off", "2021-01-01", "2021-04-01")], entry(BOLUO, "live", "2021-01-01", "2021-04-01"));
    expect(show(same)).toEqual(["2021-01-01..2021-04-01 live"]);
  });

  test("entries the new one does not touch, adjacent ones included, are kept as they were", () => {
    const before = entry(BOLUO, "off", "2021-01-01", "2021-03-01");
    const after = entry(BOLUO, "live", "2021-04-01");
    const existing = [before, after];
    const added = entry(BOLUO, "pilot", "2021-03-01", "2021-04-01", ["B-1"]);
    const out = putEntry(existing, added);
    expect(out).toEqual([before, added, after]);
    expect(out[0]).toBe(before);
    expect(out[2]).toBe(after);
    expect(existing).toEqual([before, after]);
  });

  describe("200 random puts on one tenant and module (seeded)", () => {
    /** mulberry32: a small deterministic PRNG, so a failure can be replayed. */
    const prng = (seed: number) => () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const DAY = 86_400_000;
    const start = d("2021-01-01").getTime();
    const covers = (e: ScheduleEntry, at: number) => e.from.getTime() <= at && (e.until === null || at < e.until.getTime());

    /** Replays the same 200 puts; `check` sees the puts so far, the entries after the latest, and the PRNG. */
    const replay = (check: (puts: ScheduleEntry[], list: ScheduleEntry[], int: (n: number) => number) => void) => {
      const rnd = prng(20210101);
      const int = (n: number) => Math.floor(rnd() * n);
      const puts: ScheduleEntry[] = [];
      let list: ScheduleEntry[] = [];
      for (let i = 0; i < 200; i++) {
        // whole days most of the time (shared edges are the tricky case), sometimes an odd millisecond
        const from = start + int(365) * DAY + (int(4) === 0 ? int(DAY) : 0);
        const until = int(25) === 0 ? null : from + 1 + int(45 * DAY);
        const state = MODULE_STATES[int(MODULE_STATES.length)];
        const e: ScheduleEntry = { tenant: BOLUO, module: M, state, from: new Date(from), until: until === null ? null : new Date(until), units: state === "pilot" ? [`B-${i}`] : null, note: `put ${i}` };
        puts.push(e);
        list = putEntry(list, e);
        check(puts, list, int);
      }
      return list;
    };

    test("after every put the entries are in order of their start, none overlaps another, and none is empty", () => {
      let most = 0;
      const final = replay((_puts, list) => {
        most = Math.max(most, list.length);
        for (let j = 0; j < list.length; j++) {
          const e = list[j];
          expect(e.until === null || e.until.getTime() > e.from.getTime()).toBe(true);
          if (j > 0) expect(list[j - 1].until?.getTime() ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(e.from.getTime());
        }
      });
      // the walk really built a crowded schedule, not a trivially short one
      expect(most).toBeGreaterThan(20);
      expect(final.length).toBeGreaterThan(0);
    });

    test("after every put, the state at any instant is what the last put covering that instant said", () => {
      replay((puts, list, int) => {
        const b = new ScheduleBook(tree, list);
        const latest = puts[puts.length - 1];
        const instants = [latest.from.getTime() - 1, latest.from.getTime(), ...(latest.until ? [latest.until.getTime() - 1, latest.until.getTime()] : [])];
        for (let k = 0; k < 10; k++) instants.push(start - 10 * DAY + int(420 * DAY));
        for (const at of instants) {
          const want = [...puts].reverse().find((p) => covers(p, at));
          const got = b.stateAt(BOLUO, M, at);
          const note = list.find((e) => covers(e, at))?.note ?? null;
          expect({ after: puts.length, at, state: got.state, units: got.units, note }).toEqual({ after: puts.length, at, state: want?.state ?? "off", units: want?.units ?? null, note: want?.note ?? null });
          if (!want) expect(got.source).toBeNull();
        }
      });
    });
  });
});

describe("schedule times are China Standard Time unless they say otherwise", () => {
  test("a bare date is midnight in UTC+8: 2021-05-01 is 2021-04-30T16:00:00Z", () => {
    expect(parseScheduleTime("2021-05-01")).toEqual(new Date("2021-04-30T16:00:00Z"));
    expect(localDate(parseScheduleTime("2021-05-01")!)).toBe("2021-05-01");
  });

  test("a time with its offset or Z is taken as written", () => {
    expect(parseScheduleTime("2021-05-01T08:00:00+08:00")).toEqual(new Date("2021-05-01T00:00:00Z"));
    expect(parseScheduleTime("2021-05-01T00:00:00Z")).toEqual(new Date("2021-05-01T00:00:00Z"));
    expect(parseScheduleTime("2021-05-01T09:30-01:00")).toEqual(new Date("2021-05-01T10:30:00Z"));
    expect(parseScheduleTime("2021-05-01T00:00:00.250+08:00")).toEqual(new Date("2021-04-30T16:00:00.250Z"));
  });

  test.each([
    ["2021-02-30", "a day February does not have"],
    ["2021-13-01", "a thirteenth month"],
    ["2021-05-01T08:00:00", "a time without an offset, which each server would read in its own zone"],
    ["2021-02-30T00:00:00Z", "a full time on a day February does not have (Date would roll it into March)"],
    ["2021-05-01T24:00:00+08:00", "hour 24 (Date would roll it into the next day)"],
    ["2021-05-01T23:60:00Z", "minute 60"],
    ["tomorrow", "a word"],
    ["2021-5-1", "a date without leading zeros"],
    ["", "nothing"],
  ])("%j is refused (%s)", (value) => {
    expect(parseScheduleTime(value)).toBeNull();
  });

  test("a leap day is a date in a leap year only", () => {
    expect(parseScheduleTime("2020-02-29")).toEqual(new Date("2020-02-28T16:00:00Z"));
    expect(parseScheduleTime("2021-02-29")).toBeNull();
  });
});
