/**
 * The signing-provider extension point of sealed bids. A bid is signed by its bidder; how the key is
 * held differs: a software key in the browser today, a CA certificate on a UKey (SM2) later. Each
 * provider has an id that travels with the signature, so the server knows which verifier to use:
 * software keys are verified here, others by the plugin contributing to `etrading.signingProviders`
 * (plugins/etrading/README.md).
 */
import { ed25519 } from "@noble/curves/ed25519";
import { HEX, bytesToHex, hexToBytes } from "./codec";

export interface BidSignature {
  /** which provider made it: "software-ed25519" here; "ca-sm2" and the like come from other plugins */
  provider: string;
  /** the signer's public key (or, for a certificate provider, the certificate), as that provider writes it */
  publicKey: string;
  /** the signature, hex */
  signature: string;
}

/** What a browser-side key holder implements: a software key now, a UKey driver later. */
export interface SigningProvider {
  readonly id: string;
  publicKey(): Promise<string>;
  sign(message: Uint8Array): Promise<string>;
}

export const SOFTWARE_PROVIDER = "software-ed25519";

/** A software signing key, generated in the supplier's browser and kept there. */
export function softwareSigner(privateKeyHex: string): SigningProvider {
  const privateKey = hexToBytes(privateKeyHex);
  return {
    id: SOFTWARE_PROVIDER,
    publicKey: async () => bytesToHex(ed25519.getPublicKey(privateKey)),
    sign: async (message) => bytesToHex(ed25519.sign(message, privateKey)),
  };
}

export const newSigningKey = (): string => bytesToHex(ed25519.utils.randomPrivateKey());

export async function signWith(provider: SigningProvider, message: Uint8Array): Promise<BidSignature> {
  return { provider: provider.id, publicKey: await provider.publicKey(), signature: await provider.sign(message) };
}

/**
 * True when a software signature is valid; undefined when the provider is not one this module
 * knows (the caller asks the extension point), false for a malformed or wrong signature.
 */
export function verifySoftware(sig: BidSignature, message: Uint8Array): boolean | undefined {
  if (sig.provider !== SOFTWARE_PROVIDER) return undefined;
  if (!HEX(32).test(sig.publicKey) || !HEX(64).test(sig.signature)) return false;
  try {
    return ed25519.verify(hexToBytes(sig.signature), message, hexToBytes(sig.publicKey));
  } catch {
    return false;
  }
}
