/**
 * ALL R2 calls: one R2 binding per zone (and one per zone replica), opaque immutable blob keys,
 * ranges, SSE-C keys, and R2's errors mapped to S3 errors. Reads fall back to the zone's replica
 * when the home bucket fails or lacks the blob (docs/replication.md).
 *
 * Blob keys are `<bucket id>/<time36>-<random>`: never the S3 key (R2 normalises keys and
 * rate-limits writes per key), and the time prefix lets the orphan sweep skip young blobs.
 */
import { S3Error } from "../errors";
import { fromBase64, toHex } from "../logic/encoding";
import { r2BindingName, replicaBindingName, type Env } from "../env";
import { bodyDigest, type Checksum } from "../logic/checksums";
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
  /** the body is the request's own, of a declared Content-Length: R2 can take it as it is */
  lengthKnown?: boolean;
};

/** A body of unknown length (Transfer-Encoding: chunked without Content-Length). */
export type UnsizedBlobWrite = Omit<BlobWrite, "length"> & {
  /** the most bytes accepted: past it the write is EntityTooLarge and nothing is kept */
  maxBytes: number;
  /** how EntityTooLarge names the limit */
  limitName: string;
};

/**
 * A body of unknown length is stored through an R2 multipart upload in parts of this size (R2 wants
 * every part but the last the same size, at least 5 MiB): at most one part is held in memory.
 * A body that fits in one part is stored with a single put.
 */
export const UNSIZED_PART_BYTES = 8 * 1024 * 1024;

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
    // A stream R2 cannot size (decoded aws-chunked, a checksum transform, a form part) goes through a
    // FixedLengthStream, which also refuses a length other than declared. The request's own body is
    // sized by its Content-Length, and R2 refuses it cut short (test/e2e/truncated-body.test.ts).
    const sized = w.lengthKnown ? null : new FixedLengthStream(w.length);
    let pipeError: unknown;
    const piping = sized
      ? body.pipeTo(sized.writable).catch((e) => {
          pipeError = e;
        })
      : undefined;
    let obj: R2Object | null;
    // R2 verifies one digest per put: the signed SHA-256 when there is one, else Content-MD5.
    // R2 always computes the MD5 (the ETag), so Content-MD5 is checked against it afterwards.
    const md5Hex = w.md5Base64 ? base64ToHex(w.md5Base64) : undefined;
    try {
      obj = await this.bucket(zone).put(blobKey, sized ? sized.readable : body, {
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

  /** The zone's replica bucket (R2_<ZONE>_REPLICA), if it has one, for one R2 call (counted like the zone's). */
  private replica(zone: string): R2Bucket | undefined {
    const b = this.env[replicaBindingName(zone)];
    if (b && this.subrequests) this.subrequests.count++;
    return b;
  }

  hasReplica(zone: string): boolean {
    return this.env[replicaBindingName(zone)] !== undefined;
  }

  /**
   * Streams a body of unknown length into a fresh blob, in UNSIZED_PART_BYTES parts through an R2
   * multipart upload (or one put when it fits in a part), hashing it on the way: R2 computes no MD5
   * for an object stored in parts, so the MD5 (the ETag) and the signed SHA-256 are computed here and
   * checked like R2 checks a single put. Past `maxBytes`, or on any body or digest error, the R2
   * upload is aborted (or the blob deleted): nothing is left behind.
   */
  async putUnsized(zone: string, bucketId: string, body: ReadableStream<Uint8Array>, w: UnsizedBlobWrite, now = Date.now()): Promise<StoredBlob> {
    const blobKey = newBlobKey(bucketId, now);
    const bucket = this.bucket(zone);
    const ssecKey = ssecHex(w.ssecKeyBase64);
    const md5 = bodyDigest("MD5");
    const sha256 = w.sha256Hex ? bodyDigest("SHA-256") : null;
    const parts = new PartReader(body.getReader(), UNSIZED_PART_BYTES, (chunk) => {
      if (parts.size > w.maxBytes) throw new S3Error("entityTooLarge", { size: parts.size, max: w.maxBytes, limit: w.limitName });
      md5.update(chunk);
      sha256?.update(chunk);
    });
    let upload: R2MultipartUpload | null = null;
    try {
      const uploaded: R2UploadedPart[] = [];
      for (;;) {
        const part = await parts.next();
        if (upload === null && part.last) {
          const md5Hex = await this.checkDigests(md5, sha256, w);
          await bucket.put(blobKey, part.bytes, { ssecKey });
          return { blobKey, md5Hex, size: parts.size };
        }
        upload ??= await bucket.createMultipartUpload(blobKey, { ssecKey });
        uploaded.push(await upload.uploadPart(uploaded.length + 1, part.bytes, { ssecKey }));
        if (part.last) {
          const md5Hex = await this.checkDigests(md5, sha256, w);
          await upload.complete(uploaded);
          return { blobKey, md5Hex, size: parts.size };
        }
      }
    } catch (e) {
      await parts.cancel();
      await upload?.abort().catch(() => {});
      // A put or completion that failed after storing may have left the object: make sure it is gone.
      await bucket.delete(blobKey);
      mapPutError(e, { ...w, length: parts.size });
    }
  }

  /** Checks Content-MD5 and the signed SHA-256 of a body hashed while it streamed (putUnsized); returns its MD5 (hex). */
  private async checkDigests(md5: Checksum, sha256: Checksum | null, w: UnsizedBlobWrite): Promise<string> {
    const md5Hex = base64ToHex(await md5.digest());
    if (w.md5Base64 && md5Hex !== base64ToHex(w.md5Base64)) throw new S3Error("BadDigest");
    if (sha256 && w.sha256Hex && base64ToHex(await sha256.digest()) !== w.sha256Hex.toLowerCase()) throw new S3Error("XAmzContentSHA256Mismatch");
    return md5Hex;
  }

  /**
   * Reads a blob (or a byte range of it). Null when R2 has no such blob. When the home bucket throws
   * or has no such blob, the replica answers (SSE-C blobs have no replica copy); the home error is
   * rethrown only when the replica has nothing either.
   */
  async get(zone: string, blobKey: string, opts: { range?: BlobRange; ssecKeyBase64?: string } = {}): Promise<BlobBody | null> {
    let homeError: { e: unknown } | undefined;
    try {
      const blob = await this.bucket(zone).get(blobKey, { range: opts.range, ssecKey: ssecHex(opts.ssecKeyBase64) });
      if (blob) return { body: blob.body, size: blob.size };
    } catch (e) {
      if (e instanceof S3Error) throw e; // not an R2 failure (no binding)
      homeError = { e };
    }
    const replica = opts.ssecKeyBase64 === undefined ? this.replica(zone) : undefined;
    const copy = replica ? await replica.get(blobKey, { range: opts.range }).catch(() => null) : null;
    if (copy) return { body: copy.body, size: copy.size };
    if (homeError) throw homeError.e;
    return null;
  }

  /**
   * Copies a blob from the zone to its replica under the same key, verified by R2 against the home
   * copy's MD5. Copying twice stores the same bytes again. False when the home bucket has no such blob.
   */
  async copyToReplica(zone: string, blobKey: string): Promise<boolean> {
    const replica = this.replica(zone);
    if (!replica) throw new Error(`zone ${zone} has no replica binding ${replicaBindingName(zone)}`);
    const source = await this.bucket(zone).get(blobKey);
    if (!source) return false;
    const sized = new FixedLengthStream(source.size);
    const piping = source.body.pipeTo(sized.writable);
    await replica.put(blobKey, sized.readable, { md5: source.checksums.md5 ? toHex(source.checksums.md5) : undefined });
    await piping;
    return true;
  }

  /**
   * Streams a whole blob of one zone into a fresh blob of another (bucket replication across
   * zones): R2 get (falling back to the zone's replica, like any read) piped into R2 put, never
   * buffered. Null when the source blob is missing.
   */
  async copyToZone(fromZone: string, blobKey: string, toZone: string, bucketId: string, size: number, now = Date.now()): Promise<StoredBlob | null> {
    const blob = await this.get(fromZone, blobKey);
    if (!blob) return null;
    return this.putNew(toZone, bucketId, blob.body, { length: size }, now);
  }

  async delete(zone: string, blobKeys: string[]): Promise<void> {
    for (let i = 0; i < blobKeys.length; i += 1000) await this.bucket(zone).delete(blobKeys.slice(i, i + 1000));
  }

  /** Deletes the replica copies of these blobs (nothing when the zone has no replica). */
  async deleteReplicas(zone: string, blobKeys: string[]): Promise<void> {
    const replica = this.replica(zone);
    if (!replica) return;
    for (let i = 0; i < blobKeys.length; i += 1000) await replica.delete(blobKeys.slice(i, i + 1000));
  }

  /**
   * One page of a zone's blob keys (or its replica's, with `replica`) in key order, after
   * `startAfter`, for the orphan sweep; `more` when the listing goes on.
   */
  async list(zone: string, opts: { startAfter?: string; limit?: number; replica?: boolean } = {}): Promise<{ keys: string[]; more: boolean }> {
    const bucket = opts.replica ? this.replica(zone) : this.bucket(zone);
    if (!bucket) return { keys: [], more: false };
    const page = await bucket.list({ startAfter: opts.startAfter, limit: opts.limit ?? 1000 });
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

/**
 * Cuts a stream into parts of exactly `partBytes` (the last one shorter, never empty unless the
 * whole body is), holding one part and the chunk that overflows it; `onChunk` sees every chunk
 * first (hashing, the size limit).
 */
class PartReader {
  size = 0;
  private carry: Uint8Array = new Uint8Array(0);
  private done = false;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly partBytes: number,
    private readonly onChunk: (chunk: Uint8Array) => void,
  ) {}

  private async pull(): Promise<void> {
    const r = await this.reader.read();
    if (r.done) this.done = true;
    else {
      this.size += r.value.byteLength;
      this.onChunk(r.value);
      this.carry = r.value;
    }
  }

  async next(): Promise<{ bytes: Uint8Array; last: boolean }> {
    const buf = new Uint8Array(this.partBytes);
    let n = 0;
    while (n < this.partBytes) {
      if (this.carry.length === 0) {
        if (this.done) break;
        await this.pull();
        continue;
      }
      const take = Math.min(this.carry.length, this.partBytes - n);
      buf.set(this.carry.subarray(0, take), n);
      n += take;
      this.carry = this.carry.subarray(take);
    }
    // A full part is the last one only if nothing follows it.
    while (n === this.partBytes && this.carry.length === 0 && !this.done) await this.pull();
    return { bytes: buf.subarray(0, n), last: this.done && this.carry.length === 0 };
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => {});
  }
}
