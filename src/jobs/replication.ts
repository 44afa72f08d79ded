/**
 * Bucket replication's copier: makes the copy a replication task owes (src/store/d1/replication.ts)
 * and settles the task in the replica's own commit batch. Idempotent: a replica already there (a
 * redelivery, two runs racing) settles the task and changes nothing else, and a task whose source
 * version is gone is dropped. Runs after the write's response (waitUntil) and from the cron job's
 * reconciling scan of pending tasks, which also retries copies that failed for a passing reason.
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html
 *
 * Bytes: within a zone the replica shares the source's immutable blobs (the reference-checked model
 * of CopyObject: the commit asserts the source row still exists); across zones each blob is
 * streamed from one R2 bucket into the other (a multipart object part by part, so the replica keeps
 * its parts, ETag and checksums), and blobs of a copy whose commit failed are freed unless a row
 * refers to them. The replica keeps the source's version id, metadata, content headers, tags, ACL,
 * owner and Last-Modified, and is marked REPLICA (never replicated again).
 */
import type { Deps } from "../context";
import { isS3Error } from "../errors";
import { allows } from "../logic/acl";
import { NO_LOCK } from "../logic/object-lock";
import { MAX_VERSIONS_PER_OBJECT } from "../logic/versioning";
import { newVersionRow } from "../ops/version-row";
import type { Bucket, ObjectPart, ObjectVersion, ReplicationTask } from "../store/model";
import { deleteUnreferencedBlobs } from "./blob-deletions";

type JobDeps = Pick<Deps, "meta" | "blobs" | "config">;

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

/** Makes the copy `task` owes; never throws for the task's own failures (they are recorded). */
export async function replicateVersion(deps: JobDeps, task: ReplicationTask, now = Date.now()): Promise<CopyOutcome> {
  const version = await deps.meta.objects.byId(task.objectId);
  const source = version && (await deps.meta.buckets.byId(version.bucketId));
  if (!version || !source) {
    await deps.meta.replication.drop(task);
    return "dropped";
  }
  const dest = await deps.meta.buckets.get(task.destination);
  const refused = refusal(source, version, dest);
  if (refused || !dest) {
    await deps.meta.replication.fail(task, refused ?? "DstBucketNotFound");
    return "failed";
  }
  if (await deps.meta.objects.get(dest.id, version.key, version.versionId)) {
    await deps.meta.replication.settle(task);
    return "already-copied";
  }
  const replica = replicaRow(dest, version);
  const stored: string[] = [];
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
    await deps.meta.objects.commitReplica(dest, replica, bytes, task, { now, maxVersions: MAX_VERSIONS_PER_OBJECT });
    return "copied";
  } catch (e) {
    if (stored.length)
      await deleteUnreferencedBlobs(
        deps,
        stored.map((blobKey) => ({ zone: dest.zone, blobKey })),
      );
    return settleFailure(deps, task, e, now);
  }
}

async function settleFailure(deps: JobDeps, task: ReplicationTask, e: unknown, now: number): Promise<CopyOutcome> {
  if (isS3Error(e)) {
    // The replica's version id is there already: made by a run that raced this one.
    if (e.code === "PreconditionFailed") {
      await deps.meta.replication.settle(task);
      return "already-copied";
    }
    // The source version was deleted while its bytes were shared: nothing left to copy.
    if (e.code === "NoSuchKey") {
      await deps.meta.replication.drop(task);
      return "dropped";
    }
    if (e.code === "TooManyVersions" || e.code === "NoSuchBucket") {
      await deps.meta.replication.fail(task, e.code);
      return "failed";
    }
  }
  const reason = String((e as Error)?.message ?? e).slice(0, 500);
  if (task.attempts + 1 >= MAX_COPY_ATTEMPTS) {
    await deps.meta.replication.fail(task, reason);
    return "failed";
  }
  await deps.meta.replication.retryLater(task, reason, now + RETRY_BASE_MS * 2 ** task.attempts);
  return "retry";
}

/** The copies one new version owes, made right after its write's response. */
export async function replicateOwedCopies(deps: JobDeps, objectId: string): Promise<void> {
  for (const task of await deps.meta.replication.pendingFor(objectId)) await replicateVersion(deps, task);
}

/**
 * The reconciling scan (cron): every pending copy due at `now`, oldest first, at most `maxTasks`
 * per run (each copy is a few subrequests); what is left waits for the next run.
 */
export async function runReplicationScan(deps: JobDeps, now: number, maxTasks = 200): Promise<Record<CopyOutcome, number>> {
  const counts: Record<CopyOutcome, number> = { copied: 0, "already-copied": 0, dropped: 0, failed: 0, retry: 0 };
  let done = 0;
  while (done < maxTasks) {
    const tasks = await deps.meta.replication.pending(Math.min(50, maxTasks - done), now);
    for (const task of tasks) counts[await replicateVersion(deps, task, now)]++;
    done += tasks.length;
    if (tasks.length < 50) break;
  }
  return counts;
}
