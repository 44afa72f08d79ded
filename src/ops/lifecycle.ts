/**
 * Bucket lifecycle configuration: Put/Get/DeleteBucketLifecycleConfiguration, and the
 * x-amz-expiration header of objects a rule will expire. The scheduled job applies the rules
 * (jobs/lifecycle.ts); the rules themselves are logic/lifecycle.ts's.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html
 */
import type { BucketContext, Handler } from "../context";
import { S3Error } from "../errors";
import { expirationHeader, validateLifecycleRules } from "../logic/lifecycle";
import { newVersionId } from "../logic/ids";
import type { Bucket, ObjectVersion } from "../store/model";
import { lifecycleConfigurationDocument, parseLifecycleConfiguration } from "../xml/lifecycle";
import { readXmlBody } from "./request-body";
import { empty, xmlResponse } from "./respond";

const MAX_BODY_BYTES = 1024 * 1024;

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html */
export const getBucketLifecycleConfiguration: Handler<BucketContext> = async (ctx) => {
  const rules = ctx.bucket.lifecycle;
  if (!rules) throw new S3Error("NoSuchLifecycleConfiguration", undefined, { BucketName: ctx.bucketName });
  return xmlResponse(lifecycleConfigurationDocument(rules));
};

/** Replaces the whole configuration (Content-MD5 or a checksum required, as in S3); rules without an ID get one. */
export const putBucketLifecycleConfiguration: Handler<BucketContext> = async (ctx) => {
  const rules = validateLifecycleRules(parseLifecycleConfiguration(await readXmlBody(ctx, MAX_BODY_BYTES, { integrityRequired: true })), newVersionId);
  await ctx.deps.meta.buckets.setLifecycle(ctx.bucket.id, rules);
  return empty(200);
};

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketLifecycle.html */
export const deleteBucketLifecycle: Handler<BucketContext> = async (ctx) => {
  await ctx.deps.meta.buckets.setLifecycle(ctx.bucket.id, null);
  return empty(204);
};

/** Sets x-amz-expiration on `h` when a rule of the bucket will expire this current version. */
export function setExpirationHeader(h: Headers, bucket: Bucket, obj: Pick<ObjectVersion, "key" | "size" | "tags" | "lastModified" | "isLatest">): Headers {
  if (!bucket.lifecycle || !obj.isLatest) return h;
  const value = expirationHeader(bucket.lifecycle, { key: obj.key, size: obj.size, tags: obj.tags, lastModified: obj.lastModified });
  if (value) h.set("x-amz-expiration", value);
  return h;
}
