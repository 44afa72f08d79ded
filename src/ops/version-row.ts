/** Building the row of a new object version (PutObject, CompleteMultipartUpload, CopyObject, delete markers). */
import { newRowId, newVersionId } from "../logic/ids";
import { NO_LOCK } from "../logic/object-lock";
import { replicationTargets } from "../logic/replication";
import type { Bucket, NewObjectVersion } from "../store/model";

/**
 * A new version of `key`: a fresh row id, the version id the bucket's versioning state calls for
 * (a new id when Enabled, "null" when unversioned or Suspended), and empty defaults for the rest.
 * The copies the bucket's replication rules owe it (`replicateTo`, status PENDING) are derived from
 * the finished row unless `fields` says (a replica, a lifecycle delete marker: none).
 */
export function newVersionRow(
  bucket: Bucket,
  key: string,
  now: number,
  fields: Partial<NewObjectVersion> & Pick<NewObjectVersion, "ownerId">,
): NewObjectVersion {
  const v: NewObjectVersion = {
    id: newRowId(),
    bucketId: bucket.id,
    key,
    versionId: bucket.versioning === "Enabled" ? newVersionId() : "null",
    isDeleteMarker: false,
    size: 0,
    etag: "",
    lastModified: now,
    blobKey: null,
    partCount: null,
    inlineBody: null,
    httpMeta: {},
    userMeta: {},
    checksumAlgorithm: null,
    checksumValue: null,
    checksumType: null,
    ssecKeyMd5: null,
    acl: null,
    tags: [],
    tagCount: 0,
    storageClass: "STANDARD",
    lock: NO_LOCK,
    replicationStatus: null,
    replicateTo: [],
    ...fields,
  };
  if (fields.replicateTo === undefined && v.versionId !== "null") {
    v.replicateTo = replicationTargets(bucket.replication, v);
    if (v.replicateTo.length > 0) v.replicationStatus = "PENDING";
  }
  return v;
}
