/**
 * @jest-environment node
 *
 * Every rule of every form the platform loads says what is wrong in words a person reads, on the
 * server (VALIDATION_FAILED details) and in the browser alike: never a regular expression, a JSON
 * Schema keyword or a field's programme name.
 */
import fs from "node:fs";
import path from "node:path";
import { createFormAjv, detailsOf } from "../../core/forms/compile";
import { FORMS_DIR, readFormFiles, servedSchema } from "../../core/forms/validate";
import { fromClient } from "../../web/src/forms/error-mapping";
import { validator } from "../../web/src/forms/validator";

type Node = Record<string, unknown>;
const isObject = (v: unknown): v is Node => !!v && typeof v === "object" && !Array.isArray(v);

const formIds = fs
  .readdirSync(FORMS_DIR)
  .filter((d) => d !== "types" && fs.statSync(path.join(FORMS_DIR, d)).isDirectory())
  .flatMap((d) => fs.readdirSync(path.join(FORMS_DIR, d)).filter((f) => f.endsWith(".schema.json")))
  .map((f) => f.replace(/\.schema\.json$/, ""));

interface Rule {
  pointer: string;
  keyword: "pattern" | "format";
  node: Node;
}

/** Every field with a pattern or a format, by the data pointer that reaches it (list items as item 0). */
function rulesOf(schema: Node): Rule[] {
  const out: Rule[] = [];
  const walk = (node: unknown, at: string) => {
    if (!isObject(node)) return;
    if (typeof node.pattern === "string") out.push({ pointer: at, keyword: "pattern", node });
    if (typeof node.format === "string") out.push({ pointer: at, keyword: "format", node });
    if (isObject(node.properties)) for (const [k, v] of Object.entries(node.properties)) walk(v, `${at}/${k}`);
    if (isObject(node.items)) walk(node.items, `${at}/0`);
  };
  walk(schema, "");
  return out;
}

/** A string the rule refuses. */
function badValue(rule: Rule): string {
  const candidates = [" ", "!", "2027-13", "x".repeat(3), "ABC"];
  if (rule.keyword === "pattern") {
    const re = new RegExp(rule.node.pattern as string, "u");
    return candidates.find((c) => !re.test(c))!;
  }
  return rule.node.format === "money" ? "12.345" : "!";
}

/** Data with the bad value at the pointer (objects and one-item lists on the way). */
function dataWith(pointer: string, value: string): Node {
  const segs = pointer.split("/").slice(1);
  const root: Node = {};
  let at: Node | unknown[] = root;
  segs.forEach((seg, i) => {
    const last = i === segs.length - 1;
    const next = last ? value : /^\d+$/.test(segs[i + 1]) ? [] : {};
    if (Array.isArray(at)) at[Number(seg)] = next;
    else at[seg] = next;
    at = next as Node;
  });
  return root;
}

/** What a message must not show: regex syntax, keywords and type names, camelCase field names. */
function unreadable(text: string): string | null {
  if (/[\^$\\[\]{}]|\(\?/.test(text)) return "regular expression";
  if (/\b(pattern|format|minLength|maxLength|minItems|maxItems|additionalProperties|required|enum|string|integer|boolean)\b/.test(text)) return "schema keyword";
  if (/应当匹配模式|必需属性|预设定的枚举/.test(text)) return "validator jargon";
  if (/\b[a-z]+[A-Z][A-Za-z]*\b/.test(text)) return "field's programme name";
  return null;
}

const cases = formIds.flatMap((id) => {
  const { schema } = readFormFiles(id);
  return rulesOf(schema as Node).map((rule) => ({ id, schema: schema as Node, rule }));
});

describe("plain validation messages", () => {
  test("the forms have pattern and format rules to check", () => {
    expect(cases.filter((c) => c.rule.keyword === "pattern").length).toBeGreaterThanOrEqual(10);
    expect(cases.filter((c) => c.rule.keyword === "format").length).toBeGreaterThanOrEqual(10);
  });

  test.each(cases.map((c) => [`${c.id} ${c.rule.pointer} ${c.rule.keyword}`, c] as const))("%s: server and browser say it plainly", (_name, c) => {
    const value = badValue(c.rule);
    const data = dataWith(c.rule.pointer, value);
    const check = createFormAjv().compile(c.schema);
    expect(check(data)).toBe(false);
    const server = detailsOf(check.errors ?? [], { form: true });
    const served = servedSchema(c.schema as never) as Node;
    const client = fromClient(validator.validateFormData(data, served as never).errors as never, served);
    const rule = c.rule.keyword === "format" ? `format:${String(c.rule.node.format)}` : "pattern";
    // the rule under test is reported at its field by both
    expect(server.some((d) => d.path === c.rule.pointer && d.rule === rule)).toBe(true);
    expect(client.some((p) => p.pointer === c.rule.pointer && p.rule === rule)).toBe(true);
    // and every message of both (the required fields left out too) reads plainly, in both languages
    const messages = [...server.map((d) => d.message), ...client.map((p) => p.message)].flatMap((m) => [m!["zh-CN"], m!.en]);
    for (const m of messages) expect({ message: m, problem: unreadable(m) }).toEqual({ message: m, problem: null });
    if (c.rule.keyword === "pattern") {
      // a form's own pattern has its own words: what the field should hold
      expect(typeof c.rule.node.patternMessage === "string" && typeof c.rule.node.patternMessageEn === "string").toBe(true);
      const own = server.find((d) => d.path === c.rule.pointer && d.rule === "pattern")!.message!;
      expect(own).toEqual({ "zh-CN": c.rule.node.patternMessage, en: c.rule.node.patternMessageEn });
      expect(client.find((p) => p.pointer === c.rule.pointer && p.rule === "pattern")!.message).toEqual(own);
    }
  });

  test("a pattern without words of its own (a tenant's overlay) still hides the expression and names no keyword", () => {
    const schema = { type: "object", additionalProperties: false, properties: { code: { type: "string", title: "项目编号", titleEn: "Project code", pattern: "^HZ[0-9]{6}$" } } };
    const check = createFormAjv().compile(schema);
    check({ code: "x" });
    const [server] = detailsOf(check.errors ?? [], { form: true });
    const [client] = fromClient(validator.validateFormData({ code: "x" }, schema as never).errors as never, schema);
    expect(server.message).toEqual(client.message);
    expect(unreadable(server.message!["zh-CN"])).toBeNull();
    expect(unreadable(server.message!.en)).toBeNull();
  });
});
