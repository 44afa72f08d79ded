/**
 * Authorization = access-key scope AND (an explicit Deny in the bucket policy refuses; else an
 * Allow from the policy or an ACL grant lets in), filtered by Block Public Access and Object
 * Ownership: S3's order (src/policy/access.ts decides; this module gathers the facts). The key
 * scope is checked first, from the operation alone; then the pipeline checks what the bucket row
 * decides (the `access` column of src/operations.ts), and the object-level checks run where the
 * version or upload row is read (so that s3:ExistingObjectTag/* conditions see the object's tags),
 * so that authorization never costs an extra D1 query. Anonymous callers get what AllUsers is
 * granted and what a policy allows "*".
 */
import type { RequestContext } from "./context";
import { S3Error } from "./errors";
import type { KeyScope, Principal } from "./identity";
import type { Permission } from "./logic/acl";
import { parseTaggingHeader, type TagSet } from "./logic/tags";
import { iamActionFor, isOperation, OPERATIONS, resourceArn, type Op, type OperationSpec, type Requirement } from "./operations";
import { decideAccess, policyDecision, type AclQuestion } from "./policy/access";
import type { ConditionValues } from "./policy/conditions";
import type { Caller } from "./policy/evaluate";
import { authTypeOf, requestConditionValues } from "./policy/request-keys";
import type { Bucket, MultipartUpload, ObjectVersion, VersionMeta } from "./store/model";

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

/**
 * `x-amz-expected-bucket-owner` (and `x-amz-source-expected-bucket-owner` for a copy's source):
 * a caller guarding against a bucket that changed hands names the owner's canonical id, and any
 * other owner is 403 AccessDenied, whoever calls.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html
 */
export function checkExpectedBucketOwner(headers: Headers, bucket: Bucket, header = "x-amz-expected-bucket-owner"): void {
  const expected = headers.get(header);
  if (expected !== null && expected.trim() !== bucket.ownerId) throw new S3Error("AccessDenied");
}

export function callerOf(principal: Principal): Caller {
  return principal.kind === "user" ? { kind: "user", id: principal.user.id } : { kind: "anonymous" };
}

export function isBucketOwner(principal: Principal, bucket: Bucket): boolean {
  return principal.kind === "user" && principal.user.id === bucket.ownerId;
}

/** The tags a write sets in `x-amz-tagging` (an invalid header is refused later, by the write itself). */
function taggingHeader(headers: Headers): TagSet | undefined {
  const raw = headers.get("x-amz-tagging");
  if (raw === null) return undefined;
  try {
    return parseTaggingHeader(raw);
  } catch {
    return undefined;
  }
}

/** The IAM action of the routed operation (src/operations.ts), s3:GetObjectVersion when a version is named, ... */
function actionOf(ctx: RequestContext): string {
  const op = ctx.endpoint.op;
  return isOperation(op) ? iamActionFor(op, ctx.endpoint.query) : "s3:*";
}

const NO_VALUES: ConditionValues = new Map();

/** The request's condition keys; `existingTags`: the object's, where its row is loaded. */
function conditionValues(ctx: RequestContext, bucket: Bucket, existingTags?: TagSet): ConditionValues {
  // Only a bucket policy reads them, and a GET asks up to three questions: none is built without one.
  if (bucket.policy === null) return NO_VALUES;
  const { principal, request } = ctx;
  return requestConditionValues({
    headers: request.headers,
    query: ctx.url.searchParams,
    sourceIp: request.headers.get("cf-connecting-ip"),
    secure: ctx.url.protocol === "https:",
    now: ctx.now,
    caller: principal.kind === "user" ? { kind: "user", id: principal.user.id, displayName: principal.user.displayName } : { kind: "anonymous" },
    signatureVersion: ctx.signatureVersion,
    authType: authTypeOf(request, principal.kind === "user", ctx.postForm !== undefined),
    bucketOwnerId: bucket.ownerId,
    existingTags,
    requestTags: taggingHeader(request.headers),
  });
}

/**
 * Whether the caller may do `action` on the bucket or one of its objects (`key`), by the bucket
 * policy and, when it says nothing, by the ACLs (`acl`).
 */
export function mayAccess(ctx: RequestContext, bucket: Bucket, action: string, key: string | null, acl: AclQuestion, existingTags?: TagSet): boolean {
  const values = conditionValues(ctx, bucket, existingTags);
  return decideAccess(bucket, { caller: callerOf(ctx.principal), action, resource: resourceArn(bucket.name, key), values, acl }).allowed;
}

function requireAccess(...args: Parameters<typeof mayAccess>): void {
  if (!mayAccess(...args)) throw new S3Error("AccessDenied");
}

const bucketAcl = (bucket: Bucket, permission: Permission): AclQuestion => ({ ownerId: bucket.ownerId, acl: bucket.acl, permission });

/** Whether the caller may list the bucket (s3:ListBucket or bucket READ): only then is a missing key reported as missing. */
function mayList(ctx: RequestContext, bucket: Bucket): boolean {
  return mayAccess(ctx, bucket, "s3:ListBucket", null, bucketAcl(bucket, "READ"));
}

/**
 * Whether the caller could call the bucket owner's operation `name` on `key` (its key scope and
 * the bucket policy): GET/HEAD show an object's lock headers only to callers who may read them
 * with GetObjectRetention / GetObjectLegalHold, as S3 does.
 */
export function mayCallOwnerOperation(ctx: RequestContext, bucket: Bucket, name: Op, key: string, existingTags?: TagSet): boolean {
  const spec: OperationSpec = OPERATIONS[name];
  if (ctx.principal.kind === "user" && !scopeAllowsOperation(ctx.principal.scope, name, spec)) return false;
  return mayAccess(ctx, bucket, spec.iam, key, "owner", existingTags);
}

/**
 * Permissions a key's operation list may name besides operations: they refine an operation
 * instead of being one (s3:BypassGovernanceRetention lets a delete or a retention change pass a
 * GOVERNANCE lock).
 */
export const KEY_PERMISSIONS = ["BypassGovernanceRetention"] as const;

/**
 * s3:BypassGovernanceRetention: a full-access key, or a key whose operation list names it (a
 * bucket-scoped key included), and then the bucket owner or whoever the bucket policy allows it.
 * ACL grants never carry it.
 */
export function mayBypassGovernance(ctx: RequestContext, bucket: Bucket, key: string | null): boolean {
  const { principal } = ctx;
  if (principal.kind !== "user") return false;
  const ops = principal.scope.operations;
  if (ops !== "full" && !(Array.isArray(ops) && ops.includes("BypassGovernanceRetention"))) return false;
  return mayAccess(ctx, bucket, "s3:BypassGovernanceRetention", key, "owner");
}

/** Throws AccessDenied unless the caller may write `key` into the bucket (browser POST uploads, checked by their handler). */
export function requireObjectWrite(ctx: RequestContext, bucket: Bucket, key: string): void {
  requireAccess(ctx, bucket, "s3:PutObject", key, bucketAcl(bucket, "WRITE"));
}

/**
 * The pipeline's step once the bucket is loaded: everything the bucket row can decide. Operations
 * that load their object version are decided where it is read (checkObjectAccess).
 */
export function authorizeBucketStep(ctx: RequestContext, spec: OperationSpec, req: Requirement, bucket: Bucket): void {
  if (spec.loads === "version") return;
  const action = actionOf(ctx);
  if (req.on === "bucket") requireAccess(ctx, bucket, action, ctx.endpoint.key, bucketAcl(bucket, req.permission));
  else if (req.on === "bucket-owner") requireAccess(ctx, bucket, action, ctx.endpoint.key, "owner");
}

/**
 * Object-level check, run by the pipeline when it loads the version an operation names. A missing
 * object or a delete marker is only reported to callers who may list the bucket; others get
 * AccessDenied, so that keys cannot be probed (S3 answers 403 instead of 404 without s3:ListBucket).
 */
export function checkObjectAccess(ctx: RequestContext, bucket: Bucket, req: Requirement, obj: VersionMeta | null): void {
  const action = actionOf(ctx);
  const key = ctx.endpoint.key;
  if (req.on === "object") {
    const ok =
      obj === null || obj.isDeleteMarker
        ? mayList(ctx, bucket)
        : mayAccess(ctx, bucket, action, key, { ownerId: obj.ownerId, acl: obj.acl, permission: req.permission }, obj.tags);
    if (!ok) throw new S3Error("AccessDenied");
  } else if (req.on === "bucket-owner") {
    requireAccess(ctx, bucket, action, key, "owner", obj && !obj.isDeleteMarker ? obj.tags : undefined);
  }
}

/** ListParts and AbortMultipartUpload: the bucket owner's or the upload's initiator's, unless the policy says otherwise. */
export function checkUploadAccess(ctx: RequestContext, bucket: Bucket, req: Requirement, upload: MultipartUpload): void {
  if (req.on !== "upload") return;
  const action = actionOf(ctx);
  const initiator = ctx.principal.kind === "user" && ctx.principal.user.id === upload.initiatorId;
  const decision = policyDecision(bucket, {
    caller: callerOf(ctx.principal),
    action,
    resource: resourceArn(bucket.name, upload.key),
    values: conditionValues(ctx, bucket),
  });
  if (decision.effect === "deny") throw new S3Error("AccessDenied");
  if (initiator) return;
  requireAccess(ctx, bucket, action, upload.key, "owner");
}

/** One key of DeleteObjects, authorized as DeleteObject would be (a version: the bucket owner's, or the policy's). */
export function checkDeleteKeyAccess(ctx: RequestContext, bucket: Bucket, key: string, versionId: string | null): void {
  if (versionId === null) requireAccess(ctx, bucket, "s3:DeleteObject", key, bucketAcl(bucket, "WRITE"));
  else requireAccess(ctx, bucket, "s3:DeleteObjectVersion", key, "owner");
}

/**
 * A copy's source: the key's bucket restriction applies to it too, and the caller needs
 * s3:GetObject (or READ) on the source object (a missing source is reported only to callers who may list its bucket).
 */
export function checkCopySourceAccess(ctx: RequestContext, bucket: Bucket, key: string, versionId: string | null, obj: ObjectVersion | null): void {
  const { principal } = ctx;
  if (principal.kind === "user" && principal.scope.bucket !== null && principal.scope.bucket !== bucket.name) throw new S3Error("AccessDenied");
  const action = versionId === null ? "s3:GetObject" : "s3:GetObjectVersion";
  const ok =
    obj === null || obj.isDeleteMarker
      ? mayList(ctx, bucket)
      : mayAccess(ctx, bucket, action, key, { ownerId: obj.ownerId, acl: obj.acl, permission: "READ" }, obj.tags);
  if (!ok) throw new S3Error("AccessDenied");
}
