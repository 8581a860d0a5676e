import type { Localized } from "../errors";

/**
 * Username rules: how a tenant that has its own account rule (tenants/tenants.json,
 * `accounts.usernameRule`) makes a unit's login name from the row of the old system.
 *
 * A rule is a template: placeholders in braces, everything else literal.
 *   {username}     the old system's username
 *   {unit_code}    the unit's code (a row without one cannot use such a rule)
 *   {credential}   the row's first password (the column the initial-credential rule names)
 *   {tenant}       the tenant's division code
 *   {role}         the account's role
 * e.g. "st{credential}", "sg_{username}", "{tenant}_{username}".
 */
export const PLACEHOLDERS = ["username", "unit_code", "credential", "tenant", "role"] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** Placeholders that tell one unit of a tenant from another; a rule needs one of them. */
const DISTINGUISHING: readonly Placeholder[] = ["username", "unit_code", "credential"];

export const USERNAME_MIN = 2;
export const USERNAME_MAX = 64;
// Letters of any script (with their combining marks), decimal digits, and _ . @ -
const USERNAME_CHARS = /^[\p{L}\p{M}\p{Nd}_.@-]+$/u;

export type RulePart = { text: string } | { field: Placeholder };

export interface UsernameRule {
  template: string;
  lowercase: boolean;
  parts: RulePart[];
}

export class UsernameRuleError extends Error {
  override name = "UsernameRuleError";
}

const listed = PLACEHOLDERS.map((p) => `{${p}}`).join(", ");

/** Reads a template, or throws UsernameRuleError with a sentence saying what is wrong with it. */
export function parseUsernameRule(template: string, lowercase = false): UsernameRule {
  const parts: RulePart[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf("{", i);
    const close = template.indexOf("}", i);
    if (close !== -1 && (open === -1 || close < open)) throw new UsernameRuleError(`a "}" at character ${close + 1} closes no placeholder`);
    if (open === -1) {
      parts.push({ text: template.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: template.slice(i, open) });
    if (close === -1) throw new UsernameRuleError(`the placeholder opened at character ${open + 1} is not closed with "}"`);
    const name = template.slice(open + 1, close);
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) throw new UsernameRuleError(`unknown placeholder {${name}}; a rule may use ${listed}`);
    parts.push({ field: name as Placeholder });
    i = close + 1;
  }
  const fields = parts.flatMap((p) => ("field" in p ? [p.field] : []));
  if (!fields.length) throw new UsernameRuleError(`no placeholder, so every account would get the same username; use one of ${listed}`);
  if (!fields.some((f) => DISTINGUISHING.includes(f))) {
    throw new UsernameRuleError("only {tenant} and {role}, which give every unit of a tenant the same username; add {username}, {unit_code} or {credential}");
  }
  for (const p of parts) {
    if ("text" in p && !USERNAME_CHARS.test(p.text)) throw new UsernameRuleError(`the text "${p.text}" holds characters a username may not have (letters, digits, _ . @ - only)`);
  }
  const fixed = parts.reduce((n, p) => n + ("text" in p ? [...p.text].length : 0), 0);
  if (fixed >= USERNAME_MAX) throw new UsernameRuleError(`${fixed} characters of fixed text, and a username has at most ${USERNAME_MAX}`);
  return { template, lowercase, parts };
}

/** What is wrong with a template, or null when it is a usable rule. */
export function usernameRuleProblem(template: string): string | null {
  try {
    parseUsernameRule(template);
    return null;
  } catch (err) {
    if (err instanceof UsernameRuleError) return err.message;
    throw err;
  }
}

/** Why a username cannot be used, or null when it can. */
export function usernameProblem(username: string): Localized | null {
  const length = [...username].length;
  if (length < USERNAME_MIN || length > USERNAME_MAX) {
    return { "zh-CN": `用户名应为 ${USERNAME_MIN}–${USERNAME_MAX} 个字符`, en: `a username has ${USERNAME_MIN} to ${USERNAME_MAX} characters` };
  }
  if (!USERNAME_CHARS.test(username)) {
    return { "zh-CN": "用户名只能包含文字、数字和 _ . @ -", en: "a username holds only letters, digits and _ . @ -" };
  }
  return null;
}

/** What a rule can read of an imported row. */
export interface UsernameSource {
  /** the old system's username */
  username: string;
  unitCode: string | null;
  /** the row's first password (the initial-credential rule's column) */
  credential: string;
  tenantCode: string;
  role: string;
}

export type MadeUsername = { username: string } | { field: string; reason: Localized };

const COLUMN_OF: Record<Placeholder, keyof UsernameSource> = {
  username: "username",
  unit_code: "unitCode",
  credential: "credential",
  tenant: "tenantCode",
  role: "role",
};

/**
 * The login name of a row: the old username when the tenant has no rule (undefined), else what the
 * rule makes of the row. A row the rule cannot make a valid username of gets the reason instead.
 */
export function makeUsername(rule: UsernameRule | undefined, row: UsernameSource): MadeUsername {
  if (!rule) {
    const problem = usernameProblem(row.username);
    return problem ? { field: "username", reason: problem } : { username: row.username };
  }
  let made = "";
  for (const p of rule.parts) {
    if ("text" in p) {
      made += p.text;
      continue;
    }
    const value = row[COLUMN_OF[p.field]];
    if (!value) {
      return {
        field: p.field,
        reason: { "zh-CN": `本区划的用户名规则 ${rule.template} 需要 ${p.field}，该行没有`, en: `the tenant's username rule ${rule.template} needs ${p.field}, which this row lacks` },
      };
    }
    made += value;
  }
  if (rule.lowercase) made = made.toLowerCase();
  const problem = usernameProblem(made);
  if (problem) {
    return {
      field: "username",
      reason: {
        "zh-CN": `按本区划的用户名规则 ${rule.template} 得到「${made}」，不是有效的用户名：${problem["zh-CN"]}`,
        en: `the tenant's username rule ${rule.template} makes "${made}", which is not a valid username: ${problem.en}`,
      },
    };
  }
  return { username: made };
}
