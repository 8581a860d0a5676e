import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
// argon2's typings are an ES module without a default export, so the namespace import is the
// one that type-checks under esModuleInterop (the CommonJS object is the namespace).
import * as argon2 from "argon2";
import { fieldError, type ErrorDetail } from "../errors";
import type { InitialCredential } from "./credential";

/**
 * OWASP Password Storage Cheat Sheet's minimum for argon2id: 19 MiB, 2 passes, 1 lane. The
 * library's defaults (64 MiB, 4 lanes) cost more memory per sign-in than a small node can give
 * when a purchasing deadline brings everyone in at once; this setting is the floor OWASP accepts,
 * and needsRehash() against these options lets a later, stronger setting replace old hashes.
 */
export const ARGON2_OPTIONS = Object.freeze({
  type: argon2.argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
}) satisfies argon2.HashOptions;

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

/** An argon2id hash in PHC string format ($argon2id$v=19$m=19456,t=2,p=1$salt$hash), for core_accounts.password_hash. */
export const hashPassword = async (plain: string): Promise<string> => phcOrder(await argon2.hash(plain, ARGON2_OPTIONS));

/**
 * argon2 0.45 writes the parameters as m,p,t (ranisalt/node-argon2#559), while the PHC format
 * requires m,t,p, and strict readers (the reference C library, libsodium, Spring Security) reject
 * any other order. Stored hashes are put in the standard order so that another tool can verify or
 * migrate them; argon2.verify reads either order.
 */
function phcOrder(encoded: string): string {
  const parts = encoded.split("$");
  if (parts.length !== 6) return encoded;
  const order = ["m", "t", "p", "keyid", "data"];
  const params = new Map(parts[3].split(",").map((kv) => [kv.slice(0, kv.indexOf("=")), kv] as const));
  if (![...params.keys()].every((k) => order.includes(k))) return encoded;
  parts[3] = order.flatMap((k) => params.get(k) ?? []).join(",");
  return parts.join("$");
}

// A hash of a password nobody knows, made on first need: verifying against it costs what a real
// verification costs, so a missing account or password cannot be told apart by response time.
let dummyHash: Promise<string> | undefined;

function dummy(): Promise<string> {
  if (!dummyHash) {
    const made = hashPassword(crypto.randomBytes(32).toString("base64"));
    dummyHash = made;
    // a failure should not poison every later call: the next one tries again
    made.catch(() => {
      if (dummyHash === made) dummyHash = undefined;
    });
  }
  return dummyHash;
}

/** Spends one verification's time and learns nothing: for sign-ins whose account does not exist. */
export async function burnVerification(plain: string): Promise<void> {
  try {
    await argon2.verify(await dummy(), typeof plain === "string" ? plain : "");
  } catch {
    // nothing to report: the point was the time spent
  }
}

/** True only for a well-formed hash of this password; absent or malformed hashes are false, never an error. */
export async function verifyPassword(hash: string | null | undefined, plain: string): Promise<boolean> {
  const candidate = typeof plain === "string" ? plain : "";
  if (typeof hash !== "string" || hash === "") {
    await burnVerification(candidate);
    return false;
  }
  try {
    return await argon2.verify(hash, candidate);
  } catch {
    // a hash that does not parse fails before any work; spend the time anyway
    await burnVerification(candidate);
    return false;
  }
}

/** Constant-time comparison of a stored MAC with a computed one. */
export function sameMac(a: string | null | undefined, b: string): boolean {
  if (typeof a !== "string" || typeof b !== "string") return false;
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

const codePoints = (s: string): number => [...s].length;

// NFKC first, so that full-width letters and digits (ｐａｓｓｗｏｒｄ１２３, what a Chinese IME
// types in full-width mode) are compared as the ASCII they look like.
const fold = (s: string): string => s.normalize("NFKC").toLowerCase();

interface CommonList {
  words: Set<string>;
  longest: number;
}

let commonList: CommonList | undefined;

function common(): CommonList {
  if (!commonList) {
    const words = new Set<string>();
    let longest = 0;
    for (const raw of fs.readFileSync(path.join(__dirname, "common-passwords.txt"), "utf8").split(/\r?\n/)) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) continue;
      const word = fold(line);
      words.add(word);
      longest = Math.max(longest, word.length);
    }
    commonList = { words, longest };
  }
  return commonList;
}

const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/** Digits, punctuation, symbols and spaces: what people tack onto a word to pass a length rule. */
const isFiller = (c: string): boolean => /^[\p{Nd}\p{P}\p{S}\s]$/u.test(c);

// Sequences a finger or a habit walks along; a walk may wrap round and go on (123456789012).
const walks = ["0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm"];

function isWalk(chars: string[]): boolean {
  if (chars.length < 3) return false;
  return walks.some((seq) =>
    [1, -1].some((step) =>
      chars.every((c, i) => {
        const at = seq.indexOf(c);
        if (at < 0) return false;
        return i === 0 || at === (seq.indexOf(chars[i - 1]) + step + seq.length) % seq.length;
      }),
    ),
  );
}

const isRepeat = (chars: string[]): boolean => chars.length >= 2 && chars.every((c) => c === chars[0]);

/**
 * Whether an attacker would try this password early: it is on the shipped list (case-insensitive),
 * or a listed entry followed only by digits and punctuation (password2024!!), or one character
 * repeated, or a walk along the digits, the alphabet or a keyboard row (either way).
 */
export function isCommonPassword(pw: string): boolean {
  if (typeof pw !== "string" || pw === "") return false;
  const lower = fold(pw);
  const chars = [...lower];
  if (isRepeat(chars) || isWalk(chars)) return true;
  const { words, longest } = common();
  if (words.has(lower)) return true;
  // try every split whose tail is all filler; only heads no longer than the longest entry can
  // match, which keeps a very long input linear
  let cut = lower.length;
  while (cut > 0) {
    const start = cut >= 2 && isLowSurrogate(lower.charCodeAt(cut - 1)) ? cut - 2 : cut - 1;
    if (!isFiller(lower.slice(start, cut))) break;
    cut = start;
    if (cut > 0 && cut <= longest && words.has(lower.slice(0, cut))) return true;
  }
  return false;
}

export interface PasswordContext {
  username: string;
  /** the account's stored first-password MAC, when it still has one, and the rule it follows */
  initialMac?: string | null;
  credential?: InitialCredential | null;
  macKey?: Buffer;
  /** JSON pointer of the password field; "/newPassword" unless told */
  path?: string;
}

/** Every reason this password may not be chosen, as field errors; empty when it is acceptable. */
export function passwordProblems(pw: unknown, ctx: PasswordContext): ErrorDetail[] {
  const at = ctx.path ?? "/newPassword";
  if (typeof pw !== "string") return [fieldError(at, "type", "密码必须是文本", "The password must be a string")];
  const problems: ErrorDetail[] = [];
  const length = codePoints(pw);
  if (length < MIN_PASSWORD_LENGTH) {
    problems.push(fieldError(at, "minLength", `密码至少需要 ${MIN_PASSWORD_LENGTH} 个字符`, `The password must be at least ${MIN_PASSWORD_LENGTH} characters long`));
  }
  if (length > MAX_PASSWORD_LENGTH) {
    problems.push(fieldError(at, "maxLength", `密码不能超过 ${MAX_PASSWORD_LENGTH} 个字符`, `The password must be at most ${MAX_PASSWORD_LENGTH} characters long`));
  }
  const username = typeof ctx.username === "string" ? fold(ctx.username.trim()) : "";
  const folded = fold(pw);
  if (username !== "" && (folded === username || (codePoints(username) >= 3 && folded.includes(username)))) {
    problems.push(fieldError(at, "username", "密码不能包含用户名", "The password must not contain the username"));
  }
  const rule = ctx.credential;
  if (rule && ctx.macKey && ctx.initialMac && rule.containedIn(pw, ctx.initialMac, ctx.macKey, sameMac)) {
    const { label } = rule.rule;
    problems.push(fieldError(at, "initial-credential", `密码不能包含${label["zh-CN"]}（初始密码）`, `The password must not contain the ${label.en} (the first password)`));
  }
  if (isCommonPassword(pw)) {
    problems.push(fieldError(at, "common", "该密码过于常见，很容易被猜到，请换一个", "This password is too common and easy to guess; choose another"));
  }
  return problems;
}
