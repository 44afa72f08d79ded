/**
 * Applies bucket lifecycle rules (run by the scheduled job, with the trigger's time as "now").
 * For each bucket with rules: walk its keys in pages, ask logic/lifecycle.ts what is due, and apply
 * each action with a store commit that re-checks the row it was computed from (the same version is
 * still there, still latest, still alone): a run that races a client write or another run does
 * nothing rather than the wrong thing, and a second run finds nothing left to do. Permanent deletes
 * carry the object-lock assertion inside their commit, so a version locked meanwhile survives.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html
 */
import type { Deps } from "../context";
import { isS3Error } from "../errors";
import { dueActions, minAbortDays, uploadAbortRule, type LifecycleAction, type LifecycleRule } from "../logic/lifecycle";
import { MAX_VERSIONS_PER_OBJECT } from "../logic/versioning";
import { newVersionRow } from "../ops/version-row";
import type { Bucket } from "../store/model";
import { deleteUnreferencedBlobs } from "./blob-deletions";

const DAY_MS = 86_400_000;
const KEYS_PER_PAGE = 200;

type JobDeps = Pick<Deps, "meta" | "blobs" | "config">;

/** One pass over every bucket with rules. Returns how many actions were applied. */
export async function runLifecycle(deps: JobDeps, now: number): Promise<number> {
  let applied = 0;
  for (const bucket of await deps.meta.buckets.withLifecycle()) {
    const rules = (bucket.lifecycle ?? []).filter((r) => r.status === "Enabled");
    if (rules.length === 0) continue;
    let after = "";
    for (;;) {
      const page = await deps.meta.listings.keyVersions(bucket.id, after, KEYS_PER_PAGE);
      for (const { key, versions } of page) {
        for (const action of dueActions(rules, key, versions, bucket.versioning, now)) {
          const rowId = versions.find((v) => v.versionId === action.versionId)!.rowId;
          if (await apply(deps, bucket, key, action, rowId, now)) applied++;
        }
      }
      if (page.length < KEYS_PER_PAGE) break;
      after = page[page.length - 1]!.key;
    }
    applied += await abortDueUploads(deps, bucket, rules, now);
  }
  return applied;
}

/** One action, committed only if the row is still as judged; false when it no longer applied. */
async function apply(deps: JobDeps, bucket: Bucket, key: string, action: LifecycleAction, rowId: string, now: number): Promise<boolean> {
  let freed: string[];
  try {
    if (action.kind === "expire-current" && bucket.versioning !== null) {
      // S3 does not replicate the delete markers lifecycle rules create.
      const marker = newVersionRow(bucket, key, now, { isDeleteMarker: true, ownerId: bucket.ownerId, replicateTo: [] });
      freed = await deps.meta.objects.commit(bucket, marker, { now, ifLatestRowId: rowId, maxVersions: MAX_VERSIONS_PER_OBJECT });
    } else {
      const onlyVersion = action.kind === "remove-expired-delete-marker";
      ({ freed } = await deps.meta.objects.deleteVersion(bucket, key, action.versionId, now, { rowId, onlyVersion }));
    }
  } catch (e) {
    // Changed, locked or full since it was read: leave it to a later run.
    if (isS3Error(e)) return false;
    throw e;
  }
  // The expired version's bytes are queued by that commit; like any superseded bytes they wait out the
  // grace period (a GET may still be streaming them) unless there is none.
  if (deps.config.blobDeletionGraceMs === 0) {
    await deleteUnreferencedBlobs(
      deps,
      freed.map((blobKey) => ({ zone: bucket.zone, blobKey })),
    );
  }
  return true;
}

async function abortDueUploads(deps: JobDeps, bucket: Bucket, rules: LifecycleRule[], now: number): Promise<number> {
  const days = minAbortDays(rules);
  if (days === null) return 0;
  let aborted = 0;
  // An upload is due at the midnight after initiation + days: none initiated later than now - days is.
  for (const u of await deps.meta.uploads.initiatedBefore(bucket.id, now - days * DAY_MS + 1)) {
    if (!uploadAbortRule(rules, u.key, u.initiatedAt, now)) continue;
    const { existed, freed } = await deps.meta.uploads.abort(bucket.zone, u.id, now);
    await deleteUnreferencedBlobs(
      deps,
      freed.map((blobKey) => ({ zone: bucket.zone, blobKey })),
    );
    if (existed) aborted++;
  }
  return aborted;
}
