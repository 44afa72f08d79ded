/**
 * Object and bucket tagging. Object tags belong to one version (the current one unless
 * ?versionId names another); delete markers have none (404 without versionId, 405 with it, as
 * for GET). Tags set at write time come from `x-amz-tagging` (object-write.ts, multipart.ts,
 * copy.ts); the rules are in logic/tags.ts.
 */
import type { BucketContext, Handler, VersionContext } from "../context";
import { S3Error } from "../errors";
import { validateTagSet, type TagSet } from "../logic/tags";
import type { Bucket, VersionMeta } from "../store/model";
import { parseTagging, taggingDocument } from "../xml/tagging";
import { readXmlBody } from "./request-body";
import { empty, xmlResponse } from "./respond";

const MAX_BODY_BYTES = 64 * 1024;

function versionHeaders(bucket: Bucket, obj: VersionMeta): Headers {
  const h = new Headers();
  if (bucket.versioning !== null) h.set("x-amz-version-id", obj.versionId);
  return h;
}

/** Replaces the tag set of the named version; the row may vanish meanwhile (a concurrent delete). */
async function setTags(ctx: VersionContext, tags: TagSet): Promise<VersionMeta> {
  const { versionId, version: obj } = ctx;
  if (!(await ctx.deps.meta.objects.setTags(obj.id, tags))) {
    if (versionId !== null) throw new S3Error("NoSuchVersion", undefined, { Key: ctx.key, VersionId: versionId });
    throw new S3Error("NoSuchKey", undefined, { Key: ctx.key });
  }
  return obj;
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html */
export const getObjectTagging: Handler<VersionContext> = async (ctx) => {
  const obj = ctx.version;
  return xmlResponse(taggingDocument(obj.tags), { headers: versionHeaders(ctx.bucket, obj) });
};

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html (an empty TagSet removes the tags) */
export const putObjectTagging: Handler<VersionContext> = async (ctx) => {
  const tags = validateTagSet(parseTagging(await readXmlBody(ctx, MAX_BODY_BYTES)), "object");
  return empty(200, versionHeaders(ctx.bucket, await setTags(ctx, tags)));
};

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjectTagging.html */
export const deleteObjectTagging: Handler<VersionContext> = async (ctx) => empty(204, versionHeaders(ctx.bucket, await setTags(ctx, [])));

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketTagging.html (NoSuchTagSet when there are none) */
export const getBucketTagging: Handler<BucketContext> = async (ctx) => {
  const tags = ctx.bucket.tags;
  if (tags.length === 0) throw new S3Error("NoSuchTagSet", undefined, { BucketName: ctx.bucketName });
  return xmlResponse(taggingDocument(tags));
};

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketTagging.html (replaces the whole set; empty removes it) */
export const putBucketTagging: Handler<BucketContext> = async (ctx) => {
  const tags = validateTagSet(parseTagging(await readXmlBody(ctx, MAX_BODY_BYTES)), "bucket");
  await ctx.deps.meta.buckets.setTags(ctx.bucket.id, tags);
  return empty(204);
};

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketTagging.html */
export const deleteBucketTagging: Handler<BucketContext> = async (ctx) => {
  await ctx.deps.meta.buckets.setTags(ctx.bucket.id, []);
  return empty(204);
};
