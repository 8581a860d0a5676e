import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { runMigrations } from "../../../core/db/migrate";
import { FormRegistry } from "../../../core/forms/registry";
import { tenantTree } from "../../../core/tenancy";
import type { PluginManifest } from "../../../core/plugins/types";
import { createTestDatabase } from "../../support/db";
import { planPayload } from "../../fixtures/forms/plan-payload";
import { FORM_FIXTURES, fixturePlugin } from "./platform";

const CORE_MIGRATIONS = path.resolve(__dirname, "../../../core/db/migrations");

describe("form versions", () => {
  let db: { url: string; drop(): Promise<void> };
  let knex: Knex;
  let dir: string;
  const pools: Knex[] = [];
  const schemaFile = () => path.join(dir, "fixture", "fixture.plan.schema.json");
  const editSchema = (change: (s: Record<string, any>) => void) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const s = JSON.parse(fs.readFileSync(schemaFile(), "utf8"));
    change(s);
    fs.writeFileSync(schemaFile(), JSON.stringify(s, null, 2));
  };
  const open = (log?: (line: string) => void, on: Knex = knex) => FormRegistry.open(on, [fixturePlugin], { tree: tenantTree(), formsDir: dir, log });

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 4 } });
    await runMigrations(knex, [{ name: "core", directory: CORE_MIGRATIONS }]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gdp-form-versions-"));
    fs.cpSync(FORM_FIXTURES, dir, { recursive: true });
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.destroy()));
    await knex.destroy();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a form's first start stores version 1; starting again with the same files stores nothing", async () => {
    const lines: string[] = [];
    expect((await open((l) => lines.push(l))).version("fixture.plan")).toBe(1);
    expect(lines).toEqual(["[forms] fixture.plan: version 1"]);
    expect((await open()).list()).toEqual([{ id: "fixture.plan", plugin: "fixture", title: { "zh-CN": "政府采购计划备案", en: "Procurement plan filing" }, version: 1 }]);
    expect(await knex("core_form_versions").count({ n: "*" })).toEqual([{ n: "1" }]);
  });

  test("a changed schema is a new version; a plan filed under the old one stays valid under it", async () => {
    const plan = planPayload(200);
    const filed = (await open()).validateSubmission("fixture.plan", "441300", plan);
    expect(filed.formRef).toEqual({ formId: "fixture.plan", version: 1, overlays: [] });

    editSchema((s) => {
      s.properties.projectName = { type: "string", title: "项目名称", titleEn: "Project name", minLength: 2 };
      s.required.push("projectName");
    });
    const lines: string[] = [];
    const v2 = await open((l) => lines.push(l));
    expect(lines).toEqual(["[forms] fixture.plan: version 2 (the files changed)"]);
    expect(v2.effective("fixture.plan", null).version).toBe(2);
    expect(() => v2.validateSubmission("fixture.plan", "441300", plan)).toThrow(expect.objectContaining({ type: "VALIDATION_FAILED" }));
    expect(v2.validateSubmission("fixture.plan", "441300", { ...plan, projectName: "教学设备采购" }).formRef.version).toBe(2);

    await expect(v2.validateAgainst(filed.formRef, plan)).resolves.toBe(plan);
    await expect(v2.validateAgainst({ formId: "fixture.plan", version: 2, overlays: [] }, plan)).rejects.toMatchObject({ type: "VALIDATION_FAILED" });
    const stored = await v2.storedVersion("fixture.plan", 1);
    expect(stored?.schema.required).not.toContain("projectName");
    // Stored as written: the order of the properties is the order the form shows them in.
    expect(Object.keys(stored!.schema.properties as object)).toEqual(Object.keys(JSON.parse(fs.readFileSync(path.join(FORM_FIXTURES, "fixture", "fixture.plan.schema.json"), "utf8")).properties));
  });

  test("a uiSchema change is a new version too (what a submission was shown is part of it)", async () => {
    const ui = path.join(dir, "fixture", "fixture.plan.ui.json");
    const doc = JSON.parse(fs.readFileSync(ui, "utf8"));
    doc.purpose["ui:options"] = { rows: 6 };
    fs.writeFileSync(ui, JSON.stringify(doc));
    expect((await open()).version("fixture.plan")).toBe(3);
  });

  test("nodes starting together with changed files make one new version between them", async () => {
    editSchema((s) => (s.properties.year.maximum = 2060));
    const nodes = Array.from({ length: 4 }, () => {
      const pool = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 2 } });
      pools.push(pool);
      return pool;
    });
    const started = await Promise.all(nodes.map((pool) => open(undefined, pool)));
    expect(started.map((r) => r.version("fixture.plan"))).toEqual([4, 4, 4, 4]);
    expect(await knex("core_form_versions").where({ form_id: "fixture.plan" }).orderBy("version").pluck("version")).toEqual([1, 2, 3, 4]);
  });

  test("files put back as they were are that version again, not a new one", async () => {
    fs.cpSync(FORM_FIXTURES, dir, { recursive: true });
    expect((await open()).version("fixture.plan")).toBe(1);
    expect(await knex("core_form_versions").count({ n: "*" })).toEqual([{ n: "4" }]);
  });

  describe("a form that is not what a form must be stops start-up, naming the form, the file and the field", () => {
    afterEach(() => fs.cpSync(FORM_FIXTURES, dir, { recursive: true }));

    test.each<[string, (s: Record<string, any>) => void, RegExp]>([ // eslint-disable-line @typescript-eslint/no-explicit-any
      ["an object that lets unknown fields in", (s) => delete s.properties.purchaser.additionalProperties, /\/properties\/purchaser\/additionalProperties: objects must say additionalProperties: false/],
      ["a title without its English twin", (s) => delete s.properties.year.titleEn, /\/properties\/year\/titleEn: a title needs its English twin/],
      ["money as a floating-point number", (s) => (s.properties.totalBudget.type = "number"), /\/properties\/totalBudget\/type: money is "type": "string"/],
      ["a format nobody defined", (s) => (s.properties.contactPhone.format = "phone"), /\/properties\/contactPhone\/format: unknown format "phone"/],
      ["an $id that is not the form's", (s) => (s.$id = "fixture.other"), /\/\$id: must be "fixture.plan"/],
      ["a keyword ajv does not know", (s) => (s.properties.year.maximun = 2100), /strict mode: unknown keyword: "maximun"/],
    ])("%s", async (_case, change, message) => {
      editSchema(change);
      const err = await open().catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/^form "fixture\.plan": /);
      expect((err as Error).message).toMatch(message);
      // Refused before anything was stored.
      expect(await knex("core_form_versions").count({ n: "*" })).toEqual([{ n: "4" }]);
    });

    test("a form a plugin lists but nobody wrote", async () => {
      const missing = { ...fixturePlugin, forms: ["fixture.plan", "fixture.bid"] } as PluginManifest;
      const err = await FormRegistry.open(knex, [missing], { tree: tenantTree(), formsDir: dir }).catch((e: Error) => e);
      expect((err as Error).message).toMatch(/^form "fixture\.bid": .*fixture\.bid\.schema\.json: no such file$/);
    });
  });
});
