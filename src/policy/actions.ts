/**
 * The S3 actions a bucket policy can name, and the kind of resource each applies to (Service
 * Authorization Reference, "Actions, resources, and condition keys for Amazon S3"):
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
 * Only actions on a bucket or on an object are listed: a bucket policy's resources are always
 * the bucket or objects in it. The operation table (src/operations.ts) names its IAM actions
 * from this list (a test holds it to that).
 */
import { wildcardMatch } from "./pattern";

/** "service": an account-level action, which applies to no bucket or object (ListAllMyBuckets). */
export type ResourceKind = "bucket" | "object" | "service";

const BUCKET_ACTIONS = [
  "CreateBucket",
  "DeleteBucket",
  "ListBucket",
  "ListBucketVersions",
  "ListBucketMultipartUploads",
  "GetBucketLocation",
  "GetBucketAcl",
  "PutBucketAcl",
  "GetBucketCORS",
  "PutBucketCORS",
  "GetBucketVersioning",
  "PutBucketVersioning",
  "GetBucketTagging",
  "PutBucketTagging",
  "GetBucketPolicy",
  "PutBucketPolicy",
  "DeleteBucketPolicy",
  "GetBucketPolicyStatus",
  "GetBucketPublicAccessBlock",
  "PutBucketPublicAccessBlock",
  "GetBucketOwnershipControls",
  "PutBucketOwnershipControls",
  "GetBucketObjectLockConfiguration",
  "PutBucketObjectLockConfiguration",
  "GetLifecycleConfiguration",
  "PutLifecycleConfiguration",
  "GetReplicationConfiguration",
  "PutReplicationConfiguration",
  "GetEncryptionConfiguration",
  "PutEncryptionConfiguration",
  "GetBucketWebsite",
  "PutBucketWebsite",
  "DeleteBucketWebsite",
  "GetBucketLogging",
  "PutBucketLogging",
  "GetBucketNotification",
  "PutBucketNotification",
  "GetAccelerateConfiguration",
  "PutAccelerateConfiguration",
  "GetBucketRequestPayment",
  "PutBucketRequestPayment",
  "GetAnalyticsConfiguration",
  "PutAnalyticsConfiguration",
  "GetMetricsConfiguration",
  "PutMetricsConfiguration",
  "GetInventoryConfiguration",
  "PutInventoryConfiguration",
  "GetIntelligentTieringConfiguration",
  "PutIntelligentTieringConfiguration",
  "ListBucketByTags",
] as const;

const OBJECT_ACTIONS = [
  "GetObject",
  "GetObjectVersion",
  "PutObject",
  "DeleteObject",
  "DeleteObjectVersion",
  "GetObjectAcl",
  "GetObjectVersionAcl",
  "PutObjectAcl",
  "PutObjectVersionAcl",
  "GetObjectTagging",
  "GetObjectVersionTagging",
  "PutObjectTagging",
  "PutObjectVersionTagging",
  "DeleteObjectTagging",
  "DeleteObjectVersionTagging",
  "GetObjectAttributes",
  "GetObjectVersionAttributes",
  "AbortMultipartUpload",
  "ListMultipartUploadParts",
  "GetObjectRetention",
  "PutObjectRetention",
  "GetObjectLegalHold",
  "PutObjectLegalHold",
  "BypassGovernanceRetention",
  "GetObjectTorrent",
  "GetObjectVersionTorrent",
  "RestoreObject",
  "ReplicateObject",
  "ReplicateDelete",
  "ReplicateTags",
  "GetObjectVersionForReplication",
  "ObjectOwnerOverrideToBucketOwner",
] as const;

const SERVICE_ACTIONS = [
  "ListAllMyBuckets",
  "GetAccountPublicAccessBlock",
  "PutAccountPublicAccessBlock",
  "ListAccessPoints",
  "CreateJob",
  "ListJobs",
  "ListStorageLensConfigurations",
  "PutStorageLensConfiguration",
] as const;

/** Every known action, lower-cased (IAM compares action names without regard to case), with its resource kind. */
export const ACTIONS: ReadonlyMap<string, ResourceKind> = new Map<string, ResourceKind>([
  ...BUCKET_ACTIONS.map((a) => [`s3:${a}`.toLowerCase(), "bucket"] as const),
  ...OBJECT_ACTIONS.map((a) => [`s3:${a}`.toLowerCase(), "object"] as const),
  ...SERVICE_ACTIONS.map((a) => [`s3:${a}`.toLowerCase(), "service"] as const),
]);

/** Whether an action pattern (`s3:Get*`, `s3:GetObject`, `*`) matches an action name, without regard to case. */
export function actionMatches(pattern: string, action: string): boolean {
  return wildcardMatch(pattern, action, { ignoreCase: true });
}

/** The kinds of resource the actions a pattern names apply to; empty when it names no known action. */
export function kindsOf(pattern: string): Set<ResourceKind> {
  const kinds = new Set<ResourceKind>();
  for (const [name, kind] of ACTIONS) if (actionMatches(pattern, name)) kinds.add(kind);
  return kinds;
}

/** The known action names a pattern matches (for tests and the public-policy rules). */
export function actionsMatching(pattern: string): string[] {
  return [...ACTIONS.keys()].filter((name) => actionMatches(pattern, name));
}
