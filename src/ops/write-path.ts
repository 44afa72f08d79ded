/**
 * THE write path. Every operation that stores bytes or drops rows (PutObject, POST Object,
 * CopyObject, UploadPart, UploadPartCopy, CompleteMultipartUpload, DeleteObject(s), Abort) follows
 * one order:
 *   1. bytes go to a fresh, never reused blob key that the blob store mints (`BlobStore.putNew`);
 *   2. one atomic D1 batch (a store intent method) commits the rows and queues, in blob_deletions,
 *      the blobs it superseded;
 *   3. the queued blobs are deleted once no row refers to them and the grace period
 *      (SOS_BLOB_DELETION_GRACE_SECONDS) has passed, by the cron sweep: a GET that started before
 *      the write may still be streaming them. With a grace period of 0 they go right after the response.
 *   4. the new bytes are copied to the zone's replica by a "replicate" queue job, sent after the
 *      response; if that send fails, the cron's reconciling job finds the blob and sends it again.
 *   5. a new version that bucket replication rules apply to commits with its copies owed (status
 *      PENDING, replication_tasks, in the same batch); one "bucket-replicate" job per copy is sent
 *      after the response (`startReplication`), and the cron's scan sends whatever is still pending.
 * If the commit fails, the blobs this write stored are deleted after the response if no row refers
 * to them: a batch that D1 reported as failed may still have committed, and then its row does.
 * Blobs that never reached a commit (the body failed a check after R2 stored it) are deleted at once.
 */
import type { Deps } from "../context";
import { deleteUnreferencedBlobs } from "../jobs/blob-deletions";
import { sendJobs } from "../jobs/messages";
import type { NewObjectVersion } from "../store/model";

type FreeDeps = Pick<Deps, "meta" | "blobs" | "config" | "defer">;

/** Deletes, after the response, those of `blobKeys` that no row refers to. */
function deleteIfUnreferenced(deps: FreeDeps, zone: string, blobKeys: readonly string[]): void {
  if (blobKeys.length === 0) return;
  deps.defer(
    deleteUnreferencedBlobs(
      deps,
      blobKeys.map((blobKey) => ({ zone, blobKey })),
    ),
  );
}

/** Whether a commit's superseded blobs are deleted right after the response (no grace period): it then reports them (`reportQueued`). */
export const freesAtOnce = (deps: Pick<Deps, "config">): boolean => deps.config.blobDeletionGraceMs === 0;

/**
 * Blobs a commit superseded or dropped (already queued in blob_deletions by that commit): the cron
 * sweep deletes them after the grace period, or, without one, they go after the response.
 */
export function freeBlobs(deps: FreeDeps, zone: string, blobKeys: readonly string[]): void {
  if (freesAtOnce(deps)) deleteIfUnreferenced(deps, zone, blobKeys);
}

/** Deletes blobs this request stored and no commit can have referred to. */
export function discardUncommitted(deps: Deps, zone: string, blobKeys: readonly string[]): void {
  if (blobKeys.length) deps.defer(deps.blobs.delete(zone, [...blobKeys]));
}

/**
 * Runs `commit` (which returns the blob keys it superseded) for a write whose new bytes are
 * `stored` (empty when it shares existing blobs or stores none), then frees what it superseded
 * and sends the replication jobs of `stored` (zone replica) and of `created` (bucket replication);
 * on failure deletes `stored` unless a row refers to them, and rethrows.
 */
export async function commitWrite(
  deps: Deps,
  zone: string,
  stored: readonly string[],
  commit: () => Promise<readonly string[]>,
  created?: NewObjectVersion,
): Promise<void> {
  let superseded: readonly string[];
  try {
    superseded = await commit();
  } catch (e) {
    deleteIfUnreferenced(deps, zone, stored);
    throw e;
  }
  freeBlobs(deps, zone, superseded);
  replicateLater(deps, zone, stored);
  if (created) startReplication(deps, created);
}

/**
 * After a committed version's response: one "bucket-replicate" job per copy bucket replication owes
 * it (SOS_REPLICATION_AFTER_RESPONSE = "false" leaves them to the cron's scan, as does a failed send).
 */
export function startReplication(deps: Deps, created: NewObjectVersion): void {
  if (created.replicateTo.length === 0 || !deps.config.replicationAfterResponse) return;
  const jobs = created.replicateTo.map((t) => ({ kind: "bucket-replicate" as const, objectId: created.id, destination: t.destination }));
  deps.defer(sendJobs(deps.env, jobs).catch((e) => console.warn(`bucket-replicate jobs for ${created.id} not sent (the cron's scan will send them): ${e}`)));
}

/** Sends the replicate job for blobs just committed; a failed send is left to the reconciling job. */
function replicateLater(deps: Deps, zone: string, stored: readonly string[]): void {
  if (stored.length === 0 || !deps.blobs.hasReplica(zone)) return;
  deps.defer(
    sendJobs(deps.env, [{ kind: "replicate", zone, blobKeys: [...stored] }]).catch((e) =>
      console.warn(`replicate job for ${stored.length} blob(s) of ${zone} not sent (the reconciling job will send it): ${e}`),
    ),
  );
}
