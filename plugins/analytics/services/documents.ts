import type { Knex } from "knex";
import type { Service } from "moleculer";
import {
  fieldError,
  type PlatformContext,
  PlatformError,
  type PlatformServiceSchema,
  type PluginServiceThis,
  documentCode,
  documentHash,
  sealDocument,
  sumMoney,
  toMoney,
  validationFailed,
  verifyDocument,
} from "../../../core/sdk";
import { readOcdsConfig, type OcdsConfig } from "../ocds-config";
import { compile, type Release } from "./ocds-builder";
import { PROJECTS } from "./ocds-store";
import { ocidParam, publishedReleases } from "./ocds";

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

function kindParam(raw: unknown): DocumentKind {
  const kind = String(raw ?? "");
  if (!(DOCUMENT_KINDS as readonly string[]).includes(kind)) {
    throw validationFailed([{ ...fieldError("/kind", "enum", `文件类型应为 ${DOCUMENT_KINDS.join("、")} 之一`, `the document must be one of ${DOCUMENT_KINDS.join(", ")}`), allowed: [...DOCUMENT_KINDS] }]);
  }
  return kind as DocumentKind;
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
  return { content, tenantCode: project.tenant_code };
}

/** As the analytics has always answered: the document under `document`, the project as `ocid`. */
const answer = (d: { code: string; hash: string; algorithm: string; reference: string; kind: string; issuedAt: string; verifyUrl: string }, content: unknown) => ({
  code: d.code,
  hash: d.hash,
  algorithm: d.algorithm,
  ocid: d.reference,
  kind: d.kind,
  name: KIND_NAMES[d.kind as DocumentKind],
  issuedAt: d.issuedAt,
  verifyUrl: d.verifyUrl,
  document: content,
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
        // the first print of a content is stored and its hash goes into the audit chain (core's
        // sealed documents); a reprint gives the code again
        const sealed = await sealDocument(this.db, { issuer: "analytics", kind, reference: ocid, name: KIND_NAMES[kind], content: doc.content, public: true, tenantCode: doc.tenantCode, origin: this.ocds.baseUrl });
        return answer(sealed, doc.content);
      },
    },

    verify: {
      rest: "GET /verify/:code",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ code: string }>) {
        const v = await verifyDocument(this.db, ctx.params.code, this.ocds.baseUrl);
        if (v.issuer !== "analytics") throw new PlatformError("NOT_FOUND", { "zh-CN": "本平台没有出具过该验证码的文件", en: "This platform issued no document with this code" }, { reason: "unknown-code" });
        // the analytics recomputes what is current: a later fact makes a new version even before anyone prints it
        const now = v.valid ? await currentDocument(this.db, this.ocds, v.reference, v.kind as DocumentKind).catch(() => undefined) : undefined;
        const nowCode = now ? documentCode(documentHash(now.content)) : undefined;
        return { ...answer(v, v.content), valid: v.valid, current: nowCode === v.code, currentCode: nowCode && nowCode !== v.code ? nowCode : null };
      },
    },
  },
};
