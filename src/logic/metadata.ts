/**
 * Object metadata taken from PutObject / CreateMultipartUpload / CopyObject (REPLACE) headers,
 * and the headers GetObject/HeadObject send back.
 *   AWS S3 User Guide, "Working with object metadata"
 *     https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html
 *     ("the user-defined metadata is limited to 2 KB in size. The size of user-defined metadata
 *     is measured by taking the sum of the number of bytes in the UTF-8 encoding of each key and
 *     value". We read "key" as the name after the x-amz-meta- prefix; names are stored lowercased.)
 *   AWS S3 API Reference, GetObject, "response-*" overrides
 *     https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 *   AWS S3 API Reference, "Transferring Payload in Multiple Chunks (Chunked Upload)"
 *     https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 *     aws-chunked is a transfer coding, removed from the stored Content-Encoding.
 * Non-ASCII user metadata travels as RFC 2047 encoded-words (logic/rfc2047.ts), as on S3.
 * Content-Type defaults to binary/octet-stream, which is what S3 serves for objects uploaded
 * without one (and what the AWS SDKs document as the default).
 */
import { S3Error } from "../errors";
import { utf8ByteLength } from "./names";
import { decodeMetadataValue, encodeMetadataValue } from "./rfc2047";

export const USER_METADATA_MAX_BYTES = 2048;
export const USER_METADATA_PREFIX = "x-amz-meta-";
export const DEFAULT_CONTENT_TYPE = "binary/octet-stream";

/**
 * Standard HTTP headers S3 stores with an object and replays on GET/HEAD. A type alias (not an
 * interface) so that it is assignable to Record<string, string> for JSON storage.
 */
export type StoredHeaders = {
  contentType: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
};

export type ObjectMetadata = {
  /** Lowercased names without the x-amz-meta- prefix. */
  userMeta: Record<string, string>;
  http: StoredHeaders;
};

/**
 * Bytes a header value occupied on the wire. Header values reach the Worker as byte strings
 * (one char per byte, UTF-8 bytes seen as Latin-1), so their length is their size; a string
 * holding characters above U+00FF (built in code) is measured as UTF-8.
 */
function headerValueBytes(v: string): number {
  return /^[\u0000-\u00ff]*$/.test(v) ? v.length : utf8ByteLength(v);
}

/** Size of user metadata as S3 counts it against the 2 KB limit. */
export function userMetadataSize(userMeta: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(userMeta)) n += utf8ByteLength(k) + headerValueBytes(v);
  return n;
}

/** Drop the aws-chunked transfer coding from a Content-Encoding list; undefined if nothing is left. */
export function storedContentEncoding(value: string | null): string | undefined {
  if (value === null) return undefined;
  const codings = value.split(",").map((c) => c.trim());
  if (!codings.some((c) => c.toLowerCase() === "aws-chunked")) return value.trim() || undefined;
  const rest = codings.filter((c) => c !== "" && c.toLowerCase() !== "aws-chunked");
  return rest.length > 0 ? rest.join(",") : undefined;
}

function optional(v: string | null): string | undefined {
  return v === null || v === "" ? undefined : v;
}

/** Read user metadata and stored content headers; throws MetadataTooLarge past 2 KB. */
export function extractObjectMetadata(headers: Headers): ObjectMetadata {
  const userMeta: Record<string, string> = {};
  headers.forEach((value, name) => {
    const lower = name.toLowerCase(); // Headers already lowercases; keep it explicit
    if (!lower.startsWith(USER_METADATA_PREFIX)) return;
    const key = lower.slice(USER_METADATA_PREFIX.length);
    if (key !== "") Object.defineProperty(userMeta, key, { value: decodeMetadataValue(value), enumerable: true, writable: true, configurable: true });
  });
  if (userMetadataSize(userMeta) > USER_METADATA_MAX_BYTES) throw new S3Error("MetadataTooLarge");

  const http: StoredHeaders = { contentType: optional(headers.get("content-type")) ?? DEFAULT_CONTENT_TYPE };
  const encoding = storedContentEncoding(headers.get("content-encoding"));
  if (encoding !== undefined) http.contentEncoding = encoding;
  const disposition = optional(headers.get("content-disposition"));
  if (disposition !== undefined) http.contentDisposition = disposition;
  const language = optional(headers.get("content-language"));
  if (language !== undefined) http.contentLanguage = language;
  const cacheControl = optional(headers.get("cache-control"));
  if (cacheControl !== undefined) http.cacheControl = cacheControl;
  const expires = optional(headers.get("expires"));
  if (expires !== undefined) http.expires = expires;
  return { userMeta, http };
}

/** Query parameters of GetObject/HeadObject that override a response header. */
export const RESPONSE_OVERRIDES = {
  "response-content-type": "Content-Type",
  "response-content-language": "Content-Language",
  "response-expires": "Expires",
  "response-cache-control": "Cache-Control",
  "response-content-disposition": "Content-Disposition",
  "response-content-encoding": "Content-Encoding",
} as const;

/** S3 refuses these on anonymous requests (InvalidRequest); the caller checks. */
export function hasResponseOverrides(query: URLSearchParams): boolean {
  return Object.keys(RESPONSE_OVERRIDES).some((p) => query.has(p));
}

/**
 * The stored headers plus x-amz-meta-*, with non-empty response-* overrides applied. Accepts a
 * partial (e.g. JSON-loaded) record: a missing Content-Type is served as binary/octet-stream.
 */
export function responseHeadersFor(
  meta: { userMeta: Record<string, string>; http: Partial<StoredHeaders> },
  overrides: URLSearchParams | null = null,
): Record<string, string> {
  const h = meta.http;
  const out: Record<string, string> = { "Content-Type": h.contentType ?? DEFAULT_CONTENT_TYPE };
  if (h.contentEncoding !== undefined) out["Content-Encoding"] = h.contentEncoding;
  if (h.contentDisposition !== undefined) out["Content-Disposition"] = h.contentDisposition;
  if (h.contentLanguage !== undefined) out["Content-Language"] = h.contentLanguage;
  if (h.cacheControl !== undefined) out["Cache-Control"] = h.cacheControl;
  if (h.expires !== undefined) out.Expires = h.expires;
  if (overrides) {
    for (const [param, header] of Object.entries(RESPONSE_OVERRIDES)) {
      const v = overrides.get(param);
      if (v) out[header] = v;
    }
  }
  for (const [k, v] of Object.entries(meta.userMeta)) out[USER_METADATA_PREFIX + k] = encodeMetadataValue(v);
  return out;
}
