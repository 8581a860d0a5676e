/**
 * `npm run plugin:new -- <name> [--root <dir>]`: a new plugin that loads, passes its test and is a
 * module of the rollout console at once (plugins/README.md, "Start from the scaffold"). It writes
 *
 *   plugins/<name>/plugin.ts, README.md, services/requests.ts, migrations/<stamp>_requests.ts
 *   forms/<name>/<name>.request.schema.json, .ui.json, .workflow.json   (and forms/types/, regenerated)
 *   test/integration/<name>/<name>.test.ts
 *
 * under the project root (this repository, or `--root`), from the files in core/sdk/template/. A name
 * the loader would refuse, or one whose folders exist already, writes nothing.
 */
import fs from "node:fs";
import path from "node:path";
import { checkManifest, PluginError } from "../plugins/loader";
import { writeTypes } from "../forms/gen-types";

const TEMPLATE = path.join(__dirname, "template");
const ROOT = path.resolve(__dirname, "../..");
// Table, index and migration-table names are made from it, and PostgreSQL cuts identifiers at 63 bytes.
const MAX_NAME = 40;

export class ScaffoldError extends Error {
  constructor(
    readonly zh: string,
    readonly en: string,
  ) {
    super(`${zh}\n${en}`);
    this.name = "ScaffoldError";
  }
}

/** Why `name` cannot be a new plugin's name, by the loader's own rules; null when it can. */
export function nameProblem(name: string): ScaffoldError | null {
  try {
    checkManifest({ name, title: { "zh-CN": name, en: name }, version: "0.1.0", services: [] }, name);
  } catch (err) {
    if (!(err instanceof PluginError)) throw err;
    return new ScaffoldError(
      `插件名「${name}」不可用：须以小写字母开头，只含小写字母、数字和单个短横线（如 e-trading），且不是内核保留名。`,
      `"${name}" cannot name a plugin: ${err.message.replace(/^plugin "[^"]*": name: /, "")} (lowercase letters and digits in words joined by single hyphens, like e-trading; not a name the kernel keeps)`,
    );
  }
  if (name.length > MAX_NAME) {
    return new ScaffoldError(`插件名「${name}」过长：最多 ${MAX_NAME} 个字符。`, `"${name}" is too long for a plugin name: at most ${MAX_NAME} characters.`);
  }
  return null;
}

const fill = (text: string, vars: Record<string, string>) => text.replace(/\{\{(\w+)\}\}/g, (m, key: string) => vars[key] ?? m);

/** What the scaffold writes for `name`: path under the root → template file. */
function plan(name: string, stamp: string): Array<[string, string]> {
  return [
    [`plugins/${name}/plugin.ts`, "plugin.ts.tmpl"],
    [`plugins/${name}/README.md`, "README.md.tmpl"],
    [`plugins/${name}/services/requests.ts`, "requests.ts.tmpl"],
    [`plugins/${name}/migrations/${stamp}_requests.ts`, "migration.ts.tmpl"],
    [`forms/${name}/${name}.request.schema.json`, "request.schema.json.tmpl"],
    [`forms/${name}/${name}.request.ui.json`, "request.ui.json.tmpl"],
    [`forms/${name}/${name}.request.workflow.json`, "request.workflow.json.tmpl"],
    [`test/integration/${name}/${name}.test.ts`, "plugin.test.ts.tmpl"],
  ];
}

/** Writes the new plugin under `root`; the files written, relative to it. Throws a ScaffoldError, having written nothing, when it cannot. */
export async function scaffold(name: string, root = ROOT, now = new Date()): Promise<string[]> {
  const problem = nameProblem(name);
  if (problem) throw problem;
  if (!fs.existsSync(path.join(root, "plugins")) || !fs.existsSync(path.join(root, "forms"))) {
    throw new ScaffoldError(`「${root}」不是本平台的项目目录（没有 plugins/ 和 forms/）。`, `${root} is not the platform's project folder (no plugins/ and forms/ in it).`);
  }
  const taken = [`plugins/${name}`, `forms/${name}`, `test/integration/${name}`].filter((p) => fs.existsSync(path.join(root, p)));
  if (taken.length) {
    throw new ScaffoldError(
      `插件「${name}」已存在或名称已被占用：${taken.join("、")} 已有。请换一个名称。`,
      `"${name}" is taken: ${taken.join(", ")} ${taken.length > 1 ? "exist" : "exists"} already. Choose another name.`,
    );
  }
  const words = name.split("-");
  const vars = {
    name,
    snake: words.join("_"),
    Title: [words[0][0].toUpperCase() + words[0].slice(1), ...words.slice(1)].join(" "),
  };
  const stamp = now.toISOString().replace(/\D/g, "").slice(0, 14);
  const files = plan(name, stamp);
  try {
    for (const [target, template] of files) {
      const file = path.join(root, target);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, fill(fs.readFileSync(path.join(TEMPLATE, template), "utf8"), vars), { flag: "wx" });
    }
    const types: string[] = [];
    await writeTypes(path.join(root, "forms"), (verb, f) => types.push(`${verb === "wrote" ? "" : "removed "}forms/${f.split(path.sep).join("/")}`));
    return [...files.map(([target]) => target), ...types];
  } catch (err) {
    // Nothing half written: a plugin without its form, or a form without its types, would stop the next start.
    for (const dir of [`plugins/${name}`, `forms/${name}`, `test/integration/${name}`]) fs.rmSync(path.join(root, dir), { recursive: true, force: true });
    throw err;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rootAt = args.indexOf("--root");
  const root = rootAt >= 0 ? path.resolve(args[rootAt + 1] ?? "") : ROOT;
  const names = args.filter((a, i) => !a.startsWith("--") && (rootAt < 0 || i !== rootAt + 1));
  if (names.length !== 1) {
    console.error("用法 / usage: npm run plugin:new -- <name> [--root <project folder>]   (name: kebab-case, like e-trading)");
    process.exitCode = 1;
    return;
  }
  try {
    const written = await scaffold(names[0], root);
    console.log(`plugin:new: ${names[0]}\n  ${written.join("\n  ")}`);
    console.log(`\nnext / 下一步: npx jest --runInBand test/integration/${names[0]}   (plugins/README.md)`);
  } catch (err) {
    if (!(err instanceof ScaffoldError)) throw err;
    console.error(`plugin:new: ${err.message}`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
