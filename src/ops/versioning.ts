/**
 * Bucket versioning state: GetBucketVersioning and PutBucketVersioning.
 * A bucket starts unversioned (no Status); once Enabled it can only be Suspended, never
 * unversioned again. MFA Delete is not offered: MfaDelete=Enabled (or an x-amz-mfa header) is
 * NotImplemented, MfaDelete=Disabled is the state every bucket is in and is accepted.
 */
import type { BucketContext, Handler } from "../context";
import { S3Error } from "../errors";
import { parseVersioningConfiguration, versioningDocument } from "../xml/versioning";
import { readXmlBody } from "./request-body";
import { empty, xmlResponse } from "./respond";

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html */
export const getBucketVersioning: Handler<BucketContext> = async (ctx) => xmlResponse(versioningDocument(ctx.bucket.versioning));

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html */
export const putBucketVersioning: Handler<BucketContext> = async (ctx) => {
  const config = parseVersioningConfiguration(await readXmlBody(ctx, 64 * 1024));
  if (config.mfaDelete === "Enabled" || ctx.request.headers.has("x-amz-mfa")) {
    throw new S3Error("mfaDeleteUnsupported");
  }
  await ctx.deps.meta.buckets.setVersioning(ctx.bucket.id, config.status);
  return empty(200);
};
