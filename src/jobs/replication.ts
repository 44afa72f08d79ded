/**
 * Bucket replication's copier: makes the copy a replication task owes (src/store/d1/replication.ts)
 * and settles the task in the replica's own commit batch. Idempotent: a replica already there (a
 * redelivery, two runs racing) settles the task and changes nothing else, and a task whose source
 * version is gone is dropped. Each copy is a "bucket-replicate" queue job (src/jobs/consumer.ts),
 * sent after the write's response and by the reconciling scan ("bucket-replication-scan", which
 * the cron trigger sends), which also resends copies due for a retry after a failure that may pass.
 * Older versions of a key owed to the same bucket are copied first, so that the destination's
 * versions keep the source's order whatever order the messages arrive in.
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html
 *
 * Bytes: within a zone the replica shares the source's immutable blobs (the reference-checked model
 * of CopyObject: the commit asserts the source row still exists); across zones each blob is
 * streamed from one R2 bucket into the other (a multipart object part by part, so the replica keeps
 * its parts, ETag and checksums) and committed through the write path (ops/write-path.ts: blobs of
 * a failed commit are freed unless a row refers to them, committed ones go to the zone replica). The replica keeps the source's version id, metadata, content headers, tags, ACL,
 * owner and Last-Modified, and is marked REPLICA (never replicated again).
 */
import type { Deps } from "../context";
import { isS3Error } from "../errors";
import { allows } from "../logic/acl";
import { NO_LOCK } from "../logic/object-lock";
import { MAX_VERSIONS_PER_OBJECT } from "../logic/versioning";
import { newVersionRow } from "../ops/version-row";
import { commitWrite, discardUncommitted } from "../ops/write-path";
import type { Bucket, ObjectPart, ObjectVersion, ReplicationTask } from "../store/model";
import type { JobMessage } from "./messages";

type JobDeps = Deps;

/** What one attempt did with a task. */
export type CopyOutcome = "copied" | "already-copied" | "dropped" | "failed" | "retry";

/** Copies that fail for a reason that may pass (R2 or D1 errors) are retried this often, then FAILED. */
export const MAX_COPY_ATTEMPTS = 5;
const RETRY_BASE_MS = 60_000;

/** Why a copy cannot be made (named after S3's replication failure reasons), or null. */
function refusal(source: Bucket, version: ObjectVersion, dest: Bucket | null): string | null {
  if (!dest) return "DstBucketNotFound";
  if (dest.versioning !== "Enabled") return "DstBucketUnversioned";
  // The source bucket's owner writes the replica: it must own the destination or hold WRITE on it.
  if (!allows(source.ownerId, dest.ownerId, dest.acl, "WRITE")) return "DstPutObjectNotPermitted";
  if (source.objectLock && !dest.objectLock) return "DstBucketObjectLockConfigMissing";
  // The server never has an SSE-C key after the request: such versions cannot be copied (as on Exoscale).
  if (version.ssecKeyMd5 !== null) return "SrcObjectSseCNotReplicated";
  return null;
}

/** The replica's row: the source version as it is, in the destination bucket. */
function replicaRow(dest: Bucket, v: ObjectVersion) {
  return newVersionRow(dest, v.key, v.lastModified, {
    versionId: v.versionId,
    isDeleteMarker: v.isDeleteMarker,
    size: v.size,
    etag: v.etag,
    ownerId: v.ownerId,
    blobKey: null,
    partCount: v.partCount,
    inlineBody: v.inlineBody, // a small object's bytes travel with its row, to any zone
    httpMeta: v.httpMeta,
    userMeta: v.userMeta,
    checksumAlgorithm: v.checksumAlgorithm,
    checksumValue: v.checksumValue,
    checksumType: v.checksumType,
    acl: v.acl,
    tags: v.tags,
    tagCount: v.tagCount,
    storageClass: v.storageClass,
    lock: dest.objectLock ? v.lock : NO_LOCK,
    replicationStatus: "REPLICA",
    replicateTo: [],
  });
}

/** Streams a blob into the destination zone, checking its MD5 against what the source recorded. */
async function copyBlob(deps: JobDeps, from: Bucket, dest: Bucket, blobKey: string, size: number, md5Hex: string, now: number) {
  const stored = await deps.blobs.copyToZone(from.zone, blobKey, dest.zone, dest.id, size, now);
  if (!stored) throw new Error(`source blob ${blobKey} is missing`);
  if (stored.size !== size || stored.md5Hex !== md5Hex) {
    await deps.blobs.delete(dest.zone, [stored.blobKey]);
    throw new Error(`source blob ${blobKey} does not match its row (size or MD5)`);
  }
  return stored.blobKey;
}

/**
 * Makes the copy `task` owes, after the older versions of its key owed to the same bucket; never
 * throws for the task's own failures (they are recorded), only when D1 or R2 cannot record them.
 */
export async function replicateVersion(deps: JobDeps, task: ReplicationTask, now = Date.now()): Promise<CopyOutcome> {
  const version = await deps.meta.objects.byId(task.objectId);
  if (version) {
    for (const older of await deps.meta.bucketReplication.olderPending(version.bucketId, version.key, version.seq, task.destination)) {
      await copy(deps, older, now);
    }
  }
  return copy(deps, task, now, version);
}

async function copy(deps: JobDeps, task: ReplicationTask, now: number, loaded?: ObjectVersion | null): Promise<CopyOutcome> {
  const version = loaded === undefined ? await deps.meta.objects.byId(task.objectId) : loaded;
  const source = version && (await deps.meta.buckets.byId(version.bucketId));
  if (!version || !source) {
    await deps.meta.bucketReplication.drop(task);
    return "dropped";
  }
  const dest = await deps.meta.buckets.get(task.destination);
  const refused = refusal(source, version, dest);
  if (refused || !dest) {
    await deps.meta.bucketReplication.fail(task, refused ?? "DstBucketNotFound");
    return "failed";
  }
  if (await deps.meta.objects.get(dest.id, version.key, version.versionId)) {
    await deps.meta.bucketReplication.settle(task);
    return "already-copied";
  }
  const replica = replicaRow(dest, version);
  const stored: string[] = [];
  let committing = false;
  try {
    let bytes: { sourceId: string } | { parts: ObjectPart[] } | null = null;
    if (version.isDeleteMarker) {
      replica.partCount = null;
    } else if (dest.zone === source.zone) {
      replica.blobKey = version.blobKey;
      bytes = { sourceId: version.id };
    } else if (version.blobKey) {
      replica.blobKey = await copyBlob(deps, source, dest, version.blobKey, version.size, version.etag, now);
      stored.push(replica.blobKey);
    } else if (version.partCount !== null) {
      const parts: ObjectPart[] = [];
      for (const p of await deps.meta.objects.parts(version.id)) {
        const blobKey = await copyBlob(deps, source, dest, p.blobKey, p.size, p.etag, now);
        stored.push(blobKey);
        parts.push({ ...p, blobKey });
      }
      bytes = { parts };
    }
    committing = true;
    // The write path frees `stored` if the commit fails, and sends them to the zone replica if it does not.
    await commitWrite(deps, dest.zone, stored, () =>
      deps.meta.objects.commitReplica(dest, replica, bytes, task, { now, maxVersions: MAX_VERSIONS_PER_OBJECT }),
    );
    return "copied";
  } catch (e) {
    if (!committing) discardUncommitted(deps, dest.zone, stored);
    return settleFailure(deps, task, e, now);
  }
}

async function settleFailure(deps: JobDeps, task: ReplicationTask, e: unknown, now: number): Promise<CopyOutcome> {
  if (isS3Error(e)) {
    // The replica's version id is there already: made by a run that raced this one.
    if (e.code === "PreconditionFailed") {
      await deps.meta.bucketReplication.settle(task);
      return "already-copied";
    }
    // The source version was deleted while its bytes were shared: nothing left to copy.
    if (e.code === "NoSuchKey") {
      await deps.meta.bucketReplication.drop(task);
      return "dropped";
    }
    if (e.code === "TooManyVersions" || e.code === "NoSuchBucket") {
      await deps.meta.bucketReplication.fail(task, e.code);
      return "failed";
    }
  }
  const reason = String((e as Error)?.message ?? e).slice(0, 500);
  if (task.attempts + 1 >= MAX_COPY_ATTEMPTS) {
    await deps.meta.bucketReplication.fail(task, reason);
    return "failed";
  }
  await deps.meta.bucketReplication.retryLater(task, reason, now + RETRY_BASE_MS * 2 ** task.attempts);
  return "retry";
}

/** One "bucket-replicate" job: the copy, if it is still owed (a redelivered message finds none). */
export async function replicateOwedCopy(deps: JobDeps, objectId: string, destination: string): Promise<CopyOutcome | null> {
  const task = await deps.meta.bucketReplication.pendingTask(objectId, destination);
  return task ? replicateVersion(deps, task) : null;
}

const SCAN_PAGE = 100;

/**
 * One page of the reconciling scan ("bucket-replication-scan", sent by the cron trigger): a
 * "bucket-replicate" job for each pending copy due at `now`, and the scan's continuation when the
 * page was full.
 */
export async function replicationScanPage(deps: JobDeps, now: number, after: { objectId: string; destination: string } | null): Promise<JobMessage[]> {
  const tasks = await deps.meta.bucketReplication.pending(SCAN_PAGE, now, after);
  const jobs: JobMessage[] = tasks.map((t) => ({ kind: "bucket-replicate", objectId: t.objectId, destination: t.destination }));
  const last = tasks.at(-1);
  if (tasks.length === SCAN_PAGE && last)
    jobs.push({ kind: "bucket-replication-scan", now, after: { objectId: last.objectId, destination: last.destination } });
  return jobs;
}
