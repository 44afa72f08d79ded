/**
 * Small crypto.subtle helpers shared by SigV4 (HMAC-SHA256), chunk signing and SigV2 (HMAC-SHA1).
 * SigV4 signing key derivation: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
import { toHex } from "../logic/encoding";

const enc = new TextEncoder();
/** crypto.subtle wants ArrayBuffer-backed views (TS 5.7+ typed-array generics); ours always are. */
type Bytes = Uint8Array<ArrayBuffer>;
const bytes = (d: string | Uint8Array): Bytes => (typeof d === "string" ? enc.encode(d) : d) as Bytes;

export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", bytes(data)));
}

export async function hmacKey(raw: string | Uint8Array | ArrayBuffer, hash: "SHA-256" | "SHA-1" = "SHA-256"): Promise<CryptoKey> {
  const key = raw instanceof ArrayBuffer ? raw : bytes(raw);
  return crypto.subtle.importKey("raw", key, { name: "HMAC", hash }, false, ["sign"]);
}

export async function hmac(key: CryptoKey, data: string | Uint8Array): Promise<ArrayBuffer> {
  return crypto.subtle.sign("HMAC", key, bytes(data));
}

type BytesEqual = (a: Uint8Array, b: Uint8Array) => boolean;

/**
 * The runtime's constant-time comparison: workerd has crypto.subtle.timingSafeEqual (a Workers
 * extension); Node (where the unit tests run) has node:crypto's timingSafeEqual instead. Both
 * demand equal lengths. Looked up without a static node:crypto import, so the Worker bundle
 * needs no Node module.
 */
function runtimeBytesEqual(): BytesEqual {
  const subtle = crypto.subtle as SubtleCrypto & { timingSafeEqual?: BytesEqual };
  if (typeof subtle.timingSafeEqual === "function") return (a, b) => subtle.timingSafeEqual!(a, b);
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const node = proc?.getBuiltinModule?.("node:crypto") as { timingSafeEqual?: BytesEqual } | undefined;
  if (typeof node?.timingSafeEqual === "function") return node.timingSafeEqual;
  throw new Error("this runtime offers no constant-time comparison");
}
let bytesEqual: BytesEqual | undefined;

/**
 * Compares two strings in constant time for a given length. Lengths are not secret here
 * (signatures are fixed-length hex or base64; the admin token is hashed first).
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = enc.encode(a),
    y = enc.encode(b);
  if (x.length !== y.length) return false;
  return (bytesEqual ??= runtimeBytesEqual())(x, y);
}

// SigV4 signing keys only change daily, so cache them per (secret, date, region, service).
const KEY_CACHE_MAX = 256;
const keyCache = new Map<string, Promise<CryptoKey>>();

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"), as an HMAC key. */
export function signingKey(secret: string, date: string, region: string, service: string): Promise<CryptoKey> {
  const id = `${date}\n${region}\n${service}\n${secret}`;
  let p = keyCache.get(id);
  if (p) return p;
  p = deriveSigningKey(secret, date, region, service);
  p.catch(() => keyCache.delete(id));
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(id, p);
  return p;
}

async function deriveSigningKey(secret: string, date: string, region: string, service: string): Promise<CryptoKey> {
  let k = await hmac(await hmacKey("AWS4" + secret), date);
  for (const part of [region, service, "aws4_request"]) k = await hmac(await hmacKey(k), part);
  return hmacKey(k);
}
