import {
  SealError,
  checkSealed,
  fromBase64,
  newKeyPair,
  newSigningKey,
  openBid,
  openShare,
  openWithBidderKey,
  receiptPublicKey,
  sealBid,
  shareMatches,
  signReceipt,
  softwareSigner,
  toBase64,
  verifyBidSignature,
  verifyReceipt,
  type BidPackage,
  type SealedBid,
} from "../../../plugins/etrading/sealed";

const tenderId = "7b0c3a52-6a43-4d1e-9a59-1f7e0e7b1c11";
const pkg: BidPackage = {
  form: { price: "398000.00", delivery: "30 日内交货" },
  files: [{ name: "技术响应.pdf", type: "application/pdf", content: toBase64(new Uint8Array(2048).map((_, i) => i % 251)) }],
};
const custodians = ["agency", "purchaser", "supervisor"].map((id) => ({ id, ...newKeyPair() }));
const signingKey = newSigningKey();

const seal = (extra: Partial<Parameters<typeof sealBid>[0]> = {}) =>
  sealBid({ tenderId, package: pkg, custodians: custodians.map(({ id, publicKey }) => ({ id, publicKey })), threshold: 2, signer: softwareSigner(signingKey), ...extra });

const shareOf = (bid: SealedBid, i: number) => openShare(bid, custodians[i].id, custodians[i].privateKey);

describe("sealed bids: the crypto shared by browser and server", () => {
  it("opens with any 2 of the 3 custodians' shares and not with 1", async () => {
    const bid = await seal();
    for (const [a, b] of [[0, 1], [0, 2], [1, 2]]) {
      await expect(openBid(bid, [shareOf(bid, a), shareOf(bid, b)])).resolves.toEqual(pkg);
    }
    await expect(openBid(bid, [shareOf(bid, 0)])).rejects.toMatchObject({ reason: "not-enough-shares" });
  });

  it("keeps the plaintext out of everything the server stores", async () => {
    const bid = await seal();
    const stored = JSON.stringify(bid);
    expect(stored).not.toContain("398000.00");
    expect(stored).not.toContain(toBase64(new TextEncoder().encode("398000.00")));
    expect(stored).not.toContain(pkg.files[0].content.slice(0, 40));
  });

  it("refuses a threshold a single custodian could open, or above the custodians", async () => {
    await expect(seal({ threshold: 1 })).rejects.toMatchObject({ reason: "malformed", path: "threshold" });
    await expect(seal({ threshold: 4 })).rejects.toMatchObject({ reason: "malformed", path: "threshold" });
  });

  it("gives a custodian nothing with another custodian's key", async () => {
    const bid = await seal();
    expect(() => openShare(bid, custodians[0].id, custodians[1].privateKey)).toThrow(SealError);
    expect(() => openShare(bid, custodians[0].id, newKeyPair().privateKey)).toThrow(SealError);
  });

  it("checks a handed-in share against the digest the bidder signed", async () => {
    const bid = await seal();
    expect(shareMatches(bid, "agency", shareOf(bid, 0))).toBe(true);
    expect(shareMatches(bid, "agency", shareOf(bid, 1))).toBe(false);
    expect(shareMatches(bid, "agency", "not base64!")).toBe(false);
  });

  it("flags a ciphertext changed after sealing: the hash no longer matches", async () => {
    const bid = await seal();
    const bytes = fromBase64(bid.ciphertext)!;
    bytes[10] ^= 1;
    const tampered = { ...bid, ciphertext: toBase64(bytes) };
    expect(() => checkSealed(tampered)).toThrow(expect.objectContaining({ reason: "hash-mismatch" }));
    await expect(openBid(tampered, [shareOf(bid, 0), shareOf(bid, 1)])).rejects.toMatchObject({ reason: "hash-mismatch" });
  });

  it("binds the signature to the hash, the shares and the tender", async () => {
    const bid = await seal();
    expect(verifyBidSignature(bid)).toBe(true);
    const other = await seal();
    expect(verifyBidSignature({ ...bid, hash: other.hash })).toBe(false);
    expect(verifyBidSignature({ ...bid, shares: other.shares })).toBe(false);
    expect(verifyBidSignature({ ...bid, tenderId: "another" })).toBe(false);
    expect(verifyBidSignature({ ...bid, signature: { ...bid.signature, provider: "ca-sm2" } })).toBeUndefined();
  });

  it("does not open a package moved to another tender", async () => {
    const bid = await seal();
    const shares = [shareOf(bid, 0), shareOf(bid, 1)];
    await expect(openBid({ ...bid, tenderId: "another" }, shares)).rejects.toMatchObject({ reason: "decryption-failed" });
  });

  it("lets the bidder open its own bid when the tenant option seals the key to it too", async () => {
    const bidderKey = newKeyPair();
    const bid = await seal({ bidderPublicKey: bidderKey.publicKey });
    expect(openWithBidderKey(bid, bidderKey.privateKey)).toEqual(pkg);
    expect(() => openWithBidderKey(bid, newKeyPair().privateKey)).toThrow(SealError);
    expect(() => openWithBidderKey(bid, custodians[0].privateKey)).toThrow(SealError);
  });

  it("signs receipts that a bidder verifies, and no altered one", () => {
    const serverKey = newSigningKey();
    const receipt = signReceipt({ bidId: "b1", tenderId, version: 2, action: "submitted", hash: "ab".repeat(32), receivedAt: "2026-12-07T01:00:00.000Z" }, serverKey);
    expect(verifyReceipt(receipt, receiptPublicKey(serverKey))).toBe(true);
    expect(verifyReceipt({ ...receipt, receivedAt: "2026-12-07T00:59:59.000Z" }, receiptPublicKey(serverKey))).toBe(false);
    expect(verifyReceipt({ ...receipt, version: 1 }, receiptPublicKey(serverKey))).toBe(false);
    expect(verifyReceipt(receipt, receiptPublicKey(newSigningKey()))).toBe(false);
  });
});
