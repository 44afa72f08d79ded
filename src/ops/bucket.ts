/**
 * Bucket lifecycle: CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
 */
import type { BucketContext, Handler, NewBucketContext } from "../context";
import { S3Error } from "../errors";
import { drainBlobDeletions } from "../jobs/blob-deletions";
import { validateBucketName } from "../logic/names";
import { isObjectOwnership, type ObjectOwnership } from "../logic/ownership";
import { randomHex } from "../logic/secrets";
import { newResourceAcl } from "./acl-input";
import { locationDocument, parseCreateBucketConfiguration } from "../xml/documents";
import { readXmlBody } from "./request-body";
import { scopeAllowsOperation } from "../authz";
import type { Bucket } from "../store/model";
import { defaultZoneFor } from "../zones";
import { empty, xmlResponse } from "./respond";

export const createBucket: Handler<NewBucketContext> = async (ctx) => {
  const p = ctx.principal;
  if (p.kind !== "user") throw new S3Error("AccessDenied");
  validateBucketName(ctx.bucketName);
  const { locationConstraint } = parseCreateBucketConfiguration(await readXmlBody(ctx, 64 * 1024));
  const { zones } = ctx.deps.config;
  if (locationConstraint !== undefined && !zones.includes(locationConstraint)) {
    throw new S3Error(
      "locationConstraintInvalid",
      { zones },
      {
        LocationConstraint: locationConstraint,
      },
    );
  }
  // A zone endpoint creates buckets in its own zone only (S3's regional endpoints likewise).
  if (locationConstraint !== undefined && ctx.endpointZone !== null && locationConstraint !== ctx.endpointZone) {
    throw new S3Error("locationConstraintIncompatible", { locationConstraint }, { LocationConstraint: locationConstraint });
  }
  const zone = locationConstraint ?? defaultZoneFor(ctx);
  const objectOwnership = requestedObjectOwnership(ctx.request.headers);
  const acl = await newResourceAcl(ctx, { ownerId: p.user.id, bucketOwnerId: p.user.id }, "bucket", {
    ownerId: p.user.id,
    objectOwnership,
    publicAccessBlock: null,
  }).catch((e) => {
    // CreateBucket names the conflict between its own ACL and ownership headers (S3's code for it).
    throw e instanceof S3Error && e.code === "AccessControlListNotSupported" ? new S3Error("InvalidBucketAclWithObjectOwnership") : e;
  });
  // Object lock needs versions: a bucket created with it is versioned, and stays so (PutBucketVersioning).
  const objectLock = (ctx.request.headers.get("x-amz-bucket-object-lock-enabled") ?? "").trim().toLowerCase() === "true";
  const existing = await ctx.deps.meta.buckets.get(ctx.bucketName);
  if (existing) {
    if (existing.ownerId !== p.user.id) throw new S3Error("BucketAlreadyExists", undefined, { BucketName: ctx.bucketName });
    if (!recreatesAsInUsEast1(ctx, existing, zone)) throw new S3Error("BucketAlreadyOwnedByYou", undefined, { BucketName: ctx.bucketName });
    // S3's legacy us-east-1 answer: 200, and the bucket's ACL becomes the one this request gives (private by default).
    if (existing.objectOwnership !== "BucketOwnerEnforced") await ctx.deps.meta.buckets.setAcl(existing.id, acl);
    return empty(200, { location: `/${ctx.bucketName}` });
  }
  const created = await ctx.deps.meta.buckets
    .create({
      id: randomHex(8),
      name: ctx.bucketName,
      ownerId: p.user.id,
      zone,
      createdAt: ctx.now,
      versioning: objectLock ? "Enabled" : null,
      acl,
      cors: null,
      tags: [],
      policy: null,
      publicAccessBlock: null,
      objectOwnership,
      objectLock: objectLock ? { defaultRetention: null } : null,
      lifecycle: null,
      replication: null,
    })
    .catch((e) => {
      // The store knows only that the quota was hit; the message gives the quota itself.
      throw e instanceof S3Error && e.code === "TooManyBuckets" ? new S3Error("bucketQuota", { maxBuckets: p.user.maxBuckets }) : e;
    });
  if (!created) throw new S3Error("BucketAlreadyExists", undefined, { BucketName: ctx.bucketName });
  return empty(200, { location: `/${ctx.bucketName}` });
};

/**
 * S3 answers a re-creation of a bucket you own with 200 (and resets its ACL) in us-east-1 only,
 * BucketAlreadyOwnedByYou everywhere else. Here "us-east-1" is a request on the generic endpoint
 * signed (SigV4) for region us-east-1, what clients send by default, for the bucket's own zone;
 * a key that may not change ACLs gets the 409 instead, as the reset is an ACL change.
 */
function recreatesAsInUsEast1(ctx: NewBucketContext, existing: Bucket, zone: string): boolean {
  const p = ctx.principal;
  return (
    ctx.endpointZone === null &&
    ctx.signingRegion?.region === "us-east-1" &&
    existing.zone === zone &&
    p.kind === "user" &&
    scopeAllowsOperation(p.scope, "PutBucketAcl", { keys: "acl" })
  );
}

/** `x-amz-object-ownership` on CreateBucket; absent: no ownership controls (this service's default, ObjectWriter). */
function requestedObjectOwnership(headers: Headers): ObjectOwnership | null {
  const v = headers.get("x-amz-object-ownership");
  if (v === null) return null;
  if (!isObjectOwnership(v.trim())) throw new S3Error("objectOwnershipInvalid", undefined, { ArgumentName: "x-amz-object-ownership", ArgumentValue: v });
  return v.trim() as ObjectOwnership;
}

export const headBucket: Handler<BucketContext> = async (ctx) => empty(200, { "x-amz-bucket-region": ctx.bucket.zone, "x-amz-access-point-alias": "false" });

export const deleteBucket: Handler<BucketContext> = async (ctx) => {
  await ctx.deps.meta.buckets.delete(ctx.bucket, ctx.now);
  ctx.deps.defer(drainBlobDeletions(ctx.deps, ctx.now));
  return empty(204);
};

export const getBucketLocation: Handler<BucketContext> = async (ctx) => xmlResponse(locationDocument(ctx.bucket.zone));
