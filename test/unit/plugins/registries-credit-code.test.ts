import { isUnifiedSocialCreditCode, usccCheckChar } from "../../../core/forms/formats";
import { checkForm } from "../../../core/forms/validate";
import { codeParam } from "../../../plugins/registries/services/coded-registry";

/**
 * The 统一社会信用代码 (GB 32100-2015) is the identity of suppliers and agencies. Its 18th character
 * is a check character over the first 17, in the 31-character alphabet 0-9 A-H J-N P Q R T U W X Y
 * (no I, O, S, V, Z): C18 = 31 − (Σ Ci × Wi mod 31), with 31 written as 0, where
 * Wi = 3^(i−1) mod 31 = 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28.
 *
 * The codes below are made up in the shape real ones have (registration authority, category,
 * division of registration, then the 9-character organisation code) and their check characters
 * computed by hand, e.g. for 91441302MA4UJ8KD2 (an enterprise, 9 1, registered in Huicheng 441302):
 *   values  9 1 4 4 1 3 0 2 M=21 A=10 4 U=27 J=18 8 K=19 D=13 2
 *   Σ = 9 + 3 + 36 + 108 + 19 + 78 + 0 + 34 + 420 + 290 + 100 + 351 + 144 + 192 + 190 + 390 + 56 = 2420
 *   2420 mod 31 = 2, 31 − 2 = 29 → X
 */
const HAND_COMPUTED: Array<[string, string, string]> = [
  ["an enterprise in Huicheng (企业)", "91441302MA4UJ8KD2", "X"],
  ["an individual business in Maonan (个体工商户)", "92440902MA52LT6H0", "Q"],
  ["a public institution of Huizhou (事业单位)", "12441300007234567", "W"],
  ["a private non-enterprise unit of Maoming (民办非企业单位)", "52440900MJL17328X", "R"],
  ["a company registered with the province", "91440000190338768", "C"],
];
const ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";

describe("credit codes of suppliers and agencies (GB 32100-2015 check character)", () => {
  test.each(HAND_COMPUTED)("%s: %s takes %s", (_who, first17, check) => {
    expect(usccCheckChar(first17)).toBe(check);
    expect(isUnifiedSocialCreditCode(first17 + check)).toBe(true);
  });

  test.each(HAND_COMPUTED)("%s, with any other last character, is refused", (_who, first17, check) => {
    for (const c of ALPHABET) if (c !== check) expect(isUnifiedSocialCreditCode(first17 + c)).toBe(false);
  });

  // The weights are non-zero modulo the prime 31, so changing one character always changes the sum.
  test("every single mistyped character is caught", () => {
    const valid = "91441302MA4UJ8KD2X";
    let tried = 0;
    for (let i = 0; i < 18; i++) {
      for (const c of ALPHABET) {
        if (c === valid[i]) continue;
        expect(isUnifiedSocialCreditCode(valid.slice(0, i) + c + valid.slice(i + 1))).toBe(false);
        tried++;
      }
    }
    expect(tried).toBe(18 * 30);
  });

  // Neighbouring weights differ by a factor of 3, so swapping two different neighbours changes the sum too.
  test("every swap of two different neighbouring characters is caught", () => {
    for (const [, first17, check] of HAND_COMPUTED) {
      const valid = first17 + check;
      for (let i = 0; i < 17; i++) {
        if (valid[i] === valid[i + 1]) continue;
        const swapped = valid.slice(0, i) + valid[i + 1] + valid[i] + valid.slice(i + 2);
        expect(isUnifiedSocialCreditCode(swapped)).toBe(false);
      }
    }
  });

  describe("the registries' forms", () => {
    const supplier = (creditCode: string) => ({ name: "惠州市鹏程办公设备有限公司", creditCode, sizeClass: "small", region: "441302" });
    const agency = (creditCode: string) => ({
      name: "惠州市公信招标代理有限公司",
      creditCode,
      region: "441300",
      tenantsServed: ["441300"],
      accreditation: { recordNumber: "粤-0102", registeredOn: "2018-06-01", authority: "440000" },
    });

    test.each([
      ["registries.supplier", supplier],
      ["registries.agency", agency],
    ] as const)("%s takes a valid code and refuses a wrong check character at /creditCode", (form, record) => {
      expect(checkForm(form, record("91441302MA4UJ8KD2X"))).toEqual([]);
      const details = checkForm(form, record("91441302MA4UJ8KD2Y"));
      expect(details).toEqual([expect.objectContaining({ path: "/creditCode", rule: "format:uscc" })]);
      expect(details[0].message).toEqual({ "zh-CN": expect.any(String), en: expect.any(String) });
    });
  });

  describe("a code in a path or a call", () => {
    test("is read without regard to case or surrounding spaces", () => {
      expect(codeParam("91441302ma4uj8kd2x")).toBe("91441302MA4UJ8KD2X");
      expect(codeParam(" 12441300007234567W ")).toBe("12441300007234567W");
    });

    test("that is no credit code is no code at all (answered like a code nobody registered)", () => {
      for (const v of ["91441302MA4UJ8KD2Y", "import", "", undefined, 91441302, "91441302MA4UJ8KD2XX"]) expect(codeParam(v)).toBeNull();
    });
  });
});
