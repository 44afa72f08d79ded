/**
 * Operation table: AWS operation name -> handler, by level. Operations the router knows but
 * this table lacks answer NotImplemented.
 *
 * Compatibility ledger (kept in sync with README.md):
 * - Supported: ListBuckets; Create/Head/DeleteBucket, GetBucketLocation; ListObjects, ListObjectsV2;
 *   Put/Get/Head/DeleteObject with Range, conditionals, response-* overrides, checksums.
 * - Versioning: Get/PutBucketVersioning (Enabled, Suspended; MFA Delete is NotImplemented),
 *   ListObjectVersions, versionId on reads, deletes and copy sources, `null` versions as S3.
 *   Differs: at most 1000 versions per object (delete markers included), as on Exoscale SOS; the
 *   write that would exceed it is TooManyVersions (400), old versions are never dropped.
 * - Tagging: Put/Get/DeleteObjectTagging (per version), x-amz-tagging on PutObject,
 *   CreateMultipartUpload and CopyObject (x-amz-tagging-directive), Put/Get/DeleteBucketTagging.
 * - ACLs: Get/PutBucketAcl, Get/PutObjectAcl (per version); canned and x-amz-grant-* headers on
 *   CreateBucket, PutObject, CreateMultipartUpload and CopyObject; enforced on every operation
 *   (authz.ts, logic/permissions.ts). Differs: the owner always keeps FULL_CONTROL; aws-exec-read
 *   grants nothing beyond the owner; anonymous writes are owned by the bucket owner.
 * - CORS: Put/Get/DeleteBucketCors; unsigned OPTIONS preflights; CORS headers on every response
 *   to a bucket request with Origin, errors included (ops/cors.ts, logic/cors.ts).
 * - SSE-C on Put/Get/HeadObject, Create/UploadPart, UploadPartCopy, CopyObject (+ copy-source
 *   keys) and POST Object; the key goes to R2, D1 keeps its MD5. Refused over plain HTTP unless
 *   SOS_REQUIRE_HTTPS_FOR_SSEC=false. Differs: the ETag stays the MD5 of the plaintext.
 * - POST Object (browser forms): SigV4 and SigV2 policy signatures, policy conditions, at most
 *   16 MB (SOS). Differs: the file must be the last field and the body must end with the closing
 *   boundary and CRLF (what browsers and form libraries send), because R2 needs the length first.
 * - Multipart: Create/UploadPart/UploadPartCopy/Complete/Abort, ListParts (max-parts,
 *   part-number-marker), ListMultipartUploads (prefix, delimiter, key-marker, upload-id-marker,
 *   max-uploads). Any legal layout completes (unequal sizes, gaps, subsets, re-uploads, parallel
 *   parts): each part is its own blob and Complete writes a manifest, never bytes. Errors:
 *   InvalidPart, InvalidPartOrder, EntityTooSmall (non-last part < 5 MiB), NoSuchUpload; part
 *   numbers 1..10000, parts <= 5 GiB, objects <= 4 TiB, bodies over SOS_MAX_REQUEST_BYTES are
 *   EntityTooLarge before any byte is stored. ETag md5-of-md5s-N; COMPOSITE checksums only
 *   (FULL_OBJECT is NotImplemented). GET/HEAD ?partNumber=N use the uploaded part numbers.
 *   Abandoned uploads are aborted by cron after SOS_MULTIPART_MAX_AGE_SECONDS (7 days).
 * - CopyObject (buckets, zones, source versions, Metadata/TaggingDirective, copy-source-if-*,
 *   ACL from the request, never the source) and DeleteObjects (<= 1000 keys, Quiet, Content-MD5
 *   or any x-amz-checksum-*). Differs: within a zone a copy shares the source's immutable blobs
 *   (a blob is deleted only when no row refers to it, checked by query at deletion time; the
 *   commit asserts the source still exists), so the copy of a multipart object keeps the
 *   source's md5-of-md5s-N ETag and parts; across zones the bytes are streamed (<= 5 GiB).
 * - Differs by design: bucket zones are Exoscale-style zone names (LocationConstraint); ETags of
 *   single PUTs are MD5 as in S3; storage class is always STANDARD.
 * - Not yet: see README "Compatibility ledger".
 */
import type { BucketContext, Handler, ObjectContext, RequestContext } from "../context";
import { getBucketAcl, getObjectAcl, putBucketAcl, putObjectAcl } from "./acl";
import { createBucket, deleteBucket, getBucketLocation, headBucket } from "./bucket";
import { copyObject, uploadPartCopy } from "./copy";
import { deleteBucketCors, getBucketCors, putBucketCors } from "./cors";
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
import { postObject } from "./post-object";
import { listBuckets } from "./service";
import { deleteBucketTagging, deleteObjectTagging, getBucketTagging, getObjectTagging, putBucketTagging, putObjectTagging } from "./tagging";
import { getBucketVersioning, putBucketVersioning } from "./versioning";
import { listObjectVersions } from "./versions";

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
  GetBucketAcl: getBucketAcl,
  PutBucketAcl: putBucketAcl,
  GetBucketVersioning: getBucketVersioning,
  PutBucketVersioning: putBucketVersioning,
  ListObjectVersions: listObjectVersions,
  GetBucketTagging: getBucketTagging,
  PutBucketTagging: putBucketTagging,
  DeleteBucketTagging: deleteBucketTagging,
  GetBucketCors: getBucketCors,
  PutBucketCors: putBucketCors,
  DeleteBucketCors: deleteBucketCors,
  PostObject: postObject,
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
  GetObjectAcl: getObjectAcl,
  PutObjectAcl: putObjectAcl,
  GetObjectTagging: getObjectTagging,
  PutObjectTagging: putObjectTagging,
  DeleteObjectTagging: deleteObjectTagging,
};
