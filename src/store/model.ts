/**
 * The domain model of the metadata store: what the D1 store (store/d1/) returns and accepts.
 * Modules outside the store import these types from here, never from the SQL modules. JSON
 * columns arrive parsed (ACL, CORS rules, tags, key operations) and are written as these values.
 */
import type { Acl } from "../logic/acl";
import type { CorsRule } from "../logic/cors";
import type { ObjectOwnership } from "../logic/ownership";
import type { PublicAccessBlock } from "../policy/public";
import type { LifecycleRule, VersionState } from "../logic/lifecycle";
import type { ObjectLockConfig, VersionLock } from "../logic/object-lock";
import type { ReplicationConfig, ReplicationStatus, ReplicationTarget } from "../logic/replication";
import type { TagSet } from "../logic/tags";

export type { Acl } from "../logic/acl";

/** What an access key may call: a named class of operations, or exactly the listed S3 operation names. */
export type KeyOperations = "full" | "read-only" | "write-only" | string[];

export type User = { id: string; displayName: string; email: string | null; maxBuckets: number; createdAt: number };

export type AccessKey = {
  accessKeyId: string;
  userId: string;
  secretEnc: string;
  bucket: string | null;
  operations: KeyOperations;
  enabled: boolean;
  createdAt: number;
};

export type Bucket = {
  id: string;
  name: string;
  ownerId: string;
  zone: string;
  createdAt: number;
  versioning: "Enabled" | "Suspended" | null;
  acl: Acl;
  /** null: no CORS configuration */
  cors: CorsRule[] | null;
  /** empty: no tags */
  tags: TagSet;
  /** the bucket policy's JSON as put (checked then), or null */
  policy: string | null;
  /** null: no Block Public Access configuration */
  publicAccessBlock: PublicAccessBlock | null;
  /** null: no ownership controls (behaves as ObjectWriter) */
  objectOwnership: ObjectOwnership | null;
  /** null: the bucket has no object lock (once set, never null again) */
  objectLock: ObjectLockConfig | null;
  /** null: no lifecycle configuration */
  lifecycle: LifecycleRule[] | null;
  /** null: no replication configuration */
  replication: ReplicationConfig | null;
};

export type BucketUsage = { objectCount: number; storedBytes: number; billedBytes: number };

export type HttpMeta = Record<string, string>;

/** An object version as every operation but GetObject sees it: all of its row but an inline object's bytes. */
export type VersionMeta = {
  id: string;
  bucketId: string;
  key: string;
  versionId: string;
  seq: number;
  isLatest: boolean;
  isDeleteMarker: boolean;
  size: number;
  etag: string;
  lastModified: number;
  ownerId: string;
  blobKey: string | null;
  partCount: number | null;
  httpMeta: HttpMeta;
  userMeta: Record<string, string>;
  checksumAlgorithm: string | null;
  checksumValue: string | null;
  checksumType: string | null;
  ssecKeyMd5: string | null;
  acl: Acl;
  tags: TagSet;
  tagCount: number;
  storageClass: string;
  /** retention and legal hold (object lock) */
  lock: VersionLock;
  /** x-amz-replication-status (bucket replication); null when no rule applied */
  replicationStatus: ReplicationStatus | null;
};

export type ObjectVersion = VersionMeta & {
  /** the bytes of a small object kept in its row (migrations/0013); null when they are in R2 (blobKey, or parts) */
  inlineBody: Uint8Array | null;
};

/**
 * What a write supplies; the store fills seq / is_latest. `replicateTo`: the copies bucket
 * replication owes this version, recorded (replication_tasks) in the batch that commits it.
 */
export type NewObjectVersion = Omit<ObjectVersion, "seq" | "isLatest"> & { replicateTo: ReplicationTarget[] };

/** A copy owed by bucket replication: the source version's row, the destination bucket, the rule. */
export type ReplicationTask = { objectId: string; destination: string; ruleId: string; attempts: number; enqueuedAt: number };

/** One part of a completed multipart object's manifest. */
export type ObjectPart = { partNumber: number; blobKey: string; size: number; startOffset: number; etag: string; checksumValue: string | null };

export type ListedObject = Pick<ObjectVersion, "key" | "size" | "etag" | "lastModified" | "ownerId" | "storageClass" | "checksumAlgorithm">;

/** A row of ListObjectVersions: a version or a delete marker. */
export type ListedVersion = ListedObject & Pick<ObjectVersion, "versionId" | "seq" | "isLatest" | "isDeleteMarker" | "checksumType">;

/** A listing row: an object, or (commonPrefix set) a group of `rows` keys rolled into one prefix. */
export type ListedRow = ListedObject & { commonPrefix: string | null; lastKey: string; rows: number };

/** Keys after `after` (and from `from`) and before `before`; with `rollup`, keys under a common prefix come back as one row. */
export type KeyRange = { after?: string; from?: string; before?: string | null; limit: number; rollup?: { prefix: string; delimiter: string } };

/** What a CompleteMultipartUpload answered, remembered for a retry of it. */
export type CompletedUpload = {
  uploadId: string;
  versionId: string;
  etag: string;
  checksum: { algorithm: string; value: string; type: string } | null;
  ssecKeyMd5: string | null;
  completedAt: number;
};

export type MultipartUpload = {
  id: string;
  bucketId: string;
  key: string;
  initiatedAt: number;
  ownerId: string;
  initiatorId: string;
  httpMeta: HttpMeta;
  userMeta: Record<string, string>;
  checksumAlgorithm: string | null;
  checksumType: string | null;
  ssecKeyMd5: string | null;
  acl: Acl;
  tags: TagSet;
  storageClass: string;
  /** the lock the completed object gets (x-amz-object-lock-* of CreateMultipartUpload, or the bucket default) */
  lock: VersionLock;
};

export type UploadPart = {
  uploadId: string;
  partNumber: number;
  blobKey: string;
  size: number;
  etag: string;
  checksumValue: string | null;
  uploadedAt: number;
};

/** A blob queued for deletion from a zone's R2 bucket. */
export type PendingBlob = { zone: string; blobKey: string };

/** One version as the lifecycle job judges it, with the row id its commits re-check. */
export type LifecycleVersion = VersionState & { rowId: string };

/** A manifest being compacted into one blob (src/jobs/compaction.ts), with the progress a run resumes from. */
export type Compaction = {
  objectId: string;
  zone: string;
  /** the new blob and its R2 multipart upload; null until the first run starts it */
  blobKey: string | null;
  uploadId: string | null;
  partBytes: number | null;
  nextPart: number;
  sourceOffset: number;
};

/** The object row a compaction rewrites, as it judges it. */
export type CompactionSource = {
  id: string;
  bucketId: string;
  size: number;
  partCount: number | null;
  blobKey: string | null;
  ssecKeyMd5: string | null;
};
