-- Writes that commit after their bucket was deleted (a DeleteBucket racing a PutObject) abort
-- with NoSuchBucket instead of leaving rows behind in a bucket that no longer exists.
CREATE TRIGGER batch_assertion_no_such_bucket BEFORE INSERT ON batch_assertions
  WHEN NEW.failure = 'NoSuchBucket' BEGIN SELECT RAISE(ABORT, 'sos:NoSuchBucket'); END;
