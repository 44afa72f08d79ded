-- Issue 13: bucket policies, Block Public Access and Object Ownership, one column each on the bucket row.
ALTER TABLE buckets ADD COLUMN policy TEXT;               -- the bucket policy's JSON as put; NULL = no policy
ALTER TABLE buckets ADD COLUMN public_access_block TEXT;  -- JSON {blockPublicAcls, ignorePublicAcls, blockPublicPolicy, restrictPublicBuckets}; NULL = none
ALTER TABLE buckets ADD COLUMN object_ownership TEXT;     -- 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter'; NULL = no controls (ObjectWriter)
