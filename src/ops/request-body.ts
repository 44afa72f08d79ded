/**
 * Small XML request bodies (configuration documents, DeleteObjects, CreateBucket,
 * CompleteMultipartUpload): read in full, then checked against every integrity header the client
 * sent, with the same rules as an object body (ops/upload-body.ts): Content-MD5 and a
 * x-amz-checksum-* header are verified whenever present, also on an aws-chunked body; a checksum
 * announced by x-amz-trailer must arrive (the decoder has then verified it). DeleteObjects and
 * PutBucketCors also require one of them, as S3 does.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html (Content-MD5 required)
 */
import { readBodyBytes } from "../auth";
import type { RequestContext } from "../context";
import { S3Error } from "../errors";
import { checksumMismatch, checksumValuesEqual, createChecksum } from "../logic/checksums";
import { toBase64 } from "../logic/encoding";
import { requestedChecksum } from "./upload-body";

export type IntegrityOptions = {
  /** refuse a body with neither Content-MD5 nor a checksum */
  integrityRequired?: boolean;
  /**
   * x-amz-checksum-* headers describe the resulting object, not this body
   * (CompleteMultipartUpload): only Content-MD5 and a trailer apply.
   */
  checksumHeadersDescribeObject?: boolean;
};

/** Verifies Content-MD5 and the requested checksum over `body` (the whole, already read body). */
export async function verifyBodyIntegrity(ctx: RequestContext, body: Uint8Array, opts: IntegrityOptions = {}): Promise<void> {
  const headers = ctx.request.headers;
  const md5 = headers.get("content-md5");
  const wanted = opts.checksumHeadersDescribeObject ? null : requestedChecksum(headers);
  if (opts.integrityRequired && md5 === null && !wanted) throw new S3Error("contentMd5Required");
  if (md5 !== null) {
    const actual = toBase64(await crypto.subtle.digest("MD5", body as BufferSource));
    if (actual !== md5.trim()) throw new S3Error(/^[A-Za-z0-9+/]{22}==$/.test(md5.trim()) ? "BadDigest" : "InvalidDigest");
  }
  if (!wanted) return;
  if (wanted.inTrailer) {
    if (!(await ctx.body?.trailerChecksum)) throw new S3Error("trailerChecksumMissing");
  } else if (wanted.value !== undefined) {
    const sum = createChecksum(wanted.algorithm);
    sum.update(body);
    if (!checksumValuesEqual(await sum.digest(), wanted.value)) throw checksumMismatch(wanted.algorithm);
  }
}

/** The request body as text, at most `maxBytes`, integrity-checked. */
export async function readXmlBody(ctx: RequestContext, maxBytes: number, opts: IntegrityOptions = {}): Promise<string> {
  const bytes = await readBodyBytes(ctx.body, maxBytes);
  await verifyBodyIntegrity(ctx, bytes, opts);
  return new TextDecoder().decode(bytes);
}
