/**
 * Authorization = access-key scope AND ACL grants (S3's order, with policies still to come). The key scope is checked first,
 * from the operation alone; then the pipeline checks what the bucket row decides (the `access`
 * column of src/operations.ts), and the object-level checks run where the version or upload row is read,
 * so that authorization never costs an extra D1 query. The owner of a bucket or object always
 * has FULL_CONTROL; anonymous callers get only what AllUsers is granted.
 */
import { S3Error } from "./errors";
import type { KeyScope, Principal } from "./identity";
import { allows, type CallerId, type Permission } from "./logic/acl";
import type { Op, OperationSpec, Requirement } from "./operations";
import type { Bucket, MultipartUpload, ObjectVersion } from "./store/model";

/** Whether a key's operation set allows the operation `name`, whose key class is `spec.keys` (src/operations.ts). */
export function scopeAllowsOperation(scope: KeyScope, name: Op, spec: Pick<OperationSpec, "keys">): boolean {
  switch (scope.operations) {
    case "full":
      return true;
    case "read-only":
      return spec.keys === "read";
    case "write-only":
      return spec.keys === "write";
    default:
      return scope.operations.includes(name);
  }
}

/** Key scope: refuses operations and buckets outside what the key was issued for. Copies read their source: the key must also be allowed GetObject. */
export function checkKeyScope(principal: Principal, name: Op, spec: OperationSpec, bucketName: string | null): void {
  if (principal.kind !== "user") return;
  const { scope } = principal;
  if (!scopeAllowsOperation(scope, name, spec)) throw new S3Error("AccessDenied");
  if (spec.readsSource && !scopeAllowsOperation(scope, "GetObject", { keys: "read" })) throw new S3Error("AccessDenied");
  if (scope.bucket !== null && bucketName !== null && bucketName !== scope.bucket) throw new S3Error("AccessDenied");
}

export function callerId(principal: Principal): CallerId {
  return principal.kind === "user" ? principal.user.id : null;
}

export function isBucketOwner(principal: Principal, bucket: Bucket): boolean {
  return principal.kind === "user" && principal.user.id === bucket.ownerId;
}

export function hasBucketPermission(principal: Principal, bucket: Bucket, permission: Permission): boolean {
  return allows(callerId(principal), bucket.ownerId, bucket.acl, permission);
}

/** Throws AccessDenied unless the caller holds `permission` on the bucket (for handlers such as POST uploads). */
export function requireBucketPermission(principal: Principal, bucket: Bucket, permission: Permission): void {
  if (!hasBucketPermission(principal, bucket, permission)) throw new S3Error("AccessDenied");
}

/** The pipeline's step once the bucket is loaded: everything the bucket row can decide. */
export function authorizeBucketStep(principal: Principal, req: Requirement, bucket: Bucket): void {
  if (req.on === "bucket") requireBucketPermission(principal, bucket, req.permission);
  else if (req.on === "bucket-owner" && !isBucketOwner(principal, bucket)) throw new S3Error("AccessDenied");
}

/**
 * Object-level check, run by the pipeline when it loads the version an operation names. A missing
 * object or a delete marker is only reported to callers who may list the bucket; others get
 * AccessDenied, so that keys cannot be probed (S3 answers 403 instead of 404 without s3:ListBucket).
 */
export function checkObjectAccess(principal: Principal, bucket: Bucket, req: Requirement, obj: ObjectVersion | null): void {
  if (req.on !== "object") return;
  const ok =
    obj === null || obj.isDeleteMarker ? hasBucketPermission(principal, bucket, "READ") : allows(callerId(principal), obj.ownerId, obj.acl, req.permission);
  if (!ok) throw new S3Error("AccessDenied");
}

/** ListParts and AbortMultipartUpload: the bucket owner or whoever initiated the upload. */
export function checkUploadAccess(principal: Principal, bucket: Bucket, req: Requirement, upload: MultipartUpload): void {
  if (req.on !== "upload") return;
  if (isBucketOwner(principal, bucket)) return;
  if (principal.kind === "user" && principal.user.id === upload.initiatorId) return;
  throw new S3Error("AccessDenied");
}

/** One key of DeleteObjects, authorized as DeleteObject would be (a version: the bucket owner's). */
export function checkDeleteKeyAccess(principal: Principal, bucket: Bucket, versionId: string | null): void {
  const ok = versionId === null ? hasBucketPermission(principal, bucket, "WRITE") : isBucketOwner(principal, bucket);
  if (!ok) throw new S3Error("AccessDenied");
}

/**
 * A copy's source: the key's bucket restriction applies to it too, and the caller needs READ on
 * the source object (a missing source is reported only to callers who may list its bucket).
 */
export function checkCopySourceAccess(principal: Principal, bucket: Bucket, obj: ObjectVersion | null): void {
  if (principal.kind === "user" && principal.scope.bucket !== null && principal.scope.bucket !== bucket.name) throw new S3Error("AccessDenied");
  const ok = obj === null || obj.isDeleteMarker ? hasBucketPermission(principal, bucket, "READ") : allows(callerId(principal), obj.ownerId, obj.acl, "READ");
  if (!ok) throw new S3Error("AccessDenied");
}
