/**
 * DeleteObject, by the versioning rules of the bucket:
 * - unversioned: removes the null version;
 * - Enabled, no versionId: adds a delete marker;
 * - Suspended, no versionId: replaces the null version with a null delete marker;
 * - with versionId: removes exactly that version (a delete marker included); when it was the
 *   latest, the newest remaining version becomes current (deleting a delete marker restores).
 * A write that would give the key more than MAX_VERSIONS_PER_OBJECT versions is TooManyVersions.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
 */
import type { BucketContext, Handler, ObjectContext, WithParams } from "../context";
import { governanceBypass } from "./object-lock";
import { newVersionRow } from "./version-row";
import { freeBlobs, freesAtOnce, startReplication } from "./write-path";
import { MAX_VERSIONS_PER_OBJECT } from "../logic/versioning";
import type { Bucket } from "../store/model";
import type { Deps } from "../context";
import type { Principal } from "../identity";
import type { DeleteObjectParams } from "./params";

export type DeleteOutcome = { versionId?: string; deleteMarker: boolean };

/** Deletes one key (or one version of it); shared by DeleteObject and DeleteObjects. */
export async function deleteKey(
  deps: Deps,
  bucket: Bucket,
  key: string,
  versionId: string | null,
  principal: Principal,
  now: number,
  /** a governance bypass that was requested and is allowed (ops/object-lock.ts governanceBypass) */
  bypassGovernance: boolean,
  /** receives the blob keys this delete released; by default they are deleted after the response */
  onFreed?: (blobKeys: string[]) => void,
): Promise<DeleteOutcome> {
  const free = (keys: string[]) => {
    if (keys.length === 0) return;
    if (onFreed) onFreed(keys);
    else freeBlobs(deps, bucket.zone, keys);
  };
  if (versionId !== null) {
    const { deleted, freed } = await deps.meta.objects.deleteVersion(bucket, key, versionId, now, { bypassGovernance });
    free(freed);
    return { versionId, deleteMarker: deleted?.isDeleteMarker ?? false };
  }
  if (bucket.versioning === null) {
    const { freed } = await deps.meta.objects.deleteVersion(bucket, key, "null", now);
    free(freed);
    return { deleteMarker: false };
  }
  const marker = newVersionRow(bucket, key, now, {
    isDeleteMarker: true,
    ownerId: principal.kind === "user" ? principal.user.id : bucket.ownerId,
  });
  // A delete marker is a version: it counts toward the per-object limit like any write.
  free(await deps.meta.objects.commit(bucket, marker, { now, maxVersions: MAX_VERSIONS_PER_OBJECT, reportQueued: freesAtOnce(deps) }));
  startReplication(deps, marker);
  return { versionId: marker.versionId, deleteMarker: true };
}

/** The governance bypass as a delete uses it: requested and allowed. */
export function bypassOf(ctx: BucketContext, key: string | null = null): boolean {
  const b = governanceBypass(ctx, ctx.bucket, key);
  return b.requested && b.allowed;
}

export const deleteObject: Handler<WithParams<ObjectContext, DeleteObjectParams>> = async (ctx) => {
  const outcome = await deleteKey(ctx.deps, ctx.bucket, ctx.key, ctx.params.versionId, ctx.principal, ctx.now, bypassOf(ctx, ctx.key));
  const headers = new Headers();
  if (outcome.versionId !== undefined) headers.set("x-amz-version-id", outcome.versionId);
  if (outcome.deleteMarker) headers.set("x-amz-delete-marker", "true");
  return new Response(null, { status: 204, headers });
};
