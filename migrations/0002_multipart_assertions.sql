-- Commit-time checks used by CompleteMultipartUpload and CopyObject.
CREATE TRIGGER batch_assertion_invalid_part BEFORE INSERT ON batch_assertions
  WHEN NEW.failure = 'InvalidPart' BEGIN SELECT RAISE(ABORT, 'sos:InvalidPart'); END;
CREATE TRIGGER batch_assertion_no_such_version BEFORE INSERT ON batch_assertions
  WHEN NEW.failure = 'NoSuchVersion' BEGIN SELECT RAISE(ABORT, 'sos:NoSuchVersion'); END;
