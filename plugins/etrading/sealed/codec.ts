/**
 * Byte encodings shared by the supplier's browser, the custodians' browsers and the server. Only
 * what both a browser and Node have (TextEncoder, btoa/atob): this folder is bundled into the web app.
 */
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils";

export { bytesToHex, hexToBytes };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export const utf8 = (text: string): Uint8Array => encoder.encode(text);
export const fromUtf8 = (bytes: Uint8Array): string => decoder.decode(bytes);

// btoa takes a "binary string"; built in slices because String.fromCharCode(...bytes) of a whole
// package would overflow the call stack.
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * Undefined for text that is not base64, so that callers turn it into their own field error. atob
 * refuses any other character and a misplaced "="; it skips whitespace, which the length check
 * catches (fewer bytes than the text's length promises). No regular expression: on a 100 KB package
 * it cost as much again as the decoding.
 */
export function fromBase64(text: string): Uint8Array | undefined {
  if (typeof text !== "string" || text.length % 4 !== 0) return undefined;
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return undefined;
  }
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  if (binary.length !== (text.length / 4) * 3 - padding) return undefined;
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export const HEX = (bytes: number): RegExp => new RegExp(`^[0-9a-f]{${bytes * 2}}$`);

/**
 * JSON with keys sorted at every level: what is signed must serialise the same in every browser
 * and on every node, whatever order an object was built in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export const sha256Hex = (bytes: Uint8Array): string => bytesToHex(sha256(bytes));
