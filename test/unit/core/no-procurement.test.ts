import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

/**
 * Issue 15, item 3: core/ knows no procurement. Roles, first passwords, notices and the like are
 * the plugins'; a city with another procurement rule changes a plugin, never core. This scans every
 * source file of core/ (code and JSON, not comments and not READMEs) for the domain's words.
 */
const CORE = path.resolve(__dirname, "../../../core");

/** English words, matched as whole words or their beginnings (budgetCode, bids, agencies, noticeId). */
const STEMS = ["procurement", "purchaser", "supplier", "agenc", "tender", "bid", "regulator", "portal", "notice", "contract", "budget"];
/** Chinese words, matched anywhere. */
const CHINESE = ["采购", "预算"];

/**
 * Files that may name the domain, each with why. Migrations are the database's history: a column
 * once named for the domain is renamed by a later migration, which must say its old name.
 */
const ALLOWED = [/^db\/migrations\//];

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : files(p);
    // the scaffold's templates (core/sdk/template) too: a new plugin starts from them
    return /\.(ts|tsx|json)(\.tmpl)?$/.test(e.name) ? [p] : [];
  });
}

/**
 * The text of a source file with its comments blanked out (lines kept). The comments are the
 * trivia before each token, as TypeScript's parser finds them: a "//" inside a string or a regular
 * expression is no comment.
 */
function withoutComments(text: string, file: string): string {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const ranges: ts.CommentRange[] = [];
  const visit = (node: ts.Node) => {
    const children = node.getChildren(source);
    if (!children.length) ranges.push(...(ts.getLeadingCommentRanges(text, node.pos) ?? []), ...(ts.getTrailingCommentRanges(text, node.end) ?? []));
    children.forEach(visit);
  };
  visit(source);
  ranges.push(...(ts.getLeadingCommentRanges(text, source.endOfFileToken.pos) ?? []));
  let out = text;
  for (const r of ranges) out = out.slice(0, r.pos) + out.slice(r.pos, r.end).replace(/[^\n]/g, " ") + out.slice(r.end);
  return out;
}

/** The words of a text: identifiers split at camelCase, snake_case and kebab-case, lower-cased. */
const words = (line: string): string[] =>
  line
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1 $2")
    .split(/[^A-Za-z]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());

export function domainWords(text: string): string[] {
  const found: string[] = [];
  for (const w of words(text)) if (STEMS.some((s) => w.startsWith(s))) found.push(w);
  for (const c of CHINESE) if (text.includes(c)) found.push(c);
  return found;
}

function offences(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const code = /\.json(\.tmpl)?$/.test(file) ? text : withoutComments(text, file.replace(/\.tmpl$/, ""));
  return code.split("\n").flatMap((line, i) => {
    const hits = domainWords(line);
    return hits.length ? [`core/${path.relative(CORE, file)}:${i + 1}: ${[...new Set(hits)].join(", ")}: ${line.trim().slice(0, 160)}`] : [];
  });
}

test("the scanner finds the words in code and leaves comments alone", () => {
  expect(domainWords("const budgetCodeMac = row.budget_code_mac;")).toEqual(["budget", "budget"]);
  expect(domainWords("throw forbidden(); // bidders")).toEqual(["bidders"]);
  expect(domainWords("const forbidden = 1; contractual")).toEqual(["contractual"]);
  expect(domainWords('"政府采购平台"')).toEqual(["采购"]);
  const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "no-procurement-"));
  const f = path.join(dir, "x.ts");
  fs.writeFileSync(f, [
    "// a purchaser's budget code: comments may say it",
    "/* the portal's notices */ const url = \"http://example\"; // agency",
    "const re = /tender/; const s = `a ${x} regulator`;",
    "const ok = forbidden();",
  ].join("\n"));
  try {
    expect(offences(f).map((o) => o.replace(/^.*x\.ts:/, ""))).toEqual(["3: tender, regulator: const re = /tender/; const s = `a ${x} regulator`;"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("core/ names no procurement outside comments (issue 15, item 3)", () => {
  const found = files(CORE)
    .filter((f) => !ALLOWED.some((a) => a.test(path.relative(CORE, f).split(path.sep).join("/"))))
    .flatMap(offences);
  expect(found).toEqual([]);
});
