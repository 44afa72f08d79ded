-- sos-worker core schema. Append-only: later changes go in new numbered files.
-- Times are milliseconds since the epoch. Object bytes live in R2 under opaque keys
-- ("blob keys"); D1 is the only place that maps S3 names to them.

CREATE TABLE users (
  id           TEXT PRIMARY KEY,              -- canonical user id (64 hex chars)
  display_name TEXT NOT NULL UNIQUE,
  email        TEXT UNIQUE,
  max_buckets  INTEGER NOT NULL DEFAULT 20,
  created_at   INTEGER NOT NULL
);

CREATE TABLE access_keys (
  access_key_id TEXT PRIMARY KEY,
  user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  secret_enc    TEXT NOT NULL,                -- AES-GCM under SOS_MASTER_KEY; never plaintext
  bucket        TEXT,                         -- key restricted to this bucket name (NULL = any)
  operations    TEXT NOT NULL DEFAULT 'full', -- 'full' | 'read-only' | 'write-only' | JSON array of S3 operation names
  enabled       INTEGER NOT NULL DEFAULT 1,
  created_at    INTEGER NOT NULL
);
CREATE INDEX access_keys_by_user ON access_keys(user_id);

CREATE TABLE zones (
  name        TEXT PRIMARY KEY,               -- e.g. ch-gva-2; one R2 binding each
  paired_zone TEXT,                           -- replication target (NULL = none)
  created_at  INTEGER NOT NULL
);

CREATE TABLE buckets (
  id         TEXT PRIMARY KEY,                -- opaque; prefix of the bucket's blob keys
  name       TEXT NOT NULL UNIQUE,
  owner_id   TEXT NOT NULL REFERENCES users(id),
  zone       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  versioning TEXT,                            -- NULL (never enabled) | 'Enabled' | 'Suspended'
  acl        TEXT,                            -- JSON grant list; NULL = private (owner FULL_CONTROL)
  cors       TEXT,                            -- JSON CORS rules; NULL = none
  tags       TEXT                             -- JSON tag set; NULL = none
);
CREATE INDEX buckets_by_owner ON buckets(owner_id, name);

-- One row per object version, delete markers included.
CREATE TABLE objects (
  id                 TEXT PRIMARY KEY,        -- random per row; object_parts refer to it
  bucket_id          TEXT NOT NULL,
  key                TEXT NOT NULL,
  version_id         TEXT NOT NULL,           -- 'null' for the null version
  seq                INTEGER NOT NULL,        -- commit order within the key; higher is newer
  is_latest          INTEGER NOT NULL,
  is_delete_marker   INTEGER NOT NULL DEFAULT 0,
  size               INTEGER NOT NULL DEFAULT 0,
  etag               TEXT,                    -- unquoted
  last_modified      INTEGER NOT NULL,
  owner_id           TEXT NOT NULL,
  blob_key           TEXT,                    -- single-blob object; NULL for delete markers and manifests
  part_count         INTEGER,                 -- completed multipart upload: parts in object_parts
  http_meta          TEXT,                    -- JSON: Content-Type, Cache-Control, ...
  user_meta          TEXT,                    -- JSON: x-amz-meta-*
  checksum_algorithm TEXT,
  checksum_value     TEXT,
  checksum_type      TEXT,                    -- FULL_OBJECT | COMPOSITE
  ssec_key_md5       TEXT,                    -- SSE-C: MD5 of the customer key, never the key
  acl                TEXT,
  tags               TEXT,
  tag_count          INTEGER NOT NULL DEFAULT 0,
  storage_class      TEXT NOT NULL DEFAULT 'STANDARD'
);
CREATE UNIQUE INDEX objects_by_version ON objects(bucket_id, key, version_id);
CREATE INDEX objects_by_key_seq ON objects(bucket_id, key, seq DESC);
-- Listings read only current, live objects: the partial index keeps them as cheap as an unversioned bucket.
CREATE INDEX objects_current ON objects(bucket_id, key) WHERE is_latest = 1 AND is_delete_marker = 0;
CREATE INDEX objects_by_blob ON objects(blob_key) WHERE blob_key IS NOT NULL;

-- Manifest of a completed multipart object: each S3 part is its own blob.
CREATE TABLE object_parts (
  object_id      TEXT NOT NULL,
  part_number    INTEGER NOT NULL,
  blob_key       TEXT NOT NULL,
  size           INTEGER NOT NULL,
  start_offset   INTEGER NOT NULL,
  etag           TEXT NOT NULL,
  checksum_value TEXT,
  PRIMARY KEY (object_id, part_number)
);
CREATE INDEX object_parts_by_blob ON object_parts(blob_key);

CREATE TABLE multipart_uploads (
  id                 TEXT PRIMARY KEY,
  bucket_id          TEXT NOT NULL,
  key                TEXT NOT NULL,
  initiated_at       INTEGER NOT NULL,
  owner_id           TEXT NOT NULL,
  initiator_id       TEXT NOT NULL,
  http_meta          TEXT,
  user_meta          TEXT,
  checksum_algorithm TEXT,
  checksum_type      TEXT,
  ssec_key_md5       TEXT,
  acl                TEXT,
  tags               TEXT,
  storage_class      TEXT NOT NULL DEFAULT 'STANDARD'
);
CREATE INDEX multipart_uploads_by_key ON multipart_uploads(bucket_id, key, id);
CREATE INDEX multipart_uploads_by_age ON multipart_uploads(initiated_at);

CREATE TABLE upload_parts (
  upload_id      TEXT NOT NULL,
  part_number    INTEGER NOT NULL,
  blob_key       TEXT NOT NULL,
  size           INTEGER NOT NULL,
  etag           TEXT NOT NULL,
  checksum_value TEXT,
  uploaded_at    INTEGER NOT NULL,
  PRIMARY KEY (upload_id, part_number)
);
CREATE INDEX upload_parts_by_blob ON upload_parts(blob_key);

-- Blobs no longer referenced by the row that wrote them. Deleted from R2 after the response;
-- the cron sweep finishes whatever a crash left. A blob is only deleted once no row refers to it.
CREATE TABLE blob_deletions (
  zone        TEXT NOT NULL,
  blob_key    TEXT NOT NULL,
  enqueued_at INTEGER NOT NULL,
  PRIMARY KEY (zone, blob_key)
);

-- Atomic preconditions inside a D1 batch (D1 has no BEGIN): a statement inserts a row naming
-- the S3 error when its condition fails, the trigger aborts, and the whole batch rolls back.
CREATE TABLE batch_assertions (failure TEXT NOT NULL);
CREATE TRIGGER batch_assertion_precondition BEFORE INSERT ON batch_assertions
  WHEN NEW.failure = 'PreconditionFailed' BEGIN SELECT RAISE(ABORT, 'sos:PreconditionFailed'); END;
CREATE TRIGGER batch_assertion_too_many_buckets BEFORE INSERT ON batch_assertions
  WHEN NEW.failure = 'TooManyBuckets' BEGIN SELECT RAISE(ABORT, 'sos:TooManyBuckets'); END;
CREATE TRIGGER batch_assertion_bucket_not_empty BEFORE INSERT ON batch_assertions
  WHEN NEW.failure = 'BucketNotEmpty' BEGIN SELECT RAISE(ABORT, 'sos:BucketNotEmpty'); END;
CREATE TRIGGER batch_assertion_no_such_key BEFORE INSERT ON batch_assertions
  WHEN NEW.failure = 'NoSuchKey' BEGIN SELECT RAISE(ABORT, 'sos:NoSuchKey'); END;
CREATE TRIGGER batch_assertion_too_many_versions BEFORE INSERT ON batch_assertions
  WHEN NEW.failure = 'TooManyVersions' BEGIN SELECT RAISE(ABORT, 'sos:TooManyVersions'); END;
CREATE TRIGGER batch_assertion_no_such_upload BEFORE INSERT ON batch_assertions
  WHEN NEW.failure = 'NoSuchUpload' BEGIN SELECT RAISE(ABORT, 'sos:NoSuchUpload'); END;
CREATE TRIGGER batch_assertion_conflict BEFORE INSERT ON batch_assertions
  WHEN NEW.failure = 'ConditionalRequestConflict' BEGIN SELECT RAISE(ABORT, 'sos:ConditionalRequestConflict'); END;
