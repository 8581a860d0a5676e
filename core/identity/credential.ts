import crypto from "node:crypto";
import type { Localized } from "../errors";
import { dataPoint } from "../plugins/points";
import type { PluginRegistry } from "../plugins/registry";

/**
 * What the first password of an imported account is: a value of its row that the account's owner
 * already knows (a province may say: the unit's code in its budget). Core keeps only its MAC, asks
 * for a new password at the first sign-in, and refuses a new one that contains it.
 */
export interface InitialCredentialRule {
  /** the import file's column that holds it (snake_case) */
  column: string;
  /** what it is, for messages: { "zh-CN": "...", en: "..." } */
  label: Localized;
  /** its whole shape (a regular expression, anchored); a new password is searched for substrings of it */
  pattern: string;
  minLength: number;
  maxLength: number;
  /** what a value of another shape is told */
  message: Localized;
  /** the roles whose accounts it is for; absent: every importable role */
  roles?: string[];
}

/** The kernel's point: a plugin that knows how its accounts first sign in contributes the rule. */
export const initialCredentialPoint = dataPoint<InitialCredentialRule>("core.initial-credential", {
  title: { "zh-CN": "初始密码规则", en: "First-password rule" },
  description: {
    "zh-CN": "导入账号的初始密码是导入文件中的哪一列、是什么格式",
    en: "Which column of an account import holds each account's first password, and its shape",
  },
});

const COLUMN = /^[a-z][a-z0-9_]{0,62}$/;

/** Why a contributed rule cannot be used, or null. */
export function ruleProblem(r: unknown): string | null {
  const v = (r ?? {}) as Partial<InitialCredentialRule>;
  if (typeof v.column !== "string" || !COLUMN.test(v.column)) return "column must be a snake_case column name";
  for (const k of ["label", "message"] as const) {
    const l = v[k] as Localized | undefined;
    if (!l || typeof l["zh-CN"] !== "string" || typeof l.en !== "string") return `${k} needs { "zh-CN", en }`;
  }
  if (!Number.isInteger(v.minLength) || !Number.isInteger(v.maxLength) || v.minLength! < 1 || v.maxLength! < v.minLength! || v.maxLength! > 64) {
    return "minLength and maxLength are whole numbers, 1 ≤ minLength ≤ maxLength ≤ 64";
  }
  try {
    new RegExp(String(v.pattern), "u");
  } catch (err) {
    return `pattern is not a regular expression: ${(err as Error).message}`;
  }
  if (v.roles !== undefined && (!Array.isArray(v.roles) || v.roles.some((x) => typeof x !== "string"))) return "roles must be a list of role names";
  return null;
}

/**
 * On Node 24 (OpenSSL 3.5) an HMAC given its key as bytes imports the key anew on every call,
 * about 20 µs against 2 µs on Node 20; a KeyObject is imported once. A password check computes
 * thousands of these (every digit run of a long password), so each key is imported once.
 */
const hmacKeys = new WeakMap<Buffer, crypto.KeyObject>();
function hmacKey(key: Buffer): crypto.KeyObject {
  let k = hmacKeys.get(key);
  if (!k) hmacKeys.set(key, (k = crypto.createSecretKey(key)));
  return k;
}

export const macOf = (key: Buffer, secret: string): string => crypto.createHmac("sha256", hmacKey(key)).update(secret.trim(), "utf8").digest("hex");

/** A contributed rule, ready to check rows and passwords. */
export class InitialCredential {
  private readonly shape: RegExp;

  constructor(
    readonly rule: InitialCredentialRule,
    /** the plugin that contributed it */
    readonly plugin: string,
  ) {
    this.shape = new RegExp(`^(?:${rule.pattern.replace(/^\^|\$$/g, "")})$`, "u");
  }

  get column(): string {
    return this.rule.column;
  }

  covers(role: string): boolean {
    return !this.rule.roles || this.rule.roles.includes(role);
  }

  fits(value: string): boolean {
    return value.length >= this.rule.minLength && value.length <= this.rule.maxLength && this.shape.test(value);
  }

  /**
   * Whether a password contains the secret the account keeps only as a MAC. The secret is kept
   * nowhere, so it cannot be searched for; but it has a known shape, so every substring of that
   * shape is a candidate, compared by its MAC. A password (256 characters at most) has fewer than
   * 256 × maxLength substrings: about 10,000 HMACs for a 40-character shape, 40 ms in the worst case
   * (about one argon2id hash), 0.1 ms for a typical password. NFKC first: full-width digits (a Chinese
   * IME's) are read as the ASCII they look like.
   */
  containedIn(password: string, mac: string, key: Buffer, same: (a: string, b: string) => boolean): boolean {
    const folded = password.normalize("NFKC");
    const { minLength, maxLength } = this.rule;
    for (let start = 0; start < folded.length; start++) {
      const longest = Math.min(folded.length, start + maxLength);
      for (let end = start + minLength; end <= longest; end++) {
        // code units: a candidate split inside a surrogate pair is no character string the shape can match
        const candidate = folded.slice(start, end);
        if (this.shape.test(candidate) && same(mac, macOf(key, candidate))) return true;
      }
    }
    return false;
  }
}

/**
 * The platform's rule: the one contribution to `core.initial-credential` (in plugin order), checked;
 * null when no plugin contributes one (imports then refuse, saying so). A bad rule stops start-up.
 */
export function initialCredentialOf(registry: Pick<PluginRegistry, "contributions">): InitialCredential | null {
  const entries = registry.contributions(initialCredentialPoint.id).filter((c) => "data" in c.contribution);
  if (!entries.length) return null;
  if (entries.length > 1) throw new Error(`core.initial-credential: one rule per platform, contributed by ${entries.map((e) => e.plugin).join(" and ")}`);
  const { plugin, contribution } = entries[0];
  const data = (contribution as { data: unknown }).data;
  const problem = ruleProblem(data);
  if (problem) throw new Error(`plugin "${plugin}": extends["core.initial-credential"]: ${problem}`);
  return new InitialCredential(data as InitialCredentialRule, plugin);
}
