-- Completed multipart uploads, remembered for a while (COMPLETED_UPLOAD_MEMORY_MS in
-- src/store/d1/uploads.ts) so that a CompleteMultipartUpload retried after a lost answer gets the
-- same answer (ETag, version id, checksum) instead of NoSuchUpload. Append-only.
CREATE TABLE completed_uploads (
  id                 TEXT PRIMARY KEY,        -- the upload id
  bucket_id          TEXT NOT NULL,
  key                TEXT NOT NULL,
  version_id         TEXT NOT NULL,
  etag               TEXT NOT NULL,           -- unquoted, md5-of-md5s-N
  checksum_algorithm TEXT,
  checksum_value     TEXT,
  checksum_type      TEXT,
  ssec_key_md5       TEXT,
  completed_at       INTEGER NOT NULL
);
-- For the scheduled sweep, which forgets them once they are old.
CREATE INDEX completed_uploads_by_time ON completed_uploads(completed_at);
