-- Zone replicas (docs/replication.md): one row per blob that has a copy in its zone's replica R2
-- bucket (binding R2_<ZONE>_REPLICA). The home copy is implied by the row referring to the blob; a
-- referenced blob without a row here is not replicated yet (the reconciling job enqueues it). A row
-- is written after the copy is stored and dropped after the replica copy is deleted.
CREATE TABLE blob_replicas (
  zone       TEXT NOT NULL,                   -- home zone of the blob
  blob_key   TEXT NOT NULL,
  copied_at  INTEGER NOT NULL,
  PRIMARY KEY (zone, blob_key)
);
