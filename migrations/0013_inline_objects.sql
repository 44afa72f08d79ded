-- Small objects inline (issue 16). Append-only.

-- The bytes of an object version of at most SOS_INLINE_MAX_BYTES, kept in its row instead of an R2
-- blob: a small PUT is then one D1 batch and a small GET one D1 read, with no R2 call. NULL = the
-- bytes are in R2 (blob_key), in a multipart manifest (object_parts), or there are none (a delete
-- marker). An inline row has blob_key NULL and part_count NULL. Listings never read this column.
ALTER TABLE objects ADD COLUMN inline_body BLOB;
