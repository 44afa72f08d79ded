/**
 * Applies bucket lifecycle rules (the `lifecycle` queue job, with the cron trigger's time as "now").
 * For each bucket with rules, one message at a time: walk its keys in pages, ask logic/lifecycle.ts what is due, and apply
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
import { freesAtOnce } from "../ops/write-path";
import type { Bucket } from "../store/model";
import { deleteUnreferencedBlobs } from "./blob-deletions";

const DAY_MS = 86_400_000;
const KEYS_PER_PAGE = 200;

type JobDeps = Pick<Deps, "meta" | "blobs" | "config" | "subrequests">;

/** Subrequests a lifecycle message keeps for its last reads and its bucket's upload aborts. */
const RESERVE = 12;

/** A lifecycle job: the cron's (no bucket: one message per bucket with rules) or one bucket's walk from `after`. */
export type LifecycleMessage = { kind: "lifecycle"; now: number; bucketId?: string; after?: string };

/**
 * One lifecycle job, resumable: the cron's message fans out to one message per bucket with rules;
 * a bucket's message applies what is due to the keys after `after` while the invocation has
 * subrequests left (each action is one D1 commit; Workers Free allows 50 per invocation), then
 * returns its continuation from the last key it finished; at the end of the bucket it aborts the
 * due multipart uploads. Every action re-checks its row at commit, so a message delivered twice, or
 * a key walked again by a continuation, changes nothing the first did not.
 */
export async function lifecycleStep(deps: JobDeps, m: LifecycleMessage): Promise<LifecycleMessage[]> {
  if (m.bucketId === undefined) {
    const buckets = await deps.meta.buckets.withLifecycle();
    return buckets.filter((b) => enabledRules(b).length > 0).map((b) => ({ kind: "lifecycle", now: m.now, bucketId: b.id, after: "" }));
  }
  const bucket = await deps.meta.buckets.byId(m.bucketId);
  const rules = bucket ? enabledRules(bucket) : [];
  if (!bucket || rules.length === 0) return []; // deleted, or its rules removed since
  let after = m.after ?? "";
  for (;;) {
    const page = await deps.meta.listings.keyVersions(bucket.id, after, KEYS_PER_PAGE);
    for (const { key, versions } of page) {
      for (const action of dueActions(rules, key, versions, bucket.versioning, m.now)) {
        if (deps.subrequests.left() < RESERVE) return [{ ...m, after }]; // this key again, from its first action still due
        const rowId = versions.find((v) => v.versionId === action.versionId)!.rowId;
        await apply(deps, bucket, key, action, rowId, m.now);
      }
      after = key;
    }
    if (page.length < KEYS_PER_PAGE) {
      await abortDueUploads(deps, bucket, rules, m.now);
      return [];
    }
    if (deps.subrequests.left() < RESERVE) return [{ ...m, after }];
  }
}

const enabledRules = (bucket: Bucket): LifecycleRule[] => (bucket.lifecycle ?? []).filter((r) => r.status === "Enabled");

/** One action, committed only if the row is still as judged; false when it no longer applied. */
async function apply(deps: JobDeps, bucket: Bucket, key: string, action: LifecycleAction, rowId: string, now: number): Promise<boolean> {
  let freed: string[];
  try {
    if (action.kind === "expire-current" && bucket.versioning !== null) {
      // S3 does not replicate the delete markers lifecycle rules create.
      const marker = newVersionRow(bucket, key, now, { isDeleteMarker: true, ownerId: bucket.ownerId, replicateTo: [] });
      freed = await deps.meta.objects.commit(bucket, marker, {
        now,
        ifLatestRowId: rowId,
        maxVersions: MAX_VERSIONS_PER_OBJECT,
        reportQueued: freesAtOnce(deps),
      });
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
  if (freesAtOnce(deps)) {
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
