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

  // Read by people: a file a reviewer cannot take in at once is one nobody checks.
  test("no committed type file is over 400 lines", () => {
    const typesDir = path.join(ROOT, "forms", "types");
    const long = fs
      .readdirSync(typesDir)
      .map((f) => ({ f, lines: fs.readFileSync(path.join(typesDir, f), "utf8").split("\n").length }))
      .filter(({ lines }) => lines > 400);
    expect(long).toEqual([]);
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

    test("an array's minItems and maxItems give a plain array with its bounds in the doc comment, not a tuple per length", () => {
      fs.mkdirSync(path.join(dir, "probe"));
      fs.writeFileSync(
        path.join(dir, "probe", "probe.list.schema.json"),
        JSON.stringify({
          $id: "probe.list",
          type: "object",
          additionalProperties: false,
          required: ["lines"],
          properties: {
            lines: {
              type: "array",
              title: "明细",
              titleEn: "Lines",
              minItems: 2,
              maxItems: 300,
              items: { type: "object", additionalProperties: false, required: ["name"], properties: { name: { type: "string" } } },
            },
          },
        }),
      );
      expect(genTypes("--dir", dir).status).toBe(0);
      const ts = fs.readFileSync(path.join(dir, "types", "probe.list.ts"), "utf8");
      expect(ts).toMatch(/lines: \{\n\s+name: string;\n\s+\}\[\];/);
      expect(ts).toContain("明细 / Lines");
      expect(ts).toContain("@minItems 2");
      expect(ts).toContain("@maxItems 300");
      expect(ts.split("\n").length).toBeLessThan(30);
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
