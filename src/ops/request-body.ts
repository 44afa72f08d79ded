/**
 * Small XML request bodies (configuration documents, DeleteObjects): read in full, then checked
 * against the integrity headers the client sent. Content-MD5 and x-amz-checksum-* are verified
 * whenever present; DeleteObjects also requires one of them, as S3 does.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html (Content-MD5 required)
 */
import { readBodyBytes } from "../auth";
import type { RequestContext } from "../context";
import { S3Error } from "../errors";
import { bytesToBase64, checksumMismatch, checksumValuesEqual, createChecksum } from "../logic/checksums";
import { requestedChecksum } from "./upload-body";

/** Verifies Content-MD5 and a header checksum over `body`; `required` demands at least one of them. */
export async function verifyBodyIntegrity(headers: Headers, body: Uint8Array, opts: { trailerVerified: boolean; required: boolean }): Promise<void> {
  const md5 = headers.get("content-md5");
  const wanted = requestedChecksum(headers);
  if (opts.required && md5 === null && !wanted) throw new S3Error("InvalidRequest", "Missing required header for this request: Content-MD5");
  if (md5 !== null) {
    const actual = bytesToBase64(new Uint8Array(await crypto.subtle.digest("MD5", body as BufferSource)));
    if (actual !== md5.trim()) throw new S3Error(/^[A-Za-z0-9+/]{22}==$/.test(md5.trim()) ? "BadDigest" : "InvalidDigest");
  }
  if (wanted && wanted.value !== undefined && !opts.trailerVerified) {
    const sum = createChecksum(wanted.algorithm);
    sum.update(body);
    if (!checksumValuesEqual(await sum.digest(), wanted.value)) throw checksumMismatch(wanted.algorithm);
  }
}

/** The request body as text, at most `maxBytes`, integrity-checked. */
export async function readXmlBody(ctx: RequestContext, maxBytes: number, opts: { integrityRequired?: boolean } = {}): Promise<string> {
  const bytes = await readBodyBytes(ctx.body, maxBytes);
  await verifyBodyIntegrity(ctx.request.headers, bytes, { trailerVerified: !!ctx.body?.trailerChecksum, required: opts.integrityRequired ?? false });
  return new TextDecoder().decode(bytes);
}
