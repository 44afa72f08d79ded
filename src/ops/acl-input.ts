/**
 * ACLs carried by requests, with grantees resolved against the users table:
 * - the canned or grant headers of the writes that create a resource (CreateBucket, PutObject,
 *   CreateMultipartUpload, CopyObject), which default to "private";
 * - the headers or AccessControlPolicy body of PutBucketAcl / PutObjectAcl, one or the other.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html
 */
import type { BucketContext, RequestContext } from "../context";
import { S3Error } from "../errors";
import { aclFromHeaders, normalizeGrants, resolveGrants, type Acl, type AclTarget, type GranteeDirectory, type Owners, type ResolvedGrant } from "../logic/acl";
import type { MetaStore } from "../store/d1";
import { parseAccessControlPolicy } from "../xml/acl";
import { readXmlBody } from "./request-body";

const MAX_ACL_BODY_BYTES = 64 * 1024;

export function granteeDirectory(meta: MetaStore): GranteeDirectory {
  return {
    userExists: async (id) => (await meta.users.get(id)) !== null,
    userIdByEmail: async (email) => (await meta.users.getByEmail(email))?.id ?? null,
  };
}

/** The stored ACL for a resource being created: from the headers (x-amz-acl, x-amz-grant-*), else null ("private"). */
export async function newResourceAcl(ctx: RequestContext, owners: Owners, target: AclTarget, headers = ctx.request.headers): Promise<Acl> {
  const requested = aclFromHeaders(headers, owners, target);
  if (requested === null) return null;
  return normalizeGrants(await resolveGrants(requested, granteeDirectory(ctx.deps.meta)), owners.ownerId);
}

/** Owners of an object written now: the writer (the bucket owner for anonymous writes) and the bucket owner. */
export function newObjectOwners(ctx: BucketContext): Owners {
  return { ownerId: ctx.principal.kind === "user" ? ctx.principal.user.id : ctx.bucket.ownerId, bucketOwnerId: ctx.bucket.ownerId };
}

/**
 * The ACL a Put*Acl request sets. Headers and a body together are UnexpectedContent, neither is
 * MissingSecurityHeader; a body naming another owner is AccessDenied (an ACL never changes owners).
 */
export async function requestedAcl(ctx: RequestContext, owners: Owners, target: AclTarget): Promise<ResolvedGrant[]> {
  const fromHeaders = aclFromHeaders(ctx.request.headers, owners, target);
  const body = await readXmlBody(ctx, MAX_ACL_BODY_BYTES);
  const dir = granteeDirectory(ctx.deps.meta);
  if (fromHeaders !== null) {
    if (body.trim() !== "") throw new S3Error("UnexpectedContent");
    return resolveGrants(fromHeaders, dir);
  }
  if (body.trim() === "") throw new S3Error("MissingSecurityHeader", undefined, { MissingHeaderName: "x-amz-acl" });
  const policy = parseAccessControlPolicy(body);
  if (policy.ownerId !== owners.ownerId) throw new S3Error("AccessDenied");
  return resolveGrants(policy.grants, dir);
}
