/**
 * Applies bucket lifecycle rules (run by the scheduled job, with the trigger's time as "now").
 * For each bucket with rules: walk its keys in pages, ask logic/lifecycle.ts what is due, and apply
 * each action with a store commit that re-checks the row it was computed from (the same version is
 * still there, still latest, still alone): a run that races a client write or another run does
 * nothing rather than the wrong thing, and a second run finds nothing left to do. Permanent deletes
 * carry the object-lock assertion inside the commit, so a version locked meanwhile survives.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html
 */
import { isS3Error } from "../errors";
import { dueActions, minAbortDays, uploadAbortRule, type BucketVersioning, type LifecycleAction, type LifecycleRule, type VersionState } from "../logic/lifecycle";

const DAY_MS = 86_400_000;

export interface LifecycleBucket {
  id: string;
  zone: string;
  versioning: BucketVersioning;
  rules: LifecycleRule[];
}

/** A version as the job reads it, with the row id the commits re-check. */
export type LifecycleVersion = VersionState & { rowId: string };

/** What the job needs from the metadata store (SQL lives there). */
export interface LifecycleStore {
  lifecycleBuckets(): Promise<LifecycleBucket[]>;
  /** Up to `maxKeys` keys after `afterKey`, each with all its versions, newest first. */
  lifecycleKeys(bucketId: string, afterKey: string, maxKeys: number): Promise<{ key: string; versions: LifecycleVersion[] }[]>;
  /** Applies one action if the row is still as read; returns blob keys queued for deletion ([] when it no longer applied). */
  applyLifecycleAction(bucket: LifecycleBucket, key: string, action: LifecycleAction, rowId: string, now: number): Promise<string[]>;
  /** Multipart uploads of a bucket initiated before `before`. */
  uploadsInitiatedBefore(bucketId: string, before: number): Promise<{ id: string; key: string; initiatedAt: number }[]>;
  abortUpload(zone: string, uploadId: string, now: number): Promise<{ existed: boolean; freed: string[] }>;
}

const KEYS_PER_PAGE = 200;

/** One pass over every bucket with rules. Returns how many actions were applied. */
export async function runLifecycle(
  store: LifecycleStore,
  freeBlobs: (zone: string, blobKeys: string[]) => Promise<unknown>,
  now: number,
): Promise<number> {
  let applied = 0;
  for (const bucket of await store.lifecycleBuckets()) {
    const enabled = bucket.rules.filter((r) => r.status === "Enabled");
    if (enabled.length === 0) continue;
    let after = "";
    for (;;) {
      const page = await store.lifecycleKeys(bucket.id, after, KEYS_PER_PAGE);
      for (const { key, versions } of page) {
        for (const action of dueActions(enabled, key, versions, bucket.versioning, now)) {
          const row = versions.find((v) => v.versionId === action.versionId)!;
          try {
            const freed = await store.applyLifecycleAction(bucket, key, action, row.rowId, now);
            if (freed.length) await freeBlobs(bucket.zone, freed);
            applied++;
          } catch (e) {
            // The row changed or got locked since it was read: leave it for a later run.
            if (!isS3Error(e)) throw e;
          }
        }
      }
      if (page.length < KEYS_PER_PAGE) break;
      after = page[page.length - 1]!.key;
    }
    applied += await abortDueUploads(store, bucket, enabled, freeBlobs, now);
  }
  return applied;
}

async function abortDueUploads(
  store: LifecycleStore,
  bucket: LifecycleBucket,
  rules: LifecycleRule[],
  freeBlobs: (zone: string, blobKeys: string[]) => Promise<unknown>,
  now: number,
): Promise<number> {
  const days = minAbortDays(rules);
  if (days === null) return 0;
  let aborted = 0;
  for (const u of await store.uploadsInitiatedBefore(bucket.id, now - (days - 1) * DAY_MS)) {
    if (!uploadAbortRule(rules, u.key, u.initiatedAt, now)) continue;
    const { existed, freed } = await store.abortUpload(bucket.zone, u.id, now);
    if (freed.length) await freeBlobs(bucket.zone, freed);
    if (existed) aborted++;
  }
  return aborted;
}
