/** Row shapes of the D1 tables (migrations/), as D1 returns them: INTEGER booleans are 0/1, JSON columns are text. */

export type UserRow = { id: string; display_name: string; email: string | null; max_buckets: number; created_at: number };

export type AccessKeyRow = {
  access_key_id: string;
  user_id: string;
  secret_enc: string;
  bucket: string | null;
  operations: string;
  enabled: number;
  created_at: number;
};

export type BucketRow = {
  id: string;
  name: string;
  owner_id: string;
  zone: string;
  created_at: number;
  versioning: "Enabled" | "Suspended" | null;
  acl: string | null;
  cors: string | null;
  tags: string | null;
  policy: string | null;
  public_access_block: string | null;
  object_ownership: string | null;
  object_lock: string | null;
  lifecycle: string | null;
  replication?: string | null;
};

/** Object lock columns of objects and multipart_uploads (migrations/0006). */
export type LockRow = { lock_mode: string | null; lock_retain_until: number | null; legal_hold: number | null };

export type ObjectRow = {
  id: string;
  bucket_id: string;
  key: string;
  version_id: string;
  seq: number;
  is_latest: number;
  is_delete_marker: number;
  size: number;
  etag: string | null;
  last_modified: number;
  owner_id: string;
  blob_key: string | null;
  part_count: number | null;
  /** D1 returns a BLOB as an array of byte values (an ArrayBuffer on some versions) */
  inline_body?: string | number[] | ArrayBuffer | null;
  http_meta: string | null;
  user_meta: string | null;
  checksum_algorithm: string | null;
  checksum_value: string | null;
  checksum_type: string | null;
  ssec_key_md5: string | null;
  acl: string | null;
  tags: string | null;
  tag_count: number;
  storage_class: string;
  replication_status?: string | null;
} & LockRow;

/** Every column of `objects` but inline_body (test/store/catalog.test.ts checks the list against the table). */
export const OBJECT_META_COLUMNS = [
  "id",
  "bucket_id",
  "key",
  "version_id",
  "seq",
  "is_latest",
  "is_delete_marker",
  "size",
  "etag",
  "last_modified",
  "owner_id",
  "blob_key",
  "part_count",
  "http_meta",
  "user_meta",
  "checksum_algorithm",
  "checksum_value",
  "checksum_type",
  "ssec_key_md5",
  "acl",
  "tags",
  "tag_count",
  "storage_class",
  "lock_mode",
  "lock_retain_until",
  "legal_hold",
  "replication_status",
].join(", ");

export type ReplicationTaskRow = {
  object_id: string;
  destination: string;
  rule_id: string;
  state: string;
  attempts: number;
  last_error: string | null;
  enqueued_at: number;
  next_attempt_at: number;
};

export type ObjectPartRow = {
  object_id: string;
  part_number: number;
  blob_key: string;
  size: number;
  start_offset: number;
  etag: string;
  checksum_value: string | null;
};

export type UploadRow = {
  id: string;
  bucket_id: string;
  key: string;
  initiated_at: number;
  owner_id: string;
  initiator_id: string;
  http_meta: string | null;
  user_meta: string | null;
  checksum_algorithm: string | null;
  checksum_type: string | null;
  ssec_key_md5: string | null;
  acl: string | null;
  tags: string | null;
  storage_class: string;
} & LockRow;

export type UploadPartRow = {
  upload_id: string;
  part_number: number;
  blob_key: string;
  size: number;
  etag: string;
  checksum_value: string | null;
  uploaded_at: number;
};

export type BlobDeletionRow = { zone: string; blob_key: string; enqueued_at: number };

/** A JSON text column, or `fallback` when NULL. */
export const json = <T>(s: string | null, fallback: T): T => (typeof s === "string" ? (JSON.parse(s) as T) : fallback);

/** The blob keys a `... RETURNING blob_key` (or `SELECT blob_key`) statement produced. */
export const blobKeysOf = (result: D1Result | undefined): string[] => ((result?.results ?? []) as Pick<BlobDeletionRow, "blob_key">[]).map((r) => r.blob_key);

export type CompletedUploadRow = {
  id: string;
  bucket_id: string;
  key: string;
  version_id: string;
  etag: string;
  checksum_algorithm: string | null;
  checksum_value: string | null;
  checksum_type: string | null;
  ssec_key_md5: string | null;
  completed_at: number;
};
