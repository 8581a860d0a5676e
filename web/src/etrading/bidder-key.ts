import { newKeyPair, publicKeyOfPair } from "../../../plugins/etrading/sealed";

/** The bidder's own X25519 key for a tender, kept by this browser (tender option config.bidderKey): the bid page makes it, the hall uses it. */
export const bidderKeyName = (tender: string) => `gdpc.etrading.bidder.${tender}`;

/** The key this browser keeps for the tender, made on first use (as a custodian's is): the bid's data key is sealed to its public half. */
export function bidderKeyOf(tender: string): { privateKey: string; publicKey: string } {
  const kept = localStorage.getItem(bidderKeyName(tender));
  if (kept && /^[0-9a-f]{64}$/.test(kept)) return { privateKey: kept, publicKey: publicKeyOfPair(kept) };
  const pair = newKeyPair();
  localStorage.setItem(bidderKeyName(tender), pair.privateKey);
  return pair;
}
