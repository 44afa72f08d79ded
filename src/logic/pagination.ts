/**
 * Pure helpers for ListObjects / ListObjectsV2 / ListObjectVersions paging.
 *   AWS S3 API Reference, ListObjectsV2 (continuation-token, start-after, delimiter, CommonPrefixes)
 *     https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 *   "List results are always returned in UTF-8 binary order."
 *     https://docs.aws.amazon.com/AmazonS3/latest/userguide/ListingKeysUsingAPIs.html
 *
 * Order: S3 and SQLite's BINARY collation (D1) compare UTF-8 bytes, which is Unicode code point
 * order. JavaScript's `<` compares UTF-16 code units, which disagrees when an astral character
 * (a surrogate pair, 0xD800..0xDFFF) meets U+E000..U+FFFF. Everything here works on code points.
 */
import { S3Error } from "../errors";
import { fromBase64Url, toBase64Url } from "./encoding";

/** Compare two well-formed strings in UTF-8 byte (= code point) order: -1, 0 or 1. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort above U+E000..U+FFFF in code point order.
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/**
 * The smallest string greater than every string that starts with `prefix` (in code point
 * order), or null when there is none (empty prefix, or a prefix of only U+10FFFF). Use it as an
 * exclusive upper bound (`key < successor`) and to skip past a rolled-up CommonPrefix.
 */
export function prefixSuccessor(prefix: string): string | null {
  const cps = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (cps.length > 0) {
    const last = cps.pop()!;
    if (last < 0x10ffff) {
      const next = last === 0xd7ff ? 0xe000 : last + 1; // skip the surrogate range
      return String.fromCodePoint(...cps, next);
    }
  }
  return null;
}

/**
 * The CommonPrefix that `key` rolls up into when listing with `prefix` and `delimiter`: the key up
 * to and including the first delimiter after the prefix; null when there is no delimiter, the key
 * is outside the prefix, or no delimiter follows the prefix.
 */
export function commonPrefixOf(key: string, prefix: string, delimiter: string | undefined): string | null {
  if (!delimiter || !key.startsWith(prefix)) return null;
  // Both strings are well formed, so a code unit match is a code point match.
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? null : key.slice(0, at + delimiter.length);
}

// ---------------------------------------------------------------------------------------------
// Continuation tokens: opaque to clients, base64url of a version byte and the UTF-8 key.

const TOKEN_VERSION = 1;

/** Token that resumes a listing after `key` (exclusive). */
export function encodeContinuationToken(key: string): string {
  const utf8 = new TextEncoder().encode(key);
  const bytes = new Uint8Array(utf8.length + 1);
  bytes[0] = TOKEN_VERSION;
  bytes.set(utf8, 1);
  return toBase64Url(bytes);
}

function badToken(token: string): S3Error {
  return new S3Error("continuationTokenInvalid", undefined, {
    ArgumentName: "continuation-token",
    ArgumentValue: token,
  });
}

/** The key a token resumes after; InvalidArgument for anything we did not issue. */
export function decodeContinuationToken(token: string): string {
  const bytes = fromBase64Url(token);
  if (!bytes || bytes[0] !== TOKEN_VERSION) throw badToken(token);
  let key: string;
  try {
    key = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(1));
  } catch {
    throw badToken(token);
  }
  if (encodeContinuationToken(key) !== token) throw badToken(token); // non-canonical padding bits
  return key;
}
