-- Fewer statements per commit (issue 16). Append-only.

-- One latest version per key, whichever statement inserts it: a new latest version demotes the
-- key's previous one (the commit batch used to run this UPDATE itself, as a statement of its own).
CREATE TRIGGER objects_one_latest BEFORE INSERT ON objects WHEN NEW.is_latest = 1
BEGIN
  UPDATE objects SET is_latest = 0 WHERE bucket_id = NEW.bucket_id AND key = NEW.key AND is_latest = 1;
END;

-- A version's multipart manifest goes with it. Its blobs are queued in blob_deletions by the
-- statement before the DELETE, which still sees the parts.
CREATE TRIGGER objects_drop_parts AFTER DELETE ON objects
BEGIN
  DELETE FROM object_parts WHERE object_id = OLD.id;
END;
