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
