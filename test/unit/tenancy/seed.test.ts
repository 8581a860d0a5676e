import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { allows } from "../../../core/tenancy/gate";
import { ScheduleBook, type ModuleState } from "../../../core/tenancy/schedule";
import { TenantDataError, loadModules, loadSeedSchedules, loadTenantTree } from "../../../core/tenancy/store";
import { localDate } from "../../../core/tenancy/time";
import type { SessionUser } from "../../../core/plugins/types";

const TENANTS_DIR = path.resolve(__dirname, "../../../tenants");

const loadAll = (dir: string) => {
  const tree = loadTenantTree(dir);
  const modules = loadModules(dir, []);
  const entries = loadSeedSchedules(dir, tree, modules);
  return { tree, modules, entries, book: new ScheduleBook(tree, entries) };
};

/** Instants written out in full, so no server time zone can move them. */
const AT = {
  newYearsEve: new Date("2020-12-31T12:00:00+08:00"),
  lastMillisOf2020: new Date("2020-12-31T23:59:59.999+08:00"),
  platformDay: new Date("2021-01-01T00:00:00+08:00"),
  june1: new Date("2021-06-01T00:00:00+08:00"),
  june1Noon: new Date("2021-06-01T12:00:00+08:00"),
  maomingCountiesEve: new Date("2021-07-31T23:59:59.999+08:00"),
  maomingCountiesOpen: new Date("2021-08-01T00:00:00+08:00"),
};

const purchaser: SessionUser = { id: "u-1", username: "buyer", tenantCode: "440902", roles: ["purchaser"], unitCode: "440902-0001" };
const canCreate = (e: { state: ModuleState; units: string[] | null }) => allows(e.state, "create", purchaser, e.units);

describe("the seeded tenants and schedules (tenants/)", () => {
  const { tree, modules, entries, book } = loadAll(TENANTS_DIR);
  const onPlatform = tree.tenants.filter((t) => t.onPlatform !== false).map((t) => t.code);

  test("the tenant tree, the module catalogue and the seed schedules load", () => {
    expect(tree.root().code).toBe("440000");
    expect(tree.children("441300").map((t) => t.code)).toEqual(expect.arrayContaining(["441302", "441303", "441322", "441323", "441324"]));
    expect(modules.keys).toEqual(expect.arrayContaining(["supervision", "etrading", "emall", "legacy", "legacy-execution"]));
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(tree.get(e.tenant)).toBeDefined();
  });

  describe("etrading on 2021-06-01", () => {
    test.each([AT.june1, AT.june1Noon])("Huizhou city is live on its own entry, and its county Boluo follows it (%p)", (at) => {
      expect(book.effective("441300", "etrading", at)).toMatchObject({ state: "live", inherited: false, source: { tenant: "441300" }, next: null });
      expect(book.effective("441322", "etrading", at)).toMatchObject({ state: "live", inherited: true, source: { tenant: "441300" }, next: null });
    });

    test("Maoming city is live (since 2021-05-01)", () => {
      expect(book.effective("440900", "etrading", AT.june1)).toMatchObject({ state: "live", source: { tenant: "440900", from: new Date("2021-05-01T00:00:00+08:00") } });
      expect(book.effective("440900", "etrading", new Date("2021-04-30T23:59:59.999+08:00")).state).toBe("off");
    });

    test("Maoming's county Maonan is off until 2021-08-01, and opens for new business at midnight China time that day", () => {
      const eff = book.effective("440902", "etrading", AT.june1);
      expect(eff).toMatchObject({ state: "off", inherited: false, source: { tenant: "440902" } });
      expect(eff.next).toEqual({ at: AT.maomingCountiesOpen, state: "live" });
      const opens = book.opensAt("440902", "etrading", AT.june1, canCreate);
      expect(opens).toEqual(new Date("2021-07-31T16:00:00Z"));
      expect(localDate(opens!)).toBe("2021-08-01");
      expect(book.stateAt("440902", "etrading", AT.maomingCountiesEve.getTime()).state).toBe("off");
      expect(book.stateAt("440902", "etrading", AT.maomingCountiesOpen.getTime())).toMatchObject({ state: "live", inherited: true, source: { tenant: "440900" } });
    });

    test("Guangzhou is off, with no opening date", () => {
      expect(book.effective("440100", "etrading", AT.june1)).toMatchObject({ state: "off", source: { tenant: "440100" }, next: null });
      expect(book.opensAt("440100", "etrading", AT.june1, canCreate)).toBeNull();
    });
  });

  describe("the old procurement system (legacy)", () => {
    test.each(["create", "continue", "read"] as const)("it is live everywhere on 2020-12-31, so %s is allowed", (kind) => {
      for (const t of onPlatform) {
        for (const at of [AT.newYearsEve, AT.lastMillisOf2020]) {
          const s = book.stateAt(t, "legacy", at.getTime());
          expect({ t, state: s.state, allowed: allows(s.state, kind, purchaser, s.units) }).toEqual({ t, state: "live", allowed: true });
        }
      }
    });

    test("it is in sunset everywhere from 2021-01-01: no new business, existing business continues and can be read", () => {
      for (const t of onPlatform) {
        for (const at of [AT.platformDay, AT.june1]) {
          const s = book.stateAt(t, "legacy", at.getTime());
          expect({ t, state: s.state }).toEqual({ t, state: "sunset" });
          expect({ t, create: allows(s.state, "create", purchaser, s.units), continue: allows(s.state, "continue", purchaser, s.units), read: allows(s.state, "read", purchaser, s.units) }).toEqual({
            t,
            create: false,
            continue: true,
            read: true,
          });
        }
        expect(book.opensAt(t, "legacy", AT.june1, canCreate)).toBeNull();
      }
    });
  });

  test("supervision is live for every tenant on the platform from 2021-01-01, and not before", () => {
    for (const t of onPlatform) {
      expect({ t, state: book.stateAt(t, "supervision", AT.platformDay.getTime()).state }).toEqual({ t, state: "live" });
      expect({ t, state: book.stateAt(t, "supervision", AT.lastMillisOf2020.getTime()).state }).toEqual({ t, state: "off" });
    }
  });

  test("Shenzhen, which runs its own platform, inherits nothing from the province: every module is off there", () => {
    for (const m of modules.keys) expect(book.effective("440300", m, new Date("2022-01-01T00:00:00+08:00"))).toMatchObject({ state: "off", source: null, next: null });
  });

  test("the cities of the notice and Huizhou's counties make usernames by their own rule; everyone else keeps the old usernames", () => {
    const own = ["440500", "440200", "441700", "440700", "445300", "441302", "441303", "441322", "441323", "441324"];
    for (const t of tree.tenants) expect({ t: t.code, rule: tree.usernameRule(t.code) !== undefined }).toEqual({ t: t.code, rule: own.includes(t.code) });
    const templates = own.map((c) => tree.usernameRule(c)!.template);
    // the counties of Huizhou share one rule; the five cities each have their own
    expect(new Set(templates).size).toBe(6);
    for (const t of tree.tenants) expect(tree.initialPasswordDays(t.code)).toBe(90);
  });

  test("Shenzhen, which runs its own platform, has no schedule entries of its own", () => {
    expect(tree.get("440300")).toMatchObject({ onPlatform: false });
    expect(entries.filter((e) => e.tenant === "440300")).toEqual([]);
    for (const m of modules.keys) expect(book.own("440300", m)).toEqual([]);
  });
});

describe("a spoiled file under tenants/ stops start-up, naming the file, the JSON pointer and the reason", () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "gdpc-tenants-"));
    dir = path.join(root, "tenants");
    fs.cpSync(TENANTS_DIR, dir, { recursive: true });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  type Tenants = { tenants: Array<Record<string, unknown> & { code: string }> };
  type Schedules = { entries: Array<Record<string, unknown> & { tenant: string; module: string }> };
  const edit = <T>(name: string, change: (doc: T) => void) => {
    const file = path.join(dir, name);
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as T;
    change(doc);
    fs.writeFileSync(file, JSON.stringify(doc, null, 2));
  };
  const failure = (): { name: string; message: string } => {
    try {
      loadAll(dir);
    } catch (err) {
      expect(err).toBeInstanceOf(TenantDataError);
      return { name: (err as Error).name, message: (err as Error).message };
    }
    throw new Error("the spoiled data loaded without complaint");
  };
  const indexOfTenant = (code: string) => (JSON.parse(fs.readFileSync(path.join(dir, "tenants.json"), "utf8")) as Tenants).tenants.findIndex((t) => t.code === code);
  const indexOfEntry = (tenant: string, module: string, from: string) =>
    (JSON.parse(fs.readFileSync(path.join(dir, "schedules.json"), "utf8")) as Schedules).entries.findIndex((e) => e.tenant === tenant && e.module === module && e.from === from);
  const SCHEDULE_TIME = "a date (2021-05-01, midnight China time) or a time with its offset (2021-05-01T08:00:00+08:00)";

  test("the untouched copy loads (so every failure below is the spoil's doing)", () => {
    expect(loadAll(dir).entries.length).toBe(loadAll(TENANTS_DIR).entries.length);
  });

  test("a tenant with a malformed division code", () => {
    const i = indexOfTenant("441322");
    edit<Tenants>("tenants.json", (doc) => (doc.tenants[i].code = "44132"));
    expect(failure()).toEqual({ name: "TenantDataError", message: `tenants/tenants.json: /tenants/${i}/code: must match pattern "^[1-8][0-9]{5}$"` });
  });

  test("a tenant code listed twice", () => {
    let at = -1;
    edit<Tenants>("tenants.json", (doc) => {
      at = doc.tenants.push({ ...doc.tenants[indexOfTenant("441300")] }) - 1;
    });
    expect(failure().message).toBe(`tenants/tenants.json: /tenants/${at}/code: 441300 is listed twice`);
  });

  test("a county whose parent is not a known tenant", () => {
    const i = indexOfTenant("441322");
    edit<Tenants>("tenants.json", (doc) => (doc.tenants[i].parent = "441399"));
    expect(failure().message).toBe(`tenants/tenants.json: /tenants/${i}/parent: unknown tenant 441399`);
  });

  test("a city without a parent", () => {
    const i = indexOfTenant("440100");
    edit<Tenants>("tenants.json", (doc) => delete doc.tenants[i].parent);
    expect(failure().message).toBe(`tenants/tenants.json: /tenants/${i}/parent: the province has no parent, and every other tenant has one`);
  });

  const RULE_PLACEHOLDERS = "{username}, {unit_code}, {credential}, {tenant}, {role}";

  test("a username rule with a placeholder that does not exist", () => {
    const i = indexOfTenant("440500");
    edit<Tenants>("tenants.json", (doc) => (doc.tenants[i].accounts = { usernameRule: "st{budget}" }));
    expect(failure().message).toBe(`tenants/tenants.json: /tenants/${i}/accounts/usernameRule: "st{budget}": unknown placeholder {budget}; a rule may use ${RULE_PLACEHOLDERS}`);
  });

  test("a username rule without any placeholder", () => {
    const i = indexOfTenant("441323");
    edit<Tenants>("tenants.json", (doc) => (doc.tenants[i].accounts = { usernameRule: "huidong" }));
    expect(failure().message).toBe(
      `tenants/tenants.json: /tenants/${i}/accounts/usernameRule: "huidong": no placeholder, so every account would get the same username; use one of ${RULE_PLACEHOLDERS}`,
    );
  });

  test("a username rule whose brace is never closed", () => {
    const i = indexOfTenant("440200");
    edit<Tenants>("tenants.json", (doc) => (doc.tenants[i].accounts = { usernameRule: "sg_{username" }));
    expect(failure().message).toBe(`tenants/tenants.json: /tenants/${i}/accounts/usernameRule: "sg_{username": the placeholder opened at character 4 is not closed with "}"`);
  });

  test.each([0, 366, 7.5])("a first password that would work for %p days", (days) => {
    const i = indexOfTenant("440100");
    edit<Tenants>("tenants.json", (doc) => (doc.tenants[i].accounts = { initialPasswordDays: days }));
    expect(failure().message).toMatch(new RegExp(`^tenants/tenants\\.json: /tenants/${i}/accounts/initialPasswordDays: must be (>= 1|<= 365|integer)$`));
  });

  test("the old flag ownAccountRule, which says no rule", () => {
    const i = indexOfTenant("440500");
    edit<Tenants>("tenants.json", (doc) => {
      delete doc.tenants[i].accounts;
      doc.tenants[i].ownAccountRule = true;
    });
    expect(failure().message).toBe(`tenants/tenants.json: /tenants/${i}/ownAccountRule: must NOT have additional properties`);
  });

  test("lowercase without a rule to lowercase", () => {
    const i = indexOfTenant("440100");
    edit<Tenants>("tenants.json", (doc) => (doc.tenants[i].accounts = { lowercase: true }));
    expect(failure().message).toBe(`tenants/tenants.json: /tenants/${i}/accounts: must have property usernameRule when property lowercase is present`);
  });

  test("a schedule entry for a module that does not exist", () => {
    const i = indexOfEntry("441300", "etrading", "2021-01-01");
    edit<Schedules>("schedules.json", (doc) => (doc.entries[i].module = "etrade"));
    expect(failure().message).toBe(`tenants/schedules.json: /entries/${i}/module: unknown module "etrade"`);
  });

  test("a schedule entry with a state that does not exist", () => {
    const i = indexOfEntry("441300", "etrading", "2021-01-01");
    edit<Schedules>("schedules.json", (doc) => (doc.entries[i].state = "open"));
    expect(failure().message).toBe(`tenants/schedules.json: /entries/${i}/state: must be equal to one of the allowed values`);
  });

  test.each([
    ["before", "2020-12-01"],
    ["equal to", "2021-01-01"],
  ])("a schedule entry whose until is %s its from", (_how, until) => {
    const i = indexOfEntry("440900", "etrading", "2021-01-01");
    edit<Schedules>("schedules.json", (doc) => (doc.entries[i].until = until));
    expect(failure().message).toBe(`tenants/schedules.json: /entries/${i}/until: must be after from`);
  });

  test.each([
    ["from", "2021-02-30"],
    ["from", "2021-05-01T08:00:00"],
    ["until", "1 May 2021"],
  ])("a schedule entry with a malformed date in %s (%j)", (field, value) => {
    const i = indexOfEntry("440900", "etrading", "2021-01-01");
    edit<Schedules>("schedules.json", (doc) => (doc.entries[i][field] = value));
    expect(failure().message).toBe(`tenants/schedules.json: /entries/${i}/${field}: ${SCHEDULE_TIME}`);
  });

  test("two entries of one tenant for one module that overlap at the edge", () => {
    // Maoming's off entry now runs to 06-01, past the start of its live entry on 05-01.
    const off = indexOfEntry("440900", "etrading", "2021-01-01");
    const live = indexOfEntry("440900", "etrading", "2021-05-01");
    expect(off).toBeLessThan(live);
    edit<Schedules>("schedules.json", (doc) => (doc.entries[off].until = "2021-06-01"));
    expect(failure().message).toBe(`tenants/schedules.json: /entries/${live}: overlaps another entry of 440900 for etrading`);
  });

  test("an entry that lies inside another of the same tenant and module", () => {
    let at = -1;
    edit<Schedules>("schedules.json", (doc) => {
      at = doc.entries.push({ tenant: "441300", module: "etrading", state: "pilot", from: "2021-03-01", until: "2021-04-01", units: ["441300-0001"] }) - 1;
    });
    expect(failure().message).toBe(`tenants/schedules.json: /entries/${at}: overlaps another entry of 441300 for etrading`);
  });

  test("an entry that covers another of the same tenant and module", () => {
    let at = -1;
    edit<Schedules>("schedules.json", (doc) => {
      at = doc.entries.push({ tenant: "440902", module: "etrading", state: "off", from: "2020-12-01", until: "2021-09-01" }) - 1;
    });
    expect(failure().message).toBe(`tenants/schedules.json: /entries/${at}: overlaps another entry of 440902 for etrading`);
  });

  test("an entry for Shenzhen, which is not on this platform", () => {
    let at = -1;
    edit<Schedules>("schedules.json", (doc) => {
      at = doc.entries.push({ tenant: "440300", module: "etrading", state: "live", from: "2021-01-01" }) - 1;
    });
    expect(failure().message).toBe(`tenants/schedules.json: /entries/${at}/tenant: Shenzhen is not on this platform`);
  });

  test("an entry for a tenant that is not in the tree", () => {
    let at = -1;
    edit<Schedules>("schedules.json", (doc) => {
      at = doc.entries.push({ tenant: "449999", module: "etrading", state: "live", from: "2021-01-01" }) - 1;
    });
    expect(failure().message).toBe(`tenants/schedules.json: /entries/${at}/tenant: unknown tenant 449999`);
  });

  test("a module catalogue entry without a title in both languages", () => {
    edit<{ modules: Array<Record<string, unknown>> }>("modules.json", (doc) => {
      doc.modules[2].title = { "zh-CN": "电子卖场系统" };
    });
    expect(failure().message).toBe("tenants/modules.json: /modules/2/title/en: must have required property 'en'");
  });

  test("a file that is not JSON at all", () => {
    fs.writeFileSync(path.join(dir, "schedules.json"), "{ entries: [");
    expect(failure().message).toMatch(/^tenants\/schedules\.json: \/: cannot be read as JSON: /);
  });
});
