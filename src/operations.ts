/**
 * THE operation table: every S3 operation this service recognises, in one row each. The router,
 * authorization (ACL requirement, key-scope class, IAM action and resource), the NotImplemented
 * answers and the compatibility ledger in docs/compatibility.md are all derived from it.
 *
 * A row says:
 * - how a request names it: method, level (service, bucket, object), the query parameters that
 *   must all be present and a header that must be present (the rule with most of them wins);
 * - `access`: what the ACLs require (AWS S3 User Guide, "ACL permissions and access policy
 *   permissions", and the "Permissions" section of each operation in the API reference):
 *     https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions
 *     https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions
 *   bucket READ lists, bucket WRITE creates/overwrites/deletes objects, READ_ACP/WRITE_ACP read and
 *   write ACLs, object READ/READ_ACP/WRITE_ACP are the object's own ACL; no ACL permission maps to
 *   the other bucket subresources or to object tagging, so they are the bucket owner's;
 * - `keys`: the class an access key's operation set is judged by: "read" (what a read-only key may
 *   call), "write" (a write-only key), "acl" (neither: an ACL change could expose what a write-only
 *   key cannot read); `readsSource` marks copies, which also need GetObject;
 * - `iam`: the IAM action (bucket policies, key restrictions and logs use these names); the
 *   resource is the bucket ARN for bucket operations and the object ARN for object operations;
 *   `onVersion` gives what changes when the request names a `versionId`;
 * - `loads`: what the pipeline reads and authorizes before the handler runs (the bucket, by
 *   default; the named object version; the multipart upload; or nothing, for CreateBucket);
 * - `params`: the parser of the operation's query parameters, run before anything is loaded;
 * - `handler`: the implementation; a row without one answers 501 NotImplemented.
 *
 * Adding an operation = one row here and one handler in src/ops/ (docs/architecture.md).
 */
import type { BucketContext, Handler, NewBucketContext, ObjectContext, RequestContext, UploadContext, VersionBytesContext, VersionContext } from "./context";
import type { Permission } from "./logic/acl";
import { getBucketAcl, getObjectAcl, putBucketAcl, putObjectAcl } from "./ops/acl";
import { createBucket, deleteBucket, getBucketLocation, headBucket } from "./ops/bucket";
import { copyObject, uploadPartCopy } from "./ops/copy";
import { deleteBucketCors, getBucketCors, putBucketCors } from "./ops/cors";
import { deleteObjects } from "./ops/delete-objects";
import { deleteBucketLifecycle, getBucketLifecycleConfiguration, putBucketLifecycleConfiguration } from "./ops/lifecycle";
import { listObjects, listObjectsV2 } from "./ops/list";
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listMultipartUploads, listParts, uploadPart } from "./ops/multipart";
import { deleteObject } from "./ops/object-delete";
import { getObjectAttributes } from "./ops/object-attributes";
import {
  getObjectLegalHold,
  getObjectLockConfiguration,
  getObjectRetention,
  putObjectLegalHold,
  putObjectLockConfiguration,
  putObjectRetention,
} from "./ops/object-lock";
import { getObject, headObject } from "./ops/object-read";
import { putObject } from "./ops/object-write";
import {
  deleteObjectParams,
  listBucketsParams,
  listMultipartUploadsParams,
  listObjectsParams,
  listObjectsV2Params,
  listObjectVersionsParams,
  listPartsParams,
  partParams,
  readObjectParams,
} from "./ops/params";
import {
  deleteBucketOwnershipControls,
  deleteBucketPolicy,
  deletePublicAccessBlock,
  getBucketOwnershipControls,
  getBucketPolicy,
  getBucketPolicyStatus,
  getPublicAccessBlock,
  putBucketOwnershipControls,
  putBucketPolicy,
  putPublicAccessBlock,
} from "./ops/policy";
import { postObject } from "./ops/post-object";
import { deleteBucketReplication, getBucketReplication, putBucketReplication } from "./ops/replication";
import { getBucketRequestPayment } from "./ops/request-payment";
import { listBuckets } from "./ops/service";
import { deleteBucketTagging, deleteObjectTagging, getBucketTagging, getObjectTagging, putBucketTagging, putObjectTagging } from "./ops/tagging";
import { getBucketVersioning, putBucketVersioning } from "./ops/versioning";
import { listObjectVersions } from "./ops/versions";

export type Level = "service" | "bucket" | "object";
export type Method = "GET" | "HEAD" | "PUT" | "POST" | "DELETE";

export type Requirement =
  /** the handler decides (ListBuckets, CreateBucket, browser POST uploads) */
  | { on: "handler" }
  | { on: "bucket"; permission: Permission }
  | { on: "bucket-owner" }
  /** the object's ACL, checked when the pipeline loads the version */
  | { on: "object"; permission: Permission }
  /** the bucket owner or the upload's initiator, checked when the pipeline loads the upload */
  | { on: "upload" }
  /** DeleteObjects: each key is authorized as its own DeleteObject */
  | { on: "each-key" };

export type KeyClass = "read" | "write" | "acl";
export type IamAction = `s3:${string}`;
/**
 * What the pipeline loads before the handler: "bucket" is the default below the service level.
 * "version" is the version's row without an inline object's bytes; "version-bytes" with them.
 */
export type Load = "none" | "bucket" | "version" | "version-bytes" | "upload";

type ContextFor<L extends Level, Ld extends Load> = L extends "service"
  ? RequestContext
  : Ld extends "none"
    ? NewBucketContext
    : L extends "bucket"
      ? BucketContext
      : Ld extends "version"
        ? VersionContext
        : Ld extends "version-bytes"
          ? VersionBytesContext
          : Ld extends "upload"
            ? UploadContext
            : ObjectContext;

/** What every row says, whatever its types. */
type RowFields = {
  method: Method;
  query?: readonly string[];
  header?: string;
  access: Requirement;
  keys: KeyClass;
  readsSource?: true;
  iam: IamAction;
  onVersion?: { access?: Requirement; iam?: IamAction };
};

type Row<L extends Level, Ld extends Load, P> = RowFields & {
  level: L;
  loads?: Ld;
  params?: (ctx: RequestContext) => P | Promise<P>;
  handler?: Handler<ContextFor<L, Ld> & { params: NoInfer<P> }>;
};

/** A row with its types checked (by `op`) and then erased, so that one table can hold them all. */
export type OperationSpec = RowFields & {
  level: Level;
  loads?: Load;
  params?: (ctx: RequestContext) => unknown;
  // biome-ignore lint/suspicious/noExplicitAny: the handler's context type is erased here, after `op` checked it per row
  handler?: (ctx: any) => Promise<Response>;
};

function op<L extends Level, Ld extends Load = "bucket", P = Record<never, never>>(row: Row<L, Ld, P>): OperationSpec {
  return row as unknown as OperationSpec;
}

const handler: Requirement = { on: "handler" };
const owner: Requirement = { on: "bucket-owner" };
const bucket = (permission: Permission): Requirement => ({ on: "bucket", permission });
const object = (permission: Permission): Requirement => ({ on: "object", permission });

/** A bucket subresource that is not built: GET (read) and PUT/DELETE (write), the bucket owner's. */
const notBuilt = (method: "GET" | "PUT" | "DELETE", sub: string, iam: IamAction) =>
  op({ method, level: "bucket", query: [sub], access: owner, keys: method === "GET" ? "read" : "write", iam });
const objectNotBuilt = (method: Method, sub: string, iam: IamAction, onVersion?: IamAction) =>
  op({ method, level: "object", query: [sub], access: owner, keys: method === "GET" ? "read" : "write", iam, onVersion: onVersion && { iam: onVersion } });

// biome-ignore format: one line per operation keeps the table readable as a table
export const OPERATIONS = {
  ListBuckets: op({ method: "GET", level: "service", access: handler, keys: "read", iam: "s3:ListAllMyBuckets", params: listBucketsParams, handler: listBuckets }),

  CreateBucket: op({ method: "PUT", level: "bucket", access: handler, keys: "write", iam: "s3:CreateBucket", loads: "none", handler: createBucket }),
  HeadBucket: op({ method: "HEAD", level: "bucket", access: bucket("READ"), keys: "read", iam: "s3:ListBucket", handler: headBucket }),
  DeleteBucket: op({ method: "DELETE", level: "bucket", access: owner, keys: "write", iam: "s3:DeleteBucket", handler: deleteBucket }),
  GetBucketLocation: op({ method: "GET", level: "bucket", query: ["location"], access: owner, keys: "read", iam: "s3:GetBucketLocation", handler: getBucketLocation }),
  ListObjects: op({ method: "GET", level: "bucket", access: bucket("READ"), keys: "read", iam: "s3:ListBucket", params: listObjectsParams, handler: listObjects }),
  ListObjectsV2: op({ method: "GET", level: "bucket", query: ["list-type"], access: bucket("READ"), keys: "read", iam: "s3:ListBucket", params: listObjectsV2Params, handler: listObjectsV2 }),
  ListObjectVersions: op({ method: "GET", level: "bucket", query: ["versions"], access: bucket("READ"), keys: "read", iam: "s3:ListBucketVersions", params: listObjectVersionsParams, handler: listObjectVersions }),
  ListMultipartUploads: op({ method: "GET", level: "bucket", query: ["uploads"], access: bucket("READ"), keys: "read", iam: "s3:ListBucketMultipartUploads", params: listMultipartUploadsParams, handler: listMultipartUploads }),
  DeleteObjects: op({ method: "POST", level: "bucket", query: ["delete"], access: { on: "each-key" }, keys: "write", iam: "s3:DeleteObject", handler: deleteObjects }),
  PostObject: op({ method: "POST", level: "bucket", access: handler, keys: "write", iam: "s3:PutObject", handler: postObject }),

  GetBucketAcl: op({ method: "GET", level: "bucket", query: ["acl"], access: bucket("READ_ACP"), keys: "read", iam: "s3:GetBucketAcl", handler: getBucketAcl }),
  PutBucketAcl: op({ method: "PUT", level: "bucket", query: ["acl"], access: bucket("WRITE_ACP"), keys: "acl", iam: "s3:PutBucketAcl", handler: putBucketAcl }),
  GetBucketCors: op({ method: "GET", level: "bucket", query: ["cors"], access: owner, keys: "read", iam: "s3:GetBucketCORS", handler: getBucketCors }),
  PutBucketCors: op({ method: "PUT", level: "bucket", query: ["cors"], access: owner, keys: "write", iam: "s3:PutBucketCORS", handler: putBucketCors }),
  DeleteBucketCors: op({ method: "DELETE", level: "bucket", query: ["cors"], access: owner, keys: "write", iam: "s3:PutBucketCORS", handler: deleteBucketCors }),
  GetBucketVersioning: op({ method: "GET", level: "bucket", query: ["versioning"], access: owner, keys: "read", iam: "s3:GetBucketVersioning", handler: getBucketVersioning }),
  PutBucketVersioning: op({ method: "PUT", level: "bucket", query: ["versioning"], access: owner, keys: "write", iam: "s3:PutBucketVersioning", handler: putBucketVersioning }),
  GetBucketTagging: op({ method: "GET", level: "bucket", query: ["tagging"], access: owner, keys: "read", iam: "s3:GetBucketTagging", handler: getBucketTagging }),
  PutBucketTagging: op({ method: "PUT", level: "bucket", query: ["tagging"], access: owner, keys: "write", iam: "s3:PutBucketTagging", handler: putBucketTagging }),
  DeleteBucketTagging: op({ method: "DELETE", level: "bucket", query: ["tagging"], access: owner, keys: "write", iam: "s3:PutBucketTagging", handler: deleteBucketTagging }),

  GetBucketPolicy: op({ method: "GET", level: "bucket", query: ["policy"], access: owner, keys: "read", iam: "s3:GetBucketPolicy", handler: getBucketPolicy }),
  PutBucketPolicy: op({ method: "PUT", level: "bucket", query: ["policy"], access: owner, keys: "acl", iam: "s3:PutBucketPolicy", handler: putBucketPolicy }),
  DeleteBucketPolicy: op({ method: "DELETE", level: "bucket", query: ["policy"], access: owner, keys: "acl", iam: "s3:DeleteBucketPolicy", handler: deleteBucketPolicy }),
  GetBucketPolicyStatus: op({ method: "GET", level: "bucket", query: ["policyStatus"], access: owner, keys: "read", iam: "s3:GetBucketPolicyStatus", handler: getBucketPolicyStatus }),
  GetPublicAccessBlock: op({ method: "GET", level: "bucket", query: ["publicAccessBlock"], access: owner, keys: "read", iam: "s3:GetBucketPublicAccessBlock", handler: getPublicAccessBlock }),
  PutPublicAccessBlock: op({ method: "PUT", level: "bucket", query: ["publicAccessBlock"], access: owner, keys: "acl", iam: "s3:PutBucketPublicAccessBlock", handler: putPublicAccessBlock }),
  DeletePublicAccessBlock: op({ method: "DELETE", level: "bucket", query: ["publicAccessBlock"], access: owner, keys: "acl", iam: "s3:PutBucketPublicAccessBlock", handler: deletePublicAccessBlock }),
  GetBucketOwnershipControls: op({ method: "GET", level: "bucket", query: ["ownershipControls"], access: owner, keys: "read", iam: "s3:GetBucketOwnershipControls", handler: getBucketOwnershipControls }),
  PutBucketOwnershipControls: op({ method: "PUT", level: "bucket", query: ["ownershipControls"], access: owner, keys: "acl", iam: "s3:PutBucketOwnershipControls", handler: putBucketOwnershipControls }),
  DeleteBucketOwnershipControls: op({ method: "DELETE", level: "bucket", query: ["ownershipControls"], access: owner, keys: "acl", iam: "s3:PutBucketOwnershipControls", handler: deleteBucketOwnershipControls }),
  GetObjectLockConfiguration: op({ method: "GET", level: "bucket", query: ["object-lock"], access: owner, keys: "read", iam: "s3:GetBucketObjectLockConfiguration", handler: getObjectLockConfiguration }),
  PutObjectLockConfiguration: op({ method: "PUT", level: "bucket", query: ["object-lock"], access: owner, keys: "write", iam: "s3:PutBucketObjectLockConfiguration", handler: putObjectLockConfiguration }),
  GetBucketLifecycleConfiguration: op({ method: "GET", level: "bucket", query: ["lifecycle"], access: owner, keys: "read", iam: "s3:GetLifecycleConfiguration", handler: getBucketLifecycleConfiguration }),
  PutBucketLifecycleConfiguration: op({ method: "PUT", level: "bucket", query: ["lifecycle"], access: owner, keys: "write", iam: "s3:PutLifecycleConfiguration", handler: putBucketLifecycleConfiguration }),
  DeleteBucketLifecycle: op({ method: "DELETE", level: "bucket", query: ["lifecycle"], access: owner, keys: "write", iam: "s3:PutLifecycleConfiguration", handler: deleteBucketLifecycle }),
  GetBucketReplication: op({ method: "GET", level: "bucket", query: ["replication"], access: owner, keys: "read", iam: "s3:GetReplicationConfiguration", handler: getBucketReplication }),
  PutBucketReplication: op({ method: "PUT", level: "bucket", query: ["replication"], access: owner, keys: "write", iam: "s3:PutReplicationConfiguration", handler: putBucketReplication }),
  DeleteBucketReplication: op({ method: "DELETE", level: "bucket", query: ["replication"], access: owner, keys: "write", iam: "s3:PutReplicationConfiguration", handler: deleteBucketReplication }),
  GetBucketEncryption: notBuilt("GET", "encryption", "s3:GetEncryptionConfiguration"),
  PutBucketEncryption: notBuilt("PUT", "encryption", "s3:PutEncryptionConfiguration"),
  DeleteBucketEncryption: notBuilt("DELETE", "encryption", "s3:PutEncryptionConfiguration"),
  GetBucketWebsite: notBuilt("GET", "website", "s3:GetBucketWebsite"),
  PutBucketWebsite: notBuilt("PUT", "website", "s3:PutBucketWebsite"),
  DeleteBucketWebsite: notBuilt("DELETE", "website", "s3:DeleteBucketWebsite"),
  GetBucketLogging: notBuilt("GET", "logging", "s3:GetBucketLogging"),
  PutBucketLogging: notBuilt("PUT", "logging", "s3:PutBucketLogging"),
  GetBucketNotificationConfiguration: notBuilt("GET", "notification", "s3:GetBucketNotification"),
  PutBucketNotificationConfiguration: notBuilt("PUT", "notification", "s3:PutBucketNotification"),
  GetBucketAccelerateConfiguration: notBuilt("GET", "accelerate", "s3:GetAccelerateConfiguration"),
  PutBucketAccelerateConfiguration: notBuilt("PUT", "accelerate", "s3:PutAccelerateConfiguration"),
  GetBucketRequestPayment: op({ method: "GET", level: "bucket", query: ["requestPayment"], access: owner, keys: "read", iam: "s3:GetBucketRequestPayment", handler: getBucketRequestPayment }),
  PutBucketRequestPayment: notBuilt("PUT", "requestPayment", "s3:PutBucketRequestPayment"),
  GetBucketAnalyticsConfiguration: notBuilt("GET", "analytics", "s3:GetAnalyticsConfiguration"),
  PutBucketAnalyticsConfiguration: notBuilt("PUT", "analytics", "s3:PutAnalyticsConfiguration"),
  DeleteBucketAnalyticsConfiguration: notBuilt("DELETE", "analytics", "s3:PutAnalyticsConfiguration"),
  GetBucketMetricsConfiguration: notBuilt("GET", "metrics", "s3:GetMetricsConfiguration"),
  PutBucketMetricsConfiguration: notBuilt("PUT", "metrics", "s3:PutMetricsConfiguration"),
  DeleteBucketMetricsConfiguration: notBuilt("DELETE", "metrics", "s3:PutMetricsConfiguration"),
  GetBucketInventoryConfiguration: notBuilt("GET", "inventory", "s3:GetInventoryConfiguration"),
  PutBucketInventoryConfiguration: notBuilt("PUT", "inventory", "s3:PutInventoryConfiguration"),
  DeleteBucketInventoryConfiguration: notBuilt("DELETE", "inventory", "s3:PutInventoryConfiguration"),
  GetBucketIntelligentTieringConfiguration: notBuilt("GET", "intelligent-tiering", "s3:GetIntelligentTieringConfiguration"),
  PutBucketIntelligentTieringConfiguration: notBuilt("PUT", "intelligent-tiering", "s3:PutIntelligentTieringConfiguration"),
  DeleteBucketIntelligentTieringConfiguration: notBuilt("DELETE", "intelligent-tiering", "s3:PutIntelligentTieringConfiguration"),

  GetObject: op({ method: "GET", level: "object", access: object("READ"), keys: "read", iam: "s3:GetObject", onVersion: { iam: "s3:GetObjectVersion" }, loads: "version-bytes", params: readObjectParams, handler: getObject }),
  HeadObject: op({ method: "HEAD", level: "object", access: object("READ"), keys: "read", iam: "s3:GetObject", onVersion: { iam: "s3:GetObjectVersion" }, loads: "version", params: readObjectParams, handler: headObject }),
  PutObject: op({ method: "PUT", level: "object", access: bucket("WRITE"), keys: "write", iam: "s3:PutObject", handler: putObject }),
  CopyObject: op({ method: "PUT", level: "object", header: "x-amz-copy-source", access: bucket("WRITE"), keys: "write", readsSource: true, iam: "s3:PutObject", handler: copyObject }),
  DeleteObject: op({ method: "DELETE", level: "object", access: bucket("WRITE"), keys: "write", iam: "s3:DeleteObject", onVersion: { access: owner, iam: "s3:DeleteObjectVersion" }, params: deleteObjectParams, handler: deleteObject }),
  GetObjectAcl: op({ method: "GET", level: "object", query: ["acl"], access: object("READ_ACP"), keys: "read", iam: "s3:GetObjectAcl", onVersion: { iam: "s3:GetObjectVersionAcl" }, loads: "version", handler: getObjectAcl }),
  PutObjectAcl: op({ method: "PUT", level: "object", query: ["acl"], access: object("WRITE_ACP"), keys: "acl", iam: "s3:PutObjectAcl", onVersion: { iam: "s3:PutObjectVersionAcl" }, loads: "version", handler: putObjectAcl }),
  GetObjectTagging: op({ method: "GET", level: "object", query: ["tagging"], access: owner, keys: "read", iam: "s3:GetObjectTagging", onVersion: { iam: "s3:GetObjectVersionTagging" }, loads: "version", handler: getObjectTagging }),
  PutObjectTagging: op({ method: "PUT", level: "object", query: ["tagging"], access: owner, keys: "write", iam: "s3:PutObjectTagging", onVersion: { iam: "s3:PutObjectVersionTagging" }, loads: "version", handler: putObjectTagging }),
  DeleteObjectTagging: op({ method: "DELETE", level: "object", query: ["tagging"], access: owner, keys: "write", iam: "s3:DeleteObjectTagging", onVersion: { iam: "s3:DeleteObjectVersionTagging" }, loads: "version", handler: deleteObjectTagging }),
  GetObjectAttributes: op({ method: "GET", level: "object", query: ["attributes"], access: object("READ"), keys: "read", iam: "s3:GetObjectAttributes", onVersion: { iam: "s3:GetObjectVersionAttributes" }, loads: "version", handler: getObjectAttributes }),
  GetObjectRetention: op({ method: "GET", level: "object", query: ["retention"], access: owner, keys: "read", iam: "s3:GetObjectRetention", loads: "version", handler: getObjectRetention }),
  PutObjectRetention: op({ method: "PUT", level: "object", query: ["retention"], access: owner, keys: "write", iam: "s3:PutObjectRetention", loads: "version", handler: putObjectRetention }),
  GetObjectLegalHold: op({ method: "GET", level: "object", query: ["legal-hold"], access: owner, keys: "read", iam: "s3:GetObjectLegalHold", loads: "version", handler: getObjectLegalHold }),
  PutObjectLegalHold: op({ method: "PUT", level: "object", query: ["legal-hold"], access: owner, keys: "write", iam: "s3:PutObjectLegalHold", loads: "version", handler: putObjectLegalHold }),
  GetObjectTorrent: objectNotBuilt("GET", "torrent", "s3:GetObjectTorrent", "s3:GetObjectVersionTorrent"),
  RestoreObject: objectNotBuilt("POST", "restore", "s3:RestoreObject"),
  SelectObjectContent: op({ method: "POST", level: "object", query: ["select"], access: owner, keys: "read", iam: "s3:GetObject" }),

  CreateMultipartUpload: op({ method: "POST", level: "object", query: ["uploads"], access: bucket("WRITE"), keys: "write", iam: "s3:PutObject", handler: createMultipartUpload }),
  UploadPart: op({ method: "PUT", level: "object", query: ["partNumber", "uploadId"], access: bucket("WRITE"), keys: "write", iam: "s3:PutObject", loads: "upload", params: partParams, handler: uploadPart }),
  UploadPartCopy: op({ method: "PUT", level: "object", query: ["partNumber", "uploadId"], header: "x-amz-copy-source", access: bucket("WRITE"), keys: "write", readsSource: true, iam: "s3:PutObject", loads: "upload", params: partParams, handler: uploadPartCopy }),
  CompleteMultipartUpload: op({ method: "POST", level: "object", query: ["uploadId"], access: bucket("WRITE"), keys: "write", iam: "s3:PutObject", handler: completeMultipartUpload }),
  AbortMultipartUpload: op({ method: "DELETE", level: "object", query: ["uploadId"], access: { on: "upload" }, keys: "write", iam: "s3:AbortMultipartUpload", loads: "upload", handler: abortMultipartUpload }),
  ListParts: op({ method: "GET", level: "object", query: ["uploadId"], access: { on: "upload" }, keys: "read", iam: "s3:ListMultipartUploadParts", loads: "upload", params: listPartsParams, handler: listParts }),
} satisfies Record<string, OperationSpec>;

/** An S3 operation's name: a misspelt one is a compile error. */
export type Op = keyof typeof OPERATIONS;

export const OPERATION_NAMES: ReadonlySet<Op> = new Set(Object.keys(OPERATIONS) as Op[]);

export function isOperation(name: string): name is Op {
  return Object.hasOwn(OPERATIONS, name);
}

/** Operations the table knows but that have no handler yet: they answer 501 NotImplemented. */
export const NOT_IMPLEMENTED: readonly Op[] = [...OPERATION_NAMES].filter((name) => !OPERATIONS[name].handler);

/** What the ACLs require for `op`; naming a version may change it (DeleteObject: the bucket owner's). */
export function requirementFor(name: Op, query: URLSearchParams): Requirement {
  const spec: OperationSpec = OPERATIONS[name];
  return (query.has("versionId") ? spec.onVersion?.access : undefined) ?? spec.access;
}

/** The IAM action of `op` for this request (s3:GetObjectVersion when a version is named, ...). */
export function iamActionFor(name: Op, query: URLSearchParams): IamAction {
  const spec: OperationSpec = OPERATIONS[name];
  return (query.has("versionId") ? spec.onVersion?.iam : undefined) ?? spec.iam;
}

/** The ARN a policy statement's Resource is matched against. */
export function resourceArn(bucketName: string | null, key: string | null): string {
  if (bucketName === null) return "*";
  return key === null ? `arn:aws:s3:::${bucketName}` : `arn:aws:s3:::${bucketName}/${key}`;
}

/** Operations that only read: what a read-only key may call. */
export function isReadOperation(name: Op): boolean {
  return OPERATIONS[name].keys === "read";
}
