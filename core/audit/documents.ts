import type { Knex } from "knex";
import { fieldError, type Localized, PlatformError, validationFailed } from "../errors";
import type { PlatformContext, PlatformServiceSchema } from "../plugins/types";
import { platformNow } from "../calendar";
import { canonicalJson, jsonValue, sha256Hex } from "./chain";
import { writeAudit } from "./log";

/**
 * Sealed documents (README.md, "Sealed documents"): a copy of what a plugin issued on paper or as a
 * PDF, under a code derived from its content's hash, the hash sealed in the audit chain by an entry
 * written in the same transaction. One facility, so that one public route checks every code.
 */

const TABLE = "core_documents";
const ALGORITHM = "sha256";

/** The hash of a document: SHA-256 of its canonical JSON as a jsonb column gives it back (so the stored copy recomputes it). */
export const documentHash = (content: unknown): string => sha256Hex(canonicalJson(jsonValue(content)));

/** Crockford's base-32: no I, L, O or U, so a code read aloud or typed from paper is not misread. */
const B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** The verification code: the hash's first 80 bits, four groups of four, so it is the content's and nobody's choice. */
export function documentCode(hash: string): string {
  let bits = "";
  for (const h of hash.slice(0, 20)) bits += parseInt(h, 16).toString(2).padStart(4, "0");
  let out = "";
  for (let i = 0; i < 80; i += 5) out += B32[parseInt(bits.slice(i, i + 5), 2)];
  return out.match(/.{4}/g)!.join("-");
}

/** A code as typed: case, spaces and hyphens ignored, the letters people mistake for digits read as them. */
export function normaliseCode(raw: unknown): string | undefined {
  const s = String(raw ?? "").toUpperCase().replace(/[\s-]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
  return /^[0-9A-HJKMNP-TV-Z]{16}$/.test(s) ? s.match(/.{4}/g)!.join("-") : undefined;
}

export interface SealInput {
  /** the issuing plugin: the audit entry is "<issuer>.document.issued" */
  issuer: string;
  /** the plugin's own kind of document */
  kind: string;
  /** what the document is of (an id): a new content under the same issuer, kind and reference supersedes the last */
  reference: string;
  name: Localized;
  content: unknown;
  /** whether anyone holding the code may read the content back; otherwise the code verifies without it */
  public: boolean;
  tenantCode?: string | null;
  actor?: Record<string, unknown>;
  /** the site's address for verifyUrl (absolute when given) */
  origin?: string;
}

export interface SealedDocument {
  code: string;
  hash: string;
  algorithm: string;
  issuer: string;
  kind: string;
  reference: string;
  name: Localized;
  issuedAt: string;
  current: boolean;
  verifyUrl: string;
}

interface DocumentRow {
  code: string;
  hash: string;
  algorithm: string;
  issuer: string;
  kind: string;
  reference: string;
  name: Localized;
  tenant_code: string | null;
  public: boolean;
  content: unknown;
  current: boolean;
  issued_at: Date;
}

const verifyPath = (code: string, origin = "") => `${origin.replace(/\/+$/, "")}/verify?code=${code}`;

const view = (row: DocumentRow, origin?: string): SealedDocument => ({
  code: row.code,
  hash: row.hash,
  algorithm: row.algorithm,
  issuer: row.issuer,
  kind: row.kind,
  reference: row.reference,
  name: row.name,
  issuedAt: new Date(row.issued_at).toISOString(),
  current: row.current,
  verifyUrl: verifyPath(row.code, origin),
});

/**
 * Seals a document: the first time a content is issued it is stored and its hash goes into the audit
 * chain; a reprint gives the same code and issue date. Whichever content was sealed last under the
 * issuer, kind and reference is the current one. In the caller's transaction when it has one.
 */
export async function sealDocument(db: Knex | Knex.Transaction, input: SealInput): Promise<SealedDocument> {
  const run = async (trx: Knex.Transaction) => {
    const content = jsonValue(input.content);
    const hash = documentHash(content);
    const code = documentCode(hash);
    const key = `${input.issuer}|${input.kind}|${input.reference}`;
    // two prints of two versions at once must leave one of them current, not both
    await trx.raw("select pg_advisory_xact_lock(hashtextextended(?, 0))", [`core.documents|${key}`]);
    const inserted = (await trx(TABLE)
      .insert({
        code, hash, algorithm: ALGORITHM, issuer: input.issuer, kind: input.kind, reference: input.reference, name: JSON.stringify(input.name),
        tenant_code: input.tenantCode ?? null, public: input.public, content: JSON.stringify(content), current: true, issued_at: platformNow(),
      })
      .onConflict("code")
      .ignore()
      .returning("code")) as Array<{ code: string }>;
    const superseded = (await trx(TABLE).where({ issuer: input.issuer, kind: input.kind, reference: input.reference, current: true }).whereNot({ code }).update({ current: false }).returning("code")) as Array<{ code: string }>;
    if (!inserted.length) await trx(TABLE).where({ code }).update({ current: true });
    // the hash in the chain is what makes an edit of the stored copy show: the copy must still give it
    if (inserted.length) {
      await writeAudit(trx, {
        actor: input.actor ?? { system: input.issuer },
        tenantCode: input.tenantCode ?? null,
        action: `${input.issuer}.document.issued`,
        object: code,
        after: { kind: input.kind, reference: input.reference, hash, algorithm: ALGORITHM, supersedes: superseded.map((s) => s.code) },
      });
    }
    return view((await trx(TABLE).where({ code }).first()) as DocumentRow, input.origin);
  };
  return "isTransaction" in db && db.isTransaction ? run(db as Knex.Transaction) : (db as Knex).transaction(run);
}

export interface VerifiedDocument extends SealedDocument {
  /** the stored copy still gives its hash, and the audit chain holds that hash for this code */
  valid: boolean;
  /** why not, when not */
  problem: "content-changed" | "not-in-audit-chain" | null;
  currentCode: string | null;
  public: boolean;
  /** the audit entry that sealed the hash, and whether the chain has taken it in yet */
  proof: { auditEntry: string; sealed: boolean; seq: string | null } | null;
  content?: unknown;
}

/** What a code says: 400 for a code that cannot be one, 404 for one never issued. */
export async function verifyDocument(db: Knex, raw: unknown, origin?: string): Promise<VerifiedDocument> {
  const code = normaliseCode(raw);
  if (!code) throw validationFailed([fieldError("/code", "format", "验证码应为 16 位字母或数字（如 1A2B-3C4D-5E6F-7G8H）", "a verification code is 16 letters or digits (like 1A2B-3C4D-5E6F-7G8H)")]);
  const row = (await db(TABLE).where({ code }).first()) as DocumentRow | undefined;
  if (!row) throw new PlatformError("NOT_FOUND", { "zh-CN": "本平台没有出具过该验证码的文件", en: "This platform issued no document with this code" }, { reason: "unknown-code" });
  const entry = (await db("core_audit_log").where({ action: `${row.issuer}.document.issued`, object: code }).orderBy("id").first("id", "seq", "after")) as
    | { id: string; seq: string | null; after: { hash?: string } | null }
    | undefined;
  const problem = documentHash(row.content) !== row.hash ? "content-changed" : entry?.after?.hash !== row.hash ? "not-in-audit-chain" : null;
  const current = row.current ? null : ((await db(TABLE).where({ issuer: row.issuer, kind: row.kind, reference: row.reference, current: true }).first("code")) as { code: string } | undefined);
  return {
    ...view(row, origin),
    valid: !problem,
    problem,
    current: !problem && row.current,
    currentCode: current?.code ?? null,
    public: row.public,
    proof: entry ? { auditEntry: String(entry.id), sealed: entry.seq !== null, seq: entry.seq === null ? null : String(entry.seq) } : null,
    ...(row.public ? { content: row.content } : {}),
  };
}

/** GET /api/verify/:code: anyone checks any code the platform issued. */
export function documentsService(knex: Knex): PlatformServiceSchema {
  return {
    name: "documents",
    actions: {
      verify: {
        rest: "GET /verify/:code",
        kind: "read",
        permission: "public",
        async handler(ctx: PlatformContext<{ code: string }>) {
          return verifyDocument(knex, ctx.params.code);
        },
      },
    },
  };
}
