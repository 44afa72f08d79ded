/**
 * The scheduled sweep (cron trigger): applies bucket lifecycle rules, finishes queued blob
 * deletions, aborts multipart uploads older than the configured age, and deletes orphan blobs that
 * a crash left between writing bytes and committing metadata. `now` is the trigger's scheduled time.
 */
import type { Deps } from "../context";
import { blobKeyTime } from "../store/blobs-r2";
import { abortStaleUploads } from "./stale-uploads";
import { drainBlobDeletions } from "./blob-deletions";
import { runLifecycle } from "./lifecycle";

/** Orphans younger than this may still be waiting for their commit. */
export const ORPHAN_GRACE_MS = 24 * 3600 * 1000;

export async function sweepOrphanBlobs(deps: Pick<Deps, "meta" | "blobs" | "config">, now: number, maxPages = 10): Promise<number> {
  let removed = 0;
  for (const zone of deps.config.zones) {
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const listing = await deps.blobs.list(zone, cursor);
      const old = listing.keys.filter((k) => {
        const t = blobKeyTime(k);
        return t !== null && now - t > ORPHAN_GRACE_MS;
      });
      if (old.length) {
        const known = await deps.meta.blobGc.known(old);
        const orphans = old.filter((k) => !known.has(k));
        await deps.blobs.delete(zone, orphans);
        removed += orphans.length;
      }
      cursor = listing.cursor;
      if (!cursor) break;
    }
  }
  return removed;
}

export async function runScheduledSweep(deps: Deps, now = Date.now()): Promise<void> {
  await runLifecycle(deps, now);
  while ((await abortStaleUploads(deps, deps.config.multipartMaxAgeMs, now)) > 0) {
    /* keep aborting */
  }
  while ((await drainBlobDeletions(deps, 500)) > 0) {
    /* keep draining */
  }
  await sweepOrphanBlobs(deps, now);
}
