/**
 * Authorization = access-key scope AND ACL grants (S3's order, with policies still to come). The key scope is checked first,
 * from the operation alone; then the pipeline checks what the bucket row decides
 * (logic/permissions.ts), and the object-level checks run where the object or upload row is read,
 * so that authorization never costs an extra D1 query. The owner of a bucket or object always
 * has FULL_CONTROL; anonymous callers get only what AllUsers is granted.
 */
import type { BucketContext } from "./context";
import { S3Error } from "./errors";
import type { KeyScope, Principal } from "./identity";
import { allows, type CallerId, type Permission } from "./logic/acl";
import { requirementFor } from "./logic/permissions";
import type { Bucket, MultipartUpload, ObjectVersion } from "./store/model";

/** Operations that only read: what a read-only key may call. */
export function isReadOperation(op: string): boolean {
  return /^(Get|Head|List)/.test(op) || op === "SelectObjectContent";
}

/** ACL changes could expose data a write-only key cannot read, so they are not "writes" for key scopes. */
const ACL_WRITES = new Set(["PutBucketAcl", "PutObjectAcl"]);

/** Copies read their source: the key must also be allowed to read it (GetObject). */
const COPIES = new Set(["CopyObject", "UploadPartCopy"]);

/** Whether a key's operation set allows `op`. */
export function scopeAllowsOperation(scope: KeyScope, op: string): boolean {
  switch (scope.operations) {
    case "full":
      return true;
    case "read-only":
      return isReadOperation(op);
    case "write-only":
      return !isReadOperation(op) && !ACL_WRITES.has(op);
    default: {
      return scope.operations.includes(op);
    }
  }
}

/** Key scope: refuses operations and buckets outside what the key was issued for. */
export function checkKeyScope(principal: Principal, op: string, bucketName: string | null): void {
  if (principal.kind !== "user") return;
  const { scope } = principal;
  if (!scopeAllowsOperation(scope, op)) throw new S3Error("AccessDenied");
  if (COPIES.has(op) && !scopeAllowsOperation(scope, "GetObject")) throw new S3Error("AccessDenied");
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
export function authorizeBucketStep(principal: Principal, op: string, query: URLSearchParams, bucket: Bucket): void {
  const req = requirementFor(op, query);
  if (req.on === "bucket") requireBucketPermission(principal, bucket, req.permission);
  else if (req.on === "bucket-owner" && !isBucketOwner(principal, bucket)) throw new S3Error("AccessDenied");
}

/** Requests whose object-level check ran (see assertObjectAccessChecked). */
const objectChecked = new WeakSet<Request>();

/**
 * Object-level check, run where the row is read (ops/object-lookup.ts). A missing object or a
 * delete marker is only reported to callers who may list the bucket; others get AccessDenied,
 * so that keys cannot be probed (S3 answers 403 instead of 404 without s3:ListBucket).
 */
export function checkObjectAccess(ctx: BucketContext, obj: ObjectVersion | null): void {
  const req = requirementFor(ctx.endpoint.op, ctx.url.searchParams);
  if (req.on !== "object") return;
  objectChecked.add(ctx.request);
  const caller = callerId(ctx.principal);
  const ok = obj === null || obj.isDeleteMarker ? hasBucketPermission(ctx.principal, ctx.bucket, "READ") : allows(caller, obj.ownerId, obj.acl, req.permission);
  if (!ok) throw new S3Error("AccessDenied");
}

/** Guards against an object operation whose handler never reached checkObjectAccess: its response is dropped. */
export function assertObjectAccessChecked(ctx: BucketContext, response: Response): Response {
  if (requirementFor(ctx.endpoint.op, ctx.url.searchParams).on === "object" && !objectChecked.has(ctx.request)) {
    void response.body?.cancel();
    throw new Error(`${ctx.endpoint.op} returned without checking the object's ACL`);
  }
  return response;
}

/** ListParts and AbortMultipartUpload: the bucket owner or whoever initiated the upload. */
export function checkUploadAccess(ctx: BucketContext, upload: MultipartUpload): void {
  if (requirementFor(ctx.endpoint.op, ctx.url.searchParams).on !== "upload") return;
  if (isBucketOwner(ctx.principal, ctx.bucket)) return;
  if (ctx.principal.kind === "user" && ctx.principal.user.id === upload.initiatorId) return;
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
