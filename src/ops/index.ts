/**
 * Operation table: AWS operation name -> handler, by level. Operations the router knows but
 * this table lacks answer NotImplemented.
 *
 * Compatibility ledger (kept in sync with README.md):
 * - Supported: ListBuckets; Create/Head/DeleteBucket, GetBucketLocation; ListObjects, ListObjectsV2;
 *   Put/Get/Head/DeleteObject with Range, conditionals, response-* overrides, checksums.
 * - Differs by design: bucket zones are Exoscale-style zone names (LocationConstraint); ETags of
 *   single PUTs are MD5 as in S3; storage class is always STANDARD.
 * - Not yet: see README "Compatibility ledger".
 */
import type { BucketContext, Handler, ObjectContext, RequestContext } from "../context";
import { createBucket, deleteBucket, getBucketLocation, headBucket } from "./bucket";
import { copyObject, uploadPartCopy } from "./copy";
import { deleteObjects } from "./delete-objects";
import { listObjects, listObjectsV2 } from "./list";
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
} from "./multipart";
import { deleteObject } from "./object-delete";
import { getObject, headObject } from "./object-read";
import { putObject } from "./object-write";
import { listBuckets } from "./service";

export const SERVICE_HANDLERS: Record<string, Handler<RequestContext>> = {
  ListBuckets: listBuckets,
};

export const BUCKET_HANDLERS: Record<string, Handler<BucketContext>> = {
  CreateBucket: createBucket,
  HeadBucket: headBucket,
  DeleteBucket: deleteBucket,
  GetBucketLocation: getBucketLocation,
  ListObjects: listObjects,
  ListObjectsV2: listObjectsV2,
  ListMultipartUploads: listMultipartUploads,
  DeleteObjects: deleteObjects,
};

export const OBJECT_HANDLERS: Record<string, Handler<ObjectContext>> = {
  GetObject: getObject,
  HeadObject: headObject,
  PutObject: putObject,
  DeleteObject: deleteObject,
  CopyObject: copyObject,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
};
