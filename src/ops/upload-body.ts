/**
 * Streams a request body into a fresh blob, verifying on the way everything the client
 * declared: Content-MD5 and x-amz-content-sha256 (by R2), x-amz-checksum-* in a header or an
 * aws-chunked trailer, and the size limits. Shared by PutObject and UploadPart. The body is
 * never buffered; if any check fails, nothing is stored. The one exception: a PutObject body whose
 * declared length is at most SOS_INLINE_MAX_BYTES is read into memory (that many bytes at most)
 * and kept in the object's D1 row instead (the same checks, computed here instead of by R2).
 */
import { readBodyBytes } from "../auth";
import type { RequestContext } from "../context";
import { S3Error } from "../errors";
import { fromBase64, toHex } from "../logic/encoding";
import { algorithmFromHeaderName, checksumTransform, parseChecksumAlgorithm, type ChecksumAlgorithm } from "../logic/checksums";
import { discardUncommitted } from "./write-path";

export type StoredBody = {
  blobKey: string;
  size: number;
  md5Hex: string;
  checksum: { algorithm: ChecksumAlgorithm; value: string } | null;
};

/** A small body kept for the object's row (no blob). */
export type InlineBody = Omit<StoredBody, "blobKey"> & { blobKey: null; inlineBody: Uint8Array };

/** S3's hard limit for a single PUT; the deployment's request-body limit is usually lower. */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;

function contentMd5(headers: Headers): string | undefined {
  const v = headers.get("content-md5");
  if (v === null) return undefined;
  if (fromBase64(v.trim())?.length !== 16) throw new S3Error("InvalidDigest");
  return v.trim();
}

/** The checksum the client asked for: a header value, a trailer, or just an algorithm to compute. */
export function requestedChecksum(headers: Headers): { algorithm: ChecksumAlgorithm; value?: string; inTrailer: boolean } | null {
  const valued: { algorithm: ChecksumAlgorithm; value: string }[] = [];
  for (const [name, value] of headers) {
    const algorithm = algorithmFromHeaderName(name);
    if (algorithm) valued.push({ algorithm, value });
    else if (name.startsWith("x-amz-checksum-") && name !== "x-amz-checksum-type" && name !== "x-amz-checksum-mode" && name !== "x-amz-checksum-algorithm") {
      throw new S3Error("checksumAlgorithmInvalid");
    }
  }
  if (valued.length > 1) throw new S3Error("checksumHeadersMultiple");
  const trailer = headers.get("x-amz-trailer");
  const trailerAlgo = trailer ? algorithmFromHeaderName(trailer) : null;
  const sdkAlgo = headers.get("x-amz-sdk-checksum-algorithm") ?? headers.get("x-amz-checksum-algorithm");
  if (valued.length === 1) {
    if (sdkAlgo && parseChecksumAlgorithm(sdkAlgo) !== valued[0].algorithm) {
      throw new S3Error("sdkChecksumAlgorithmInvalid");
    }
    return { ...valued[0], inTrailer: false };
  }
  if (trailerAlgo) return { algorithm: trailerAlgo, inTrailer: true };
  if (sdkAlgo) return { algorithm: parseChecksumAlgorithm(sdkAlgo), inTrailer: false };
  return null;
}

export type StoreOptions = {
  zone: string;
  bucketId: string;
  /** compute this checksum when the client sent none (an upload created with x-amz-checksum-algorithm needs every part's) */
  defaultAlgorithm?: ChecksumAlgorithm | null;
  /** the SSE-C key R2 encrypts the blob with (never stored) */
  ssecKeyBase64?: string;
  /** where the body's digests and checksums are declared: the request headers, or a POST form's fields */
  headers?: Headers;
  /**
   * PutObject: a body of unknown length (Transfer-Encoding: chunked, no Content-Length) is stored
   * in fixed-size parts (BlobStore.putUnsized) instead of being refused with MissingContentLength.
   */
  acceptUnknownLength?: boolean;
};

/** Stores the request body under a fresh blob key (step 1 of the write path, ops/write-path.ts). */
export function storeRequestBody(ctx: RequestContext, opts: StoreOptions): Promise<StoredBody> {
  return storeBody(ctx, opts, false) as Promise<StoredBody>;
}

/**
 * An object's body (PutObject, POST Object): inline when its declared length is at most
 * SOS_INLINE_MAX_BYTES and it is not SSE-C encrypted (only R2 can encrypt with the customer's
 * key), else stored as a blob like any body.
 */
export function storeObjectBody(ctx: RequestContext, opts: StoreOptions): Promise<StoredBody | InlineBody> {
  return storeBody(ctx, opts, opts.ssecKeyBase64 === undefined);
}

/** Reads a body of known, small `length` and computes what R2 computes for a blob: MD5, and the signed SHA-256 and Content-MD5 checks. */
async function readInline(
  ctx: RequestContext,
  stream: ReadableStream<Uint8Array>,
  length: number,
  md5Base64: string | undefined,
): Promise<{ bytes: Uint8Array; md5Hex: string }> {
  const bytes = await readBodyBytes({ stream, length, sha256Hex: ctx.body?.sha256Hex }, length);
  const md5Hex = toHex(await crypto.subtle.digest("MD5", bytes as BufferSource));
  if (md5Base64 !== undefined && md5Hex !== toHex(fromBase64(md5Base64)!)) throw new S3Error("BadDigest");
  return { bytes, md5Hex };
}

async function storeBody(ctx: RequestContext, opts: StoreOptions, inlineAllowed: boolean): Promise<StoredBody | InlineBody> {
  const { zone, bucketId, defaultAlgorithm, ssecKeyBase64 } = opts;
  const { body } = ctx;
  const headers = opts.headers ?? ctx.request.headers;
  const length = body ? body.length : 0;
  if (length === null && !opts.acceptUnknownLength) throw new S3Error("MissingContentLength");
  const limit = Math.min(ctx.deps.config.maxRequestBytes, MAX_SINGLE_PUT_BYTES);
  const limitName =
    limit === MAX_SINGLE_PUT_BYTES
      ? "the largest single PUT (upload bigger objects in parts)"
      : "this deployment's request body limit (SOS_MAX_REQUEST_BYTES; upload bigger objects in smaller parts)";
  if (length !== null && length > limit) throw new S3Error("entityTooLarge", { size: length, max: limit, limit: limitName });
  const md5Base64 = contentMd5(headers);
  const wanted = requestedChecksum(headers) ?? (defaultAlgorithm ? { algorithm: defaultAlgorithm, inTrailer: false } : null);

  let stream: ReadableStream<Uint8Array> = body ? body.stream : new Response(new Uint8Array(0)).body!;
  let computed: Promise<string> | undefined;
  if (wanted && !wanted.inTrailer) {
    const t = checksumTransform(wanted.algorithm, wanted.value);
    stream = stream.pipeThrough(t.stream);
    computed = t.result;
  }
  // The length is the declared (decoded, for aws-chunked) length, known before any byte is read.
  const inlineMax = ctx.deps.config.inlineMaxBytes; // 0 = never, not even empty bodies
  const inline = inlineAllowed && inlineMax > 0 && length !== null && length <= inlineMax ? await readInline(ctx, stream, length, md5Base64) : null;
  const digests = { md5Base64, sha256Hex: body?.sha256Hex, ssecKeyBase64 };
  const { blobKey, md5Hex, size } = inline
    ? { blobKey: null, md5Hex: inline.md5Hex, size: inline.bytes.length }
    : length === null
      ? await ctx.deps.blobs.putUnsized(zone, bucketId, stream, { ...digests, maxBytes: limit, limitName }, ctx.now)
      : await ctx.deps.blobs.putNew(zone, bucketId, stream, { ...digests, length, lengthKnown: stream === ctx.request.body }, ctx.now);
  let checksum: StoredBody["checksum"] = null;
  try {
    if (wanted?.inTrailer) {
      const t = await body?.trailerChecksum;
      if (!t) throw new S3Error("trailerChecksumMissing");
      checksum = { algorithm: t.algorithm, value: t.value };
    } else if (wanted && computed) {
      checksum = { algorithm: wanted.algorithm, value: await computed };
    }
  } catch (e) {
    if (blobKey !== null) discardUncommitted(ctx.deps, zone, [blobKey]);
    throw e;
  }
  return inline ? { blobKey: null, inlineBody: inline.bytes, size, md5Hex, checksum } : { blobKey: blobKey!, size, md5Hex, checksum };
}
