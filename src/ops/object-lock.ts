/**
 * Object lock operations: the bucket's ObjectLockConfiguration, and the retention and legal hold
 * of one version. The rules are logic/object-lock.ts's; a permanent delete checks them inside its
 * commit (store/d1/objects.ts), so these handlers only ever change the lock a version carries.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLockConfiguration.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectRetention.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLegalHold.html
 */
import { mayBypassGovernance } from "../authz";
import type { BucketContext, Handler, ObjectContext, RequestContext, VersionContext } from "../context";
import { S3Error } from "../errors";
import {
  assertRetentionChange,
  bypassRequested,
  lockForNewVersion,
  parseLockHeaders,
  requireIntegrityHeaderForRetention,
  type GovernanceBypass,
  type VersionLock,
} from "../logic/object-lock";
import type { Bucket } from "../store/model";
import {
  legalHoldDocument,
  objectLockConfigurationDocument,
  parseLegalHold,
  parseObjectLockConfiguration,
  parseRetention,
  retentionDocument,
} from "../xml/object-lock";
import { readXmlBody } from "./request-body";
import { empty, xmlResponse } from "./respond";

const MAX_BODY_BYTES = 64 * 1024;

/**
 * The governance bypass of this request: asked for with x-amz-bypass-governance-retention, and
 * allowed (s3:BypassGovernanceRetention, authz.ts mayBypassGovernance).
 */
export function governanceBypass(ctx: RequestContext, bucket: Bucket, key: string | null): GovernanceBypass {
  const requested = bypassRequested(ctx.request.headers);
  return { requested, allowed: requested && mayBypassGovernance(ctx, bucket, key) };
}

/**
 * The lock a version written by this request gets (PutObject, POST Object, CreateMultipartUpload,
 * CopyObject): its x-amz-object-lock-* headers, else the bucket's default retention. A retention
 * needs an integrity header on uploads that carry a body (`requireIntegrity`).
 */
export function lockForWrite(ctx: ObjectContext, headers: Headers, opts: { requireIntegrity: boolean }): VersionLock {
  const lock = lockForNewVersion(ctx.bucket.objectLock, parseLockHeaders(headers, ctx.now), ctx.now);
  if (opts.requireIntegrity) requireIntegrityHeaderForRetention(lock, headers);
  return lock;
}

function versionHeaders(ctx: VersionContext): Headers {
  const h = new Headers();
  if (ctx.bucket.versioning !== null) h.set("x-amz-version-id", ctx.version.versionId);
  return h;
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectLockConfiguration.html */
export const getObjectLockConfiguration: Handler<BucketContext> = async (ctx) => {
  const config = ctx.bucket.objectLock;
  if (!config) throw new S3Error("objectLockConfigurationMissing", undefined, { BucketName: ctx.bucketName });
  return xmlResponse(objectLockConfigurationDocument(config));
};

/** Enables object lock on a versioned bucket, or replaces its default retention (Content-MD5 or a checksum required, as in S3). */
export const putObjectLockConfiguration: Handler<BucketContext> = async (ctx) => {
  const config = parseObjectLockConfiguration(await readXmlBody(ctx, MAX_BODY_BYTES, { integrityRequired: true }));
  await ctx.deps.meta.buckets.setObjectLock(ctx.bucket.id, config);
  return empty(200);
};

function requireLockBucket(ctx: BucketContext): void {
  if (!ctx.bucket.objectLock) throw new S3Error("bucketWithoutObjectLock");
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectRetention.html */
export const getObjectRetention: Handler<VersionContext> = async (ctx) => {
  const retention = ctx.version.lock.retention;
  if (!retention) throw new S3Error("versionLockMissing");
  return xmlResponse(retentionDocument(retention), { headers: versionHeaders(ctx) });
};

/** Extending is always allowed; weakening an active retention needs the governance bypass (never in COMPLIANCE). */
export const putObjectRetention: Handler<VersionContext> = async (ctx) => {
  requireLockBucket(ctx);
  const next = parseRetention(await readXmlBody(ctx, MAX_BODY_BYTES, { integrityRequired: true }), ctx.now);
  const current = ctx.version.lock.retention;
  assertRetentionChange(current, next, ctx.now, governanceBypass(ctx, ctx.bucket, ctx.key));
  await ctx.deps.meta.objects.setRetention(ctx.version.id, current, next);
  return empty(200, versionHeaders(ctx));
};

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectLegalHold.html */
export const getObjectLegalHold: Handler<VersionContext> = async (ctx) => {
  const hold = ctx.version.lock.legalHold;
  if (hold === null) throw new S3Error("versionLockMissing");
  return xmlResponse(legalHoldDocument(hold), { headers: versionHeaders(ctx) });
};

/** A legal hold needs no bypass to be set or released: only the s3:PutObjectLegalHold permission. */
export const putObjectLegalHold: Handler<VersionContext> = async (ctx) => {
  requireLockBucket(ctx);
  const on = parseLegalHold(await readXmlBody(ctx, MAX_BODY_BYTES, { integrityRequired: true }));
  if (!(await ctx.deps.meta.objects.setLegalHold(ctx.version.id, on)))
    throw new S3Error("NoSuchVersion", undefined, { Key: ctx.key, VersionId: ctx.version.versionId });
  return empty(200, versionHeaders(ctx));
};
