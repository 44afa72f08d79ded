/**
 * Deletes superseded blobs. Rows in blob_deletions are written in the same D1 batch that drops
 * the metadata referring to them; here we delete the R2 bytes, but only for blobs no row refers
 * to any more (a copy may share a blob), then their replica copies (after the home copy is gone,
 * so a read never finds the replica emptier than home), then forget the rows. Runs after responses
 * (waitUntil, without a grace period) and as the "blob-deletions" queue job, which finishes whatever
 * a crash left.
 */
import type { Deps } from "../context";

type Pending = { zone: string; blobKey: string };

export async function deleteUnreferencedBlobs(deps: Pick<Deps, "meta" | "blobs">, pending: Pending[]): Promise<number> {
  if (pending.length === 0) return 0;
  const referenced = await deps.meta.blobGc.referenced(pending.map((p) => p.blobKey));
  const byZone = new Map<string, { free: string[]; all: string[] }>();
  for (const p of pending) {
    const z = byZone.get(p.zone) ?? { free: [], all: [] };
    z.all.push(p.blobKey);
    if (!referenced.has(p.blobKey)) z.free.push(p.blobKey);
    byZone.set(p.zone, z);
  }
  let deleted = 0;
  for (const [zone, { free, all }] of byZone) {
    await deps.blobs.delete(zone, free);
    await deps.blobs.deleteReplicas(zone, free);
    await deps.meta.replicas.forget(zone, free);
    await deps.meta.blobGc.forget(zone, all);
    deleted += free.length;
  }
  return deleted;
}

/**
 * Processes up to `limit` queued deletions, oldest first, among those queued at least the grace
 * period (SOS_BLOB_DELETION_GRACE_SECONDS) before `now`: a GET that started before an overwrite or a
 * delete may still be streaming those bytes (a multipart object opens its parts one by one).
 */
/** Returns how many queued deletions it processed (`limit`: there may be more). */
export async function drainBlobDeletions(deps: Pick<Deps, "meta" | "blobs" | "config">, now: number, limit = 500): Promise<number> {
  const pending = await deps.meta.blobGc.pending(limit, now - deps.config.blobDeletionGraceMs);
  await deleteUnreferencedBlobs(deps, pending);
  return pending.length;
}
