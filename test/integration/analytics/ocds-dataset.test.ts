import { buildRelease, contextAfter, type ProjectContext, type Release } from "../../../plugins/analytics/services/ocds-builder";
import { recordOf } from "../../../plugins/analytics/services/ocds";
import { DEFAULT_OCID_PREFIX } from "../../../plugins/analytics/ocds-config";
import { ocdsDataset } from "../../fixtures/ocds-dataset";
import { explain, ocdsValidators } from "./ocds-schemas";

/**
 * Every release and record of a generated 10,000-project dataset against the official OCDS 1.1.5
 * schemas (draft-04, compiled once), by the same functions the feed's event handler and routes run:
 * each release in a release package and in its record package, each compiled release also against
 * the schema with the extension.
 * No database: what is checked is what the builder makes of every kind of fact.
 */
describe("OCDS releases of a generated 10,000-project dataset", () => {
  const v = ocdsValidators();
  const head = { uri: "https://example.gov.cn/api/analytics/ocds/releases", version: "1.1", publishedDate: "2026-12-07T00:00:00Z", publisher: { name: "广东省财政厅" } };

  test("the validators refuse what the schemas refuse (a closed codelist, a missing required id, a bad date, a bad extension field)", () => {
    const ok = { ocid: "ocds-xxxxxx-gd-1", id: "1", date: "2026-01-01T00:00:00+08:00", tag: ["tender"], initiationType: "tender", tender: { id: "t", status: "active" } };
    expect(v.release(ok)).toBe(true);
    expect(v.release({ ...ok, tender: { id: "t", status: "open-for-bids" } })).toBe(false);
    expect(v.release({ ...ok, contracts: [{ id: "c" }] })).toBe(false);
    expect(v.release({ ...ok, date: "2026-01-01" })).toBe(false);
    expect(v.releasePackage({ ...head, releases: [{ ...ok, tag: undefined }] })).toBe(false);
    expect(v.extendedRelease({ ...ok, tender: { id: "t", chinaMethod: { code: "auction" } } })).toBe(false);
    expect(v.extendedRelease({ ...ok, planning: { intention: { expectedMonth: "2026-13" } } })).toBe(false);
  });

  test("every release, release package and record package validates, and the extension's fields too", () => {
    const started = Date.now();
    const cpu = process.cpuUsage();
    const failures: string[] = [];
    let releases = 0;
    let records = 0;
    const tags = new Set<string>();
    const methods = new Set<string>();
    let page: Release[] = [];
    const checkPage = () => {
      if (!v.releasePackage({ ...head, releases: page })) failures.push(`release package: ${explain(v.releasePackage.errors)}`);
      page = [];
    };
    for (const facts of ocdsDataset(10_000)) {
      let ctx: ProjectContext = {};
      const made: Release[] = [];
      for (const f of facts) {
        ctx = contextAfter(ctx, f);
        const r = buildRelease(DEFAULT_OCID_PREFIX, f, ctx);
        releases++;
        r.tag.forEach((t: string) => tags.add(t));
        if (r.tender?.procurementMethod) methods.add(r.tender.procurementMethod);
        made.push(r);
        page.push(r);
        if (page.length === 100) checkPage();
      }
      const record = recordOf(made[0].ocid, made);
      records++;
      if (failures.length < 10 && !v.recordPackage({ ...head, records: [record] })) failures.push(`record ${record.ocid}: ${explain(v.recordPackage.errors)}`);
      // the extension's fields: the compiled release holds every one the project's releases set
      if (failures.length < 10 && !v.extendedRelease(record.compiledRelease)) failures.push(`compiled ${record.ocid}: ${explain(v.extendedRelease.errors)}`);
    }
    if (page.length) checkPage();
    expect(failures).toEqual([]);
    expect(records).toBe(10_000);
    // every stage and every OCDS method the mapping can give is in the dataset
    expect([...tags].sort()).toEqual(["award", "contract", "implementation", "planning", "planningUpdate", "tender", "tenderAmendment", "tenderCancellation"]);
    expect([...methods].sort()).toEqual(["direct", "limited", "open", "selective"]);
    const used = process.cpuUsage(cpu);
    console.log(`[ocds] ${releases} releases and ${records} records validated in ${Date.now() - started} ms (${Math.round((used.user + used.system) / 1000)} ms of CPU)`);
    // about 8 s on an idle 2-core machine; the timeout leaves room for a loaded CI runner
  }, 180_000);
});
