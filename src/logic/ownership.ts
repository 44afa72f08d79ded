/**
 * S3 Object Ownership (S3 User Guide, "Controlling ownership of objects and disabling ACLs for
 * your bucket"):
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
 * - BucketOwnerEnforced: ACLs are disabled. The bucket owner owns every object and ACLs no longer
 *   grant anything; a request may carry no ACL, or one that gives the bucket owner full control
 *   and no one else (bucket-owner-full-control or its equivalent); other ACLs are refused with
 *   AccessControlListNotSupported.
 * - BucketOwnerPreferred: an object written with the bucket-owner-full-control canned ACL is
 *   owned by the bucket owner; otherwise by its writer. ACLs apply.
 * - ObjectWriter: the writer owns what it writes. ACLs apply.
 * S3 has created new buckets with BucketOwnerEnforced since April 2023. This service creates them
 * with ObjectWriter, the behaviour every client had before, so that ACL-setting tools keep working;
 * `x-amz-object-ownership` on CreateBucket or PutBucketOwnershipControls choose another setting.
 */
import type { ResolvedGrant } from "./acl";

export const OBJECT_OWNERSHIP = ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"] as const;
export type ObjectOwnership = (typeof OBJECT_OWNERSHIP)[number];

/** What a bucket without ownership controls behaves as (see the header). */
export const DEFAULT_OBJECT_OWNERSHIP: ObjectOwnership = "ObjectWriter";

export function isObjectOwnership(s: string): s is ObjectOwnership {
  return (OBJECT_OWNERSHIP as readonly string[]).includes(s);
}

export function aclsDisabled(ownership: ObjectOwnership | null): boolean {
  return ownership === "BucketOwnerEnforced";
}

/** Whether an ACL grants the bucket owner FULL_CONTROL and nothing to anyone else: all BucketOwnerEnforced accepts. */
export function onlyBucketOwnerFullControl(grants: readonly ResolvedGrant[], bucketOwnerId: string): boolean {
  return grants.every((g) => g.grantee.type === "CanonicalUser" && g.grantee.id === bucketOwnerId && g.permission === "FULL_CONTROL");
}

/** Who owns an object written now by `writerId`, given the bucket's setting and the request's canned ACL. */
export function newObjectOwner(ownership: ObjectOwnership | null, writerId: string, bucketOwnerId: string, cannedAcl: string | null): string {
  if (ownership === "BucketOwnerEnforced") return bucketOwnerId;
  if (ownership === "BucketOwnerPreferred" && cannedAcl?.trim() === "bucket-owner-full-control") return bucketOwnerId;
  return writerId;
}
