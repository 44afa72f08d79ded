/**
 * Manifest compaction. A completed multipart object is a manifest of part blobs, and a read opens
 * one part per subrequest: past the invocation's budget (SOS_SUBREQUEST_BUDGET) a whole-object GET
 * cannot be served. Such a manifest is rewritten, in the background, into one R2 object through R2
 * multipart with a uniform internal part size (R2 wants equal parts but the last), a few internal
 * parts per run, resuming from the progress recorded in D1 (compactions, migrations/0011):
 *
 *   1. a run claims the oldest queued compaction (a lease: no two runs write one upload);
 *   2. it streams the source parts, in order, into internal parts of `partBytes` bytes (a
 *      FixedLengthStream per internal part; no part is held in memory), hashing each source part as
 *      it goes: a part whose MD5 is not its ETag stops the compaction (so the multipart ETag, the MD5
 *      of those MD5s, still describes the bytes); a source part split by the end of a run is read
 *      again from its start by the next run, for its hash only;
 *   3. after each internal part it records the part and the new offset; it stops before the next
 *      internal part would not fit the subrequests or the time it has left;
 *   4. once every byte is uploaded, it completes the upload, checks the size and swaps, in one D1
 *      batch that requires the row to be the same manifest still: the row and its manifest parts point
 *      at the new blob (ETag, checksums, part offsets, version and lock unchanged), and the part blobs
 *      go to blob_deletions (the grace period, then the reference-checked delete).
 * A manifest deleted or replaced meanwhile ends the compaction: the upload is aborted and a
 * completed blob is released through blob_deletions. SSE-C objects are never compacted: R2 needs the
 * customer key to read and write them, and it is never stored.
 */
import type { Deps } from "../context";
import { isS3Error } from "../errors";
import { bodyDigest, type Checksum } from "../logic/checksums";
import { fromBase64, toHex } from "../logic/encoding";
import { partsForRange } from "../ops/object-body";
import { freeBlobs } from "../ops/write-path";
import { newBlobKey } from "../store/blobs-r2";
import type { Compaction, CompactionSource, ObjectPart } from "../store/model";

export type CompactionDeps = Pick<Deps, "meta" | "blobs" | "config" | "subrequests" | "defer">;

/** A cold GET's own D1 calls (access key, user, bucket, version, manifest) with room to spare. */
export const READ_OVERHEAD_SUBREQUESTS = 10;
/** R2 multipart: at most 10,000 parts, each but the last at least 5 MiB. */
const R2_MAX_PARTS = 10_000;
const R2_MIN_PART_BYTES = 5 * 1024 ** 2;
/** A run holds its compaction this long at most (a Queue consumer's wall-time limit is 15 minutes). */
const LEASE_MS = 15 * 60_000;
/** A run starts no internal part after this much time. */
const STEP_WALL_MS = 20_000;
/** D1 calls per internal part (its progress) and to finish (completion, swap) beyond the R2 calls. */
const PER_PART_EXTRA = 2;
const FINISH_SUBREQUESTS = 4;
const SCAN_PAGE = 100;

/** Whether a manifest of `partCount` parts needs compacting to be read whole under the budget. */
export function needsCompaction(config: Pick<Deps["config"], "subrequestBudget">, partCount: number | null, ssecKeyMd5: string | null): boolean {
  return partCount !== null && ssecKeyMd5 === null && partCount > config.subrequestBudget - READ_OVERHEAD_SUBREQUESTS;
}

/**
 * One bounded step of compaction work, as a cron run or a queue job calls it: advances the oldest
 * queued compaction as far as the invocation's subrequests (less `reserve`) and time allow, or, with
 * none queued, scans one page for unqueued manifests. Returns whether more work remains, and whether
 * this step got anywhere (false: too few subrequests left for one internal part; a fresh invocation will).
 */
export async function compactionStep(deps: CompactionDeps, now = Date.now(), opts: { reserve?: number } = {}): Promise<{ more: boolean; progressed: boolean }> {
  // The lease is judged by the clock, not `now` (a queue message may carry an old cron time).
  const clock = Date.now();
  const job = await deps.meta.compactions.claimNext(clock, clock + LEASE_MS);
  if (!job) {
    const { queued, more } = await deps.meta.compactions.scan(deps.config.subrequestBudget - READ_OVERHEAD_SUBREQUESTS, SCAN_PAGE, now);
    return { more: more || queued > 0, progressed: true };
  }
  // Only a step that began with (nearly) the whole budget may judge a part too big for any step.
  const fresh = deps.subrequests.count <= READ_OVERHEAD_SUBREQUESTS;
  let progressed: boolean;
  try {
    progressed = await advance(deps, job, now, { reserve: opts.reserve ?? 0, fresh });
  } finally {
    await deps.meta.compactions.release(job.objectId).catch(() => undefined);
  }
  return { more: true, progressed };
}

class CompactionFailure extends Error {}

/** What a step may spend: `reserve` subrequests are the caller's; `fresh`: the step began with (nearly) the whole budget. */
type Room = { reserve: number; fresh: boolean };

/** Advances one compaction; false when it made no progress. */
async function advance(deps: CompactionDeps, job: Compaction, now: number, room: Room): Promise<boolean> {
  const { compactions } = deps.meta;
  const source = await compactions.source(job.objectId);
  if (!source || source.blobKey !== null || source.partCount === null) {
    await abandon(deps, job, now);
    return true;
  }
  if (source.ssecKeyMd5 !== null) {
    await compactions.fail(job.objectId, job.zone, null, "SSE-C: the customer key is needed to read and write the bytes", now);
    return true;
  }
  const parts = await deps.meta.objects.parts(source.id);
  const started = job.uploadId ? job : await start(deps, job, source, now);
  try {
    if (started.sourceOffset < source.size) return await uploadParts(deps, started, source, parts, now, room);
    await finish(deps, started, source, now);
    return true;
  } catch (e) {
    if (uploadGone(e)) {
      console.warn(`compaction of ${job.objectId}: its R2 upload is gone, starting over`);
      await compactions.restart(job.objectId, now);
      return true;
    }
    if (!(e instanceof CompactionFailure)) throw e;
    console.warn(`compaction of ${job.objectId} stopped: ${e.message}`);
    await deps.blobs.abortMultipart(job.zone, started.blobKey!, started.uploadId!);
    // A blob the upload may have completed is released like any other (the manifest keeps its parts).
    await compactions.fail(job.objectId, job.zone, started.blobKey!, e.message, now);
    freeBlobs(deps, job.zone, [started.blobKey!]);
    return true;
  }
}

/** R2's error for an upload id it no longer knows (code 10024), e.g. one left incomplete for 7 days. */
function uploadGone(e: unknown): boolean {
  return /10024|NoSuchUpload|upload does not exist/i.test(String((e as Error)?.message ?? e));
}

/** Starts the R2 upload of the new blob, with the smallest part size that keeps it within R2's part count. */
async function start(deps: CompactionDeps, job: Compaction, source: CompactionSource, now: number): Promise<Compaction> {
  const mib = 1024 ** 2;
  const partBytes = Math.max(deps.config.compactionPartBytes, R2_MIN_PART_BYTES, Math.ceil(source.size / R2_MAX_PARTS / mib) * mib);
  const blobKey = newBlobKey(source.bucketId, now);
  const uploadId = await deps.blobs.startMultipart(job.zone, blobKey);
  await deps.meta.compactions.start(job.objectId, blobKey, uploadId, partBytes, now);
  return { ...job, blobKey, uploadId, partBytes };
}

/** Uploads internal parts from `job.sourceOffset` while the next one fits the subrequests and time left. */
async function uploadParts(
  deps: CompactionDeps,
  job: Compaction,
  source: CompactionSource,
  parts: ObjectPart[],
  now: number,
  { reserve, fresh }: Room,
): Promise<boolean> {
  const partBytes = job.partBytes!;
  const reader = new SourceReader(deps, job.zone, parts, job.sourceOffset);
  const deadline = Date.now() + STEP_WALL_MS;
  let offset = job.sourceOffset;
  let partNumber = job.nextPart;
  let uploaded = 0;
  try {
    while (offset < source.size) {
      const length = Math.min(partBytes, source.size - offset);
      const reads = partsForRange(parts, { start: offset, end: offset + length - 1 }).length;
      const cost = reads + 1 + PER_PART_EXTRA;
      if (cost + reserve > deps.subrequests.left()) {
        // Not even a step with the whole budget can upload this part: no later run would either.
        if (uploaded === 0 && fresh) throw new CompactionFailure(`an internal part of ${partBytes} bytes spans ${reads} parts, more than one run can read`);
        break; // a later run (a fresh invocation) continues
      }
      if (uploaded > 0 && Date.now() > deadline) break;
      const sized = new FixedLengthStream(length);
      const writer = sized.writable.getWriter();
      const [part] = await Promise.all([
        deps.blobs.uploadMultipartPart(job.zone, job.blobKey!, job.uploadId!, partNumber, sized.readable),
        reader.copy(writer, length).then(
          () => writer.close(),
          (e) => writer.abort(e).then(() => Promise.reject(e)),
        ),
      ]);
      offset += length;
      await deps.meta.compactions.partUploaded(job.objectId, partNumber, part.etag, offset, now);
      partNumber++;
      uploaded++;
    }
  } finally {
    await reader.close();
  }
  // The last bytes are in: finish now if what is left allows, else the next run does.
  if (offset === source.size && FINISH_SUBREQUESTS + reserve <= deps.subrequests.left()) await finish(deps, { ...job, sourceOffset: offset }, source, now);
  return uploaded > 0;
}

/** Completes the upload, checks the blob, and swaps it in; a manifest gone meanwhile releases it. */
async function finish(deps: CompactionDeps, job: Compaction, source: CompactionSource, now: number): Promise<void> {
  const blobKey = job.blobKey!;
  const uploaded = await deps.meta.compactions.uploadedParts(job.objectId);
  let size: number | undefined;
  try {
    size = (await deps.blobs.completeMultipart(job.zone, blobKey, job.uploadId!, uploaded)).size;
  } catch (e) {
    // A run that completed the upload and stopped before the swap: the blob is there.
    size = (await deps.blobs.head(job.zone, blobKey))?.size;
    if (size === undefined) throw e;
  }
  if (size !== source.size) throw new CompactionFailure(`the compacted blob has ${size} bytes, the object ${source.size}`);
  let freed: string[];
  try {
    freed = await deps.meta.compactions.swap(job.objectId, job.zone, blobKey, now);
  } catch (e) {
    if (isS3Error(e) && e.code === "NoSuchKey") return abandon(deps, job, now);
    throw e;
  }
  freeBlobs(deps, job.zone, freed);
}

/** The manifest is gone (deleted or replaced): drop the upload, and release the new blob if it exists. */
async function abandon(deps: CompactionDeps, job: Compaction, now: number): Promise<void> {
  if (job.blobKey && job.uploadId) await deps.blobs.abortMultipart(job.zone, job.blobKey, job.uploadId);
  await deps.meta.compactions.abandon(job.objectId, job.zone, job.blobKey, now);
  if (job.blobKey) freeBlobs(deps, job.zone, [job.blobKey]);
}

/**
 * The object's bytes from `offset` on, read part after part (one R2 read each), with every part's
 * MD5 checked against its ETag once its last byte is read. The part holding `offset` is read from
 * its start so that its hash covers all of it.
 */
class SourceReader {
  private index: number;
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  private hash: Checksum | null = null;
  /** bytes of the current part read so far */
  private read = 0;
  /** bytes of the current part to hash but not copy (before the run's start offset) */
  private skip = 0;
  /** read but not yet copied */
  private pending: Uint8Array | null = null;

  constructor(
    private readonly deps: CompactionDeps,
    private readonly zone: string,
    private readonly parts: ObjectPart[],
    offset: number,
  ) {
    this.index = parts.findIndex((p) => offset < p.startOffset + p.size);
    if (this.index >= 0) this.skip = offset - parts[this.index].startOffset;
  }

  /** Writes exactly `length` bytes to `writer`. */
  async copy(writer: WritableStreamDefaultWriter<Uint8Array>, length: number): Promise<void> {
    let left = length;
    while (left > 0) {
      const chunk = this.pending ?? (await this.next());
      const n = Math.min(chunk.byteLength, left);
      this.pending = n < chunk.byteLength ? chunk.subarray(n) : null;
      await writer.write(chunk.subarray(0, n));
      left -= n;
    }
  }

  /** The next chunk to copy, opening and verifying parts as needed. */
  private async next(): Promise<Uint8Array> {
    for (;;) {
      if (!this.reader) await this.open();
      const { done, value } = await this.reader!.read();
      if (done) throw new CompactionFailure(`part ${this.parts[this.index].partNumber} ended after ${this.read} bytes`);
      this.read += value.byteLength;
      this.hash!.update(value);
      const part = this.parts[this.index];
      if (this.read > part.size) throw new CompactionFailure(`part ${part.partNumber} is longer than ${part.size} bytes`);
      if (this.read === part.size) await this.verify(part);
      const copyFrom = Math.min(this.skip, value.byteLength);
      this.skip -= copyFrom;
      if (copyFrom < value.byteLength) return value.subarray(copyFrom);
    }
  }

  private async open(): Promise<void> {
    while (this.parts[this.index]?.size === 0) this.index++;
    const part = this.parts[this.index];
    if (!part) throw new CompactionFailure("the manifest ended before the object's size");
    const blob = await this.deps.blobs.get(this.zone, part.blobKey);
    if (!blob) throw new CompactionFailure(`part ${part.partNumber} bytes missing`);
    this.reader = blob.body.getReader();
    this.hash = bodyDigest("MD5"); // workerd's DigestStream
    this.read = 0;
  }

  private async verify(part: ObjectPart): Promise<void> {
    const md5 = toHex(fromBase64(await this.hash!.digest())!);
    if (md5 !== part.etag) throw new CompactionFailure(`part ${part.partNumber} has MD5 ${md5}, its ETag is ${part.etag}`);
    await this.reader!.cancel().catch(() => undefined);
    this.reader = null;
    this.hash = null;
    this.index++;
  }

  async close(): Promise<void> {
    await this.reader?.cancel().catch(() => undefined);
  }
}

/** Steps start only while this many subrequests are left (a step's own D1 calls and one part). */
const STEP_MIN = 16;
/** Wall time one job invocation spends on compaction before it stops (a consumer may run 15 min; stay well inside). */
const WALL_MS = 20_000;

/** Compaction steps while work remains and the invocation has subrequests and time left; a failing step is logged and ends the run. */
export async function compactWithinBudget(deps: CompactionDeps, now: number): Promise<void> {
  const until = Date.now() + WALL_MS;
  while (deps.subrequests.left() >= STEP_MIN && Date.now() < until) {
    try {
      // Nothing follows compaction in its job message: a step may use every subrequest left.
      const step = await compactionStep(deps, now, { reserve: 0 });
      if (!step.more || !step.progressed) return;
    } catch (e) {
      console.error("compaction step failed", e instanceof Error ? (e.stack ?? e.message) : e);
      return;
    }
  }
}
