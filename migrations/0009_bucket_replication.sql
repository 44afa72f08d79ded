-- S3 bucket replication (issue 11): Put/Get/DeleteBucketReplication and the copies. Append-only.

-- A bucket's replication configuration as JSON (logic/replication.ts ReplicationConfig); NULL = none.
ALTER TABLE buckets ADD COLUMN replication TEXT;

-- x-amz-replication-status of a version: NULL (no rule applied), 'PENDING', 'COMPLETED', 'FAILED'
-- (on a source version) or 'REPLICA' (on a destination's copy).
ALTER TABLE objects ADD COLUMN replication_status TEXT;

-- One row per (source version, destination bucket) still to copy, or that failed. Written in the
-- batch that commits the version (so a version is never committed without its copies owed); the
-- copy's own batch deletes the row and recomputes the source's status. FAILED rows stay, so that
-- the status stays FAILED and an operator can see why.
CREATE TABLE replication_tasks (
  object_id       TEXT NOT NULL,                 -- objects.id of the source version
  destination     TEXT NOT NULL,                 -- destination bucket name
  rule_id         TEXT NOT NULL,
  state           TEXT NOT NULL DEFAULT 'PENDING', -- PENDING | FAILED
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  enqueued_at     INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  PRIMARY KEY (object_id, destination)
);
-- The reconciling scan pages through pending copies in key order, skipping failed ones.
CREATE INDEX replication_tasks_pending ON replication_tasks(object_id, destination) WHERE state = 'PENDING';
