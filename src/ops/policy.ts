/**
 * Bucket policies, Block Public Access and Object Ownership: the configuration operations. How
 * they take part in authorization is src/policy/access.ts (through src/authz.ts); who may call
 * these (the bucket owner) is decided by the pipeline.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicyStatus.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutPublicAccessBlock.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketOwnershipControls.html
 */
import type { BucketContext, Handler } from "../context";
import { S3Error } from "../errors";
import { onlyBucketOwnerFullControl } from "../logic/ownership";
import { grantsOf } from "../logic/acl";
import { storedPolicy } from "../policy/access";
import { parsePolicy } from "../policy/parse";
import { isPublicPolicy } from "../policy/public";
import {
  ownershipControlsDocument,
  parseOwnershipControls,
  parsePublicAccessBlock,
  policyStatusDocument,
  publicAccessBlockDocument,
} from "../xml/public-access";
import { granteeDirectory } from "./acl-input";
import { readXmlBody } from "./request-body";
import { empty, xmlResponse } from "./respond";

/** A policy is at most 20 KB without whitespace (parsePolicy checks); a body this large is refused unread. */
const MAX_POLICY_BODY_BYTES = 64 * 1024;
const MAX_XML_BODY_BYTES = 16 * 1024;

export const getBucketPolicy: Handler<BucketContext> = async (ctx) => {
  if (ctx.bucket.policy === null) throw new S3Error("NoSuchBucketPolicy", undefined, { BucketName: ctx.bucketName });
  return new Response(ctx.bucket.policy, { status: 200, headers: { "content-type": "application/json" } });
};

/**
 * Checks the policy (MalformedPolicy saying why), that every user it names exists ("Invalid
 * principal in policy"), and BlockPublicPolicy (a public policy is AccessDenied); then stores it as sent.
 */
export const putBucketPolicy: Handler<BucketContext> = async (ctx) => {
  const text = await readXmlBody(ctx, MAX_POLICY_BODY_BYTES);
  const policy = parsePolicy(text, ctx.bucketName);
  const dir = granteeDirectory(ctx.deps.meta);
  for (const id of policy.principalIds) if (!(await dir.userExists(id))) throw new S3Error("bucketPolicyPrincipalInvalid");
  if (ctx.bucket.publicAccessBlock?.blockPublicPolicy && isPublicPolicy(policy)) throw new S3Error("AccessDenied");
  await ctx.deps.meta.buckets.setPolicy(ctx.bucket.id, text);
  return empty(204);
};

export const deleteBucketPolicy: Handler<BucketContext> = async (ctx) => {
  await ctx.deps.meta.buckets.setPolicy(ctx.bucket.id, null);
  return empty(204);
};

export const getBucketPolicyStatus: Handler<BucketContext> = async (ctx) => {
  const stored = storedPolicy(ctx.bucket);
  if (!stored) throw new S3Error("NoSuchBucketPolicy", undefined, { BucketName: ctx.bucketName });
  return xmlResponse(policyStatusDocument(stored.isPublic));
};

export const getPublicAccessBlock: Handler<BucketContext> = async (ctx) => {
  const pab = ctx.bucket.publicAccessBlock;
  if (!pab) throw new S3Error("NoSuchPublicAccessBlockConfiguration", undefined, { BucketName: ctx.bucketName });
  return xmlResponse(publicAccessBlockDocument(pab));
};

export const putPublicAccessBlock: Handler<BucketContext> = async (ctx) => {
  const pab = parsePublicAccessBlock(await readXmlBody(ctx, MAX_XML_BODY_BYTES));
  await ctx.deps.meta.buckets.setPublicAccessBlock(ctx.bucket.id, pab);
  return empty(200);
};

export const deletePublicAccessBlock: Handler<BucketContext> = async (ctx) => {
  await ctx.deps.meta.buckets.setPublicAccessBlock(ctx.bucket.id, null);
  return empty(204);
};

export const getBucketOwnershipControls: Handler<BucketContext> = async (ctx) => {
  const ownership = ctx.bucket.objectOwnership;
  if (!ownership) throw new S3Error("OwnershipControlsNotFoundError", undefined, { BucketName: ctx.bucketName });
  return xmlResponse(ownershipControlsDocument(ownership));
};

/** BucketOwnerEnforced needs a bucket ACL that grants no one but the owner (InvalidBucketAclWithObjectOwnership otherwise). */
export const putBucketOwnershipControls: Handler<BucketContext> = async (ctx) => {
  const ownership = parseOwnershipControls(await readXmlBody(ctx, MAX_XML_BODY_BYTES));
  if (ownership === "BucketOwnerEnforced" && !onlyBucketOwnerFullControl(grantsOf(ctx.bucket.acl, ctx.bucket.ownerId), ctx.bucket.ownerId)) {
    throw new S3Error("InvalidBucketAclWithObjectOwnership");
  }
  await ctx.deps.meta.buckets.setObjectOwnership(ctx.bucket.id, ownership);
  return empty(200);
};

export const deleteBucketOwnershipControls: Handler<BucketContext> = async (ctx) => {
  await ctx.deps.meta.buckets.setObjectOwnership(ctx.bucket.id, null);
  return empty(204);
};
