/**
 * The cron trigger only sends job messages; the queue consumer (src/jobs/consumer.ts) runs them:
 * lifecycle rules, queued blob deletions, stale multipart uploads, one orphan-sweep chain per zone
 * and zone replica, one replica reconciliation per zone with a replica, and bucket replication's
 * scan of pending copies, and manifest compaction. `now` is the trigger's scheduled time; each job
 * message carries it.
 */
import type { Deps } from "../context";
import { blobKeyTime } from "../store/blobs-r2";
import { type JobMessage, sendJobs } from "./messages";

/** Orphans younger than this may still be waiting for their commit. */
export const ORPHAN_GRACE_MS = 24 * 3600 * 1000;

/** orphan_sweep_positions key of a zone's or its replica's listing. */
export const sweepPositionKey = (zone: string, replica: boolean) => (replica ? `${zone}#replica` : zone);

/**
 * One page of the orphan sweep of a zone (or its replica): deletes the listed blobs older than
 * ORPHAN_GRACE_MS that D1 does not know (referenced or queued for deletion), records where it
 * stopped, and returns that position (null: the listing ended, the next sweep starts over).
 */
export async function sweepOrphanPage(
  deps: Pick<Deps, "meta" | "blobs">,
  zone: string,
  replica: boolean,
  after: string | null,
  now: number,
  pageSize = 1000,
): Promise<{ removed: number; next: string | null }> {
  const listing = await deps.blobs.list(zone, { startAfter: after ?? undefined, limit: pageSize, replica });
  const old = listing.keys.filter((k) => {
    const t = blobKeyTime(k);
    return t !== null && now - t > ORPHAN_GRACE_MS;
  });
  let removed = 0;
  if (old.length) {
    const known = await deps.meta.blobGc.known(old);
    const orphans = old.filter((k) => !known.has(k));
    if (replica) {
      await deps.blobs.deleteReplicas(zone, orphans);
      await deps.meta.replicas.forget(zone, orphans);
    } else await deps.blobs.delete(zone, orphans);
    removed = orphans.length;
  }
  const next = listing.more ? (listing.keys.at(-1) ?? null) : null;
  await deps.meta.blobGc.setSweepPosition(sweepPositionKey(zone, replica), next, now);
  return { removed, next };
}

/** Up to `maxPages` pages of each zone's sweep, resuming where the previous call stopped (used by store tests). */
export async function sweepOrphanBlobs(
  deps: Pick<Deps, "meta" | "blobs" | "config">,
  now: number,
  opts: { maxPages?: number; pageSize?: number } = {},
): Promise<number> {
  const { maxPages = 10, pageSize = 1000 } = opts;
  let removed = 0;
  for (const zone of deps.config.zones) {
    let after = await deps.meta.blobGc.sweepPosition(zone);
    for (let page = 0; page < maxPages; page++) {
      const r = await sweepOrphanPage(deps, zone, false, after, now, pageSize);
      removed += r.removed;
      after = r.next;
      if (after === null) break;
    }
  }
  return removed;
}

/** The messages one cron run sends. */
export async function scheduledJobs(deps: Pick<Deps, "meta" | "blobs" | "config">, now: number): Promise<JobMessage[]> {
  const jobs: JobMessage[] = [];
  // A paused sweep (before and during a restore) deletes nothing; replica copies still go on.
  if (!deps.config.sweepPaused) {
    jobs.push({ kind: "lifecycle", now }, { kind: "stale-uploads", now }, { kind: "blob-deletions", now }, { kind: "compaction", now });
    for (const zone of deps.config.zones) {
      for (const replica of deps.blobs.hasReplica(zone) ? [false, true] : [false]) {
        const after = await deps.meta.blobGc.sweepPosition(sweepPositionKey(zone, replica));
        jobs.push({ kind: "orphan-sweep", zone, replica, after, now });
      }
    }
  } else console.warn("scheduled sweep paused (SOS_SWEEP_PAUSED = true): nothing deleted");
  for (const zone of deps.config.zones) if (deps.blobs.hasReplica(zone)) jobs.push({ kind: "reconcile-replicas", zone, after: "" });
  // Bucket replication copies no after-response job made (or that are due for a retry); copying deletes nothing.
  jobs.push({ kind: "bucket-replication-scan", now, after: null });
  return jobs;
}

export async function runScheduledSweep(deps: Deps, now = Date.now()): Promise<void> {
  await sendJobs(deps.env, await scheduledJobs(deps, now));
}
