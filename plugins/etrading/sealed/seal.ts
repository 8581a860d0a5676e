/**
 * Sealing a bid in the supplier's browser and opening it after the deadline
 * (plugins/etrading/README.md, "Sealed bids"). The server never holds a key that opens a bid: the
 * data key exists whole only in the bidder's browser while sealing, and again only once k custodians
 * have each unwrapped their share in their own browser and handed it in after the deadline.
 *
 * Primitives are the audited libraries' (@noble/ciphers AES-256-GCM, @noble/curves X25519,
 * @noble/hashes HKDF-SHA-256 and SHA-256, shamir-secret-sharing); nothing here is a primitive.
 * SM4 (GM/T 0002) is not offered: no audited JavaScript SM4 exists (sm-crypto-v2 is built on noble
 * but its SM parts have had no audit), so a tenant requiring GM algorithms cannot be served yet.
 */
import { gcm } from "@noble/ciphers/aes";
import { x25519 } from "@noble/curves/ed25519";
import { hkdf } from "@noble/hashes/hkdf";
import { sha256 } from "@noble/hashes/sha2";
import { concatBytes, randomBytes } from "@noble/hashes/utils";
import { combine, split } from "shamir-secret-sharing";
import { HEX, bytesToHex, canonicalJson, fromBase64, fromUtf8, hexToBytes, sha256Hex, toBase64, utf8 } from "./codec";
import { signWith, verifySoftware, type BidSignature, type SigningProvider } from "./signing";

export const FORMAT = "gd-sealed-bid/1";
/** The algorithms a bid may be sealed with; "SM4-GCM" joins when an audited implementation exists. */
export const ALGORITHMS = ["AES-256-GCM"] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** What the bidder seals: the response form's data and its files (base64), opened only at the opening. */
export interface BidPackage {
  form: Record<string, unknown>;
  files: { name: string; type: string; content: string }[];
}

/** An opening custodian: an id the tender gives it and the X25519 public key made in its browser (hex). */
export interface Custodian {
  id: string;
  publicKey: string;
}

/** A secret sealed to one public key: X25519 with a fresh ephemeral key, HKDF-SHA-256, AES-256-GCM. */
export interface WrappedKey {
  to: string;
  ephemeralPublicKey: string;
  nonce: string;
  wrapped: string;
}

export interface WrappedShare extends WrappedKey {
  /** SHA-256 of the tender id and the share: lets the server refuse a wrong share when it is handed in */
  digest: string;
}

/**
 * A large file of the bid (plans, drawings, videos), sealed in the browser with the bid's own data key
 * and sent up before the bid in chunks that resume (core resumable uploads); the bid names it, and its
 * hash is in what the bidder signs. `sha256` and `size` are of the sealed bytes as uploaded.
 */
export interface SealedFile {
  fileId: string;
  name: string;
  size: number;
  sha256: string;
}
/** Files one bid may name. */
export const MAX_SEALED_FILES = 20;

export interface SealedBid {
  format: typeof FORMAT;
  algorithm: Algorithm;
  tenderId: string;
  /** AES-GCM nonce, hex */
  nonce: string;
  /** the encrypted package with its tag, base64 */
  ciphertext: string;
  /** SHA-256 of nonce ‖ ciphertext, hex: what the receipt and the audit chain carry */
  hash: string;
  threshold: number;
  shares: WrappedShare[];
  /** the tenant option: the data key also sealed to the bidder's own key, for the bidder to decrypt at opening */
  bidderKey?: WrappedKey;
  /** large files sealed with the same data key, uploaded beforehand */
  files?: SealedFile[];
  signature: BidSignature;
}

export interface SealInput {
  tenderId: string;
  package: BidPackage;
  custodians: Custodian[];
  threshold: number;
  /** X25519 public key (hex) of the bidder, when the tenant wants the bidder to hold a copy of the key */
  bidderPublicKey?: string;
  signer: SigningProvider;
  /** the data key the bid's large files were sealed with (newDataKey()); a fresh one otherwise */
  dataKey?: Uint8Array;
  files?: SealedFile[];
}

/** Why a sealed bid cannot be opened, or is not well formed; `path` names the field at fault. */
export class SealError extends Error {
  constructor(
    readonly reason: "malformed" | "hash-mismatch" | "bad-signature" | "not-enough-shares" | "bad-share" | "decryption-failed",
    readonly path = "",
  ) {
    super(`${reason}${path ? ` at ${path}` : ""}`);
  }
}

const packageAad = (tenderId: string) => utf8(`${FORMAT}|package|${tenderId}`);
const wrapContext = (tenderId: string, to: string) => `${tenderId}|${to}`;
export const shareDigest = (tenderId: string, share: Uint8Array): string => sha256Hex(concatBytes(utf8(`${FORMAT}|share|${tenderId}|`), share));

function wrapKey(recipientHex: string, to: string, secret: Uint8Array, context: string): WrappedKey {
  const recipient = hexToBytes(recipientHex);
  const ephemeral = x25519.utils.randomPrivateKey();
  const ephemeralPublic = x25519.getPublicKey(ephemeral);
  const key = hkdf(sha256, x25519.getSharedSecret(ephemeral, recipient), concatBytes(ephemeralPublic, recipient), utf8(`${FORMAT}|wrap`), 32);
  const nonce = randomBytes(12);
  return { to, ephemeralPublicKey: bytesToHex(ephemeralPublic), nonce: bytesToHex(nonce), wrapped: toBase64(gcm(key, nonce, utf8(context)).encrypt(secret)) };
}

function unwrapKey(privateKeyHex: string, w: WrappedKey, context: string): Uint8Array {
  const privateKey = hexToBytes(privateKeyHex);
  const ephemeralPublic = hexToBytes(w.ephemeralPublicKey);
  const key = hkdf(sha256, x25519.getSharedSecret(privateKey, ephemeralPublic), concatBytes(ephemeralPublic, x25519.getPublicKey(privateKey)), utf8(`${FORMAT}|wrap`), 32);
  const wrapped = fromBase64(w.wrapped);
  if (!wrapped) throw new SealError("malformed", "wrapped");
  try {
    return gcm(key, hexToBytes(w.nonce), utf8(context)).decrypt(wrapped);
  } catch {
    throw new SealError("decryption-failed", "wrapped");
  }
}

/** A key pair for a custodian (or a bidder's own copy), made in its browser: X25519, hex. */
export function newKeyPair(): { privateKey: string; publicKey: string } {
  const privateKey = x25519.utils.randomPrivateKey();
  return { privateKey: bytesToHex(privateKey), publicKey: bytesToHex(x25519.getPublicKey(privateKey)) };
}

/** The public half of a key pair kept as its private key alone (a bidder's own key in its browser). */
export const publicKeyOfPair = (privateKeyHex: string): string => bytesToHex(x25519.getPublicKey(hexToBytes(privateKeyHex)));

/** The bytes the bidder signs: everything but the ciphertext itself, which the hash stands for. */
export function signedContent(bid: Omit<SealedBid, "signature" | "ciphertext">): Uint8Array {
  const { format, algorithm, tenderId, nonce, hash, threshold, shares, bidderKey, files } = bid;
  // a bid without files signs what it signed before files existed
  return utf8(canonicalJson({ format, algorithm, tenderId, nonce, hash, threshold, shares, bidderKey, files: files?.length ? files : undefined }));
}

export const ciphertextHash = (nonceHex: string, ciphertext: Uint8Array): string => sha256Hex(concatBytes(hexToBytes(nonceHex), ciphertext));

/** Seals a bid package: encrypt, split the key among the custodians, wrap each share, sign. */
export async function sealBid(input: SealInput): Promise<SealedBid> {
  const { tenderId, custodians, threshold } = input;
  // One custodian alone must never be able to open a bid, and the shares must reach the threshold.
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > custodians.length || custodians.length > 255) {
    throw new SealError("malformed", "threshold");
  }
  custodians.forEach((c, i) => {
    if (!HEX(32).test(c.publicKey)) throw new SealError("malformed", `custodians[${i}].publicKey`);
  });
  if (input.bidderPublicKey !== undefined && !HEX(32).test(input.bidderPublicKey)) throw new SealError("malformed", "bidderPublicKey");

  if (input.dataKey !== undefined && input.dataKey.length !== 32) throw new SealError("malformed", "dataKey");
  const dataKey = input.dataKey ?? randomBytes(32);
  const nonce = randomBytes(12);
  const nonceHex = bytesToHex(nonce);
  const ciphertext = gcm(dataKey, nonce, packageAad(tenderId)).encrypt(utf8(canonicalJson(input.package)));
  const parts = await split(dataKey, custodians.length, threshold);
  const shares = custodians.map((c, i) => ({
    ...wrapKey(c.publicKey, c.id, parts[i], wrapContext(tenderId, c.id)),
    digest: shareDigest(tenderId, parts[i]),
  }));
  const bidderKey = input.bidderPublicKey ? wrapKey(input.bidderPublicKey, "bidder", dataKey, wrapContext(tenderId, "bidder")) : undefined;
  dataKey.fill(0);
  parts.forEach((p) => p.fill(0));
  const files = input.files?.length ? input.files : undefined;
  const unsigned = { format: FORMAT as typeof FORMAT, algorithm: "AES-256-GCM" as const, tenderId, nonce: nonceHex, hash: ciphertextHash(nonceHex, ciphertext), threshold, shares, bidderKey, files };
  return { ...unsigned, ciphertext: toBase64(ciphertext), signature: await signWith(input.signer, signedContent(unsigned)) };
}

/**
 * The form of a sealed bid as the server receives it, and whether its hash matches its ciphertext;
 * throws SealError naming the field at fault. The signature is checked by `verifyBidSignature`.
 */
export function checkSealed(bid: SealedBid): Uint8Array {
  const b = bid as unknown as Record<string, unknown>;
  if (b === null || typeof b !== "object") throw new SealError("malformed", "");
  if (b.format !== FORMAT) throw new SealError("malformed", "format");
  if (!(ALGORITHMS as readonly unknown[]).includes(b.algorithm)) throw new SealError("malformed", "algorithm");
  if (typeof b.tenderId !== "string") throw new SealError("malformed", "tenderId");
  if (typeof b.nonce !== "string" || !HEX(12).test(b.nonce)) throw new SealError("malformed", "nonce");
  const ciphertext = typeof b.ciphertext === "string" ? fromBase64(b.ciphertext) : undefined;
  if (!ciphertext || ciphertext.length < 16) throw new SealError("malformed", "ciphertext");
  if (typeof b.hash !== "string" || !HEX(32).test(b.hash)) throw new SealError("malformed", "hash");
  if (!Number.isInteger(b.threshold)) throw new SealError("malformed", "threshold");
  if (!Array.isArray(b.shares)) throw new SealError("malformed", "shares");
  const wrapped = (w: unknown, path: string, withDigest: boolean) => {
    const o = w as Record<string, unknown>;
    if (o === null || typeof o !== "object" || typeof o.to !== "string") throw new SealError("malformed", `${path}.to`);
    if (typeof o.ephemeralPublicKey !== "string" || !HEX(32).test(o.ephemeralPublicKey)) throw new SealError("malformed", `${path}.ephemeralPublicKey`);
    if (typeof o.nonce !== "string" || !HEX(12).test(o.nonce)) throw new SealError("malformed", `${path}.nonce`);
    if (typeof o.wrapped !== "string" || !fromBase64(o.wrapped)) throw new SealError("malformed", `${path}.wrapped`);
    if (withDigest && (typeof o.digest !== "string" || !HEX(32).test(o.digest))) throw new SealError("malformed", `${path}.digest`);
  };
  b.shares.forEach((s, i) => wrapped(s, `shares[${i}]`, true));
  if (b.bidderKey !== undefined) wrapped(b.bidderKey, "bidderKey", false);
  if (b.files !== undefined) {
    if (!Array.isArray(b.files) || b.files.length > MAX_SEALED_FILES) throw new SealError("malformed", "files");
    b.files.forEach((f: Record<string, unknown>, i) => {
      if (f === null || typeof f !== "object" || typeof f.fileId !== "string") throw new SealError("malformed", `files[${i}].fileId`);
      if (typeof f.name !== "string" || !f.name || f.name.length > 255) throw new SealError("malformed", `files[${i}].name`);
      if (!Number.isSafeInteger(f.size) || (f.size as number) < 29) throw new SealError("malformed", `files[${i}].size`);
      if (typeof f.sha256 !== "string" || !HEX(32).test(f.sha256)) throw new SealError("malformed", `files[${i}].sha256`);
    });
  }
  const s = b.signature as Record<string, unknown>;
  if (s === null || typeof s !== "object" || typeof s.provider !== "string" || typeof s.publicKey !== "string" || typeof s.signature !== "string") {
    throw new SealError("malformed", "signature");
  }
  if (ciphertextHash(bid.nonce, ciphertext) !== bid.hash) throw new SealError("hash-mismatch", "hash");
  return ciphertext;
}

/** A fresh data key for a bid whose large files are sealed before the bid itself. */
export const newDataKey = (): Uint8Array => randomBytes(32);

const fileAad = (tenderId: string, name: string) => utf8(`${FORMAT}|file|${tenderId}|${name}`);

/**
 * Seals one large file of a bid with the bid's data key: nonce ‖ AES-256-GCM(file), bound to the
 * tender and the file's name (a file moved to another bid or renamed does not open). What is
 * uploaded, and whose SHA-256 the bid names.
 */
export function sealFile(dataKey: Uint8Array, tenderId: string, name: string, plain: Uint8Array): Uint8Array {
  const nonce = randomBytes(12);
  return concatBytes(nonce, gcm(dataKey, nonce, fileAad(tenderId, name)).encrypt(plain));
}

/** The SealedFile a bid names for bytes sealed by sealFile and uploaded as `fileId`. */
export const sealedFileRef = (fileId: string, name: string, sealed: Uint8Array): SealedFile => ({ fileId, name, size: sealed.length, sha256: sha256Hex(sealed) });

/**
 * Opens a large file of a bid at the opening, from the same custodians' shares as the bid: the
 * sealed bytes must be those the bidder signed (their hash), then the AEAD tag checks the rest.
 */
export async function openFile(bid: Pick<SealedBid, "tenderId" | "threshold">, shares: string[], file: Pick<SealedFile, "name" | "sha256">, sealed: Uint8Array): Promise<Uint8Array> {
  if (sha256Hex(sealed) !== file.sha256) throw new SealError("hash-mismatch", "files");
  const bytes = shares.map((s) => fromBase64(s));
  if (bytes.some((b) => !b || b.length !== 33)) throw new SealError("bad-share", "shares");
  if (bytes.length < bid.threshold) throw new SealError("not-enough-shares", "shares");
  const dataKey = await combine(bytes as Uint8Array[]);
  try {
    return gcm(dataKey, sealed.subarray(0, 12), fileAad(bid.tenderId, file.name)).decrypt(sealed.subarray(12));
  } catch {
    throw new SealError("decryption-failed", "files");
  } finally {
    dataKey.fill(0);
  }
}

/** True/false for a software signature; undefined when another provider must verify it. */
export const verifyBidSignature = (bid: SealedBid): boolean | undefined => verifySoftware(bid.signature, signedContent(bid));

/** A custodian unwraps its share in its own browser after the deadline: the share, base64, to hand in. */
export function openShare(bid: Pick<SealedBid, "tenderId" | "shares">, custodianId: string, privateKeyHex: string): string {
  const wrapped = bid.shares.find((s) => s.to === custodianId);
  if (!wrapped) throw new SealError("bad-share", "custodianId");
  const share = unwrapKey(privateKeyHex, wrapped, wrapContext(bid.tenderId, custodianId));
  if (shareDigest(bid.tenderId, share) !== wrapped.digest) throw new SealError("bad-share", "digest");
  return toBase64(share);
}

/** Whether a share handed in by a custodian is the one sealed to it (by the digest the bidder signed). */
export function shareMatches(bid: Pick<SealedBid, "tenderId" | "shares">, custodianId: string, shareBase64: string): boolean {
  const wrapped = bid.shares.find((s) => s.to === custodianId);
  const share = fromBase64(shareBase64);
  return !!wrapped && !!share && shareDigest(bid.tenderId, share) === wrapped.digest;
}

function decryptPackage(bid: SealedBid, dataKey: Uint8Array): BidPackage {
  const ciphertext = checkSealed(bid);
  let plain: Uint8Array;
  try {
    plain = gcm(dataKey, hexToBytes(bid.nonce), packageAad(bid.tenderId)).decrypt(ciphertext);
  } catch {
    throw new SealError("decryption-failed", "ciphertext");
  }
  const pkg = JSON.parse(fromUtf8(plain)) as BidPackage;
  if (!pkg || typeof pkg.form !== "object" || !Array.isArray(pkg.files)) throw new SealError("malformed", "package");
  return pkg;
}

/** Opens a bid from at least `threshold` custodians' shares (base64); the AEAD tag is the integrity check. */
export async function openBid(bid: SealedBid, shares: string[]): Promise<BidPackage> {
  const bytes = shares.map((s) => fromBase64(s));
  if (bytes.some((b) => !b || b.length !== 33)) throw new SealError("bad-share", "shares");
  if (bytes.length < bid.threshold) throw new SealError("not-enough-shares", "shares");
  const dataKey = await combine(bytes as Uint8Array[]);
  try {
    return decryptPackage(bid, dataKey);
  } finally {
    dataKey.fill(0);
  }
}

/** The tenant option: the bidder opens its own bid at the opening with the key it sealed to itself. */
export function openWithBidderKey(bid: SealedBid, bidderPrivateKeyHex: string): BidPackage {
  if (!bid.bidderKey) throw new SealError("malformed", "bidderKey");
  const dataKey = unwrapKey(bidderPrivateKeyHex, bid.bidderKey, wrapContext(bid.tenderId, "bidder"));
  try {
    return decryptPackage(bid, dataKey);
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Bidder self-decryption in the opening hall: the bidder's browser unwraps the data key it sealed to
 * its own key and hands the key (base64) in; the server opens the bid with it (`openWithDataKey`),
 * the AEAD tag telling a wrong key from the right one.
 */
export function unwrapBidderKey(bid: Pick<SealedBid, "tenderId" | "bidderKey">, bidderPrivateKeyHex: string): string {
  if (!bid.bidderKey) throw new SealError("malformed", "bidderKey");
  const dataKey = unwrapKey(bidderPrivateKeyHex, bid.bidderKey, wrapContext(bid.tenderId, "bidder"));
  try {
    return toBase64(dataKey);
  } finally {
    dataKey.fill(0);
  }
}

export function openWithDataKey(bid: SealedBid, dataKeyBase64: string): BidPackage {
  const dataKey = fromBase64(dataKeyBase64);
  if (!dataKey || dataKey.length !== 32) throw new SealError("bad-share", "dataKey");
  try {
    return decryptPackage(bid, dataKey);
  } finally {
    dataKey.fill(0);
  }
}
