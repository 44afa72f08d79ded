/**
 * Bucket and object ACLs. Who may call these is decided before the handler runs (bucket
 * READ_ACP / WRITE_ACP in the pipeline; the object's READ_ACP / WRITE_ACP where
 * findReadableVersion reads the row). An object ACL belongs to one version: the current one
 * unless ?versionId names another.
 */
import type { BucketContext, Handler, VersionContext } from "../context";
import { S3Error } from "../errors";
import { grantsOf, normalizeGrants, type Acl } from "../logic/acl";
import type { MetaStore } from "../store/d1";
import { accessControlPolicyDocument, type AclDocumentInput } from "../xml/acl";
import { requestedAcl } from "./acl-input";
import { empty, xmlResponse } from "./respond";

/** The AccessControlPolicy of a resource, with the display names of the owner and user grantees. */
async function aclDocument(meta: MetaStore, ownerId: string, acl: Acl): Promise<string> {
  const names = new Map<string, string>();
  const nameOf = async (id: string) => {
    if (!names.has(id)) names.set(id, (await meta.users.get(id))?.displayName ?? "");
    return names.get(id)!;
  };
  const grants: AclDocumentInput["grants"] = [];
  for (const g of grantsOf(acl, ownerId)) {
    grants.push({
      grantee: g.grantee.type === "CanonicalUser" ? { type: "CanonicalUser", id: g.grantee.id, displayName: await nameOf(g.grantee.id) } : g.grantee,
      permission: g.permission,
    });
  }
  return accessControlPolicyDocument({ owner: { id: ownerId, displayName: await nameOf(ownerId) }, grants });
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAcl.html */
export const getBucketAcl: Handler<BucketContext> = async (ctx) => xmlResponse(await aclDocument(ctx.deps.meta, ctx.bucket.ownerId, ctx.bucket.acl));

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html */
export const putBucketAcl: Handler<BucketContext> = async (ctx) => {
  const ownerId = ctx.bucket.ownerId;
  const grants = await requestedAcl(ctx, { ownerId, bucketOwnerId: ownerId }, "bucket");
  await ctx.deps.meta.buckets.setAcl(ctx.bucket.id, normalizeGrants(grants, ownerId));
  return empty(200);
};

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAcl.html */
export const getObjectAcl: Handler<VersionContext> = async (ctx) => {
  const obj = ctx.version;
  return xmlResponse(await aclDocument(ctx.deps.meta, obj.ownerId, obj.acl));
};

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html */
export const putObjectAcl: Handler<VersionContext> = async (ctx) => {
  const { versionId, version: obj } = ctx;
  const grants = await requestedAcl(ctx, { ownerId: obj.ownerId, bucketOwnerId: ctx.bucket.ownerId }, "object");
  // The row may vanish meanwhile (a concurrent delete): answer as if it had never been there.
  if (!(await ctx.deps.meta.objects.setAcl(obj.id, normalizeGrants(grants, obj.ownerId)))) {
    if (versionId !== null) throw new S3Error("NoSuchVersion", undefined, { Key: ctx.key, VersionId: versionId });
    throw new S3Error("NoSuchKey", undefined, { Key: ctx.key });
  }
  return empty(200);
};
