import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * The committed types under forms/types/ are what `npm run gen:types` makes of the schemas
 * (json-schema-to-typescript runs as the script does, in a process of its own).
 */
const ROOT = path.resolve(__dirname, "../../..");
const genTypes = (...args: string[]) =>
  spawnSync(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "core", "forms", "gen-types.ts"), ...args], { cwd: ROOT, encoding: "utf8" });

describe("generated form types", () => {
  test("forms/types/ is up to date with every schema under forms/", () => {
    const run = genTypes("--check");
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  describe("in a copy of forms/", () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "gdp-forms-"));
      fs.cpSync(path.join(ROOT, "forms"), dir, { recursive: true });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    test("a changed schema makes --check fail, naming the stale file, until the types are generated again", () => {
      const file = path.join(dir, "registries", "registries.purchaser.schema.json");
      const schema = JSON.parse(fs.readFileSync(file, "utf8"));
      schema.properties.website = { type: "string", title: "网址", titleEn: "Website", format: "url" };
      fs.writeFileSync(file, JSON.stringify(schema, null, 2));

      const stale = genTypes("--check", "--dir", dir);
      expect(stale.status).toBe(1);
      expect(stale.stderr).toContain(path.join("types", "registries.purchaser.ts"));
      expect(stale.stderr).toContain("is stale");

      expect(genTypes("--dir", dir).status).toBe(0);
      expect(fs.readFileSync(path.join(dir, "types", "registries.purchaser.ts"), "utf8")).toMatch(/website\?: string;/);
      expect(genTypes("--check", "--dir", dir).status).toBe(0);
    });

    test("a new form without types, and types without a form, fail --check too", () => {
      fs.mkdirSync(path.join(dir, "probe"));
      fs.writeFileSync(
        path.join(dir, "probe", "probe.note.schema.json"),
        JSON.stringify({ $id: "probe.note", type: "object", title: "便签", titleEn: "Note", additionalProperties: false, properties: { text: { type: "string" } } }),
      );
      fs.writeFileSync(path.join(dir, "types", "gone.form.ts"), "export interface GoneForm {}\n");
      const run = genTypes("--check", "--dir", dir);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`${path.join("types", "probe.note.ts")} is missing`);
      expect(run.stderr).toContain(`${path.join("types", "gone.form.ts")} has no schema any more`);
    });

    test("Chinese titles become doc comments, not type names", () => {
      expect(genTypes("--dir", dir).status).toBe(0);
      const ts = fs.readFileSync(path.join(dir, "types", "registries.purchaser.ts"), "utf8");
      expect(ts).toContain("export interface RegistriesPurchaser {");
      expect(ts).toContain("单位名称 / Unit name");
      expect(ts).not.toMatch(/(interface|type) [^\sA-Za-z]/);
    });
  });
});
