-- Background jobs run on a Cloudflare Queue (src/jobs/): a message whose last attempt failed is
-- kept here, with its body and last error, until an operator replays it (sos-admin jobs replay ID),
-- which sends the body again and deletes the row.
CREATE TABLE job_dead_letters (
  id         TEXT PRIMARY KEY,                -- random
  kind       TEXT NOT NULL,                   -- the message's kind (src/jobs/messages.ts)
  body       TEXT NOT NULL,                   -- the message, JSON, as it was sent
  attempts   INTEGER NOT NULL,
  error      TEXT NOT NULL,                   -- the last attempt's error
  failed_at  INTEGER NOT NULL
);
CREATE INDEX job_dead_letters_by_time ON job_dead_letters(failed_at);
