/**
 * Bucket replication configuration: Put/Get/DeleteBucketReplication. The copies themselves are
 * made by jobs/replication.ts; which versions owe copies is logic/replication.ts's.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketReplication.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication.html
 */
import type { BucketContext, Handler } from "../context";
import { S3Error } from "../errors";
import { newVersionId } from "../logic/ids";
import { validateReplicationRules } from "../logic/replication";
import { parseReplicationConfiguration, replicationConfigurationDocument } from "../xml/replication";
import { readXmlBody } from "./request-body";
import { empty, xmlResponse } from "./respond";

const MAX_BODY_BYTES = 1024 * 1024;

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketReplication.html */
export const getBucketReplication: Handler<BucketContext> = async (ctx) => {
  const config = ctx.bucket.replication;
  if (!config) throw new S3Error("ReplicationConfigurationNotFoundError", undefined, { BucketName: ctx.bucketName });
  return xmlResponse(replicationConfigurationDocument(config));
};

/**
 * Replaces the whole configuration. Both buckets must be versioned and every destination must
 * exist (InvalidRequest, as S3); whether the source's owner may write a destination is checked
 * when a copy is made (FAILED, as S3 checks its replication role then).
 */
export const putBucketReplication: Handler<BucketContext> = async (ctx) => {
  // Content-MD5 or a checksum is required, as S3 does for this operation.
  const parsed = parseReplicationConfiguration(await readXmlBody(ctx, MAX_BODY_BYTES, { integrityRequired: true }));
  const rules = validateReplicationRules(parsed.rules, newVersionId);
  if (ctx.bucket.versioning !== "Enabled") throw new S3Error("replicationNeedsVersioning");
  for (const name of new Set(rules.map((r) => r.destination))) {
    if (name === ctx.bucketName) throw new S3Error("replicationDestinationIsSource");
    const dest = await ctx.deps.meta.buckets.get(name);
    if (!dest) throw new S3Error("replicationDestinationMissing", undefined, { BucketName: name });
    if (dest.versioning !== "Enabled") throw new S3Error("replicationDestinationUnversioned", undefined, { BucketName: name });
  }
  await ctx.deps.meta.buckets.setReplication(ctx.bucket.id, { role: parsed.role, rules });
  return empty(200);
};

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketReplication.html */
export const deleteBucketReplication: Handler<BucketContext> = async (ctx) => {
  await ctx.deps.meta.buckets.setReplication(ctx.bucket.id, null);
  return empty(204);
};
