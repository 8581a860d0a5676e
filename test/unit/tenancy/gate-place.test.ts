import { moduleGate, moduleRefusal, type GatePlace, type GateSources } from "../../../core/tenancy/gate";
import { Clock } from "../../../core/tenancy/clock";
import { putEntry, ScheduleBook, type ModuleState, type ScheduleEntry } from "../../../core/tenancy/schedule";
import { parseScheduleTime } from "../../../core/tenancy/time";
import { TenantTree } from "../../../core/tenancy/tree";
import { notFound, PlatformError } from "../../../core/errors";
import type { ActionKind, PlatformActionSchema, PlatformContext, SessionUser } from "../../../core/plugins/types";

/**
 * The gate applies where the business is (DESIGN.md §5): an action or step on an object names the
 * object's tenant and unit, and that tenant's schedule decides, not the caller's.
 */
const PROVINCE = "440000";
const GUANGZHOU = "440100";
const HUIZHOU = "441300";
const HUICHENG = "441302";
const MAOMING = "440900";
const MAONAN = "440902";

const tree = new TenantTree([
  { code: PROVINCE, name: { "zh-CN": "广东省", en: "Guangdong" }, level: "province" },
  { code: GUANGZHOU, name: { "zh-CN": "广州市", en: "Guangzhou" }, level: "city", parent: PROVINCE },
  { code: HUIZHOU, name: { "zh-CN": "惠州市", en: "Huizhou" }, level: "city", parent: PROVINCE },
  { code: HUICHENG, name: { "zh-CN": "惠城区", en: "Huicheng" }, level: "county", parent: HUIZHOU },
  { code: MAOMING, name: { "zh-CN": "茂名市", en: "Maoming" }, level: "city", parent: PROVINCE },
  { code: MAONAN, name: { "zh-CN": "茂南区", en: "Maonan" }, level: "county", parent: MAOMING },
]);

const at = (value: string): Date => {
  const d = parseScheduleTime(value);
  if (!d) throw new Error(`bad date in test: ${value}`);
  return d;
};
const M = "etrading";
const entry = (tenant: string, state: ModuleState, from: string, until?: string, units?: string[]): ScheduleEntry => ({
  tenant, module: M, state, from: at(from), until: until ? at(until) : null, units: units ?? null,
});

/** The seed's shape for e-trading: province and Huizhou live, Guangzhou off, Maoming from May, its counties from August. */
const SEED = [
  entry(PROVINCE, "live", "2021-01-01"),
  entry(GUANGZHOU, "off", "2021-01-01"),
  entry(HUIZHOU, "live", "2021-01-01"),
  entry(MAOMING, "off", "2021-01-01", "2021-05-01"),
  entry(MAOMING, "live", "2021-05-01"),
  entry(MAONAN, "off", "2021-01-01", "2021-08-01"),
];

/** The seed with one tenant's entry put in, as an administrator's PUT does (the rest of the book stays). */
const withEntry = (e: ScheduleEntry) => [...SEED.filter((x) => x.tenant !== e.tenant), ...putEntry(SEED.filter((x) => x.tenant === e.tenant), e)];

function sources(entries: ScheduleEntry[], now: string): GateSources {
  const clock = new Clock();
  clock.travelTo(at(now));
  const book = new ScheduleBook(tree, entries);
  return { book: () => book, clock, moduleTitle: () => ({ "zh-CN": "项目采购电子交易系统", en: "Project procurement e-trading" }), rootTenant: PROVINCE };
}

const person = (tenantCode: string, roles: string[], unitCode?: string): SessionUser => ({
  id: `${tenantCode}-${roles.join("-")}-${unitCode ?? ""}`, username: "someone", tenantCode, roles, unitCode, oversees: roles.includes("regulator"),
});
const gzSupplier = person(GUANGZHOU, ["supplier"], "91440100MA00000001");
const hzSupplier = person(HUIZHOU, ["supplier"], "91441300MA00000001");
const hzTender: GatePlace = { tenantCode: HUIZHOU, unitCode: "441300401" };
const maonanTender: GatePlace = { tenantCode: MAONAN, unitCode: "440902301" };

const refusalOf = (src: GateSources, kind: ActionKind, user: SessionUser, place?: GatePlace) => {
  const r = moduleRefusal(src, M, kind, user, place);
  return r && { code: r.code, type: r.type, data: r.data as { messages: Record<string, string>; details: { tenant: string; state: string; opensAt: string | null } } };
};

describe("moduleRefusal by the place of the business", () => {
  const src = sources(SEED, "2021-06-01");

  test("a Guangzhou supplier (e-trading off at home) acts on a Huizhou tender while Huizhou is live", () => {
    expect(refusalOf(src, "continue", gzSupplier, hzTender)).toBeNull();
    expect(refusalOf(src, "read", gzSupplier, hzTender)).toBeNull();
  });

  test("an action that names no place keeps the caller's tenant's rule, and the refusal names the caller's region", () => {
    const r = refusalOf(src, "continue", gzSupplier);
    expect(r).toMatchObject({ code: 403, type: "MODULE_NOT_ENABLED", data: { details: { tenant: GUANGZHOU, state: "off" } } });
    expect(r!.data.messages["zh-CN"]).toContain("广州市");
  });

  test("nobody acts on a Maonan tender before Maonan's date, whatever their own region; the refusal names Maonan and its date", () => {
    for (const who of [gzSupplier, hzSupplier, person(PROVINCE, ["supplier"], "91440000MA00000001")]) {
      const r = refusalOf(src, "continue", who, maonanTender);
      expect(r).toMatchObject({ type: "MODULE_NOT_ENABLED", data: { details: { tenant: MAONAN, state: "off", opensAt: at("2021-08-01").toISOString() } } });
      expect(r!.data.messages["zh-CN"]).toBe("茂南区的「项目采购电子交易系统」当前未开通，不能办理此业务；将于 2021-08-01 开通");
      expect(r!.data.messages.en).toBe("Project procurement e-trading is off for Maonan; this is not possible there now; it opens on 2021-08-01");
    }
    expect(refusalOf(sources(SEED, "2021-08-02"), "continue", hzSupplier, maonanTender)).toBeNull();
  });

  test("a county without its own entry follows its city: a Huicheng tender is Huizhou's schedule", () => {
    expect(refusalOf(src, "continue", gzSupplier, { tenantCode: HUICHENG, unitCode: null })).toBeNull();
  });

  describe("pilot: the listed units are purchasing units, checked against the object's unit", () => {
    const pilot = sources(withEntry(entry(HUIZHOU, "pilot", "2021-06-01", "2021-07-01", ["441300401"])), "2021-06-10");

    test("a supplier (its own unit not listed) acts on the listed unit's tender", () => {
      expect(refusalOf(pilot, "continue", gzSupplier, hzTender)).toBeNull();
    });

    test("not on another unit's tender, nor on a tender without a unit", () => {
      const r = refusalOf(pilot, "continue", gzSupplier, { tenantCode: HUIZHOU, unitCode: "441300402" });
      expect(r).toMatchObject({ type: "MODULE_NOT_ENABLED", data: { details: { tenant: HUIZHOU, state: "pilot" } } });
      expect(refusalOf(pilot, "continue", gzSupplier, { tenantCode: HUIZHOU })).not.toBeNull();
    });

    test("a caller whose own unit is listed gets nothing from it on an unlisted unit's business", () => {
      const listedBuyer = person(HUIZHOU, ["purchaser"], "441300401");
      expect(refusalOf(pilot, "continue", listedBuyer, { tenantCode: HUIZHOU, unitCode: "441300402" })).not.toBeNull();
      // starting business of one's own names no place: the caller's unit, as before
      expect(refusalOf(pilot, "create", listedBuyer)).toBeNull();
    });
  });

  describe("sunset, by the object's region", () => {
    const sunset = sources(withEntry(entry(HUIZHOU, "sunset", "2021-06-01")), "2021-06-10");

    test("continue and read allowed, create refused, though the caller's own region is live", () => {
      const provinceSupplier = person(PROVINCE, ["supplier"], "91440000MA00000001");
      expect(refusalOf(sunset, "continue", provinceSupplier, hzTender)).toBeNull();
      expect(refusalOf(sunset, "read", provinceSupplier, hzTender)).toBeNull();
      expect(refusalOf(sunset, "create", provinceSupplier, hzTender)).toMatchObject({ type: "MODULE_NOT_ENABLED", data: { details: { tenant: HUIZHOU, state: "sunset" } } });
      // and the other way round: Huizhou's sunset does not reach a live region's business
      expect(refusalOf(sunset, "create", hzSupplier, { tenantCode: MAOMING })).toBeNull();
    });
  });

  describe("retired: read by those who oversee that region only", () => {
    const retired = sources(withEntry(entry(HUIZHOU, "retired", "2021-06-01")), "2021-06-10");

    test("Huizhou's regulator and the province's read a Huizhou tender; Maoming's regulator and suppliers do not", () => {
      expect(refusalOf(retired, "read", person(HUIZHOU, ["regulator"]), hzTender)).toBeNull();
      expect(refusalOf(retired, "read", person(PROVINCE, ["regulator"]), hzTender)).toBeNull();
      expect(refusalOf(retired, "read", person(MAOMING, ["regulator"]), hzTender)).toMatchObject({ data: { details: { tenant: HUIZHOU, state: "retired" } } });
      expect(refusalOf(retired, "read", gzSupplier, hzTender)).not.toBeNull();
      // a county's regulator does not oversee its city's business
      expect(refusalOf(retired, "read", person(HUICHENG, ["regulator"]), hzTender)).not.toBeNull();
      expect(refusalOf(retired, "continue", person(HUIZHOU, ["regulator"]), hzTender)).not.toBeNull();
    });
  });
});

describe("the module gate middleware with a declared place (gate.of)", () => {
  const src = sources(SEED, "2021-06-01");
  const handled: string[] = [];
  const next = async (ctx: PlatformContext) => {
    handled.push(String((ctx.params as { id: string }).id));
    return "handled";
  };
  const TENDERS: Record<string, GatePlace> = { hz: hzTender, maonan: maonanTender };
  const service = { db: "the service's db" };
  const action = (over: Partial<PlatformActionSchema> = {}) =>
    ({
      name: "etrading.register",
      module: M,
      kind: "continue",
      permission: "authenticated",
      gate: {
        async of(this: { db: string }, ctx: PlatformContext) {
          // called on the service, as a handler is
          if (this.db !== service.db) throw new Error("not called on its service");
          const place = TENDERS[(ctx.params as { id: string }).id];
          if (!place) throw notFound({ "zh-CN": "采购项目", en: "procurement" });
          return place;
        },
      },
      ...over,
    }) as PlatformActionSchema;
  const wrap = (a: PlatformActionSchema) =>
    (moduleGate(src) as unknown as { localAction: (n: typeof next, a: PlatformActionSchema) => (ctx: PlatformContext) => Promise<unknown> }).localAction(next, a);
  const ctx = (id: string, user: SessionUser | null) => ({ params: { id }, meta: { user }, service }) as unknown as PlatformContext;

  beforeEach(() => handled.splice(0));

  test("the object's region decides: Guangzhou's supplier on a Huizhou tender reaches the handler, on a Maonan one gets the refusal", async () => {
    const handler = wrap(action());
    await expect(handler(ctx("hz", gzSupplier))).resolves.toBe("handled");
    await expect(handler(ctx("maonan", hzSupplier))).rejects.toMatchObject({ type: "MODULE_NOT_ENABLED", data: { details: { tenant: MAONAN } } });
    expect(handled).toEqual(["hz"]);
  });

  test("an object that does not exist answers the resolver's 404, not a gate error", async () => {
    const err = await wrap(action())(ctx("nothing", gzSupplier)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ code: 404, type: "NOT_FOUND" });
    expect(handled).toEqual([]);
  });

  test("a resolver that answers no tenant is the plugin's bug: an internal error naming the action, never a decision", async () => {
    const bad = action({ gate: { of: async () => ({ unitCode: "441300401" }) as unknown as GatePlace } });
    const err = await wrap(bad)(ctx("hz", gzSupplier)).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).not.toBeInstanceOf(PlatformError);
    expect(err?.message).toContain("etrading.register.gate.of");
    expect(handled).toEqual([]);
  });

  test("a caller who is not signed in is not told whether the object exists: the permission gate answers", async () => {
    await expect(wrap(action())(ctx("nothing", null))).resolves.toBe("handled");
  });

  test("a gate without `of` stops the service from being wired", () => {
    expect(() => wrap(action({ gate: {} as never }))).toThrow(/etrading\.register\.gate/);
  });

  test("an action that declares nothing keeps the caller's tenant's schedule", async () => {
    const plain = wrap(action({ gate: undefined }));
    await expect(plain(ctx("hz", gzSupplier))).rejects.toMatchObject({ type: "MODULE_NOT_ENABLED", data: { details: { tenant: GUANGZHOU } } });
    await expect(plain(ctx("hz", hzSupplier))).resolves.toBe("handled");
  });
});
