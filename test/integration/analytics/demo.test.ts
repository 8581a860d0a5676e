import { DEFAULT_OCID_PREFIX } from "../../../plugins/analytics/ocds-config";
import { DEMO_MONTHS, demoMonths } from "../../../plugins/analytics/demo";
import { historyFacts, writeHistory } from "../../../plugins/analytics/services/history";
import { tenantTree } from "../../../core/sdk";
import type { TestPlatform } from "../../support/kernel";
import { explain, ocdsValidators } from "./ocds-schemas";
import { startAnalyticsPlatform } from "./support";

/**
 * The analytics' demo (plugins/analytics/demo.ts): the first start writes 24 months of projects in
 * every city, read back over HTTP as the province's regulator and the public read them; a second
 * run writes nothing. One platform with the analytics alone (and the demo accounts, whose platform
 * administrator runs the demo).
 */
describe("the analytics demo's 24 months", () => {
  let platform: TestPlatform;
  let startMs = 0;
  let token = "";
  const knex = () => platform.kernel.db.knex;
  const count = async (table: string) => Number((await knex()(table).count({ n: "*" }))[0].n);

  beforeAll(async () => {
    // the suites run without the history (test/support/global-setup.ts); this one reads it
    process.env.ANALYTICS_DEMO_MONTHS = String(DEMO_MONTHS);
    const t0 = Date.now();
    platform = await startAnalyticsPlatform({ plugins: ["analytics"], demo: true });
    startMs = Date.now() - t0;
    token = await platform.token({ roles: ["tenant-admin"], tenantCode: "440000" });
  }, 180_000);
  afterAll(async () => {
    process.env.ANALYTICS_DEMO_MONTHS = "0";
    await platform?.stop();
  });

  test("every city has 24 months of projects: trends by month and region, breaches and red flags on the first start", async () => {
    const cities = tenantTree().children(tenantTree().root().code);
    const res = await platform.api("/api/analytics/dashboard", { token });
    expect(res.status).toBe(200);
    const d = res.body;
    // the months the projects were planned in: two years, up to this month
    const planned = (d.byMonth as Array<{ month: string; planned: number }>).filter((m) => m.planned > 0);
    expect(planned.length).toBeGreaterThanOrEqual(DEMO_MONTHS);
    expect(d.byRegion.map((r: { code: string }) => r.code).sort()).toEqual(cities.map((c) => c.code).sort());
    for (const r of d.byRegion as Array<{ code: string; planned: number; contracted: number; paid: number }>) {
      expect({ code: r.code, planned: r.planned > 0, contracted: r.contracted > 0, paid: r.paid > 0 }).toEqual({ code: r.code, planned: true, contracted: true, paid: true });
    }
    // every stage's figures and cycle times, by method
    expect(d.totals.awards).toBeGreaterThan(cities.length * 20);
    expect(d.cycles.map((c: { kind: string }) => c.kind)).toEqual(expect.arrayContaining(["intention-contract", "contract-payment"]));
    expect(d.competition.singleBidShare).toBeGreaterThan(0);
    expect(d.sme.awardedShare).toBeGreaterThan(0);
    // deadlines missed under both rules (contract.publish, payment.invoice30days), each linked
    expect(new Set(d.breaches.map((b: { rule: string }) => b.rule))).toEqual(new Set(["contract.publish", "payment.invoice30days"]));

    const flags = await platform.api("/api/analytics/flags", { token });
    expect(flags.status).toBe(200);
    const counts = flags.body.counts as Record<string, number>;
    for (const f of ["single-bid", "repeat-winner", "contract-above-award", "short-tender-period", "non-competitive-share"]) expect({ f, raised: (counts[f] ?? 0) > 0 }).toEqual({ f, raised: true });

    // the open-data page shows the same trend to everybody
    const open = await platform.api("/api/analytics/public");
    expect(open.body.byMonth.filter((m: { planned: number }) => m.planned > 0).length).toBeGreaterThanOrEqual(DEMO_MONTHS);
    // eslint-disable-next-line no-console
    console.log(`analytics demo: first start with the analytics alone took ${startMs} ms for ${await count("analytics_ocds_projects")} projects, ${await count("analytics_ocds_releases")} releases`);
  });

  test("the demo's releases are valid OCDS 1.1.5, with the extension", async () => {
    const v = ocdsValidators();
    const sample = await platform.api("/api/analytics/ocds/releases?pageSize=100");
    expect(sample.status).toBe(200);
    expect({ ok: v.releasePackage(sample.body), errors: explain(v.releasePackage.errors) }).toEqual({ ok: true, errors: [] });
    for (const r of sample.body.releases) expect({ id: r.id, ok: v.extendedRelease(r), errors: explain(v.extendedRelease.errors) }).toEqual({ id: r.id, ok: true, errors: [] });
    const record = await platform.api(`/api/analytics/ocds/records/${sample.body.releases.find((r: { tag: string[] }) => r.tag.includes("implementation"))?.ocid ?? sample.body.releases[0].ocid}`);
    expect(record.status).toBe(200);
    expect({ ok: v.extendedRelease(record.body.records[0].compiledRelease), errors: explain(v.extendedRelease.errors) }).toEqual({ ok: true, errors: [] });
  });

  test("a second run writes nothing, and the history is the same facts every time", async () => {
    const before = { releases: await count("analytics_ocds_releases"), seen: await count("analytics_agg_seen"), flags: await count("analytics_agg_flags") };
    const again = await writeHistory(knex(), DEFAULT_OCID_PREFIX, new Date(), DEMO_MONTHS);
    expect(again).toEqual({ facts: 0, projects: 0, skipped: true });
    expect({ releases: await count("analytics_ocds_releases"), seen: await count("analytics_agg_seen"), flags: await count("analytics_agg_flags") }).toEqual(before);
    const now = new Date();
    expect(historyFacts(now, DEMO_MONTHS)).toEqual(historyFacts(now, DEMO_MONTHS));
    // the deployment's setting: none, or up to three years; anything else stops the demo by name
    expect([demoMonths({}), demoMonths({ ANALYTICS_DEMO_MONTHS: "0" }), demoMonths({ ANALYTICS_DEMO_MONTHS: "12" })]).toEqual([24, 0, 12]);
    expect(() => demoMonths({ ANALYTICS_DEMO_MONTHS: "40" })).toThrow("ANALYTICS_DEMO_MONTHS must be a whole number from 0 to 36");
  });
});
