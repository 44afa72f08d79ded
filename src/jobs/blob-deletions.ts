/**
 * Deletes superseded blobs. Rows in blob_deletions are written in the same D1 batch that drops
 * the metadata referring to them; here we delete the R2 bytes, but only for blobs no row refers
 * to any more (a copy may share a blob), then forget the row. Runs after responses (waitUntil)
 * and from the cron sweep, which finishes whatever a crash left.
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
export async function drainBlobDeletions(deps: Pick<Deps, "meta" | "blobs" | "config">, now: number, limit = 500): Promise<number> {
  const pending = await deps.meta.blobGc.pending(limit, now - deps.config.blobDeletionGraceMs);
  return deleteUnreferencedBlobs(deps, pending);
}
