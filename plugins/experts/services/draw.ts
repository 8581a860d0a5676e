import { createHash, createHmac } from "node:crypto";

/**
 * The drawing's arithmetic, written so that anyone can redo it from what the record publishes
 * (README, "Verifying a drawing"): no randomness here, only the seed the platform committed to, the
 * opening record's hash nobody controlled in advance, and the eligible experts' ids.
 */

export const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/** The eligible list's fingerprint: its ids, sorted, one per line. */
export const listHash = (ids: readonly string[]): string => sha256(ids.join("\n"));

/**
 * A byte stream from HMAC-SHA256(seed, entropy ":" counter), counter 0, 1, 2...: the seed alone or
 * the entropy alone decides nothing.
 */
class Stream {
  private block = Buffer.alloc(0);
  private pos = 0;
  private counter = 0;
  constructor(
    private readonly seed: string,
    private readonly entropy: string,
  ) {}

  uint32(): number {
    if (this.pos + 4 > this.block.length) {
      this.block = createHmac("sha256", Buffer.from(this.seed, "hex")).update(`${this.entropy}:${this.counter++}`, "utf8").digest();
      this.pos = 0;
    }
    const v = this.block.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Uniform in [0, n): a value in the top, uneven slice of the 32-bit range is drawn again, so no index is favoured. */
  below(n: number): number {
    const limit = Math.floor(0x1_0000_0000 / n) * n;
    for (;;) {
      const v = this.uint32();
      if (v < limit) return v % n;
    }
  }
}

/**
 * Fisher–Yates over the eligible ids sorted by id (the stable key): the whole list in drawing
 * order. The first N are invited; each replacement takes the next one, so every draw of a drawing,
 * replacements too, comes from the one seed chain.
 */
export function drawingOrder(seed: string, entropy: string, eligible: readonly string[]): string[] {
  const out = [...eligible].sort();
  const s = new Stream(seed, entropy);
  for (let i = out.length - 1; i > 0; i--) {
    const j = s.below(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * The opening record's fingerprint: each bid's id, supplier, sealed hash, outcome and price, in
 * the record's order. Final once the opening is closed, and unknown to anyone before: it depends on
 * which bids came, sealed with the bidders' own keys.
 */
export function openingRecordHash(record: { tenderId: string; bids: Array<{ bidId: string; supplierCode: string; hash: string; outcome: string; price: string | null }> }): string {
  return sha256(JSON.stringify([record.tenderId, record.bids.map((b) => [b.bidId, b.supplierCode, b.hash, b.outcome, b.price])]));
}
