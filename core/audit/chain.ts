import crypto from "node:crypto";

/**
 * The hash chain over core_audit_log, version 1. Written entries are hashed with these functions
 * forever: a change of formula is a new version, and these stay to verify the entries before it.
 *
 *   digest(entry) = SHA-256( canonical JSON of { v: 1, seq, at, actor, tenant, action, object,
 *                                                before: SHA-256(canonical before) | null,
 *                                                after:  SHA-256(canonical after)  | null } )
 *   hash(entry)   = SHA-256( prev_hash ‖ digest(entry) )          (32 bytes ‖ 32 bytes)
 *
 * prev_hash is the previous entry's hash; the first entry's is GENESIS.
 */

/** prev_hash of the first entry */
export const GENESIS = "0".repeat(64);

/**
 * The transaction-level advisory lock that serialised writers of the chain until the sealer
 * (migration 20261128000200_audit_chain uses it; kept so no other lock takes its number), and the
 * one that lets one node at a time write anchors. Outside hashtext()'s 32-bit range and apart from
 * core/db/migrate.ts's 7_243_100_021.
 */
export const CHAIN_LOCK_KEY = 7_243_100_031;
export const ANCHOR_LOCK_KEY = 7_243_100_032;
/** one sealer at a time (core/audit/seal.ts), taken with a try: nobody waits for it */
export const SEAL_LOCK_KEY = 7_243_100_033;

/**
 * JSON with object keys sorted (by UTF-16 code units, as Array.prototype.sort does) at every level
 * and no whitespace: the same text for the same value, whatever order its keys were built in.
 * Numbers and strings are written as JSON.stringify writes them, which makes this RFC 8785 (JCS)
 * for the values JSON can hold. Takes a value as it comes back from JSON.parse (see jsonValue).
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return JSON.stringify(value); // NaN and Infinity: null, as JSON writes them
    case "boolean":
      return value ? "true" : "false";
    case "object":
      break;
    default:
      // undefined, functions, symbols: not JSON; jsonValue() has removed them from real entries
      return "null";
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i ? "," : "") + canonicalJson(value[i]);
    return out + "]";
  }
  const obj = value as Record<string, unknown>;
  let out = "{";
  let first = true;
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v === undefined) continue;
    out += (first ? "" : ",") + JSON.stringify(key) + ":" + canonicalJson(v);
    first = false;
  }
  return out + "}";
}

/**
 * A value as the database will give it back from a jsonb column: Dates become ISO strings, undefined
 * properties disappear, toJSON() is applied. The digest at write time is taken over this, so that
 * the verifier, which only sees what the column holds, computes the same.
 */
export function jsonValue(value: unknown): unknown {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}

// crypto.hash (node 20.12+) is three times as fast as createHash for small inputs
const oneShot = (crypto as unknown as { hash?: (alg: string, data: string | Buffer, enc: "hex") => string }).hash;
export const sha256Hex: (data: string | Buffer) => string = oneShot
  ? (data) => oneShot("sha256", data, "hex")
  : (data) => crypto.createHash("sha256").update(data).digest("hex");

/** SHA-256 of a JSON value's canonical text; null for no value (SQL NULL and JSON null alike) */
export function jsonDigest(value: unknown): string | null {
  return value === null || value === undefined ? null : sha256Hex(canonicalJson(value));
}

/** What of an entry the chain covers, as stored (and as the verifier reads it back). */
export interface ChainedContent {
  seq: number;
  /** milliseconds are the finest unit kept */
  at: Date;
  actor: unknown;
  tenantCode: string | null;
  action: string;
  object: string;
  /** digests of before and after (jsonDigest) */
  beforeDigest: string | null;
  afterDigest: string | null;
}

/**
 * The canonical JSON of an entry's content, canonicalJson({ v: 1, seq, at, actor, tenant, action,
 * object, before, after }), cut around its time and its seq:
 * head + at (ISO, milliseconds) + middle + seq + tail (the migration 20261128000200_audit_chain
 * filled them in SQL). test/unit/audit/chain.test.ts holds this and canonicalJson together.
 */
export function contentTemplate(c: Omit<ChainedContent, "seq" | "at">): { head: string; middle: string; tail: string } {
  const digestOrNull = (d: string | null) => (d === null ? "null" : `"${d}"`);
  return {
    head: `{"action":${JSON.stringify(c.action)},"actor":${canonicalJson(c.actor)},"after":${digestOrNull(c.afterDigest)},"at":"`,
    middle: `","before":${digestOrNull(c.beforeDigest)},"object":${JSON.stringify(c.object)},"seq":`,
    tail: `,"tenant":${canonicalJson(c.tenantCode)},"v":1}`,
  };
}

export function contentDigest(c: ChainedContent): string {
  const t = contentTemplate(c);
  return sha256Hex(t.head + c.at.toISOString() + t.middle + String(c.seq) + t.tail);
}

export function chainHash(prevHash: string, digest: string): string {
  return sha256Hex(Buffer.from(prevHash + digest, "hex"));
}

/** A row of core_audit_log as pg returns it (bigints as strings); seq, prev_hash and hash are null until sealed. */
export interface AuditRow {
  id: string;
  seq: string;
  at: Date;
  actor: unknown;
  tenant_code: string | null;
  action: string;
  object: string;
  before: unknown;
  after: unknown;
  prev_hash: string;
  hash: string;
}

/** The hash a stored row should carry, from its own content and its own prev_hash. */
export function rowHash(row: AuditRow): string {
  const digest = contentDigest({
    seq: Number(row.seq),
    at: row.at,
    actor: row.actor,
    tenantCode: row.tenant_code,
    action: row.action,
    object: row.object,
    beforeDigest: jsonDigest(row.before),
    afterDigest: jsonDigest(row.after),
  });
  return chainHash(row.prev_hash, digest);
}
