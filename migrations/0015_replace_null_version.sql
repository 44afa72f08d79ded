-- Fewer statements per commit (issue 16). Append-only.

-- An unversioned (or Suspended) write replaces the key's null version, whichever statement inserts
-- the new one: the old row's blobs (its own, or its manifest's parts) are queued in blob_deletions
-- as of the new row's last_modified (the commit's time), then the row goes, its manifest with it
-- (objects_drop_parts). The commit batch used to run these as two statements of its own.
CREATE TRIGGER objects_replace_null BEFORE INSERT ON objects WHEN NEW.version_id = 'null'
BEGIN
  INSERT OR IGNORE INTO blob_deletions (zone, blob_key, enqueued_at)
    SELECT b.zone, o.blob_key, NEW.last_modified FROM objects o JOIN buckets b ON b.id = o.bucket_id
      WHERE o.bucket_id = NEW.bucket_id AND o.key = NEW.key AND o.version_id = 'null' AND o.blob_key IS NOT NULL
    UNION ALL
    SELECT b.zone, p.blob_key, NEW.last_modified FROM object_parts p JOIN objects o ON o.id = p.object_id JOIN buckets b ON b.id = o.bucket_id
      WHERE o.bucket_id = NEW.bucket_id AND o.key = NEW.key AND o.version_id = 'null';
  DELETE FROM objects WHERE bucket_id = NEW.bucket_id AND key = NEW.key AND version_id = 'null';
END;
