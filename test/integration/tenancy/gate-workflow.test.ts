import { intention, lifecycle, type Lifecycle, ok, plan, UNITS } from "../supervision/support";

/**
 * The workflow engine gates a transition on an existing instance by the instance's tenant and owner
 * unit (core/tenancy/README.md "The gate"), not by the caller's: a regulator files a plan of a
 * pilot's listed unit though the regulator has no unit, and the province's regulator, whose own
 * schedule is live, cannot file a plan where the region's pilot leaves the plan's unit out.
 */
describe("workflow transitions by the instance's place", () => {
  let l: Lifecycle;

  beforeAll(async () => {
    l = await lifecycle();
    l.tokens.provinceRegulator = await l.platform.token({ roles: ["regulator"], tenantCode: "440000" });
  });
  afterAll(() => l.platform.stop());
  afterEach(() => l.platform.kernel.clock.reset());

  /** A plan of `who`'s unit, submitted and waiting for the regulator to file it. */
  const submittedPlan = async (who: "buyer" | "otherBuyer", n: number) => {
    l.travel("2027-01-20");
    const started = ok(await l.start(who, "supervision.intention", intention({ projectName: `惠州市道路照明设备采购（${n}）`, expectedMonth: "2027-03" })), 201);
    ok(await l.take(who, started.id, "publish"));
    l.travel("2027-02-26");
    const p = ok(await l.start(who, "supervision.plan", plan(started.data.projectId, { budgetCode: UNITS[who].budgetCode })), 201);
    ok(await l.take(who, p.id, "submit"));
    return p.id as string;
  };

  test("pilot of supervision in Huizhou for one unit: its plan is filed by Huizhou's regulator; another unit's is refused even to the province's regulator", async () => {
    const listed = await submittedPlan("buyer", 1);
    const other = await submittedPlan("otherBuyer", 2);
    const from = new Date(l.platform.kernel.clock.nowMs() + 86_400_000);
    ok(await l.call("admin", "/api/tenants/441300/modules/supervision", { method: "PUT", body: { state: "pilot", from: from.toISOString(), units: [UNITS.buyer.budgetCode] } }));
    l.platform.kernel.clock.travelTo(new Date(from.getTime() + 3600_000));

    // the province is live for supervision, but the plan is Huizhou's business and its unit is not in the pilot
    const refused = await l.take("provinceRegulator", other, "file");
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: "MODULE_NOT_ENABLED", details: { tenant: "441300", state: "pilot" } });
    expect(refused.body.error.message).toContain("惠州市");
    const stillSubmitted = ok(await l.call("regulator", `/api/instances/${other}`));
    expect(stillSubmitted.version).toBe(2);
    // and it is offered nothing there
    expect(ok(await l.call("provinceRegulator", `/api/instances/${other}/transitions`))).toEqual([]);

    // the listed unit's plan: the regulator (who belongs to no unit) files it
    expect(ok(await l.call("regulator", `/api/instances/${listed}/transitions`)).map((x: { name: string }) => x.name)).toContain("file");
    const filed = await l.take("regulator", listed, "file");
    expect([filed.status, filed.body.error]).toEqual([200, undefined]);
  });
});
