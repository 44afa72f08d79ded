/**
 * SigV4 canonical request pieces, with S3's rules (no double encoding of the path, no dot-segment
 * normalisation): https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 * ("Canonical request", UriEncode()).
 *
 * Everything works from the raw request target as it came over the wire: `new URL()` would drop
 * "." / ".." segments (valid S3 keys) and re-escape some characters.
 */

/** Path and query of `requestUrl` exactly as sent: no percent-decoding, no dot-segment removal. */
export function rawTarget(requestUrl: string): { path: string; query: string } {
  let s = requestUrl;
  const hash = s.indexOf("#");
  if (hash >= 0) s = s.slice(0, hash);
  const scheme = s.indexOf("://");
  let start = 0;
  if (scheme >= 0) {
    const afterAuthority = s.slice(scheme + 3).search(/[/?]/);
    start = afterAuthority < 0 ? s.length : scheme + 3 + afterAuthority;
  }
  const rest = s.slice(start);
  const q = rest.indexOf("?");
  const path = q >= 0 ? rest.slice(0, q) : rest;
  return { path: path || "/", query: q >= 0 ? rest.slice(q + 1) : "" };
}

const enc = new TextEncoder();
const UNRESERVED = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") UNRESERVED[c.charCodeAt(0)] = 1;
const HEXU = "0123456789ABCDEF";

/** AWS UriEncode() of raw bytes: unreserved characters as-is, everything else %XX (uppercase). */
export function uriEncodeBytes(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out += b < 128 && UNRESERVED[b] ? String.fromCharCode(b) : "%" + HEXU[b >> 4] + HEXU[b & 15];
  }
  return out;
}

export function uriEncode(s: string): string {
  return uriEncodeBytes(enc.encode(s));
}

const hexVal = (c: number) => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);

/**
 * Percent-decodes to bytes (so invalid UTF-8 sequences survive a decode/encode round trip).
 * A "%" not followed by two hex digits stays a literal "%". With `plusIsSpace`, "+" means " ".
 */
export function percentDecodeBytes(s: string, plusIsSpace = false): Uint8Array {
  const src = enc.encode(s);
  const out = new Uint8Array(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 37 && i + 2 < src.length) {
      const hi = hexVal(src[i + 1]!),
        lo = hexVal(src[i + 2]!);
      if (hi >= 0 && lo >= 0) {
        out[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[n++] = plusIsSpace && c === 43 ? 32 : c;
  }
  return out.subarray(0, n);
}

/** Text that decoding and UriEncode() leave as it is (most paths and queries): the byte round trip is skipped. */
const UNRESERVED_PATH = /^[A-Za-z0-9\-._~/]*$/;
const UNRESERVED_COMPONENT = /^[A-Za-z0-9\-._~]*$/;

/** Canonical URI: each "/"-separated segment decoded once and UriEncode()d; "/" kept. */
export function canonicalUri(rawPath: string): string {
  if (!rawPath) return "/";
  if (UNRESERVED_PATH.test(rawPath)) return rawPath;
  return rawPath
    .split("/")
    .map((seg) => uriEncodeBytes(percentDecodeBytes(seg)))
    .join("/");
}

/**
 * Canonical query string: parameters decoded ("+" as space, as URLSearchParams and the router read
 * them), UriEncode()d, sorted by name then value; `exclude` drops one parameter (X-Amz-Signature).
 */
export function canonicalQuery(rawQuery: string, exclude?: string): string {
  const pairs: [string, string][] = [];
  const canonical = (raw: string) => (UNRESERVED_COMPONENT.test(raw) ? raw : uriEncodeBytes(percentDecodeBytes(raw, true)));
  for (const part of rawQuery.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const rawName = eq >= 0 ? part.slice(0, eq) : part;
    const rawValue = eq >= 0 ? part.slice(eq + 1) : "";
    const name = canonical(rawName);
    if (exclude !== undefined && name === exclude) continue;
    pairs.push([name, canonical(rawValue)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/** Header value as signed: trimmed, inner whitespace runs collapsed to one space. */
export function canonicalHeaderValue(v: string): string {
  return v.trim().replace(/\s+/g, " ");
}

/**
 * Canonical headers block ("name:value\n" per signed header, in the order given) for the signed
 * header names. `host` falls back to the URL's host when the runtime does not expose the header.
 */
export function canonicalHeaders(headers: Headers, signed: readonly string[], host: string): string {
  let out = "";
  for (const name of signed) {
    const v = headers.get(name) ?? (name === "host" ? host : "");
    out += `${name}:${canonicalHeaderValue(v)}\n`;
  }
  return out;
}

export function canonicalRequest(method: string, uri: string, query: string, headersBlock: string, signedHeaders: string, payloadHash: string): string {
  return `${method}\n${uri}\n${query}\n${headersBlock}\n${signedHeaders}\n${payloadHash}`;
}
