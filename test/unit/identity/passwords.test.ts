import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {
  ARGON2_OPTIONS,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  burnVerification,
  hashPassword,
  isCommonPassword,
  passwordProblems,
  sameMac,
  verifyPassword,
} from "../../../core/identity/passwords";
import { initialCredentialOf, macOf } from "../../../core/identity/credential";
import registries from "../../../plugins/registries/plugin";

// The platform's first-password rule as registries contributes it (the unit's budget code).
const credential = initialCredentialOf({ contributions: (id) => [{ plugin: "registries", contribution: registries.extends![id] }] })!;

const rulesOf = (pw: unknown, ctx: Parameters<typeof passwordProblems>[1] = { username: "caigou.zhang" }) =>
  passwordProblems(pw, ctx).map((d) => d.rule);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

describe("password hashing (argon2id at OWASP's minimum)", () => {
  let stored: string;
  beforeAll(async () => {
    stored = await hashPassword("春天的采购计划 spring-plan");
  });

  test("a hash records argon2id, 19 MiB, 2 passes and 1 lane", () => {
    expect(ARGON2_OPTIONS).toMatchObject({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(stored.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
  });

  test("the same password verifies and any other does not", async () => {
    await expect(verifyPassword(stored, "春天的采购计划 spring-plan")).resolves.toBe(true);
    await expect(verifyPassword(stored, "春天的采购计划 spring-plan ")).resolves.toBe(false);
    await expect(verifyPassword(stored, "")).resolves.toBe(false);
  });

  test("a hash in the library's own parameter order (m,p,t) still verifies", async () => {
    const libraryOrder = stored.replace("m=19456,t=2,p=1", "m=19456,p=1,t=2");
    expect(libraryOrder).not.toBe(stored);
    await expect(verifyPassword(libraryOrder, "春天的采购计划 spring-plan")).resolves.toBe(true);
  });

  test("two hashes of one password differ (each has its own salt)", async () => {
    expect(await hashPassword("same password twice")).not.toBe(await hashPassword("same password twice"));
  });

  test.each([
    ["garbage", "not a hash"],
    ["a bcrypt hash", "$2b$10$abcdefghijklmnopqrstuuJ6bWQkQm0nQ2ZyAqQ5m9f6W6H3Xy3i"],
    ["a truncated argon2 hash", "$argon2id$v=19$m=19456,t=2,p=1$"],
    ["an unknown algorithm", "$argon9$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"],
  ])("%s does not verify, and does not throw", async (_case, hash) => {
    await expect(verifyPassword(hash, "anything at all")).resolves.toBe(false);
  });

  test.each([null, undefined, ""])("an account without a password (%p) does not verify", async (hash) => {
    await expect(verifyPassword(hash, "anything at all")).resolves.toBe(false);
  });

  test("a sign-in without a password hash takes as long as one with, so accounts cannot be told apart by time", async () => {
    await burnVerification("warm up the dummy hash");
    const real: number[] = [];
    const absent: number[] = [];
    const unknown: number[] = [];
    // interleaved, so that a burst of load elsewhere on the machine hits all three alike
    for (let i = 0; i < 5; i++) {
      real.push(await timed(() => verifyPassword(stored, "wrong password guess")));
      absent.push(await timed(() => verifyPassword(null, "wrong password guess")));
      unknown.push(await timed(() => burnVerification("wrong password guess")));
    }
    expect(median(absent)).toBeGreaterThanOrEqual(median(real) / 2);
    expect(median(unknown)).toBeGreaterThanOrEqual(median(real) / 2);
  }, 60000);
});

describe("budget-code MACs", () => {
  const key = crypto.randomBytes(32);

  test("are HMAC-SHA256 in hex of the trimmed code", () => {
    const mac = macOf(key, "441300001");
    expect(mac).toMatch(/^[0-9a-f]{64}$/);
    expect(mac).toBe(crypto.createHmac("sha256", key).update("441300001").digest("hex"));
    expect(macOf(key, "  441300001\n")).toBe(mac);
  });

  test("depend on the key", () => {
    expect(macOf(crypto.randomBytes(32), "441300001")).not.toBe(macOf(key, "441300001"));
  });

  test("compare equal only when identical, and never against a missing MAC", () => {
    const mac = macOf(key, "441300001");
    expect(sameMac(mac, macOf(key, "441300001"))).toBe(true);
    expect(sameMac(mac, macOf(key, "441300002"))).toBe(false);
    expect(sameMac(mac, mac.slice(0, 63))).toBe(false);
    expect(sameMac(null, mac)).toBe(false);
    expect(sameMac(undefined, mac)).toBe(false);
    expect(sameMac("", "")).toBe(true);
  });
});

describe("choosing a new password", () => {
  test("the limits are 12 and 256 characters", () => {
    expect([MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH]).toEqual([12, 256]);
  });

  test("12 characters are enough and 11 are not", () => {
    expect(rulesOf("tapir-lemon7")).toEqual([]);
    expect(rulesOf("tapir-lemon")).toEqual(["minLength"]);
  });

  test("length is counted in characters, so a Chinese password of 12 characters is accepted", () => {
    expect(rulesOf("采购预算单位在惠州市里买")).toEqual([]);
    expect(rulesOf("采购预算单位在惠州市里")).toEqual(["minLength"]);
    // 12 characters outside the BMP are 24 UTF-16 units but still 12 characters
    expect(rulesOf("😀🐼🍵🎋🏮🧧🀄🐉🥟🍜🏯🎐")).toEqual([]);
    expect(rulesOf("😀🐼🍵🎋🏮🧧🀄🐉🥟🍜🏯")).toEqual(["minLength"]);
  });

  test("more than 256 characters are refused", () => {
    const ok = Array.from({ length: 256 }, (_, i) => "tapirlemon7!"[i % 12]).join("");
    expect(rulesOf(ok)).toEqual([]);
    expect(rulesOf(ok + "x")).toEqual(["maxLength"]);
    expect(rulesOf("政".repeat(129) + "府".repeat(128))).toEqual(["maxLength"]);
  });

  test("a password containing the username, in any case, is refused", () => {
    expect(rulesOf("my CAIGOU.ZHANG river", { username: "caigou.zhang" })).toEqual(["username"]);
    expect(rulesOf("bob-likes-kites-a-lot", { username: "Bob" })).toEqual(["username"]);
    // a username shorter than 3 characters only matters when it is the whole password
    expect(rulesOf("yu-likes-kites-a-lot", { username: "yu" })).toEqual([]);
    expect(rulesOf("zhang-purchaser-441300", { username: "zhang-purchaser-441300" })).toEqual(["username"]);
  });

  test("the unit's budget code, its first password, is refused as the new one", () => {
    const macKey = crypto.randomBytes(32);
    const initialMac = macOf(macKey, "441300001002003");
    const ctx = { username: "hz-finance", initialMac, credential, macKey };
    expect(rulesOf("441300001002003", ctx)).toContain("initial-credential");
    expect(rulesOf(" 441300001002003 ", ctx)).toContain("initial-credential");
    expect(rulesOf("441300001002004", ctx)).not.toContain("initial-credential");
    // without a MAC or a key there is nothing to compare
    expect(rulesOf("441300001002003", { username: "hz-finance", macKey })).not.toContain("initial-credential");
    expect(rulesOf("441300001002003", { username: "hz-finance", initialMac: null, credential, macKey })).not.toContain("initial-credential");
    expect(rulesOf("441300001002003", { username: "hz-finance", initialMac: initialMac, credential })).not.toContain("initial-credential");
  });

  test("a password containing the budget code anywhere, in any width, is refused; one with only part of it or a neighbour is not (issue 13)", () => {
    const macKey = crypto.randomBytes(32);
    const dotted = { username: "hz-finance", credential, initialMac: macOf(macKey, "441300.001.02"), macKey };
    const plain = { username: "hz-finance", credential, initialMac: macOf(macKey, "441300401"), macKey };
    for (const pw of ["441300401Kites!", "Kites!441300401", "Lychee-441300401-Harbour", "99441300401999-Lychee", "Lychee-Harbour-４４１３００４０１", "x441300401"]) {
      expect([pw, rulesOf(pw, plain).includes("initial-credential")]).toEqual([pw, true]);
    }
    for (const pw of ["Lychee-441300.001.02!", "441300.001.02.7-Lychee", "Lychee-441300.001.02"]) {
      expect([pw, rulesOf(pw, dotted).includes("initial-credential")]).toEqual([pw, true]);
    }
    for (const pw of ["Lychee-44130040-Harbour", "Lychee-441300402-Harbour", "Lychee-4413004.01-Harbour", "Lychee-Harbour-Lantern"]) {
      expect([pw, rulesOf(pw, plain).includes("initial-credential")]).toEqual([pw, false]);
    }
    expect(rulesOf("Lychee-441300.001.03", dotted)).not.toContain("initial-credential");
  });

  test("looking for the budget code in a long password stays cheap", () => {
    const macKey = crypto.randomBytes(32);
    const ctx = { username: "hz-finance", credential, initialMac: macOf(macKey, "441300401"), macKey };
    // 256 digits: every substring of 3 to 40 of them is a candidate, the most work a password can ask for
    const longest = "1234567890".repeat(25) + "123456";
    // The work is counted, not timed (a loaded CI machine is no clock): one MAC per candidate
    // substring at most, so it grows with the length, never with its square or worse. At about
    // 2 µs a MAC that is ~20 ms for this, the longest password there is.
    const macs = jest.spyOn(crypto, "createHmac");
    try {
      expect(passwordProblems(longest, ctx).map((p) => p.rule)).not.toContain("initial-credential");
      expect(macs.mock.calls.length).toBeGreaterThan(0);
      expect(macs.mock.calls.length).toBeLessThanOrEqual(longest.length * (40 - 3 + 1));
    } finally {
      macs.mockRestore();
    }
  });

  test.each([
    ["a listed password", "administrator"],
    ["a listed password in capitals", "QwertyUiop12"],
    ["a listed 12-character pick", "1qaz2wsx3edc"],
    ["a pinyin favourite", "woaini1314520"],
    ["a word of this platform", "zhengfucaigou"],
    ["a listed word followed by digits and punctuation", "Password2024!!"],
    ["a platform word followed by a year", "gdzfcg@2025!"],
    ["a listed word in full-width letters", "ｐａｓｓｗｏｒｄ２０２４"],
    ["one character repeated", "aaaaaaaaaaaaaaa"],
    ["one symbol repeated", "############"],
    ["ascending digits that wrap around", "123456789012"],
    ["descending digits", "98765432109876"],
    ["a keyboard row", "qwertyuiopqwertyuiop"],
    ["a keyboard row backwards", "lkjhgfdsalkjh"],
    ["the alphabet", "abcdefghijklmn"],
  ])("%s is too common (%s)", (_case, pw) => {
    expect(isCommonPassword(pw)).toBe(true);
    expect(rulesOf(pw, { username: "hz-finance" })).toEqual(["common"]);
  });

  test.each([
    ["a listed word with letters after it", "passwordfortheriver"],
    ["a listed word after other text", "mycaigou2024!!"],
    ["digits that neither walk nor start with a listed entry", "739182645073"],
  ])("%s is not on its own common (%s)", (_case, pw) => {
    expect(isCommonPassword(pw)).toBe(false);
  });

  test("all problems are reported together", () => {
    expect(rulesOf("Zhang2024!", { username: "zhang" }).sort()).toEqual(["common", "minLength", "username"]);
    const macKey = crypto.randomBytes(32);
    expect(rulesOf("4413", { username: "4413", credential, initialMac: macOf(macKey, "4413"), macKey }).sort()).toEqual([
      "initial-credential",
      "minLength",
      "username",
    ]);
  });

  test.each([undefined, null, 123456789012, ["password"], { pw: "x" }])("%p is not a password at all", (pw) => {
    expect(rulesOf(pw)).toEqual(["type"]);
  });

  test("problems are field errors on /newPassword, or the path given, in Chinese and English", () => {
    const [problem] = passwordProblems("short", { username: "hz-finance" });
    expect(problem).toEqual({
      path: "/newPassword",
      rule: "minLength",
      message: { "zh-CN": "密码至少需要 12 个字符", en: expect.stringMatching(/at least 12 characters/) },
    });
    for (const d of passwordProblems("Zhang2024!", { username: "zhang", path: "/password" })) {
      expect(d.path).toBe("/password");
      expect(d.message!["zh-CN"]).toMatch(/[\u4e00-\u9fff]/);
      expect(d.message!.en).toMatch(/[a-z]/);
    }
  });

  test("a random passphrase has no problems", () => {
    const words = ["tapir", "lemon", "harbour", "violet", "granite", "orchid", "kettle", "meadow", "saffron", "ember"];
    for (let i = 0; i < 20; i++) {
      const phrase = Array.from({ length: 4 }, () => words[crypto.randomInt(words.length)]).join("-") + crypto.randomInt(100);
      expect(passwordProblems(phrase, { username: "hz-finance" })).toEqual([]);
    }
    expect(passwordProblems(crypto.randomBytes(18).toString("base64url"), { username: "hz-finance" })).toEqual([]);
  });
});

describe("the shipped list of common passwords", () => {
  const entries = fs
    .readFileSync(path.join(__dirname, "../../../core/identity/common-passwords.txt"), "utf8")
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"));

  test("has several hundred entries, each lowercase, trimmed and at least 4 characters", () => {
    expect(entries.length).toBeGreaterThanOrEqual(500);
    for (const entry of entries) {
      expect(entry).toBe(entry.trim().toLowerCase());
      expect([...entry].length).toBeGreaterThanOrEqual(4);
    }
  });

  test("has no duplicates", () => {
    const seen = new Set<string>();
    const duplicates = entries.filter((e) => seen.has(e) || !seen.add(e));
    expect(duplicates).toEqual([]);
  });

  test("every entry is refused as a password", () => {
    expect(entries.filter((e) => !isCommonPassword(e))).toEqual([]);
  });
});
