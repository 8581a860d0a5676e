import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadWorkflow } from "../../../core/workflow/definition";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { RoleBook } from "../../../core/identity/roles";
import registries from "../../../plugins/registries/plugin";
import supervision from "../../../plugins/supervision/plugin";

/**
 * `POST /api/workflows/:id/adopt`: business from another system arrives only in a state its workflow
 * marks adoptable, with data that state's form accepts, owned by a registered unit of the instance's
 * tenant and of the importer's region. Anything else is a 400 at the field, and writes nothing.
 */
describe("adopting business from another system", () => {
  let platform: TestPlatform;
  const tokens: Record<string, string> = {};
  const adopt = (who: string, workflow: string, body: Record<string, unknown>) => platform.api(`/api/workflows/${workflow}/adopt`, { method: "POST", token: tokens[who], body });
  const count = async () => Number((await platform.kernel.db.knex("core_workflow_instances").count({ n: "*" }))[0].n);
  const rules = (r: { body: unknown }) => ((r.body as { error?: { details?: Array<{ path: string; rule: string }> } }).error?.details ?? []).map((d) => `${d.path} ${d.rule}`).sort();

  const project = {
    projectName: "惠州市交通运输局2020年道路养护设备采购", unitName: "惠州市交通运输局", budget: "600000.00", startedOn: "2020-08-15",
    contractAmount: "500000.00", supplierName: "惠州市路通机械有限公司", signedOn: "2020-11-20", paidAmount: "200000.00", legacyId: "HZ2020-0815",
  };
  const item = (over: Record<string, unknown> = {}) => ({ externalId: "HZ2020-0815", state: "contracted", tenantCode: "441300", ownerUnit: "441300401", data: project, ...over });

  beforeAll(async () => {
    platform = await startTestPlatform();
    tokens.admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    tokens.huizhouAdmin = await platform.token({ roles: ["tenant-admin"], tenantCode: "441300" });
    for (const unit of [
      { name: "惠州市交通运输局", budgetCode: "441300401", tenantCode: "441300" },
      { name: "茂名市卫生健康局", budgetCode: "440900201", tenantCode: "440900" },
    ]) {
      const r = await platform.api("/api/registries/purchasers", { method: "POST", token: tokens.admin, body: { ...unit, unitType: "government-agency" } });
      expect(r.status).toBe(201);
    }
    platform.kernel.clock.travelTo("2021-03-01T10:00:00+08:00");
  });
  afterAll(() => platform.stop());

  test("a plan cannot be adopted straight into filed, nor into any state of a workflow that marks none adoptable", async () => {
    const before = await count();
    const plan = { projectId: "5f0c6d3e-1b2a-4c3d-8e9f-0a1b2c3d4e5f", budgetCode: "441300401", fundsSource: "current-year-quota", method: "public-tender", items: [{ category: "A02", name: "路灯", quantity: 1, unitPrice: "100.00", amount: "100.00" }], total: "100.00", smeShare: 40 };
    for (const state of ["filed", "draft", "executing"]) {
      const r = await adopt("admin", "supervision.plan", { externalId: `PLAN-${state}`, state, tenantCode: "441300", ownerUnit: "441300401", data: plan });
      expect([state, r.status, rules(r)]).toEqual([state, 400, ["/state adoptable"]]);
    }
    // the legacy workflow says where its projects may arrive: not paid, which is terminal
    expect(rules(await adopt("admin", "legacy.project", item({ state: "paid" })))).toEqual(["/state adoptable"]);
    expect(await count()).toBe(before);
  });

  test("the data is checked against the form of the state it arrives in", async () => {
    const before = await count();
    const { contractAmount: _c, ...noContract } = project;
    const bad = await adopt("admin", "legacy.project", item({ data: { ...noContract, budget: "-600000.00", approved: true } }));
    expect(bad.status).toBe(400);
    expect(rules(bad)).toEqual(["/approved additionalProperties", "/budget format:money", "/contractAmount required"]);
    // a project begun after the cutover is not the old system's
    expect(rules(await adopt("admin", "legacy.project", item({ data: { ...project, startedOn: "2021-02-01" } })))).toEqual(["/startedOn notAfter"]);
    // the same data is fine in a state before the contract, whose form has no contract fields
    expect(rules(await adopt("admin", "legacy.project", item({ state: "planned", data: project })))).toEqual(["/contractAmount additionalProperties", "/signedOn additionalProperties", "/supplierName additionalProperties"]);
    expect(await count()).toBe(before);
  });

  test("the owner unit must be a registered unit of the instance's tenant and of the importer's region", async () => {
    const before = await count();
    // Huizhou's admin naming Maoming's unit, or a unit nobody registered: told alike
    const foreign = await adopt("huizhouAdmin", "legacy.project", item({ ownerUnit: "440900201" }));
    expect(foreign.status).toBe(400);
    expect(rules(foreign)).toEqual(["/ownerUnit unit"]);
    expect(rules(await adopt("huizhouAdmin", "legacy.project", item({ ownerUnit: "441300999" })))).toEqual(["/ownerUnit unit"]);
    // the platform admin may import anywhere, but a Huizhou instance is not owned by a Maoming unit
    expect(rules(await adopt("admin", "legacy.project", item({ ownerUnit: "440900201" })))).toEqual(["/ownerUnit unit"]);
    expect(await count()).toBe(before);
  });

  test("a project that fits comes over at its state, with the form version that checked it in its history", async () => {
    const r = await adopt("huizhouAdmin", "legacy.project", item());
    expect(r.status).toBe(201);
    const id = (r.body as { id: string }).id;
    const shown = await platform.api(`/api/instances/${id}`, { token: tokens.huizhouAdmin });
    expect(shown.body).toMatchObject({ state: "contracted", ownerUnit: "441300401", data: project, history: [{ transition: "$import", formRef: { formId: "legacy.imported-contract" } }] });
    const again = await adopt("huizhouAdmin", "legacy.project", item());
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id, created: false });
  });
});

describe("the adoptable marker in a workflow file", () => {
  const legacy = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../../forms/legacy/legacy.project.workflow.json"), "utf8"));
  // the workflow files written below, removed afterwards (each run left four in /tmp)
  const made: string[] = [];
  afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
  const load = (change: (wf: { states: Record<string, Record<string, unknown>> }) => void) => {
    const wf = structuredClone(legacy);
    change(wf);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adoptable-"));
    made.push(dir);
    const file = path.join(dir, "legacy.project.workflow.json");
    fs.writeFileSync(file, JSON.stringify(wf));
    // the roles it names are declared by the plugins installed beside it
    return () => loadWorkflow(file, "legacy", (id) => id.startsWith("legacy."), dir, new RoleBook([registries, supervision]));
  };

  test("names a form that exists, on a state that is not terminal; anything else does not load", () => {
    expect(load(() => {})()).toMatchObject({ states: { contracted: { adoptable: { form: "legacy.imported-contract" } } } });
    expect(load((wf) => (wf.states.paid.adoptable = { form: "legacy.imported" }))).toThrow("/states/paid/adoptable: a terminal state cannot be adopted into");
    expect(load((wf) => (wf.states.planned.adoptable = { form: "etrading.nothing" }))).toThrow('/states/planned/adoptable/form: unknown form "etrading.nothing"');
    expect(load((wf) => (wf.states.planned.adoptable = true))).toThrow("/states/planned/adoptable");
  });
});
