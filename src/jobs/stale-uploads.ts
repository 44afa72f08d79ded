/**
 * Aborts multipart uploads abandoned for longer than the configured age
 * (SOS_MULTIPART_MAX_AGE_SECONDS, 7 days by default), freeing their parts' bytes: the
 * equivalent of an AbortIncompleteMultipartUpload lifecycle rule on every bucket.
 */
import type { Deps } from "../context";
import { deleteUnreferencedBlobs } from "./blob-deletions";

/** Aborts up to one batch of stale uploads; returns how many it aborted (0 = done). */
export async function abortStaleUploads(deps: Pick<Deps, "meta" | "blobs">, maxAgeMs: number, now: number): Promise<number> {
  const stale = await deps.meta.uploads.stale(now - maxAgeMs, 100);
  for (const u of stale) {
    const { freed } = await deps.meta.uploads.abort(u.zone, u.id, now);
    await deleteUnreferencedBlobs(
      deps,
      freed.map((blobKey) => ({ zone: u.zone, blobKey })),
    );
  }
  return stale.length;
}
