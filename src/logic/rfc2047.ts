/**
 * RFC 2047 encoded-words, the form in which S3 carries non-ASCII user metadata (x-amz-meta-*) in
 * HTTP headers. S3 decodes a value made of encoded-words before storing it, reads any other byte of
 * a header as ISO-8859-1, and returns a stored value that is not printable US-ASCII as one
 * `=?UTF-8?B?...?=` word over its UTF-8 bytes.
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html ("User-defined object metadata")
 *   https://www.rfc-editor.org/rfc/rfc2047
 */
import { fromBase64, toBase64 } from "./encoding";

/** Printable US-ASCII and tab: sent back as is. */
const PLAIN = /^[\t\x20-\x7e]*$/;
const WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/y;

/** The header value for a stored metadata value. */
export function encodeMetadataValue(value: string): string {
  return PLAIN.test(value) ? value : `=?UTF-8?B?${toBase64(new TextEncoder().encode(value))}?=`;
}

function wordBytes(encoding: string, text: string): Uint8Array | null {
  if (encoding === "B" || encoding === "b") return fromBase64(text);
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "_") out.push(0x20);
    else if (c === "=") {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
      out.push(Number.parseInt(hex, 16));
      i += 2;
    } else out.push(c.charCodeAt(0));
  }
  return new Uint8Array(out);
}

function decodeCharset(charset: string, bytes: Uint8Array): string | null {
  const name = charset.split("*")[0]!.toLowerCase();
  try {
    if (name === "utf-8" || name === "us-ascii") return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    if (name === "iso-8859-1") return String.fromCharCode(...bytes);
  } catch {
    return null;
  }
  return null;
}

/**
 * The stored value for a metadata header value (a byte string, one char per byte): a value made only
 * of encoded-words (whitespace between them is dropped, as RFC 2047 says) is decoded; anything else
 * is kept as received.
 */
export function decodeMetadataValue(raw: string): string {
  const trimmed = raw.trim();
  if (!trimmed.startsWith("=?")) return raw;
  let out = "";
  let at = 0;
  while (at < trimmed.length) {
    WORD.lastIndex = at;
    const m = WORD.exec(trimmed);
    if (!m) return raw;
    const bytes = wordBytes(m[2]!, m[3]!);
    const text = bytes && decodeCharset(m[1]!, bytes);
    if (text === null || text === undefined) return raw;
    out += text;
    at = WORD.lastIndex;
    while (at < trimmed.length && /\s/.test(trimmed[at]!)) at++;
  }
  return out;
}
