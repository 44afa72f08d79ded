-- Where the orphan sweep (src/jobs/cron.ts) stopped listing each zone's R2 bucket: the last blob key
-- it looked at. The next run starts after it, so every blob is eventually seen however many there
-- are; a zone whose listing reached the end has no row and starts from the beginning.
CREATE TABLE orphan_sweep_positions (
  zone TEXT PRIMARY KEY,
  after_key TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
