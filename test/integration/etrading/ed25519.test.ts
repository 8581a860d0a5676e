import { fromBase64, newSigningKey, receiptContent, receiptPublicKey, signReceipt, signReceiptWith, signWith, softwareSigner, toBase64, verifyReceipt } from "../../../plugins/etrading/sealed";
import { publicKeyOf, signEd25519, verifyEd25519 } from "../../../plugins/etrading/services/ed25519";

/**
 * The server signs receipts and verifies bids with node:crypto, the browser with @noble/curves: the
 * same keys, the same signatures, each verifying what the other made (plugins/etrading/README.md).
 */
describe("etrading Ed25519: node:crypto on the server, @noble in the browser", () => {
  const unsigned = { bidId: "6f1c0e57-3d0f-4b1c-9a51-6d2a3c4b5e6f", tenderId: "0b9f7c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b", version: 2, action: "submitted" as const, hash: "ab".repeat(32), receivedAt: "2026-12-07T01:29:59.999Z" };

  test("a receipt signed one way verifies the other, with the very same signature", () => {
    const key = newSigningKey();
    const pub = receiptPublicKey(key);
    expect(publicKeyOf(key)).toBe(pub);
    const byNode = signReceiptWith(unsigned, pub, (m) => signEd25519(m, key));
    const byNoble = signReceipt(unsigned, key);
    // Ed25519 is deterministic: one key and one message make one signature
    expect(byNode).toEqual(byNoble);
    expect(verifyReceipt(byNode, pub)).toBe(true);
    expect(verifyEd25519(byNoble.signature, receiptContent(byNoble), pub)).toBe(true);
    // a receipt changed after signing fails in both
    const moved = { ...byNode, receivedAt: "2026-12-07T01:30:00.000Z" };
    expect(verifyReceipt(moved, pub)).toBe(false);
    expect(verifyEd25519(moved.signature, receiptContent(moved), pub)).toBe(false);
  });

  test("a bidder's software signature made in the browser verifies on the server; a wrong or malformed one does not", async () => {
    const key = newSigningKey();
    const message = new TextEncoder().encode("gd-sealed-bid/1|投标文件");
    const sig = await signWith(softwareSigner(key), message);
    expect(verifyEd25519(sig.signature, message, sig.publicKey)).toBe(true);
    expect(verifyEd25519(sig.signature, new TextEncoder().encode("gd-sealed-bid/1|另一份"), sig.publicKey)).toBe(false);
    expect(verifyEd25519(sig.signature, message, receiptPublicKey(newSigningKey()))).toBe(false);
    expect(verifyEd25519(sig.signature.slice(2), message, sig.publicKey)).toBe(false);
    expect(verifyEd25519(sig.signature, message, "zz".repeat(32))).toBe(false);
    // 32 bytes that are no point on the curve
    expect(verifyEd25519(sig.signature, message, "ff".repeat(31) + "7f")).toBe(false);
  });
});

describe("etrading base64 without its regular expression", () => {
  test("fromBase64 still refuses whitespace, other characters, misplaced padding and bad lengths", () => {
    expect(Array.from(fromBase64("AAEC/w==")!)).toEqual([0, 1, 2, 255]);
    expect(Array.from(fromBase64("AAECAw==")!)).toEqual([0, 1, 2, 3]);
    expect(fromBase64("")).toEqual(new Uint8Array(0));
    for (const bad of ["AAEC/w=", "AA EC/w==", "AAEC\n/w==", "    AAE=", "AAEC-w==", "AAEC_w==", "A===", "=AAA", "AA=C", "AAEC/w==    ", "中文AAAA"]) {
      expect([bad, fromBase64(bad)]).toEqual([bad, undefined]);
    }
    const big = new Uint8Array(100 * 1024).map((_, i) => (i * 7) & 255);
    expect(Buffer.from(fromBase64(toBase64(big))!).equals(Buffer.from(big))).toBe(true);
  });
});
