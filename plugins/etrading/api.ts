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
