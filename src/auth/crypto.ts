/**
 * Small crypto.subtle helpers shared by SigV4 (HMAC-SHA256), chunk signing and SigV2 (HMAC-SHA1).
 * SigV4 signing key derivation: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
const enc = new TextEncoder();
/** crypto.subtle wants ArrayBuffer-backed views (TS 5.7+ typed-array generics); ours always are. */
type Bytes = Uint8Array<ArrayBuffer>;
const bytes = (d: string | Uint8Array): Bytes => (typeof d === "string" ? enc.encode(d) : d) as Bytes;

export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export function toHex(buf: ArrayBuffer | Uint8Array): string {
  const b = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!];
  return s;
}
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

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

/** Compares two strings without an early exit on the first differing character. */
export function timingSafeEqual(a: string, b: string): boolean {
  const n = Math.max(a.length, b.length);
  let d = a.length ^ b.length;
  for (let i = 0; i < n; i++) d |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return d === 0;
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
