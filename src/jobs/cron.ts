/**
 * The scheduled sweep (cron trigger): applies bucket lifecycle rules, finishes queued blob
 * deletions, aborts multipart uploads older than the configured age, advances manifest compaction,
 * and deletes orphan blobs that a crash left between writing bytes and committing metadata. `now` is
 * the trigger's scheduled time.
 */
import type { Deps } from "../context";
import { blobKeyTime } from "../store/blobs-r2";
import { abortStaleUploads } from "./stale-uploads";
import { drainBlobDeletions } from "./blob-deletions";
import { runLifecycle } from "./lifecycle";
import { compactionStep } from "./compaction";

/** Subrequests compaction leaves to the orphan sweep that follows it in the same invocation. */
const SWEEP_RESERVE = 8;
/** Compaction steps start only while this many subrequests are left (a step's own D1 calls and one part). */
const COMPACTION_STEP_MIN = 8;

/** Compaction steps while work remains and the invocation has subrequests left; a failing step is logged, not fatal to the sweep. */
async function runCompaction(deps: Deps, now: number): Promise<void> {
  const until = Date.now() + 20_000;
  while (deps.subrequests.left() >= SWEEP_RESERVE + COMPACTION_STEP_MIN && Date.now() < until) {
    try {
      const step = await compactionStep(deps, now, { reserve: SWEEP_RESERVE });
      if (!step.more || !step.progressed) return;
    } catch (e) {
      console.error("compaction step failed", e instanceof Error ? (e.stack ?? e.message) : e);
      return;
    }
  }
}

/** Orphans younger than this may still be waiting for their commit. */
export const ORPHAN_GRACE_MS = 24 * 3600 * 1000;

/**
 * Deletes orphan blobs (older than ORPHAN_GRACE_MS, unknown to D1), reading at most `maxPages`
 * pages of each zone per run and resuming the next run where this one stopped
 * (orphan_sweep_positions), so that every blob is reached however many a zone holds.
 */
export async function sweepOrphanBlobs(
  deps: Pick<Deps, "meta" | "blobs" | "config">,
  now: number,
  opts: { maxPages?: number; pageSize?: number } = {},
): Promise<number> {
  const { maxPages = 10, pageSize = 1000 } = opts;
  let removed = 0;
  for (const zone of deps.config.zones) {
    let after = (await deps.meta.blobGc.sweepPosition(zone)) ?? undefined;
    for (let page = 0; page < maxPages; page++) {
      const listing = await deps.blobs.list(zone, { startAfter: after, limit: pageSize });
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
      after = listing.more ? listing.keys.at(-1) : undefined;
      if (after === undefined) break;
    }
    await deps.meta.blobGc.setSweepPosition(zone, after ?? null, now);
  }
  return removed;
}

export async function runScheduledSweep(deps: Deps, now = Date.now()): Promise<void> {
  if (deps.config.sweepPaused) {
    console.warn("scheduled sweep paused (SOS_SWEEP_PAUSED = true): nothing deleted");
    return;
  }
  await runLifecycle(deps, now);
  while ((await abortStaleUploads(deps, deps.config.multipartMaxAgeMs, now)) > 0) {
    /* keep aborting */
  }
  while ((await drainBlobDeletions(deps, now, 500)) > 0) {
    /* keep draining */
  }
  await runCompaction(deps, now);
  await sweepOrphanBlobs(deps, now);
}
