-- Manifest compaction (src/jobs/compaction.ts): a completed multipart object whose manifest has more
-- parts than one request may read is rewritten into one R2 object via R2 multipart, a few internal
-- parts per job run. One row per manifest being compacted, with the progress a later run resumes from.
CREATE TABLE compactions (
  object_id     TEXT PRIMARY KEY,           -- objects.id of the manifest row (never reused)
  zone          TEXT NOT NULL,
  enqueued_at   INTEGER NOT NULL,
  blob_key      TEXT,                       -- the new blob (the R2 multipart upload's key); NULL until started
  upload_id     TEXT,                       -- the R2 multipart upload id
  part_bytes    INTEGER,                    -- the uniform internal part size chosen at the start
  next_part     INTEGER NOT NULL DEFAULT 1, -- the internal part the next run uploads
  source_offset INTEGER NOT NULL DEFAULT 0, -- bytes of the object already uploaded
  lease_until   INTEGER NOT NULL DEFAULT 0, -- a run owns the row until then: no two runs write one upload
  failed        TEXT,                       -- why it cannot be compacted (left as a manifest)
  updated_at    INTEGER
);
CREATE INDEX compactions_by_age ON compactions(enqueued_at) WHERE failed IS NULL;
-- The uploaded internal parts, as R2's complete() needs them back.
CREATE TABLE compaction_parts (
  object_id   TEXT NOT NULL,
  part_number INTEGER NOT NULL,
  etag        TEXT NOT NULL,
  PRIMARY KEY (object_id, part_number)
);
-- Where the scan for uncompacted manifests (older data, a lowered budget) stopped: the last objects.id seen.
CREATE TABLE compaction_scan (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  after_id TEXT NOT NULL
);
CREATE INDEX objects_manifests ON objects(id) WHERE blob_key IS NULL AND part_count IS NOT NULL;
