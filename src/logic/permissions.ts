/**
 * What each S3 operation needs from the ACLs, derived once from the routed operation
 * (AWS S3 User Guide, "ACL permissions and access policy permissions" and the per-operation
 * "Permissions" sections of the API reference):
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions
 *
 * - bucket READ: listing (objects, versions, multipart uploads) and HeadBucket;
 * - bucket WRITE: creating, overwriting and deleting objects, uploading parts;
 *   deleting a specific version is the bucket owner's (s3:DeleteObjectVersion);
 * - bucket READ_ACP / WRITE_ACP: Get/PutBucketAcl;
 * - object READ / READ_ACP / WRITE_ACP: GetObject and HeadObject, Get/PutObjectAcl, checked
 *   where the object row is loaded (the object's own ACL, never the bucket's);
 * - ListParts and AbortMultipartUpload: the bucket owner or the upload's initiator;
 * - every other bucket subresource (location, versioning, tagging, CORS, DeleteBucket, ...) and
 *   object tagging: the bucket owner only, as no ACL permission maps to them.
 */
import type { Permission } from "./acl";

export type Requirement =
  /** the handler decides (ListBuckets, CreateBucket, browser POST uploads, CORS preflight) */
  | { on: "handler" }
  | { on: "bucket"; permission: Permission }
  | { on: "bucket-owner" }
  /** the object's ACL, checked by authz.checkObjectAccess where the row is read */
  | { on: "object"; permission: Permission }
  /** the bucket owner or the upload's initiator, checked by authz.checkUploadAccess */
  | { on: "upload" }
  /** DeleteObjects: each key is authorized as its own DeleteObject */
  | { on: "each-key" };

const bucket = (permission: Permission): Requirement => ({ on: "bucket", permission });
const object = (permission: Permission): Requirement => ({ on: "object", permission });

const TABLE: Record<string, Requirement> = {
  ListBuckets: { on: "handler" },
  CreateBucket: { on: "handler" },
  PostObject: { on: "handler" },
  Preflight: { on: "handler" },

  HeadBucket: bucket("READ"),
  ListObjects: bucket("READ"),
  ListObjectsV2: bucket("READ"),
  ListObjectVersions: bucket("READ"),
  ListMultipartUploads: bucket("READ"),
  GetBucketAcl: bucket("READ_ACP"),
  PutBucketAcl: bucket("WRITE_ACP"),

  PutObject: bucket("WRITE"),
  CopyObject: bucket("WRITE"),
  DeleteObject: bucket("WRITE"),
  DeleteObjects: { on: "each-key" },
  CreateMultipartUpload: bucket("WRITE"),
  UploadPart: bucket("WRITE"),
  UploadPartCopy: bucket("WRITE"),
  CompleteMultipartUpload: bucket("WRITE"),
  ListParts: { on: "upload" },
  AbortMultipartUpload: { on: "upload" },

  GetObject: object("READ"),
  HeadObject: object("READ"),
  GetObjectAcl: object("READ_ACP"),
  PutObjectAcl: object("WRITE_ACP"),
};

/** The requirement of an operation; `versionId` matters to DeleteObject only. */
export function requirementFor(op: string, query: URLSearchParams): Requirement {
  if (op === "DeleteObject" && query.has("versionId")) return { on: "bucket-owner" };
  return TABLE[op] ?? { on: "bucket-owner" };
}
