/**
 * Streams a request body into a fresh blob, verifying on the way everything the client
 * declared: Content-MD5 and x-amz-content-sha256 (by R2), x-amz-checksum-* in a header or an
 * aws-chunked trailer, and the size limits. Shared by PutObject and UploadPart. The body is
 * never buffered; if any check fails, nothing is stored.
 */
import type { RequestContext } from "../context";
import { S3Error } from "../errors";
import { fromBase64 } from "../logic/encoding";
import { algorithmFromHeaderName, checksumTransform, parseChecksumAlgorithm, type ChecksumAlgorithm } from "../logic/checksums";
import { discardUncommitted } from "./write-path";

export type StoredBody = {
  blobKey: string;
  size: number;
  md5Hex: string;
  checksum: { algorithm: ChecksumAlgorithm; value: string } | null;
};

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
export async function storeRequestBody(ctx: RequestContext, opts: StoreOptions): Promise<StoredBody> {
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
  const digests = { md5Base64, sha256Hex: body?.sha256Hex, ssecKeyBase64 };
  const { blobKey, md5Hex, size } =
    length === null
      ? await ctx.deps.blobs.putUnsized(zone, bucketId, stream, { ...digests, maxBytes: limit, limitName }, ctx.now)
      : await ctx.deps.blobs.putNew(zone, bucketId, stream, { ...digests, length }, ctx.now);
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
    discardUncommitted(ctx.deps, zone, [blobKey]);
    throw e;
  }
  return { blobKey, size, md5Hex, checksum };
}
