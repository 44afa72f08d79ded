-- Object lock and lifecycle (issue 14). Append-only.

-- A bucket's ObjectLockConfiguration as JSON ({"defaultRetention": null | {mode, days | years}});
-- NULL = the bucket has no object lock. Once set it is never cleared (S3 cannot turn object lock off).
ALTER TABLE buckets ADD COLUMN object_lock TEXT;
-- The bucket's lifecycle rules as JSON (logic/lifecycle.ts LifecycleRule[]); NULL = none.
ALTER TABLE buckets ADD COLUMN lifecycle TEXT;

-- Per version: retention (mode + retain-until, ms) and legal hold (NULL never set, 0 OFF, 1 ON).
ALTER TABLE objects ADD COLUMN lock_mode TEXT;            -- GOVERNANCE | COMPLIANCE
ALTER TABLE objects ADD COLUMN lock_retain_until INTEGER;
ALTER TABLE objects ADD COLUMN legal_hold INTEGER;

-- What CreateMultipartUpload asked for, applied by CompleteMultipartUpload.
ALTER TABLE multipart_uploads ADD COLUMN lock_mode TEXT;
ALTER TABLE multipart_uploads ADD COLUMN lock_retain_until INTEGER;
ALTER TABLE multipart_uploads ADD COLUMN legal_hold INTEGER;

-- Buckets with lifecycle rules, for the scheduled job.
CREATE INDEX buckets_with_lifecycle ON buckets(id) WHERE lifecycle IS NOT NULL;

-- A permanent delete of a version under retention or legal hold aborts the whole batch: the check
-- runs inside the commit that deletes, so no concurrent request can slip between check and delete.
CREATE TRIGGER batch_assertion_object_locked BEFORE INSERT ON batch_assertions
  WHEN NEW.failure = 'objectLocked' BEGIN SELECT RAISE(ABORT, 'sos:objectLocked'); END;
