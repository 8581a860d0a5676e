/**
 * Ed25519 on the server through node:crypto (OpenSSL): the same keys, signatures and bytes as
 * @noble/curves in sealed/ (which the browser bundles), several times faster per bid on the hot path
 * of a deadline burst. The raw 32-byte keys are wrapped in their fixed DER headers (RFC 8410), so
 * nothing here changes what a key or a signature looks like on the wire or in the database.
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";

// SubjectPublicKeyInfo and PKCS#8 prefixes of an Ed25519 key (RFC 8410 §4, §7), followed by the 32 raw bytes
const SPKI = Buffer.from("302a300506032b6570032100", "hex");
const PKCS8 = Buffer.from("302e020100300506032b657004220420", "hex");
const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;

/** Bidders sign many versions with the same key, and the receipt key never changes: parsed keys are kept, a bounded few. */
const publicKeys = new Map<string, KeyObject>();
const privateKeys = new Map<string, KeyObject>();
const KEPT = 10_000;

function kept(cache: Map<string, KeyObject>, hex: string, make: () => KeyObject): KeyObject {
  let key = cache.get(hex);
  if (!key) {
    if (cache.size >= KEPT) cache.clear();
    key = make();
    cache.set(hex, key);
  }
  return key;
}

/** True when `signatureHex` is the Ed25519 signature of `message` by `publicKeyHex`; false for anything malformed. */
export function verifyEd25519(signatureHex: string, message: Uint8Array, publicKeyHex: string): boolean {
  if (!HEX128.test(signatureHex) || !HEX64.test(publicKeyHex)) return false;
  try {
    const key = kept(publicKeys, publicKeyHex, () => createPublicKey({ key: Buffer.concat([SPKI, Buffer.from(publicKeyHex, "hex")]), format: "der", type: "spki" }));
    return verify(null, message, key, Buffer.from(signatureHex, "hex"));
  } catch {
    // not a point on the curve
    return false;
  }
}

/** The Ed25519 signature (hex) of `message` by the 32-byte private key `privateKeyHex`. */
export function signEd25519(message: Uint8Array, privateKeyHex: string): string {
  const key = kept(privateKeys, privateKeyHex, () => createPrivateKey({ key: Buffer.concat([PKCS8, Buffer.from(privateKeyHex, "hex")]), format: "der", type: "pkcs8" }));
  return sign(null, message, key).toString("hex");
}

/** The public key (hex) of a 32-byte private key. */
export function publicKeyOf(privateKeyHex: string): string {
  const key = kept(privateKeys, privateKeyHex, () => createPrivateKey({ key: Buffer.concat([PKCS8, Buffer.from(privateKeyHex, "hex")]), format: "der", type: "pkcs8" }));
  return createPublicKey(key).export({ format: "der", type: "spki" }).subarray(SPKI.length).toString("hex");
}
