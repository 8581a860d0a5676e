/**
 * The receipt the server returns for a sealed bid: what it received (the hash), when (server time)
 * and which version, signed with the platform's receipt key (Ed25519). A bidder keeps it and checks
 * it in its browser against the public key of GET /api/etrading/receipt-key; at the opening a
 * ciphertext whose hash differs from its receipt's is flagged.
 */
import { ed25519 } from "@noble/curves/ed25519";
import { HEX, bytesToHex, canonicalJson, hexToBytes, sha256Hex, utf8 } from "./codec";

export interface BidReceipt {
  bidId: string;
  tenderId: string;
  /** the bidder's n-th submission on this tender; only the last one counts */
  version: number;
  /** "submitted" or "withdrawn" */
  action: "submitted" | "withdrawn";
  /** the sealed bid's hash (withdrawal: the hash of the version withdrawn) */
  hash: string;
  /** server time, ISO 8601 UTC */
  receivedAt: string;
  /** the first 16 hex digits of the SHA-256 of the receipt key's public key */
  keyId: string;
  signature: string;
}

export const receiptKeyId = (publicKeyHex: string): string => sha256Hex(hexToBytes(publicKeyHex)).slice(0, 16);

/** The bytes a receipt's signature covers. */
export const receiptContent = (r: Omit<BidReceipt, "signature">) =>
  utf8(`gd-bid-receipt/1|${canonicalJson({ bidId: r.bidId, tenderId: r.tenderId, version: r.version, action: r.action, hash: r.hash, receivedAt: r.receivedAt, keyId: r.keyId })}`);

export function signReceipt(r: Omit<BidReceipt, "signature" | "keyId">, privateKeyHex: string): BidReceipt {
  const privateKey = hexToBytes(privateKeyHex);
  const unsigned = { ...r, keyId: receiptKeyId(bytesToHex(ed25519.getPublicKey(privateKey))) };
  return { ...unsigned, signature: bytesToHex(ed25519.sign(receiptContent(unsigned), privateKey)) };
}

/** The same receipt, signed by another Ed25519 implementation (the server's node:crypto): `sign` answers the signature's hex. */
export function signReceiptWith(r: Omit<BidReceipt, "signature" | "keyId">, publicKeyHex: string, sign: (message: Uint8Array) => string): BidReceipt {
  const unsigned = { ...r, keyId: receiptKeyId(publicKeyHex) };
  return { ...unsigned, signature: sign(receiptContent(unsigned)) };
}

export function verifyReceipt(r: BidReceipt, publicKeyHex: string): boolean {
  if (!HEX(64).test(r.signature) || r.keyId !== receiptKeyId(publicKeyHex)) return false;
  try {
    return ed25519.verify(hexToBytes(r.signature), receiptContent(r), hexToBytes(publicKeyHex));
  } catch {
    return false;
  }
}

export const receiptPublicKey = (privateKeyHex: string): string => bytesToHex(ed25519.getPublicKey(hexToBytes(privateKeyHex)));
