import { createHash } from "node:crypto";
import type { Knex } from "knex";
import type { Service } from "moleculer";
import {
  fieldError,
  type PlatformContext,
  PlatformError,
  type PlatformServiceSchema,
  type PluginServiceThis,
  platformNow,
  sumMoney,
  toMoney,
  validationFailed,
  writeAudit,
} from "../../../core/sdk";
import { readOcdsConfig, type OcdsConfig } from "../ocds-config";
import { compile, type Release } from "./ocds-builder";
import { PROJECTS } from "./ocds-store";
import { ocidParam, publishedReleases } from "./ocds";

const DOCUMENTS = "analytics_documents";

/** The public documents of a project that can be printed: each is read from the published releases only. */
export const DOCUMENT_KINDS = ["tender", "award", "contract", "payments"] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

const KIND_NAMES: Record<DocumentKind, { "zh-CN": string; en: string }> = {
  tender: { "zh-CN": "采购公告", en: "tender notice" },
  award: { "zh-CN": "中标（成交）结果公告", en: "award notice" },
  contract: { "zh-CN": "合同公告", en: "contract notice" },
  payments: { "zh-CN": "合同支付记录", en: "payment record" },
};

type This = Service & PluginServiceThis & { ocds: OcdsConfig };

const money = (v: { amount?: number } | undefined) => (typeof v?.amount === "number" ? toMoney(v.amount) : null);
const day = (v: unknown) => (typeof v === "string" ? v.slice(0, 10) : null);

/**
 * What a printed document says: the compiled release's public fields for that stage, by name, and
 * the releases it was read from. Undefined while the project has not reached that stage.
 */
export function documentOf(kind: DocumentKind, ocid: string, tenantCode: string, releases: Release[]): Record<string, unknown> | undefined {
  const c = compile(releases);
  const tender = c.tender ?? {};
  const award = c.awards?.[0];
  const contract = c.contracts?.[0];
  const stageTags: Record<DocumentKind, string[]> = { tender: ["tender", "tenderAmendment"], award: ["award"], contract: ["contract"], payments: ["implementation"] };
  const from = releases.filter((r) => r.tag.some((t: string) => stageTags[kind].includes(t))).map((r) => r.id);
  if (!from.length) return undefined;
  const head = {
    kind,
    ocid,
    tenantCode,
    title: tender.title ?? contract?.title ?? null,
    buyer: c.buyer?.name ?? null,
    method: tender.procurementMethodDetails ?? null,
  };
  switch (kind) {
    case "tender":
      return { ...head, maxPrice: money(tender.value), publishedOn: day(tender.tenderPeriod?.startDate), bidDeadline: day(tender.tenderPeriod?.endDate), amendments: tender.amendments?.length ?? 0, releases: from };
    case "award":
      return { ...head, supplier: award?.suppliers?.[0]?.name ?? null, amount: money(award?.value), awardDate: day(award?.date), bidders: tender.numberOfTenderers ?? null, releases: from };
    case "contract":
      return { ...head, supplier: award?.suppliers?.[0]?.name ?? null, amount: money(contract?.value), signedOn: day(contract?.dateSigned), startDate: day(contract?.period?.startDate), endDate: day(contract?.period?.endDate), filedOn: day(contract?.filingDate), releases: from };
    case "payments": {
      const paid = [...(contract?.implementation?.transactions ?? [])].sort((a, b) => String(a.date).localeCompare(String(b.date)) || String(a.id).localeCompare(String(b.id)));
      const rows = paid.map((t) => ({ date: day(t.date), amount: money(t.value), payee: t.payee?.name ?? null }));
      return { ...head, supplier: award?.suppliers?.[0]?.name ?? null, contractAmount: money(contract?.value), payments: rows, total: toMoney(sumMoney(rows.map((r) => r.amount ?? "0"))), releases: from };
    }
  }
}

/** JSON with its keys sorted at every level: the same content always gives the same bytes, so the same hash. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
  return JSON.stringify(v ?? null);
}

export const contentHash = (content: unknown) => createHash("sha256").update(canonical(content)).digest("hex");

/** Crockford's base-32: no I, L, O or U, so a code read aloud or typed from paper is not misread. */
const B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** The verification code: the hash's first 80 bits, four groups of four, so it is the content's and nobody's choice. */
export function codeOf(hash: string): string {
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

function kindParam(raw: unknown): DocumentKind {
  const kind = String(raw ?? "");
  if (!(DOCUMENT_KINDS as readonly string[]).includes(kind)) {
    throw validationFailed([{ ...fieldError("/kind", "enum", `文件类型应为 ${DOCUMENT_KINDS.join("、")} 之一`, `the document must be one of ${DOCUMENT_KINDS.join(", ")}`), allowed: [...DOCUMENT_KINDS] }]);
  }
  return kind as DocumentKind;
}

interface DocumentRow {
  code: string;
  hash: string;
  ocid: string;
  kind: DocumentKind;
  tenant_code: string;
  content: Record<string, unknown>;
  issued_at: Date;
}

/** The project's document as it stands now, or 404 saying the project has not reached that stage. */
async function currentDocument(db: Knex, cfg: OcdsConfig, ocid: string, kind: DocumentKind) {
  const releases = await publishedReleases(db, ocid, cfg.ocidPrefix);
  const project = (await db(PROJECTS).where({ ocid }).first("tenant_code")) as { tenant_code: string };
  const content = documentOf(kind, ocid, project.tenant_code, releases);
  if (!content) {
    throw new PlatformError(
      "NOT_FOUND",
      { "zh-CN": `该项目尚未发布${KIND_NAMES[kind]["zh-CN"]}`, en: `This project has no ${KIND_NAMES[kind].en} yet` },
      { reason: "no-document", kind },
    );
  }
  const hash = contentHash(content);
  return { content, hash, code: codeOf(hash), tenantCode: project.tenant_code };
}

const answer = (cfg: OcdsConfig, row: Pick<DocumentRow, "code" | "hash" | "ocid" | "kind" | "content"> & { issued_at: Date | string }) => ({
  code: row.code,
  hash: row.hash,
  algorithm: "sha256",
  ocid: row.ocid,
  kind: row.kind,
  name: KIND_NAMES[row.kind],
  issuedAt: new Date(row.issued_at).toISOString(),
  verifyUrl: `${cfg.baseUrl}/verify?code=${row.code}`,
  document: row.content,
});

/**
 * Print views and their verification codes (README.md, "Print and verify"): a project's public
 * documents as the releases state them, each under a code bound to its content's hash, which anyone
 * can check on the portal.
 */
export const documentsService: PlatformServiceSchema = {
  name: "analytics.documents",
  created(this: This) {
    this.ocds = readOcdsConfig();
  },
  actions: {
    // Printing is public (the documents are), and each print is kept: the code must still verify,
    // with what it said, after the project has moved on.
    document: {
      rest: "GET /documents/:ocid/:kind",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ ocid: string; kind: string }>) {
        const ocid = ocidParam(ctx.params.ocid, this.ocds.ocidPrefix);
        const kind = kindParam(ctx.params.kind);
        const doc = await currentDocument(this.db, this.ocds, ocid, kind);
        const row = await this.db.transaction(async (trx) => {
          const inserted = (await trx(DOCUMENTS)
            .insert({ code: doc.code, hash: doc.hash, ocid, kind, tenant_code: doc.tenantCode, content: JSON.stringify(doc.content), issued_at: platformNow() })
            .onConflict("code")
            .ignore()
            .returning("*")) as DocumentRow[];
          // the first print of this content goes into the audit chain: its hash is then sealed
          // with everything else, and an edit of the stored copy breaks the chain
          if (inserted.length) await writeAudit(trx, { actor: { system: "analytics" }, tenantCode: doc.tenantCode, action: "analytics.document.issued", object: doc.code, after: { ocid, kind, hash: doc.hash } });
          return inserted[0] ?? ((await trx(DOCUMENTS).where({ code: doc.code }).first()) as DocumentRow);
        });
        return answer(this.ocds, row);
      },
    },

    verify: {
      rest: "GET /verify/:code",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ code: string }>) {
        const code = normaliseCode(ctx.params.code);
        if (!code) throw validationFailed([fieldError("/code", "format", "验证码应为 16 位字母或数字（如 1A2B-3C4D-5E6F-7G8H）", "a verification code is 16 letters or digits (like 1A2B-3C4D-5E6F-7G8H)")]);
        const row = (await this.db(DOCUMENTS).where({ code }).first()) as DocumentRow | undefined;
        if (!row) throw new PlatformError("NOT_FOUND", { "zh-CN": "本平台没有出具过该验证码的文件", en: "This platform issued no document with this code" }, { reason: "unknown-code" });
        // the stored copy must still give its hash: an edited row does not verify
        const intact = contentHash(row.content) === row.hash;
        const now = intact ? await currentDocument(this.db, this.ocds, row.ocid, row.kind).catch(() => undefined) : undefined;
        return {
          ...answer(this.ocds, row),
          valid: intact,
          // a later fact (another payment) makes a new version; the old code still says what it certified
          current: now?.code === row.code,
          currentCode: now && now.code !== row.code ? now.code : null,
        };
      },
    },
  },
};
