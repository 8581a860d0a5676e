import { spawnSync } from "node:child_process";
import path from "node:path";
import type { ErrorDetail } from "../../../core/errors";
import { detailsOf, type JsonObject } from "../../../core/forms/compile";
import { compose, type OverlayDocument } from "../../../core/forms/overlay";
import { compileFormSchema, readFormFiles, servedSchema } from "../../../core/forms/validate";
import { planPayload } from "../../fixtures/forms/plan-payload";

/**
 * The browser (rjsf with @rjsf/validator-ajv8) and the server (core/forms) judge the same
 * payloads the same way, and point at the same fields for the same rules.
 */
const ROOT = path.resolve(__dirname, "../../..");
const FIXTURES = path.resolve(__dirname, "../../fixtures/forms");

type Payload = Record<string, unknown>;
type Case = [name: string, data: unknown, valid: boolean];

function serverVerdict(schema: JsonObject, data: unknown): ErrorDetail[] {
  const fn = compileFormSchema(schema, "test");
  return fn(data) ? [] : detailsOf(fn.errors ?? []);
}

/**
 * Every case is judged by the browser's validator in one child process (see the script), before
 * the tests run; each test then compares.
 */
const suites: Array<{ title: string; schema: JsonObject; cases: Case[] }> = [];

function browserVerdicts(): string[][] {
  const input = suites.flatMap((s) => s.cases.map(([, data]) => ({ schema: s.schema, data })));
  const run = spawnSync(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(FIXTURES, "browser-verdicts.ts")], { cwd: ROOT, input: JSON.stringify(input), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`the browser's validator did not run: ${run.stderr}`);
  return JSON.parse(run.stdout) as string[][];
}

const plan = (change: (p: Payload & { items: Payload[] }) => void = () => {}) => {
  const p = planPayload(20);
  change(p);
  return p;
};

{
  const { schema } = readFormFiles("fixture.plan", FIXTURES);
  suites.push({ title: "the plan filing: browser and server give the same verdict", schema: servedSchema(schema), cases: [
    ["a complete plan of 20 lines", plan(), true],
    ["starting on a Sunday moved into work (调休)", plan((p) => (p.expectedStart = "2026-09-20")), true],
    ["a share of 0.07 % (a multipleOf 0.01 that binary floating point gets wrong)", plan((p) => (p.smeShare = 0.07)), true],
    ["without the optional fields", plan((p) => { delete p.contactName; delete p.smeShare; delete p.purpose; }), true],
    ["starting on National Day", plan((p) => (p.expectedStart = "2026-10-01")), false],
    ["starting on an ordinary Saturday", plan((p) => (p.expectedStart = "2026-12-05")), false],
    ["the budget as a JSON number", plan((p) => (p.totalBudget = 1234.5)), false],
    ["a budget of nothing", plan((p) => (p.totalBudget = "0")), false],
    ["an amount with three decimals", plan((p) => (p.items[3].amount = "1.234")), false],
    ["a negative unit price", plan((p) => (p.items[5].unitPrice = "-1.00")), false],
    ["a purchaser's credit code with a wrong check character", plan((p) => ((p.purchaser as Payload).creditCode = "91440300708461136A")), false],
    ["a purchaser without its budget code", plan((p) => delete (p.purchaser as Payload).budgetCode), false],
    ["a line without an amount", plan((p) => delete p.items[7].amount), false],
    ["a field the form does not have", plan((p) => (p.approved = true)), false],
    ["a field a line does not have", plan((p) => (p.items[2].discount = "5")), false],
    ["no lines at all", plan((p) => (p.items = [])), false],
    ["a quantity of zero", plan((p) => (p.items[0].quantity = 0)), false],
    ["a catalogue code of no kind", plan((p) => (p.items[1].catalogCode = "D0101")), false],
    ["delivery on 29 February 2027", plan((p) => (p.items[9].deliveryDate = "2027-02-29")), false],
    ["a method the law does not have", plan((p) => (p.method = "auction")), false],
    ["a share of 33.333 %", plan((p) => (p.smeShare = 33.333)), false],
    ["a budget year before 2020", plan((p) => (p.year = 2019)), false],
    ["a plan number of the wrong shape", plan((p) => (p.planNo = "2027-17")), false],
    ["a division code of no province", plan((p) => (p.tenantCode = "991300")), false],
    ["the year as a string", plan((p) => (p.year = "2027")), false],
    ["many problems at once", plan((p) => { p.totalBudget = "abc"; p.items[0].amount = 5; delete p.planNo; p.extra = 1; }), false],
    ["not an object", [1, 2, 3], false],
  ] });
}

{
  const { schema } = readFormFiles("registries.purchaser");
  const unit = { name: "惠州市教育局", budgetCode: "441300001", tenantCode: "441300", unitType: "government-agency" };
  suites.push({ title: "the purchaser form: browser and server give the same verdict", schema: servedSchema(schema), cases: [
    ["a unit with what is required", unit, true],
    ["with contacts", { ...unit, contactPhone: "13800138000", contactEmail: "li.ming@hz.gov.cn", creditCode: "91330100716105852F" }, true],
    ["a landline without its area code", { ...unit, contactPhone: "2281234" }, false],
    ["an email without a domain", { ...unit, contactEmail: "li.ming@" }, false],
    ["a kind of unit the form does not know", { ...unit, unitType: "company" }, false],
    ["a name of blanks", { ...unit, name: "   " }, false],
  ] });
}

{
  // Money not below zero, positive amounts, and dates and months against today (China time): both
  // sides read their own clock, which is the same day here.
  const day = (offset: number) => new Date(Date.now() + 8 * 3600_000 + offset * 86_400_000).toISOString().slice(0, 10);
  const thisMonth = day(0).slice(0, 7);
  const lastMonth = new Date(Date.parse(`${thisMonth}-01T00:00:00Z`) - 86_400_000).toISOString().slice(0, 7);
  const projectId = "5f0c6d3e-1b2a-4c3d-8e9f-0a1b2c3d4e5f";
  const intention = { projectName: "惠州市路灯采购", summary: "LED 路灯", budget: "500000.00", expectedMonth: thisMonth };
  for (const [id, cases] of [
    ["supervision.payment", [
      ["an instalment", { projectId, amount: "100.00" }, true],
      ["a negative instalment", { projectId, amount: "-100000.00" }, false],
      ["minus zero", { projectId, amount: "-0" }, false],
      ["nothing", { projectId, amount: "0.00" }, false],
    ]],
    ["supervision.intention", [
      ["this month", intention, true],
      ["next year", { ...intention, expectedMonth: `${Number(thisMonth.slice(0, 4)) + 1}-01` }, true],
      ["last month", { ...intention, expectedMonth: lastMonth }, false],
      ["a budget of nothing", { ...intention, budget: "0" }, false],
    ]],
    ["supervision.paid", [
      ["paid today", { paidOn: day(0) }, true],
      ["paid tomorrow", { paidOn: day(1) }, false],
    ]],
  ] as Array<[string, Case[]]>) {
    suites.push({ title: `${id}: amounts and dates, browser and server give the same verdict`, schema: servedSchema(readFormFiles(id).schema), cases });
  }
}

const composed = (() => {
  const { schema, ui } = readFormFiles("fixture.plan", FIXTURES);
  const province: OverlayDocument = {
    tighten: { "/properties/items/items/properties/unitPrice": { maxMoney: "500000" }, "/properties/purpose": { minLength: 4, pattern: "采购" } },
  };
  const city: OverlayDocument = {
    addProperties: { projectCode: { type: "string", title: "项目编号", titleEn: "Project code", pattern: "^HZ[0-9]{6}$" } },
    required: ["projectCode"],
    tighten: { "/properties/method": { enum: ["public-tender", "inquiry"] }, "/properties/purpose": { pattern: "年度" } },
  };
  const { form, problems } = compose({ schema: servedSchema(schema), ui }, [
    { tenant: "440000", version: 1, document: province },
    { tenant: "441300", version: 1, document: city },
  ]);
  const withCode = (change: (p: Payload & { items: Payload[] }) => void = () => {}) => plan((p) => { p.projectCode = "HZ000017"; change(p); });
  suites.push({ title: "a tenant's effective form (base and overlays of the province and the city): browser and server give the same verdict", schema: form.schema, cases: [
    ["a plan with the city's project code", withCode(), true],
    ["without it", plan(), false],
    ["a project code of another city", withCode((p) => (p.projectCode = "GZ000017")), false],
    ["a method the city does not allow", withCode((p) => (p.method = "single-source")), false],
    ["a unit price above the province's cap", withCode((p) => (p.items[4].unitPrice = "500000.01")), false],
    ["a unit price at the cap", withCode((p) => (p.items[4].unitPrice = "500000.00")), true],
    ["a purpose that meets only the province's pattern", withCode((p) => (p.purpose = "设备采购项目")), false],
    ["a purpose that meets both patterns", withCode((p) => (p.purpose = "2027 年度设备采购")), true],
  ] });
  return { problems };
})();

const verdicts = browserVerdicts();
let next = 0;
for (const suite of suites) {
  const first = next;
  next += suite.cases.length;
  describe(suite.title, () => {
    test.each(suite.cases.map((c, i) => [...c, first + i] as const))("%s", (_name, data, valid, index) => {
      const server = serverVerdict(suite.schema, structuredClone(data));
      const browser = verdicts[index];
      expect({ server: server.length === 0, browser: browser.length === 0 }).toEqual({ server: valid, browser: valid });
      expect([...browser].sort()).toEqual(server.map((d) => `${d.path} ${d.rule}`).sort());
    });
  });
}

test("the province's and the city's overlays fit the plan form", () => {
  expect(composed.problems).toEqual([]);
});
