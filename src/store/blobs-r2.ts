/**
 * ALL R2 calls: one R2 binding per zone, opaque immutable blob keys, ranges, SSE-C keys,
 * and R2's errors mapped to S3 errors.
 *
 * Blob keys are `<bucket id>/<time36>-<random>`: never the S3 key (R2 normalises keys and
 * rate-limits writes per key), and the time prefix lets the orphan sweep skip young blobs.
 */
import { S3Error } from "../errors";
import { fromBase64, toHex } from "../logic/encoding";
import { r2BindingName, type Env } from "../env";
import type { Subrequests } from "./subrequests";

/** R2 refuses a single put above 5 GiB less 5 MiB (code 100100). */
const R2_MAX_SINGLE_WRITE_BYTES = 5 * 1024 ** 3 - 5 * 1024 ** 2;

export type BlobWrite = {
  /** exact decoded length: R2 needs a known length to stream */
  length: number;
  /** base64 MD5 the client sent (Content-MD5): R2 verifies it */
  md5Base64?: string;
  /** hex SHA-256 the client signed (x-amz-content-sha256): R2 verifies it */
  sha256Hex?: string;
  /** SSE-C customer key (base64), passed through and never stored */
  ssecKeyBase64?: string;
};

export type BlobRange = { offset: number; length: number };

/** What a write stored: the fresh key the store chose, the MD5 R2 computed (the ETag of a single PUT) and the size. */
export type StoredBlob = { blobKey: string; md5Hex: string; size: number };

/** A blob (or a range of it) being read. */
export type BlobBody = { body: ReadableStream<Uint8Array>; size: number };

/** An internal part of an R2 multipart upload, as `completeMultipart` needs it back. */
export type UploadedPart = { partNumber: number; etag: string };

/** A fresh blob key of the bucket `bucketId` (also what a compaction writes its new blob under). */
export function newBlobKey(bucketId: string, now = Date.now()): string {
  const rand = crypto.getRandomValues(new Uint8Array(12));
  return `${bucketId}/${now.toString(36).padStart(9, "0")}-${toHex(rand)}`;
}

/** Creation time (ms) encoded in a blob key, or null if the key is not ours. */
export function blobKeyTime(blobKey: string): number | null {
  const m = /\/([0-9a-z]{9,})-[0-9a-f]{24}$/.exec(blobKey);
  return m ? parseInt(m[1], 36) : null;
}

const base64ToHex = (b64: string) => toHex(fromBase64(b64)!);

function ssecHex(keyBase64: string | undefined): string | undefined {
  return keyBase64 === undefined ? undefined : base64ToHex(keyBase64);
}

/** R2 reports digest mismatches as errors with these codes in the message. */
function mapPutError(e: unknown, w: BlobWrite): never {
  if (e instanceof S3Error) throw e;
  const message = String((e as Error)?.message ?? e);
  if (/MD5/i.test(message) && /did not match/i.test(message)) throw new S3Error("BadDigest");
  if (/SHA-?256/i.test(message) && /did not match/i.test(message)) throw new S3Error("XAmzContentSHA256Mismatch");
  if (/10037/.test(message)) throw new S3Error(w.sha256Hex ? "XAmzContentSHA256Mismatch" : "BadDigest");
  if (/exceeds the maximum allowed object size|100100/.test(message))
    throw new S3Error("entityTooLarge", { size: w.length, max: R2_MAX_SINGLE_WRITE_BYTES, limit: "the largest object R2 stores in one write" });
  if (/length|Provided readable stream/i.test(message)) throw new S3Error("IncompleteBody");
  throw e;
}

export class BlobStore {
  /** `subrequests`: counts each R2 call against the invocation's budget. */
  constructor(
    private readonly env: Env,
    private readonly subrequests?: Subrequests,
  ) {}

  /** The zone's bucket, for one R2 call. */
  private bucket(zone: string): R2Bucket {
    const b = this.env[r2BindingName(zone)];
    if (!b) throw new S3Error("zoneWithoutBinding", { zone });
    if (this.subrequests) this.subrequests.count++;
    return b;
  }

  /**
   * Streams `body` into a fresh blob of the bucket `bucketId`, under a key never used before (blobs
   * are immutable). Any error in the body stream (bad chunk signature, checksum) rejects here, and
   * nothing is stored.
   */
  async putNew(zone: string, bucketId: string, body: ReadableStream<Uint8Array>, w: BlobWrite, now = Date.now()): Promise<StoredBlob> {
    const blobKey = newBlobKey(bucketId, now);
    return { blobKey, ...(await this.put(zone, blobKey, body, w)) };
  }

  private async put(zone: string, blobKey: string, body: ReadableStream<Uint8Array>, w: BlobWrite): Promise<{ md5Hex: string; size: number }> {
    const sized = new FixedLengthStream(w.length);
    let pipeError: unknown;
    const piping = body.pipeTo(sized.writable).catch((e) => {
      pipeError = e;
    });
    let obj: R2Object | null;
    // R2 verifies one digest per put: the signed SHA-256 when there is one, else Content-MD5.
    // R2 always computes the MD5 (the ETag), so Content-MD5 is checked against it afterwards.
    const md5Hex = w.md5Base64 ? base64ToHex(w.md5Base64) : undefined;
    try {
      obj = await this.bucket(zone).put(blobKey, sized.readable, {
        md5: w.sha256Hex ? undefined : md5Hex,
        sha256: w.sha256Hex,
        ssecKey: ssecHex(w.ssecKeyBase64),
      });
    } catch (e) {
      await piping;
      // A put that failed after its last byte may still have stored it: make sure it is gone.
      await this.bucket(zone).delete(blobKey);
      // Our own stream checks (signatures, checksums) explain a failure better than R2's echo of it.
      mapPutError(pipeError instanceof S3Error ? pipeError : e, w);
    }
    await piping;
    const etag = obj!.checksums.md5 ? toHex(obj!.checksums.md5) : "";
    const failure = pipeError ?? (md5Hex !== undefined && etag !== md5Hex ? new S3Error("BadDigest") : undefined);
    if (failure) {
      // The body failed after R2 accepted the bytes it got: drop the blob.
      await this.bucket(zone).delete(blobKey);
      mapPutError(failure, w);
    }
    return { md5Hex: etag, size: obj!.size };
  }

  /** Reads a blob (or a byte range of it). Null when R2 has no such blob. */
  async get(zone: string, blobKey: string, opts: { range?: BlobRange; ssecKeyBase64?: string } = {}): Promise<BlobBody | null> {
    const blob = await this.bucket(zone).get(blobKey, { range: opts.range, ssecKey: ssecHex(opts.ssecKeyBase64) });
    return blob && { body: blob.body, size: blob.size };
  }

  async delete(zone: string, blobKeys: string[]): Promise<void> {
    for (let i = 0; i < blobKeys.length; i += 1000) await this.bucket(zone).delete(blobKeys.slice(i, i + 1000));
  }

  /** One page of a zone's blob keys in key order, after `startAfter`, for the orphan sweep; `more` when the listing goes on. */
  async list(zone: string, opts: { startAfter?: string; limit?: number } = {}): Promise<{ keys: string[]; more: boolean }> {
    const page = await this.bucket(zone).list({ startAfter: opts.startAfter, limit: opts.limit ?? 1000 });
    return { keys: page.objects.map((o) => o.key), more: page.truncated };
  }

  async head(zone: string, blobKey: string): Promise<{ size: number } | null> {
    const obj = await this.bucket(zone).head(blobKey);
    return obj && { size: obj.size };
  }

  /**
   * R2 multipart, used by compaction only (S3 multipart uploads keep one blob per part): starts an
   * upload of `blobKey` and returns its id. Every part but the last must have the same size.
   */
  async startMultipart(zone: string, blobKey: string): Promise<string> {
    return (await this.bucket(zone).createMultipartUpload(blobKey)).uploadId;
  }

  /** Uploads one internal part from a stream of known length (a FixedLengthStream's readable). */
  async uploadMultipartPart(zone: string, blobKey: string, uploadId: string, partNumber: number, sized: ReadableStream<Uint8Array>): Promise<UploadedPart> {
    const part = await this.bucket(zone).resumeMultipartUpload(blobKey, uploadId).uploadPart(partNumber, sized);
    return { partNumber: part.partNumber, etag: part.etag };
  }

  /** Completes the upload; the blob then exists with the parts' bytes in order. */
  async completeMultipart(zone: string, blobKey: string, uploadId: string, parts: UploadedPart[]): Promise<{ size: number }> {
    const obj = await this.bucket(zone).resumeMultipartUpload(blobKey, uploadId).complete(parts);
    return { size: obj.size };
  }

  /** Aborts an upload (nothing of it stays in R2); an upload already gone is not an error. */
  async abortMultipart(zone: string, blobKey: string, uploadId: string): Promise<void> {
    try {
      await this.bucket(zone).resumeMultipartUpload(blobKey, uploadId).abort();
    } catch (e) {
      console.warn(`abort of R2 multipart upload ${uploadId} (${blobKey}): ${String((e as Error)?.message ?? e)}`);
    }
  }
}
