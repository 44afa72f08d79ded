/**
 * Streams an object's bytes (or a byte range) from R2. A single-blob object is one ranged R2
 * read; a multipart manifest is read part by part, each part opened only when the previous one
 * is drained, so memory stays at one chunk whatever the object size. Each part read is one
 * subrequest: a read that needs more than the invocation has left fails before any byte is sent
 * (large manifests are compacted into one blob in the background, src/jobs/compaction.ts). An
 * inline object's bytes came with its row: no R2 read at all.
 */
import type { Deps } from "../context";
import { S3Error } from "../errors";
import type { Bucket, ObjectVersion } from "../store/model";

export type ByteRange = { start: number; end: number }; // inclusive

export type ManifestPart = { partNumber: number; blobKey: string; size: number; startOffset: number };

/** Parts overlapping [start, end], with the slice of each to read. */
export function partsForRange(parts: ManifestPart[], range: ByteRange): { part: ManifestPart; offset: number; length: number }[] {
  const out = [];
  for (const part of parts) {
    const partEnd = part.startOffset + part.size - 1;
    if (partEnd < range.start || part.startOffset > range.end) continue;
    const from = Math.max(range.start, part.startOffset);
    const to = Math.min(range.end, partEnd);
    out.push({ part, offset: from - part.startOffset, length: to - from + 1 });
  }
  return out;
}

/** The bytes of an inline object (or a range of them), or null when the object's bytes are in R2. */
export function inlineBytes(obj: ObjectVersion, range: ByteRange | null): Uint8Array<ArrayBuffer> | null {
  if (obj.inlineBody === null) return null;
  // the store builds inline bodies on plain ArrayBuffers
  const bytes = obj.inlineBody as Uint8Array<ArrayBuffer>;
  return range === null ? bytes : bytes.subarray(range.start, range.end + 1);
}

/** Seconds a client is told to wait (Retry-After) before reading a manifest again: about one cron period. */
const COMPACTION_RETRY_AFTER_SECONDS = 600;

/** Fails, before anything is streamed, a manifest read needing more part reads than the invocation has left after `reserve`. */
export function checkPartReads(deps: Pick<Deps, "subrequests">, obj: ObjectVersion, reads: number, reserve: number): void {
  const budget = deps.subrequests.budget;
  if (reads <= deps.subrequests.left() - reserve) return;
  const params = { parts: reads, budget };
  if (obj.ssecKeyMd5 !== null) throw new S3Error("manifestSsecTooManyParts", params);
  throw new S3Error("manifestBeingCompacted", params, undefined, { "retry-after": String(COMPACTION_RETRY_AFTER_SECONDS) });
}

/** `reserve`: subrequests the caller still makes after this read (a copy's put and commit). */
export async function openObjectBody(
  deps: Pick<Deps, "meta" | "blobs" | "subrequests">,
  bucket: Bucket,
  obj: ObjectVersion,
  range: ByteRange | null,
  ssecKeyBase64?: string,
  reserve = 0,
): Promise<ReadableStream<Uint8Array>> {
  const r = range ?? { start: 0, end: obj.size - 1 };
  if (obj.size === 0) return new Response("").body!;
  const inline = inlineBytes(obj, range);
  if (inline) return new Response(inline).body!;
  if (obj.blobKey) {
    const whole = range === null;
    const blob = await deps.blobs.get(bucket.zone, obj.blobKey, {
      range: whole ? undefined : { offset: r.start, length: r.end - r.start + 1 },
      ssecKeyBase64,
    });
    if (!blob) throw new S3Error("blobMissing");
    return blob.body;
  }
  const parts = await deps.meta.objects.parts(obj.id);
  const slices = partsForRange(parts, r);
  checkPartReads(deps, obj, slices.length, reserve);
  let i = 0;
  let current: ReadableStreamDefaultReader<Uint8Array> | null = null;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          if (!current) {
            if (i >= slices.length) return controller.close();
            const s = slices[i++];
            const blob = await deps.blobs.get(bucket.zone, s.part.blobKey, { range: { offset: s.offset, length: s.length }, ssecKeyBase64 });
            if (!blob) return controller.error(new Error(`part ${s.part.partNumber} bytes missing`));
            current = blob.body.getReader();
          }
          const { done, value } = await current.read();
          if (done) {
            current = null;
            continue;
          }
          controller.enqueue(value);
          return;
        }
      },
      async cancel(reason) {
        await current?.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A response body of known length, so workerd sends Content-Length rather than a chunked body
 * (R2 bodies already carry theirs). Only for responses: piped into a blob write, which has its
 * own FixedLengthStream, the two chained streams stall in workerd.
 */
export function responseBody(obj: ObjectVersion, body: ReadableStream<Uint8Array>, length: number): ReadableStream<Uint8Array> {
  return obj.blobKey !== null || obj.size === 0 ? body : body.pipeThrough(new FixedLengthStream(length));
}
