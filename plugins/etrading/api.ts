/**
 * What other plugins may import of e-trading: types and extension points only
 * (plugins/README.md, "Extension points").
 */
import { extensionPoint } from "../../core/sdk";

/**
 * What a signing provider other than the platform's software keys (a CA certificate on a UKey,
 * SM2) implements: told the provider id the bid names, the signer's public key or certificate,
 * the signature and the signed bytes (base64), it says whether it knows that provider and whether
 * the signature is good. `supplierCode` lets a certificate provider check the certificate's holder.
 */
export interface BidSignatureVerifier {
  verify(params: { provider: string; publicKey: string; signature: string; message: string; supplierCode: string }): { handled: boolean; valid: boolean };
}

export const signingProviders = extensionPoint<BidSignatureVerifier>("etrading.signing-providers", {
  title: { "zh-CN": "投标签名方式（CA 证书、UKey）", en: "Bid signing providers (CA certificates, UKeys)" },
  description: {
    "zh-CN": "平台自带软件密钥（Ed25519）；其他签名方式由插件提供验签",
    en: "The platform has software keys (Ed25519); plugins provide the verification of other providers",
  },
  methods: { verify: true },
});

/** A bidder as screening sees it: the supplier and, for a consortium, every member (credit.consortium). */
export interface EligibilityBidder {
  code: string;
  name?: string | null;
  /** the consortium's other members; empty for a bidder on its own */
  members?: Array<{ code: string; name?: string | null }>;
}

/** Why a bidder (or one of its members) is excluded or flagged, naming the rule and the list entry. */
export interface EligibilityReason {
  rule: string;
  /** the party the reason is about: the bidder itself or a consortium member */
  party: string;
  /** the list (or fact kind) that says so, with the version the check used */
  source: string;
  version?: string | null;
  message: { "zh-CN": string; en: string };
  detail?: Record<string, unknown>;
}

export interface EligibilityOutcome {
  code: string;
  eligible: boolean;
  /** reasons that exclude (credit.blacklists; a member's counts as the consortium's: credit.consortium) */
  reasons: EligibilityReason[];
  /** reasons that flag without excluding, for the committee to weigh (supplier.relatedParties) */
  flags: EligibilityReason[];
}

/** The lists a check used, as they stood at the cutoff: which import of each (its provenance). */
export interface ListVersionUsed {
  list: string;
  seq: number | null;
  version: string | null;
  source: string | null;
  fetchedAt: string | null;
  importedAt: string | null;
}

/**
 * What an eligibility provider (credit) implements: given a tender, its bidders (every consortium
 * member) and the cutoff the documents declare, each bidder eligible or excluded with reasons, and
 * the list versions used. `committee` names the units that run the tender, so the provider may let
 * them read the bidders' credit files.
 */
export interface EligibilityProvider {
  check(params: {
    tenderId: string;
    tenantCode: string;
    cutoff: string;
    bidders: EligibilityBidder[];
    committee: string[];
  }): { bidders: EligibilityOutcome[]; lists: ListVersionUsed[]; checkedAt: string };
}

export const eligibility = extensionPoint<EligibilityProvider>("etrading.eligibility", {
  title: { "zh-CN": "投标人资格信用筛查", en: "Bidder eligibility (credit screening)" },
  description: {
    "zh-CN": "在招标文件载明的信用查询截止时点，逐一（联合体逐个成员）查询失信名单；未安装提供方时快照注明未筛查",
    en: "At the credit-query cutoff the documents declare, each bidder (every consortium member) is checked against the lists; with no provider the snapshot says so",
  },
  methods: { check: true },
});

/** A bidder's deposit or guarantee for one tender, as its provider knows it. */
export interface BidSecurityStatus {
  /** whether this provider knows the bidder's security for the tender; the hall asks the next one otherwise */
  handled: boolean;
  kind?: "deposit" | "guarantee";
  /** `received`: paid in or issued and valid; `missing`: nothing yet; `invalid`: returned, expired, below the amount */
  status?: "received" | "missing" | "invalid";
  amount?: string | null;
  /** the guarantee's number or the payment's reference, shown in the hall */
  reference?: string | null;
  /** why a security is `invalid` or `missing`, as the provider says it: the reason a bidder is excluded at the deadline */
  reason?: { "zh-CN": string; en: string };
}

/**
 * What a bid-security provider implements (the finance plugin's e-guarantees later; e-trading's own
 * plain deposit record now): asked at the opening, for each bidder, whether the tender's deposit or
 * guarantee is in place. `required` is what the documents ask (their `deposit` field), or null.
 */
export interface BidSecurityProvider {
  status(params: { tenantCode: string; tenderId: string; supplierCode: string; required: { kind?: string; amount?: string } | null }): BidSecurityStatus;
}

export const bidSecurity = extensionPoint<BidSecurityProvider>("etrading.bid-security", {
  title: { "zh-CN": "投标保证金与保函", en: "Bid deposits and guarantees" },
  description: {
    "zh-CN": "开标时公布每名投标人的保证金或电子保函状态；平台自带保证金到账登记，电子保函由插件提供",
    en: "At the opening each bidder's deposit or e-guarantee status is published; the platform records deposits received, plugins provide e-guarantees",
  },
  methods: { status: true },
});
