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
 * If the commit fails, the blobs this write stored are deleted after the response if no row refers
 * to them: a batch that D1 reported as failed may still have committed, and then its row does.
 * Blobs that never reached a commit (the body failed a check after R2 stored it) are deleted at once.
 */
import type { Deps } from "../context";
import { deleteUnreferencedBlobs } from "../jobs/blob-deletions";

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

/**
 * Blobs a commit superseded or dropped (already queued in blob_deletions by that commit): the cron
 * sweep deletes them after the grace period, or, without one, they go after the response.
 */
export function freeBlobs(deps: FreeDeps, zone: string, blobKeys: readonly string[]): void {
  if (deps.config.blobDeletionGraceMs === 0) deleteIfUnreferenced(deps, zone, blobKeys);
}

/** Deletes blobs this request stored and no commit can have referred to. */
export function discardUncommitted(deps: Deps, zone: string, blobKeys: readonly string[]): void {
  if (blobKeys.length) deps.defer(deps.blobs.delete(zone, [...blobKeys]));
}

/**
 * Runs `commit` (which returns the blob keys it superseded) for a write whose new bytes are
 * `stored` (empty when it shares existing blobs or stores none), then frees what it superseded;
 * on failure deletes `stored` unless a row refers to them, and rethrows.
 */
export async function commitWrite(deps: Deps, zone: string, stored: readonly string[], commit: () => Promise<readonly string[]>): Promise<void> {
  let superseded: readonly string[];
  try {
    superseded = await commit();
  } catch (e) {
    deleteIfUnreferenced(deps, zone, stored);
    throw e;
  }
  freeBlobs(deps, zone, superseded);
}
